//! Billing's outbound Stripe calls through async-stripe. Every create carries an
//! idempotency key derived from our own row id, so a retry (ours or the
//! client's) never creates a second object.
//!
//! Without `NDS_STRIPE_SECRET_KEY` there is no client and every call answers
//! PAYMENT_NOT_CONFIGURED; the rest of billing keeps working.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_billing::billing_meter::{
    CreateBillingMeter, CreateBillingMeterDefaultAggregation, CreateBillingMeterDefaultAggregationFormula,
};
use stripe_billing::billing_meter_event::CreateBillingMeterEvent;
use stripe_billing::subscription::{CreateSubscription, CreateSubscriptionItems};
use stripe_connect::account::{CreateAccount, CreateAccountType};
use stripe_connect::account_link::{CreateAccountLink, CreateAccountLinkType};
use stripe_core::customer::CreateCustomer;
use stripe_core::payment_intent::{
    CreatePaymentIntent, CreatePaymentIntentAutomaticPaymentMethods, CreatePaymentIntentTransferData,
};
use stripe_core::refund::CreateRefund;
use stripe_product::price::{
    CreatePrice, CreatePriceProductData, CreatePriceRecurring, CreatePriceRecurringInterval,
    CreatePriceRecurringUsageType,
};
use stripe_types::Currency;

use crate::error::BillingError;

/// The Billing Meter's event name: one event per newly published listing.
pub const LISTING_METER_EVENT: &str = "nds_listing_published";

/// A PaymentIntent to create.
#[derive(Clone, Debug)]
pub struct PaymentIntentSpec {
    pub amount_minor: i64,
    pub currency: String,
    pub metadata: HashMap<String, String>,
    pub idempotency_key: String,
    /// Destination charge: the connected account and the platform's fee.
    pub destination: Option<(String, i64)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedPaymentIntent {
    pub id: String,
    pub client_secret: String,
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedRefund {
    pub id: String,
    pub amount_minor: i64,
    pub status: String,
}

#[derive(Clone)]
pub struct StripeApi {
    client: Option<Client>,
}

fn strategy(key: &str) -> Result<RequestStrategy, BillingError> {
    let key = IdempotencyKey::new(key).map_err(|error| BillingError::Internal(format!("idempotency key: {error}")))?;
    Ok(RequestStrategy::Idempotent(key))
}

fn currency(code: &str) -> Currency {
    // Currency's FromStr is infallible (unknown codes become `Unknown`).
    match Currency::from_str(&code.to_ascii_lowercase()) {
        Ok(currency) => currency,
        Err(never) => match never {},
    }
}

impl StripeApi {
    /// `None` key → not configured. `api_base` points at Stripe or a local stand-in.
    pub fn new(secret_key: Option<&str>, api_base: &str) -> Result<StripeApi, BillingError> {
        let client = match secret_key {
            None => None,
            Some(key) => Some(
                ClientBuilder::new(key)
                    .url(api_base)
                    .timeout(Duration::from_secs(10))
                    .build()
                    .map_err(|error| BillingError::Internal(format!("stripe client: {error}")))?,
            ),
        };
        Ok(StripeApi { client })
    }

    pub fn is_configured(&self) -> bool {
        self.client.is_some()
    }

    fn client(&self) -> Result<&Client, BillingError> {
        self.client.as_ref().ok_or(BillingError::PaymentNotConfigured)
    }

    #[tracing::instrument(target = "nds_trace", name = "stripe.create_payment_intent", skip_all, fields(otel.kind = "client", peer.service = "stripe"))]
    pub async fn create_payment_intent(&self, spec: &PaymentIntentSpec) -> Result<CreatedPaymentIntent, BillingError> {
        let client = self.client()?;
        let mut request = CreatePaymentIntent::new(spec.amount_minor, currency(&spec.currency))
            .metadata(spec.metadata.clone())
            .automatic_payment_methods(CreatePaymentIntentAutomaticPaymentMethods::new(true));
        if let Some((account, fee)) = &spec.destination {
            request = request
                .application_fee_amount(*fee)
                .transfer_data(CreatePaymentIntentTransferData::new(account.clone()));
        }
        let intent = request.customize().request_strategy(strategy(&spec.idempotency_key)?).send(client).await?;
        Ok(CreatedPaymentIntent {
            id: intent.id.to_string(),
            client_secret: intent.client_secret.unwrap_or_default(),
            status: intent.status.as_str().to_string(),
        })
    }

    #[tracing::instrument(target = "nds_trace", name = "stripe.create_customer", skip_all, fields(otel.kind = "client", peer.service = "stripe"))]
    pub async fn create_customer(&self, agency_id: &str, idempotency_key: &str) -> Result<String, BillingError> {
        let client = self.client()?;
        let metadata = HashMap::from([("agency_id".to_string(), agency_id.to_string())]);
        let customer = CreateCustomer::new()
            .metadata(metadata)
            .customize()
            .request_strategy(strategy(idempotency_key)?)
            .send(client)
            .await?;
        Ok(customer.id.to_string())
    }

    /// The Billing Meter counting published listings (created once per platform).
    #[tracing::instrument(target = "nds_trace", name = "stripe.create_listing_meter", skip_all, fields(otel.kind = "client", peer.service = "stripe"))]
    pub async fn create_listing_meter(&self) -> Result<String, BillingError> {
        let client = self.client()?;
        let aggregation =
            CreateBillingMeterDefaultAggregation { formula: CreateBillingMeterDefaultAggregationFormula::Sum };
        let meter = CreateBillingMeter::new(aggregation, "Published listings", LISTING_METER_EVENT)
            .customize()
            .request_strategy(strategy("nds-listing-meter-v1")?)
            .send(client)
            .await?;
        Ok(meter.id.to_string())
    }

    /// The monthly usage-based price on that meter (created once per platform).
    #[tracing::instrument(target = "nds_trace", name = "stripe.create_listing_price", skip_all, fields(otel.kind = "client", peer.service = "stripe"))]
    pub async fn create_listing_price(
        &self,
        meter_id: &str,
        unit_amount_minor: i64,
        currency_code: &str,
    ) -> Result<String, BillingError> {
        let client = self.client()?;
        let mut recurring = CreatePriceRecurring::new(CreatePriceRecurringInterval::Month);
        recurring.usage_type = Some(CreatePriceRecurringUsageType::Metered);
        recurring.meter = Some(meter_id.to_string());
        let price = CreatePrice::new(currency(currency_code))
            .unit_amount(unit_amount_minor)
            .recurring(recurring)
            .product_data(CreatePriceProductData::new("NDS listing, per month"))
            .customize()
            .request_strategy(strategy(&format!("nds-listing-price-v1-{meter_id}"))?)
            .send(client)
            .await?;
        Ok(price.id.to_string())
    }

    #[tracing::instrument(target = "nds_trace", name = "stripe.create_subscription", skip_all, fields(otel.kind = "client", peer.service = "stripe"))]
    pub async fn create_subscription(
        &self,
        customer_id: &str,
        price_id: &str,
        idempotency_key: &str,
    ) -> Result<(String, String), BillingError> {
        let client = self.client()?;
        let mut item = CreateSubscriptionItems::new();
        item.price = Some(price_id.to_string());
        let subscription = CreateSubscription::new()
            .customer(customer_id)
            .items(vec![item])
            .customize()
            .request_strategy(strategy(idempotency_key)?)
            .send(client)
            .await?;
        Ok((subscription.id.to_string(), subscription.status.as_str().to_string()))
    }

    /// One meter event; `identifier` makes Stripe drop a replay.
    #[tracing::instrument(target = "nds_trace", name = "stripe.send_meter_event", skip_all, fields(otel.kind = "client", peer.service = "stripe"))]
    pub async fn send_meter_event(
        &self,
        customer_id: &str,
        identifier: &str,
        timestamp: i64,
    ) -> Result<(), BillingError> {
        let client = self.client()?;
        let payload = HashMap::from([
            ("stripe_customer_id".to_string(), customer_id.to_string()),
            ("value".to_string(), "1".to_string()),
        ]);
        CreateBillingMeterEvent::new(LISTING_METER_EVENT, payload)
            .identifier(identifier)
            .timestamp(timestamp)
            .customize()
            .request_strategy(strategy(&format!("meter-{identifier}"))?)
            .send(client)
            .await?;
        Ok(())
    }

    #[tracing::instrument(target = "nds_trace", name = "stripe.create_connected_account", skip_all, fields(otel.kind = "client", peer.service = "stripe"))]
    pub async fn create_connected_account(
        &self,
        agency_id: &str,
        idempotency_key: &str,
    ) -> Result<String, BillingError> {
        let client = self.client()?;
        let metadata = HashMap::from([("agency_id".to_string(), agency_id.to_string())]);
        let account = CreateAccount::new()
            .type_(CreateAccountType::Express)
            .metadata(metadata)
            .customize()
            .request_strategy(strategy(idempotency_key)?)
            .send(client)
            .await?;
        Ok(account.id.to_string())
    }

    /// An onboarding link: `(url, expires_at_unix)`. Links are single-use, so no key.
    #[tracing::instrument(target = "nds_trace", name = "stripe.create_account_link", skip_all, fields(otel.kind = "client", peer.service = "stripe"))]
    pub async fn create_account_link(
        &self,
        account_id: &str,
        refresh_url: &str,
        return_url: &str,
    ) -> Result<(String, i64), BillingError> {
        let client = self.client()?;
        let link = CreateAccountLink::new(account_id, CreateAccountLinkType::AccountOnboarding)
            .refresh_url(refresh_url)
            .return_url(return_url)
            .send(client)
            .await?;
        Ok((link.url, link.expires_at))
    }

    /// Refunds what remains of a destination charge, reversing the transfer and the
    /// platform's fee in proportion.
    #[tracing::instrument(target = "nds_trace", name = "stripe.refund_destination_charge", skip_all, fields(otel.kind = "client", peer.service = "stripe"))]
    pub async fn refund_destination_charge(
        &self,
        payment_intent_id: &str,
        idempotency_key: &str,
    ) -> Result<CreatedRefund, BillingError> {
        let client = self.client()?;
        let refund = CreateRefund::new()
            .payment_intent(payment_intent_id)
            .reverse_transfer(true)
            .refund_application_fee(true)
            .customize()
            .request_strategy(strategy(idempotency_key)?)
            .send(client)
            .await?;
        Ok(CreatedRefund {
            id: refund.id.to_string(),
            amount_minor: refund.amount,
            status: refund.status.unwrap_or_default(),
        })
    }
}
