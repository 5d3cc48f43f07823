//! Who may read, answer and assign a conversation. Anyone who may not read one is
//! told it does not exist (NOT_FOUND), whatever id they send.

use nds_common::auth::{AgencyAction, AgencyRef, Principal};
use uuid::Uuid;

/// What the rules need to know about a conversation.
#[derive(Clone, Copy, Debug)]
pub struct ConversationParties {
    pub agency: AgencyRef,
    pub buyer_id: Uuid,
    pub assignee_id: Option<Uuid>,
}

/// Which side a caller speaks for in a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    Buyer,
    /// Staff of the agency (or a platform admin) answering for it.
    Agency,
}

/// Staff who see every conversation of the agency: its managers and platform admins.
pub fn sees_whole_agency(principal: &Principal, agency: AgencyRef) -> bool {
    principal.can_on_agency(agency, AgencyAction::AssignLeads)
}

/// The caller's standing in a conversation, or `None` when they may not see it.
/// A salesperson sees the agency's conversations assigned to them and the unassigned ones.
pub fn standing(principal: &Principal, parties: &ConversationParties) -> Option<Standing> {
    if principal.user_id() == Some(parties.buyer_id) {
        return Some(Standing::Buyer);
    }
    if sees_whole_agency(principal, parties.agency) {
        return Some(Standing::Agency);
    }
    if principal.can_on_agency(parties.agency, AgencyAction::AnswerLeads) {
        let mine_or_nobodys = match parties.assignee_id {
            None => true,
            Some(assignee) => principal.user_id() == Some(assignee),
        };
        if mine_or_nobodys {
            return Some(Standing::Agency);
        }
    }
    None
}

/// Managers of the agency and platform admins assign leads.
pub fn may_assign(principal: &Principal, agency: AgencyRef) -> bool {
    sees_whole_agency(principal, agency)
}

#[cfg(test)]
mod tests {
    use nds_common::auth::{Membership, PrincipalKind, Role};

    use super::*;

    fn user(id: Uuid, memberships: Vec<Membership>) -> Principal {
        Principal {
            subject: id.to_string(),
            kind: PrincipalKind::User,
            memberships,
            scopes: vec![],
            token_id: "t".into(),
            expires_at: i64::MAX,
        }
    }

    fn member(role: Role, agency: AgencyRef) -> Membership {
        Membership { role, group_id: Some(agency.group_id), agency_id: Some(agency.agency_id) }
    }

    #[test]
    fn only_the_buyer_the_agency_and_platform_admins_see_a_conversation() {
        let agency = AgencyRef { agency_id: Uuid::new_v4(), group_id: Uuid::new_v4() };
        let sibling = AgencyRef { agency_id: Uuid::new_v4(), group_id: agency.group_id };
        let (buyer, seller, other_seller) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let assigned = ConversationParties { agency, buyer_id: buyer, assignee_id: Some(seller) };
        let unassigned = ConversationParties { assignee_id: None, ..assigned };

        assert_eq!(standing(&user(buyer, vec![member(Role::Buyer, agency)]), &assigned), Some(Standing::Buyer));
        let manager = user(Uuid::new_v4(), vec![member(Role::AgencyManager, agency)]);
        assert_eq!(standing(&manager, &assigned), Some(Standing::Agency));
        assert!(may_assign(&manager, agency));
        let salesperson = user(seller, vec![member(Role::Salesperson, agency)]);
        assert_eq!(standing(&salesperson, &assigned), Some(Standing::Agency));
        assert!(!may_assign(&salesperson, agency));
        let colleague = user(other_seller, vec![member(Role::Salesperson, agency)]);
        assert_eq!(standing(&colleague, &assigned), None, "someone else's lead");
        assert_eq!(standing(&colleague, &unassigned), Some(Standing::Agency), "unassigned leads are everyone's");
        let admin =
            user(Uuid::new_v4(), vec![Membership { role: Role::PlatformAdmin, group_id: None, agency_id: None }]);
        assert_eq!(standing(&admin, &assigned), Some(Standing::Agency));

        let sibling_manager = user(Uuid::new_v4(), vec![member(Role::AgencyManager, sibling)]);
        let group_admin = user(
            Uuid::new_v4(),
            vec![Membership { role: Role::GroupAdmin, group_id: Some(agency.group_id), agency_id: None }],
        );
        let stranger = user(Uuid::new_v4(), vec![]);
        for outsider in [&sibling_manager, &group_admin, &stranger] {
            assert_eq!(standing(outsider, &unassigned), None);
            assert!(!may_assign(outsider, agency));
        }
    }
}
