//! Test support: a real catalog gRPC server on 127.0.0.1:0 over a fresh database,
//! tokens signed with a throw-away Ed25519 key, and the fixtures of a small tenant
//! world (two agencies in one group, one in another).

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use nds_common::auth::MembershipClaim;
use nds_common::cache::{MemoryCache, SharedCache};
use nds_common::grpc::{GrpcServeOptions, connect_lazy, serve_grpc};
use nds_common::mail::FileMailer;
use nds_common::runtime::{Runtime, ServiceChannels};
use nds_common::testing::TestDatabase;
use nds_common::{Config, Shutdown};
use nds_proto::catalog::v1 as wire;
use nds_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use nds_proto::common::v1 as common;
use tonic::transport::Channel;
use uuid::Uuid;

use nds_common::testing::tokens::sign_access_token as sign;
// Not every test binary that includes this support uses each item.
#[allow(unused_imports)]
pub use nds_common::testing::tokens::test_authenticator as authenticator;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Agency {
    pub agency_id: Uuid,
    pub group_id: Uuid,
}

/// Two agencies of one group and one agency of another group.
#[derive(Clone, Copy, Debug)]
pub struct World {
    pub own: Agency,
    pub sibling: Agency,
    pub foreign: Agency,
}

impl World {
    pub fn new() -> World {
        let group = Uuid::new_v4();
        World {
            own: Agency { agency_id: Uuid::new_v4(), group_id: group },
            sibling: Agency { agency_id: Uuid::new_v4(), group_id: group },
            foreign: Agency { agency_id: Uuid::new_v4(), group_id: Uuid::new_v4() },
        }
    }
}

pub fn staff_token(role: &str, agency: Agency) -> String {
    let membership = MembershipClaim {
        role: role.into(),
        group_id: Some(agency.group_id.to_string()),
        agency_id: Some(agency.agency_id.to_string()),
    };
    sign("user", Uuid::new_v4().to_string(), vec![membership], vec![])
}

pub fn manager_token(agency: Agency) -> String {
    staff_token("AGENCY_MANAGER", agency)
}

pub fn salesperson_token(agency: Agency) -> String {
    staff_token("SALESPERSON", agency)
}

pub fn group_admin_token(group_id: Uuid) -> String {
    let membership =
        MembershipClaim { role: "GROUP_ADMIN".into(), group_id: Some(group_id.to_string()), agency_id: None };
    sign("user", Uuid::new_v4().to_string(), vec![membership], vec![])
}

pub fn buyer_token() -> String {
    let membership = MembershipClaim { role: "BUYER".into(), group_id: None, agency_id: None };
    sign("user", Uuid::new_v4().to_string(), vec![membership], vec![])
}

pub fn platform_admin_token() -> String {
    let membership = MembershipClaim { role: "PLATFORM_ADMIN".into(), group_id: None, agency_id: None };
    sign("user", Uuid::new_v4().to_string(), vec![membership], vec![])
}

/// What billing, search and jobs present: a service token with the internal scope.
pub fn internal_token() -> String {
    sign("service", "service:billing".into(), vec![], vec!["internal".into()])
}

pub fn runtime_for(database_url: &str, cache: SharedCache, address: &str, shutdown: Shutdown) -> Runtime {
    let data_dir = std::env::temp_dir().join(format!("catalog-test-{}", Uuid::new_v4().simple()));
    let config = Config::from_vars([
        ("NDS_CATALOG_DATABASE_URL".to_string(), database_url.to_string()),
        ("NDS_DATA_DIR".to_string(), data_dir.display().to_string()),
    ])
    .unwrap();
    let channel = connect_lazy(address).unwrap();
    Runtime {
        config: Arc::new(config),
        cache,
        mailer: Arc::new(FileMailer::new(data_dir.join("mail"), "nds@example.com").unwrap()),
        authenticator: authenticator(),
        channels: ServiceChannels {
            identity: channel.clone(),
            catalog: channel.clone(),
            search: channel.clone(),
            billing: channel.clone(),
            chat: channel,
        },
        shutdown,
        service_tokens: None,
    }
}

/// A running catalog server over a migrated database.
pub struct TestCatalog {
    pub runtime: Runtime,
    pub address: String,
    /// Base of the media routes (`…/media`), served on a listener of their own.
    pub media_url: String,
    server: tokio::task::JoinHandle<()>,
}

impl TestCatalog {
    pub async fn start(database: &TestDatabase) -> TestCatalog {
        TestCatalog::start_with_cache(database, MemoryCache::shared(1000)).await
    }

    pub async fn start_with_cache(database: &TestDatabase, cache: SharedCache) -> TestCatalog {
        TestCatalog::start_with(database, cache, svc_catalog::CatalogOptions::default()).await
    }

    pub async fn start_with(
        database: &TestDatabase,
        cache: SharedCache,
        options: svc_catalog::CatalogOptions,
    ) -> TestCatalog {
        svc_catalog::migrate(database.url()).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let shutdown = Shutdown::new();
        let runtime = runtime_for(database.url(), cache, &address, shutdown.clone());
        let parts = svc_catalog::build_with(&runtime, options).await.unwrap();
        let media_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let media_url = format!("http://{}/media", media_listener.local_addr().unwrap());
        let media_shutdown = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(media_listener, parts.media)
                .with_graceful_shutdown(async move { media_shutdown.wait().await })
                .await
                .unwrap();
        });
        let routes = tonic::service::Routes::new(parts.grpc);
        let options =
            GrpcServeOptions { drain: Duration::ZERO, grace: Duration::from_millis(500), ..Default::default() };
        let server = tokio::spawn(async move {
            serve_grpc(listener, routes, &[nds_proto::service_names::CATALOG], options, shutdown).await.unwrap();
        });
        TestCatalog { runtime, address, media_url, server }
    }

    pub async fn client(&self) -> CatalogServiceClient<Channel> {
        CatalogServiceClient::connect(self.address.clone()).await.unwrap()
    }

    /// Stops the server (streams end) and waits for it.
    pub async fn stop(self) {
        self.runtime.shutdown.trigger();
        tokio::time::timeout(Duration::from_secs(5), self.server).await.unwrap().unwrap();
    }
}

pub fn request<T>(message: T, token: Option<&str>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(token) = token {
        request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    request
}

pub fn code_of(status: &tonic::Status) -> nds_common::ErrorCode {
    nds_common::ApiError::from_status(status).code
}

pub fn field_of(status: &tonic::Status) -> Option<String> {
    nds_common::ApiError::from_status(status).field
}

pub use svc_catalog::testing::listing_input;

pub async fn create(client: &mut CatalogServiceClient<Channel>, token: &str, vin: &str) -> wire::Listing {
    client
        .create_listing(request(
            wire::CreateListingRequest { agency_id: String::new(), input: Some(listing_input(vin)) },
            Some(token),
        ))
        .await
        .unwrap()
        .into_inner()
}

pub async fn publish(
    client: &mut CatalogServiceClient<Channel>,
    token: &str,
    listing: &wire::Listing,
) -> wire::Listing {
    client
        .publish_listing(request(
            wire::ListingTransitionRequest { id: listing.id.clone(), expected_version: listing.version },
            Some(token),
        ))
        .await
        .unwrap()
        .into_inner()
}

/// Every change in the feed right now (through the service's own stream, with an internal token).
pub async fn feed_length(client: &mut CatalogServiceClient<Channel>) -> i64 {
    let response = client
        .scan_listings(request(
            wire::ScanListingsRequest { status: 0, page: Some(common::PageRequest { first: 1, after: String::new() }) },
            Some(&internal_token()),
        ))
        .await
        .unwrap()
        .into_inner();
    response.feed_sequence
}

/// A valid Mexican-plant VIN, distinct per `serial`.
pub fn vin(serial: u32) -> String {
    svc_catalog::domain::vin::Vin::with_check_digit(&format!("3N1CN7AP0{serial:08}")).unwrap().to_string()
}

pub async fn create_published(client: &mut CatalogServiceClient<Channel>, token: &str, vin: &str) -> wire::Listing {
    let draft = create(client, token, vin).await;
    publish(client, token, &draft).await
}

/// A manager of several agencies at once.
pub fn manager_of_many(agencies: &[Agency]) -> String {
    let memberships = agencies
        .iter()
        .map(|agency| MembershipClaim {
            role: "AGENCY_MANAGER".into(),
            group_id: Some(agency.group_id.to_string()),
            agency_id: Some(agency.agency_id.to_string()),
        })
        .collect();
    sign("user", Uuid::new_v4().to_string(), memberships, vec![])
}

/// A second catalog service over the test's database, outside any server: for
/// tests that call the service directly (measurements, photo intake with a
/// fetcher that lets a loopback test host through).
pub async fn service_over(
    database: &TestDatabase,
    runtime: &Runtime,
    photos: svc_catalog::service::PhotoPipeline,
) -> svc_catalog::service::CatalogService {
    svc_catalog::service::CatalogService::new(
        svc_catalog::store::CatalogStore::new(nds_common::db::connect(database.url()).await.unwrap()),
        runtime.cache.clone(),
        svc_catalog::service::FeedNotifier::new(),
        nds_common::auth::AgencyGroups::new(runtime.channels.identity.clone()),
        photos,
    )
}
