//! An agency's suspension in catalog: its listings leave the public and the feed
//! says so (search follows it); reinstating brings them back. Only platform admins
//! and internal services may set it; anything else changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use nds_common::ErrorCode;
use nds_common::testing::TestDatabase;
use nds_proto::catalog::v1 as wire;
use nds_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use nds_proto::common::v1 as common;
use support::*;
use tonic::transport::Channel;

async fn suspend(
    client: &mut CatalogServiceClient<Channel>,
    agency: Agency,
    suspended: bool,
    token: Option<&str>,
) -> Result<u32, tonic::Status> {
    client
        .set_agency_suspended(request(
            wire::SetAgencySuspendedRequest { agency_id: agency.agency_id.to_string(), suspended },
            token,
        ))
        .await
        .map(|response| response.into_inner().listings_changed)
}

async fn public_listing(client: &mut CatalogServiceClient<Channel>, id: &str) -> Result<wire::Listing, ErrorCode> {
    client
        .get_listing(request(wire::GetListingRequest { id: id.to_string() }, None))
        .await
        .map(|response| response.into_inner())
        .map_err(|status| code_of(&status))
}

async fn public_list(client: &mut CatalogServiceClient<Channel>, agency: Agency) -> Vec<String> {
    let message = wire::ListListingsRequest {
        agency_id: agency.agency_id.to_string(),
        page: Some(common::PageRequest { first: 50, after: String::new() }),
        ..Default::default()
    };
    let response = client.list_listings(request(message, None)).await.unwrap().into_inner();
    response.listings.into_iter().map(|listing| listing.id).collect()
}

/// The ids on the public sitemap (one page holds them all here) and its count.
async fn sitemap(client: &mut CatalogServiceClient<Channel>) -> (Vec<String>, Option<u64>) {
    let message = wire::ListSitemapRequest { first: 0, after: String::new(), include_total: true };
    let page = client.list_sitemap(request(message, None)).await.unwrap().into_inner();
    let mut ids: Vec<String> = page.entries.into_iter().map(|entry| entry.id).collect();
    ids.sort();
    (ids, page.total_count)
}

#[tokio::test]
async fn a_suspended_agencys_listings_leave_the_public_and_come_back() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let world = World::new();
    let manager = manager_token(world.own);
    let published = create_published(&mut client, &manager, &vin(1)).await;
    let draft = create(&mut client, &manager, &vin(2)).await;
    let other = create_published(&mut client, &manager_token(world.foreign), &vin(3)).await;
    let feed_before = feed_length(&mut client).await;

    // Nobody else may: nothing changes.
    for token in [Some(manager.clone()), Some(group_admin_token(world.own.group_id)), Some(buyer_token()), None] {
        let refused = suspend(&mut client, world.own, true, token.as_deref()).await.unwrap_err();
        assert!(matches!(code_of(&refused), ErrorCode::Forbidden | ErrorCode::Unauthenticated), "{refused:?}");
    }
    assert_eq!(feed_length(&mut client).await, feed_before, "a refused call writes no change");
    let bad_id = client
        .set_agency_suspended(request(
            wire::SetAgencySuspendedRequest { agency_id: "not-an-id".into(), suspended: true },
            Some(&platform_admin_token()),
        ))
        .await
        .unwrap_err();
    assert_eq!((code_of(&bad_id), field_of(&bad_id).as_deref()), (ErrorCode::BadUserInput, Some("agencyId")));

    // Suspended: both listings flagged, one change each, the public sees neither.
    assert_eq!(suspend(&mut client, world.own, true, Some(&platform_admin_token())).await.unwrap(), 2);
    assert_eq!(feed_length(&mut client).await, feed_before + 2);
    assert_eq!(public_listing(&mut client, &published.id).await.unwrap_err(), ErrorCode::NotFound);
    assert!(public_list(&mut client, world.own).await.is_empty());
    assert_eq!(public_listing(&mut client, &other.id).await.unwrap().id, other.id, "other agencies are untouched");
    assert_eq!(sitemap(&mut client).await, (vec![other.id.clone()], Some(1)), "the sitemap lists only what is public");
    let scanned = client
        .scan_listings(request(
            wire::ScanListingsRequest {
                status: 0,
                page: Some(common::PageRequest { first: 50, after: String::new() }),
            },
            Some(&internal_token()),
        ))
        .await
        .unwrap()
        .into_inner();
    let flagged: Vec<&str> =
        scanned.listings.iter().filter(|listing| listing.agency_suspended).map(|listing| listing.id.as_str()).collect();
    assert_eq!(flagged.len(), 2);
    assert!(flagged.contains(&published.id.as_str()) && flagged.contains(&draft.id.as_str()));

    // Again: nothing left to change.
    assert_eq!(suspend(&mut client, world.own, true, Some(&internal_token())).await.unwrap(), 0);

    // Reinstated: public again, with a newer version than before.
    assert_eq!(suspend(&mut client, world.own, false, Some(&platform_admin_token())).await.unwrap(), 2);
    let back = public_listing(&mut client, &published.id).await.unwrap();
    assert!(!back.agency_suspended);
    assert_eq!(back.version, published.version + 2);
    assert_eq!(public_list(&mut client, world.own).await, vec![published.id.clone()]);
    let mut both = vec![published.id.clone(), other.id.clone()];
    both.sort();
    assert_eq!(sitemap(&mut client).await, (both, Some(2)));
}
