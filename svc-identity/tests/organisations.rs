//! Applications, invitations, tenancy, suspension, metrics and demo data,
//! driven through the real gRPC server.

// Test helpers outside `#[test]` functions (suite bodies, fixtures) fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use nds_common::ErrorCode;
use nds_common::auth::Role;
use nds_proto::common::v1::{MetricsInterval, MetricsScope, TimeRange, metrics_scope};
use nds_proto::identity::v1 as proto;
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
use support::{PASSWORD, TestIdentity, application, authed, code_of, field_of, start, token_in};
use svc_identity::DemoIdentity;
use svc_identity::store::entities::{agency, application as application_row, group, invitation, user};

async fn seeded() -> (TestIdentity, DemoIdentity) {
    let identity = start().await;
    let demo = svc_identity::seed_demo(&identity.runtime).await.unwrap().unwrap();
    (identity, demo)
}

fn demo_email(demo: &DemoIdentity, role: Role, agency_name: Option<&str>) -> (String, String) {
    let account = demo
        .accounts
        .iter()
        .find(|account| {
            account.role == role && (agency_name.is_none() || account.agency_name.as_deref() == agency_name)
        })
        .unwrap();
    (account.email.clone(), account.password.clone())
}

async fn token(identity: &TestIdentity, credentials: (String, String)) -> String {
    identity.log_in(&credentials.0, &credentials.1).await.unwrap().access_token
}

async fn counts(identity: &TestIdentity) -> (u64, u64, u64) {
    (
        agency::Entity::find().count(&identity.db).await.unwrap(),
        group::Entity::find().count(&identity.db).await.unwrap(),
        invitation::Entity::find().count(&identity.db).await.unwrap(),
    )
}

#[tokio::test]
async fn apply_approve_accept_and_log_in_as_the_new_agencys_manager() {
    let identity = start().await;
    let admin = identity.admin_token().await;
    let mut client = identity.client.clone();
    let applied = client
        .apply_for_agency(proto::ApplyForAgencyRequest {
            application: Some(application("Autos Reforma", "Grupo Reforma")),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(applied.status, proto::ApplicationStatus::Pending as i32);

    let pending = client
        .list_agency_applications(authed(
            proto::ListAgencyApplicationsRequest { status: proto::ApplicationStatus::Pending as i32, page: None },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(pending.applications.len(), 1);
    assert_eq!(pending.page_info.unwrap().total_count, 1);

    let approved = client
        .review_agency_application(authed(
            proto::ReviewAgencyApplicationRequest { id: applied.id.clone(), approve: true, reason: String::new() },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(approved.status, proto::ApplicationStatus::Approved as i32);
    assert!(!approved.agency_id.is_empty());

    let mails = identity.mails_to("contacto@autosreforma.mx");
    assert_eq!(mails.len(), 1, "the applicant hears about the approval");
    assert!(mails[0].contains("Autos Reforma"));
    let invitation_token = token_in(&mails[0]);

    let accepted = client
        .accept_invitation(proto::AcceptInvitationRequest {
            token: invitation_token,
            name: "Lucía Hernández".into(),
            password: PASSWORD.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let manager = accepted.user.unwrap();
    assert_eq!(manager.email, "contacto@autosreforma.mx");
    let agencies = client
        .get_agencies(proto::GetAgenciesRequest { ids: vec![approved.agency_id.clone()] })
        .await
        .unwrap()
        .into_inner()
        .agencies;
    assert_eq!(agencies.len(), 1);
    assert_eq!(agencies[0].name, "Autos Reforma");
    assert_eq!(
        manager.memberships,
        vec![proto::Membership {
            role: proto::Role::AgencyManager as i32,
            group_id: agencies[0].group_id.clone(),
            agency_id: approved.agency_id.clone(),
        }]
    );
    let group =
        client.get_group(proto::GetGroupRequest { id: agencies[0].group_id.clone() }).await.unwrap().into_inner();
    assert_eq!(group.name, "Grupo Reforma");

    // Logs in on their own afterwards, as AGENCY_MANAGER of the new agency.
    let session = identity.log_in("contacto@autosreforma.mx", PASSWORD).await.unwrap();
    let claims = jsonwebtoken::dangerous::insecure_decode::<nds_common::auth::AccessClaims>(&session.access_token)
        .unwrap()
        .claims;
    assert_eq!(claims.memberships[0].role, "AGENCY_MANAGER");
    assert_eq!(claims.memberships[0].agency_id.as_deref(), Some(approved.agency_id.as_str()));
    assert_eq!(claims.memberships[0].group_id.as_deref(), Some(agencies[0].group_id.as_str()));

    let audit = nds_common::audit::all(&identity.db).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|entry| entry.action.as_str()).collect();
    assert!(actions.contains(&"application.approved"), "{actions:?}");
    assert!(actions.iter().filter(|action| **action == "membership.granted").count() >= 2, "{actions:?}");
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_delivers_it() {
    let identity = start().await;
    let admin = identity.admin_token().await;
    let mut client = identity.client.clone();
    let applied = client
        .apply_for_agency(proto::ApplyForAgencyRequest { application: Some(application("Autos Sur", "Grupo Sur")) })
        .await
        .unwrap()
        .into_inner();
    let missing_reason = client
        .review_agency_application(authed(
            proto::ReviewAgencyApplicationRequest { id: applied.id.clone(), approve: false, reason: "  ".into() },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(code_of(&missing_reason), ErrorCode::BadUserInput);
    assert_eq!(field_of(&missing_reason).as_deref(), Some("reason"));
    let row = application_row::Entity::find().one(&identity.db).await.unwrap().unwrap();
    assert_eq!(row.status, "PENDING", "a refused review changes nothing");
    assert!(identity.mails().is_empty());

    let rejected = client
        .review_agency_application(authed(
            proto::ReviewAgencyApplicationRequest {
                id: applied.id.clone(),
                approve: false,
                reason: "El RFC no coincide con la razón social".into(),
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rejected.status, proto::ApplicationStatus::Rejected as i32);
    assert_eq!(rejected.rejection_reason, "El RFC no coincide con la razón social");
    let mails = identity.mails_to("contacto@autossur.mx");
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("El RFC no coincide con la razón social"), "{}", mails[0]);

    let again = client
        .review_agency_application(authed(
            proto::ReviewAgencyApplicationRequest { id: applied.id, approve: true, reason: String::new() },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(code_of(&again), ErrorCode::Conflict);
    assert_eq!(counts(&identity).await, (0, 0, 0), "no agency, group or invitation after a rejection");
}

#[tokio::test]
async fn reviewing_twice_is_a_conflict_not_a_second_agency() {
    let identity = start().await;
    let admin = identity.admin_token().await;
    let mut client = identity.client.clone();
    let applied = client
        .apply_for_agency(proto::ApplyForAgencyRequest {
            application: Some(application("Autos Bajío", "Grupo Bajío"))
        })
        .await
        .unwrap()
        .into_inner();
    let review = proto::ReviewAgencyApplicationRequest { id: applied.id, approve: true, reason: String::new() };
    client.review_agency_application(authed(review.clone(), &admin)).await.unwrap();
    let second = client.review_agency_application(authed(review, &admin)).await.unwrap_err();
    assert_eq!(code_of(&second), ErrorCode::Conflict);
    assert_eq!(counts(&identity).await, (1, 1, 1));
    assert_eq!(identity.mails().len(), 1);
}

#[tokio::test]
async fn applications_with_missing_or_bad_fields_are_refused_and_not_stored() {
    let identity = start().await;
    let mut client = identity.client.clone();
    let cases: Vec<(&str, proto::AgencyApplication)> = vec![
        ("taxId", proto::AgencyApplication { tax_id: String::new(), ..application("A", "G") }),
        ("companyName", proto::AgencyApplication { company_name: " ".into(), ..application("A", "G") }),
        ("contactEmail", proto::AgencyApplication { contact_email: "nope".into(), ..application("A", "G") }),
        ("groupName", proto::AgencyApplication { group_name: String::new(), ..application("A", "G") }),
        ("expectedListings", proto::AgencyApplication { expected_listings: -3, ..application("A", "G") }),
        (
            "groupId",
            proto::AgencyApplication {
                group_id: uuid::Uuid::new_v4().to_string(),
                group_name: String::new(),
                ..application("A", "G")
            },
        ),
    ];
    for (field, bad) in cases {
        let status =
            client.apply_for_agency(proto::ApplyForAgencyRequest { application: Some(bad) }).await.unwrap_err();
        assert_eq!(code_of(&status), ErrorCode::BadUserInput, "{field}");
        assert_eq!(field_of(&status).as_deref(), Some(field));
    }
    let empty = client.apply_for_agency(proto::ApplyForAgencyRequest { application: None }).await.unwrap_err();
    assert_eq!(code_of(&empty), ErrorCode::BadUserInput);
    assert_eq!(application_row::Entity::find().count(&identity.db).await.unwrap(), 0);
}

#[tokio::test]
async fn invitations_are_single_use_and_expire() {
    let (identity, demo) = seeded().await;
    let agency = &demo.agencies[0];
    let manager = token(&identity, demo_email(&demo, Role::AgencyManager, Some(&agency.name))).await;
    let mut client = identity.client.clone();
    let invite = |email: &str| proto::InviteStaffRequest {
        agency_id: agency.agency_id.to_string(),
        email: email.into(),
        role: proto::Role::Salesperson as i32,
    };
    let pending = |mut client: proto::identity_service_client::IdentityServiceClient<tonic::transport::Channel>,
                   caller: String| {
        let request = proto::ListPendingInvitationsRequest { agency_id: agency.agency_id.to_string() };
        async move {
            let listed = client.list_pending_invitations(authed(request, &caller)).await?.into_inner();
            Ok::<_, tonic::Status>(
                listed.invitations.into_iter().map(|invitation| invitation.email).collect::<Vec<_>>(),
            )
        }
    };
    let invitation = client.invite_staff(authed(invite("nuevo@example.com"), &manager)).await.unwrap().into_inner();
    assert_eq!(invitation.role, proto::Role::Salesperson as i32);
    assert_eq!(pending(client.clone(), manager.clone()).await.unwrap(), vec!["nuevo@example.com".to_string()]);
    let mail = identity.mails_to("nuevo@example.com").pop().unwrap();
    let accept = |token: String| proto::AcceptInvitationRequest {
        token,
        name: "Nuevo Vendedor".into(),
        password: PASSWORD.into(),
    };
    let accepted = client.accept_invitation(accept(token_in(&mail))).await.unwrap().into_inner();
    assert_eq!(accepted.user.unwrap().memberships[0].role, proto::Role::Salesperson as i32);
    let reused = client.accept_invitation(accept(token_in(&mail))).await.unwrap_err();
    assert_eq!(code_of(&reused), ErrorCode::Conflict);
    assert!(
        pending(client.clone(), manager.clone()).await.unwrap().is_empty(),
        "an accepted invitation is not pending"
    );

    client.invite_staff(authed(invite("tarde@example.com"), &manager)).await.unwrap();
    let late_mail = identity.mails_to("tarde@example.com").pop().unwrap();
    let row = invitation::Entity::find()
        .all(&identity.db)
        .await
        .unwrap()
        .into_iter()
        .find(|row| row.email == "tarde@example.com")
        .unwrap();
    let mut expired: invitation::ActiveModel = row.into();
    expired.expires_at = Set(chrono::Utc::now().timestamp() - 1);
    expired.update(&identity.db).await.unwrap();
    assert!(pending(client.clone(), manager.clone()).await.unwrap().is_empty(), "an expired invitation is not pending");
    let late = client.accept_invitation(accept(token_in(&late_mail))).await.unwrap_err();
    assert_eq!(code_of(&late), ErrorCode::BadUserInput);
    assert!(identity.log_in("tarde@example.com", PASSWORD).await.is_err(), "an expired invitation creates no account");

    let unknown = client.accept_invitation(accept(svc_identity::domain::secrets::generate())).await.unwrap_err();
    assert_eq!(code_of(&unknown), ErrorCode::NotFound);

    // Who has not joined yet is for those who may invite: not a salesperson, not another agency's manager.
    client.invite_staff(authed(invite("otro@example.com"), &manager)).await.unwrap();
    let salesperson = token(&identity, demo_email(&demo, Role::Salesperson, Some(&agency.name))).await;
    let refused = pending(client.clone(), salesperson).await.unwrap_err();
    assert_eq!(code_of(&refused), ErrorCode::Forbidden);
    let other = token(&identity, demo_email(&demo, Role::AgencyManager, Some(&demo.agencies[1].name))).await;
    let refused = pending(client.clone(), other).await.unwrap_err();
    assert_eq!(code_of(&refused), ErrorCode::Forbidden);
    let malformed = client
        .list_pending_invitations(authed(proto::ListPendingInvitationsRequest { agency_id: "nope".into() }, &manager))
        .await
        .unwrap_err();
    assert_eq!(field_of(&malformed).as_deref(), Some("agencyId"));
}

#[tokio::test]
async fn a_salesperson_cannot_invite_staff_and_nothing_changes() {
    let (identity, demo) = seeded().await;
    let agency = &demo.agencies[0];
    let salesperson = token(&identity, demo_email(&demo, Role::Salesperson, Some(&agency.name))).await;
    let before = counts(&identity).await;
    for role in [proto::Role::Salesperson, proto::Role::AgencyManager] {
        let status = identity
            .client
            .clone()
            .invite_staff(authed(
                proto::InviteStaffRequest {
                    agency_id: agency.agency_id.to_string(),
                    email: "amigo@example.com".into(),
                    role: role as i32,
                },
                &salesperson,
            ))
            .await
            .unwrap_err();
        assert_eq!(code_of(&status), ErrorCode::Forbidden);
    }
    assert_eq!(counts(&identity).await, before);
    assert!(identity.mails().is_empty());
    // Nor may a manager hand out platform or group roles.
    let manager = token(&identity, demo_email(&demo, Role::AgencyManager, Some(&agency.name))).await;
    let status = identity
        .client
        .clone()
        .invite_staff(authed(
            proto::InviteStaffRequest {
                agency_id: agency.agency_id.to_string(),
                email: "jefe@example.com".into(),
                role: proto::Role::PlatformAdmin as i32,
            },
            &manager,
        ))
        .await
        .unwrap_err();
    assert_eq!(code_of(&status), ErrorCode::BadUserInput);
}

#[tokio::test]
async fn a_group_admin_of_one_group_reads_and_changes_nothing_of_another() {
    let (identity, demo) = seeded().await;
    let valle_admin = token(&identity, ("direccion@valle.demo.nds.mx".into(), "demo-group-2026".into())).await;
    let valle_group = demo.agencies[0].group_id;
    let norte_agency = demo.agencies.iter().find(|agency| agency.group_id != valle_group).unwrap();
    let valle_agency = &demo.agencies[0];
    let mut client = identity.client.clone();

    // Own group: allowed.
    client
        .list_agency_staff(authed(
            proto::ListAgencyStaffRequest { agency_id: valle_agency.agency_id.to_string() },
            &valle_admin,
        ))
        .await
        .unwrap();
    client
        .get_metrics(authed(
            proto::GetMetricsRequest {
                scope: Some(MetricsScope { scope: Some(metrics_scope::Scope::GroupId(valle_group.to_string())) }),
                range: None,
                interval: 0,
            },
            &valle_admin,
        ))
        .await
        .unwrap();

    // The other group: every door closed.
    let staff = client
        .list_agency_staff(authed(
            proto::ListAgencyStaffRequest { agency_id: norte_agency.agency_id.to_string() },
            &valle_admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(code_of(&staff), ErrorCode::Forbidden);
    for scope in [
        metrics_scope::Scope::GroupId(norte_agency.group_id.to_string()),
        metrics_scope::Scope::AgencyId(norte_agency.agency_id.to_string()),
        metrics_scope::Scope::Platform(true),
    ] {
        let status = client
            .get_metrics(authed(
                proto::GetMetricsRequest { scope: Some(MetricsScope { scope: Some(scope) }), range: None, interval: 0 },
                &valle_admin,
            ))
            .await
            .unwrap_err();
        assert_eq!(code_of(&status), ErrorCode::Forbidden);
    }
    let invite = client
        .invite_staff(authed(
            proto::InviteStaffRequest {
                agency_id: norte_agency.agency_id.to_string(),
                email: "infiltrado@example.com".into(),
                role: proto::Role::AgencyManager as i32,
            },
            &valle_admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(code_of(&invite), ErrorCode::Forbidden);
    let suspend = client
        .suspend_agency(authed(
            proto::SuspendAgencyRequest { agency_id: norte_agency.agency_id.to_string(), suspended: true },
            &valle_admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(code_of(&suspend), ErrorCode::Forbidden);

    // Applications: a norte application is invisible and cannot be reviewed.
    let norte_application = client
        .apply_for_agency(proto::ApplyForAgencyRequest {
            application: Some(proto::AgencyApplication {
                group_id: norte_agency.group_id.to_string(),
                group_name: String::new(),
                ..application("Norte Tres", "")
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let listed = client
        .list_agency_applications(authed(proto::ListAgencyApplicationsRequest::default(), &valle_admin))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.applications.is_empty());
    assert_eq!(listed.page_info.unwrap().total_count, 0);
    let review = client
        .review_agency_application(authed(
            proto::ReviewAgencyApplicationRequest { id: norte_application.id, approve: true, reason: String::new() },
            &valle_admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(code_of(&review), ErrorCode::Forbidden);

    // Users of the other group are simply absent from batch reads.
    let norte_manager_email = demo_email(&demo, Role::AgencyManager, Some(&norte_agency.name)).0;
    let norte_manager = identity.log_in(&norte_manager_email, "demo-manager-2026").await.unwrap().user.unwrap();
    let valle_manager_email = demo_email(&demo, Role::AgencyManager, Some(&valle_agency.name)).0;
    let valle_manager = identity.log_in(&valle_manager_email, "demo-manager-2026").await.unwrap().user.unwrap();
    let users = client
        .get_users(authed(
            proto::GetUsersRequest { ids: vec![norte_manager.id.clone(), valle_manager.id.clone()] },
            &valle_admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .users;
    assert_eq!(users.iter().map(|user| user.id.clone()).collect::<Vec<_>>(), vec![valle_manager.id]);
    assert_eq!(counts(&identity).await.2, 0, "no invitation was created");
}

#[tokio::test]
async fn suspensions_take_effect_on_the_next_request() {
    let (identity, demo) = seeded().await;
    let admin = token(&identity, demo_email(&demo, Role::PlatformAdmin, None)).await;
    let agency = &demo.agencies[0];
    let (manager_email, manager_password) = demo_email(&demo, Role::AgencyManager, Some(&agency.name));
    let manager_session = identity.log_in(&manager_email, &manager_password).await.unwrap();
    let mut client = identity.client.clone();

    // Agency suspension: the manager's token still carries the membership, but
    // identity drops it and CheckSession reports it.
    client
        .suspend_agency(authed(
            proto::SuspendAgencyRequest { agency_id: agency.agency_id.to_string(), suspended: true },
            &admin,
        ))
        .await
        .unwrap();
    let check = client
        .check_session(authed(proto::CheckSessionRequest {}, &manager_session.access_token))
        .await
        .unwrap()
        .into_inner();
    assert!(check.active);
    assert_eq!(check.suspended_agency_ids, vec![agency.agency_id.to_string()]);
    let invite = client
        .invite_staff(authed(
            proto::InviteStaffRequest {
                agency_id: agency.agency_id.to_string(),
                email: "x@example.com".into(),
                role: proto::Role::Salesperson as i32,
            },
            &manager_session.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(code_of(&invite), ErrorCode::Forbidden);
    let refreshed = client
        .refresh_session(proto::RefreshSessionRequest { refresh_token: manager_session.refresh_token.clone() })
        .await
        .unwrap()
        .into_inner();
    assert!(refreshed.user.unwrap().memberships.is_empty(), "new tokens leave the suspended agency out");

    // User suspension: the very next request with the old access token fails,
    // and so does refreshing.
    let buyer_email = demo_email(&demo, Role::Buyer, None).0;
    let buyer = identity.log_in(&buyer_email, "demo-buyer-2026").await.unwrap();
    let buyer_id = buyer.user.clone().unwrap().id;
    client
        .suspend_user(authed(proto::SuspendUserRequest { user_id: buyer_id.clone(), suspended: true }, &admin))
        .await
        .unwrap();
    let me = client.get_me(authed(proto::GetMeRequest {}, &buyer.access_token)).await.unwrap_err();
    assert_eq!(code_of(&me), ErrorCode::Unauthenticated);
    let check =
        client.check_session(authed(proto::CheckSessionRequest {}, &buyer.access_token)).await.unwrap().into_inner();
    assert!(!check.active);
    let refresh =
        client.refresh_session(proto::RefreshSessionRequest { refresh_token: buyer.refresh_token }).await.unwrap_err();
    assert_eq!(code_of(&refresh), ErrorCode::Unauthenticated);
    let login = identity.log_in(&buyer_email, "demo-buyer-2026").await.unwrap_err();
    assert_eq!(code_of(&login), ErrorCode::Forbidden);

    let audit = nds_common::audit::all(&identity.db).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|entry| entry.action.as_str()).collect();
    assert!(actions.contains(&"agency.suspended") && actions.contains(&"user.suspended"), "{actions:?}");
    let suspended_by: Vec<&str> =
        audit.iter().filter(|entry| entry.action.ends_with("suspended")).map(|entry| entry.actor.as_str()).collect();
    assert!(suspended_by.iter().all(|actor| actor.starts_with("user:")), "{suspended_by:?}");

    // Only platform admins suspend.
    let status = client
        .suspend_user(authed(
            proto::SuspendUserRequest { user_id: buyer_id, suspended: false },
            &manager_session.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(code_of(&status), ErrorCode::Forbidden);
}

#[tokio::test]
async fn metrics_answer_per_scope_for_those_who_may_see_it() {
    let (identity, demo) = seeded().await;
    let admin = token(&identity, demo_email(&demo, Role::PlatformAdmin, None)).await;
    let mut client = identity.client.clone();
    let platform = |token: &str| {
        authed(
            proto::GetMetricsRequest {
                scope: Some(MetricsScope { scope: Some(metrics_scope::Scope::Platform(true)) }),
                range: Some(TimeRange { from_unix: 0, to_unix: 0 }),
                interval: 0,
            },
            token,
        )
    };
    let metrics = client.get_metrics(platform(&admin)).await.unwrap().into_inner().metrics;
    let value = |name: &str, label: &str| {
        metrics.iter().find(|metric| metric.name == name && metric.label == label).unwrap().value
    };
    assert_eq!(value("users_by_role", "SALESPERSON"), 8.0);
    assert_eq!(value("users_by_role", "AGENCY_MANAGER"), 4.0);
    assert_eq!(value("users_by_role", "GROUP_ADMIN"), 2.0);
    assert_eq!(value("users_by_role", "BUYER"), 2.0);
    assert_eq!(value("agencies", ""), 4.0);
    assert_eq!(value("new_users", ""), 17.0);

    let buyer = token(&identity, demo_email(&demo, Role::Buyer, None)).await;
    assert_eq!(code_of(&client.get_metrics(platform(&buyer)).await.unwrap_err()), ErrorCode::Forbidden);
    let anonymous = client
        .get_metrics(proto::GetMetricsRequest {
            scope: Some(MetricsScope { scope: Some(metrics_scope::Scope::Platform(true)) }),
            range: None,
            interval: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(code_of(&anonymous), ErrorCode::Unauthenticated);

    let agency = &demo.agencies[1];
    let manager = token(&identity, demo_email(&demo, Role::AgencyManager, Some(&agency.name))).await;
    let agency_metrics = client
        .get_metrics(authed(
            proto::GetMetricsRequest {
                scope: Some(MetricsScope { scope: Some(metrics_scope::Scope::AgencyId(agency.agency_id.to_string())) }),
                range: None,
                interval: 0,
            },
            &manager,
        ))
        .await
        .unwrap()
        .into_inner()
        .metrics;
    let salespeople = agency_metrics.iter().find(|metric| metric.label == "SALESPERSON").unwrap();
    assert_eq!(salespeople.value, 2.0);
    let reversed = client
        .get_metrics(authed(
            proto::GetMetricsRequest {
                scope: Some(MetricsScope { scope: Some(metrics_scope::Scope::Platform(true)) }),
                range: Some(TimeRange { from_unix: 200, to_unix: 100 }),
                interval: 0,
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(code_of(&reversed), ErrorCode::BadUserInput);

    // A series by month: five accounts moved into January and March 2026, the rest
    // created now (outside the range). February and April have none and are still buckets.
    let unix = |month: u32, day: u32| {
        chrono::NaiveDate::from_ymd_opt(2026, month, day).unwrap().and_hms_opt(12, 0, 0).unwrap().and_utc().timestamp()
    };
    let users = user::Entity::find().all(&identity.db).await.unwrap();
    for (index, row) in users.into_iter().take(5).enumerate() {
        let mut row: user::ActiveModel = row.into();
        row.created_at = Set(if index < 3 { unix(1, 15) } else { unix(3, 2) });
        row.update(&identity.db).await.unwrap();
    }
    let series = |interval: i32, from_unix: i64, to_unix: i64| {
        authed(
            proto::GetMetricsRequest {
                scope: Some(MetricsScope { scope: Some(metrics_scope::Scope::Platform(true)) }),
                range: Some(TimeRange { from_unix, to_unix }),
                interval,
            },
            &admin,
        )
    };
    let month = MetricsInterval::Month as i32;
    let buckets = client.get_metrics(series(month, unix(1, 1), unix(4, 1))).await.unwrap().into_inner().buckets;
    let starts: Vec<i64> = buckets.iter().map(|bucket| bucket.from_unix).collect();
    // Clipped to the range at both ends: it starts and ends at noon.
    let midnight = |month, day| unix(month, day) - 12 * 3600;
    assert_eq!(starts, vec![unix(1, 1), midnight(2, 1), midnight(3, 1), midnight(4, 1)]);
    assert_eq!(buckets.last().unwrap().to_unix, unix(4, 1));
    let new_users: Vec<f64> = buckets
        .iter()
        .map(|bucket| bucket.metrics.iter().find(|metric| metric.name == "new_users").unwrap().value)
        .collect();
    assert_eq!(new_users, vec![3.0, 0.0, 2.0, 0.0]);
    for bucket in &buckets {
        assert!(bucket.metrics.iter().all(|metric| metric.name != "users_by_role"), "current totals have no buckets");
    }
    // A day a bucket over five years is too many; an unknown interval is refused.
    let too_many = client.get_metrics(series(MetricsInterval::Day as i32, 0, unix(1, 1))).await.unwrap_err();
    assert_eq!((code_of(&too_many), field_of(&too_many).as_deref()), (ErrorCode::BadUserInput, Some("interval")));
    let unknown = client.get_metrics(series(9, unix(1, 1), unix(4, 1))).await.unwrap_err();
    assert_eq!(field_of(&unknown).as_deref(), Some("interval"));
}

#[tokio::test]
async fn demo_data_is_seeded_once_and_every_demo_account_logs_in() {
    let (identity, demo) = seeded().await;
    assert_eq!(demo.accounts.len(), 17);
    assert_eq!(demo.agencies.len(), 4);
    let cities: Vec<&str> = demo.agencies.iter().map(|agency| agency.city.as_str()).collect();
    assert_eq!(cities, ["Ciudad de México", "Puebla", "Monterrey", "Saltillo"]);
    for role in Role::ALL {
        let count = demo.accounts.iter().filter(|account| account.role == role).count();
        let expected = match role {
            Role::PlatformAdmin => 1,
            Role::GroupAdmin => 2,
            Role::AgencyManager => 4,
            Role::Salesperson => 8,
            Role::Buyer => 2,
        };
        assert_eq!(count, expected, "{role}");
        let account = demo.accounts.iter().find(|account| account.role == role).unwrap();
        let session = identity.log_in(&account.email, &account.password).await.unwrap();
        assert_eq!(session.user.unwrap().memberships[0].role, support_role(role) as i32);
    }
    assert!(svc_identity::seed_demo(&identity.runtime).await.unwrap().is_none());
    assert_eq!(agency::Entity::find().count(&identity.db).await.unwrap(), 4);
}

fn support_role(role: Role) -> proto::Role {
    svc_identity::convert::role_to_proto(role)
}

#[tokio::test]
async fn batch_reads_omit_unknown_ids_and_refuse_malformed_ones() {
    let (identity, demo) = seeded().await;
    let mut client = identity.client.clone();
    let ids = vec![demo.agencies[0].agency_id.to_string(), uuid::Uuid::new_v4().to_string()];
    let agencies = client.get_agencies(proto::GetAgenciesRequest { ids }).await.unwrap().into_inner().agencies;
    assert_eq!(agencies.len(), 1);
    let malformed = client.get_agencies(proto::GetAgenciesRequest { ids: vec!["1 OR 1=1".into()] }).await.unwrap_err();
    assert_eq!(code_of(&malformed), ErrorCode::BadUserInput);
    let anonymous_users = client.get_users(proto::GetUsersRequest { ids: vec![] }).await.unwrap_err();
    assert_eq!(code_of(&anonymous_users), ErrorCode::Unauthenticated);
    let unknown_group =
        client.get_group(proto::GetGroupRequest { id: uuid::Uuid::new_v4().to_string() }).await.unwrap_err();
    assert_eq!(code_of(&unknown_group), ErrorCode::NotFound);
}

#[tokio::test]
async fn only_platform_admins_appoint_group_admins_and_it_is_audited() {
    let (identity, demo) = seeded().await;
    let admin = token(&identity, demo_email(&demo, Role::PlatformAdmin, None)).await;
    let (buyer_email, buyer_password) = demo_email(&demo, Role::Buyer, None);
    let buyer = identity.log_in(&buyer_email, &buyer_password).await.unwrap();
    let buyer_id = buyer.user.unwrap().id;
    let agency = &demo.agencies[0];
    let mut client = identity.client.clone();
    let grant = proto::GrantGroupAdminRequest { user_id: buyer_id.clone(), group_id: agency.group_id.to_string() };

    let manager = token(&identity, demo_email(&demo, Role::AgencyManager, Some(&agency.name))).await;
    let refused = client.grant_group_admin(authed(grant.clone(), &manager)).await.unwrap_err();
    assert_eq!(code_of(&refused), ErrorCode::Forbidden);
    let staff = proto::ListAgencyStaffRequest { agency_id: agency.agency_id.to_string() };
    let before = client.list_agency_staff(authed(staff.clone(), &buyer.access_token)).await.unwrap_err();
    assert_eq!(code_of(&before), ErrorCode::Forbidden);

    let granted = client.grant_group_admin(authed(grant, &admin)).await.unwrap().into_inner();
    assert!(granted.memberships.iter().any(|membership| membership.role == proto::Role::GroupAdmin as i32));
    // Identity reads roles from the database: the same token now sees the group.
    let listed = client.list_agency_staff(authed(staff, &buyer.access_token)).await.unwrap().into_inner();
    assert_eq!(listed.users.len(), 3);
    let audit = nds_common::audit::for_target(&identity.db, "user", &buyer_id).await.unwrap();
    let last = audit.last().unwrap();
    assert_eq!(last.action, "membership.granted");
    assert!(last.actor.starts_with("user:"));
    assert!(last.detail.contains("GROUP_ADMIN"));
}

#[tokio::test]
async fn an_invitation_for_an_existing_account_needs_that_accounts_password() {
    let (identity, demo) = seeded().await;
    let agency = &demo.agencies[2];
    let manager = token(&identity, demo_email(&demo, Role::AgencyManager, Some(&agency.name))).await;
    let (buyer_email, buyer_password) = demo_email(&demo, Role::Buyer, None);
    let mut client = identity.client.clone();
    client
        .invite_staff(authed(
            proto::InviteStaffRequest {
                agency_id: agency.agency_id.to_string(),
                email: buyer_email.to_uppercase(),
                role: proto::Role::Salesperson as i32,
            },
            &manager,
        ))
        .await
        .unwrap();
    let invitation_token = token_in(&identity.mails_to(&buyer_email).pop().unwrap());
    let hijack = client
        .accept_invitation(proto::AcceptInvitationRequest {
            token: invitation_token.clone(),
            name: "Someone Else".into(),
            password: "a brand new password".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(code_of(&hijack), ErrorCode::Unauthenticated);
    identity.log_in(&buyer_email, &buyer_password).await.unwrap();

    let accepted = client
        .accept_invitation(proto::AcceptInvitationRequest {
            token: invitation_token,
            name: "ignored".into(),
            password: buyer_password.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let user = accepted.user.unwrap();
    assert_ne!(user.name, "ignored", "an existing account keeps its name");
    let roles: Vec<i32> = user.memberships.iter().map(|membership| membership.role).collect();
    assert_eq!(roles, vec![proto::Role::Buyer as i32, proto::Role::Salesperson as i32]);
}
