//! Test harness: billing's real gRPC server and webhook route, next to REAL
//! identity and catalog servers (one gRPC listener on 127.0.0.1:0, as `nds dev`
//! assembles them), each over its own fresh PostgreSQL database. Billing reaches
//! catalog and identity over gRPC with a service token identity issued; users get
//! their tokens from identity (an agency is onboarded through the application
//! workflow). Only Stripe, an external service, is replaced: by the local stand-in
//! `svc_billing::testing::StripeStandIn`, which answers with Stripe's own objects.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use nds_common::Shutdown;
use nds_common::auth::principal::SCOPE_INTERNAL;
use nds_common::cache::MemoryCache;
use nds_common::config::Config;
use nds_common::grpc::{GrpcServeOptions, serve_grpc};
use nds_common::mail::FileMailer;
use nds_common::runtime::Runtime;
use nds_common::service_token::{ServiceCredentialsConfig, ServiceTokens};
use nds_common::testing::TestDatabase;
use nds_proto::billing::v1::billing_service_client::BillingServiceClient;
use nds_proto::catalog::v1 as catalog_wire;
use nds_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use nds_proto::common::v1 as common_wire;
use nds_proto::identity::v1 as identity_wire;
use nds_proto::identity::v1::identity_service_client::IdentityServiceClient;
use svc_billing::testing::StripeStandIn;
use svc_billing::{BillingOptions, BillingParts};
use tokio::net::TcpListener;
use tonic::service::RoutesBuilder;
use tonic::transport::Channel;
use uuid::Uuid;

pub const WEBHOOK_SECRET: &str = "whsec_test_current";
pub const STRIPE_KEY: &str = "sk_test_billing";
const PASSWORD: &str = "una-clave-larga-2026";

pub fn fixture(name: &str) -> serde_json::Value {
    svc_billing::testing::load_fixtures().unwrap()[name].clone()
}

pub fn authorized<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

// ---------------------------------------------------------------- the harness

/// An agency onboarded through identity, with its manager's session.
#[derive(Clone, Debug)]
pub struct Agency {
    pub agency_id: Uuid,
    pub group_id: Uuid,
    pub manager_email: String,
    /// The manager's access token, issued by identity.
    pub manager: String,
}

pub struct Harness {
    pub stripe: StripeStandIn,
    pub parts: BillingParts,
    pub client: BillingServiceClient<Channel>,
    pub catalog: CatalogServiceClient<Channel>,
    pub identity: IdentityServiceClient<Channel>,
    /// The runtime identity and catalog run with (billing's differs only in its mailer).
    pub runtime: Runtime,
    /// Billing's mail (promotion ends); identity's (invitations) goes elsewhere.
    pub mail_dir: PathBuf,
    pub identity_mail_dir: PathBuf,
    /// A platform admin's access token.
    pub admin: String,
    pub shutdown: Shutdown,
    // Last: dropped after the servers were told to stop.
    pub database: TestDatabase,
    identity_database: TestDatabase,
    catalog_database: TestDatabase,
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
    let identity_database = TestDatabase::postgres().await;
    let catalog_database = TestDatabase::postgres().await;
    svc_billing::migrate(database.url()).await.unwrap();
    svc_identity::migrate(identity_database.url()).await.unwrap();
    svc_catalog::migrate(catalog_database.url()).await.unwrap();
    let stripe = StripeStandIn::start(STRIPE_KEY).await.unwrap();
    let run = Uuid::new_v4().simple().to_string();
    let data_dir = std::env::temp_dir().join(format!("billing-test-{run}"));
    let mut vars = vec![
        ("NDS_DATA_DIR".to_string(), data_dir.display().to_string()),
        ("NDS_IDENTITY_DATABASE_URL".to_string(), identity_database.url().to_string()),
        ("NDS_CATALOG_DATABASE_URL".to_string(), catalog_database.url().to_string()),
        ("NDS_BILLING_DATABASE_URL".to_string(), database.url().to_string()),
        ("NDS_STRIPE_API_BASE".to_string(), stripe.url()),
        ("NDS_STRIPE_WEBHOOK_SECRETS".to_string(), options.webhook_secrets.join(",")),
        ("NDS_PLATFORM_FEE_PERCENT".to_string(), "5".to_string()),
    ];
    if options.stripe_key {
        vars.push(("NDS_STRIPE_SECRET_KEY".to_string(), STRIPE_KEY.to_string()));
    }
    let config = Arc::new(Config::from_vars(vars).unwrap());
    let mail_dir = data_dir.join("billing-mail");
    let identity_mail_dir = data_dir.join("identity-mail");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let identity_mailer = Arc::new(FileMailer::new(&identity_mail_dir, "NDS <no-reply@nds.local>").unwrap());
    // Verifies tokens from identity's JWKS over gRPC, as every service does.
    let mut runtime = Runtime::new(
        config,
        MemoryCache::shared(1000),
        identity_mailer,
        &format!("http://{address}"),
        shutdown.clone(),
    )
    .unwrap();
    // As `nds dev`: a service account with the internal scope for calls on the services' own behalf.
    let secret = svc_identity::ensure_service_account(&runtime, "billing-tests", &[SCOPE_INTERNAL]).await.unwrap();
    let credentials = ServiceCredentialsConfig {
        client_id: "billing-tests".into(),
        client_secret: secret,
        scopes: vec![SCOPE_INTERNAL.to_string()],
    };
    runtime.service_tokens = Some(ServiceTokens::new(credentials, runtime.channels.identity.clone()));
    let billing_runtime = Runtime {
        mailer: Arc::new(FileMailer::new(&mail_dir, "NDS <no-reply@nds.local>").unwrap()),
        ..runtime.clone()
    };

    let mut routes = RoutesBuilder::default();
    routes.add_service(svc_identity::build(&runtime).await.unwrap());
    routes.add_service(svc_catalog::build(&runtime).await.unwrap().grpc);
    let parts = svc_billing::build_with(
        &billing_runtime,
        BillingOptions {
            service_credentials: svc_billing::clients::ServiceCredentials { tokens: runtime.service_tokens.clone() },
            // Tests drive the feed themselves (see `catch_up_feed`).
            without_feed_consumer: true,
            ..BillingOptions::default()
        },
    )
    .await
    .unwrap();
    routes.add_service(parts.grpc.clone());
    let names =
        [nds_proto::service_names::IDENTITY, nds_proto::service_names::CATALOG, nds_proto::service_names::BILLING];
    let serve_options =
        GrpcServeOptions { drain: Duration::ZERO, grace: Duration::from_millis(500), ..GrpcServeOptions::default() };
    let server_shutdown = shutdown.clone();
    tokio::spawn(async move {
        serve_grpc(listener, routes.routes(), &names, serve_options, server_shutdown).await.unwrap();
    });
    let tokens = runtime.service_tokens.clone().unwrap();
    tokens.refresh().await.unwrap();
    tokens.spawn_refresher(shutdown.clone());

    let channel = runtime.channels.identity.clone();
    let identity = IdentityServiceClient::new(channel.clone());
    let catalog = CatalogServiceClient::new(runtime.channels.catalog.clone());
    let client = BillingServiceClient::new(runtime.channels.billing.clone());
    svc_identity::bootstrap_platform_admin(&runtime, "admin@billing.test", PASSWORD).await.unwrap();
    let admin = log_in(&identity, "admin@billing.test").await;
    Harness {
        stripe,
        parts,
        client,
        catalog,
        identity,
        runtime,
        mail_dir,
        identity_mail_dir,
        admin,
        shutdown,
        database,
        identity_database,
        catalog_database,
    }
}

async fn log_in(identity: &IdentityServiceClient<Channel>, email: &str) -> String {
    identity
        .clone()
        .log_in(identity_wire::LogInRequest {
            email: email.into(),
            password: PASSWORD.into(),
            client_address: "198.51.100.7".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .access_token
}

/// The token a mail carries after "Invitation token: " (quoted-printable decoded).
fn invitation_token(mail: &str) -> Option<String> {
    let decoded = mail.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    let start = decoded.find("Invitation token: ")? + "Invitation token: ".len();
    let token: String = decoded[start..]
        .chars()
        .take_while(|character| character.is_ascii_alphanumeric() || "-_".contains(*character))
        .collect();
    (!token.is_empty()).then_some(token)
}

impl Harness {
    /// Onboards an agency as the product does: an application (in `group`, or a new
    /// group), approved by the platform admin; the contact accepts the invitation
    /// mailed to them and becomes the agency's manager.
    pub async fn onboard_agency(&self, company: &str, group: Option<Uuid>) -> Agency {
        let manager_email = format!("manager-{}@agency.test", Uuid::new_v4().simple());
        let application = identity_wire::AgencyApplication {
            company_name: company.into(),
            contact_name: "Lucía Hernández".into(),
            contact_email: manager_email.clone(),
            contact_phone: "+52 55 1234 5678".into(),
            tax_id: "ARE010203AB1".into(),
            address: "Av. Reforma 100, Juárez".into(),
            city: "Ciudad de México".into(),
            state: "Ciudad de México".into(),
            group_id: group.map(|group| group.to_string()).unwrap_or_default(),
            group_name: if group.is_some() { String::new() } else { format!("Grupo {company}") },
            expected_listings: 40,
            ..Default::default()
        };
        let mut identity = self.identity.clone();
        let applied = identity
            .apply_for_agency(identity_wire::ApplyForAgencyRequest { application: Some(application) })
            .await
            .unwrap()
            .into_inner();
        let approved = identity
            .review_agency_application(authorized(
                identity_wire::ReviewAgencyApplicationRequest { id: applied.id, approve: true, reason: String::new() },
                &self.admin,
            ))
            .await
            .unwrap()
            .into_inner();
        let token = nds_common::mail::read_mailbox(&self.identity_mail_dir)
            .iter()
            .filter(|mail| mail.contains(&manager_email))
            .find_map(|mail| invitation_token(mail))
            .expect("the approval mail carries an invitation token");
        let session = identity
            .accept_invitation(identity_wire::AcceptInvitationRequest {
                token,
                name: "Lucía Hernández".into(),
                password: PASSWORD.into(),
            })
            .await
            .unwrap()
            .into_inner();
        Agency {
            agency_id: Uuid::parse_str(&approved.agency_id).unwrap(),
            group_id: Uuid::parse_str(&approved.group_id).unwrap(),
            manager_email,
            manager: session.access_token,
        }
    }

    /// A buyer's access token (signs up through identity).
    pub async fn buyer(&self) -> String {
        self.identity
            .clone()
            .sign_up(identity_wire::SignUpRequest {
                email: format!("buyer-{}@example.com", Uuid::new_v4().simple()),
                password: PASSWORD.into(),
                name: "Sofía".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .access_token
    }

    /// A listing created (and published when asked) through catalog's API by the agency's manager.
    pub async fn listing(&self, agency: &Agency, published: bool) -> catalog_wire::Listing {
        let mut catalog = self.catalog.clone();
        let draft = catalog
            .create_listing(authorized(
                catalog_wire::CreateListingRequest {
                    agency_id: agency.agency_id.to_string(),
                    input: Some(listing_input("")),
                },
                &agency.manager,
            ))
            .await
            .unwrap()
            .into_inner();
        if !published {
            return draft;
        }
        catalog
            .publish_listing(authorized(
                catalog_wire::ListingTransitionRequest { id: draft.id.clone(), expected_version: draft.version },
                &agency.manager,
            ))
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn listing_id(&self, agency: &Agency, published: bool) -> Uuid {
        Uuid::parse_str(&self.listing(agency, published).await.id).unwrap()
    }

    /// The listing as catalog has it now (read as the platform admin).
    pub async fn read_listing(&self, listing_id: Uuid) -> catalog_wire::Listing {
        self.catalog
            .clone()
            .get_listing(authorized(catalog_wire::GetListingRequest { id: listing_id.to_string() }, &self.admin))
            .await
            .unwrap()
            .into_inner()
    }

    /// The promotion's end as catalog has it.
    pub async fn promotion(&self, listing_id: Uuid) -> Option<i64> {
        self.read_listing(listing_id).await.promoted_until_unix
    }

    /// Billing's service token (what it presents to catalog and identity).
    pub fn service_token(&self) -> String {
        self.runtime.service_tokens.as_ref().unwrap().current().unwrap().expose().clone()
    }

    /// Catalog's feed position now.
    pub async fn feed_position(&self) -> i64 {
        self.catalog
            .clone()
            .scan_listings(authorized(
                catalog_wire::ScanListingsRequest {
                    status: 0,
                    page: Some(common_wire::PageRequest { first: 1, after: String::new() }),
                },
                &self.service_token(),
            ))
            .await
            .unwrap()
            .into_inner()
            .feed_sequence
    }

    /// Runs billing's own feed follower (`follow_feed_once`, the loop the consumer
    /// task runs) until it has applied everything catalog's feed holds now, then sends
    /// the queued meter events. Catalog's stream is live and never ends by itself, so
    /// the follower is stopped once billing's saved cursor reaches catalog's position.
    pub async fn catch_up_feed(&self) {
        let target = self.feed_position().await;
        let billing = &self.parts.billing;
        let caught_up = async {
            while svc_billing::store::usage::cursor(&billing.database).await.unwrap() < target {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(15), async {
            tokio::select! {
                result = billing.follow_feed_once() => panic!("catalog's live feed ended: {result:?}"),
                () = caught_up => {}
            }
        })
        .await
        .expect("billing did not catch up with catalog's feed");
        billing.send_meter_events().await.unwrap();
    }
}

pub use svc_catalog::testing::listing_input;

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.trigger();
        if let Some(data_dir) = self.mail_dir.parent() {
            std::fs::remove_dir_all(data_dir).ok();
        }
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

/// A buyer's deposit of MXN 10,000.00 (5% platform fee) paid on one of `agency`'s listings.
pub async fn paid_deposit(harness: &Harness, agency: &Agency) -> nds_proto::billing::v1::Checkout {
    use nds_proto::billing::v1::{PayDepositRequest, StartPayoutOnboardingRequest};
    use nds_proto::common::v1::Money;
    use serde_json::json;
    let listing = harness.listing_id(agency, true).await;
    let buyer = harness.buyer().await;
    let mut client = harness.client.clone();
    let link = client
        .start_payout_onboarding(authorized(
            StartPayoutOnboardingRequest { agency_id: agency.agency_id.to_string() },
            &agency.manager,
        ))
        .await
        .unwrap()
        .into_inner();
    let now = chrono::Utc::now().timestamp();
    let account = json!({"id": link.account_id, "object": "account", "charges_enabled": true, "payouts_enabled": true});
    deliver_signed(
        &harness.parts.webhook,
        event(&format!("evt_acct_{}", link.account_id), "account.updated", now, account),
    )
    .await;
    settle(harness).await;
    let deposit = PayDepositRequest {
        listing_id: listing.to_string(),
        amount: Some(Money { amount_minor: 1_000_000, currency: "MXN".into() }),
    };
    let checkout = client.pay_deposit(authorized(deposit, &buyer)).await.unwrap().into_inner();
    let object = payment_intent_object(
        &checkout.payment_intent_id,
        json!({"deposit_id": checkout.reference_id, "listing_id": listing.to_string()}),
        "succeeded",
    );
    deliver_signed(
        &harness.parts.webhook,
        event(&format!("evt_dep_{}", checkout.reference_id), "payment_intent.succeeded", now, object),
    )
    .await;
    settle(harness).await;
    checkout
}

/// `charge.refunded` as Stripe sends it: the cumulative `amount_refunded` and the refunds so far.
pub fn refunded_charge(payment_intent_id: &str, refunds: &[(&str, i64)]) -> serde_json::Value {
    use serde_json::json;
    let data: Vec<serde_json::Value> = refunds
        .iter()
        .map(|(id, amount)| {
            json!({"id": id, "object": "refund", "amount": amount, "currency": "mxn", "status": "succeeded",
                   "payment_intent": payment_intent_id})
        })
        .collect();
    let total: i64 = refunds.iter().map(|(_, amount)| amount).sum();
    json!({
        "id": "ch_deposit", "object": "charge", "payment_intent": payment_intent_id, "amount": 1_000_000,
        "amount_refunded": total, "refunded": total == 1_000_000,
        "refunds": {"object": "list", "data": data, "has_more": false},
    })
}

/// The manager starts a promotion of `listing`: its checkout, and its PaymentIntent
/// as Stripe reports it once paid (the object of `payment_intent.succeeded`).
pub async fn promotion_checkout(
    harness: &Harness,
    agency: &Agency,
    listing: Uuid,
) -> (nds_proto::billing::v1::Checkout, serde_json::Value) {
    use nds_proto::billing::v1::PromoteListingRequest;
    let checkout = harness
        .client
        .clone()
        .promote_listing(authorized(PromoteListingRequest { listing_id: listing.to_string() }, &agency.manager))
        .await
        .unwrap()
        .into_inner();
    let object = payment_intent_object(
        &checkout.payment_intent_id,
        serde_json::json!({"promotion_id": checkout.reference_id, "listing_id": listing.to_string()}),
        "succeeded",
    );
    (checkout, object)
}
