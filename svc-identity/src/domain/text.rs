//! Free-text fields: trimmed, required or optional, bounded.

use crate::error::IdentityError;

/// A required single-line text of at most `max` characters, trimmed.
pub fn required(raw: &str, field: &'static str, max: usize) -> Result<String, IdentityError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(IdentityError::invalid(field, format!("{field} is required")));
    }
    if trimmed.chars().count() > max {
        return Err(IdentityError::invalid(field, format!("{field} is longer than {max} characters")));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(IdentityError::invalid(field, format!("{field} contains control characters")));
    }
    Ok(trimmed.to_string())
}

/// An optional text: empty means absent.
pub fn optional(raw: &str, field: &'static str, max: usize) -> Result<Option<String>, IdentityError> {
    if raw.trim().is_empty() { Ok(None) } else { required(raw, field, max).map(Some) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_is_trimmed_and_bounded() {
        assert_eq!(required("  Ana  ", "name", 10).unwrap(), "Ana");
        assert!(required("   ", "name", 10).is_err());
        assert!(required("abcdefghijk", "name", 10).is_err());
        assert!(required("a\u{0}b", "name", 10).is_err());
        assert_eq!(optional("", "name", 10).unwrap(), None);
    }
}
