//! Storage behaviour, once against PostgreSQL and once against SQLite (the
//! embedded `nds dev` backend), including the service flows on top of it.

// Test helpers outside `#[test]` functions (suite bodies, fixtures) fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use nds_common::auth::principal::SCOPE_INTERNAL;
use nds_common::auth::{Principal, PrincipalKind};
use nds_common::cache::MemoryCache;
use nds_common::clock::now_unix;
use nds_common::config::Config;
use nds_common::mail::FileMailer;
use nds_common::runtime::Runtime;
use nds_common::testing::TestDatabase;
use nds_common::{ErrorCode, HasErrorCode, Shutdown};
use sea_orm::DatabaseConnection;
use svc_identity::IdentityService;
use svc_identity::domain::application::{ApplicationDraft, ApplicationInput, Decision};
use svc_identity::domain::key_sealing::KeyEncryptionKey;
use svc_identity::service::sessions::SignUp;
use svc_identity::store::invitations::NewInvitation;
use svc_identity::store::{applications, invitations, keys, orgs, sessions, users};

async fn migrated(database: &TestDatabase) -> DatabaseConnection {
    svc_identity::migrate(database.url()).await.unwrap();
    // Running migrations again is a no-op, not an error.
    svc_identity::migrate(database.url()).await.unwrap();
    nds_common::db::connect(database.url()).await.unwrap()
}

fn runtime_for(database: &TestDatabase) -> Runtime {
    let vars = [
        ("NDS_IDENTITY_DATABASE_URL".to_string(), database.url().to_string()),
        ("NDS_KEY_ENCRYPTION_KEY".to_string(), KeyEncryptionKey::generate_base64().unwrap()),
    ];
    let config = Config::from_vars(vars).unwrap();
    // These tests send no mail: one shared directory, rather than one left behind per test.
    let mail_dir = std::env::temp_dir().join("nds-identity-storage-mail");
    let mailer = Arc::new(FileMailer::new(mail_dir, "no-reply@nds.test").unwrap());
    Runtime::new(Arc::new(config), MemoryCache::shared(100), mailer, "http://127.0.0.1:1", Shutdown::new()).unwrap()
}

fn internal_principal() -> Principal {
    Principal {
        subject: "service:tests".into(),
        kind: PrincipalKind::Service,
        memberships: vec![],
        scopes: vec![SCOPE_INTERNAL.into()],
        token_id: "t".into(),
        expires_at: i64::MAX,
    }
}

fn draft(group_name: &str) -> ApplicationDraft {
    ApplicationDraft::parse(&ApplicationInput {
        company_name: "Autos Reforma".into(),
        contact_name: "Lucía".into(),
        contact_email: "lucia@example.com".into(),
        contact_phone: "5512345678".into(),
        tax_id: "ARE010203AB1".into(),
        address: "Reforma 100".into(),
        city: "Puebla".into(),
        state: "Puebla".into(),
        group_id: String::new(),
        group_name: group_name.into(),
        expected_listings: 10,
    })
    .unwrap()
}

async fn emails_are_unique(database: &TestDatabase) {
    let db = migrated(database).await;
    users::insert(&db, "ana@example.com", "Ana", "hash").await.unwrap();
    let error = users::insert(&db, "ana@example.com", "Otra Ana", "hash").await.unwrap_err();
    assert_eq!(error.error_code(), ErrorCode::Conflict);
    assert!(users::find_by_email(&db, "ana@example.com").await.unwrap().is_some());
}

async fn memberships_are_granted_once(database: &TestDatabase) {
    let db = migrated(database).await;
    let user = users::insert(&db, "ana@example.com", "Ana", "hash").await.unwrap();
    let group = orgs::insert_group(&db, "Grupo").await.unwrap();
    let agency = orgs::insert_agency(&db, group.id, "Agencia", "Puebla", "Puebla").await.unwrap();
    assert!(users::add_membership(&db, user.id, "SALESPERSON", Some(group.id), Some(agency.id)).await.unwrap());
    assert!(!users::add_membership(&db, user.id, "SALESPERSON", Some(group.id), Some(agency.id)).await.unwrap());
    assert_eq!(users::memberships_of(&db, user.id).await.unwrap().len(), 1);
    assert_eq!(users::memberships_in_agency(&db, agency.id).await.unwrap().len(), 1);
    assert_eq!(orgs::insert_group(&db, "Grupo").await.unwrap_err().error_code(), ErrorCode::Conflict);
}

async fn a_refresh_token_is_used_once_and_its_family_revokes_together(database: &TestDatabase) {
    let db = migrated(database).await;
    let user = users::insert(&db, "ana@example.com", "Ana", "hash").await.unwrap();
    let family = uuid::Uuid::new_v4();
    let now = now_unix();
    let first = sessions::insert(&db, family, user.id, "h1", now, now + 60).await.unwrap();
    let second = sessions::insert(&db, family, user.id, "h2", now, now + 60).await.unwrap();
    let other = sessions::insert(&db, uuid::Uuid::new_v4(), user.id, "h3", now, now + 60).await.unwrap();
    assert!(sessions::mark_used_if_fresh(&db, first.id, now).await.unwrap());
    assert!(!sessions::mark_used_if_fresh(&db, first.id, now).await.unwrap(), "a token is used at most once");
    assert_eq!(sessions::revoke_family(&db, family, now).await.unwrap(), 2);
    assert!(!sessions::mark_used_if_fresh(&db, second.id, now).await.unwrap(), "revoked tokens cannot be used");
    assert!(sessions::mark_used_if_fresh(&db, other.id, now).await.unwrap(), "other families are untouched");
    assert_eq!(sessions::delete_expired_before(&db, now + 61).await.unwrap(), 3);
}

async fn an_application_is_decided_once(database: &TestDatabase) {
    let db = migrated(database).await;
    let stored = applications::insert(&db, &draft("Grupo Reforma")).await.unwrap();
    let review = applications::Review {
        status: applications::STATUS_REJECTED,
        rejection_reason: Some("incompleta"),
        agency_id: None,
        group_id: None,
        reviewer: uuid::Uuid::new_v4(),
        now: now_unix(),
    };
    assert!(applications::decide(&db, stored.id, &review).await.unwrap());
    assert!(!applications::decide(&db, stored.id, &review).await.unwrap());
    let (page, total) = applications::list(&db, Some("REJECTED"), &applications::Visibility::All, 0, 10).await.unwrap();
    assert_eq!((page.len(), total), (1, 1));
    assert_eq!(page[0].rejection_reason.as_deref(), Some("incompleta"));
    let (page, _) = applications::list(&db, None, &applications::Visibility::Groups(vec![uuid::Uuid::new_v4()]), 0, 10)
        .await
        .unwrap();
    assert!(page.is_empty());
}

async fn an_invitation_is_accepted_once_and_never_after_expiry(database: &TestDatabase) {
    let db = migrated(database).await;
    let group = orgs::insert_group(&db, "Grupo").await.unwrap();
    let agency = orgs::insert_agency(&db, group.id, "Agencia", "Puebla", "Puebla").await.unwrap();
    let user = users::insert(&db, "ana@example.com", "Ana", "hash").await.unwrap();
    let now = now_unix();
    let new = |hash: &'static str, expires_at: i64| NewInvitation {
        token_hash: hash,
        agency_id: agency.id,
        group_id: group.id,
        email: "ana@example.com",
        role: "SALESPERSON",
        invited_by: None,
        now,
        expires_at,
    };
    let open = invitations::insert(&db, &new("open", now + 60)).await.unwrap();
    let expired = invitations::insert(&db, &new("expired", now - 1)).await.unwrap();
    assert!(invitations::accept_if_open(&db, open.id, user.id, now).await.unwrap());
    assert!(!invitations::accept_if_open(&db, open.id, user.id, now).await.unwrap());
    assert!(!invitations::accept_if_open(&db, expired.id, user.id, now).await.unwrap());
    assert!(invitations::find_by_hash(&db, "open").await.unwrap().unwrap().accepted_at.is_some());
}

async fn retired_keys_stay_published_for_the_verification_window(database: &TestDatabase) {
    let db = migrated(database).await;
    let now = now_unix();
    keys::insert(&db, "old", "pkcs8", "x-old", now - 100).await.unwrap();
    keys::insert(&db, "new", "pkcs8", "x-new", now).await.unwrap();
    keys::retire_all_but(&db, "new", now).await.unwrap();
    assert_eq!(keys::active(&db).await.unwrap().unwrap().kid, "new");
    assert_eq!(keys::published(&db, now - 10).await.unwrap().len(), 2, "old key still verifies");
    assert_eq!(keys::published(&db, now + 1).await.unwrap().len(), 1, "after the window only the signer");
    assert_eq!(keys::delete_retired_before(&db, now + 1).await.unwrap(), 1);
}

async fn sessions_rotate_and_detect_reuse_on_this_backend(database: &TestDatabase) {
    let _db = migrated(database).await;
    let runtime = runtime_for(database);
    let service = svc_identity::connect_service(&runtime).await.unwrap();
    let first = service
        .sign_up(SignUp {
            email: "ana@example.com".into(),
            password: "a long enough password".into(),
            name: "Ana".into(),
        })
        .await
        .unwrap();
    let second = service.refresh(&first.refresh_token).await.unwrap();
    assert_eq!(service.refresh(&first.refresh_token).await.unwrap_err().error_code(), ErrorCode::Unauthenticated);
    assert_eq!(service.refresh(&second.refresh_token).await.unwrap_err().error_code(), ErrorCode::Unauthenticated);
    let jwks: serde_json::Value = serde_json::from_str(&service.keys_json().await).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
}

async fn approval_creates_agency_group_and_invitation_together_on_this_backend(database: &TestDatabase) {
    let db = migrated(database).await;
    let runtime = runtime_for(database);
    let service: IdentityService = svc_identity::connect_service(&runtime).await.unwrap();
    let input = ApplicationInput {
        company_name: "Autos Reforma".into(),
        contact_name: "Lucía".into(),
        contact_email: "lucia@example.com".into(),
        contact_phone: "5512345678".into(),
        tax_id: "ARE010203AB1".into(),
        address: "Reforma 100".into(),
        city: "Puebla".into(),
        state: "Puebla".into(),
        group_id: String::new(),
        group_name: "Grupo Reforma".into(),
        expected_listings: 10,
    };
    let stored = service.apply_for_agency(&input).await.unwrap();
    let reviewed = service.review_application(Some(internal_principal()), stored.id, Decision::Approve).await.unwrap();
    let agency = orgs::find_agency(&db, reviewed.agency_id.unwrap()).await.unwrap().unwrap();
    assert_eq!(agency.name, "Autos Reforma");
    assert_eq!(reviewed.group_id, Some(agency.group_id));
    let again = service.review_application(Some(internal_principal()), stored.id, Decision::Approve).await.unwrap_err();
    assert_eq!(again.error_code(), ErrorCode::Conflict);
    // A second approval that would need the same new group name fails whole:
    // no agency is left behind without its application being approved.
    let twin = service.apply_for_agency(&input).await.unwrap();
    let clash = service.review_application(Some(internal_principal()), twin.id, Decision::Approve).await.unwrap_err();
    assert_eq!(clash.error_code(), ErrorCode::Conflict);
    assert_eq!(orgs::agencies_of_group(&db, agency.group_id).await.unwrap().len(), 1);
    assert_eq!(applications::find(&db, twin.id).await.unwrap().unwrap().status, "PENDING");
}

async fn demo_data_seeds_once_on_this_backend(database: &TestDatabase) {
    let _db = migrated(database).await;
    let runtime = runtime_for(database);
    let demo = svc_identity::seed_demo(&runtime).await.unwrap().unwrap();
    assert_eq!(demo.accounts.len(), 17);
    assert!(svc_identity::seed_demo(&runtime).await.unwrap().is_none());
}

nds_common::storage_suite!(
    emails_are_unique,
    memberships_are_granted_once,
    a_refresh_token_is_used_once_and_its_family_revokes_together,
    an_application_is_decided_once,
    an_invitation_is_accepted_once_and_never_after_expiry,
    retired_keys_stay_published_for_the_verification_window,
    sessions_rotate_and_detect_reuse_on_this_backend,
    approval_creates_agency_group_and_invitation_together_on_this_backend,
    demo_data_seeds_once_on_this_backend,
);
