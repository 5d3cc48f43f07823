//! Persisted queries for the mobile apps (Apollo's `persistedQuery` extension).
//!
//! Open mode is automatic persisted queries: a client may send just the hash of a
//! query it sent before. That caches *any* query, so it is no protection; in
//! allow-list mode (`NDS_APQ_ALLOWLIST=true`) only the queries registered at build
//! time of the apps (`NDS_PERSISTED_QUERIES_FILE`, a JSON object hash → query) run,
//! whether a request sends the hash or the full text.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest};
use async_graphql::{ErrorExtensions, Request, ServerError, ServerResult};
use nds_common::error::ErrorCode;
use sha2::{Digest, Sha256};

use crate::error::error_with_code;

/// Apollo's automatic-persisted-queries protocol, not one of the contract's codes:
/// clients' APQ links send the full text when they see it.
const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";

#[derive(Clone)]
pub enum PersistedQueries {
    /// Automatic persisted queries: remember what clients sent.
    Open(moka::sync::Cache<String, Arc<String>>),
    /// Only these queries (by SHA-256 hex of their text) run.
    AllowList(Arc<HashMap<String, String>>),
}

#[derive(Debug, thiserror::Error)]
pub enum PersistedQueriesError {
    #[error("cannot read the persisted queries file {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("persisted query {hash} does not match the SHA-256 of its text")]
    HashMismatch { hash: String },
}

pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

impl PersistedQueries {
    pub fn open() -> Self {
        PersistedQueries::Open(moka::sync::Cache::new(10_000))
    }

    /// Loads and checks the registered queries (every key must be its query's hash).
    pub fn allow_list(registered: HashMap<String, String>) -> Result<Self, PersistedQueriesError> {
        if let Some(hash) = registered.iter().find(|(hash, query)| **hash != sha256_hex(query)).map(|(hash, _)| hash) {
            return Err(PersistedQueriesError::HashMismatch { hash: hash.clone() });
        }
        Ok(PersistedQueries::AllowList(Arc::new(registered)))
    }

    pub fn allow_list_file(path: &std::path::Path) -> Result<Self, PersistedQueriesError> {
        let unreadable =
            |reason: String| PersistedQueriesError::Unreadable { path: path.display().to_string(), reason };
        let text = std::fs::read_to_string(path).map_err(|error| unreadable(error.to_string()))?;
        let registered = serde_json::from_str(&text).map_err(|error| unreadable(error.to_string()))?;
        PersistedQueries::allow_list(registered)
    }
}

fn refusal(message: &str, code: ErrorCode) -> ServerError {
    error_with_code(code, message).into_server_error(async_graphql::Pos::default())
}

/// The APQ answer to a hash the edge does not know (yet).
fn not_found() -> ServerError {
    let error = async_graphql::Error::new("PersistedQueryNotFound")
        .extend_with(|_, extensions| extensions.set("code", PERSISTED_QUERY_NOT_FOUND));
    error.into_server_error(async_graphql::Pos::default())
}

/// The hash a request names in `extensions.persistedQuery.sha256Hash`, if any.
fn requested_hash(request: &mut Request) -> ServerResult<Option<String>> {
    let Some(value) = request.extensions.remove("persistedQuery") else {
        return Ok(None);
    };
    let json = value.into_json().map_err(|_| refusal("invalid persistedQuery extension", ErrorCode::BadUserInput))?;
    if json.get("version").and_then(serde_json::Value::as_i64) != Some(1) {
        return Err(refusal("only persistedQuery version 1 is supported", ErrorCode::BadUserInput));
    }
    let hash = json.get("sha256Hash").and_then(serde_json::Value::as_str);
    hash.map(|hash| Some(hash.to_ascii_lowercase()))
        .ok_or_else(|| refusal("persistedQuery needs sha256Hash", ErrorCode::BadUserInput))
}

impl PersistedQueries {
    /// Puts the registered (or remembered) text in place of a hash, or refuses the request.
    pub fn apply(&self, request: &mut Request) -> ServerResult<()> {
        let hash = requested_hash(request)?;
        match (self, hash) {
            (PersistedQueries::AllowList(registered), hash) => {
                let hash = hash.unwrap_or_else(|| sha256_hex(&request.query));
                match registered.get(&hash) {
                    Some(query) => request.query = query.clone(),
                    None => return Err(refusal("this query is not registered", ErrorCode::Forbidden)),
                }
            }
            (PersistedQueries::Open(cache), Some(hash)) if request.query.is_empty() => match cache.get(&hash) {
                Some(query) => request.query = query.as_ref().clone(),
                None => return Err(not_found()),
            },
            (PersistedQueries::Open(cache), Some(hash)) => {
                if sha256_hex(&request.query) != hash {
                    return Err(refusal("provided sha does not match query", ErrorCode::BadUserInput));
                }
                cache.insert(hash, Arc::new(request.query.clone()));
            }
            (PersistedQueries::Open(_), None) => {}
        }
        Ok(())
    }
}

/// The same rules for subscriptions, whose requests async-graphql's WebSocket
/// protocol hands to the schema directly (HTTP requests call [`PersistedQueries::apply`]).
struct PersistedQueriesExtension(PersistedQueries);

#[async_trait::async_trait]
impl Extension for PersistedQueriesExtension {
    async fn prepare_request(
        &self,
        context: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        self.0.apply(&mut request)?;
        next.run(context, request).await
    }
}

impl ExtensionFactory for PersistedQueries {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PersistedQueriesExtension(self.clone()))
    }
}
