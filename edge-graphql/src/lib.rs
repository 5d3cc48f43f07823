//! The one public API: an async-graphql schema whose resolvers call the services
//! over gRPC, served over HTTP and WebSocket by axum.

pub mod body;
pub mod caller;
pub mod clients;
pub mod context;
pub mod document_cache;
pub mod error;
pub mod expensive;
pub mod http;
pub mod limits;
pub mod loaders;
pub mod operation_span;
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
    /// Queries and mutations over HTTP. It has no async-graphql extensions: any
    /// extension puts a chain of boxed calls around every resolved field (a fifth
    /// of a search page's CPU, measured); what they did happens before execution
    /// (persisted queries, parsed-document cache; `http::prepare`).
    pub schema: NdsSchema,
    /// Subscriptions over WebSocket, whose requests async-graphql hands to the
    /// schema itself: the persisted-query rules ride along as an extension.
    pub subscription_schema: NdsSchema,
    pub persisted_queries: persisted::PersistedQueries,
    pub documents: document_cache::DocumentCache,
    /// The per-operation budget of password hashes, mails and text interpretations.
    pub expensive_fields: expensive::ExpensiveFields,
    /// Whose `X-Forwarded-For` names the client (`NDS_TRUSTED_PROXIES`).
    pub trusted_proxies: nds_common::client_address::TrustedProxies,
    pub agency_cards: loaders::AgencyCards,
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

/// Why the edge cannot start.
#[derive(Debug, thiserror::Error)]
pub enum EdgeStartError {
    #[error(transparent)]
    PersistedQueries(#[from] persisted::PersistedQueriesError),
    #[error(transparent)]
    ExpensiveFields(#[from] expensive::ExpensiveFieldsError),
}

/// The persisted-query mode of this deployment.
fn persisted_queries(runtime: &Runtime) -> Result<persisted::PersistedQueries, persisted::PersistedQueriesError> {
    match (&runtime.config.persisted_queries_file, runtime.config.apq_allowlist) {
        (Some(path), true) => persisted::PersistedQueries::allow_list_file(path),
        (None, true) => Err(persisted::PersistedQueriesError::Unreadable {
            path: "NDS_PERSISTED_QUERIES_FILE".into(),
            reason: "the allow-list mode needs the registered queries".into(),
        }),
        (_, false) => Ok(persisted::PersistedQueries::open()),
    }
}

/// The schema with the limits and switches of this deployment.
pub fn schema_builder(runtime: &Runtime, clients: clients::Clients) -> schema::NdsSchemaBuilder {
    let mut builder = schema::schema_builder()
        .data(clients)
        .data(schema::photos::MediaBase(runtime.config.media.public_url.clone()))
        .limit_depth(limits::MAX_DEPTH)
        .limit_complexity(limits::MAX_COMPLEXITY)
        .limit_directives(limits::MAX_DIRECTIVES);
    if !runtime.config.graphql_introspection {
        builder = builder.disable_introspection();
    }
    if runtime.config.is_production() {
        builder = builder.disable_suggestions();
    }
    builder
}

pub fn edge_state(runtime: &Runtime) -> Result<EdgeState, EdgeStartError> {
    let clients = clients::Clients::new(runtime.channels.clone()).with_relay(runtime.service_tokens.clone());
    if runtime.service_tokens.is_none() {
        tracing::warn!(
            "no NDS_SERVICE_CLIENT_ID/SECRET: identity cannot tell clients apart and throttles log-ins by the edge's address"
        );
    }
    let persisted_queries = persisted_queries(runtime)?;
    let schema = schema_builder(runtime, clients.clone()).finish();
    let expensive_fields = expensive::ExpensiveFields::from_sdl(&schema.sdl())?;
    // Extensions run in order: the persisted query's text first, then its budget.
    let subscription_schema = schema_builder(runtime, clients.clone())
        .extension(persisted_queries.clone())
        .extension(expensive_fields.clone())
        .finish();
    Ok(EdgeState {
        schema,
        subscription_schema,
        persisted_queries,
        documents: document_cache::DocumentCache::new(),
        expensive_fields,
        trusted_proxies: nds_common::client_address::TrustedProxies::new(&runtime.config.trusted_proxies),
        agency_cards: loaders::AgencyCards::new(),
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
pub fn router(runtime: &Runtime) -> Result<axum::Router, EdgeStartError> {
    Ok(http::router(edge_state(runtime)?))
}
