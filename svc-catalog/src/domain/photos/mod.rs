//! Listing photos: what one uploaded file becomes (`processing`, with `sniff` and
//! `rejection`), and how a listing keeps its photos (`gallery`).
//!
//! [`process`] refuses anything that is not a complete JPEG, PNG or WebP within
//! [`PhotoLimits`] (the type comes from the bytes, never from the file name), turns
//! the picture upright (EXIF orientation), and encodes a lossy WebP and a baseline
//! JPEG at each of [`VARIANT_WIDTHS`] up to the photo's own width. Variants carry
//! no metadata at all: phone photos hold GPS positions and camera serials.
//! [`inspect`] is its cheap first half (no pixels decoded), for the request path.
//!
//! Pure and synchronous, no global state. CPU-bound: about 0.6 s on one core for a
//! 12-megapixel photo in release (two thirds of it in libwebp), so the service runs
//! it with `tokio::task::spawn_blocking` and caps how many run at once. Peak memory is
//! the decoded original (3 bytes a pixel) plus the resizer's working buffers and the
//! largest variant: about 60 MB for a 12-megapixel JPEG. At the limits it is about
//! 220 MB for a 50-megapixel JPEG, and up to 600 MB for a 50-megapixel 16-bit PNG
//! with alpha (decoded at 8 bytes a pixel, then converted).

pub mod gallery;
mod processing;
mod rejection;
mod sniff;

pub use processing::{EncodedVariant, PhotoLimits, ProcessedPhoto, VARIANT_WIDTHS, VariantFormat, inspect, process};
pub use rejection::PhotoRejection;
pub use sniff::{PhotoFormat, sniff};
