//! Search following a real catalog: catalog's gRPC server in-process (its own
//! PostgreSQL database), listings created, published, edited, sold and archived
//! through catalog's API, and the index following within about a second;
//! the indexer killed mid-feed and restarted loses and duplicates nothing.

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use nds_common::cache::MemoryCache;
use nds_common::config::Config;
use nds_common::grpc::{GrpcServeOptions, connect_lazy, serve_grpc};
use nds_common::mail::FileMailer;
use nds_common::runtime::{Runtime, ServiceChannels};
use nds_common::testing::TestDatabase;
use nds_common::vehicle::{SearchFilters, SearchSort};
use nds_common::{Secret, Shutdown};
use nds_proto::catalog::v1 as catalog;
use nds_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use nds_proto::common::v1 as wire;
use sea_orm::DatabaseConnection;
use support::TempDir;
use support::tokens::{authenticator, manager_token, search_service_token};
use svc_search::domain::IndexQuery;
use svc_search::feed::{CatalogFeed, FeedCredentials};
use svc_search::index::tantivy::TantivyIndex;
use svc_search::index::{SearchIndex, SharedIndex};
use svc_search::indexer::{Indexer, IndexerSettings};
use svc_search::store::feed_cursor;
use tonic::transport::Channel;
use uuid::Uuid;

struct World {
    catalog_client: CatalogServiceClient<Channel>,
    catalog_channel: Channel,
    manager: String,
    search_database: DatabaseConnection,
    shutdown: Shutdown,
    _catalog_database: TestDatabase,
    _search_database: TestDatabase,
    _directory: TempDir,
}

impl Drop for World {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

async fn world() -> World {
    let directory = TempDir::new("catalog-feed");
    let catalog_database = TestDatabase::postgres().await;
    svc_catalog::migrate(catalog_database.url()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let shutdown = Shutdown::new();
    let config = Config::from_vars([
        ("NDS_CATALOG_DATABASE_URL".to_string(), catalog_database.url().to_string()),
        ("NDS_DATA_DIR".to_string(), directory.path().display().to_string()),
    ])
    .unwrap();
    let channel = connect_lazy(&address).unwrap();
    let runtime = Runtime {
        config: Arc::new(config),
        cache: MemoryCache::shared(1000),
        mailer: Arc::new(FileMailer::new(directory.path().join("mail"), "nds@example.com").unwrap()),
        authenticator: authenticator(),
        channels: ServiceChannels {
            identity: channel.clone(),
            catalog: channel.clone(),
            search: channel.clone(),
            billing: channel.clone(),
            chat: channel.clone(),
        },
        shutdown: shutdown.clone(),
        service_tokens: None,
    };
    let server = svc_catalog::build(&runtime).await.unwrap().grpc;
    let options = GrpcServeOptions { drain: Duration::ZERO, grace: Duration::from_millis(500), ..Default::default() };
    tokio::spawn(serve_grpc(
        listener,
        tonic::service::Routes::new(server),
        &[nds_proto::service_names::CATALOG],
        options,
        shutdown.clone(),
    ));
    let search_database = TestDatabase::postgres().await;
    svc_search::migrate(search_database.url()).await.unwrap();
    let search_connection = nds_common::db::connect(search_database.url()).await.unwrap();
    World {
        catalog_client: CatalogServiceClient::new(channel.clone()),
        catalog_channel: channel,
        manager: manager_token(Uuid::new_v4(), Uuid::new_v4()),
        search_database: search_connection,
        shutdown,
        _catalog_database: catalog_database,
        _search_database: search_database,
        _directory: directory,
    }
}

fn authorized<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// Catalog's valid listing, with the model and price a case needs.
fn input(model: &str, price_pesos: i64) -> catalog::ListingInput {
    catalog::ListingInput {
        model: model.into(),
        price: Some(wire::Money { amount_minor: price_pesos * 100, currency: "MXN".into() }),
        photos: vec![],
        ..svc_catalog::testing::listing_input("")
    }
}

impl World {
    fn indexer(&self, index: &SharedIndex) -> Indexer {
        let credentials = FeedCredentials::Bearer(Secret::new(search_service_token()));
        let feed = Arc::new(CatalogFeed::new(self.catalog_channel.clone(), credentials, Duration::from_secs(10)));
        let settings = IndexerSettings { scan_page_size: 5, ..IndexerSettings::default() };
        Indexer::new(index.clone(), self.search_database.clone(), feed, None, settings)
    }

    async fn create(&mut self, model: &str, price_pesos: i64) -> catalog::Listing {
        let request =
            catalog::CreateListingRequest { agency_id: String::new(), input: Some(input(model, price_pesos)) };
        self.catalog_client.create_listing(authorized(request, &self.manager)).await.unwrap().into_inner()
    }

    async fn transition(&mut self, listing: &catalog::Listing, to: &str) -> catalog::Listing {
        let request = authorized(
            catalog::ListingTransitionRequest { id: listing.id.clone(), expected_version: 0 },
            &self.manager,
        );
        let client = &mut self.catalog_client;
        let response = match to {
            "publish" => client.publish_listing(request).await,
            "sold" => client.mark_listing_sold(request).await,
            "archive" => client.archive_listing(request).await,
            other => panic!("unknown transition {other}"),
        };
        response.unwrap().into_inner()
    }

    async fn reprice(&mut self, listing: &catalog::Listing, price_pesos: i64) -> catalog::Listing {
        let patch = catalog::ListingPatch {
            price: Some(wire::Money { amount_minor: price_pesos * 100, currency: "MXN".into() }),
            ..Default::default()
        };
        let request = catalog::UpdateListingRequest {
            id: listing.id.clone(),
            expected_version: listing.version,
            patch: Some(patch),
        };
        self.catalog_client.update_listing(authorized(request, &self.manager)).await.unwrap().into_inner()
    }
}

async fn listed(index: &dyn SearchIndex, filters: SearchFilters) -> Vec<String> {
    let page = index.search(&IndexQuery::results(filters, SearchSort::PriceAsc, 0, 1000)).await.unwrap();
    page.hits.iter().map(|hit| hit.id.to_string()).collect()
}

/// Waits until `condition` holds over the index; returns how long it took.
async fn within_a_second(index: &dyn SearchIndex, filters: SearchFilters, expected: Vec<String>) -> Duration {
    let started = Instant::now();
    loop {
        let found = listed(index, filters.clone()).await;
        if found == expected {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "after 1 s the index shows {found:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn publishing_editing_selling_and_archiving_show_in_search_within_a_second() {
    let mut world = world().await;
    let directory = TempDir::new("catalog-follow");
    let index: SharedIndex = Arc::new(TantivyIndex::open(directory.path().join("search")).unwrap());
    let shutdown = Shutdown::new();
    let task = tokio::spawn(world.indexer(&index).run(shutdown.clone()));
    // Wait for the initial (empty) build.
    let started = Instant::now();
    while feed_cursor::load(&world.search_database, &index.consumer_name()).await.unwrap().is_none() {
        assert!(started.elapsed() < Duration::from_secs(10), "the indexer never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let all = SearchFilters::default;
    let draft = world.create("Versa", 285_000).await;
    let mut lags = Vec::new();
    // A draft is not searchable; publishing makes it so.
    let versa = world.transition(&draft, "publish").await;
    lags.push(within_a_second(index.as_ref(), all(), vec![versa.id.clone()]).await);
    // An edit is followed (price filter sees the new price).
    let cheaper = world.reprice(&versa, 199_000).await;
    let under_200k = SearchFilters { price_max: Some(20_000_000), ..SearchFilters::default() };
    lags.push(within_a_second(index.as_ref(), under_200k, vec![cheaper.id.clone()]).await);
    // A second listing, then selling the first and archiving the second.
    let sentra = world.create("Sentra", 350_000).await;
    let sentra = world.transition(&sentra, "publish").await;
    lags.push(within_a_second(index.as_ref(), all(), vec![cheaper.id.clone(), sentra.id.clone()]).await);
    world.transition(&cheaper, "sold").await;
    lags.push(within_a_second(index.as_ref(), all(), vec![sentra.id.clone()]).await);
    world.transition(&sentra, "archive").await;
    lags.push(within_a_second(index.as_ref(), all(), vec![]).await);
    eprintln!("catalog change to searchable: {lags:?}");
    shutdown.trigger();
    task.await.unwrap();
}

#[tokio::test]
async fn killing_the_indexer_mid_feed_and_restarting_loses_and_duplicates_nothing() {
    let mut world = world().await;
    let directory = TempDir::new("catalog-kill");
    let root = directory.path().join("search");
    let mut published = Vec::new();
    for number in 0..6 {
        let listing = world.create("Versa", 200_000 + number * 1_000).await;
        published.push(world.transition(&listing, "publish").await);
    }
    {
        let index: SharedIndex = Arc::new(TantivyIndex::open(&root).unwrap());
        let task = tokio::spawn(world.indexer(&index).run(Shutdown::new()));
        // Changes keep coming while it runs; kill it part-way.
        for number in 0..20 {
            let listing = world.create("Sentra", 300_000 + number * 1_000).await;
            let listing = world.transition(&listing, "publish").await;
            if number % 4 == 0 {
                world.transition(&listing, "sold").await;
            } else {
                published.push(listing);
            }
            if number == 10 {
                task.abort();
            }
        }
        let _ = task.await;
    }
    // More changes while no indexer runs.
    let first = published.remove(0);
    world.transition(&first, "archive").await;
    let late = world.create("Kicks", 420_000).await;
    published.push(world.transition(&late, "publish").await);

    let index: SharedIndex = Arc::new(TantivyIndex::open(&root).unwrap());
    let shutdown = Shutdown::new();
    let task = tokio::spawn(world.indexer(&index).run(shutdown.clone()));
    let mut expected: Vec<(i64, String)> =
        published.iter().map(|listing| (listing.price.as_ref().unwrap().amount_minor, listing.id.clone())).collect();
    expected.sort();
    let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();
    let started = Instant::now();
    loop {
        if listed(index.as_ref(), SearchFilters::default()).await == expected {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the restarted indexer never caught up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Nothing duplicated: one live document per published listing, and at most one
    // document (live or tombstone) per listing ever created.
    assert_eq!(index.count().await.unwrap(), expected.len() as u64);
    assert!(index.count_all().await.unwrap() <= 27);
    shutdown.trigger();
    task.await.unwrap();
}
