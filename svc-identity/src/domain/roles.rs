//! Role names as stored and as the contract spells them, and who may be invited as what.

use nds_common::auth::Role;

use crate::error::IdentityError;

pub fn parse_role(name: &str) -> Option<Role> {
    Role::ALL.into_iter().find(|role| role.as_str() == name)
}

/// Invitations create agency staff only: platform and group administrators are
/// appointed by bootstrap or by a platform admin, never by an agency.
pub fn require_invitable(role: Role) -> Result<Role, IdentityError> {
    match role {
        Role::AgencyManager | Role::Salesperson => Ok(role),
        Role::PlatformAdmin | Role::GroupAdmin | Role::Buyer => {
            Err(IdentityError::invalid("role", "invitations are for AGENCY_MANAGER or SALESPERSON"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_agency_roles_are_invitable() {
        assert!(require_invitable(Role::Salesperson).is_ok());
        assert!(require_invitable(Role::AgencyManager).is_ok());
        assert!(require_invitable(Role::PlatformAdmin).is_err());
        assert!(require_invitable(Role::GroupAdmin).is_err());
        assert!(require_invitable(Role::Buyer).is_err());
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(parse_role(role.as_str()), Some(role));
        }
        assert_eq!(parse_role("OWNER"), None);
    }
}
