//! Email addresses, normalised once so uniqueness means what users expect.

use crate::error::IdentityError;

/// A trimmed, lower-cased, plausibly deliverable address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

/// RFC 5321 caps a path at 254 characters.
const MAX_EMAIL_LENGTH: usize = 254;

impl Email {
    pub fn parse(raw: &str, field: &'static str) -> Result<Email, IdentityError> {
        let normalised = raw.trim().to_lowercase();
        if normalised.is_empty() {
            return Err(IdentityError::invalid(field, "email is required"));
        }
        if normalised.len() > MAX_EMAIL_LENGTH {
            return Err(IdentityError::invalid(field, "email is too long"));
        }
        let Some((local, domain)) = normalised.split_once('@') else {
            return Err(IdentityError::invalid(field, "email must contain @"));
        };
        let plausible = !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !normalised.chars().any(|character| character.is_whitespace() || character.is_control())
            && !normalised.contains(['<', '>', ',', ';', '"', '(', ')']);
        if !plausible {
            return Err(IdentityError::invalid(field, "email is not a valid address"));
        }
        Ok(Email(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Ana.Lopez@Example.COM ", "email").unwrap().as_str(), "ana.lopez@example.com");
    }

    #[test]
    fn implausible_emails_are_refused_with_the_field() {
        for bad in ["", "ana", "ana@", "@example.com", "ana@example", "a b@example.com", "ana@@example.com", "<a@b.c>"]
        {
            let error = Email::parse(bad, "email").unwrap_err();
            assert!(matches!(error, IdentityError::InvalidInput { field: "email", .. }), "{bad}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250)), "email").is_err());
    }
}
