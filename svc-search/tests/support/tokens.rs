//! Access tokens signed with a throw-away Ed25519 key (the one common's verifier
//! tests use) and an authenticator that trusts it.

use nds_common::auth::MembershipClaim;
#[allow(unused_imports)]
pub use nds_common::testing::tokens::sign_access_token as sign;
// Not every test binary that includes this support uses each item.
#[allow(unused_imports)]
pub use nds_common::testing::tokens::test_authenticator as authenticator;
use uuid::Uuid;

pub fn search_service_token() -> String {
    sign("service", "service:search".into(), vec![], vec!["internal".into()])
}

pub fn manager_token(agency_id: Uuid, group_id: Uuid) -> String {
    let membership = MembershipClaim {
        role: "AGENCY_MANAGER".into(),
        group_id: Some(group_id.to_string()),
        agency_id: Some(agency_id.to_string()),
    };
    sign("user", Uuid::new_v4().to_string(), vec![membership], vec![])
}

pub fn platform_admin_token() -> String {
    let membership = MembershipClaim { role: "PLATFORM_ADMIN".into(), group_id: None, agency_id: None };
    sign("user", Uuid::new_v4().to_string(), vec![membership], vec![])
}

pub fn buyer_token() -> String {
    let membership = MembershipClaim { role: "BUYER".into(), group_id: None, agency_id: None };
    sign("user", Uuid::new_v4().to_string(), vec![membership], vec![])
}
