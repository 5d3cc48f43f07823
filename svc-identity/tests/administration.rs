//! Platform administration through the real gRPC server: finding accounts by
//! e-mail, groups with their agencies, and the audit log of suspensions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use nds_common::ErrorCode;
use nds_common::auth::Role;
use nds_proto::common::v1::PageRequest;
use nds_proto::identity::v1 as proto;
use support::{TestIdentity, application, authed, code_of, field_of, start};
use svc_identity::DemoIdentity;

async fn seeded() -> (TestIdentity, DemoIdentity) {
    let identity = start().await;
    let demo = svc_identity::seed_demo(&identity.runtime).await.unwrap().unwrap();
    (identity, demo)
}

async fn log_in_as(identity: &TestIdentity, demo: &DemoIdentity, role: Role) -> proto::AuthPayload {
    let account = demo.accounts.iter().find(|account| account.role == role).unwrap();
    identity.log_in(&account.email, &account.password).await.unwrap()
}

fn page(first: u32, after: &str) -> Option<PageRequest> {
    Some(PageRequest { first, after: after.to_string() })
}

#[tokio::test]
async fn platform_admins_find_accounts_by_part_of_their_address() {
    let (identity, demo) = seeded().await;
    let admin = log_in_as(&identity, &demo, Role::PlatformAdmin).await.access_token;
    let manager = log_in_as(&identity, &demo, Role::AgencyManager).await;
    let manager_user = manager.user.clone().unwrap();
    let mut client = identity.client.clone();

    let fragment = manager_user.email.split('@').next().unwrap().to_uppercase();
    let found = client
        .find_users(authed(proto::FindUsersRequest { email: format!("  {fragment} ") }, &admin))
        .await
        .unwrap()
        .into_inner()
        .users;
    let match_ = found.iter().find(|user| user.id == manager_user.id).expect("the manager is found, case aside");
    assert_eq!(match_.email, manager_user.email);
    assert!(!match_.suspended);
    assert!(
        match_
            .memberships
            .iter()
            .any(|membership| membership.role == proto::Role::AgencyManager as i32 && !membership.agency_id.is_empty()),
        "roles come with the account: {:?}",
        match_.memberships
    );
    let mut emails: Vec<&str> = found.iter().map(|user| user.email.as_str()).collect();
    assert!(emails.iter().all(|email| email.contains(&fragment.to_lowercase())));
    let listed = emails.clone();
    emails.sort();
    assert_eq!(emails, listed, "by address");

    // LIKE's wildcards match themselves, so "%%%" finds nobody rather than everybody.
    let wildcards =
        client.find_users(authed(proto::FindUsersRequest { email: "%%%".into() }, &admin)).await.unwrap().into_inner();
    assert!(wildcards.users.is_empty(), "{:?}", wildcards.users);

    let short = client.find_users(authed(proto::FindUsersRequest { email: "ab".into() }, &admin)).await.unwrap_err();
    assert_eq!((code_of(&short), field_of(&short).as_deref()), (ErrorCode::BadUserInput, Some("email")));

    let refused = client
        .find_users(authed(proto::FindUsersRequest { email: fragment.clone() }, &manager.access_token))
        .await
        .unwrap_err();
    assert_eq!(code_of(&refused), ErrorCode::Forbidden);
    let anonymous = client.find_users(proto::FindUsersRequest { email: fragment }).await.unwrap_err();
    assert_eq!(code_of(&anonymous), ErrorCode::Unauthenticated);
}

#[tokio::test]
async fn admins_list_groups_with_their_agencies_and_states_group_admins_only_theirs() {
    let (identity, demo) = seeded().await;
    let admin = log_in_as(&identity, &demo, Role::PlatformAdmin).await.access_token;
    let mut client = identity.client.clone();
    let suspended = &demo.agencies[0];
    client
        .suspend_agency(authed(
            proto::SuspendAgencyRequest { agency_id: suspended.agency_id.to_string(), suspended: true },
            &admin,
        ))
        .await
        .unwrap();

    let listed =
        client.list_groups(authed(proto::ListGroupsRequest { page: page(50, "") }, &admin)).await.unwrap().into_inner();
    let agencies: Vec<&proto::Agency> = listed.groups.iter().flat_map(|group| &group.agencies).collect();
    assert_eq!(agencies.len(), demo.agencies.len(), "every agency, under its group");
    for group in &listed.groups {
        let group_id = &group.group.as_ref().unwrap().id;
        assert!(group.agencies.iter().all(|agency| &agency.group_id == group_id));
    }
    for agency in agencies {
        assert_eq!(agency.suspended, agency.id == suspended.agency_id.to_string(), "{}", agency.name);
    }
    let names: Vec<&str> = listed.groups.iter().map(|group| group.group.as_ref().unwrap().name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);

    // Paged: the first group, then the rest from its cursor.
    let first =
        client.list_groups(authed(proto::ListGroupsRequest { page: page(1, "") }, &admin)).await.unwrap().into_inner();
    let info = first.page_info.unwrap();
    assert_eq!((first.groups.len(), info.has_next_page, info.total_count), (1, true, listed.groups.len() as u64));
    let rest = client
        .list_groups(authed(proto::ListGroupsRequest { page: page(50, &info.end_cursor) }, &admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.groups.len(), listed.groups.len() - 1);
    assert_ne!(rest.groups[0].group, first.groups[0].group);

    let bad_cursor = client
        .list_groups(authed(proto::ListGroupsRequest { page: page(1, "not-a-cursor") }, &admin))
        .await
        .unwrap_err();
    assert_eq!((code_of(&bad_cursor), field_of(&bad_cursor).as_deref()), (ErrorCode::BadUserInput, Some("after")));

    // A group admin sees their own group only, with all its agencies side by side.
    let group_admin = log_in_as(&identity, &demo, Role::GroupAdmin).await;
    let own_group = group_admin.user.as_ref().unwrap().memberships[0].group_id.clone();
    let own =
        client.list_groups(authed(proto::ListGroupsRequest { page: None }, &group_admin.access_token)).await.unwrap();
    let own = own.into_inner();
    let own_ids: Vec<&str> = own.groups.iter().map(|group| group.group.as_ref().unwrap().id.as_str()).collect();
    assert_eq!(own_ids, vec![own_group.as_str()]);
    assert_eq!(own.page_info.unwrap().total_count, 1);
    let expected = listed.groups.iter().find(|group| group.group.as_ref().unwrap().id == own_group).unwrap();
    assert_eq!(own.groups[0].agencies, expected.agencies);

    let manager = log_in_as(&identity, &demo, Role::AgencyManager).await.access_token;
    let refused = client.list_groups(authed(proto::ListGroupsRequest { page: None }, &manager)).await.unwrap_err();
    assert_eq!(code_of(&refused), ErrorCode::Forbidden);
}

#[tokio::test]
async fn the_audit_log_names_who_suspended_and_reinstated_whom_newest_first() {
    let (identity, demo) = seeded().await;
    let admin_session = log_in_as(&identity, &demo, Role::PlatformAdmin).await;
    let admin = admin_session.access_token.clone();
    let admin_email = admin_session.user.unwrap().email;
    let buyer = log_in_as(&identity, &demo, Role::Buyer).await.user.unwrap();
    let agency = &demo.agencies[1];
    let mut client = identity.client.clone();
    for suspended in [true, false] {
        client
            .suspend_user(authed(proto::SuspendUserRequest { user_id: buyer.id.clone(), suspended }, &admin))
            .await
            .unwrap();
        client
            .suspend_agency(authed(
                proto::SuspendAgencyRequest { agency_id: agency.agency_id.to_string(), suspended },
                &admin,
            ))
            .await
            .unwrap();
    }

    let everything = client
        .list_audit_log(authed(proto::ListAuditLogRequest { action: String::new(), page: page(50, "") }, &admin))
        .await
        .unwrap()
        .into_inner();
    let newest: Vec<&str> = everything.entries.iter().take(4).map(|entry| entry.action.as_str()).collect();
    assert_eq!(newest, ["agency.reinstated", "user.reinstated", "agency.suspended", "user.suspended"]);
    let reinstated = &everything.entries[0];
    assert_eq!(
        (reinstated.actor_email.as_str(), reinstated.target_label.as_str()),
        (admin_email.as_str(), agency.name.as_str())
    );
    assert_eq!(reinstated.target_id, agency.agency_id.to_string());
    assert!(reinstated.created_at_unix > 0);
    assert_eq!(everything.entries[1].target_label, buyer.email);

    let suspensions = client
        .list_audit_log(authed(
            proto::ListAuditLogRequest { action: "user.suspended".into(), page: page(50, "") },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(suspensions.entries.len(), 1);
    assert_eq!(suspensions.entries[0].target_id, buyer.id);
    assert_eq!(suspensions.page_info.unwrap().total_count, 1);

    // Pages follow each other without overlap.
    let first = client
        .list_audit_log(authed(proto::ListAuditLogRequest { action: String::new(), page: page(2, "") }, &admin))
        .await
        .unwrap()
        .into_inner();
    let info = first.page_info.unwrap();
    assert!(info.has_next_page);
    let second = client
        .list_audit_log(authed(
            proto::ListAuditLogRequest { action: String::new(), page: page(2, &info.end_cursor) },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    let ids = |entries: &[nds_proto::common::v1::AuditEntry]| {
        entries.iter().map(|entry| entry.id.clone()).collect::<Vec<_>>()
    };
    assert_eq!([ids(&first.entries), ids(&second.entries)].concat(), ids(&everything.entries[..4]));

    let unknown = client
        .list_audit_log(authed(proto::ListAuditLogRequest { action: "user.deleted".into(), page: None }, &admin))
        .await
        .unwrap_err();
    assert_eq!((code_of(&unknown), field_of(&unknown).as_deref()), (ErrorCode::BadUserInput, Some("action")));
    let bad_cursor = client
        .list_audit_log(authed(proto::ListAuditLogRequest { action: String::new(), page: page(2, "x") }, &admin))
        .await
        .unwrap_err();
    assert_eq!(field_of(&bad_cursor).as_deref(), Some("after"));
    // A review names the application's company.
    let applied = client
        .apply_for_agency(proto::ApplyForAgencyRequest {
            application: Some(application("Autos Bajío", "Grupo Bajío"))
        })
        .await
        .unwrap()
        .into_inner();
    let reason = "El RFC no corresponde.".to_string();
    client
        .review_agency_application(authed(
            proto::ReviewAgencyApplicationRequest { id: applied.id.clone(), approve: false, reason },
            &admin,
        ))
        .await
        .unwrap();
    let rejected = client
        .list_audit_log(authed(
            proto::ListAuditLogRequest { action: "application.rejected".into(), page: None },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rejected.entries.len(), 1);
    assert_eq!(
        (rejected.entries[0].target_id.as_str(), rejected.entries[0].target_label.as_str()),
        (applied.id.as_str(), "Autos Bajío")
    );

    let manager = log_in_as(&identity, &demo, Role::AgencyManager).await.access_token;
    let refused = client
        .list_audit_log(authed(proto::ListAuditLogRequest { action: String::new(), page: None }, &manager))
        .await
        .unwrap_err();
    assert_eq!(code_of(&refused), ErrorCode::Forbidden);
}
