//! End-to-end gRPC tests of listings: the manager's and buyer's journey, the bad
//! input list of the issue, promotions, views and the cache.

// A test crate: helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use nds_common::ErrorCode;
use nds_common::cache::RedisCache;
use nds_common::testing::{TestDatabase, redis_prefix, redis_url};
use nds_proto::catalog::v1 as wire;
use nds_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use nds_proto::common::v1 as common;
use support::*;
use tonic::transport::Channel;

#[tokio::test]
async fn a_manager_creates_edits_publishes_and_sells_and_a_buyer_reads_favourites_and_saves_a_search() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let world = World::new();
    let manager = manager_token(world.own);
    let buyer = buyer_token();

    let draft = create(&mut client, &manager, &vin(1)).await;
    assert_eq!(draft.status, wire::ListingStatus::Draft as i32);
    assert_eq!(draft.version, 1);
    assert_eq!((draft.make.as_str(), draft.model.as_str(), draft.color.as_str()), ("nissan", "versa", "white"));
    assert_eq!(draft.agency_id, world.own.agency_id.to_string());
    assert_eq!(draft.group_id, world.own.group_id.to_string());
    assert_eq!(draft.state, "Jalisco");

    // The buyer cannot see the draft yet.
    let hidden = client.get_listing(request(wire::GetListingRequest { id: draft.id.clone() }, Some(&buyer))).await;
    assert_eq!(code_of(&hidden.unwrap_err()), ErrorCode::NotFound);

    let patch = wire::ListingPatch {
        price: Some(common::Money { amount_minor: 27_900_000, currency: "MXN".into() }),
        mileage_km: Some(36_000),
        ..Default::default()
    };
    let edited = client
        .update_listing(request(
            wire::UpdateListingRequest { id: draft.id.clone(), expected_version: 1, patch: Some(patch) },
            Some(&manager),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(edited.version, 2);
    assert_eq!(edited.price.as_ref().unwrap().amount_minor, 27_900_000);

    let published = publish(&mut client, &manager, &edited).await;
    assert_eq!(published.status, wire::ListingStatus::Published as i32);
    assert!(published.published_at_unix > 0);

    let read = client
        .get_listing(request(wire::GetListingRequest { id: draft.id.clone() }, Some(&buyer)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.version, 3);
    let anonymous = client.get_listing(request(wire::GetListingRequest { id: draft.id.clone() }, None)).await.unwrap();
    assert_eq!(anonymous.into_inner().id, draft.id);

    let added = client
        .add_favourite(request(wire::FavouriteRequest { listing_id: draft.id.clone() }, Some(&buyer)))
        .await
        .unwrap()
        .into_inner();
    assert!(added.changed);
    let again = client
        .add_favourite(request(wire::FavouriteRequest { listing_id: draft.id.clone() }, Some(&buyer)))
        .await
        .unwrap()
        .into_inner();
    assert!(!again.changed, "favouriting twice changes nothing");
    let favourites = client
        .list_favourites(request(wire::ListFavouritesRequest { page: None }, Some(&buyer)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(favourites.listings.len(), 1);
    assert_eq!(favourites.page_info.unwrap().total_count, 1);

    let filters = common::SearchFilters {
        makes: vec!["nissan".into()],
        price_max: Some(30_000_000),
        body_types: vec![common::BodyType::Sedan as i32],
        sort: common::SearchSort::PriceAsc as i32,
        ..Default::default()
    };
    let saved = client
        .save_search(request(
            wire::SaveSearchRequest {
                name: "Versa barato".into(),
                text: "versa menos de 300 mil".into(),
                filters: Some(filters.clone()),
            },
            Some(&buyer),
        ))
        .await
        .unwrap()
        .into_inner();
    let listed = client
        .list_saved_searches(request(wire::ListSavedSearchesRequest {}, Some(&buyer)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.saved_searches, vec![saved]);
    assert_eq!(listed.saved_searches[0].filters.as_ref(), Some(&filters), "the structured filters are kept");

    let sold = client
        .mark_listing_sold(request(
            wire::ListingTransitionRequest { id: draft.id.clone(), expected_version: read.version },
            Some(&manager),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sold.status, wire::ListingStatus::Sold as i32);
    // Sold is terminal.
    let relist = client
        .publish_listing(request(
            wire::ListingTransitionRequest { id: draft.id.clone(), expected_version: 0 },
            Some(&manager),
        ))
        .await
        .unwrap_err();
    assert_eq!(code_of(&relist), ErrorCode::Conflict);

    let history = client
        .get_price_history(request(wire::GetPriceHistoryRequest { listing_id: draft.id.clone() }, Some(&manager)))
        .await
        .unwrap()
        .into_inner();
    let prices: Vec<i64> = history.points.iter().map(|point| point.price.as_ref().unwrap().amount_minor).collect();
    assert_eq!(prices, vec![28_500_000, 27_900_000]);

    // created, updated, published, sold: four changes, versions 1..=4, in order.
    let mut stream = client
        .stream_changes(request(wire::StreamChangesRequest { after_sequence: 0 }, Some(&internal_token())))
        .await
        .unwrap()
        .into_inner();
    let mut kinds = Vec::new();
    for _ in 0..4 {
        let change = tokio::time::timeout(Duration::from_secs(5), stream.message()).await.unwrap().unwrap().unwrap();
        kinds.push((change.sequence, change.kind, change.listing.unwrap().version));
    }
    assert_eq!(
        kinds,
        vec![
            (1, wire::ChangeKind::Created as i32, 1),
            (2, wire::ChangeKind::Updated as i32, 2),
            (3, wire::ChangeKind::StatusChanged as i32, 3),
            (4, wire::ChangeKind::StatusChanged as i32, 4),
        ]
    );
    drop(stream);
    catalog.stop().await;
}

/// Runs `call`, expects `code` (and `field`), and checks nothing was written.
macro_rules! rejected {
    ($client:expr, $call:expr, $code:expr, $field:expr) => {{
        let before = feed_length(&mut $client).await;
        let status = $call.await.expect_err("must be rejected");
        assert_eq!(code_of(&status), $code, "{}", status.message());
        if let Some(field) = $field {
            assert_eq!(field_of(&status).as_deref(), Some(field), "{}", status.message());
        }
        assert_eq!(feed_length(&mut $client).await, before, "a rejected call wrote a change row");
    }};
}

#[tokio::test]
async fn bad_input_gets_the_contracts_code_and_writes_nothing() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let world = World::new();
    let manager = manager_token(world.own);
    let create_with = |input: wire::ListingInput| {
        request(wire::CreateListingRequest { agency_id: String::new(), input: Some(input) }, Some(&manager))
    };

    let mut bad_vin = listing_input("1M8GDM9A1KP042788");
    bad_vin.vin = "1M8GDM9A1KP042788".into();
    rejected!(client, client.clone().create_listing(create_with(bad_vin)), ErrorCode::BadUserInput, Some("vin"));
    let mut negative = listing_input("");
    negative.price = Some(common::Money { amount_minor: -100, currency: "MXN".into() });
    rejected!(client, client.clone().create_listing(create_with(negative)), ErrorCode::BadUserInput, Some("price"));
    let mut unknown_enum = listing_input("");
    unknown_enum.body_type = 99;
    rejected!(
        client,
        client.clone().create_listing(create_with(unknown_enum)),
        ErrorCode::BadUserInput,
        Some("bodyType")
    );
    let mut oversized = listing_input("");
    oversized.attributes_json = serde_json::json!({ "notes": "x".repeat(9 * 1024) }).to_string();
    rejected!(
        client,
        client.clone().create_listing(create_with(oversized)),
        ErrorCode::BadUserInput,
        Some("attributes")
    );
    let mut unknown_make = listing_input("");
    unknown_make.make = "Trabant".into();
    rejected!(client, client.clone().create_listing(create_with(unknown_make)), ErrorCode::BadUserInput, Some("make"));
    rejected!(
        client,
        client.clone().create_listing(request(
            wire::CreateListingRequest {
                agency_id: world.sibling.agency_id.to_string(),
                input: Some(listing_input(""))
            },
            Some(&manager),
        )),
        ErrorCode::Forbidden,
        None::<&str>
    );
    rejected!(
        client,
        client.clone().create_listing(request(
            wire::CreateListingRequest { agency_id: String::new(), input: Some(listing_input("")) },
            Some(&platform_admin_token()),
        )),
        ErrorCode::Forbidden,
        None::<&str>
    );

    // Duplicate live VIN: the second publish is a CONFLICT on "vin".
    let first = create_published(&mut client, &manager, &vin(7)).await;
    let second = create(&mut client, &manager, &vin(7)).await;
    rejected!(
        client,
        client.clone().publish_listing(request(
            wire::ListingTransitionRequest { id: second.id.clone(), expected_version: second.version },
            Some(&manager),
        )),
        ErrorCode::Conflict,
        Some("vin")
    );

    // Stale version.
    let stale_patch = wire::ListingPatch { mileage_km: Some(1), ..Default::default() };
    rejected!(
        client,
        client.clone().update_listing(request(
            wire::UpdateListingRequest { id: first.id.clone(), expected_version: 1, patch: Some(stale_patch) },
            Some(&manager),
        )),
        ErrorCode::Conflict,
        None::<&str>
    );

    // A salesperson of another agency: published listing → FORBIDDEN, draft → NOT_FOUND.
    let intruder = salesperson_token(world.sibling);
    let patch = wire::ListingPatch {
        price: Some(common::Money { amount_minor: 1, currency: "MXN".into() }),
        ..Default::default()
    };
    rejected!(
        client,
        client.clone().update_listing(request(
            wire::UpdateListingRequest {
                id: first.id.clone(),
                expected_version: first.version,
                patch: Some(patch.clone())
            },
            Some(&intruder),
        )),
        ErrorCode::Forbidden,
        None::<&str>
    );
    rejected!(
        client,
        client.clone().update_listing(request(
            wire::UpdateListingRequest { id: second.id.clone(), expected_version: second.version, patch: Some(patch) },
            Some(&intruder),
        )),
        ErrorCode::NotFound,
        None::<&str>
    );

    // A buyer reading a draft by id.
    rejected!(
        client,
        client.clone().get_listing(request(wire::GetListingRequest { id: second.id.clone() }, Some(&buyer_token()))),
        ErrorCode::NotFound,
        None::<&str>
    );
    rejected!(
        client,
        client.clone().get_listing(request(wire::GetListingRequest { id: "not-a-uuid".into() }, None)),
        ErrorCode::BadUserInput,
        Some("id")
    );

    // Nothing above changed the listings themselves.
    let unchanged = client
        .get_listing(request(wire::GetListingRequest { id: first.id.clone() }, Some(&manager)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(unchanged, first);
    catalog.stop().await;
}

#[tokio::test]
async fn promotions_need_an_internal_caller_and_emit_a_promotion_change() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let world = World::new();
    let manager = manager_token(world.own);
    let listing = create_published(&mut client, &manager, "").await;
    let until = chrono::Utc::now().timestamp() + 30 * 86_400;
    let promote = |token: &str| {
        request(
            wire::SetPromotionRequest { listing_id: listing.id.clone(), promoted_until_unix: Some(until), rank: 5 },
            Some(token),
        )
    };

    rejected!(client, client.clone().set_promotion(promote(&manager)), ErrorCode::Forbidden, None::<&str>);
    rejected!(
        client,
        client.clone().set_promotion(promote(&group_admin_token(world.own.group_id))),
        ErrorCode::Forbidden,
        None::<&str>
    );

    let before = feed_length(&mut client).await;
    let promoted = client.set_promotion(promote(&internal_token())).await.unwrap().into_inner();
    assert_eq!(promoted.promoted_until_unix, Some(until));
    assert_eq!(promoted.promotion_rank, 5);
    assert_eq!(promoted.version, listing.version + 1);
    // The same promotion again is a no-op: no new version, no change row.
    let again = client.set_promotion(promote(&internal_token())).await.unwrap().into_inner();
    assert_eq!(again.version, promoted.version);
    assert_eq!(feed_length(&mut client).await, before + 1);

    let mut stream = client
        .stream_changes(request(wire::StreamChangesRequest { after_sequence: before }, Some(&internal_token())))
        .await
        .unwrap()
        .into_inner();
    let change = tokio::time::timeout(Duration::from_secs(5), stream.message()).await.unwrap().unwrap().unwrap();
    assert_eq!(change.kind, wire::ChangeKind::PromotionChanged as i32);
    assert_eq!(change.listing.unwrap().promoted_until_unix, Some(until));

    let cleared = client
        .set_promotion(request(
            wire::SetPromotionRequest { listing_id: listing.id.clone(), promoted_until_unix: None, rank: 0 },
            Some(&internal_token()),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cleared.promoted_until_unix, None);
    drop(stream);
    catalog.stop().await;
}

#[tokio::test]
async fn views_are_counted_in_redis_and_flushed_once_by_the_job() {
    let database = TestDatabase::postgres().await;
    let cache = std::sync::Arc::new(RedisCache::connect_lazy(&redis_url(), redis_prefix()).unwrap());
    let catalog = TestCatalog::start_with_cache(&database, cache).await;
    let mut client = catalog.client().await;
    let world = World::new();
    let manager = manager_token(world.own);
    let listing = create_published(&mut client, &manager, "").await;
    let draft = create(&mut client, &manager, "").await;

    for _ in 0..3 {
        client.record_view(request(wire::RecordViewRequest { listing_id: listing.id.clone() }, None)).await.unwrap();
    }
    // Staff looking at their own draft: allowed, not counted.
    client
        .record_view(request(wire::RecordViewRequest { listing_id: draft.id.clone() }, Some(&manager)))
        .await
        .unwrap();
    let hidden = client.record_view(request(wire::RecordViewRequest { listing_id: draft.id.clone() }, None)).await;
    assert_eq!(code_of(&hidden.unwrap_err()), ErrorCode::NotFound);

    let report = svc_catalog::run_job(&catalog.runtime, svc_catalog::FLUSH_VIEW_COUNTERS).await.unwrap();
    assert!(report.contains("added 3 views to 1 listings"), "{report}");
    let second = svc_catalog::run_job(&catalog.runtime, svc_catalog::FLUSH_VIEW_COUNTERS).await.unwrap();
    assert!(second.contains("added 0 views"), "running twice adds nothing: {second}");

    let metrics = client
        .get_metrics(request(
            wire::GetMetricsRequest {
                scope: Some(common::MetricsScope {
                    scope: Some(common::metrics_scope::Scope::AgencyId(world.own.agency_id.to_string())),
                }),
                range: None,
                interval: 0,
            },
            Some(&manager),
        ))
        .await
        .unwrap()
        .into_inner()
        .metrics;
    let value = |name: &str, label: &str| {
        metrics.iter().find(|metric| metric.name == name && metric.label == label).map(|metric| metric.value)
    };
    assert_eq!(value("views", ""), Some(3.0));
    assert_eq!(value("listings", "PUBLISHED"), Some(1.0));
    assert_eq!(value("listings", "DRAFT"), Some(1.0));
    assert_eq!(value("new_listings", ""), Some(2.0));
    // The owner sees the view count; the public does not.
    let owner_view =
        client.get_listing(request(wire::GetListingRequest { id: listing.id.clone() }, Some(&manager))).await.unwrap();
    assert_eq!(owner_view.into_inner().view_count, 3);
    let public_view =
        client.get_listing(request(wire::GetListingRequest { id: listing.id.clone() }, None)).await.unwrap();
    assert_eq!(public_view.into_inner().view_count, 0);
    assert!(svc_catalog::run_job(&catalog.runtime, "no-such-job").await.is_err());
    catalog.stop().await;
}

#[tokio::test]
async fn reads_succeed_from_the_database_when_redis_is_down_and_writes_invalidate_the_cache() {
    let database = TestDatabase::postgres().await;
    // Nothing listens on port 1.
    let dead = std::sync::Arc::new(RedisCache::connect_lazy("redis://127.0.0.1:1", "dead:").unwrap());
    let catalog = TestCatalog::start_with_cache(&database, dead).await;
    let mut client = catalog.client().await;
    let manager = manager_token(World::new().own);
    let listing = create_published(&mut client, &manager, "").await;
    let started = std::time::Instant::now();
    let read = client.get_listing(request(wire::GetListingRequest { id: listing.id.clone() }, None)).await.unwrap();
    assert_eq!(read.into_inner().version, listing.version);
    assert!(started.elapsed() < Duration::from_secs(2), "a dead cache costs milliseconds, not seconds");
    catalog.stop().await;

    // With a live cache: read (fills it), write, read again sees the write.
    let database = TestDatabase::postgres().await;
    let cache = std::sync::Arc::new(RedisCache::connect_lazy(&redis_url(), redis_prefix()).unwrap());
    let catalog = TestCatalog::start_with_cache(&database, cache).await;
    let mut client = catalog.client().await;
    let listing = create_published(&mut client, &manager, "").await;
    client.get_listing(request(wire::GetListingRequest { id: listing.id.clone() }, None)).await.unwrap();
    let patch = wire::ListingPatch { mileage_km: Some(99_000), ..Default::default() };
    client
        .update_listing(request(
            wire::UpdateListingRequest {
                id: listing.id.clone(),
                expected_version: listing.version,
                patch: Some(patch),
            },
            Some(&manager),
        ))
        .await
        .unwrap();
    let fresh = client.get_listing(request(wire::GetListingRequest { id: listing.id.clone() }, None)).await.unwrap();
    assert_eq!(fresh.into_inner().mileage_km, 99_000);
    catalog.stop().await;
}

/// Issue 15, item 11: a change stream is authorized when it starts and ends when
/// the token it was opened with expires (a feed consumer reconnects with a fresh
/// one from its cursor), saying why.
#[tokio::test]
async fn a_change_stream_ends_when_the_token_it_was_opened_with_expires() {
    use nds_common::testing::tokens::sign_access_token_expiring_in;
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let manager = manager_token(World::new().own);
    let expiring =
        sign_access_token_expiring_in("service", "service:search".into(), vec![], vec!["internal".into()], 3);

    let mut stream = client
        .stream_changes(request(wire::StreamChangesRequest { after_sequence: 0 }, Some(&expiring)))
        .await
        .unwrap()
        .into_inner();
    // Alive while the token is: a change made now arrives.
    let listing = create(&mut client, &manager, "").await;
    let change = tokio::time::timeout(Duration::from_secs(2), stream.message()).await.unwrap().unwrap().unwrap();
    assert_eq!(change.listing.unwrap().id, listing.id);

    let ended =
        tokio::time::timeout(Duration::from_secs(10), stream.message()).await.expect("the stream outlived its token");
    let status = ended.expect_err("the stream says why it ends");
    assert_eq!(code_of(&status), ErrorCode::Unauthenticated, "{}", status.message());
    assert!(status.message().contains("expired"), "{}", status.message());
    let after = tokio::time::timeout(Duration::from_secs(2), stream.message()).await.unwrap();
    assert!(matches!(after, Ok(None)), "nothing after the reason: {after:?}");
    catalog.stop().await;
}

async fn create_car(
    client: &mut CatalogServiceClient<Channel>,
    token: &str,
    (make, model): (&str, &str),
    vin: &str,
) -> wire::Listing {
    let input = wire::ListingInput { make: make.into(), model: model.into(), ..listing_input(vin) };
    let message = wire::CreateListingRequest { agency_id: String::new(), input: Some(input) };
    client.create_listing(request(message, Some(token))).await.unwrap().into_inner()
}

/// The ids a list answers for `search`, sorted, or the refusal's code and field.
async fn found(
    client: &mut CatalogServiceClient<Channel>,
    token: Option<&str>,
    agency: Option<Agency>,
    search: &str,
) -> Result<Vec<String>, (ErrorCode, Option<String>)> {
    let message = wire::ListListingsRequest {
        agency_id: agency.map(|agency| agency.agency_id.to_string()).unwrap_or_default(),
        search: search.into(),
        ..Default::default()
    };
    let response =
        client.list_listings(request(message, token)).await.map_err(|status| (code_of(&status), field_of(&status)))?;
    let mut ids: Vec<String> = response.into_inner().listings.into_iter().map(|listing| listing.id).collect();
    ids.sort();
    Ok(ids)
}

#[tokio::test]
async fn a_manager_finds_cars_by_make_model_or_vin_and_sees_no_one_elses() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let world = World::new();
    let manager = manager_token(world.own);
    let versa = create_published(&mut client, &manager, &vin(1)).await;
    let jetta = create_car(&mut client, &manager, ("Volkswagen", "Jetta"), &vin(2)).await;
    let aveo = create_car(&mut client, &manager, ("Chevrolet", "Aveo"), &vin(3)).await;
    let foreign = create_car(&mut client, &manager_token(world.foreign), ("Volkswagen", "Jetta"), &vin(4)).await;
    let foreign = publish(&mut client, &manager_token(world.foreign), &foreign).await;
    let own = Some(world.own);
    let sorted = |mut ids: Vec<String>| {
        ids.sort();
        ids
    };

    assert_eq!(found(&mut client, Some(&manager), own, "").await.unwrap().len(), 3, "nothing typed: everything");
    for (typed, expected) in [
        ("jetta", vec![jetta.id.clone()]),
        ("JETTA", vec![jetta.id.clone()]),
        ("vw", vec![jetta.id.clone()]),
        ("volks jetta", vec![jetta.id.clone()]),
        ("chev", vec![aveo.id.clone()]),
        ("ave", vec![aveo.id.clone()]),
        ("v", sorted(vec![versa.id.clone(), jetta.id.clone(), aveo.id.clone()])),
        (&vin(1).to_lowercase(), vec![versa.id.clone()]),
        // Words narrow: every one must match.
        ("nissan jetta", vec![]),
        // Inside a VIN is not a VIN search, and typed wildcards are literal.
        (&vin(1)[3..], vec![]),
        ("%", vec![]),
        ("_", vec![]),
    ] {
        assert_eq!(found(&mut client, Some(&manager), own, typed).await.unwrap(), expected, "{typed:?}");
    }

    // The search narrows what the caller may see, never widens it.
    assert_eq!(found(&mut client, None, own, "jetta").await.unwrap(), Vec::<String>::new(), "a draft stays private");
    assert_eq!(found(&mut client, None, None, "jetta").await.unwrap(), vec![foreign.id.clone()]);
    assert_eq!(found(&mut client, Some(&manager), None, "jetta").await.unwrap(), vec![jetta.id.clone()]);

    let too_long = "a".repeat(101);
    for refused in [too_long.as_str(), "a b c d e f g"] {
        let error = found(&mut client, Some(&manager), own, refused).await.unwrap_err();
        assert_eq!(error, (ErrorCode::BadUserInput, Some("search".to_string())), "{refused:?}");
    }
    catalog.stop().await;
}

/// Every page of the agency's inventory in `sort`, two rows at a time: the
/// (price, year, mileage) of each row in the order served.
async fn every_page_sorted(
    client: &mut CatalogServiceClient<Channel>,
    token: &str,
    agency: Agency,
    sort: common::SearchSort,
) -> Vec<(String, i64, i32, i64)> {
    let mut rows = Vec::new();
    let mut after = String::new();
    loop {
        let message = wire::ListListingsRequest {
            agency_id: agency.agency_id.to_string(),
            sort: sort as i32,
            page: Some(common::PageRequest { first: 2, after: after.clone() }),
            ..Default::default()
        };
        let response = client.list_listings(request(message, Some(token))).await.unwrap().into_inner();
        assert_eq!(response.page_info.as_ref().unwrap().total_count, 5);
        rows.extend(
            response
                .listings
                .into_iter()
                .map(|listing| (listing.id, listing.price.unwrap().amount_minor, listing.year, listing.mileage_km)),
        );
        let info = response.page_info.unwrap();
        if !info.has_next_page {
            return rows;
        }
        after = info.end_cursor;
    }
}

#[tokio::test]
async fn a_manager_pages_the_inventory_by_price_year_or_mileage_without_repeating_or_skipping_ties() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let world = World::new();
    let manager = manager_token(world.own);
    // Two cars share a price and two a year, so pages must break ties by id.
    let cars = [
        (31_000_000, 2019, 60_000),
        (25_900_000, 2021, 15_000),
        (31_000_000, 2021, 42_000),
        (18_500_000, 2016, 98_000),
        (44_000_000, 2023, 5_000),
    ];
    for (serial, (price, year, mileage_km)) in cars.iter().enumerate() {
        let input = wire::ListingInput {
            price: Some(common::Money { amount_minor: *price, currency: "MXN".into() }),
            year: *year,
            mileage_km: *mileage_km,
            ..listing_input(&vin(serial as u32 + 1))
        };
        let message = wire::CreateListingRequest { agency_id: String::new(), input: Some(input) };
        client.create_listing(request(message, Some(&manager))).await.unwrap();
    }
    // Someone else's car never appears in this agency's inventory.
    create(&mut client, &manager_token(world.foreign), &vin(9)).await;

    let by_price = every_page_sorted(&mut client, &manager, world.own, common::SearchSort::PriceAsc).await;
    let mut expected = by_price.clone();
    expected.sort_by(|left, right| (left.1, &left.0).cmp(&(right.1, &right.0)));
    assert_eq!(by_price, expected, "cheapest first, ties by id");
    assert_eq!(by_price.len(), 5, "every car once");

    let by_price_down = every_page_sorted(&mut client, &manager, world.own, common::SearchSort::PriceDesc).await;
    let reversed: Vec<_> = by_price.iter().rev().cloned().collect();
    assert_eq!(by_price_down, reversed);

    let by_year = every_page_sorted(&mut client, &manager, world.own, common::SearchSort::YearDesc).await;
    let years: Vec<i32> = by_year.iter().map(|row| row.2).collect();
    assert_eq!(years, vec![2023, 2021, 2021, 2019, 2016]);
    let by_mileage = every_page_sorted(&mut client, &manager, world.own, common::SearchSort::MileageAsc).await;
    let mileages: Vec<i64> = by_mileage.iter().map(|row| row.3).collect();
    assert_eq!(mileages, vec![5_000, 15_000, 42_000, 60_000, 98_000]);
    let newest = every_page_sorted(&mut client, &manager, world.own, common::SearchSort::Newest).await;
    let newest_prices: Vec<i64> = newest.iter().map(|row| row.1).collect();
    assert_eq!(newest_prices, cars.iter().rev().map(|car| car.0).collect::<Vec<_>>(), "the default order");

    // A cursor belongs to its sort; relevance is not an inventory order.
    let first_page = client
        .list_listings(request(
            wire::ListListingsRequest {
                agency_id: world.own.agency_id.to_string(),
                sort: common::SearchSort::PriceAsc as i32,
                page: Some(common::PageRequest { first: 2, after: String::new() }),
                ..Default::default()
            },
            Some(&manager),
        ))
        .await
        .unwrap()
        .into_inner();
    let cursor = first_page.page_info.unwrap().end_cursor;
    for (sort, after, field) in [
        (common::SearchSort::PriceDesc, cursor.as_str(), "after"),
        (common::SearchSort::Unspecified, cursor.as_str(), "after"),
        (common::SearchSort::Relevance, "", "sort"),
    ] {
        let message = wire::ListListingsRequest {
            agency_id: world.own.agency_id.to_string(),
            sort: sort as i32,
            page: Some(common::PageRequest { first: 2, after: after.into() }),
            ..Default::default()
        };
        let refused = client.list_listings(request(message, Some(&manager))).await.unwrap_err();
        assert_eq!(
            (code_of(&refused), field_of(&refused)),
            (ErrorCode::BadUserInput, Some(field.to_string())),
            "{sort:?}"
        );
    }
    catalog.stop().await;
}
