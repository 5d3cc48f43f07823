//! Photo processing off the request path. An accepted upload is queued as a task
//! that waits for one of a few permits (so at most that many originals are decoded
//! at once: memory and CPU stay bounded however many uploads arrive), decodes and
//! encodes on the blocking pool, writes the variants, then marks the photo READY or
//! FAILED. A process that stops mid-queue leaves photos PROCESSING with their
//! originals staged; the sweep picks them up again.

use std::sync::Arc;
use std::time::Duration;

use nds_common::Shutdown;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use uuid::Uuid;

use super::{CatalogService, now_unix};
use crate::domain::photos::gallery::{PhotoFailure, PhotoStatus, StoredVariant, staging_key, variant_key};
use crate::domain::photos::{PhotoLimits, PhotoRejection, process};
use crate::error::CatalogError;
use crate::service::photo_fetch::PhotoFetcher;
use crate::store::media::MediaStore;
use crate::store::photos::ProcessedFields;

/// A PROCESSING photo untouched this long was left behind by a stopped process.
pub const STALE_PROCESSING: Duration = Duration::from_secs(600);
/// How often a running catalog looks for such photos.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(60);
const SWEEP_BATCH: u64 = 100;

/// Where photos go and how they are processed: shared by every clone of the service.
#[derive(Clone)]
pub struct PhotoPipeline {
    pub media: MediaStore,
    pub limits: PhotoLimits,
    /// Takes in photos API integrations name by URL.
    pub fetcher: Arc<PhotoFetcher>,
    permits: Arc<Semaphore>,
}

impl PhotoPipeline {
    /// One decode at a time per two cores: photos are big, and requests must keep a core.
    pub fn new(media: MediaStore, limits: PhotoLimits, fetcher: PhotoFetcher) -> PhotoPipeline {
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(1);
        PhotoPipeline {
            media,
            limits,
            fetcher: Arc::new(fetcher),
            permits: Arc::new(Semaphore::new(cores.div_ceil(2))),
        }
    }
}

/// What processing one photo came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcessingOutcome {
    Ready,
    Failed(String),
    /// Deleted meanwhile, already done, or its original lost: nothing to do.
    Skipped,
}

fn failure_of(rejection: &PhotoRejection) -> PhotoFailure {
    PhotoFailure { code: rejection.code().to_string(), reason: rejection.to_string() }
}

fn content_hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..8])
}

impl CatalogService {
    pub(super) fn queue_photo(&self, photo_id: Uuid) {
        let service = self.clone();
        tokio::spawn(async move {
            if let Err(error) = service.process_photo(photo_id).await {
                // Left PROCESSING with its original: the sweep retries it.
                tracing::warn!(photo_id = %photo_id, error = %error, "photo processing interrupted");
            }
        });
    }

    /// Processes one PROCESSING photo to READY or FAILED. An error means a store was
    /// unreachable: the photo stays PROCESSING for a later attempt.
    pub async fn process_photo(&self, photo_id: Uuid) -> Result<ProcessingOutcome, CatalogError> {
        let _permit = self
            .photos
            .permits
            .acquire()
            .await
            .map_err(|_| CatalogError::Unavailable("photo processing stopped".into()))?;
        let Some(photo) = self.store.get_photo(photo_id).await? else {
            self.discard_staged(photo_id).await;
            return Ok(ProcessingOutcome::Skipped);
        };
        if photo.status != PhotoStatus::Processing {
            return Ok(ProcessingOutcome::Skipped);
        }
        let Some(original) = self.photos.media.get(&staging_key(photo_id)).await? else {
            let failure = PhotoFailure {
                code: "lost".into(),
                reason: "the uploaded file was lost before it could be processed; upload it again".into(),
            };
            self.store.fail_photo(photo_id, &failure, now_unix()).await?;
            return Ok(ProcessingOutcome::Failed(failure.code));
        };
        let limits = self.photos.limits.clone();
        // A decoder that panics on a hostile file takes down its blocking task only.
        let processed = tokio::task::spawn_blocking(move || process(&original, None, &limits)).await;
        let processed = match processed {
            Ok(Ok(processed)) => processed,
            Ok(Err(rejection)) => return self.record_failure(photo_id, failure_of(&rejection)).await,
            Err(panic) => {
                tracing::error!(photo_id = %photo_id, error = %panic, "a photo decoder panicked");
                let rejection = PhotoRejection::Undecodable { reason: "the image data is damaged".into() };
                return self.record_failure(photo_id, failure_of(&rejection)).await;
            }
        };

        let mut variants = Vec::with_capacity(processed.variants.len());
        for variant in processed.variants {
            let key = variant_key(photo_id, &content_hash(&variant.bytes), variant.width, variant.format);
            let bytes = variant.bytes.len() as u64;
            self.photos.media.put(&key, variant.bytes.into()).await?;
            variants.push(StoredVariant {
                width: variant.width,
                height: variant.height,
                format: variant.format,
                key,
                bytes,
            });
        }
        let fields = ProcessedFields {
            width: processed.width,
            height: processed.height,
            placeholder: processed.placeholder,
            variants,
        };
        if self.store.finish_photo(photo_id, &fields, now_unix()).await? {
            self.discard_staged(photo_id).await;
            tracing::debug!(photo_id = %photo_id, "photo ready");
            return Ok(ProcessingOutcome::Ready);
        }
        // Not PROCESSING any more: deleted while we worked (remove what we wrote), or
        // finished by a sweep that raced us (same names, same bytes: keep them).
        if self.store.get_photo(photo_id).await?.is_none() {
            self.remove_photo_objects(photo_id).await?;
        }
        Ok(ProcessingOutcome::Skipped)
    }

    async fn record_failure(&self, photo_id: Uuid, failure: PhotoFailure) -> Result<ProcessingOutcome, CatalogError> {
        self.store.fail_photo(photo_id, &failure, now_unix()).await?;
        self.discard_staged(photo_id).await;
        tracing::info!(photo_id = %photo_id, code = %failure.code, "photo refused by processing");
        Ok(ProcessingOutcome::Failed(failure.code))
    }

    /// Queues photos a stopped process left PROCESSING; returns how many.
    pub async fn sweep_stale_photos(&self) -> Result<usize, CatalogError> {
        let now = now_unix();
        let stale_before = now - i64::try_from(STALE_PROCESSING.as_secs()).unwrap_or(i64::MAX);
        let claimed = self.store.claim_stale_photos(stale_before, now, SWEEP_BATCH).await?;
        for photo in &claimed {
            self.queue_photo(photo.id);
        }
        Ok(claimed.len())
    }
}

/// Sweeps at start, then every [`SWEEP_INTERVAL`] until shutdown.
pub fn spawn_periodic_photo_sweep(service: CatalogService, shutdown: Shutdown) {
    tokio::spawn(async move {
        loop {
            match service.sweep_stale_photos().await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "requeued photos left processing"),
                Err(error) => tracing::warn!(error = %error, "photo sweep failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(SWEEP_INTERVAL) => {}
                () = shutdown.wait() => return,
            }
        }
    });
}
