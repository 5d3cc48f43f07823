//! A listing's photos as the catalog keeps them: their order, their processing state
//! and the variants a browser picks from. The bytes live in the media store; here
//! are only the names, so this stays free of storage and transport.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::processing::VariantFormat;

/// Photos one listing may hold (processing and ready ones; failed ones do not count).
pub const MAX_PHOTOS_PER_LISTING: usize = 30;
/// Uploads one reservation may ask for: a dealer picks many files at once.
pub const MAX_UPLOADS_PER_RESERVATION: usize = MAX_PHOTOS_PER_LISTING;
/// How long an upload link works: long enough for a slow phone upload, short
/// enough that a leaked link is soon worthless.
pub const UPLOAD_TTL_SECONDS: i64 = 15 * 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PhotoStatus {
    /// Bytes received, variants not yet written.
    Processing,
    Ready,
    /// Refused by processing; the reason says why, nothing of it is stored.
    Failed,
}

impl PhotoStatus {
    pub const ALL: [PhotoStatus; 3] = [PhotoStatus::Processing, PhotoStatus::Ready, PhotoStatus::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            PhotoStatus::Processing => "PROCESSING",
            PhotoStatus::Ready => "READY",
            PhotoStatus::Failed => "FAILED",
        }
    }

    /// Whether the photo takes one of the listing's places.
    pub fn counts_toward_limit(self) -> bool {
        self != PhotoStatus::Failed
    }
}

impl FromStr for PhotoStatus {
    type Err = String;

    fn from_str(name: &str) -> Result<PhotoStatus, String> {
        PhotoStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == name)
            .ok_or_else(|| format!("unknown photo status {name:?}"))
    }
}

impl fmt::Display for PhotoStatus {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// One encoded size of a photo, by its name in the media store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredVariant {
    pub width: u32,
    pub height: u32,
    pub format: VariantFormat,
    /// The object's name under the media base, e.g. `p/<photo id>/<hash>-640.webp`.
    pub key: String,
    pub bytes: u64,
}

/// Why processing refused a photo: a stable code for translations, and the sentence.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PhotoFailure {
    pub code: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Photo {
    pub id: Uuid,
    pub listing_id: Uuid,
    pub agency_id: Uuid,
    /// 0 is the cover.
    pub position: i32,
    pub status: PhotoStatus,
    pub failure: Option<PhotoFailure>,
    /// Upright size of the original, once processed.
    pub width: u32,
    pub height: u32,
    /// `#rrggbb` shown while the image loads.
    pub placeholder: String,
    pub variants: Vec<StoredVariant>,
    /// The URL it was fetched from, for photos an API integration named by URL.
    pub source_url: Option<String>,
    pub created_at_unix: i64,
}

impl Photo {
    pub fn is_cover(&self) -> bool {
        self.position == 0
    }
}

/// The object names of one photo: its variants under `p/<photo id>/`, so deleting a
/// photo removes exactly its own objects; each name carries a hash of its bytes, so
/// a name never changes meaning and can be cached forever.
pub fn photo_prefix(photo_id: Uuid) -> String {
    format!("p/{photo_id}/")
}

pub fn variant_key(photo_id: Uuid, content_hash: &str, width: u32, format: VariantFormat) -> String {
    format!("{}{content_hash}-{width}.{}", photo_prefix(photo_id), format.extension())
}

/// Where the original waits for processing; never served.
pub fn staging_key(photo_id: Uuid) -> String {
    format!("staging/{photo_id}")
}

/// Checks a new order: exactly the listing's photos, each once. Returns the ids in
/// the order given, which becomes positions 0, 1, 2… (the first is the cover).
pub fn validate_order(current: &[Photo], requested: &[Uuid]) -> Result<Vec<Uuid>, &'static str> {
    let known: HashSet<Uuid> = current.iter().map(|photo| photo.id).collect();
    let mut seen = HashSet::with_capacity(requested.len());
    for id in requested {
        if !known.contains(id) {
            return Err("a photo in the order is not one of this listing's photos");
        }
        if !seen.insert(*id) {
            return Err("a photo appears twice in the order");
        }
    }
    if seen.len() != known.len() {
        return Err("the order must name every photo of the listing");
    }
    Ok(requested.to_vec())
}

/// Photos in display order, as the public sees them: only ready ones.
pub fn public_view(photos: Vec<Photo>) -> Vec<Photo> {
    photos.into_iter().filter(|photo| photo.status == PhotoStatus::Ready).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(position: i32) -> Photo {
        Photo {
            id: Uuid::now_v7(),
            listing_id: Uuid::nil(),
            agency_id: Uuid::nil(),
            position,
            status: PhotoStatus::Ready,
            failure: None,
            width: 0,
            height: 0,
            placeholder: String::new(),
            variants: Vec::new(),
            source_url: None,
            created_at_unix: 0,
        }
    }

    #[test]
    fn an_order_names_every_photo_exactly_once() {
        let photos = vec![photo(0), photo(1), photo(2)];
        let ids: Vec<Uuid> = photos.iter().map(|photo| photo.id).rev().collect();
        assert_eq!(validate_order(&photos, &ids), Ok(ids.clone()));
        assert!(validate_order(&photos, &ids[..2]).is_err(), "a missing photo is refused");
        assert!(validate_order(&photos, &[ids[0], ids[0], ids[1]]).is_err(), "a duplicate is refused");
        assert!(validate_order(&photos, &[ids[0], ids[1], Uuid::now_v7()]).is_err(), "a stranger is refused");
    }

    #[test]
    fn variant_names_stay_under_their_photo() {
        let id = Uuid::now_v7();
        let key = variant_key(id, "abcdef0123456789", 640, VariantFormat::Webp);
        assert!(key.starts_with(&photo_prefix(id)));
        assert!(key.ends_with("-640.webp"));
        assert!(!staging_key(id).starts_with("p/"), "originals are never under the served prefix");
    }
}
