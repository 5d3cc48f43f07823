//! Photo use cases: reserve uploads, take an upload in, list, reorder, delete.
//! Processing itself runs off the request path (`photo_worker`).

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use nds_common::auth::Principal;
use nds_common::opaque_secret;
use uuid::Uuid;

use super::listings::authorize_manage;
use super::{CatalogService, now_unix};
use crate::domain::Listing;
use crate::domain::access::{can_read_private, can_see};
use crate::domain::lifecycle::is_editable;
use crate::domain::photos::gallery::{
    MAX_PHOTOS_PER_LISTING, MAX_UPLOADS_PER_RESERVATION, Photo, PhotoFailure, UPLOAD_TTL_SECONDS, public_view,
    staging_key, validate_order,
};
use crate::domain::photos::{PhotoFormat, PhotoLimits, inspect};
use crate::error::CatalogError;
use crate::service::listings::MAX_BATCH_IDS;
use crate::store::photos::{NewPhoto, UploadGrant};

/// One upload a client may make.
#[derive(Clone, Debug)]
pub struct ReservedUpload {
    pub token: String,
    pub expires_at_unix: i64,
}

#[derive(Clone, Debug)]
pub struct UploadReservation {
    pub uploads: Vec<ReservedUpload>,
    pub max_bytes: usize,
}

/// A listing's photos as one caller may see them.
#[derive(Clone, Debug)]
pub struct ListingGallery {
    pub listing_id: Uuid,
    pub photos: Vec<Photo>,
}

/// Photos may be added while the listing can still change: a draft or a live one.
fn require_editable(listing: &Listing) -> Result<(), CatalogError> {
    if !is_editable(listing.status) {
        return Err(CatalogError::NotEditable(listing.status));
    }
    Ok(())
}

impl CatalogService {
    pub fn photo_limits(&self) -> &PhotoLimits {
        &self.photos.limits
    }

    /// Hands out `count` single-use upload tokens for the listing, as long as the
    /// photos it holds plus the uploads still open fit in its places.
    pub async fn reserve_photo_uploads(
        &self,
        caller: Option<&Principal>,
        listing_id: Uuid,
        count: usize,
    ) -> Result<UploadReservation, CatalogError> {
        if count == 0 || count > MAX_UPLOADS_PER_RESERVATION {
            return Err(CatalogError::invalid(
                "count",
                format!("ask for 1 to {MAX_UPLOADS_PER_RESERVATION} uploads at a time"),
            ));
        }
        let listing = self.store.get_listing(listing_id).await?.ok_or(CatalogError::NotFound("listing"))?;
        authorize_manage(caller, &listing)?;
        require_editable(&listing)?;
        let now = now_unix();
        let held = self.store.photos_of(&[listing_id]).await?;
        let taken = held.iter().filter(|photo| photo.status.counts_toward_limit()).count();
        let open = usize::try_from(self.store.open_reservations(listing_id, now).await?).unwrap_or(usize::MAX);
        let free = MAX_PHOTOS_PER_LISTING.saturating_sub(taken + open);
        if count > free {
            return Err(CatalogError::invalid(
                "count",
                format!(
                    "a listing holds at most {MAX_PHOTOS_PER_LISTING} photos; this one has {taken} and {open} uploads \
                     under way, so {free} more fit"
                ),
            ));
        }
        let expires_at_unix = now + UPLOAD_TTL_SECONDS;
        let tokens: Vec<String> = (0..count).map(|_| opaque_secret::generate()).collect();
        let hashes: Vec<String> = tokens.iter().map(|token| opaque_secret::hash(token)).collect();
        let grant = UploadGrant { listing_id, agency_id: listing.owner.agency_id };
        self.store.reserve_uploads(grant, &hashes, now, expires_at_unix).await?;
        Ok(UploadReservation {
            uploads: tokens.into_iter().map(|token| ReservedUpload { token, expires_at_unix }).collect(),
            max_bytes: self.photos.limits.max_bytes,
        })
    }

    /// Spends an upload token before its bytes are read: an unknown, used or
    /// expired token is refused without reading a byte, and a token works once even
    /// if that upload then fails. The listing must still be its agency's and editable.
    pub async fn open_photo_upload(&self, token: &str) -> Result<UploadGrant, CatalogError> {
        if !opaque_secret::looks_like_secret(token) {
            return Err(CatalogError::UploadLinkInvalid);
        }
        let grant = self
            .store
            .consume_upload(&opaque_secret::hash(token), now_unix())
            .await?
            .ok_or(CatalogError::UploadLinkInvalid)?;
        let listing = self.store.get_listing(grant.listing_id).await?.ok_or(CatalogError::NotFound("listing"))?;
        if listing.owner.agency_id != grant.agency_id {
            return Err(CatalogError::UploadLinkInvalid);
        }
        require_editable(&listing)?;
        Ok(grant)
    }

    /// Takes one uploaded file in: refuses what is plainly not a photo we accept
    /// (nothing is stored then), keeps the original where the worker finds it,
    /// records the photo as PROCESSING and queues it.
    pub async fn accept_photo_upload(
        &self,
        grant: UploadGrant,
        declared: Option<PhotoFormat>,
        bytes: Bytes,
    ) -> Result<Photo, CatalogError> {
        inspect(&bytes, declared, &self.photos.limits).map_err(CatalogError::PhotoRejected)?;
        self.stage_photo(grant, bytes, None).await?.ok_or(CatalogError::PhotoLimit { limit: MAX_PHOTOS_PER_LISTING })
    }

    /// Stages checked bytes and appends the PROCESSING photo; `None` when the
    /// listing is full (or already has this URL's photo): nothing stays stored then.
    async fn stage_photo(
        &self,
        grant: UploadGrant,
        bytes: Bytes,
        source_url: Option<&str>,
    ) -> Result<Option<Photo>, CatalogError> {
        let photo_id = Uuid::now_v7();
        self.photos.media.put(&staging_key(photo_id), bytes).await?;
        let new = NewPhoto { id: photo_id, source_url, failure: None };
        match self.store.insert_photo_within_limit(grant, new, MAX_PHOTOS_PER_LISTING, now_unix()).await {
            Ok(Some(photo)) => {
                tracing::debug!(photo_id = %photo.id, listing_id = %photo.listing_id, "photo accepted");
                self.queue_photo(photo.id);
                Ok(Some(photo))
            }
            outcome => {
                // Not recorded: the original must not stay behind.
                self.discard_staged(photo_id).await;
                outcome
            }
        }
    }

    /// Listings from API integrations name their photos by URL. Each URL the listing
    /// has no photo from yet is fetched once, off the request path, with the
    /// fetcher's limits (no private addresses, size and time capped), and processed
    /// like an upload; a URL that cannot be taken in becomes a FAILED photo saying
    /// why, so it is not fetched again on every save.
    pub(crate) fn queue_photo_urls(&self, listing: &Listing) {
        if listing.fields.photos.is_empty() {
            return;
        }
        let service = self.clone();
        let grant = UploadGrant { listing_id: listing.id, agency_id: listing.owner.agency_id };
        let urls = listing.fields.photos.clone();
        tokio::spawn(async move {
            if let Err(error) = service.ingest_photo_urls(grant, &urls).await {
                tracing::warn!(listing_id = %grant.listing_id, error = %error, "photo URLs not taken in");
            }
        });
    }

    /// Takes in the URLs the listing has no photo from yet; returns how many it tried.
    pub async fn ingest_photo_urls(&self, grant: UploadGrant, urls: &[String]) -> Result<usize, CatalogError> {
        let known: HashSet<String> =
            self.store.photos_of(&[grant.listing_id]).await?.into_iter().filter_map(|photo| photo.source_url).collect();
        let mut tried = 0;
        for url in urls.iter().filter(|url| !known.contains(*url)) {
            tried += 1;
            let failure = match self.photos.fetcher.fetch(url).await {
                Ok(bytes) => match inspect(&bytes, None, &self.photos.limits) {
                    Ok(_) => {
                        self.stage_photo(grant, bytes, Some(url)).await?;
                        continue;
                    }
                    Err(rejection) => {
                        PhotoFailure { code: rejection.code().to_string(), reason: rejection.to_string() }
                    }
                },
                Err(error) => PhotoFailure {
                    code: format!("fetch_{}", error.code()),
                    reason: format!("the photo at {url} could not be fetched: {error}"),
                },
            };
            let new = NewPhoto { id: Uuid::now_v7(), source_url: Some(url), failure: Some(&failure) };
            self.store.insert_photo_within_limit(grant, new, MAX_PHOTOS_PER_LISTING, now_unix()).await?;
            tracing::info!(listing_id = %grant.listing_id, code = %failure.code, "a photo URL was refused");
        }
        Ok(tried)
    }

    pub(super) async fn discard_staged(&self, photo_id: Uuid) {
        if let Err(error) = self.photos.media.delete(&staging_key(photo_id)).await {
            tracing::warn!(photo_id = %photo_id, error = %error, "could not delete a staged original");
        }
    }

    /// The photos of the listings this caller can see; the public sees ready ones only,
    /// those who read the listing's private side see all, failures included.
    pub async fn listing_photos(
        &self,
        caller: Option<&Principal>,
        listing_ids: &[Uuid],
    ) -> Result<Vec<ListingGallery>, CatalogError> {
        if listing_ids.len() > MAX_BATCH_IDS {
            return Err(CatalogError::invalid("listingIds", format!("at most {MAX_BATCH_IDS} ids per call")));
        }
        let visible: Vec<Listing> =
            self.load_listings(listing_ids).await?.into_iter().filter(|listing| can_see(caller, listing)).collect();
        let ids: Vec<Uuid> = visible.iter().map(|listing| listing.id).collect();
        // One pass: each listing's photos, still in display order.
        let mut by_listing: HashMap<Uuid, Vec<Photo>> = HashMap::new();
        for photo in self.store.photos_of(&ids).await? {
            by_listing.entry(photo.listing_id).or_default().push(photo);
        }
        Ok(visible
            .into_iter()
            .map(|listing| {
                let own = by_listing.remove(&listing.id).unwrap_or_default();
                let shown = if can_read_private(caller, listing.owner) { own } else { public_view(own) };
                ListingGallery { listing_id: listing.id, photos: shown }
            })
            .collect())
    }

    /// The listing's photos as its manager sees them (after a change).
    async fn managed_gallery(&self, listing_id: Uuid) -> Result<ListingGallery, CatalogError> {
        Ok(ListingGallery { listing_id, photos: self.store.photos_of(&[listing_id]).await? })
    }

    pub async fn reorder_photos(
        &self,
        caller: Option<&Principal>,
        listing_id: Uuid,
        ordered: &[Uuid],
    ) -> Result<ListingGallery, CatalogError> {
        let listing = self.store.get_listing(listing_id).await?.ok_or(CatalogError::NotFound("listing"))?;
        authorize_manage(caller, &listing)?;
        let current = self.store.photos_of(&[listing_id]).await?;
        let ordered =
            validate_order(&current, ordered).map_err(|message| CatalogError::invalid("photoIds", message))?;
        self.store.reorder_photos(listing_id, &ordered, now_unix()).await?;
        self.managed_gallery(listing_id).await
    }

    /// Deletes the photo's row, then every object under its prefix. Archived and
    /// sold listings keep their photos, but their staff may still remove one.
    pub async fn delete_photo(
        &self,
        caller: Option<&Principal>,
        listing_id: Uuid,
        photo_id: Uuid,
    ) -> Result<ListingGallery, CatalogError> {
        let listing = self.store.get_listing(listing_id).await?.ok_or(CatalogError::NotFound("listing"))?;
        authorize_manage(caller, &listing)?;
        let photo = self
            .store
            .get_photo(photo_id)
            .await?
            .filter(|photo| photo.listing_id == listing_id)
            .ok_or(CatalogError::NotFound("photo"))?;
        if self.store.delete_photo_row(&photo).await? {
            self.remove_photo_objects(photo.id).await?;
        }
        self.managed_gallery(listing_id).await
    }

    /// Every object of one photo: its variants and, if still there, its original.
    pub(super) async fn remove_photo_objects(&self, photo_id: Uuid) -> Result<(), CatalogError> {
        let prefix = crate::domain::photos::gallery::photo_prefix(photo_id);
        self.photos.media.delete_prefix(&prefix).await?;
        self.photos.media.delete(&staging_key(photo_id)).await
    }

    /// A served object's bytes: variants only (`p/…`), never a staged original.
    pub async fn media_object(&self, key: &str) -> Result<Option<Bytes>, CatalogError> {
        if !key.starts_with("p/") {
            return Ok(None);
        }
        self.photos.media.get(key).await
    }
}
