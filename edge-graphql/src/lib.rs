//! The one public API: an async-graphql schema whose resolvers call the services
//! over gRPC, served over HTTP and WebSocket by axum.

pub mod clients;
pub mod context;
pub mod document_cache;
pub mod error;
pub mod http;
pub mod limits;
pub mod loaders;
pub mod persisted;
pub mod rate_limit;
pub mod schema;

use std::sync::Arc;
use std::time::Duration;

use nds_common::runtime::Runtime;

pub use schema::NdsSchema;

/// Everything the HTTP handlers share.
#[derive(Clone)]
pub struct EdgeState {
    pub schema: NdsSchema,
    pub clients: clients::Clients,
    pub graphiql: bool,
    pub cors_origins: Arc<Vec<String>>,
    /// Deadline budget of one GraphQL request, forwarded to every gRPC call it makes.
    pub request_budget: Duration,
    pub rate_limiter: Arc<rate_limit::RateLimiter>,
    /// Verifies the token a WebSocket presents at connection_init.
    pub authenticator: nds_common::auth::Authenticator,
    /// Open subscriptions end when the process shuts down.
    pub shutdown: nds_common::Shutdown,
}

/// Builds the schema with the limits and switches of this deployment.
pub fn build_schema(
    runtime: &Runtime,
    clients: clients::Clients,
) -> Result<NdsSchema, persisted::PersistedQueriesError> {
    let persisted_queries = match (&runtime.config.persisted_queries_file, runtime.config.apq_allowlist) {
        (Some(path), true) => persisted::PersistedQueries::allow_list_file(path)?,
        (None, true) => {
            return Err(persisted::PersistedQueriesError::Unreadable {
                path: "NDS_PERSISTED_QUERIES_FILE".into(),
                reason: "the allow-list mode needs the registered queries".into(),
            });
        }
        (_, false) => persisted::PersistedQueries::open(),
    };
    let mut builder = schema::schema_builder()
        .data(clients)
        .extension(persisted_queries)
        .limit_depth(limits::MAX_DEPTH)
        .limit_complexity(limits::MAX_COMPLEXITY)
        .limit_directives(limits::MAX_DIRECTIVES)
        // No per-field tracing extension: a span per resolved field cost more CPU
        // than the rest of a small request (measured); requests are counted and
        // timed by the HTTP metrics layer.
        .extension(document_cache::DocumentCache::new());
    if !runtime.config.graphql_introspection {
        builder = builder.disable_introspection();
    }
    if runtime.config.is_production() {
        builder = builder.disable_suggestions();
    }
    Ok(builder.finish())
}

pub fn edge_state(runtime: &Runtime) -> Result<EdgeState, persisted::PersistedQueriesError> {
    let clients = clients::Clients::new(runtime.channels.clone());
    Ok(EdgeState {
        schema: build_schema(runtime, clients.clone())?,
        clients,
        graphiql: runtime.config.graphiql,
        cors_origins: Arc::new(runtime.config.cors_origins.clone()),
        request_budget: runtime.config.default_deadline,
        rate_limiter: Arc::new(rate_limit::RateLimiter::new(
            runtime.cache.clone(),
            runtime.config.rate_limit_per_client,
            runtime.config.rate_limit_per_user,
        )),
        authenticator: runtime.authenticator.clone(),
        shutdown: runtime.shutdown.clone(),
    })
}

/// The edge's axum router for a runtime.
pub fn router(runtime: &Runtime) -> Result<axum::Router, persisted::PersistedQueriesError> {
    Ok(http::router(edge_state(runtime)?))
}
