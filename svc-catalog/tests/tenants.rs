//! The tenant matrix over gRPC: every operation × every role × own agency / another
//! agency of the same group / another group. Denials are FORBIDDEN or NOT_FOUND
//! (UNAUTHENTICATED for anonymous writes), return no data, change no row and emit
//! no change.

// A test crate: helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use nds_common::ErrorCode;
use nds_common::testing::TestDatabase;
use nds_proto::catalog::v1 as wire;
use nds_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use nds_proto::common::v1 as common;
use support::*;
use tonic::transport::Channel;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Allowed,
    Denied(ErrorCode),
}

use Expect::{Allowed, Denied};

const NOT_FOUND: Expect = Denied(ErrorCode::NotFound);
const FORBIDDEN: Expect = Denied(ErrorCode::Forbidden);
const UNAUTHENTICATED: Expect = Denied(ErrorCode::Unauthenticated);

/// One caller and what it may do with the own agency's listings.
struct Case {
    name: &'static str,
    token: Option<String>,
    /// Read a draft (get, batch get, price history, private list).
    read_draft: Expect,
    /// Edit or change the status of a draft.
    manage_draft: Expect,
    /// Edit a published listing (everyone sees it; few may change it).
    manage_published: Expect,
    /// Agency metrics.
    metrics: Expect,
}

fn cases(world: World) -> Vec<Case> {
    vec![
        Case {
            name: "manager of the agency",
            token: Some(manager_token(world.own)),
            read_draft: Allowed,
            manage_draft: Allowed,
            manage_published: Allowed,
            metrics: Allowed,
        },
        Case {
            name: "salesperson of the agency",
            token: Some(salesperson_token(world.own)),
            read_draft: Allowed,
            manage_draft: Allowed,
            manage_published: Allowed,
            // Agency metrics are the manager's (revenue is among them).
            metrics: FORBIDDEN,
        },
        Case {
            name: "manager of a sibling agency",
            token: Some(manager_token(world.sibling)),
            read_draft: NOT_FOUND,
            manage_draft: NOT_FOUND,
            manage_published: FORBIDDEN,
            metrics: FORBIDDEN,
        },
        Case {
            name: "salesperson of a sibling agency",
            token: Some(salesperson_token(world.sibling)),
            read_draft: NOT_FOUND,
            manage_draft: NOT_FOUND,
            manage_published: FORBIDDEN,
            metrics: FORBIDDEN,
        },
        Case {
            name: "manager of another group's agency",
            token: Some(manager_token(world.foreign)),
            read_draft: NOT_FOUND,
            manage_draft: NOT_FOUND,
            manage_published: FORBIDDEN,
            metrics: FORBIDDEN,
        },
        Case {
            name: "salesperson of another group's agency",
            token: Some(salesperson_token(world.foreign)),
            read_draft: NOT_FOUND,
            manage_draft: NOT_FOUND,
            manage_published: FORBIDDEN,
            metrics: FORBIDDEN,
        },
        Case {
            name: "admin of the group",
            token: Some(group_admin_token(world.own.group_id)),
            read_draft: Allowed,
            manage_draft: FORBIDDEN,
            manage_published: FORBIDDEN,
            metrics: Allowed,
        },
        Case {
            name: "admin of another group",
            token: Some(group_admin_token(world.foreign.group_id)),
            read_draft: NOT_FOUND,
            manage_draft: NOT_FOUND,
            manage_published: FORBIDDEN,
            metrics: FORBIDDEN,
        },
        Case {
            name: "buyer",
            token: Some(buyer_token()),
            read_draft: NOT_FOUND,
            manage_draft: NOT_FOUND,
            manage_published: FORBIDDEN,
            metrics: FORBIDDEN,
        },
        Case {
            name: "anonymous",
            token: None,
            read_draft: NOT_FOUND,
            manage_draft: NOT_FOUND,
            manage_published: UNAUTHENTICATED,
            metrics: UNAUTHENTICATED,
        },
        Case {
            name: "platform admin",
            token: Some(platform_admin_token()),
            read_draft: Allowed,
            manage_draft: Allowed,
            manage_published: Allowed,
            metrics: Allowed,
        },
    ]
}

fn check<T: std::fmt::Debug>(
    case: &str,
    operation: &str,
    expect: Expect,
    result: Result<T, tonic::Status>,
) -> Option<T> {
    match (expect, result) {
        (Allowed, Ok(value)) => Some(value),
        (Allowed, Err(status)) => panic!("{case} / {operation}: expected success, got {status:?}"),
        (Denied(code), Ok(value)) => panic!("{case} / {operation}: expected {code}, got {value:?}"),
        (Denied(code), Err(status)) => {
            assert_eq!(code_of(&status), code, "{case} / {operation}: {}", status.message());
            None
        }
    }
}

async fn read_as_owner(client: &mut CatalogServiceClient<Channel>, id: &str) -> wire::Listing {
    let owner = platform_admin_token();
    client.get_listing(request(wire::GetListingRequest { id: id.into() }, Some(&owner))).await.unwrap().into_inner()
}

#[tokio::test]
async fn every_role_gets_exactly_its_rights_on_every_operation() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let world = World::new();
    let manager = manager_token(world.own);

    for case in cases(world) {
        let token = case.token.as_deref();
        let draft = create(&mut client, &manager, "").await;
        let published = create_published(&mut client, &manager, "").await;
        let feed_before = feed_length(&mut client).await;

        // Reads of a draft.
        let read = client.get_listing(request(wire::GetListingRequest { id: draft.id.clone() }, token)).await;
        check(case.name, "get draft", case.read_draft, read.map(|response| response.into_inner().id));
        let history = client
            .get_price_history(request(wire::GetPriceHistoryRequest { listing_id: draft.id.clone() }, token))
            .await;
        check(
            case.name,
            "price history of draft",
            case.read_draft,
            history.map(|response| response.into_inner().points.len()),
        );
        let batch = client
            .get_listings(request(
                wire::GetListingsRequest { ids: vec![draft.id.clone(), published.id.clone()] },
                token,
            ))
            .await
            .unwrap()
            .into_inner();
        let expected_batch = if case.read_draft == Allowed { 2 } else { 1 };
        assert_eq!(batch.listings.len(), expected_batch, "{} / batch get: invisible ids are absent", case.name);
        let drafts = client
            .list_listings(request(
                wire::ListListingsRequest {
                    agency_id: world.own.agency_id.to_string(),
                    status: wire::ListingStatus::Draft as i32,
                    ..Default::default()
                },
                token,
            ))
            .await
            .unwrap()
            .into_inner();
        let visible_drafts =
            drafts.listings.iter().filter(|listing| listing.status == wire::ListingStatus::Draft as i32).count();
        if case.read_draft == Allowed {
            assert!(visible_drafts >= 1, "{} / list drafts", case.name);
        } else {
            assert_eq!(visible_drafts, 0, "{} / list drafts leaks", case.name);
            assert_eq!(drafts.page_info.unwrap().total_count, 0, "{} / draft count leaks", case.name);
        }
        let public = client
            .list_listings(request(
                wire::ListListingsRequest { agency_id: world.own.agency_id.to_string(), ..Default::default() },
                token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(
            public.listings.iter().any(|listing| listing.id == published.id),
            "{} / published is public",
            case.name
        );

        let metrics = client
            .get_metrics(request(
                wire::GetMetricsRequest {
                    scope: Some(common::MetricsScope {
                        scope: Some(common::metrics_scope::Scope::AgencyId(world.own.agency_id.to_string())),
                    }),
                    range: None,
                    interval: 0,
                },
                token,
            ))
            .await;
        check(case.name, "agency metrics", case.metrics, metrics.map(|response| response.into_inner().metrics.len()));

        // Writes: denials change nothing.
        let patch = wire::ListingPatch { mileage_km: Some(12_345), ..Default::default() };
        let update_draft = client
            .update_listing(request(
                wire::UpdateListingRequest {
                    id: draft.id.clone(),
                    expected_version: draft.version,
                    patch: Some(patch.clone()),
                },
                token,
            ))
            .await;
        check(case.name, "update draft", case.manage_draft, update_draft.map(|response| response.into_inner().version));
        let update_published = client
            .update_listing(request(
                wire::UpdateListingRequest {
                    id: published.id.clone(),
                    expected_version: published.version,
                    patch: Some(patch),
                },
                token,
            ))
            .await;
        check(
            case.name,
            "update published",
            case.manage_published,
            update_published.map(|response| response.into_inner().version),
        );
        let current = read_as_owner(&mut client, &draft.id).await;
        let publish_draft = client
            .publish_listing(request(
                wire::ListingTransitionRequest { id: draft.id.clone(), expected_version: current.version },
                token,
            ))
            .await;
        check(
            case.name,
            "publish draft",
            case.manage_draft,
            publish_draft.map(|response| response.into_inner().status),
        );
        let current = read_as_owner(&mut client, &published.id).await;
        let archive = client
            .archive_listing(request(
                wire::ListingTransitionRequest { id: published.id.clone(), expected_version: current.version },
                token,
            ))
            .await;
        check(
            case.name,
            "archive published",
            case.manage_published,
            archive.map(|response| response.into_inner().status),
        );

        let writes_allowed = [case.manage_draft, case.manage_draft, case.manage_published, case.manage_published]
            .iter()
            .filter(|expect| **expect == Allowed)
            .count() as i64;
        assert_eq!(feed_length(&mut client).await, feed_before + writes_allowed, "{}: change rows", case.name);
        if case.manage_draft != Allowed {
            assert_eq!(read_as_owner(&mut client, &draft.id).await, draft, "{}: draft untouched", case.name);
        }
        if case.manage_published != Allowed {
            let after = read_as_owner(&mut client, &published.id).await;
            assert_eq!(
                (after.version, after.status, after.mileage_km),
                (published.version, published.status, published.mileage_km),
                "{}: published untouched",
                case.name
            );
        }
    }
    catalog.stop().await;
}

#[tokio::test]
async fn callers_cannot_choose_someone_elses_agency_and_metrics_scopes_are_checked() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let world = World::new();
    create(&mut client, &manager_token(world.own), "").await;

    let foreign_scope = |scope| {
        request(
            wire::GetMetricsRequest {
                scope: Some(common::MetricsScope { scope: Some(scope) }),
                range: None,
                interval: 0,
            },
            None,
        )
    };
    let cases = [
        (
            manager_token(world.own),
            common::metrics_scope::Scope::GroupId(world.own.group_id.to_string()),
            ErrorCode::Forbidden,
        ),
        (
            group_admin_token(world.own.group_id),
            common::metrics_scope::Scope::GroupId(world.foreign.group_id.to_string()),
            ErrorCode::Forbidden,
        ),
        (group_admin_token(world.own.group_id), common::metrics_scope::Scope::Platform(true), ErrorCode::Forbidden),
        (
            manager_token(world.sibling),
            common::metrics_scope::Scope::AgencyId(world.own.agency_id.to_string()),
            ErrorCode::Forbidden,
        ),
    ];
    for (token, scope, code) in cases {
        let mut call = foreign_scope(scope.clone());
        call.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        let status = client.get_metrics(call).await.unwrap_err();
        assert_eq!(code_of(&status), code, "{scope:?}");
    }
    let group_metrics = client
        .get_metrics(request(
            wire::GetMetricsRequest {
                scope: Some(common::MetricsScope {
                    scope: Some(common::metrics_scope::Scope::GroupId(world.own.group_id.to_string())),
                }),
                range: None,
                interval: 0,
            },
            Some(&group_admin_token(world.own.group_id)),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        group_metrics
            .metrics
            .iter()
            .any(|metric| metric.name == "listings" && metric.label == "DRAFT" && metric.value == 1.0)
    );

    // A manager of two agencies must name one; naming a foreign one is refused.
    let two_agencies = manager_of_many(&[world.own, world.sibling]);
    let create_for = |agency_id: String| {
        request(wire::CreateListingRequest { agency_id, input: Some(listing_input("")) }, Some(&two_agencies))
    };
    let status = client.create_listing(create_for(String::new())).await.unwrap_err();
    assert_eq!((code_of(&status), field_of(&status).as_deref()), (ErrorCode::BadUserInput, Some("agencyId")));
    let status = client.create_listing(create_for(world.foreign.agency_id.to_string())).await.unwrap_err();
    assert_eq!(code_of(&status), ErrorCode::Forbidden);
    let created = client.create_listing(create_for(world.sibling.agency_id.to_string())).await.unwrap().into_inner();
    assert_eq!(
        (created.agency_id, created.group_id),
        (world.sibling.agency_id.to_string(), world.sibling.group_id.to_string())
    );
    catalog.stop().await;
}
