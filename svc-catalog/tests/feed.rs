//! The change feed: never skips a committed change, delivers in order, and resumes
//! from a saved cursor after a restart.

// A test crate: helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use nds_common::ErrorCode;
use nds_common::testing::{Backend, TestDatabase};
use nds_proto::catalog::v1 as wire;
use sea_orm::ActiveModelTrait;
use support::*;
use svc_catalog::domain::validation::validate_listing;
use svc_catalog::domain::{ChangeKind, Listing, ListingStatus, Owner};
use svc_catalog::store::CatalogStore;
use svc_catalog::store::feed::append_change;
use svc_catalog::store::rows::listing_to_row;
use tonic::Streaming;
use uuid::Uuid;

/// Less than the 5 s safety re-check: delivery within it proves a wake-up worked.
const WAKE_UP_BUDGET: Duration = Duration::from_secs(2);

async fn next_change(stream: &mut Streaming<wire::ListingChange>, budget: Duration) -> wire::ListingChange {
    tokio::time::timeout(budget, stream.message())
        .await
        .expect("a change arrives in time")
        .expect("the stream is healthy")
        .expect("the stream is open")
}

async fn open_stream(catalog: &TestCatalog, after_sequence: i64) -> Streaming<wire::ListingChange> {
    catalog
        .client()
        .await
        .stream_changes(request(wire::StreamChangesRequest { after_sequence }, Some(&internal_token())))
        .await
        .unwrap()
        .into_inner()
}

fn domain_listing() -> Listing {
    let input = svc_catalog::domain::validation::ListingInput {
        make: "kia".into(),
        model: "rio".into(),
        year: 2021,
        price: Some(svc_catalog::domain::Money { amount_minor: 25_000_000, currency: "MXN".into() }),
        mileage_km: 10,
        body_type: Some(nds_common::vehicle::BodyType::Sedan),
        fuel: Some(nds_common::vehicle::Fuel::Gasoline),
        transmission: Some(nds_common::vehicle::Transmission::Manual),
        color: "azul".into(),
        condition: Some(nds_common::vehicle::Condition::Used),
        city: "Puebla".into(),
        ..Default::default()
    };
    Listing {
        id: Uuid::now_v7(),
        owner: Owner { agency_id: Uuid::new_v4(), group_id: Uuid::new_v4() },
        status: ListingStatus::Draft,
        version: 1,
        fields: validate_listing(&input, 2026).unwrap(),
        promotion: None,
        created_at_unix: 1,
        updated_at_unix: 1,
        published_at_unix: None,
        view_count: 0,
        agency_suspended: false,
    }
}

#[tokio::test]
async fn two_transactions_committing_in_reverse_order_are_both_delivered() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut stream = open_stream(&catalog, 0).await;
    // A second connection writing directly, like another catalog process would: only
    // PostgreSQL NOTIFY (or the periodic re-check) can wake the stream for these.
    let store = CatalogStore::new(nds_common::db::connect(database.url()).await.unwrap());

    // A starts first and writes its row, B starts later and commits first.
    let listing_a = domain_listing();
    let listing_b = domain_listing();
    let transaction_a = store.begin_write().await.unwrap().transaction;
    listing_to_row(&listing_a).insert(&transaction_a).await.unwrap();
    let transaction_b = store.begin_write().await.unwrap().transaction;
    listing_to_row(&listing_b).insert(&transaction_b).await.unwrap();
    append_change(&transaction_b, ChangeKind::Created, &listing_b, 2).await.unwrap();
    transaction_b.commit().await.unwrap();

    let first = next_change(&mut stream, WAKE_UP_BUDGET).await;
    assert_eq!(first.listing.as_ref().unwrap().id, listing_b.id.to_string());

    // A commits after the consumer already moved past B: it must still be delivered.
    append_change(&transaction_a, ChangeKind::Created, &listing_a, 3).await.unwrap();
    transaction_a.commit().await.unwrap();
    let second = next_change(&mut stream, WAKE_UP_BUDGET).await;
    assert_eq!(second.listing.as_ref().unwrap().id, listing_a.id.to_string());
    assert!(second.sequence > first.sequence);

    // C takes its position and holds it uncommitted; D's position must wait for C's
    // commit, so positions follow commit order and no reader can pass C unseen.
    let listing_c = domain_listing();
    let listing_d = domain_listing();
    let transaction_c = store.begin_write().await.unwrap().transaction;
    listing_to_row(&listing_c).insert(&transaction_c).await.unwrap();
    append_change(&transaction_c, ChangeKind::Created, &listing_c, 4).await.unwrap();
    let writer_d = tokio::spawn({
        let store = store.clone();
        let listing_d = listing_d.clone();
        async move {
            let transaction_d = store.begin_write().await.unwrap().transaction;
            listing_to_row(&listing_d).insert(&transaction_d).await.unwrap();
            let sequence = append_change(&transaction_d, ChangeKind::Created, &listing_d, 5).await.unwrap();
            transaction_d.commit().await.unwrap();
            sequence
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!writer_d.is_finished(), "D got a position while C's was still uncommitted");
    let nothing_yet = tokio::time::timeout(Duration::from_millis(300), stream.message()).await;
    assert!(nothing_yet.is_err(), "nothing is delivered before C commits");
    transaction_c.commit().await.unwrap();
    let sequence_d = writer_d.await.unwrap();

    let third = next_change(&mut stream, WAKE_UP_BUDGET).await;
    let fourth = next_change(&mut stream, WAKE_UP_BUDGET).await;
    assert_eq!(third.listing.as_ref().unwrap().id, listing_c.id.to_string());
    assert_eq!(fourth.listing.as_ref().unwrap().id, listing_d.id.to_string());
    assert_eq!((third.sequence, fourth.sequence), (sequence_d - 1, sequence_d));
    drop(stream);
    catalog.stop().await;
}

/// Creates a listing and changes it twice: three changes.
async fn three_changes(catalog: &TestCatalog, token: &str) {
    let mut client = catalog.client().await;
    let draft = create(&mut client, token, "").await;
    let published = publish(&mut client, token, &draft).await;
    client
        .archive_listing(request(
            wire::ListingTransitionRequest { id: published.id.clone(), expected_version: published.version },
            Some(token),
        ))
        .await
        .unwrap();
}

async fn every_change_exactly_once_in_order_across_a_restart(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let manager = manager_token(World::new().own);
    let catalog = TestCatalog::start(&database).await;
    three_changes(&catalog, &manager).await;
    three_changes(&catalog, &manager).await;

    let mut received = Vec::new();
    let mut stream = open_stream(&catalog, 0).await;
    for _ in 0..4 {
        received.push(next_change(&mut stream, WAKE_UP_BUDGET).await);
    }
    let saved_cursor = received.last().unwrap().sequence;
    drop(stream);
    catalog.stop().await;

    // The service restarts; more changes commit while the consumer is away.
    let catalog = TestCatalog::start(&database).await;
    three_changes(&catalog, &manager).await;
    let mut stream = open_stream(&catalog, saved_cursor).await;
    for _ in 0..5 {
        received.push(next_change(&mut stream, WAKE_UP_BUDGET).await);
    }
    // Caught up: a change committed now arrives through a wake-up, not a poll.
    let started = Instant::now();
    three_changes(&catalog, &manager).await;
    for _ in 0..3 {
        received.push(next_change(&mut stream, WAKE_UP_BUDGET).await);
    }
    assert!(started.elapsed() < WAKE_UP_BUDGET);
    let nothing_more = tokio::time::timeout(Duration::from_millis(300), stream.message()).await;
    assert!(nothing_more.is_err(), "no duplicates after the last change");

    let sequences: Vec<i64> = received.iter().map(|change| change.sequence).collect();
    assert_eq!(sequences, (1..=12).collect::<Vec<i64>>(), "every change once, in order");
    let kinds: Vec<i32> = received.iter().map(|change| change.kind).collect();
    let one_listing = [
        wire::ChangeKind::Created as i32,
        wire::ChangeKind::StatusChanged as i32,
        wire::ChangeKind::StatusChanged as i32,
    ];
    assert_eq!(kinds, one_listing.repeat(4));
    for change in &received {
        let listing = change.listing.as_ref().unwrap();
        let expected_version = match change.sequence % 3 {
            1 => 1,
            2 => 2,
            _ => 3,
        };
        assert_eq!(listing.version, expected_version, "the snapshot is the listing right after its change");
    }
    // Shutdown ends open streams (the consumer reconnects elsewhere with its cursor).
    catalog.stop().await;
    let ended = tokio::time::timeout(Duration::from_secs(2), stream.message()).await.expect("the stream ends");
    assert!(!matches!(ended, Ok(Some(_))), "no change after shutdown: {ended:?}");
}

#[tokio::test]
async fn a_consumer_sees_every_change_exactly_once_in_order_across_a_restart_on_postgres() {
    every_change_exactly_once_in_order_across_a_restart(Backend::Postgres).await;
}

#[tokio::test]
async fn a_consumer_sees_every_change_exactly_once_in_order_across_a_restart_on_sqlite() {
    every_change_exactly_once_in_order_across_a_restart(Backend::Sqlite).await;
}

#[tokio::test]
async fn only_internal_callers_stream_or_scan_the_feed() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let world = World::new();
    for (token, code) in [
        (None, ErrorCode::Unauthenticated),
        (Some(buyer_token()), ErrorCode::Forbidden),
        (Some(manager_token(world.own)), ErrorCode::Forbidden),
        (Some(group_admin_token(world.own.group_id)), ErrorCode::Forbidden),
    ] {
        let stream =
            client.stream_changes(request(wire::StreamChangesRequest { after_sequence: 0 }, token.as_deref())).await;
        assert_eq!(code_of(&stream.unwrap_err()), code);
        let scan =
            client.scan_listings(request(wire::ScanListingsRequest { status: 0, page: None }, token.as_deref())).await;
        assert_eq!(code_of(&scan.unwrap_err()), code);
    }
    catalog.stop().await;
}

#[tokio::test]
async fn a_scan_reports_the_feed_position_it_started_from() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut client = catalog.client().await;
    let manager = manager_token(World::new().own);
    for _ in 0..3 {
        create_published(&mut client, &manager, "").await;
    }
    create(&mut client, &manager, "").await;
    let mut ids = Vec::new();
    let mut after = String::new();
    loop {
        let page = client
            .scan_listings(request(
                wire::ScanListingsRequest {
                    status: wire::ListingStatus::Published as i32,
                    page: Some(nds_proto::common::v1::PageRequest { first: 2, after: after.clone() }),
                },
                Some(&internal_token()),
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.feed_sequence, 7);
        ids.extend(page.listings.into_iter().map(|listing| listing.id));
        let info = page.page_info.unwrap();
        // A scan does not count its rows: a count per page made a full scan quadratic.
        assert_eq!(info.total_count, 0);
        if !info.has_next_page {
            break;
        }
        after = info.end_cursor;
    }
    assert_eq!(ids.len(), 3);
    catalog.stop().await;
}

#[tokio::test]
async fn a_waiting_stream_outlives_the_servers_default_call_deadline() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let mut stream = open_stream(&catalog, 0).await;
    // The server's default deadline is 5 s; a feed consumer waits far longer.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut client = catalog.client().await;
    let created = create(&mut client, &manager_token(World::new().own), "").await;
    let change = next_change(&mut stream, WAKE_UP_BUDGET).await;
    assert_eq!(change.listing.unwrap().id, created.id);
    drop(stream);
    catalog.stop().await;
}
