//! Listing photos (svc-catalog): reserving uploads, the gallery, order and deletion.
//! The bytes never pass through here: clients send them to the upload URL, which
//! is catalog's media route; photo URLs point at the same media base.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use nds_proto::catalog::v1 as catalog;

use super::paging::timestamp;
use crate::clients::clients;
use crate::context::request_context;
use crate::error::GrpcResultExt;
use crate::loaders::loaders;

/// Where browsers reach catalog's media routes (`NDS_MEDIA_PUBLIC_URL`), no trailing slash.
#[derive(Clone, Debug)]
pub struct MediaBase(pub String);

impl MediaBase {
    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.0, path.trim_start_matches('/'))
    }
}

fn media_base<'a>(context: &Context<'a>) -> async_graphql::Result<&'a MediaBase> {
    context.data::<MediaBase>()
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum PhotoStatus {
    /// Received; the sizes are being made.
    Processing,
    Ready,
    /// Refused while processing: `failureReason` says why; nothing of it is served.
    Failed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ImageFormat {
    Webp,
    Jpeg,
}

impl ImageFormat {
    fn wire_name(self) -> &'static str {
        match self {
            ImageFormat::Webp => "webp",
            ImageFormat::Jpeg => "jpeg",
        }
    }
}

/// One encoded size of a photo.
pub struct PhotoVariant {
    variant: catalog::PhotoVariant,
    url: String,
}

#[Object]
impl PhotoVariant {
    async fn width(&self) -> u32 {
        self.variant.width
    }
    async fn height(&self) -> u32 {
        self.variant.height
    }
    /// `webp` or `jpeg`.
    async fn format(&self) -> &str {
        &self.variant.format
    }
    /// Never changes content: cache it forever.
    async fn url(&self) -> &str {
        &self.url
    }
    async fn bytes(&self) -> u64 {
        self.variant.bytes
    }
}

/// A photo of a listing, in its gallery order.
pub struct ListingPhoto {
    photo: catalog::ListingPhoto,
    base: MediaBase,
}

impl ListingPhoto {
    pub fn is_cover_photo(&self) -> bool {
        self.photo.cover
    }
}

#[Object]
impl ListingPhoto {
    async fn id(&self) -> ID {
        ID(self.photo.id.clone())
    }
    /// 0-based place in the gallery.
    async fn position(&self) -> i32 {
        self.photo.position
    }
    /// The first ready photo: what listing cards show.
    async fn is_cover(&self) -> bool {
        self.photo.cover
    }
    async fn status(&self) -> PhotoStatus {
        match catalog::PhotoStatus::try_from(self.photo.status) {
            Ok(catalog::PhotoStatus::Ready) => PhotoStatus::Ready,
            Ok(catalog::PhotoStatus::Failed) => PhotoStatus::Failed,
            _ => PhotoStatus::Processing,
        }
    }
    /// Set when FAILED: `undecodable`, `too_many_pixels`, `lost`, …
    async fn failure_code(&self) -> Option<&str> {
        (!self.photo.failure_code.is_empty()).then_some(self.photo.failure_code.as_str())
    }
    async fn failure_reason(&self) -> Option<&str> {
        (!self.photo.failure_reason.is_empty()).then_some(self.photo.failure_reason.as_str())
    }
    /// Upright size of the original (0 until processed).
    async fn width(&self) -> u32 {
        self.photo.width
    }
    async fn height(&self) -> u32 {
        self.photo.height
    }
    /// `#rrggbb` to paint while the image loads.
    async fn placeholder(&self) -> Option<&str> {
        (!self.photo.placeholder.is_empty()).then_some(self.photo.placeholder.as_str())
    }
    /// Narrowest first, WebP and JPEG at each width.
    async fn variants(&self) -> Vec<PhotoVariant> {
        self.photo
            .variants
            .iter()
            .map(|variant| PhotoVariant { url: self.base.url(&variant.path), variant: variant.clone() })
            .collect()
    }
    /// The variants of one format as an HTML `srcset` ("<url> 320w, <url> 640w, …").
    async fn srcset(&self, #[graphql(default_with = "ImageFormat::Webp")] format: ImageFormat) -> String {
        self.photo
            .variants
            .iter()
            .filter(|variant| variant.format == format.wire_name())
            .map(|variant| format!("{} {}w", self.base.url(&variant.path), variant.width))
            .collect::<Vec<_>>()
            .join(", ")
    }
    /// The narrowest variant of the format at least `width` pixels wide (the widest
    /// there is otherwise): a plain `src` for old browsers and mail.
    async fn url(
        &self,
        #[graphql(default = 640)] width: u32,
        #[graphql(default_with = "ImageFormat::Jpeg")] format: ImageFormat,
    ) -> Option<String> {
        let mut candidates: Vec<&catalog::PhotoVariant> =
            self.photo.variants.iter().filter(|variant| variant.format == format.wire_name()).collect();
        candidates.sort_by_key(|variant| variant.width);
        let chosen = candidates.iter().find(|variant| variant.width >= width).or(candidates.last())?;
        Some(self.base.url(&chosen.path))
    }
}

fn gallery(photos: catalog::ListingPhotos, base: &MediaBase) -> Vec<ListingPhoto> {
    photos.photos.into_iter().map(|photo| ListingPhoto { photo, base: base.clone() }).collect()
}

/// `Listing.gallery`: batched over the page's listings by the request's loader.
pub async fn listing_gallery(context: &Context<'_>, listing_id: &str) -> async_graphql::Result<Vec<ListingPhoto>> {
    let base = media_base(context)?;
    let photos = loaders(context)?.listing_photos().load_one(listing_id.to_string()).await?;
    Ok(photos.map(|photos| gallery(photos, base)).unwrap_or_default())
}

/// Where to send one photo's bytes: `PUT` the file as the body (its type is read
/// from the bytes; a `Content-Type` that disagrees is refused).
#[derive(SimpleObject)]
pub struct PhotoUpload {
    url: String,
    expires_at: Option<DateTime<Utc>>,
}

#[derive(SimpleObject)]
pub struct PhotoUploadReservation {
    /// One per file, each usable once.
    uploads: Vec<PhotoUpload>,
    max_bytes: u64,
    accepted_types: Vec<String>,
}

#[derive(Default)]
pub struct PhotoMutation;

#[Object]
impl PhotoMutation {
    /// Staff of the listing's agency: `count` single-use upload URLs, valid 15 minutes.
    async fn reserve_photo_uploads(
        &self,
        context: &Context<'_>,
        listing_id: ID,
        #[graphql(default = 1)] count: u32,
    ) -> async_graphql::Result<PhotoUploadReservation> {
        let request = request_context(context)?;
        let base = media_base(context)?;
        let message = catalog::ReservePhotoUploadsRequest { listing_id: listing_id.0, count };
        let response =
            clients(context)?.catalog().reserve_photo_uploads(request.call.request(message)).await.or_graphql()?;
        Ok(PhotoUploadReservation {
            uploads: response
                .uploads
                .into_iter()
                .map(|upload| PhotoUpload {
                    url: base.url(&upload.path),
                    expires_at: timestamp(upload.expires_at_unix),
                })
                .collect(),
            max_bytes: response.max_bytes,
            accepted_types: response.accepted_types,
        })
    }

    /// Every photo of the listing in the new order; the first ready one is the cover.
    async fn reorder_listing_photos(
        &self,
        context: &Context<'_>,
        listing_id: ID,
        photo_ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<ListingPhoto>> {
        let request = request_context(context)?;
        let message = catalog::ReorderListingPhotosRequest {
            listing_id: listing_id.0,
            photo_ids: photo_ids.into_iter().map(|id| id.0).collect(),
        };
        let response =
            clients(context)?.catalog().reorder_listing_photos(request.call.request(message)).await.or_graphql()?;
        Ok(gallery(response, media_base(context)?))
    }

    /// Removes the photo and every size of it; returns the gallery left.
    async fn delete_listing_photo(
        &self,
        context: &Context<'_>,
        listing_id: ID,
        photo_id: ID,
    ) -> async_graphql::Result<Vec<ListingPhoto>> {
        let request = request_context(context)?;
        let message = catalog::DeleteListingPhotoRequest { listing_id: listing_id.0, photo_id: photo_id.0 };
        let response =
            clients(context)?.catalog().delete_listing_photo(request.call.request(message)).await.or_graphql()?;
        Ok(gallery(response, media_base(context)?))
    }
}
