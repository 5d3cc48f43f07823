//! The local Stripe stand-in (feature `testing`, enabled only by dev-dependencies):
//! an HTTP server that speaks Stripe's wire format (form-encoded `POST /v1/...`,
//! bearer secret key, `Idempotency-Key`) and answers with Stripe's own objects from
//! `tests/fixtures/stripe/resources.json`, adjusted to the request. Stripe is the
//! one external service NDS replaces in tests; everything NDS implements runs for real.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::net::TcpListener;
use uuid::Uuid;

/// Where Stripe's own objects are stored (in the repository, with their origin).
pub fn fixtures_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/stripe/resources.json")
}

/// Every fixture object, by name (`payment_intent`, `event`, `customer`, ...).
pub fn load_fixtures() -> std::io::Result<serde_json::Value> {
    let text = std::fs::read_to_string(fixtures_path())?;
    serde_json::from_str(&text).map_err(std::io::Error::other)
}

/// One request the stand-in received.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The path after `/v1/` (`payment_intents`, `billing/meter_events`, ...).
    pub path: String,
    pub form: HashMap<String, String>,
    pub idempotency_key: Option<String>,
}

#[derive(Default)]
struct Recorded {
    requests: Vec<RecordedRequest>,
    responses_by_key: HashMap<String, serde_json::Value>,
    objects_by_id: HashMap<String, serde_json::Value>,
}

#[derive(Clone)]
struct StandInState {
    secret_key: Arc<String>,
    fixtures: Arc<serde_json::Value>,
    recorded: Arc<Mutex<Recorded>>,
}

/// A running stand-in; it stops when the runtime that started it ends.
#[derive(Clone)]
pub struct StripeStandIn {
    state: StandInState,
    address: SocketAddr,
}

impl StripeStandIn {
    /// Starts on 127.0.0.1:0; requests must carry `Authorization: Bearer {secret_key}`.
    pub async fn start(secret_key: &str) -> std::io::Result<StripeStandIn> {
        let state = StandInState {
            secret_key: Arc::new(secret_key.to_string()),
            fixtures: Arc::new(load_fixtures()?),
            recorded: Arc::new(Mutex::new(Recorded::default())),
        };
        let app = Router::new().route("/v1/{*path}", post(stripe_post)).with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::warn!(error = %error, "Stripe stand-in stopped");
            }
        });
        Ok(StripeStandIn { state, address })
    }

    /// The value for `NDS_STRIPE_API_BASE`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn recorded(&self) -> MutexGuard<'_, Recorded> {
        self.state.recorded.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every authorised request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.recorded().requests.clone()
    }

    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        self.recorded().requests.iter().filter(|request| request.path == path).cloned().collect()
    }

    /// The object Stripe holds under `id` (what its events carry in `data.object`).
    pub fn object(&self, id: &str) -> Option<serde_json::Value> {
        self.recorded().objects_by_id.get(id).cloned()
    }
}

fn stripe_error(status: StatusCode, message: String) -> (StatusCode, String) {
    (status, serde_json::json!({"error": {"type": "invalid_request_error", "message": message}}).to_string())
}

fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> Result<&'a String, String> {
    form.get(name).ok_or_else(|| format!("Missing required param: {name}."))
}

fn integer(form: &HashMap<String, String>, name: &str) -> Result<i64, String> {
    field(form, name)?.parse::<i64>().map_err(|_| format!("Invalid integer: {name}"))
}

/// `refundable`: for `refunds`, the amount of the payment intent refunded (Stripe
/// refunds all of it when no amount is given).
fn object_for(
    fixtures: &serde_json::Value,
    path: &str,
    form: &HashMap<String, String>,
    refundable: Option<i64>,
) -> Result<serde_json::Value, String> {
    let fixture = |name: &str| {
        let object = fixtures[name].clone();
        if object.is_object() { Ok(object) } else { Err(format!("no fixture {name}")) }
    };
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
    let object = match path {
        "payment_intents" => {
            let mut object = fixture("payment_intent")?;
            let id = format!("pi_{id_suffix}");
            object["id"] = id.clone().into();
            object["client_secret"] = format!("{id}_secret_test").into();
            object["amount"] = integer(form, "amount")?.into();
            object["currency"] = field(form, "currency")?.clone().into();
            object["metadata"] = metadata.into();
            object["created"] = now.into();
            object["status"] = "requires_payment_method".into();
            for name in ["last_payment_error", "next_action", "processing", "transfer_data", "canceled_at"] {
                object[name] = serde_json::Value::Null;
            }
            object["application_fee_amount"] = match form.get("application_fee_amount") {
                Some(_) => integer(form, "application_fee_amount")?.into(),
                None => serde_json::Value::Null,
            };
            object
        }
        "customers" => {
            let mut object = fixture("customer")?;
            object["id"] = format!("cus_{id_suffix}").into();
            object["metadata"] = metadata.into();
            object
        }
        "billing/meters" => {
            let mut object = fixture("billing.meter")?;
            object["id"] = format!("mtr_{id_suffix}").into();
            object["event_name"] = field(form, "event_name")?.clone().into();
            object
        }
        "prices" => {
            let mut object = fixture("price")?;
            object["id"] = format!("price_{id_suffix}").into();
            object
        }
        "subscriptions" => {
            let mut object = fixture("subscription")?;
            object["id"] = format!("sub_{id_suffix}").into();
            object["customer"] = field(form, "customer")?.clone().into();
            object["status"] = "active".into();
            // The fixture's nested item carries placeholder values; an empty list keeps the shape.
            object["billing_mode"] = serde_json::json!({"type": "classic"});
            // Newer than the fixture file: async-stripe rc.10 requires it.
            object["billing_schedules"] = serde_json::json!([]);
            object["automatic_tax"] = serde_json::json!({"enabled": false, "disabled_reason": null, "liability": null});
            object["items"] =
                serde_json::json!({"object": "list", "data": [], "has_more": false, "url": "/v1/subscription_items"});
            for name in [
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
                object[name] = serde_json::Value::Null;
            }
            object
        }
        "billing/meter_events" => {
            let mut object = fixture("billing.meter_event")?;
            object["identifier"] = field(form, "identifier")?.clone().into();
            object["event_name"] = field(form, "event_name")?.clone().into();
            object
        }
        "accounts" => {
            let mut object = fixture("account")?;
            object["id"] = format!("acct_{id_suffix}").into();
            object["metadata"] = metadata.into();
            object
        }
        "account_links" => {
            let mut object = fixture("account_link")?;
            object["url"] = format!("https://connect.stripe.test/setup/{}", field(form, "account")?).into();
            object["expires_at"] = (now + 300).into();
            object
        }
        "refunds" => {
            let mut object = fixture("refund")?;
            object["id"] = format!("re_{id_suffix}").into();
            object["payment_intent"] = field(form, "payment_intent")?.clone().into();
            object["status"] = "succeeded".into();
            object["amount"] = match form.get("amount") {
                Some(_) => integer(form, "amount")?.into(),
                None => refundable.ok_or("No such payment_intent")?.into(),
            };
            object
        }
        other => return Err(format!("Unrecognized request URL (POST: /v1/{other})")),
    };
    Ok(object)
}

async fn stripe_post(
    State(state): State<StandInState>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let expected = format!("Bearer {}", state.secret_key);
    if headers.get("authorization").and_then(|value| value.to_str().ok()) != Some(expected.as_str()) {
        return stripe_error(StatusCode::UNAUTHORIZED, "Invalid API Key provided".into());
    }
    let Some(form) = url_decode(&body) else {
        return stripe_error(StatusCode::BAD_REQUEST, "Invalid form encoding".into());
    };
    let idempotency_key = headers.get("idempotency-key").and_then(|value| value.to_str().ok()).map(ToString::to_string);
    let mut recorded = state.recorded.lock().unwrap_or_else(PoisonError::into_inner);
    recorded.requests.push(RecordedRequest {
        path: path.clone(),
        form: form.clone(),
        idempotency_key: idempotency_key.clone(),
    });
    // Like Stripe: the same idempotency key answers the same object.
    if let Some(previous) = idempotency_key.as_ref().and_then(|key| recorded.responses_by_key.get(key)) {
        return (StatusCode::OK, previous.to_string());
    }
    let refundable = form
        .get("payment_intent")
        .and_then(|id| recorded.objects_by_id.get(id))
        .and_then(|intent| intent["amount"].as_i64());
    let object = match object_for(&state.fixtures, &path, &form, refundable) {
        Ok(object) => object,
        Err(message) => return stripe_error(StatusCode::BAD_REQUEST, message),
    };
    if let Some(key) = idempotency_key {
        recorded.responses_by_key.insert(key, object.clone());
    }
    if let Some(id) = object["id"].as_str() {
        recorded.objects_by_id.insert(id.to_string(), object.clone());
    }
    (StatusCode::OK, object.to_string())
}

/// `application/x-www-form-urlencoded`, as Stripe's clients send it; `None` if malformed.
fn url_decode(body: &[u8]) -> Option<HashMap<String, String>> {
    fn decode(raw: &str) -> Option<String> {
        let raw = raw.replace('+', " ");
        let bytes = raw.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut index = 0;
        while index < bytes.len() {
            if bytes[index] == b'%' {
                let hex = raw.get(index + 1..index + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                index += 3;
            } else {
                out.push(bytes[index]);
                index += 1;
            }
        }
        String::from_utf8(out).ok()
    }
    let text = std::str::from_utf8(body).ok()?;
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode(key)?, decode(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::url_decode;

    #[test]
    fn form_bodies_decode_like_stripe_sends_them() {
        let form = url_decode(b"metadata%5Blisting_id%5D=a+b&amount=100").unwrap();
        assert_eq!(form["metadata[listing_id]"], "a b");
        assert_eq!(form["amount"], "100");
        assert!(url_decode(b"amount=%zz").is_none());
    }
}
