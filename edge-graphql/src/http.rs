//! The edge's HTTP surface: `/graphql` (POST, GET, GraphiQL), `/graphql/ws`
//! (graphql-transport-ws), `/healthz`, `/readyz`, `/metrics`, `/.well-known/jwks.json`.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::Router;
use axum::extract::ws::{CloseFrame, Message};
use axum::extract::{RawQuery, State, WebSocketUpgrade};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use futures::{SinkExt, StreamExt};
use nds_proto::identity::v1::GetJwksRequest;
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tracing::Instrument;

use crate::EdgeState;
use crate::body::GraphqlBody;
use crate::caller::Caller;
use crate::context::RequestContext;
use crate::limits::MAX_BODY_BYTES;
use crate::loaders::Loaders;

/// What the edge does to a request before the schema runs it: a persisted query's
/// text in place of its hash (or the refusal), the parsed document, and the
/// budget of expensive fields (over it, nothing runs).
fn prepare(
    state: &EdgeState,
    mut request: async_graphql::Request,
) -> Result<async_graphql::Request, async_graphql::ServerError> {
    state.persisted_queries.apply(&mut request)?;
    state.documents.attach(&mut request);
    state.expensive_fields.check(&mut request)?;
    Ok(request)
}

fn refused(error: async_graphql::ServerError) -> GraphQLResponse {
    async_graphql::Response::from_errors(vec![error]).into()
}

async fn execute(state: &EdgeState, caller: Caller, mut request: async_graphql::Request) -> GraphQLResponse {
    let span = crate::operation_span::operation_span(&mut request);
    nds_common::trace::record_trace_id(&span);
    let context = RequestContext::new(caller.bearer_token, Some(caller.address), state.request_budget);
    let loaders = Loaders::new(&state.clients, &context.call, &state.agency_cards);
    state.schema.execute(request.data(context).data(loaders)).instrument(span).await.into()
}

async fn graphql_handler(
    State(state): State<Arc<EdgeState>>,
    caller: Caller,
    GraphqlBody(request): GraphqlBody,
) -> GraphQLResponse {
    match prepare(&state, request) {
        Ok(request) => execute(&state, caller, request).await,
        Err(error) => refused(error),
    }
}

/// GET: a query in the URL (queries only: a mutation over GET would be a CSRF hole),
/// or GraphiQL for a browser when enabled.
async fn graphiql_or_get(
    State(state): State<Arc<EdgeState>>,
    caller: Caller,
    RawQuery(raw_query): RawQuery,
) -> Response {
    let Some(raw_query) = raw_query.filter(|raw| !raw.is_empty()) else {
        if state.graphiql {
            let page = GraphiQLSource::build().endpoint("/graphql").subscription_endpoint("/graphql/ws").finish();
            return Html(page).into_response();
        }
        return (StatusCode::BAD_REQUEST, "send a GraphQL query").into_response();
    };
    let request = match async_graphql::http::parse_query_string(&raw_query) {
        Ok(request) => request,
        Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    };
    // Checked on the prepared request: a persisted query's hash may name a mutation.
    let mut request = match prepare(&state, request) {
        Ok(request) => request,
        Err(error) => return refused(error).into_response(),
    };
    if is_mutation(&mut request) {
        return (StatusCode::METHOD_NOT_ALLOWED, "mutations need POST").into_response();
    }
    execute(&state, caller, request).await.into_response()
}

fn is_mutation(request: &mut async_graphql::Request) -> bool {
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    document
        .operations
        .iter()
        .any(|(_, operation)| operation.node.ty == async_graphql::parser::types::OperationType::Mutation)
}

/// The `exp` of a token the authenticator already accepted (its payload is trusted).
fn token_expiry(token: &str) -> Option<i64> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes).ok()?.get("exp")?.as_i64()
}

/// Completes when the socket's token expires (never, for an anonymous socket).
async fn until_expiry(mut expiry: tokio::sync::watch::Receiver<Option<i64>>) {
    let Ok(expires_at) = expiry.wait_for(Option::is_some).await.map(|value| *value) else {
        return std::future::pending().await;
    };
    let remaining = expires_at.unwrap_or_default() - chrono::Utc::now().timestamp();
    tokio::time::sleep(Duration::from_secs(u64::try_from(remaining).unwrap_or(0))).await;
}

/// Why the edge ends a subscription socket itself: graphql-transport-ws's 4401
/// (Unauthorized) tells the client to reconnect with a fresh token; 1001 (Going
/// Away) tells it this replica is leaving.
fn close_frame(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
}

/// graphql-transport-ws: the access token comes in connection_init and is verified
/// there (a bad token refuses the connection); the socket closes with a close frame
/// when that token expires or the process shuts down. Each subscription authorises
/// its resource in the service it streams from.
async fn websocket_handler(
    State(state): State<Arc<EdgeState>>,
    caller: Caller,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let schema = state.subscription_schema.clone();
    let clients = state.clients.clone();
    let agency_cards = state.agency_cards.clone();
    let authenticator = state.authenticator.clone();
    let shutdown = state.shutdown.clone();
    let budget = state.request_budget;
    upgrade.protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |socket| async move {
        let (expiry_sender, expiry) = tokio::sync::watch::channel(None);
        // async-graphql writes into a channel rather than the socket, so the edge
        // keeps the socket's sink to send its own close frame.
        let (mut socket_sink, socket_stream) = socket.split();
        let (outgoing, mut outgoing_messages) = futures::channel::mpsc::channel::<Message>(16);
        let connection = GraphQLWebSocket::new_with_pair(outgoing, socket_stream, schema, protocol)
            .on_connection_init(move |payload| async move {
                let token = payload
                    .get("authorization")
                    .or_else(|| payload.get("Authorization"))
                    .and_then(|value| value.as_str())
                    .map(|value| value.trim_start_matches("Bearer ").trim().to_string());
                if let Some(token) = &token {
                    authenticator
                        .authenticate_bearer(Some(&format!("Bearer {token}")))
                        .await
                        .map_err(|error| async_graphql::Error::new(error.message))?;
                    expiry_sender.send_replace(token_expiry(token));
                }
                let context = RequestContext::new(token, Some(caller.address), budget);
                let mut data = async_graphql::Data::default();
                data.insert(Loaders::new(&clients, &context.call, &agency_cards));
                data.insert(context);
                Ok(data)
            })
            .serve();
        let forward = async {
            while let Some(message) = outgoing_messages.next().await {
                if socket_sink.send(message).await.is_err() {
                    break;
                }
            }
        };
        let closing = tokio::select! {
            _ = futures::future::join(connection, forward) => None,
            _ = until_expiry(expiry) => {
                tracing::debug!("closing a subscription socket: its token expired");
                Some(close_frame(4401, "token expired"))
            }
            _ = shutdown.wait() => {
                tracing::debug!("closing a subscription socket: shutting down");
                Some(close_frame(1001, "server shutting down"))
            }
        };
        if let Some(frame) = closing {
            // Best effort: the peer may already be gone.
            let _ = socket_sink.send(frame).await;
            let _ = socket_sink.close().await;
        }
    })
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when identity answers (every authenticated operation needs its JWKS).
async fn readyz(State(state): State<Arc<EdgeState>>) -> Response {
    let context = nds_common::grpc::CallContext::new(Duration::from_secs(1));
    match state.clients.identity().get_jwks(context.request(GetJwksRequest {})).await {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(status) => (StatusCode::SERVICE_UNAVAILABLE, format!("identity: {}", status.message())).into_response(),
    }
}

async fn jwks(State(state): State<Arc<EdgeState>>) -> Response {
    let context = nds_common::grpc::CallContext::new(Duration::from_secs(2));
    match state.clients.identity().get_jwks(context.request(GetJwksRequest {})).await {
        Ok(response) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=300")],
            response.into_inner().jwks_json,
        )
            .into_response(),
        Err(status) => (StatusCode::SERVICE_UNAVAILABLE, status.message().to_string()).into_response(),
    }
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    let allow_origin = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600))
        // Set once by `cors_vary`: the layer would join the list anew for every response.
        .vary([] as [header::HeaderName; 0])
}

/// The request headers a CORS answer depends on.
fn cors_vary() -> HeaderValue {
    HeaderValue::from_static("origin, access-control-request-method, access-control-request-headers")
}

pub fn router(state: EdgeState) -> Router {
    let cors = cors_layer(&state.cors_origins);
    // The GraphQL routes are rate limited by their `Caller` extractor.
    Router::new()
        .route("/graphql", get(graphiql_or_get).post(graphql_handler))
        .route("/graphql/ws", get(websocket_handler))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/.well-known/jwks.json", get(jwks))
        // Shared, not cloned per request: the state holds the authenticator's caches.
        .with_state(Arc::new(state))
        .merge(nds_common::telemetry::metrics_router())
        // One stack, one layer: axum boxes every route once per `.layer` call and
        // clones each box per request, so six calls cost six boxes on every request.
        .layer(
            ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                ))
                .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::appending(header::VARY, cors_vary()))
                .layer(cors)
                .layer(nds_common::telemetry::RequestMetricsLayer::new("http"))
                .layer(nds_common::trace::TraceLayer::http())
                // The limit wraps the response body in a type of its own; CORS wants one with a default.
                .map_response(IntoResponse::into_response)
                .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES)),
        )
}
