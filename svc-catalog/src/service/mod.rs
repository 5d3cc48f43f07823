//! The catalog service: who may do what (domain::access), validation
//! (domain::validation), storage (store), cache and feed wake-ups, in one place the
//! gRPC adapter and the demo seeder both call. Callers arrive as `Option<&Principal>`
//! (None = anonymous), already authenticated.

mod agency_suspension;
mod buyers;
mod cache;
pub mod feed;
pub(crate) mod jobs;
mod listings;
mod metrics;
pub mod photo_fetch;
pub mod photo_worker;
pub mod photos;
mod sitemap;
mod views;

pub use feed::FeedNotifier;
pub use listings::ListingsQuery;
pub use metrics::{MetricValue, MetricsQuery};
pub use photo_worker::{PhotoPipeline, ProcessingOutcome};

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
    /// The media store and the bounded processing of photos.
    photos: PhotoPipeline,
}

impl CatalogService {
    pub fn new(
        store: CatalogStore,
        cache: SharedCache,
        notifier: FeedNotifier,
        agencies: AgencyGroups,
        photos: PhotoPipeline,
    ) -> Self {
        Self { store, cache, notifier, agencies, photos }
    }

    pub fn store(&self) -> &CatalogStore {
        &self.store
    }

    pub fn notifier(&self) -> &FeedNotifier {
        &self.notifier
    }

    pub fn media(&self) -> &crate::store::media::MediaStore {
        &self.photos.media
    }
}

pub(crate) use nds_common::clock::now_unix;

pub(crate) fn current_year() -> i32 {
    chrono::Utc::now().year()
}
