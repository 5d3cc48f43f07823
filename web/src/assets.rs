//! The static files of both apps, compiled into the binary and served with
//! their content hash in the URL, so browsers keep them for a year and a new
//! release is fetched at once. htmx is vendored (pinned, with its licence).
//! Each file is gzipped once, at start, at the best level: a request costs a
//! copy, not a compression (the pages' layer skips bodies already encoded).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};

use crate::state::SharedState;

struct Asset {
    bytes: &'static [u8],
    /// The bytes gzipped, when that makes them smaller.
    gzipped: Option<axum::body::Bytes>,
    content_type: &'static str,
    /// First 16 hex digits of the SHA-256 of the bytes.
    version: String,
}

pub struct Assets {
    files: HashMap<&'static str, Asset>,
}

const FILES: &[(&str, &[u8], &str)] = &[
    ("site.css", include_bytes!("../static/site.css"), "text/css; charset=utf-8"),
    ("site.js", include_bytes!("../static/site.js"), "text/javascript; charset=utf-8"),
    // htmx 2.0.11 (BSD Zero Clause licence: static/htmx.LICENSE).
    ("htmx.min.js", include_bytes!("../static/htmx.min.js"), "text/javascript; charset=utf-8"),
    ("favicon.svg", include_bytes!("../static/favicon.svg"), "image/svg+xml"),
];

impl Assets {
    pub fn load() -> Assets {
        let files = FILES
            .iter()
            .map(|(name, bytes, content_type)| {
                let version = hex::encode(&Sha256::digest(bytes)[..8]);
                (*name, Asset { bytes, gzipped: gzip(bytes), content_type, version })
            })
            .collect();
        Assets { files }
    }

    /// The URL of a file, with its version; the bare path for an unknown name.
    pub fn url(&self, name: &str) -> String {
        match self.files.get(name) {
            Some(asset) => format!("/static/{name}?v={}", asset.version),
            None => format!("/static/{name}"),
        }
    }

    pub fn size(&self, name: &str) -> Option<usize> {
        self.files.get(name).map(|asset| asset.bytes.len())
    }
}

fn gzip(bytes: &[u8]) -> Option<axum::body::Bytes> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).ok()?;
    let compressed = encoder.finish().ok()?;
    (compressed.len() < bytes.len()).then(|| axum::body::Bytes::from(compressed))
}

/// Whether the request's `Accept-Encoding` takes gzip (and does not refuse it with q=0).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|value| value.to_str().ok()).any(|value| {
        value.split(',').any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|parameter| {
                parameter.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()).is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
    })
}

#[derive(serde::Deserialize)]
pub struct VersionQuery {
    v: Option<String>,
}

pub async fn serve_static(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    Query(query): Query<VersionQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(asset) = state.assets.files.get(name.as_str()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", asset.version);
    if headers.get(header::IF_NONE_MATCH).and_then(|value| value.to_str().ok()) == Some(etag.as_str()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    // Immutable only under the URL that names this version.
    let cache_control = if query.v.as_deref() == Some(asset.version.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let gzipped = asset.gzipped.as_ref().filter(|_| accepts_gzip(&headers));
    let mut response = match gzipped {
        Some(gzipped) => gzipped.clone().into_response(),
        None => asset.bytes.into_response(),
    };
    let response_headers = response.headers_mut();
    if gzipped.is_some() {
        response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if asset.gzipped.is_some() {
        response_headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response_headers.insert(header::ETAG, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn gzip_is_sent_only_to_who_takes_it() {
        assert!(accepts_gzip(&accept("gzip, deflate, br, zstd")));
        assert!(accepts_gzip(&accept("br;q=1.0, gzip;q=0.8")));
        assert!(accepts_gzip(&accept("*")));
        assert!(!accepts_gzip(&accept("gzip;q=0, br")));
        assert!(!accepts_gzip(&accept("identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn every_text_asset_is_stored_gzipped_and_decompresses_to_itself() {
        use std::io::Read;
        let assets = Assets::load();
        for name in ["site.css", "site.js", "htmx.min.js"] {
            let asset = &assets.files[name];
            let gzipped = asset.gzipped.as_ref().expect("text compresses");
            assert!(gzipped.len() * 2 < asset.bytes.len(), "{name}: {} of {} bytes", gzipped.len(), asset.bytes.len());
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&gzipped[..]).read_to_end(&mut plain).unwrap();
            assert_eq!(plain, asset.bytes, "{name}");
        }
    }
}
