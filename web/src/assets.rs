//! The static files of both apps, compiled into the binary and served with
//! their content hash in the URL, so browsers keep them for a year and a new
//! release is fetched at once. htmx is vendored (pinned, with its licence).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};

use crate::state::SharedState;

struct Asset {
    bytes: &'static [u8],
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
                (*name, Asset { bytes, content_type, version })
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
    let mut response = asset.bytes.into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response_headers.insert(header::ETAG, value);
    }
    response
}
