//! Test harness: a local Stripe stand-in speaking Stripe's wire format with the
//! fixtures' objects, a catalog and directory stand-in (svc-catalog's crate has no
//! server yet: see the report), tokens, a runtime, and a real gRPC server.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use futures::StreamExt;
use nds_common::Shutdown;
use nds_common::auth::{Authenticator, JwtVerifier, StaticJwks};
use nds_common::cache::MemoryCache;
use nds_common::config::Config;
use nds_common::grpc::CallContext;
use nds_common::mail::FileMailer;
use nds_common::runtime::{Runtime, ServiceChannels};
use nds_common::testing::TestDatabase;
use nds_proto::billing::v1::billing_service_client::BillingServiceClient;
use svc_billing::clients::catalog::{Catalog, FeedChange, FeedStream, ListingFacts};
use svc_billing::clients::identity::Directory;
use svc_billing::error::BillingError;
use svc_billing::{BillingOptions, BillingParts};
use tokio::net::TcpListener;
use tonic::transport::Channel;
use uuid::Uuid;

pub const WEBHOOK_SECRET: &str = "whsec_test_current";
pub const KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIII492je9j7PJVtoqdFjd9AoUPPRjfwAuRmdYI/BdGfC\n-----END PRIVATE KEY-----\n";
pub const KEY_X: &str = "5vYO9rV2aWSQ-l5Sv3kbT3UWrvO9y8qVrn5zje5KC-E";

pub fn fixture(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/stripe-fixtures/resources.json");
    let all: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all[name].clone()
}

// ---------------------------------------------------------------- Stripe stand-in

#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub path: String,
    pub form: HashMap<String, String>,
    pub idempotency_key: Option<String>,
}

#[derive(Clone, Default)]
pub struct StripeStandIn {
    pub requests: Arc<Mutex<Vec<RecordedRequest>>>,
    responses_by_key: Arc<Mutex<HashMap<String, serde_json::Value>>>,
}

impl StripeStandIn {
    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        self.requests.lock().unwrap().iter().filter(|request| request.path == path).cloned().collect()
    }
}

fn object_for(path: &str, form: &HashMap<String, String>) -> serde_json::Value {
    let id_suffix = Uuid::new_v4().simple().to_string();
    let metadata: serde_json::Map<String, serde_json::Value> = form
        .iter()
        .filter_map(|(key, value)| {
            key.strip_prefix("metadata[")
                .and_then(|rest| rest.strip_suffix(']'))
                .map(|name| (name.to_string(), value.clone().into()))
        })
        .collect();
    let now = chrono::Utc::now().timestamp();
    match path {
        "payment_intents" => {
            let mut object = fixture("payment_intent");
            let id = format!("pi_{id_suffix}");
            object["id"] = id.clone().into();
            object["client_secret"] = format!("{id}_secret_test").into();
            object["amount"] = form["amount"].parse::<i64>().unwrap().into();
            object["currency"] = form["currency"].clone().into();
            object["metadata"] = metadata.into();
            object["created"] = now.into();
            for field in ["last_payment_error", "next_action", "processing", "transfer_data", "canceled_at"] {
                object[field] = serde_json::Value::Null;
            }
            object["application_fee_amount"] = form
                .get("application_fee_amount")
                .map(|fee| fee.parse::<i64>().unwrap().into())
                .unwrap_or(serde_json::Value::Null);
            object
        }
        "customers" => {
            let mut object = fixture("customer");
            object["id"] = format!("cus_{id_suffix}").into();
            object["metadata"] = metadata.into();
            object
        }
        "billing/meters" => {
            let mut object = fixture("billing.meter");
            object["id"] = format!("mtr_{id_suffix}").into();
            object["event_name"] = form["event_name"].clone().into();
            object
        }
        "prices" => {
            let mut object = fixture("price");
            object["id"] = format!("price_{id_suffix}").into();
            object
        }
        "subscriptions" => {
            let mut object = fixture("subscription");
            object["id"] = format!("sub_{id_suffix}").into();
            object["customer"] = form["customer"].clone().into();
            object["status"] = "active".into();
            // The fixture's nested item carries placeholder values; an empty list keeps the shape.
            object["billing_mode"] = serde_json::json!({"type": "classic"});
            // Newer than the fixture file: async-stripe rc.10 requires it.
            object["billing_schedules"] = serde_json::json!([]);
            object["automatic_tax"] = serde_json::json!({"enabled": false, "disabled_reason": null, "liability": null});
            object["items"] =
                serde_json::json!({"object": "list", "data": [], "has_more": false, "url": "/v1/subscription_items"});
            for field in [
                "billing_cycle_anchor_config",
                "billing_thresholds",
                "pause_collection",
                "payment_settings",
                "pending_update",
                "transfer_data",
                "trial_settings",
                "cancel_at",
                "canceled_at",
                "ended_at",
                "pending_invoice_item_interval",
                "next_pending_invoice_item_invoice",
                "trial_end",
                "trial_start",
            ] {
                object[field] = serde_json::Value::Null;
            }
            object
        }
        "billing/meter_events" => {
            let mut object = fixture("billing.meter_event");
            object["identifier"] = form["identifier"].clone().into();
            object["event_name"] = form["event_name"].clone().into();
            object
        }
        "accounts" => {
            let mut object = fixture("account");
            object["id"] = format!("acct_{id_suffix}").into();
            object["metadata"] = metadata.into();
            object
        }
        "account_links" => {
            let mut object = fixture("account_link");
            object["url"] = format!("https://connect.stripe.test/setup/{}", form["account"]).into();
            object["expires_at"] = (now + 300).into();
            object
        }
        "refunds" => {
            let mut object = fixture("refund");
            object["id"] = format!("re_{id_suffix}").into();
            object["payment_intent"] = form["payment_intent"].clone().into();
            object
        }
        other => {
            serde_json::json!({"error": {"type": "invalid_request_error", "message": format!("unknown path {other}")}})
        }
    }
}

async fn stripe_post(
    State(state): State<StripeStandIn>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    assert!(headers.get("authorization").is_some_and(|value| value.to_str().unwrap() == "Bearer sk_test_billing"));
    let form: HashMap<String, String> = url_decode(&body);
    let idempotency_key = headers.get("idempotency-key").map(|value| value.to_str().unwrap().to_string());
    state.requests.lock().unwrap().push(RecordedRequest {
        path: path.clone(),
        form: form.clone(),
        idempotency_key: idempotency_key.clone(),
    });
    // Like Stripe: the same idempotency key answers the same object.
    if let Some(key) = &idempotency_key
        && let Some(previous) = state.responses_by_key.lock().unwrap().get(key)
    {
        return (StatusCode::OK, previous.to_string());
    }
    let object = object_for(&path, &form);
    if let Some(key) = idempotency_key {
        state.responses_by_key.lock().unwrap().insert(key, object.clone());
    }
    (StatusCode::OK, object.to_string())
}

fn url_decode(body: &[u8]) -> HashMap<String, String> {
    fn decode(raw: &str) -> String {
        let raw = raw.replace('+', " ");
        let bytes = raw.as_bytes();
        let mut out = Vec::new();
        let mut index = 0;
        while index < bytes.len() {
            if bytes[index] == b'%' && index + 2 < bytes.len() {
                out.push(u8::from_str_radix(&raw[index + 1..index + 3], 16).unwrap());
                index += 3;
            } else {
                out.push(bytes[index]);
                index += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (decode(key), decode(value)))
        .collect()
}

pub async fn start_stripe() -> (StripeStandIn, String) {
    let state = StripeStandIn::default();
    let app = Router::new().route("/v1/{*path}", post(stripe_post)).with_state(state.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (state, format!("http://{address}"))
}

// ---------------------------------------------------------------- catalog / identity stand-ins

#[derive(Clone, Debug, Default)]
pub struct CatalogState {
    pub listings: HashMap<Uuid, ListingFacts>,
    pub promotions: HashMap<Uuid, Option<i64>>,
    pub set_promotion_calls: usize,
    pub feed: Vec<FeedChange>,
}

/// Stands in for svc-catalog, which has no server yet. It does only what billing
/// relies on: listings by id (no visibility rules), SetPromotion, a finite feed.
#[derive(Clone, Default)]
pub struct CatalogStandIn(pub Arc<Mutex<CatalogState>>);

impl CatalogStandIn {
    pub fn add_listing(&self, agency_id: Uuid, group_id: Uuid, published: bool) -> Uuid {
        let listing_id = Uuid::now_v7();
        let status = if published { "published" } else { "draft" };
        self.0.lock().unwrap().listings.insert(
            listing_id,
            ListingFacts { listing_id, agency_id, group_id, published, status: status.into(), version: 1 },
        );
        listing_id
    }

    pub fn promotion(&self, listing_id: Uuid) -> Option<i64> {
        self.0.lock().unwrap().promotions.get(&listing_id).copied().flatten()
    }

    pub fn push_change(&self, listing: ListingFacts, changed_at_unix: i64) {
        let mut state = self.0.lock().unwrap();
        let sequence = state.feed.len() as i64 + 1;
        state.feed.push(FeedChange { sequence, listing, changed_at_unix });
    }
}

#[async_trait]
impl Catalog for CatalogStandIn {
    async fn get_listing(&self, _context: &CallContext, listing_id: Uuid) -> Result<ListingFacts, BillingError> {
        self.0
            .lock()
            .unwrap()
            .listings
            .get(&listing_id)
            .cloned()
            .ok_or_else(|| BillingError::NotFound("listing".into()))
    }

    async fn set_promotion(
        &self,
        listing_id: Uuid,
        promoted_until_unix: Option<i64>,
        _rank: i32,
    ) -> Result<(), BillingError> {
        let mut state = self.0.lock().unwrap();
        if !state.listings.contains_key(&listing_id) {
            return Err(BillingError::NotFound("listing".into()));
        }
        state.set_promotion_calls += 1;
        state.promotions.insert(listing_id, promoted_until_unix);
        Ok(())
    }

    async fn changes(&self, after_sequence: i64) -> Result<FeedStream, BillingError> {
        let changes: Vec<_> =
            self.0.lock().unwrap().feed.iter().filter(|change| change.sequence > after_sequence).cloned().collect();
        Ok(Box::pin(futures::stream::iter(changes.into_iter().map(Ok))))
    }
}

pub struct DirectoryStandIn;

#[async_trait]
impl Directory for DirectoryStandIn {
    async fn manager_emails(&self, agency_id: Uuid) -> Result<Vec<String>, BillingError> {
        Ok(vec![format!("manager-{}@agency.test", agency_id.simple())])
    }
}

// ---------------------------------------------------------------- tokens

pub fn jwks() -> String {
    serde_json::json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": KEY_X, "kid": "k1", "alg": "EdDSA", "use": "sig"}]}).to_string()
}

pub fn token(memberships: serde_json::Value, kind: &str, scopes: &[&str]) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({
        "iss": "nds", "aud": "nds-api", "sub": Uuid::new_v4().to_string(), "exp": now + 300, "iat": now,
        "jti": Uuid::new_v4().to_string(), "token_use": "access", "kind": kind, "memberships": memberships, "scopes": scopes,
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.typ = Some("at+jwt".into());
    header.kid = Some("k1".into());
    jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_ed_pem(KEY_PEM.as_bytes()).unwrap())
        .unwrap()
}

pub fn manager_token(agency_id: Uuid, group_id: Uuid) -> String {
    token(
        serde_json::json!([{"role": "AGENCY_MANAGER", "agency_id": agency_id.to_string(), "group_id": group_id.to_string()}]),
        "user",
        &[],
    )
}

pub fn buyer_token() -> String {
    token(serde_json::json!([{"role": "BUYER"}]), "user", &[])
}

pub fn admin_token() -> String {
    token(serde_json::json!([{"role": "PLATFORM_ADMIN"}]), "user", &[])
}

pub fn authorized<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

// ---------------------------------------------------------------- the harness

pub struct Harness {
    pub database: TestDatabase,
    pub stripe: StripeStandIn,
    pub catalog: CatalogStandIn,
    pub parts: BillingParts,
    pub client: BillingServiceClient<Channel>,
    pub mail_dir: std::path::PathBuf,
    pub shutdown: Shutdown,
}

pub struct HarnessOptions {
    pub stripe_key: bool,
    pub webhook_secrets: Vec<&'static str>,
}

impl Default for HarnessOptions {
    fn default() -> Self {
        Self { stripe_key: true, webhook_secrets: vec!["whsec_test_old", WEBHOOK_SECRET] }
    }
}

pub async fn harness(database: TestDatabase, options: HarnessOptions) -> Harness {
    svc_billing::migrate(database.url()).await.unwrap();
    let (stripe, stripe_url) = start_stripe().await;
    let mut vars = vec![
        ("NDS_BILLING_DATABASE_URL".to_string(), database.url().to_string()),
        ("NDS_STRIPE_API_BASE".to_string(), stripe_url),
        ("NDS_STRIPE_WEBHOOK_SECRETS".to_string(), options.webhook_secrets.join(",")),
        ("NDS_PLATFORM_FEE_PERCENT".to_string(), "5".to_string()),
    ];
    if options.stripe_key {
        vars.push(("NDS_STRIPE_SECRET_KEY".to_string(), "sk_test_billing".to_string()));
    }
    let config = Arc::new(Config::from_vars(vars).unwrap());
    let mail_dir = std::env::temp_dir().join(format!("billing-mail-{}", Uuid::new_v4().simple()));
    let mailer = Arc::new(FileMailer::new(&mail_dir, "NDS <no-reply@nds.local>").unwrap());
    let verifier = JwtVerifier::new(Arc::new(StaticJwks(jwks())), "nds", "nds-api");
    let shutdown = Shutdown::new();
    let channels = ServiceChannels::from_config(&config, "http://127.0.0.1:9").unwrap();
    let runtime = Runtime {
        config,
        cache: MemoryCache::shared(1000),
        mailer,
        authenticator: Authenticator::new(Arc::new(verifier)),
        channels,
        shutdown: shutdown.clone(),
        service_tokens: None,
    };
    let catalog = CatalogStandIn::default();
    let parts = svc_billing::build_with(
        &runtime,
        BillingOptions {
            catalog: Some(Arc::new(catalog.clone())),
            directory: Some(Arc::new(DirectoryStandIn)),
            without_feed_consumer: true,
            ..BillingOptions::default()
        },
    )
    .await
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    let server = parts.grpc.clone();
    let server_shutdown = shutdown.clone();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(server)
            .serve_with_incoming_shutdown(tokio_stream::wrappers::TcpListenerStream::new(listener), async move {
                server_shutdown.wait().await
            })
            .await
            .unwrap();
    });
    let client = BillingServiceClient::connect(format!("http://{address}")).await.unwrap();
    Harness { database, stripe, catalog, parts, client, mail_dir, shutdown }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.trigger();
        std::fs::remove_dir_all(&self.mail_dir).ok();
    }
}

/// A Stripe event from the fixture `event`, with `data.object` replaced.
pub fn event(event_id: &str, event_type: &str, created: i64, object: serde_json::Value) -> Vec<u8> {
    let mut event = fixture("event");
    event["id"] = event_id.into();
    event["type"] = event_type.into();
    event["created"] = created.into();
    event["data"]["object"] = object;
    event.to_string().into_bytes()
}

pub fn signed(secret: &str, timestamp: i64, body: &[u8]) -> String {
    svc_billing::domain::signature::sign_header(secret, timestamp, body)
}

pub async fn deliver(router: &Router, signature: Option<String>, body: Vec<u8>) -> StatusCode {
    use tower::ServiceExt;
    let mut request = axum::http::Request::post("/webhooks/stripe").header("content-type", "application/json");
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    router.clone().oneshot(request.body(axum::body::Body::from(body)).unwrap()).await.unwrap().status()
}

/// Processes stored events until none is pending or in flight (the service's own
/// worker runs too, so a row may be mid-processing when a test looks).
pub async fn settle(harness: &Harness) {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    use svc_billing::store::entities::webhook_event;
    for _ in 0..100 {
        harness.parts.billing.process_pending_events().await.unwrap();
        let unfinished = webhook_event::Entity::find()
            .filter(webhook_event::Column::Status.is_in(["pending", "processing"]))
            .count(&harness.parts.billing.database)
            .await
            .unwrap();
        if unfinished == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("events did not settle");
}

pub async fn deliver_signed(router: &Router, body: Vec<u8>) -> StatusCode {
    let signature = signed(WEBHOOK_SECRET, chrono::Utc::now().timestamp(), &body);
    deliver(router, Some(signature), body).await
}

pub fn payment_intent_object(payment_intent_id: &str, metadata: serde_json::Value, status: &str) -> serde_json::Value {
    let mut object = fixture("payment_intent");
    object["id"] = payment_intent_id.into();
    object["metadata"] = metadata;
    object["status"] = status.into();
    object
}

pub async fn drain_stream(stream: FeedStream) -> usize {
    stream.count().await
}
