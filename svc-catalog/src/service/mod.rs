//! The catalog service: who may do what (domain::access), validation
//! (domain::validation), storage (store), cache and feed wake-ups, in one place the
//! gRPC adapter and the demo seeder both call. Callers arrive as `Option<&Principal>`
//! (None = anonymous), already authenticated.

mod buyers;
mod cache;
pub mod feed;
pub(crate) mod jobs;
mod listings;
mod metrics;
mod sitemap;
mod views;

pub use feed::FeedNotifier;
pub use metrics::MetricsQuery;

use chrono::Datelike;
use nds_common::auth::AgencyGroups;
use nds_common::cache::SharedCache;

use crate::store::CatalogStore;

#[derive(Clone)]
pub struct CatalogService {
    store: CatalogStore,
    cache: SharedCache,
    notifier: FeedNotifier,
    /// Agency → group for the metrics check, from identity.
    agencies: AgencyGroups,
}

impl CatalogService {
    pub fn new(store: CatalogStore, cache: SharedCache, notifier: FeedNotifier, agencies: AgencyGroups) -> Self {
        Self { store, cache, notifier, agencies }
    }

    pub fn store(&self) -> &CatalogStore {
        &self.store
    }

    pub fn notifier(&self) -> &FeedNotifier {
        &self.notifier
    }
}

pub(crate) use nds_common::clock::now_unix;

pub(crate) fn current_year() -> i32 {
    chrono::Utc::now().year()
}
