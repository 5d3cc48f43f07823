//! Demo data for `nds dev`: realistic, deterministic, through the real write path.

// A test crate: helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use nds_common::testing::TestDatabase;
use nds_proto::catalog::v1 as wire;
use nds_proto::common::v1 as common;
use support::*;
use svc_catalog::DemoAgencyRef;
use uuid::Uuid;

async fn scan_all(catalog: &TestCatalog) -> (Vec<wire::Listing>, i64) {
    let mut client = catalog.client().await;
    let mut listings = Vec::new();
    let mut after = String::new();
    loop {
        let page = client
            .scan_listings(request(
                wire::ScanListingsRequest {
                    status: 0,
                    page: Some(common::PageRequest { first: 100, after: after.clone() }),
                },
                Some(&internal_token()),
            ))
            .await
            .unwrap()
            .into_inner();
        listings.extend(page.listings);
        let info = page.page_info.unwrap();
        if !info.has_next_page {
            return (listings, page.feed_sequence);
        }
        after = info.end_cursor;
    }
}

fn agencies() -> Vec<DemoAgencyRef> {
    let group = Uuid::from_u128(1);
    vec![
        DemoAgencyRef {
            agency_id: Uuid::from_u128(10),
            group_id: group,
            city: "Guadalajara".into(),
            state: "Jalisco".into(),
        },
        DemoAgencyRef {
            agency_id: Uuid::from_u128(11),
            group_id: group,
            city: "Monterrey".into(),
            state: "Nuevo León".into(),
        },
        DemoAgencyRef {
            agency_id: Uuid::from_u128(12),
            group_id: Uuid::from_u128(2),
            city: "cdmx".into(),
            state: String::new(),
        },
    ]
}

#[tokio::test]
async fn demo_seeding_is_realistic_deterministic_and_runs_once() {
    let database = TestDatabase::sqlite();
    let catalog = TestCatalog::start(&database).await;
    assert_eq!(svc_catalog::seed_demo(&catalog.runtime, &agencies(), 120).await.unwrap(), 120);
    assert_eq!(
        svc_catalog::seed_demo(&catalog.runtime, &agencies(), 120).await.unwrap(),
        0,
        "listings exist: nothing to do"
    );

    let (listings, feed_sequence) = scan_all(&catalog).await;
    assert_eq!(listings.len(), 120);
    let count = |status: wire::ListingStatus| listings.iter().filter(|listing| listing.status == status as i32).count();
    let published = count(wire::ListingStatus::Published);
    let sold = count(wire::ListingStatus::Sold);
    let drafts = count(wire::ListingStatus::Draft);
    assert!((90..=112).contains(&published), "about 85% published, got {published}");
    assert!(sold > 0 && drafts > 0, "some sold ({sold}) and drafts ({drafts})");
    // Every listing went through the feed: created, published, maybe sold.
    assert_eq!(feed_sequence as usize, 120 + published + 2 * sold);
    for listing in &listings {
        assert_eq!(listing.price.as_ref().unwrap().currency, "MXN");
        assert!(listing.price.as_ref().unwrap().amount_minor >= 3_000_000, "{listing:?}");
        assert!(!listing.description.is_empty());
        assert!(nds_common::vehicle::canonical_make(&listing.make) == Some(listing.make.as_str()));
        if !listing.vin.is_empty() {
            assert!(svc_catalog::domain::vin::Vin::parse(&listing.vin).is_ok());
        }
    }
    assert!(listings.iter().any(|listing| listing.city == "Ciudad de México"));
    catalog.stop().await;

    // Same seed, same catalogue.
    let other = TestDatabase::sqlite();
    let second = TestCatalog::start(&other).await;
    svc_catalog::seed_demo(&second.runtime, &agencies(), 120).await.unwrap();
    let (again, _) = scan_all(&second).await;
    let shape = |listings: &[wire::Listing]| {
        listings
            .iter()
            .map(|listing| {
                (
                    listing.make.clone(),
                    listing.model.clone(),
                    listing.year,
                    listing.price.clone(),
                    listing.vin.clone(),
                    listing.status,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&listings), shape(&again));
    second.stop().await;
}
