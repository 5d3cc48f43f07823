//! Listing photos as a client uploads them: reserve through GraphQL, PUT the bytes
//! to the URL it returns (catalog's media route, on the edge's port in `nds dev`),
//! wait for processing.

// Test support: a failed expectation here is a failed test, said loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Cursor;
use std::time::Duration;

use image::{ImageFormat, Rgb, RgbImage};
use serde_json::{Value, json};

use crate::TestSystem;
use crate::client::data;

/// A photo-like JPEG: gradients in a colour of the caller's choosing.
pub fn sample_jpeg(width: u32, height: u32, tint: [u8; 3]) -> Vec<u8> {
    let picture = RgbImage::from_fn(width, height, |x, y| {
        let shade = |base: u8, along: u32, of: u32| base.saturating_add((along * 60 / of.max(1)) as u8);
        Rgb([shade(tint[0], x, width), shade(tint[1], y, height), tint[2]])
    });
    let mut bytes = Cursor::new(Vec::new());
    picture.write_to(&mut bytes, ImageFormat::Jpeg).unwrap();
    bytes.into_inner()
}

/// Reserves one upload for the listing and sends `bytes` there; returns the photo id.
pub async fn upload_photo(system: &TestSystem, token: &str, listing_id: &str, bytes: Vec<u8>) -> String {
    let reserved = system
        .graphql(
            "mutation($id: ID!) { reservePhotoUploads(listingId: $id, count: 1) { uploads { url } maxBytes } }",
            json!({ "id": listing_id }),
            Some(token),
        )
        .await
        .unwrap();
    let url = data(&reserved, "reservePhotoUploads")["uploads"][0]["url"].as_str().unwrap().to_string();
    let response =
        reqwest::Client::new().put(&url).header("content-type", "image/jpeg").body(bytes).send().await.unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status.as_u16(), 202, "upload to {url}: {body}");
    body["photoId"].as_str().unwrap().to_string()
}

/// The listing's gallery once nothing in it is processing any more.
pub async fn settled_gallery(system: &TestSystem, token: &str, listing_id: &str) -> Vec<Value> {
    let query = "query($id: ID!) { listing(id: $id) { gallery { id status isCover width height placeholder \
                 failureCode srcset(format: WEBP) url(width: 640) variants { width format url bytes } } } }";
    // Every 250 ms: the edge's rate limit (600 a minute per address) counts these too.
    for _ in 0..160 {
        let response = system.graphql(query, json!({ "id": listing_id }), Some(token)).await.unwrap();
        let gallery = data(&response, "listing")["gallery"].as_array().cloned().unwrap_or_default();
        if gallery.iter().all(|photo| photo["status"] != "PROCESSING") {
            return gallery;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("photos of {listing_id} still processing after 40 s");
}
