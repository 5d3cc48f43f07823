//! The authenticated caller and the tenant questions every service asks.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use super::claims::{AccessClaims, MembershipClaim};
use crate::error::{ApiError, ErrorCode};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    PlatformAdmin,
    GroupAdmin,
    AgencyManager,
    Salesperson,
    Buyer,
}

impl Role {
    pub const ALL: [Role; 5] =
        [Role::PlatformAdmin, Role::GroupAdmin, Role::AgencyManager, Role::Salesperson, Role::Buyer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "PLATFORM_ADMIN",
            Role::GroupAdmin => "GROUP_ADMIN",
            Role::AgencyManager => "AGENCY_MANAGER",
            Role::Salesperson => "SALESPERSON",
            Role::Buyer => "BUYER",
        }
    }
}

impl FromStr for Role {
    type Err = ApiError;

    fn from_str(name: &str) -> Result<Role, ApiError> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == name)
            .ok_or_else(|| ApiError::invalid("role", format!("unknown role {name:?}")))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A role in a scope. Agency memberships also name the agency's group, so group
/// questions about an agency need no extra lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub role: Role,
    pub group_id: Option<Uuid>,
    pub agency_id: Option<Uuid>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    User,
    /// An internal tool or job authenticated with client credentials.
    Service,
}

/// Scope that lets a service account act as the platform (jobs, internal tools).
pub const SCOPE_INTERNAL: &str = "internal";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    pub kind: PrincipalKind,
    pub memberships: Vec<Membership>,
    pub scopes: Vec<String>,
    pub token_id: String,
    /// When the token this principal came from expires (unix seconds): streams
    /// authorized by it end then.
    pub expires_at: i64,
}

/// Whose numbers a metrics call asks for; the same three scopes in every service
/// (parsed once, by [`crate::convert::metrics_scope_from_wire`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricsScope {
    Platform,
    Group(Uuid),
    Agency(Uuid),
}

/// An agency as tenant checks need it: its id and its group's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgencyRef {
    pub agency_id: Uuid,
    pub group_id: Uuid,
}

/// What a caller wants to do with an agency's private data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgencyAction {
    /// Drafts, leads, internal fields.
    ReadPrivate,
    /// The agency's metrics (revenue among them): its managers, its group's admins.
    ReadMetrics,
    /// Create, edit, publish listings.
    ManageListings,
    /// Answer and work conversations.
    AnswerLeads,
    /// Assign leads to salespeople.
    AssignLeads,
    /// Invite and manage staff.
    ManageStaff,
    /// Promotions, subscription, payouts.
    ManageBilling,
}

impl Principal {
    pub fn from_claims(claims: &AccessClaims) -> Result<Principal, ApiError> {
        let kind = match claims.kind.as_str() {
            "user" => PrincipalKind::User,
            "service" => PrincipalKind::Service,
            other => {
                return Err(ApiError::new(ErrorCode::Unauthenticated, format!("unknown principal kind {other:?}")));
            }
        };
        let memberships = claims.memberships.iter().map(membership_from_claim).collect::<Result<Vec<_>, _>>()?;
        Ok(Principal {
            subject: claims.sub.clone(),
            kind,
            memberships,
            scopes: claims.scopes.clone(),
            token_id: claims.jti.clone(),
            expires_at: claims.exp,
        })
    }

    /// The user id, for user principals.
    pub fn user_id(&self) -> Option<Uuid> {
        match self.kind {
            PrincipalKind::User => Uuid::parse_str(&self.subject).ok(),
            PrincipalKind::Service => None,
        }
    }

    pub fn require_user_id(&self) -> Result<Uuid, ApiError> {
        self.user_id().ok_or_else(|| ApiError::new(ErrorCode::Forbidden, "this operation needs a user account"))
    }

    pub fn is_platform_admin(&self) -> bool {
        match self.kind {
            PrincipalKind::Service => self.scopes.iter().any(|scope| scope == SCOPE_INTERNAL),
            PrincipalKind::User => self.memberships.iter().any(|membership| membership.role == Role::PlatformAdmin),
        }
    }

    /// May this caller name the client it relays for (the edge: a service with the
    /// internal scope)? Anyone else's word on a client's address is ignored.
    pub fn may_relay_clients(&self) -> bool {
        self.kind == PrincipalKind::Service && self.scopes.iter().any(|scope| scope == SCOPE_INTERNAL)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.memberships.iter().any(|membership| membership.role == role)
    }

    pub fn is_group_admin_of(&self, group_id: Uuid) -> bool {
        self.memberships
            .iter()
            .any(|membership| membership.role == Role::GroupAdmin && membership.group_id == Some(group_id))
    }

    /// The agencies where the caller is staff (manager or salesperson).
    pub fn staff_agencies(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.memberships
            .iter()
            .filter(|membership| matches!(membership.role, Role::AgencyManager | Role::Salesperson))
            .filter_map(|membership| membership.agency_id)
    }

    /// The groups the caller administers.
    pub fn administered_groups(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.memberships
            .iter()
            .filter(|membership| membership.role == Role::GroupAdmin)
            .filter_map(|membership| membership.group_id)
    }

    fn agency_role(&self, agency_id: Uuid) -> Option<Role> {
        // A manager membership outranks a salesperson one for the same agency.
        let roles = self.memberships.iter().filter(|membership| membership.agency_id == Some(agency_id));
        roles.map(|membership| membership.role).min_by_key(|role| match role {
            Role::AgencyManager => 0,
            Role::Salesperson => 1,
            _ => 2,
        })
    }

    /// May the caller do `action` on this agency's private data?
    pub fn can_on_agency(&self, agency: AgencyRef, action: AgencyAction) -> bool {
        if self.is_platform_admin() {
            return true;
        }
        if self.is_group_admin_of(agency.group_id) {
            // Group admins oversee their agencies: read everything, manage staff.
            return matches!(action, AgencyAction::ReadPrivate | AgencyAction::ReadMetrics | AgencyAction::ManageStaff);
        }
        match self.agency_role(agency.agency_id) {
            Some(Role::AgencyManager) => true,
            Some(Role::Salesperson) => {
                matches!(action, AgencyAction::ReadPrivate | AgencyAction::ManageListings | AgencyAction::AnswerLeads)
            }
            _ => false,
        }
    }

    pub fn require_on_agency(&self, agency: AgencyRef, action: AgencyAction) -> Result<(), ApiError> {
        if self.can_on_agency(agency, action) {
            Ok(())
        } else {
            Err(ApiError::new(ErrorCode::Forbidden, "not allowed for this agency"))
        }
    }

    /// May the caller read a group's private data (metrics, agencies' drafts)?
    pub fn can_read_group(&self, group_id: Uuid) -> bool {
        self.is_platform_admin() || self.is_group_admin_of(group_id)
    }

    pub fn require_platform_admin(&self) -> Result<(), ApiError> {
        if self.is_platform_admin() {
            Ok(())
        } else {
            Err(ApiError::new(ErrorCode::Forbidden, "platform administrators only"))
        }
    }
}

/// Requires a caller: anonymous calls get UNAUTHENTICATED.
pub fn require_principal(principal: Option<&Principal>) -> Result<&Principal, ApiError> {
    principal.ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "sign in first"))
}

fn membership_from_claim(claim: &MembershipClaim) -> Result<Membership, ApiError> {
    let invalid = |what: &str| ApiError::new(ErrorCode::Unauthenticated, format!("malformed membership claim: {what}"));
    let role: Role = claim.role.parse().map_err(|_| invalid("role"))?;
    let parse_id = |raw: &Option<String>| match raw {
        None => Ok(None),
        Some(raw) => Uuid::parse_str(raw).map(Some).map_err(|_| invalid("id")),
    };
    Ok(Membership { role, group_id: parse_id(&claim.group_id)?, agency_id: parse_id(&claim.agency_id)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(memberships: Vec<Membership>) -> Principal {
        Principal {
            subject: Uuid::new_v4().to_string(),
            kind: PrincipalKind::User,
            memberships,
            scopes: vec![],
            token_id: "t".into(),
            expires_at: i64::MAX,
        }
    }

    fn agency_member(role: Role, agency: AgencyRef) -> Membership {
        Membership { role, group_id: Some(agency.group_id), agency_id: Some(agency.agency_id) }
    }

    const ACTIONS: [AgencyAction; 7] = [
        AgencyAction::ReadPrivate,
        AgencyAction::ReadMetrics,
        AgencyAction::ManageListings,
        AgencyAction::AnswerLeads,
        AgencyAction::AssignLeads,
        AgencyAction::ManageStaff,
        AgencyAction::ManageBilling,
    ];

    #[test]
    fn staff_of_one_agency_can_do_nothing_in_another_of_the_same_group() {
        let group = Uuid::new_v4();
        let own = AgencyRef { agency_id: Uuid::new_v4(), group_id: group };
        let sibling = AgencyRef { agency_id: Uuid::new_v4(), group_id: group };
        for role in [Role::AgencyManager, Role::Salesperson] {
            let principal = user(vec![agency_member(role, own)]);
            for action in ACTIONS {
                assert!(!principal.can_on_agency(sibling, action), "{role} {action:?}");
            }
            assert!(principal.can_on_agency(own, AgencyAction::ReadPrivate));
        }
    }

    #[test]
    fn salespeople_cannot_manage_staff_or_billing_or_assign() {
        let agency = AgencyRef { agency_id: Uuid::new_v4(), group_id: Uuid::new_v4() };
        let principal = user(vec![agency_member(Role::Salesperson, agency)]);
        assert!(principal.can_on_agency(agency, AgencyAction::ManageListings));
        assert!(!principal.can_on_agency(agency, AgencyAction::ManageStaff));
        assert!(!principal.can_on_agency(agency, AgencyAction::ManageBilling));
        assert!(!principal.can_on_agency(agency, AgencyAction::AssignLeads));
        assert!(!principal.can_on_agency(agency, AgencyAction::ReadMetrics), "metrics are the manager's");
        let manager = user(vec![agency_member(Role::AgencyManager, agency)]);
        assert!(manager.can_on_agency(agency, AgencyAction::ReadMetrics));
    }

    #[test]
    fn group_admins_read_their_groups_agencies_only() {
        let group = Uuid::new_v4();
        let agency = AgencyRef { agency_id: Uuid::new_v4(), group_id: group };
        let foreign = AgencyRef { agency_id: Uuid::new_v4(), group_id: Uuid::new_v4() };
        let principal = user(vec![Membership { role: Role::GroupAdmin, group_id: Some(group), agency_id: None }]);
        assert!(principal.can_on_agency(agency, AgencyAction::ReadPrivate));
        assert!(principal.can_on_agency(agency, AgencyAction::ReadMetrics));
        assert!(!principal.can_on_agency(agency, AgencyAction::ManageListings));
        assert!(!principal.can_on_agency(foreign, AgencyAction::ReadPrivate));
        assert!(!principal.can_on_agency(foreign, AgencyAction::ReadMetrics));
        assert!(principal.can_read_group(group));
        assert!(!principal.can_read_group(foreign.group_id));
    }

    #[test]
    fn buyers_and_unscoped_services_have_no_agency_rights() {
        let agency = AgencyRef { agency_id: Uuid::new_v4(), group_id: Uuid::new_v4() };
        let buyer = user(vec![Membership { role: Role::Buyer, group_id: None, agency_id: None }]);
        let service = Principal {
            subject: "service:reporting".into(),
            kind: PrincipalKind::Service,
            memberships: vec![],
            scopes: vec!["read".into()],
            token_id: "t".into(),
            expires_at: i64::MAX,
        };
        for action in ACTIONS {
            assert!(!buyer.can_on_agency(agency, action));
            assert!(!service.can_on_agency(agency, action));
        }
        let internal = Principal { scopes: vec![SCOPE_INTERNAL.into()], ..service };
        assert!(internal.can_on_agency(agency, AgencyAction::ManageBilling));
    }

    #[test]
    fn malformed_membership_claims_are_rejected() {
        let claims = AccessClaims {
            iss: "nds".into(),
            aud: "nds-api".into(),
            sub: Uuid::new_v4().to_string(),
            exp: 0,
            iat: 0,
            jti: "j".into(),
            token_use: "access".into(),
            kind: "user".into(),
            memberships: vec![MembershipClaim { role: "OWNER".into(), group_id: None, agency_id: None }],
            scopes: vec![],
        };
        assert_eq!(Principal::from_claims(&claims).unwrap_err().code, ErrorCode::Unauthenticated);
    }
}
