//! What platform admins may ask of the directory and the audit log: an e-mail
//! fragment to find accounts by, and the audit actions identity records.

use crate::error::IdentityError;

/// Fewer characters would match most of the directory.
pub const MIN_EMAIL_FRAGMENT: usize = 3;
const MAX_EMAIL_FRAGMENT: usize = 254;

/// Every action identity writes to the audit log. A filter naming anything else
/// is a mistake worth telling the caller about, not an empty page.
pub const AUDIT_ACTIONS: [&str; 10] = [
    "application.approved",
    "application.rejected",
    "agency.suspended",
    "agency.reinstated",
    "user.suspended",
    "user.reinstated",
    "membership.granted",
    "invitation.created",
    "password.reset",
    "password.changed",
];

/// Part of an address as stored (addresses are kept lower-cased).
pub fn email_fragment(raw: &str) -> Result<String, IdentityError> {
    let fragment = raw.trim().to_lowercase();
    let length = fragment.chars().count();
    if length < MIN_EMAIL_FRAGMENT {
        return Err(IdentityError::invalid("email", format!("type at least {MIN_EMAIL_FRAGMENT} characters")));
    }
    if length > MAX_EMAIL_FRAGMENT {
        return Err(IdentityError::invalid("email", "email is too long"));
    }
    Ok(fragment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_are_lower_cased_and_long_enough() {
        assert_eq!(email_fragment("  Ana@Norte ").unwrap(), "ana@norte");
        assert!(email_fragment("ab").is_err());
        assert!(email_fragment(&"a".repeat(300)).is_err());
    }
}
