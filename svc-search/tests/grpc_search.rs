//! SearchService end to end: a real tonic server in-process on 127.0.0.1:0,
//! real tantivy, real Redis for the result cache, chat unreachable or slow
//! (so the in-process rules answer), and the public `build` wiring.

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nds_common::Shutdown;
use nds_common::cache::{MemoryCache, RedisCache, SharedCache};
use nds_common::config::Config;
use nds_common::convert::{filters_from_wire, filters_to_wire};
use nds_common::grpc::{GrpcServeOptions, serve_grpc};
use nds_common::mail::FileMailer;
use nds_common::runtime::{Runtime, ServiceChannels};
use nds_common::testing::{TestDatabase, redis_prefix, redis_url};
use nds_common::vehicle::{BodyType, SearchFilters, SearchSort};
use nds_proto::catalog::v1::{Listing, ListingStatus};
use nds_proto::common::v1 as wire;
use nds_proto::search::v1::search_service_client::SearchServiceClient;
use nds_proto::search::v1::search_service_server::SearchServiceServer;
use nds_proto::search::v1::{GetIndexStatusRequest, SearchRequest, SearchResponse};
use support::{NOW, TempDir, doc, id};
use svc_search::SearchGrpc;
use svc_search::convert::change_from_listing;
use svc_search::domain::{IndexChange, ListingDoc};
use svc_search::index::SearchIndex;
use svc_search::index::tantivy::TantivyIndex;
use svc_search::interpret::{CHAT_BUDGET, ChatWithFallback, LocalRules};
use svc_search::service::SearchService;
use tonic::transport::Channel;

/// An address where nothing listens.
fn closed_address() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

fn runtime(directory: &TempDir, database_url: &str, chat_url: &str, cache: SharedCache, shutdown: Shutdown) -> Runtime {
    let vars = [
        ("NDS_DATA_DIR", directory.path().display().to_string()),
        ("NDS_SEARCH_DATABASE_URL", database_url.to_string()),
        ("NDS_CHAT_URL", chat_url.to_string()),
        ("NDS_CATALOG_URL", format!("http://{}", closed_address())),
        ("NDS_IDENTITY_URL", format!("http://{}", closed_address())),
    ];
    let config = Arc::new(Config::from_vars(vars.map(|(name, value)| (name.to_string(), value))).unwrap());
    let mailer = Arc::new(FileMailer::new(directory.path().join("mail"), "NDS <no-reply@nds.local>").unwrap());
    let channels = ServiceChannels::from_config(&config, "http://127.0.0.1:1").unwrap();
    Runtime {
        config,
        cache,
        mailer,
        authenticator: support::tokens::authenticator(),
        channels,
        shutdown,
        service_tokens: None,
    }
}

async fn serve(server: SearchServiceServer<SearchGrpc>, shutdown: Shutdown) -> SearchServiceClient<Channel> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let options =
        GrpcServeOptions { drain: Duration::ZERO, grace: Duration::from_secs(1), ..GrpcServeOptions::default() };
    tokio::spawn(serve_grpc(
        listener,
        tonic::service::Routes::new(server),
        &[nds_proto::service_names::SEARCH],
        options,
        shutdown,
    ));
    let channel = Channel::from_shared(format!("http://{address}")).unwrap().connect_lazy();
    SearchServiceClient::new(channel)
}

struct Harness {
    client: SearchServiceClient<Channel>,
    index: Arc<TantivyIndex>,
    cache: SharedCache,
    shutdown: Shutdown,
    _database: TestDatabase,
    _directory: TempDir,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

/// A search server over an index the test controls, chat at `chat_url`.
async fn harness(chat_url: &str, cache: SharedCache) -> Harness {
    let directory = TempDir::new("grpc");
    let database = TestDatabase::postgres().await;
    svc_search::migrate(database.url()).await.unwrap();
    let connection = nds_common::db::connect(database.url()).await.unwrap();
    let shutdown = Shutdown::new();
    let runtime = runtime(&directory, database.url(), chat_url, cache.clone(), shutdown.clone());
    let index = Arc::new(TantivyIndex::open(directory.path().join("search")).unwrap());
    let understanding = Arc::new(ChatWithFallback::new(runtime.channels.chat.clone(), CHAT_BUDGET));
    let service = Arc::new(SearchService::new(index.clone(), understanding, cache.clone(), connection));
    let server = SearchServiceServer::new(SearchGrpc::new(service, runtime));
    let client = serve(server, shutdown.clone()).await;
    Harness { client, index, cache, shutdown, _database: database, _directory: directory }
}

async fn seed(index: &TantivyIndex, docs: Vec<ListingDoc>) {
    index.apply(docs.into_iter().map(IndexChange::Upsert).collect()).await.unwrap();
    index.commit().await.unwrap();
}

fn marketplace() -> Vec<ListingDoc> {
    let now = chrono::Utc::now().timestamp();
    let mut docs = Vec::new();
    for number in 1..=12u64 {
        let make = if number % 2 == 0 { "nissan" } else { "toyota" };
        let mut listing =
            doc(number, make, if number % 2 == 0 { "kicks" } else { "rav4" }, 200_000 + number as i64 * 10_000);
        listing.body_type = Some(BodyType::Suv);
        listing.description = "Camioneta automática, un dueño".into();
        if number <= 3 || number == 8 {
            listing.promoted_until_unix = Some(now + 86_400);
            listing.promotion_rank = number as i32;
        }
        docs.push(listing);
    }
    let mut sedan = doc(13, "nissan", "versa", 150_000);
    sedan.promoted_until_unix = Some(now + 86_400);
    sedan.promotion_rank = 99;
    docs.push(sedan);
    let mut expired = doc(14, "nissan", "kicks", 260_000);
    expired.body_type = Some(BodyType::Suv);
    expired.promoted_until_unix = Some(NOW - 86_400 * 365);
    expired.promotion_rank = 50;
    docs.push(expired);
    docs
}

fn ids(hits: &[nds_proto::search::v1::SearchHit]) -> Vec<String> {
    hits.iter().map(|hit| hit.listing_id.clone()).collect()
}

#[tokio::test]
async fn text_and_forced_filters_give_promoted_slots_results_facets_and_applied_filters() {
    let mut harness = harness(&format!("http://{}", closed_address()), MemoryCache::shared(1000)).await;
    seed(&harness.index, marketplace()).await;
    let text = "camioneta toyota automática";
    let forced = SearchFilters { makes: vec!["nissan".into()], ..SearchFilters::default() };
    let request = SearchRequest {
        text: text.into(),
        filters: Some(filters_to_wire(&forced)),
        sort: wire::SearchSort::PriceAsc as i32,
        page: Some(wire::PageRequest { first: 3, after: String::new() }),
        locale: "es".into(),
    };
    let response = harness.client.search(request).await.unwrap().into_inner();

    // Chat is unreachable: the in-process rules understood the text; forced filters won.
    assert_eq!(response.understood_by, "local-rules");
    let mut expected = LocalRules::default().interpret(text, Some("es")).filters.merge_forced(&forced);
    expected.sort = Some(SearchSort::PriceAsc);
    let applied = filters_from_wire(response.applied_filters.as_ref().unwrap()).unwrap();
    assert_eq!(applied, expected);
    assert_eq!(applied.makes, vec!["nissan".to_string()]);

    // Promoted: active promotions matching the filters (nissan SUVs: 2 and 8), by rank.
    let matches_body_type = applied.body_types.is_empty() || applied.body_types.contains(&BodyType::Suv);
    assert!(matches_body_type, "the rules should read 'camioneta' as a body type compatible with SUVs: {applied:?}");
    assert_eq!(ids(&response.promoted), vec![id(8).to_string(), id(2).to_string()]);
    // Results exclude the promoted ones and follow the sort (equal prices: newest first);
    // the listing whose promotion expired is an ordinary result.
    let results = ids(&response.results);
    assert_eq!(results, vec![id(4).to_string(), id(14).to_string(), id(6).to_string()]);
    let page_info = response.page_info.unwrap();
    assert!(page_info.has_next_page);
    assert!(!results.iter().any(|result| ids(&response.promoted).contains(result)));
    // Facets count all matches, promoted included.
    let make = response.facets.iter().find(|facet| facet.field == "make").unwrap();
    let total_matches = make.values.iter().map(|value| value.count).sum::<u64>();
    assert_eq!(total_matches, page_info.total_count + 2);
    assert_eq!(response.facets.len(), 5);
}

/// A hit carries the listing as the public sees it (the private view count
/// blanked), whether the answer is fresh or from the result cache.
#[tokio::test]
async fn hits_carry_the_public_listing_card_fresh_or_cached() {
    let mut harness = harness(&format!("http://{}", closed_address()), MemoryCache::shared(1000)).await;
    let mut listing = support::listing(&doc(1, "toyota", "rav4", 300_000), ListingStatus::Published);
    listing.view_count = 7;
    listing.photos = vec!["https://img.nds.mx/listings/1/1.jpg".into()];
    let IndexChange::Upsert(document) = change_from_listing(&listing).unwrap() else {
        panic!("a published listing is an upsert");
    };
    seed(&harness.index, vec![document]).await;
    let request =
        || SearchRequest { page: Some(wire::PageRequest { first: 5, after: String::new() }), ..Default::default() };
    for attempt in ["fresh", "cached"] {
        let response = harness.client.search(request()).await.unwrap().into_inner();
        let card = response.results[0].listing.clone();
        assert_eq!(card, Some(Listing { view_count: 0, ..listing.clone() }), "{attempt}");
    }
}

#[tokio::test]
async fn paging_walks_every_result_once_with_opaque_cursors() {
    let mut harness = harness(&format!("http://{}", closed_address()), MemoryCache::shared(1000)).await;
    seed(&harness.index, marketplace()).await;
    let mut after = String::new();
    let mut seen: Vec<String> = Vec::new();
    let mut promoted_seen = None;
    loop {
        let request = SearchRequest {
            sort: wire::SearchSort::Newest as i32,
            page: Some(wire::PageRequest { first: 4, after: after.clone() }),
            ..SearchRequest::default()
        };
        let response: SearchResponse = harness.client.search(request).await.unwrap().into_inner();
        promoted_seen.get_or_insert_with(|| ids(&response.promoted));
        seen.extend(ids(&response.results));
        let page_info = response.page_info.unwrap();
        assert_eq!(page_info.total_count, 12, "14 listings minus 2 promoted");
        if !page_info.has_next_page {
            break;
        }
        after = page_info.end_cursor;
    }
    assert_eq!(seen.len(), 12);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 12, "no listing twice across pages");
    assert_eq!(promoted_seen.unwrap(), vec![id(13).to_string(), id(8).to_string()]);
}

#[tokio::test]
async fn bad_input_is_invalid_argument_naming_the_field() {
    let mut harness = harness(&format!("http://{}", closed_address()), MemoryCache::shared(1000)).await;
    let cases: Vec<(SearchRequest, &str)> = vec![
        (
            SearchRequest { page: Some(wire::PageRequest { first: 1000, after: String::new() }), ..Default::default() },
            "page.first",
        ),
        (
            SearchRequest {
                page: Some(wire::PageRequest { first: 10, after: "garbage".into() }),
                ..Default::default()
            },
            "page.after",
        ),
        (SearchRequest { text: "a".repeat(501), ..Default::default() }, "text"),
        (SearchRequest { locale: "fr".into(), ..Default::default() }, "locale"),
        (SearchRequest { sort: 99, ..Default::default() }, "sort"),
        (
            SearchRequest {
                filters: Some(wire::SearchFilters { price_min: Some(10), price_max: Some(5), ..Default::default() }),
                ..Default::default()
            },
            "filters.price_min",
        ),
        (
            SearchRequest {
                filters: Some(wire::SearchFilters { body_types: vec![0], ..Default::default() }),
                ..Default::default()
            },
            "filters.bodyTypes",
        ),
        (
            SearchRequest {
                filters: Some(wire::SearchFilters { year_min: Some(1200), ..Default::default() }),
                ..Default::default()
            },
            "filters.year_min",
        ),
    ];
    for (request, field) in cases {
        let status = harness.client.search(request).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{field}: {status:?}");
        assert_eq!(status.metadata().get("nds-error-field").unwrap().to_str().unwrap(), field);
    }
}

#[tokio::test]
async fn a_slow_chat_costs_at_most_its_budget_and_the_rules_answer() {
    // Accepts TCP connections but never speaks HTTP/2: every call hangs.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_address = silent.local_addr().unwrap();
    let mut harness = harness(&format!("http://{silent_address}"), MemoryCache::shared(1000)).await;
    seed(&harness.index, marketplace()).await;
    let started = Instant::now();
    let request = SearchRequest { text: "nissan versa".into(), ..SearchRequest::default() };
    let response = harness.client.search(request).await.unwrap().into_inner();
    let elapsed = started.elapsed();
    assert_eq!(response.understood_by, "local-rules");
    // Not a speed check: a search that waited for the silent chat would hang until
    // its deadline; the slack only absorbs a loaded machine.
    assert!(elapsed < CHAT_BUDGET + Duration::from_secs(3), "took {elapsed:?}");
    let applied = filters_from_wire(response.applied_filters.as_ref().unwrap()).unwrap();
    assert_eq!(applied.makes, vec!["nissan".to_string()]);
    drop(silent);
}

#[tokio::test]
async fn results_are_cached_in_redis_per_index_generation_and_a_commit_invalidates_them() {
    let prefix = redis_prefix();
    let redis = Arc::new(RedisCache::connect_lazy(&redis_url(), prefix.clone()).unwrap());
    let mut harness = harness(&format!("http://{}", closed_address()), redis.clone()).await;
    seed(&harness.index, vec![doc(1, "kia", "rio", 150_000)]).await;
    let request = || SearchRequest {
        filters: Some(wire::SearchFilters { makes: vec!["kia".into()], ..Default::default() }),
        ..Default::default()
    };
    let first = harness.client.search(request()).await.unwrap().into_inner();
    assert_eq!(ids(&first.results), vec![id(1).to_string()]);
    let cached_keys = || async {
        let mut connection = redis.pool().get().await.unwrap();
        let keys: Vec<String> = bb8_redis::redis::cmd("KEYS")
            .arg(format!("{prefix}search:result:*"))
            .query_async(&mut *connection)
            .await
            .unwrap();
        keys.len()
    };
    // The answer is written to the cache off the request path (a spawned task): wait for it.
    let cached = |expected: usize| async move {
        let started = std::time::Instant::now();
        while cached_keys().await != expected {
            assert!(started.elapsed() < Duration::from_secs(10), "the cache never held {expected} answers");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    cached(1).await;
    let again = harness.client.search(request()).await.unwrap().into_inner();
    assert_eq!(again, first);
    assert_eq!(cached_keys().await, 1, "the repeat was served from the cache");
    // A change committed to the index: the next search misses and sees it.
    seed(&harness.index, vec![doc(2, "kia", "forte", 190_000)]).await;
    let after_commit = harness.client.search(request()).await.unwrap().into_inner();
    assert_eq!(after_commit.results.len(), 2);
    cached(2).await;
    let _ = &harness.cache;
}

#[tokio::test]
async fn index_status_is_for_platform_admins_only() {
    let mut harness = harness(&format!("http://{}", closed_address()), MemoryCache::shared(1000)).await;
    let status = harness.client.get_index_status(GetIndexStatusRequest {}).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    let mut request = tonic::Request::new(GetIndexStatusRequest {});
    request.metadata_mut().insert("authorization", "Bearer not-a-token".parse().unwrap());
    let status = harness.client.get_index_status(request).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
}

#[tokio::test]
async fn index_status_reports_documents_cursor_and_backend_to_platform_admins() {
    let mut harness = harness(&format!("http://{}", closed_address()), MemoryCache::shared(1000)).await;
    seed(&harness.index, marketplace()).await;
    let as_caller = |token: String| {
        let mut request = tonic::Request::new(GetIndexStatusRequest {});
        request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        request
    };
    let status = harness.client.get_index_status(as_caller(support::tokens::buyer_token())).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let report =
        harness.client.get_index_status(as_caller(support::tokens::platform_admin_token())).await.unwrap().into_inner();
    assert_eq!(report.documents, 14);
    assert_eq!(report.backend, "tantivy");
    assert_eq!(report.feed_sequence, 0, "no feed cursor saved yet");
    assert_eq!(report.physical_index, harness.index.physical_name().await.unwrap());
    let internal = harness.client.get_index_status(as_caller(support::tokens::search_service_token())).await.unwrap();
    assert_eq!(internal.into_inner().documents, 14);
}

#[tokio::test]
async fn build_wires_the_service_and_answers_on_an_empty_index_while_catalog_is_down() {
    let directory = TempDir::new("build");
    let database = TestDatabase::sqlite();
    svc_search::migrate(database.url()).await.unwrap();
    let shutdown = Shutdown::new();
    let runtime = runtime(
        &directory,
        database.url(),
        &format!("http://{}", closed_address()),
        MemoryCache::shared(100),
        shutdown.clone(),
    );
    let server = svc_search::build(&runtime).await.unwrap();
    let mut client = serve(server, shutdown.clone()).await;
    let response =
        client.search(SearchRequest { text: "sedan rojo".into(), ..Default::default() }).await.unwrap().into_inner();
    assert!(response.results.is_empty());
    assert_eq!(response.page_info.unwrap().total_count, 0);
    assert!(directory.path().join("search").join("CURRENT").exists(), "the tantivy index lives under the data dir");
    let report = svc_search::run_job(&runtime, "nightly").await.unwrap_err();
    assert!(report.to_string().contains("unknown job"));
    shutdown.trigger();
}
