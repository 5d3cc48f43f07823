//! The web's only backend: the GraphQL edge, over HTTP, with typed operations
//! (`operations`) checked at compile time against `edge-graphql/schema.graphql`.
//!
//! Every call forwards the browser's address (`X-Forwarded-For`), so the edge's
//! per-client limits and log-in throttling apply per person, and the signed-in
//! person's access token; tokens never reach the browser.

mod document;
pub mod operations;
mod subscription;

use std::net::IpAddr;
use std::time::Duration;

use graphql_client::GraphQLQuery;
use nds_common::error::ErrorCode;
use serde::Deserialize;

pub use subscription::{MessageAddedStream, subscribe_message_added};

/// Who the edge is asked on behalf of.
#[derive(Clone, Copy, Debug)]
pub struct Caller<'a> {
    pub token: Option<&'a str>,
    pub address: IpAddr,
}

/// One GraphQL error as the edge sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiFailure {
    pub code: ErrorCode,
    pub message: String,
    /// The input field it concerns, in the GraphQL argument's spelling.
    pub field: Option<String>,
}

#[derive(Clone, Debug, thiserror::Error)]
pub enum EdgeError {
    /// The edge answered with GraphQL errors.
    #[error("the edge refused: {}", .0.first().map(|failure| failure.message.as_str()).unwrap_or("no reason"))]
    Api(Vec<ApiFailure>),
    /// The edge could not be reached or did not answer GraphQL.
    #[error("the edge is unavailable: {0}")]
    Unavailable(String),
    /// The edge's rate limit refused this client for now.
    #[error("too many requests")]
    RateLimited,
}

impl EdgeError {
    /// The first error's code (UNAVAILABLE for transport failures).
    pub fn code(&self) -> ErrorCode {
        match self {
            EdgeError::Api(failures) => failures.first().map(|failure| failure.code).unwrap_or(ErrorCode::Internal),
            EdgeError::Unavailable(_) | EdgeError::RateLimited => ErrorCode::Unavailable,
        }
    }

    pub fn failures(&self) -> &[ApiFailure] {
        match self {
            EdgeError::Api(failures) => failures,
            EdgeError::Unavailable(_) | EdgeError::RateLimited => &[],
        }
    }

    pub fn is(&self, code: ErrorCode) -> bool {
        self.failures().iter().any(|failure| failure.code == code)
    }
}

#[derive(Deserialize)]
struct WireResponse<Data> {
    data: Option<Data>,
    #[serde(default)]
    errors: Vec<WireError>,
}

#[derive(Deserialize)]
struct WireError {
    message: String,
    #[serde(default)]
    extensions: Option<WireExtensions>,
}

#[derive(Deserialize)]
struct WireExtensions {
    code: Option<String>,
    field: Option<String>,
}

impl From<WireError> for ApiFailure {
    fn from(error: WireError) -> ApiFailure {
        let extensions = error.extensions;
        let code = extensions
            .as_ref()
            .and_then(|extensions| extensions.code.as_deref())
            .and_then(ErrorCode::parse)
            // A GraphQL validation error (no code) means our document or variables were wrong.
            .unwrap_or(ErrorCode::BadUserInput);
        // The edge names every field as the contract does (`graphql_field_name`).
        let field = extensions.and_then(|extensions| extensions.field);
        ApiFailure { code, message: error.message, field }
    }
}

/// The schema's name of a generated enum value (`AUTOMATIC`, `SUV`, `PLATFORM_ADMIN`…).
pub fn wire_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// How long one page may wait for the edge before it shows "try again".
pub const EDGE_TIMEOUT: Duration = Duration::from_secs(8);

/// What is posted for one operation: its own document (not the whole file), its name, its variables.
pub fn request_body<Q: GraphQLQuery>(variables: Q::Variables) -> graphql_client::QueryBody<Q::Variables> {
    let mut body = Q::build_query(variables);
    body.query = document::cached_operation_document(body.query, body.operation_name);
    body
}

/// The GraphQL client of the site and the panel.
#[derive(Clone)]
pub struct EdgeClient {
    http: reqwest::Client,
    graphql_url: String,
    websocket_url: String,
}

impl EdgeClient {
    pub fn new(edge_url: &str) -> Result<EdgeClient, reqwest::Error> {
        let base = edge_url.trim_end_matches('/');
        let http = reqwest::Client::builder()
            .timeout(EDGE_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .build()?;
        let websocket_url =
            format!("{}/graphql/ws", base.replacen("https://", "wss://", 1).replacen("http://", "ws://", 1));
        Ok(EdgeClient { http, graphql_url: format!("{base}/graphql"), websocket_url })
    }

    pub fn websocket_url(&self) -> &str {
        &self.websocket_url
    }

    /// Runs one operation; GraphQL errors become [`EdgeError::Api`].
    pub async fn run<Q: GraphQLQuery>(
        &self,
        caller: Caller<'_>,
        variables: Q::Variables,
    ) -> Result<Q::ResponseData, EdgeError> {
        let body = request_body::<Q>(variables);
        let mut request =
            self.http.post(&self.graphql_url).header("x-forwarded-for", caller.address.to_string()).json(&body);
        if let Some(token) = caller.token {
            request = request.bearer_auth(token);
        }
        // The page's trace continues at the edge (nothing is added when tracing is off).
        let mut trace_headers = reqwest::header::HeaderMap::new();
        nds_common::trace::propagation::inject_current_headers(&mut trace_headers);
        let response =
            request.headers(trace_headers).send().await.map_err(|error| EdgeError::Unavailable(error.to_string()))?;
        let status = response.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(EdgeError::RateLimited);
        }
        let bytes = response.bytes().await.map_err(|error| EdgeError::Unavailable(error.to_string()))?;
        // Errors first, then the data: a refused field leaves partial data without
        // it (`{"agency": {..}}` and FORBIDDEN on `agencyBilling`), which is not the
        // operation's shape, and the refusal is what the page must show.
        let parsed: WireResponse<serde_json::Value> = serde_json::from_slice(&bytes)
            .map_err(|error| EdgeError::Unavailable(format!("{status}: not a GraphQL response ({error})")))?;
        if !parsed.errors.is_empty() {
            return Err(EdgeError::Api(parsed.errors.into_iter().map(ApiFailure::from).collect()));
        }
        let data = parsed.data.ok_or_else(|| EdgeError::Unavailable(format!("{status}: a response without data")))?;
        serde_json::from_value(data)
            .map_err(|error| EdgeError::Unavailable(format!("{status}: data not of the operation's shape ({error})")))
    }
}

/// How long one photo may take to reach catalog's media route from the panel.
pub const PHOTO_UPLOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// What catalog's media route said of one photo sent to an upload URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PhotoUploadOutcome {
    Accepted,
    /// Its `code` (`too_large`, `type_mismatch`, …, or a contract code) for the page
    /// to translate.
    Refused {
        code: String,
    },
}

impl EdgeClient {
    /// Sends one photo's bytes to an upload URL the edge handed out (catalog's media
    /// route, not GraphQL). The declared type is checked there against the bytes.
    pub async fn upload_photo(
        &self,
        url: &str,
        content_type: &str,
        bytes: bytes::Bytes,
    ) -> Result<PhotoUploadOutcome, EdgeError> {
        let response = self
            .http
            .put(url)
            .timeout(PHOTO_UPLOAD_TIMEOUT)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes)
            .send()
            .await
            .map_err(|error| EdgeError::Unavailable(error.to_string()))?;
        if response.status().is_success() {
            return Ok(PhotoUploadOutcome::Accepted);
        }
        if response.status().is_server_error() {
            return Err(EdgeError::Unavailable(format!("the media route answered {}", response.status())));
        }
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let code = body["code"].as_str().unwrap_or("unknown").to_string();
        Ok(PhotoUploadOutcome::Refused { code })
    }
}

/// The same input as another operation's generated type (graphql_client makes
/// one type per operation, all with the schema's fields).
pub fn reshape<A: serde::Serialize, B: serde::de::DeserializeOwned>(value: A) -> Result<B, crate::error::PageError> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|error| crate::error::PageError::Internal(format!("an operation's input did not convert: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_without_a_known_code_is_bad_input_and_keeps_its_field() {
        let failure = ApiFailure::from(WireError {
            message: "VIN has 16 characters".into(),
            extensions: Some(WireExtensions { code: None, field: Some("input.vin".into()) }),
        });
        assert_eq!(failure.code, ErrorCode::BadUserInput);
        assert_eq!(failure.field.as_deref(), Some("input.vin"));
        let failure = ApiFailure::from(WireError {
            message: "down".into(),
            extensions: Some(WireExtensions { code: Some("UNAVAILABLE".into()), field: None }),
        });
        assert_eq!(failure.code, ErrorCode::Unavailable);
    }
}
