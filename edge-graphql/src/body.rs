//! The body of a GraphQL POST, read as what the edge accepts: one JSON request.
//! async-graphql-axum's extractor reads batches and multipart uploads too, through
//! an untagged enum that buffers the whole document twice, only for the edge to
//! refuse batches afterwards; its parsing was a measured share of a small request.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub struct GraphqlBody(pub async_graphql::Request);

fn is_multipart(request: &Request) -> bool {
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok());
    content_type
        .is_some_and(|value| value.trim_start().get(..10).is_some_and(|start| start.eq_ignore_ascii_case("multipart/")))
}

impl<S: Send + Sync> FromRequest<S> for GraphqlBody {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        // No uploads in the schema; a form post is also how cross-site requests sneak in.
        if is_multipart(&request) {
            let message = "send the request as application/json (file uploads are not supported)";
            return Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, message).into_response());
        }
        // Over the body limit: 413, from the limit layer.
        let body = Bytes::from_request(request, state).await.map_err(IntoResponse::into_response)?;
        if body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[') {
            let message = "batched requests are not supported: send one operation per request";
            return Err((StatusCode::BAD_REQUEST, message).into_response());
        }
        serde_json::from_slice(&body).map(GraphqlBody).map_err(|error| {
            (StatusCode::BAD_REQUEST, format!("the body is not a GraphQL request: {error}")).into_response()
        })
    }
}
