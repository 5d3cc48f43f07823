//! The indexer against a recorded change feed, with real tantivy and real
//! databases: idempotent replays, stale changes, rebuild equals incremental,
//! a crash mid-feed, freshness, and the cursor store and lease on PostgreSQL
//! and SQLite.

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use nds_common::Shutdown;
use nds_common::job_lock::AdvisoryLock;
use nds_common::testing::TestDatabase;
use nds_common::vehicle::{SearchFilters, SearchSort};
use nds_proto::catalog::v1::ListingStatus;
use sea_orm::DatabaseConnection;
use support::feed::RecordedFeed;
use support::{TempDir, change, doc, id};
use svc_search::domain::{IndexQuery, ListingDoc};
use svc_search::index::tantivy::TantivyIndex;
use svc_search::index::{SearchIndex, SharedIndex};
use svc_search::indexer::{Indexer, IndexerSettings, rebuild_lock_name};
use svc_search::store::feed_cursor::{self, FeedPosition};
use uuid::Uuid;

async fn migrated(database: &TestDatabase) -> DatabaseConnection {
    svc_search::migrate(database.url()).await.unwrap();
    nds_common::db::connect(database.url()).await.unwrap()
}

fn settings() -> IndexerSettings {
    IndexerSettings { commit_interval: Duration::from_millis(50), scan_page_size: 7, ..IndexerSettings::default() }
}

fn indexer(index: &SharedIndex, database: &DatabaseConnection, feed: &RecordedFeed) -> Indexer {
    Indexer::new(index.clone(), database.clone(), Arc::new(feed.clone()), None, settings())
}

/// Waits until the saved cursor reaches `sequence`.
async fn wait_for_cursor(database: &DatabaseConnection, consumer: &str, sequence: i64) {
    let started = Instant::now();
    loop {
        let saved = feed_cursor::load(database, consumer).await.unwrap();
        if saved.is_some_and(|position| position.sequence >= sequence) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "cursor never reached {sequence}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// What the index answers, in a form two indexes can be compared by.
async fn snapshot(index: &dyn SearchIndex) -> (Vec<Uuid>, Vec<Uuid>, Vec<(String, Vec<(String, u64)>)>) {
    let mut query = IndexQuery::results(SearchFilters::default(), SearchSort::PriceAsc, 0, 1000);
    query.with_facets = true;
    let page = index.search(&query).await.unwrap();
    let by_price = page.hits.iter().map(|hit| hit.id).collect();
    let kias = SearchFilters { makes: vec!["kia".into()], ..SearchFilters::default() };
    let kia_page = index.search(&IndexQuery::results(kias, SearchSort::Newest, 0, 1000)).await.unwrap();
    let facets = page
        .facets
        .into_iter()
        .map(|facet| (facet.field, facet.values.into_iter().map(|value| (value.value, value.count)).collect()))
        .collect();
    (by_price, kia_page.hits.iter().map(|hit| hit.id).collect(), facets)
}

/// A realistic history: creations, publications, price edits, sales, archives, republications.
fn history(feed: &RecordedFeed, listings: u64) -> Vec<ListingDoc> {
    let mut finals = Vec::new();
    for number in 1..=listings {
        let make = if number % 3 == 0 { "kia" } else { "toyota" };
        let mut listing = doc(number, make, "modelo", 100_000 + (number as i64) * 1_000);
        feed.push(&listing, ListingStatus::Draft);
        listing.version += 1;
        feed.push(&listing, ListingStatus::Published);
        if number % 2 == 0 {
            listing.version += 1;
            listing.price_minor -= 50_000;
            feed.push(&listing, ListingStatus::Published);
        }
        if number % 5 == 0 {
            listing.version += 1;
            feed.push(&listing, ListingStatus::Sold);
        }
        if number % 7 == 0 {
            listing.version += 1;
            feed.push(&listing, ListingStatus::Archived);
            listing.version += 1;
            feed.push(&listing, ListingStatus::Published);
        }
        finals.push(listing);
    }
    finals
}

fn open_tantivy(directory: &TempDir) -> SharedIndex {
    Arc::new(TantivyIndex::open(directory.path().join("search")).unwrap())
}

/// Runs an indexer until its cursor reaches the end of the feed, then stops it.
async fn index_everything(index: &SharedIndex, database: &DatabaseConnection, feed: &RecordedFeed) {
    let shutdown = Shutdown::new();
    let task = tokio::spawn(indexer(index, database, feed).run(shutdown.clone()));
    wait_for_cursor(database, &index.consumer_name(), feed.last_sequence()).await;
    shutdown.trigger();
    task.await.unwrap();
}

async fn replaying_the_feed_twice_gives_the_same_index(database: &TestDatabase) {
    let connection = migrated(database).await;
    let directory = TempDir::new("replay");
    let index = open_tantivy(&directory);
    let feed = RecordedFeed::default();
    // The first run builds from the (empty) scan, then follows the feed.
    index_everything(&index, &connection, &RecordedFeed::default()).await;
    history(&feed, 30);
    let consumer = index.consumer_name();
    let physical = index.physical_name().await.unwrap();
    feed_cursor::reset(&connection, &consumer, &FeedPosition { sequence: 0, index_name: physical.clone() })
        .await
        .unwrap();
    index_everything(&index, &connection, &feed).await;
    let first = snapshot(index.as_ref()).await;
    let documents = index.count_all().await.unwrap();
    // Replay everything from the start.
    feed_cursor::reset(&connection, &consumer, &FeedPosition { sequence: 0, index_name: physical }).await.unwrap();
    index_everything(&index, &connection, &feed).await;
    assert_eq!(snapshot(index.as_ref()).await, first);
    assert_eq!(index.count_all().await.unwrap(), documents, "a replay must not duplicate documents");
    // 30 listings; multiples of 5 sold unless republished after (35 > 30): 6 sold.
    assert_eq!(index.count().await.unwrap(), 24);
}

async fn a_rebuilt_index_equals_the_incrementally_maintained_one(database: &TestDatabase) {
    let connection = migrated(database).await;
    let incremental_directory = TempDir::new("incremental");
    let incremental = open_tantivy(&incremental_directory);
    let feed = RecordedFeed::default();
    index_everything(&incremental, &connection, &RecordedFeed::default()).await;
    let physical = incremental.physical_name().await.unwrap();
    feed_cursor::reset(&connection, &incremental.consumer_name(), &FeedPosition { sequence: 0, index_name: physical })
        .await
        .unwrap();
    history(&feed, 40);
    index_everything(&incremental, &connection, &feed).await;

    let rebuilt_directory = TempDir::new("rebuilt");
    let rebuilt = open_tantivy(&rebuilt_directory);
    let mut progress = Vec::new();
    // Several scan pages (of 7) within one progress interval: the last page's line and the swap's.
    let paced = IndexerSettings { progress_interval: Duration::from_secs(3600), ..settings() };
    let report = Indexer::new(rebuilt.clone(), connection.clone(), Arc::new(feed.clone()), None, paced)
        .rebuild(&mut |line| progress.push(line))
        .await
        .unwrap();
    assert_eq!(report.feed_sequence, feed.last_sequence());
    assert_eq!(report.documents, incremental.count().await.unwrap());
    assert!(report.scanned > 7, "more than one scan page: {report:?}");
    assert_eq!(progress.len(), 2, "{progress:?}");
    assert!(progress[0].starts_with(&format!("scanned {} listings", report.scanned)), "{progress:?}");
    assert!(progress[1].starts_with("swapped in"), "{progress:?}");
    assert_eq!(snapshot(rebuilt.as_ref()).await, snapshot(incremental.as_ref()).await);
    let saved = feed_cursor::load(&connection, &rebuilt.consumer_name()).await.unwrap().unwrap();
    assert_eq!(
        saved,
        FeedPosition { sequence: feed.last_sequence(), index_name: rebuilt.physical_name().await.unwrap() }
    );
}

async fn an_older_version_after_a_newer_one_changes_nothing(database: &TestDatabase) {
    let connection = migrated(database).await;
    let directory = TempDir::new("stale");
    let index = open_tantivy(&directory);
    let feed = RecordedFeed::default();
    let mut listing = doc(1, "toyota", "corolla", 250_000);
    listing.version = 2;
    feed.push(&listing, ListingStatus::Published);
    let stale = change(feed.last_sequence(), &listing, ListingStatus::Published);
    listing.version = 3;
    listing.price_minor = 19_900_000;
    feed.push(&listing, ListingStatus::Published);
    index_everything(&index, &connection, &feed).await;
    // Version 2 arrives again, later in the feed.
    let mut redelivered = stale;
    redelivered.sequence = feed.last_sequence() + 1;
    feed.push_raw(redelivered);
    index_everything(&index, &connection, &feed).await;
    let cheap = SearchFilters { price_max: Some(20_000_000), ..SearchFilters::default() };
    let page = index.search(&IndexQuery::results(cheap, SearchSort::Relevance, 0, 10)).await.unwrap();
    assert_eq!(page.hits.iter().map(|hit| hit.id).collect::<Vec<_>>(), vec![id(1)]);
    assert_eq!(index.count_all().await.unwrap(), 1);
}

async fn killing_the_indexer_mid_feed_loses_and_duplicates_nothing(database: &TestDatabase) {
    let connection = migrated(database).await;
    let directory = TempDir::new("crash");
    let feed = RecordedFeed::default();
    history(&feed, 20);
    let consumer;
    {
        let index = open_tantivy(&directory);
        consumer = index.consumer_name();
        let task = tokio::spawn(indexer(&index, &connection, &feed).run(Shutdown::new()));
        // The first run builds from the scan; then the feed moves on while it follows,
        // and the connection drops every 25 changes (reconnects resume from the cursor).
        wait_for_cursor(&connection, &consumer, feed.last_sequence()).await;
        feed.fail_streams_after(Some(25));
        history(&feed, 90);
        let target = feed.last_sequence() - 150;
        wait_for_cursor(&connection, &consumer, target).await;
        // Kill it: no shutdown, no final flush.
        task.abort();
        let _ = task.await;
        let saved = feed_cursor::load(&connection, &consumer).await.unwrap().unwrap();
        assert!(saved.sequence < feed.last_sequence(), "the kill must land mid-feed");
    }
    // Restart from disk and from the saved cursor.
    feed.fail_streams_after(None);
    let index = open_tantivy(&directory);
    assert_eq!(index.consumer_name(), consumer);
    index_everything(&index, &connection, &feed).await;

    let reference_directory = TempDir::new("crash-reference");
    let reference = open_tantivy(&reference_directory);
    indexer(&reference, &connection, &feed).rebuild(&mut |_| {}).await.unwrap();
    assert_eq!(snapshot(index.as_ref()).await, snapshot(reference.as_ref()).await);
    assert_eq!(index.count().await.unwrap(), reference.count().await.unwrap());
    // One document per listing, tombstones included: nothing duplicated.
    assert_eq!(index.count_all().await.unwrap(), 90);
}

async fn a_rebuild_interrupted_before_its_swap_is_redone(database: &TestDatabase) {
    let connection = migrated(database).await;
    let directory = TempDir::new("half-swapped");
    let index = open_tantivy(&directory);
    let feed = RecordedFeed::default();
    history(&feed, 10);
    // A rebuild saved its cursor for an index it never swapped in, then died (its
    // rebuild lock went with it): repaired at once, with the default settings.
    let orphan = FeedPosition { sequence: feed.last_sequence(), index_name: "idx-never-swapped".into() };
    feed_cursor::reset(&connection, &index.consumer_name(), &orphan).await.unwrap();
    let shutdown = Shutdown::new();
    let task = tokio::spawn(
        Indexer::new(index.clone(), connection.clone(), Arc::new(feed.clone()), None, IndexerSettings::default())
            .run(shutdown.clone()),
    );
    let started = Instant::now();
    while index.count().await.unwrap() != 8 {
        assert!(started.elapsed() < Duration::from_secs(20), "the orphaned cursor was never repaired");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    shutdown.trigger();
    task.await.unwrap();
    let saved = feed_cursor::load(&connection, &index.consumer_name()).await.unwrap().unwrap();
    assert_eq!(saved.index_name, index.physical_name().await.unwrap());
}

async fn a_rebuild_running_elsewhere_is_waited_for_not_rebuilt_over(database: &TestDatabase) {
    let connection = migrated(database).await;
    let directory = TempDir::new("swap-pending");
    let index = open_tantivy(&directory);
    let feed = RecordedFeed::default();
    let finals = history(&feed, 10);
    // A reindex job: holds the rebuild lock, has built its index and saved its
    // cursor, and has not swapped yet.
    let lock =
        AdvisoryLock::try_acquire(&connection, &rebuild_lock_name(&index.consumer_name())).await.unwrap().unwrap();
    let mut rebuild = index.begin_rebuild().await.unwrap();
    // Listings 5 and 10 were sold (see `history`).
    let published: Vec<ListingDoc> =
        finals.into_iter().filter(|listing| listing.id != id(5) && listing.id != id(10)).collect();
    rebuild.add(published).await.unwrap();
    let position = FeedPosition { sequence: feed.last_sequence(), index_name: rebuild.physical_name() };
    feed_cursor::reset(&connection, &index.consumer_name(), &position).await.unwrap();
    let shutdown = Shutdown::new();
    let task = tokio::spawn(indexer(&index, &connection, &feed).run(shutdown.clone()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let saved = feed_cursor::load(&connection, &index.consumer_name()).await.unwrap().unwrap();
    assert_eq!(saved, position, "the indexer rebuilt over a rebuild that was about to swap");
    assert_eq!(index.count().await.unwrap(), 0);
    // The swap lands and the lock goes: the indexer follows from the job's cursor.
    rebuild.swap_in().await.unwrap();
    lock.release().await;
    let late = doc(11, "kia", "modelo", 150_000);
    feed.push(&late, ListingStatus::Published);
    wait_for_cursor(&connection, &index.consumer_name(), feed.last_sequence()).await;
    shutdown.trigger();
    task.await.unwrap();
    let saved = feed_cursor::load(&connection, &index.consumer_name()).await.unwrap().unwrap();
    assert_eq!(saved.index_name, position.index_name, "the job's index is the one followed");
    assert_eq!(index.count().await.unwrap(), 9);
}

async fn an_empty_index_under_a_saved_cursor_is_rebuilt(database: &TestDatabase) {
    let connection = migrated(database).await;
    let directory = TempDir::new("wiped");
    let index = open_tantivy(&directory);
    let feed = RecordedFeed::default();
    history(&feed, 10);
    let physical = index.physical_name().await.unwrap();
    // A cursor far along, but the index files are new and empty (wiped volume).
    feed_cursor::reset(
        &connection,
        &index.consumer_name(),
        &FeedPosition { sequence: feed.last_sequence(), index_name: physical.clone() },
    )
    .await
    .unwrap();
    let shutdown = Shutdown::new();
    let task = tokio::spawn(indexer(&index, &connection, &feed).run(shutdown.clone()));
    let started = Instant::now();
    while index.count().await.unwrap() != 8 {
        assert!(started.elapsed() < Duration::from_secs(20), "the index was never rebuilt");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    shutdown.trigger();
    task.await.unwrap();
    assert_ne!(index.physical_name().await.unwrap(), physical);
}

async fn a_published_change_is_searchable_within_a_second(database: &TestDatabase) {
    let connection = migrated(database).await;
    let directory = TempDir::new("fresh");
    let index = open_tantivy(&directory);
    let feed = RecordedFeed::default();
    let shutdown = Shutdown::new();
    let task = tokio::spawn(
        Indexer::new(index.clone(), connection.clone(), Arc::new(feed.clone()), None, IndexerSettings::default())
            .run(shutdown.clone()),
    );
    wait_for_cursor(&connection, &index.consumer_name(), 0).await;
    for round in 1..=3u64 {
        let listing = doc(round, "mazda", "cx-5", 400_000);
        let published_at = Instant::now();
        feed.push(&listing, ListingStatus::Published);
        loop {
            if index.count().await.unwrap() == round {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let lag = published_at.elapsed();
        assert!(lag < Duration::from_secs(1), "create-to-searchable took {lag:?}");
    }
    // Selling it removes it just as fast.
    let mut sold = doc(1, "mazda", "cx-5", 400_000);
    sold.version = 2;
    feed.push(&sold, ListingStatus::Sold);
    let started = Instant::now();
    while index.count().await.unwrap() != 2 {
        assert!(started.elapsed() < Duration::from_secs(1), "a sale was not reflected within a second");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    shutdown.trigger();
    task.await.unwrap();
}

async fn the_cursor_only_advances_forward_and_only_for_its_physical_index(database: &TestDatabase) {
    let connection = migrated(database).await;
    assert_eq!(feed_cursor::load(&connection, "tantivy:a").await.unwrap(), None);
    let position = |sequence: i64, name: &str| FeedPosition { sequence, index_name: name.to_string() };
    feed_cursor::reset(&connection, "tantivy:a", &position(10, "idx-1")).await.unwrap();
    assert!(feed_cursor::advance(&connection, "tantivy:a", &position(15, "idx-1")).await.unwrap());
    assert!(!feed_cursor::advance(&connection, "tantivy:a", &position(12, "idx-1")).await.unwrap(), "never backwards");
    assert!(
        !feed_cursor::advance(&connection, "tantivy:a", &position(20, "idx-0")).await.unwrap(),
        "never for another index"
    );
    assert_eq!(feed_cursor::load(&connection, "tantivy:a").await.unwrap(), Some(position(15, "idx-1")));
    // A rebuild resets both, even backwards.
    feed_cursor::reset(&connection, "tantivy:a", &position(3, "idx-2")).await.unwrap();
    assert_eq!(feed_cursor::load(&connection, "tantivy:a").await.unwrap(), Some(position(3, "idx-2")));
    assert_eq!(feed_cursor::load(&connection, "tantivy:b").await.unwrap(), None);
}

async fn only_one_indexer_holds_the_lease(database: &TestDatabase) {
    let connection = migrated(database).await;
    let name = format!("indexer:test-{}", Uuid::new_v4());
    let first = AdvisoryLock::try_acquire(&connection, &name).await.unwrap().unwrap();
    assert!(first.is_held().await);
    assert!(AdvisoryLock::try_acquire(&connection, &name).await.unwrap().is_none());
    let other = AdvisoryLock::try_acquire(&connection, &format!("{name}-other")).await.unwrap();
    assert!(other.is_some());
    first.release().await;
    let again = AdvisoryLock::try_acquire(&connection, &name).await.unwrap();
    assert!(again.is_some(), "released leases can be taken again");
}

nds_common::storage_suite!(
    replaying_the_feed_twice_gives_the_same_index,
    a_rebuilt_index_equals_the_incrementally_maintained_one,
    an_older_version_after_a_newer_one_changes_nothing,
    killing_the_indexer_mid_feed_loses_and_duplicates_nothing,
    a_rebuild_interrupted_before_its_swap_is_redone,
    a_rebuild_running_elsewhere_is_waited_for_not_rebuilt_over,
    an_empty_index_under_a_saved_cursor_is_rebuilt,
    a_published_change_is_searchable_within_a_second,
    the_cursor_only_advances_forward_and_only_for_its_physical_index,
    only_one_indexer_holds_the_lease,
);
