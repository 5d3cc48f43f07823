//! The photo bytes: one `object_store` behind the catalog, the local filesystem under
//! the data directory in `nds dev` and tests, any S3-compatible bucket in production.
//! Only names (keys) leave this module; what they mean is `domain::photos::gallery`'s.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use nds_common::config::{MediaSettings, MediaStorage};
use object_store::path::Path;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, PutPayload, RetryConfig};

use crate::error::CatalogError;

/// A photo upload or a page's image waits on the bucket: a few quick retries, then
/// UNAVAILABLE (object_store's default retries for three minutes).
const RETRIES: RetryConfig = RetryConfig {
    backoff: BackoffConfig { init_backoff: Duration::from_millis(100), max_backoff: Duration::from_secs(2), base: 2.0 },
    max_retries: 3,
    retry_timeout: Duration::from_secs(15),
};
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Generous for a 15 MB original on a slow link to the bucket.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct MediaStore {
    objects: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "MediaStore({})", self.objects)
    }
}

fn unavailable(error: object_store::Error) -> CatalogError {
    CatalogError::Unavailable(format!("media store: {error}"))
}

fn path(key: &str) -> Result<Path, CatalogError> {
    Path::parse(key).map_err(|error| CatalogError::Corrupt(format!("media key {key:?}: {error}")))
}

impl MediaStore {
    /// The store the settings name; a local one lives in `data_dir/media`.
    pub fn from_settings(settings: &MediaSettings, data_dir: &std::path::Path) -> Result<MediaStore, CatalogError> {
        let objects: Arc<dyn ObjectStore> = match &settings.storage {
            MediaStorage::Local => {
                let root = data_dir.join("media");
                std::fs::create_dir_all(&root)
                    .map_err(|error| CatalogError::Unavailable(format!("creating {}: {error}", root.display())))?;
                Arc::new(object_store::local::LocalFileSystem::new_with_prefix(&root).map_err(unavailable)?)
            }
            MediaStorage::S3(s3) => {
                let mut builder = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_retry(RETRIES)
                    .with_client_options(
                        ClientOptions::new().with_connect_timeout(CONNECT_TIMEOUT).with_timeout(REQUEST_TIMEOUT),
                    );
                if let Some(endpoint) = &s3.endpoint {
                    // MinIO and friends are usually addressed by path, often over plain HTTP inside a cluster.
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                if let Some((key_id, secret)) = &s3.credentials {
                    builder = builder.with_access_key_id(key_id).with_secret_access_key(secret.expose());
                }
                Arc::new(builder.build().map_err(unavailable)?)
            }
        };
        Ok(MediaStore { objects })
    }

    /// An in-memory store (`object_store`'s own), for tests that look inside.
    pub fn in_memory() -> MediaStore {
        MediaStore { objects: Arc::new(object_store::memory::InMemory::new()) }
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), CatalogError> {
        self.objects.put(&path(key)?, PutPayload::from_bytes(bytes)).await.map_err(unavailable)?;
        Ok(())
    }

    /// The object's bytes, or `None` when there is no such object.
    pub async fn get(&self, key: &str) -> Result<Option<Bytes>, CatalogError> {
        match self.objects.get(&path(key)?).await {
            Ok(result) => Ok(Some(result.bytes().await.map_err(unavailable)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(unavailable(error)),
        }
    }

    /// Deletes one object; a missing one is already deleted.
    pub async fn delete(&self, key: &str) -> Result<(), CatalogError> {
        match self.objects.delete(&path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(unavailable(error)),
        }
    }

    /// Every object name under a prefix (`p/<photo id>/`), sorted.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, CatalogError> {
        let prefix = path(prefix.trim_end_matches('/'))?;
        let mut keys: Vec<String> = self
            .objects
            .list(Some(&prefix))
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await
            .map_err(unavailable)?;
        keys.sort();
        Ok(keys)
    }

    /// Deletes everything under a prefix: all variants of one photo.
    pub async fn delete_prefix(&self, prefix: &str) -> Result<usize, CatalogError> {
        // A photo has a handful of variants: one delete each, each tolerating a
        // concurrent delete of the same object.
        let keys = self.list(prefix).await?;
        for key in &keys {
            self.delete(key).await?;
        }
        Ok(keys.len())
    }
}
