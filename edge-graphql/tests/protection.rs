//! The gateway holds under abuse (OWASP GraphQL cheat sheet): depth and cost bombs,
//! oversized bodies, batches, mutations over GET, introspection in production,
//! persisted-query allow-listing and rate limits each get a clear refusal.
//! These run the real edge router; no service is needed because every refusal
//! happens before a resolver runs.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;

use nds_common::cache::MemoryCache;
use nds_common::config::Config;
use nds_common::runtime::Runtime;
use serde_json::{Value, json};

async fn start_edge(vars: &[(&str, &str)]) -> SocketAddr {
    start_edge_with_shutdown(vars, nds_common::Shutdown::new()).await
}

async fn start_edge_with_shutdown(vars: &[(&str, &str)], shutdown: nds_common::Shutdown) -> SocketAddr {
    if vars.iter().any(|(name, _)| name.starts_with("NDS_RATE_LIMIT")) {
        // Tests that count up to a limit must not straddle the limit's window.
        let room = std::time::Duration::from_secs(10);
        nds_common::testing::leave_room_in_window(edge_graphql::rate_limit::WINDOW, room).await;
    }
    let config = Config::from_vars(vars.iter().map(|(name, value)| (name.to_string(), value.to_string()))).unwrap();
    let mail_dir = std::env::temp_dir().join(format!("edge-mail-{}", uuid::Uuid::new_v4().simple()));
    let mailer = Arc::new(nds_common::mail::FileMailer::new(mail_dir, "no-reply@nds.local").unwrap());
    // Nothing listens on port 9: resolvers would fail, refusals must come first.
    let mut runtime =
        Runtime::new(Arc::new(config), MemoryCache::shared(1000), mailer, "http://127.0.0.1:9", shutdown).unwrap();
    runtime.authenticator = nds_common::testing::tokens::test_authenticator();
    let router = edge_graphql::router(&runtime).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(
        async move { axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await },
    );
    address
}

async fn post(address: SocketAddr, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new().post(format!("http://{address}/graphql")).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn first_error(body: &Value) -> String {
    body["errors"][0]["message"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn deep_documents_are_refused() {
    let address = start_edge(&[]).await;
    let mut query = "__typename".to_string();
    for _ in 0..20 {
        query = format!("listing(id: \"1\") {{ agency {{ id }} {query} }}");
    }
    let (_, body) = post(address, json!({ "query": format!("{{ {query} }}") })).await;
    assert!(first_error(&body).to_lowercase().contains("nested too deep"), "{body}");
}

#[tokio::test]
async fn costly_documents_are_refused_and_aliases_count() {
    let address = start_edge(&[]).await;
    let page = "listings(first: 100) { edges { node { id make model price agency { name city } } } }";
    let aliased: String = (0..12).map(|index| format!("page{index}: {page} ")).collect();
    let (_, body) = post(address, json!({ "query": format!("{{ {aliased} }}") })).await;
    assert!(first_error(&body).to_lowercase().contains("complex"), "{body}");
}

#[tokio::test]
async fn oversized_bodies_get_413_and_batches_are_refused() {
    let address = start_edge(&[]).await;
    let padding = "x".repeat(80 * 1024);
    let (status, _) = post(address, json!({ "query": format!("{{ __typename }} # {padding}") })).await;
    assert_eq!(status, 413);
    let (status, _) = post(address, json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }])).await;
    assert_eq!(status, 400, "array batching is refused");
    let (status, _) = post(address, json!("{ __typename }")).await;
    assert_eq!(status, 400, "a body that is not a request object");
    let form = reqwest::Client::new()
        .post(format!("http://{address}/graphql"))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{\"query\":\"{ __typename }\"}\r\n--x--\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 415, "multipart (uploads, cross-site form posts) is refused");
}

#[tokio::test]
async fn mutations_are_refused_over_get() {
    let address = start_edge(&[]).await;
    let url = format!("http://{address}/graphql?query=mutation%20%7B%20logOut(refreshToken%3A%20%22x%22)%20%7D");
    assert_eq!(reqwest::get(url).await.unwrap().status().as_u16(), 405);
    let url = format!("http://{address}/graphql?query=%7B%20__typename%20%7D");
    let body: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    assert_eq!(body, json!({ "data": { "__typename": "Query" } }));
}

#[tokio::test]
async fn production_turns_introspection_and_graphiql_off() {
    let address = start_edge(&[("NDS_ENV", "production")]).await;
    let (_, body) = post(address, json!({ "query": "{ __schema { types { name } } }" })).await;
    assert!(body["data"]["__schema"].is_null() || body.get("errors").is_some(), "{body}");
    let page = reqwest::get(format!("http://{address}/graphql")).await.unwrap();
    assert_eq!(page.status().as_u16(), 400, "no GraphiQL in production");

    let development = start_edge(&[]).await;
    let (_, body) = post(development, json!({ "query": "{ __schema { queryType { name } } }" })).await;
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn the_allow_list_runs_only_registered_queries() {
    let registered = "{ __typename }";
    let hash = edge_graphql::persisted::sha256_hex(registered);
    let file = std::env::temp_dir().join(format!("persisted-{}.json", uuid::Uuid::new_v4().simple()));
    std::fs::write(&file, json!({ hash.clone(): registered }).to_string()).unwrap();
    let address =
        start_edge(&[("NDS_APQ_ALLOWLIST", "true"), ("NDS_PERSISTED_QUERIES_FILE", file.to_str().unwrap())]).await;

    let by_hash = json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
    let (_, body) = post(address, by_hash).await;
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
    let (_, body) = post(address, json!({ "query": registered })).await;
    assert_eq!(body["data"]["__typename"], "Query", "the registered text runs too");
    let (_, body) = post(address, json!({ "query": "{ __schema { types { name } } }" })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
}

#[tokio::test]
async fn automatic_persisted_queries_remember_what_was_sent() {
    let address = start_edge(&[]).await;
    let query = "{ __typename }";
    let hash = edge_graphql::persisted::sha256_hex(query);
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let (_, body) = post(address, json!({ "extensions": extensions })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND");
    let (_, body) = post(address, json!({ "query": query, "extensions": extensions })).await;
    assert_eq!(body["data"]["__typename"], "Query");
    let (_, body) = post(address, json!({ "extensions": extensions })).await;
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
    let wrong = json!({ "persistedQuery": { "version": 1, "sha256Hash": "00" } });
    let (_, body) = post(address, json!({ "query": query, "extensions": wrong })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn floods_get_429_without_harming_other_clients_tokens() {
    let address = start_edge(&[("NDS_RATE_LIMIT_PER_CLIENT", "3")]).await;
    for _ in 0..3 {
        let (status, _) = post(address, json!({ "query": "{ __typename }" })).await;
        assert_eq!(status, 200);
    }
    let (status, body) = post(address, json!({ "query": "{ __typename }" })).await;
    assert_eq!(status, 429);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE");
    // The health endpoint is not behind the GraphQL limit.
    assert_eq!(reqwest::get(format!("http://{address}/healthz")).await.unwrap().status().as_u16(), 200);
}

/// POSTs `{ __typename }` as a proxy would forward it: `forwarded_for` in X-Forwarded-For.
async fn forwarded(address: SocketAddr, forwarded_for: &str) -> u16 {
    let response = reqwest::Client::new()
        .post(format!("http://{address}/graphql"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn clients_behind_a_trusted_proxy_are_limited_each_on_its_own() {
    // The test client stands for the ingress (127.0.0.1); 10.0.0.0/8 for a load balancer before it.
    let trusted = [("NDS_RATE_LIMIT_PER_CLIENT", "2"), ("NDS_TRUSTED_PROXIES", "127.0.0.1/32, 10.0.0.0/8")];
    let address = start_edge(&trusted).await;
    assert_eq!(forwarded(address, "203.0.113.10").await, 200);
    assert_eq!(forwarded(address, "203.0.113.10").await, 200);
    assert_eq!(forwarded(address, "203.0.113.10").await, 429, "the first client used up its limit");
    assert_eq!(forwarded(address, "203.0.113.20").await, 200, "another client behind the same proxy is not refused");
    // What the client wrote itself stays left of what the proxies appended: the right-most
    // untrusted hop is the client, whatever it claims before that.
    assert_eq!(forwarded(address, "198.51.100.1, 203.0.113.10").await, 429, "a claimed hop does not escape the limit");
    // Trusted hops are skipped: the load balancer appended the client, the ingress the balancer.
    assert_eq!(forwarded(address, "203.0.113.20, 10.1.2.3").await, 200);
    assert_eq!(
        forwarded(address, "203.0.113.20, 10.1.2.3").await,
        429,
        "the second client's two requests, through two hops"
    );
}

#[tokio::test]
async fn a_forged_forwarded_for_from_an_untrusted_peer_is_ignored() {
    // Only 10.0.0.0/8 is trusted: the test client (127.0.0.1) is a client, not a proxy.
    let address = start_edge(&[("NDS_RATE_LIMIT_PER_CLIENT", "2"), ("NDS_TRUSTED_PROXIES", "10.0.0.0/8")]).await;
    assert_eq!(forwarded(address, "203.0.113.10").await, 200);
    assert_eq!(forwarded(address, "203.0.113.20").await, 200);
    assert_eq!(forwarded(address, "203.0.113.30").await, 429, "every claimed address is the same peer");
    // Nothing is trusted by default.
    let address = start_edge(&[("NDS_RATE_LIMIT_PER_CLIENT", "1")]).await;
    assert_eq!(forwarded(address, "203.0.113.10").await, 200);
    assert_eq!(forwarded(address, "203.0.113.20").await, 429, "no proxy is trusted unless configured");
}

#[tokio::test]
async fn websocket_upgrades_take_the_client_address_by_the_same_rule() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let address = start_edge(&[("NDS_RATE_LIMIT_PER_CLIENT", "1"), ("NDS_TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    assert_eq!(forwarded(address, "203.0.113.10").await, 200);
    let upgrade = |client: &'static str| {
        let mut request = format!("ws://{address}/graphql/ws").into_client_request().unwrap();
        request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
        request.headers_mut().insert("x-forwarded-for", client.parse().unwrap());
        tokio_tungstenite::connect_async(request)
    };
    match upgrade("203.0.113.10").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status().as_u16(), 429),
        other => panic!("the first client's socket must be refused by its limit, got {:?}", other.map(|_| ())),
    }
    let opened = upgrade("203.0.113.20").await;
    assert!(opened.is_ok(), "another client behind the proxy opens its socket: {:?}", opened.map(|_| ()));
}

/// A sign-up and a log-in, each a password hash (plus a welcome mail for the sign-up).
const SIGN_UP: &str =
    r#"signUp(input: { email: "a@example.com", password: "una-clave-larga-2026", name: "A" }) { accessToken }"#;
const LOG_IN: &str = r#"logIn(email: "a@example.com", password: "una-clave-larga-2026") { accessToken }"#;

#[tokio::test]
async fn aliased_expensive_fields_are_refused_whole_before_anything_runs() {
    let address = start_edge(&[]).await;
    let refused = |body: &Value| {
        let errors = body["errors"].as_array().cloned().unwrap_or_default();
        errors.len() == 1 && errors[0]["extensions"]["code"] == "BAD_USER_INPUT" && body["data"].is_null()
    };
    // Over the budget: nothing runs (a resolver would fail here, no service listens).
    let aliased: String = (0..40).map(|index| format!("a{index}: {LOG_IN} ")).collect();
    let (_, body) = post(address, json!({ "query": format!("mutation {{ {aliased} }}") })).await;
    assert!(refused(&body), "{body}");
    assert!(first_error(&body).contains("separate requests"), "{body}");
    let (_, body) = post(address, json!({ "query": format!("mutation {{ one: {SIGN_UP} two: {LOG_IN} }}") })).await;
    assert!(refused(&body), "two password hashes: {body}");
    // Fragments, inline fragments and nesting count too.
    let fragments = format!(
        "mutation {{ ...twice ... on Mutation {{ c: {LOG_IN} }} }} fragment twice on Mutation {{ a: {LOG_IN} }}"
    );
    let (_, body) = post(address, json!({ "query": fragments })).await;
    assert!(refused(&body), "{body}");
    let interpretations: String =
        (0..4).map(|index| format!("i{index}: interpretQuery(text: \"suv\") {{ makes }} ")).collect();
    let (_, body) = post(address, json!({ "query": format!("{{ {interpretations} }}") })).await;
    assert!(refused(&body), "four interpretations: {body}");

    // Within the budget the resolvers run (and fail here, with no identity or chat to call).
    let (_, body) = post(address, json!({ "query": format!("mutation {{ {SIGN_UP} }}") })).await;
    assert!(!refused(&body) && body["errors"][0]["path"][0] == "signUp", "one sign-up runs: {body}");
    let three: String = (0..3).map(|index| format!("i{index}: interpretQuery(text: \"suv\") {{ makes }} ")).collect();
    let (_, body) = post(address, json!({ "query": format!("{{ {three} }}") })).await;
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(3), "three interpretations run: {body}");
}

#[tokio::test]
async fn aliased_expensive_fields_are_refused_over_websocket_too() {
    use futures::SinkExt;
    let address = start_edge(&[]).await;
    let mut socket = open_socket(address, &token_expiring_in(600)).await;
    assert!(next_text(&mut socket).await.unwrap().contains("connection_ack"));
    let aliased: String = (0..10).map(|index| format!("a{index}: {LOG_IN} ")).collect();
    let subscribe =
        json!({ "id": "1", "type": "subscribe", "payload": { "query": format!("mutation {{ {aliased} }}") } });
    socket.send(tokio_tungstenite::tungstenite::Message::Text(subscribe.to_string().into())).await.unwrap();
    let answer = next_text(&mut socket).await.unwrap();
    assert!(answer.contains("BAD_USER_INPUT") && !answer.contains("accessToken"), "{answer}");
}

#[tokio::test]
async fn security_headers_are_set() {
    let address = start_edge(&[]).await;
    let response = reqwest::get(format!("http://{address}/healthz")).await.unwrap();
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open_socket(address: SocketAddr, token: &str) -> Socket {
    use futures::SinkExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{address}/graphql/ws").into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
    socket.send(tokio_tungstenite::tungstenite::Message::Text(init.to_string().into())).await.unwrap();
    socket
}

/// The next text frame, or None once the socket closed.
async fn next_text(socket: &mut Socket) -> Option<String> {
    match next_frame(socket).await {
        Frame::Text(text) => Some(text),
        Frame::Closed(_) => None,
    }
}

#[derive(Debug, PartialEq)]
enum Frame {
    Text(String),
    /// The close frame's code; None when the connection ended without one.
    Closed(Option<u16>),
}

async fn next_frame(socket: &mut Socket) -> Frame {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), socket.next()).await.expect("the socket hung") {
            Some(Ok(Message::Text(text))) => return Frame::Text(text.to_string()),
            Some(Ok(Message::Close(frame))) => return Frame::Closed(frame.map(|frame| u16::from(frame.code))),
            Some(Err(_)) | None => return Frame::Closed(None),
            Some(Ok(_)) => continue,
        }
    }
}

/// Reads until the socket closes and returns the close frame's code.
async fn close_code(socket: &mut Socket) -> Option<u16> {
    loop {
        if let Frame::Closed(code) = next_frame(socket).await {
            return code;
        }
    }
}

fn token_expiring_in(seconds: i64) -> String {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use nds_common::testing::tokens::{TEST_KEY_PEM, TEST_KID};
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "iss": "nds", "aud": "nds-api", "sub": uuid::Uuid::new_v4().to_string(), "exp": now + seconds, "iat": now,
        "jti": uuid::Uuid::new_v4().to_string(), "token_use": "access", "kind": "user", "memberships": [{"role": "BUYER"}]
    });
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(TEST_KID.into());
    header.typ = Some(nds_common::auth::TOKEN_TYPE_HEADER.into());
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_pem(TEST_KEY_PEM.as_bytes()).unwrap()).unwrap()
}

#[tokio::test]
async fn a_socket_with_a_bad_token_is_refused_at_connection() {
    let address = start_edge(&[]).await;
    let mut socket = open_socket(address, "not-a-token").await;
    let first = next_text(&mut socket).await;
    assert!(first.as_deref().is_none_or(|text| !text.contains("connection_ack")), "{first:?}");
}

#[tokio::test]
async fn a_socket_closes_when_its_token_expires() {
    let address = start_edge(&[]).await;
    let mut socket = open_socket(address, &token_expiring_in(2)).await;
    assert!(next_text(&mut socket).await.unwrap().contains("connection_ack"));
    let started = std::time::Instant::now();
    assert_eq!(close_code(&mut socket).await, Some(4401), "an expired token closes with 4401 Unauthorized");
    assert!(started.elapsed() < std::time::Duration::from_secs(8), "closed only after {:?}", started.elapsed());
}

#[tokio::test]
async fn sockets_close_on_shutdown() {
    let shutdown = nds_common::Shutdown::new();
    let address = start_edge_with_shutdown(&[], shutdown.clone()).await;
    let mut socket = open_socket(address, &token_expiring_in(600)).await;
    assert!(next_text(&mut socket).await.unwrap().contains("connection_ack"));
    shutdown.trigger();
    assert_eq!(close_code(&mut socket).await, Some(1001), "shutdown closes sockets with 1001 Going Away");
}
