//! Catalog's media routes, its only HTTP: `PUT /media/uploads/{token}` takes one
//! photo's bytes (a mobile app, the panel, or a browser sends them straight here,
//! never through the GraphQL edge), `GET /media/p/{photo}/{file}` serves a variant
//! under a name that never changes meaning, so it is cached for a year. Mounted on
//! the edge's listener by `nds dev`, on catalog's own (`NDS_WEBHOOK_ADDR`) by
//! `nds serve catalog`. Rules live in the service; this only speaks HTTP.

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use nds_common::ErrorCode;
use nds_common::error::HasErrorCode;
use serde_json::json;
use uuid::Uuid;

use crate::domain::photos::gallery::PhotoStatus;
use crate::domain::photos::{PhotoFormat, PhotoRejection};
use crate::error::CatalogError;
use crate::service::CatalogService;

/// Variants never change under their name (it carries a hash of the bytes).
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub fn media_router(service: CatalogService) -> Router {
    Router::new()
        .route("/media/uploads/{token}", put(upload).post(upload))
        .route("/media/p/{photo}/{file}", get(serve_variant))
        // The upload reads its body itself, under the photo limit.
        .layer(DefaultBodyLimit::disable())
        .with_state(service)
}

fn status_of(error: &CatalogError) -> StatusCode {
    match error {
        CatalogError::PhotoRejected(PhotoRejection::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
        CatalogError::PhotoRejected(PhotoRejection::UnsupportedType { .. } | PhotoRejection::TypeMismatch { .. }) => {
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        }
        CatalogError::PhotoRejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
        other => match other.error_code() {
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::BadUserInput => StatusCode::BAD_REQUEST,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::PaymentNotConfigured | ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        },
    }
}

/// `{"code": …, "message": …}`: the code is the rejection's (`too_large`,
/// `type_mismatch`, …) or the contract's (`NOT_FOUND`, …), for clients to translate.
fn error_response(error: &CatalogError) -> Response {
    let code = match error {
        CatalogError::PhotoRejected(rejection) => rejection.code().to_string(),
        other => other.error_code().as_str().to_string(),
    };
    let status = status_of(error);
    if status.is_server_error() {
        tracing::warn!(error = %error, "photo upload failed");
    }
    (status, axum::Json(json!({ "code": code, "message": error.to_string() }))).into_response()
}

/// What the client said it sends, to be checked against the bytes (never trusted).
fn declared_format(headers: &HeaderMap) -> Option<PhotoFormat> {
    let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    PhotoFormat::from_mime(content_type.split(';').next().unwrap_or_default().trim())
}

/// Reads at most `limit` bytes; more is TooLarge without reading the rest.
async fn read_capped(body: Body, limit: usize) -> Result<Bytes, CatalogError> {
    let too_large = || CatalogError::PhotoRejected(PhotoRejection::TooLarge { limit_bytes: limit });
    let mut stream = body.into_data_stream();
    let mut buffer = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| CatalogError::invalid("file", format!("the upload broke off: {error}")))?;
        if buffer.len() + chunk.len() > limit {
            return Err(too_large());
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer.freeze())
}

async fn upload(State(service): State<CatalogService>, Path(token): Path<String>, request: Request) -> Response {
    let limit = service.photo_limits().max_bytes;
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let declared = declared_format(request.headers());
    let result = async {
        let grant = service.open_photo_upload(&token).await?;
        // A declared length over the limit is refused before reading a byte of it.
        if announced.is_some_and(|length| length > limit as u64) {
            return Err(CatalogError::PhotoRejected(PhotoRejection::TooLarge { limit_bytes: limit }));
        }
        let bytes = read_capped(request.into_body(), limit).await?;
        service.accept_photo_upload(grant, declared, bytes).await
    };
    match result.await {
        Ok(photo) => (
            StatusCode::ACCEPTED,
            axum::Json(json!({
                "photoId": photo.id.to_string(),
                "listingId": photo.listing_id.to_string(),
                "status": PhotoStatus::Processing.as_str(),
            })),
        )
            .into_response(),
        Err(error) => error_response(&error),
    }
}

/// `<16 hex>-<width>.<webp|jpg>`: exactly what `variant_key` writes, nothing else.
fn valid_file_name(file: &str) -> Option<(&str, &'static str)> {
    let (stem, extension) = file.rsplit_once('.')?;
    let content_type = match extension {
        "webp" => "image/webp",
        "jpg" => "image/jpeg",
        _ => return None,
    };
    let (hash, width) = stem.split_once('-')?;
    let hash_ok = hash.len() == 16 && hash.bytes().all(|byte| byte.is_ascii_hexdigit());
    let width_ok = !width.is_empty() && width.len() <= 5 && width.bytes().all(|byte| byte.is_ascii_digit());
    (hash_ok && width_ok).then_some((stem, content_type))
}

async fn serve_variant(
    State(service): State<CatalogService>,
    Path((photo, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (Ok(photo_id), Some((stem, content_type))) = (Uuid::parse_str(&photo), valid_file_name(&file)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{stem}\"");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|candidate| candidate.trim() == etag || candidate.trim() == "*"))
    {
        return (StatusCode::NOT_MODIFIED, cache_headers(&etag)).into_response();
    }
    match service.media_object(&format!("p/{photo_id}/{file}")).await {
        Ok(Some(bytes)) => {
            let mut response = (cache_headers(&etag), Body::from(bytes)).into_response();
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            response
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => error_response(&error),
    }
}

fn cache_headers(etag: &str) -> [(header::HeaderName, HeaderValue); 3] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)),
        (header::ETAG, HeaderValue::from_str(etag).unwrap_or_else(|_| HeaderValue::from_static("\"\""))),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_the_worker_writes_are_served() {
        assert_eq!(valid_file_name("0123456789abcdef-640.webp"), Some(("0123456789abcdef-640", "image/webp")));
        assert!(valid_file_name("0123456789abcdef-1920.jpg").is_some());
        for bad in ["../staging-1.jpg", "0123456789abcdef-640.png", "0123456789abcdeg-640.jpg", "abc-640.jpg", "x.jpg"]
        {
            assert_eq!(valid_file_name(bad), None, "{bad}");
        }
    }
}
