//! DataLoaders over the services' batch RPCs, one set per request (they carry the
//! caller's token, so one caller's visibility never leaks into another's batch).
//!
//! Batches gather on the scheduler, not on a timer: the keys of one selection level
//! all register while the resolving task runs (siblings resolve in the same poll),
//! and the load is spawned behind a yield, so it starts once that task has let go.
//! A timer (async-graphql's default 1 ms, then 100 µs here) cost a wake-up from a
//! timer thread on every nested lookup and showed in the edge benchmark; the
//! batching itself is checked end to end (tests/tests/batching.rs).

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};
use futures::future::BoxFuture;
use nds_common::grpc::CallContext;
use nds_proto::catalog::v1::{GetListingsRequest, Listing};
use nds_proto::identity::v1::{Agency, GetAgenciesRequest};

use crate::clients::Clients;
use crate::error::status_error;

/// Zero: the yield in `spawn_after_yield` is the batching window.
const BATCH_DELAY: Duration = Duration::ZERO;
/// Largest batch one RPC carries.
const MAX_BATCH: usize = 200;

pub struct AgencyLoader {
    clients: Clients,
    call: CallContext,
}

impl Loader<String> for AgencyLoader {
    type Value = Agency;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Agency>, Self::Error> {
        let response = self
            .clients
            .identity()
            .get_agencies(self.call.request(GetAgenciesRequest { ids: ids.to_vec() }))
            .await
            .map_err(status_error)?;
        Ok(response.into_inner().agencies.into_iter().map(|agency| (agency.id.clone(), agency)).collect())
    }
}

pub struct ListingLoader {
    clients: Clients,
    call: CallContext,
}

impl Loader<String> for ListingLoader {
    type Value = Listing;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Listing>, Self::Error> {
        fetch_listings(&self.clients, &self.call, ids.to_vec()).await
    }
}

/// The listings among `ids` the caller may see, by id, in one call. Resolvers that
/// hold every id at once call this directly: the DataLoader's batching delay and
/// its spawned task buy nothing when there is nothing else to wait for.
pub async fn fetch_listings(
    clients: &Clients,
    call: &CallContext,
    ids: Vec<String>,
) -> async_graphql::Result<HashMap<String, Listing>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let response =
        clients.catalog().get_listings(call.request(GetListingsRequest { ids })).await.map_err(status_error)?;
    Ok(response.into_inner().listings.into_iter().map(|listing| (listing.id.clone(), listing)).collect())
}

/// The request's DataLoaders, each made on first use: most documents need none,
/// and a DataLoader is several allocations.
pub struct Loaders {
    clients: Clients,
    call: CallContext,
    agencies: OnceLock<DataLoader<AgencyLoader>>,
    listings: OnceLock<DataLoader<ListingLoader>>,
}

impl Loaders {
    pub fn new(clients: &Clients, call: &CallContext) -> Self {
        Self { clients: clients.clone(), call: call.clone(), agencies: OnceLock::new(), listings: OnceLock::new() }
    }

    pub fn agencies(&self) -> &DataLoader<AgencyLoader> {
        self.agencies.get_or_init(|| {
            let loader = AgencyLoader { clients: self.clients.clone(), call: self.call.clone() };
            DataLoader::new(loader, spawn_after_yield).delay(BATCH_DELAY).max_batch_size(MAX_BATCH)
        })
    }

    pub fn listings(&self) -> &DataLoader<ListingLoader> {
        self.listings.get_or_init(|| {
            let loader = ListingLoader { clients: self.clients.clone(), call: self.call.clone() };
            DataLoader::new(loader, spawn_after_yield).delay(BATCH_DELAY).max_batch_size(MAX_BATCH)
        })
    }
}

/// The DataLoaders' spawner: the load runs after the spawning task yields.
fn spawn_after_yield(load: BoxFuture<'static, ()>) {
    tokio::spawn(async move {
        tokio::task::yield_now().await;
        load.await;
    });
}

pub fn loaders<'a>(context: &async_graphql::Context<'a>) -> async_graphql::Result<&'a Loaders> {
    context.data::<Loaders>()
}
