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
use nds_proto::catalog::v1::{
    GET_LISTINGS_MAX_IDS, GetListingPhotosRequest, GetListingsRequest, Listing, ListingPhotos,
};
use nds_proto::identity::v1::{Agency, GetAgenciesRequest};

use crate::clients::Clients;
use crate::error::status_error;

/// Zero: the yield in `spawn_after_yield` is the batching window.
const BATCH_DELAY: Duration = Duration::ZERO;
/// Largest batch of agencies one `GetAgencies` carries (identity refuses more than 200).
const MAX_AGENCY_BATCH: usize = 200;
/// How long the edge shows an agency's card without asking identity again.
const AGENCY_CARD_TTL: Duration = Duration::from_secs(10);
const MAX_AGENCY_CARDS: u64 = 50_000;

/// Agencies as listing cards show them, kept at the edge for [`AGENCY_CARD_TTL`]:
/// pages of cards name the same few agencies over and over, and an agency's public
/// card (name, city) changes rarely. Identity's `GetAgencies` answers the same to
/// every caller, so sharing the answers across requests shows no one anything new.
/// Only listing cards read through it; `agency(id)` and the rest ask identity.
#[derive(Clone)]
pub struct AgencyCards(moka::sync::Cache<String, Agency>);

impl AgencyCards {
    pub fn new() -> Self {
        Self(moka::sync::Cache::builder().max_capacity(MAX_AGENCY_CARDS).time_to_live(AGENCY_CARD_TTL).build())
    }
}

impl Default for AgencyCards {
    fn default() -> Self {
        Self::new()
    }
}

pub struct AgencyLoader {
    clients: Clients,
    call: CallContext,
    /// Set for the loader of listing cards.
    cards: Option<AgencyCards>,
}

impl Loader<String> for AgencyLoader {
    type Value = Agency;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Agency>, Self::Error> {
        let mut found = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in ids {
            match self.cards.as_ref().and_then(|cards| cards.0.get(id)) {
                Some(agency) => {
                    found.insert(id.clone(), agency);
                }
                None => missing.push(id.clone()),
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let response = self
            .clients
            .identity()
            .get_agencies(self.call.request(GetAgenciesRequest { ids: missing }))
            .await
            .map_err(status_error)?;
        for agency in response.into_inner().agencies {
            if let Some(cards) = &self.cards {
                cards.0.insert(agency.id.clone(), agency.clone());
            }
            found.insert(agency.id.clone(), agency);
        }
        Ok(found)
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

/// The galleries of a page of listings, in one `GetListingPhotos` call.
pub struct ListingPhotosLoader {
    clients: Clients,
    call: CallContext,
}

impl Loader<String> for ListingPhotosLoader {
    type Value = ListingPhotos;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, ListingPhotos>, Self::Error> {
        let request = self.call.request(GetListingPhotosRequest { listing_ids: ids.to_vec() });
        let response = self.clients.catalog().get_listing_photos(request).await.map_err(status_error)?;
        Ok(response.into_inner().listings.into_iter().map(|photos| (photos.listing_id.clone(), photos)).collect())
    }
}

/// The listings among `ids` the caller may see, by id: in one call, or in parallel
/// calls of at most [`GET_LISTINGS_MAX_IDS`] (catalog refuses larger ones; the
/// DataLoader hands over everything gathered at once, and a search page can hold
/// 100 results plus its promoted listings). Resolvers that hold every id at once
/// call this directly: the DataLoader's batching delay and its spawned task buy
/// nothing when there is nothing else to wait for.
pub async fn fetch_listings(
    clients: &Clients,
    call: &CallContext,
    ids: Vec<String>,
) -> async_graphql::Result<HashMap<String, Listing>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    if ids.len() <= GET_LISTINGS_MAX_IDS {
        let response =
            clients.catalog().get_listings(call.request(GetListingsRequest { ids })).await.map_err(status_error)?;
        return Ok(response.into_inner().listings.into_iter().map(|listing| (listing.id.clone(), listing)).collect());
    }
    let calls = ids.chunks(GET_LISTINGS_MAX_IDS).map(|chunk| {
        let request = call.request(GetListingsRequest { ids: chunk.to_vec() });
        let mut catalog = clients.catalog();
        async move { catalog.get_listings(request).await }
    });
    let responses = futures::future::try_join_all(calls).await.map_err(status_error)?;
    Ok(responses
        .into_iter()
        .flat_map(|response| response.into_inner().listings)
        .map(|listing| (listing.id.clone(), listing))
        .collect())
}

/// The request's DataLoaders, each made on first use: most documents need none,
/// and a DataLoader is several allocations.
pub struct Loaders {
    clients: Clients,
    call: CallContext,
    cards: AgencyCards,
    agencies: OnceLock<DataLoader<AgencyLoader>>,
    agency_cards: OnceLock<DataLoader<AgencyLoader>>,
    listings: OnceLock<DataLoader<ListingLoader>>,
    listing_photos: OnceLock<DataLoader<ListingPhotosLoader>>,
}

impl Loaders {
    pub fn new(clients: &Clients, call: &CallContext, cards: &AgencyCards) -> Self {
        Self {
            clients: clients.clone(),
            call: call.clone(),
            cards: cards.clone(),
            agencies: OnceLock::new(),
            agency_cards: OnceLock::new(),
            listings: OnceLock::new(),
            listing_photos: OnceLock::new(),
        }
    }

    fn agency_loader(&self, cards: Option<AgencyCards>) -> DataLoader<AgencyLoader> {
        let loader = AgencyLoader { clients: self.clients.clone(), call: self.call.clone(), cards };
        DataLoader::new(loader, spawn_after_yield).delay(BATCH_DELAY).max_batch_size(MAX_AGENCY_BATCH)
    }

    /// Agencies as identity holds them now.
    pub fn agencies(&self) -> &DataLoader<AgencyLoader> {
        self.agencies.get_or_init(|| self.agency_loader(None))
    }

    /// Agencies for listing cards: up to [`AGENCY_CARD_TTL`] old.
    pub fn agency_cards(&self) -> &DataLoader<AgencyLoader> {
        self.agency_cards.get_or_init(|| self.agency_loader(Some(self.cards.clone())))
    }

    pub fn listings(&self) -> &DataLoader<ListingLoader> {
        self.listings.get_or_init(|| {
            let loader = ListingLoader { clients: self.clients.clone(), call: self.call.clone() };
            DataLoader::new(loader, spawn_after_yield).delay(BATCH_DELAY).max_batch_size(GET_LISTINGS_MAX_IDS)
        })
    }

    pub fn listing_photos(&self) -> &DataLoader<ListingPhotosLoader> {
        self.listing_photos.get_or_init(|| {
            let loader = ListingPhotosLoader { clients: self.clients.clone(), call: self.call.clone() };
            DataLoader::new(loader, spawn_after_yield).delay(BATCH_DELAY).max_batch_size(GET_LISTINGS_MAX_IDS)
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
