//! The paid actions: promote a listing, subscribe an agency, onboard payouts,
//! take and refund a buyer's deposit. Each checks the caller on the agency first,
//! then PAYMENT_NOT_CONFIGURED, then writes our row before calling Stripe with an
//! idempotency key derived from that row.

use std::collections::HashMap;

use nds_common::audit::{self, AuditEvent};
use nds_common::auth::{AgencyAction, Principal};
use nds_common::error::ErrorCode;
use nds_common::grpc::CallContext;
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::feed::queue_month_usage;
use super::{Billing, parse_id};
use crate::clients::stripe_api::PaymentIntentSpec;
use crate::domain::money::{DepositAmount, MoneyError, fee_share_refunded, platform_fee};
use crate::domain::period::month_of;
use crate::domain::status::SubscriptionState;
use crate::error::BillingError;
use crate::store::accounts::deposits;
use crate::store::entities::deposit;
use crate::store::{self, ledger, now_unix, promotions};

/// What a client needs to pay: the PaymentIntent's client secret and our reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutView {
    pub client_secret: String,
    pub payment_intent_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub kind: &'static str,
    pub status: String,
    pub reference_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnboardingView {
    pub url: String,
    pub expires_at_unix: i64,
    pub account_id: String,
}

pub const SETTING_METER_ID: &str = "stripe_listing_meter_id";
pub const SETTING_PRICE_ID: &str = "stripe_listing_price_id";

fn money_error(error: MoneyError) -> BillingError {
    BillingError::invalid("amount", error.to_string())
}

impl Billing {
    pub async fn promote_listing(
        &self,
        principal: &Principal,
        context: &CallContext,
        listing_id: &str,
    ) -> Result<CheckoutView, BillingError> {
        let listing_id = parse_id(listing_id, "listingId")?;
        let listing = self.catalog.get_listing(context, listing_id).await?;
        let agency = nds_common::auth::AgencyRef { agency_id: listing.agency_id, group_id: listing.group_id };
        principal.require_on_agency(agency, AgencyAction::ManageBilling)?;
        if !listing.published {
            return Err(BillingError::invalid("listingId", "only published listings can be promoted"));
        }
        if !self.stripe.is_configured() {
            return Err(BillingError::PaymentNotConfigured);
        }
        store::accounts::ensure(&self.database, &listing.agency_id.to_string(), &listing.group_id.to_string()).await?;
        let promotion = promotions::insert_pending(
            &self.database,
            &promotions::NewPromotion {
                id: Uuid::now_v7(),
                listing_id,
                agency_id: listing.agency_id,
                group_id: listing.group_id,
                amount_minor: self.settings.promotion_price_minor,
                currency: self.settings.currency.clone(),
                requested_by: audit::actor_of(principal),
            },
        )
        .await?;
        let metadata = HashMap::from([
            ("kind".to_string(), "promotion".to_string()),
            ("promotion_id".to_string(), promotion.id.clone()),
            ("listing_id".to_string(), listing_id.to_string()),
            ("agency_id".to_string(), listing.agency_id.to_string()),
        ]);
        let intent = self
            .stripe
            .create_payment_intent(&PaymentIntentSpec {
                amount_minor: promotion.amount_minor,
                currency: promotion.currency.clone(),
                metadata,
                idempotency_key: format!("promotion-{}", promotion.id),
                destination: None,
            })
            .await?;
        promotions::attach_payment_intent(&self.database, &promotion.id, &intent.id).await?;
        Ok(CheckoutView {
            client_secret: intent.client_secret,
            payment_intent_id: intent.id,
            amount_minor: promotion.amount_minor,
            currency: promotion.currency,
            kind: "promotion",
            status: "pending".into(),
            reference_id: promotion.id,
        })
    }

    pub async fn subscribe_agency(&self, principal: &Principal, agency_id: &str) -> Result<CheckoutView, BillingError> {
        let agency_id = parse_id(agency_id, "agencyId")?;
        let agency = self.require_on_agency(principal, agency_id, AgencyAction::ManageBilling).await?;
        if !self.stripe.is_configured() {
            return Err(BillingError::PaymentNotConfigured);
        }
        let agency_key = agency_id.to_string();
        let account = store::accounts::ensure(&self.database, &agency_key, &agency.group_id.to_string()).await?;
        let claim = self.claim_subscription(&agency_key).await?;
        let customer_id = match account.stripe_customer_id.clone() {
            Some(customer_id) => customer_id,
            None => {
                let customer_id = self.stripe.create_customer(&agency_key, &format!("customer-{agency_key}")).await?;
                store::accounts::set_customer(&self.database, &agency_key, &customer_id).await?;
                customer_id
            }
        };
        let price_id = self.listing_price_id().await?;
        // Every call holding this claim sends the same key, so Stripe creates one subscription.
        let (subscription_id, status) = self.stripe.create_subscription(&customer_id, &price_id, &claim).await?;
        // Stripe's `incomplete` (payment pending) shows as none until an event says more.
        let state = SubscriptionState::from_stripe(&status).unwrap_or(SubscriptionState::None);
        // Recorded with the first month's usage (the listings live now), in one transaction.
        let month = month_of(now_unix());
        let transaction = self.database.begin().await?;
        if store::accounts::start_subscription(&transaction, &agency_key, &claim, &subscription_id, state, &month)
            .await?
        {
            queue_month_usage(&transaction, &agency_key, &month).await?;
        }
        transaction.commit().await?;
        if let Err(error) = self.send_meter_events().await {
            tracing::warn!(error = %error, "meter events not sent now; the next pass sends them");
        }
        Ok(CheckoutView {
            client_secret: String::new(),
            payment_intent_id: String::new(),
            amount_minor: self.settings.listing_price_minor,
            currency: self.settings.currency.clone(),
            kind: "subscription",
            status,
            reference_id: subscription_id,
        })
    }

    /// The idempotency key under which the agency's next subscription is created:
    /// decided under a row lock, so concurrent calls share one key (and Stripe one
    /// subscription); a call after a failed attempt reuses that attempt's key.
    /// CONFLICT while the current subscription is live.
    async fn claim_subscription(&self, agency_key: &str) -> Result<String, BillingError> {
        let transaction = self.database.begin().await?;
        let account = store::accounts::lock(&transaction, agency_key).await?;
        let state = SubscriptionState::parse(&account.subscription_status);
        if account.subscription_id.is_some() && !state.is_terminal() {
            return Err(BillingError::Conflict("the agency already has a subscription".into()));
        }
        let claim = match account.subscription_claim {
            Some(claim) => claim,
            None => {
                let claim = format!("subscription-{agency_key}-{}", Uuid::now_v7());
                store::accounts::set_subscription_claim(&transaction, agency_key, &claim).await?;
                claim
            }
        };
        transaction.commit().await?;
        Ok(claim)
    }

    /// The platform's meter and usage price, created once and remembered.
    async fn listing_price_id(&self) -> Result<String, BillingError> {
        if let Some(price_id) = store::usage::setting(&self.database, SETTING_PRICE_ID).await? {
            return Ok(price_id);
        }
        let meter_id = match store::usage::setting(&self.database, SETTING_METER_ID).await? {
            Some(meter_id) => meter_id,
            None => {
                let meter_id = self.stripe.create_listing_meter().await?;
                store::usage::put_setting(&self.database, SETTING_METER_ID, &meter_id).await?;
                meter_id
            }
        };
        let price_id = self
            .stripe
            .create_listing_price(&meter_id, self.settings.listing_price_minor, &self.settings.currency)
            .await?;
        store::usage::put_setting(&self.database, SETTING_PRICE_ID, &price_id).await?;
        Ok(price_id)
    }

    pub async fn start_payout_onboarding(
        &self,
        principal: &Principal,
        agency_id: &str,
    ) -> Result<OnboardingView, BillingError> {
        let agency_id = parse_id(agency_id, "agencyId")?;
        let agency = self.require_on_agency(principal, agency_id, AgencyAction::ManageBilling).await?;
        if !self.stripe.is_configured() {
            return Err(BillingError::PaymentNotConfigured);
        }
        let agency_key = agency_id.to_string();
        let account = store::accounts::ensure(&self.database, &agency_key, &agency.group_id.to_string()).await?;
        let account_id = match account.connect_account_id {
            Some(account_id) => account_id,
            None => {
                let account_id =
                    self.stripe.create_connected_account(&agency_key, &format!("connect-{agency_key}")).await?;
                store::accounts::set_connect_account(&self.database, &agency_key, &account_id).await?;
                account_id
            }
        };
        let base = self.settings.panel_url.trim_end_matches('/');
        let (url, expires_at_unix) = self
            .stripe
            .create_account_link(
                &account_id,
                &format!("{base}/agencies/{agency_key}/payouts/refresh"),
                &format!("{base}/agencies/{agency_key}/payouts/done"),
            )
            .await?;
        Ok(OnboardingView { url, expires_at_unix, account_id })
    }

    pub async fn pay_deposit(
        &self,
        principal: &Principal,
        context: &CallContext,
        listing_id: &str,
        amount_minor: i64,
        currency: &str,
    ) -> Result<CheckoutView, BillingError> {
        let buyer_id = principal.require_user_id()?;
        let listing_id = parse_id(listing_id, "listingId")?;
        let amount = DepositAmount::parse(amount_minor, currency, &self.settings.currency).map_err(money_error)?;
        // Catalog hides unpublished listings from buyers (NOT_FOUND): a draft the
        // caller cannot see and one they can see answer alike, without revealing
        // whether an unpublished listing exists.
        let listing = match self.catalog.get_listing(context, listing_id).await {
            Ok(listing) if listing.published => listing,
            Ok(_) => {
                return Err(BillingError::invalid("listingId", "deposits are only taken on published listings"));
            }
            Err(BillingError::Api(error)) if error.code == ErrorCode::NotFound => {
                return Err(BillingError::invalid("listingId", "deposits are only taken on published listings"));
            }
            Err(error) => return Err(error),
        };
        if !self.stripe.is_configured() {
            return Err(BillingError::PaymentNotConfigured);
        }
        let agency_key = listing.agency_id.to_string();
        let account = store::accounts::get(&self.database, &agency_key).await?;
        let destination = account
            .filter(|account| account.charges_enabled)
            .and_then(|account| account.connect_account_id)
            .ok_or_else(|| BillingError::Conflict("this agency cannot take payments yet".into()))?;
        let fee = platform_fee(amount.minor, self.settings.platform_fee_percent);
        let now = now_unix();
        let row = deposits::insert(
            &self.database,
            deposit::Model {
                id: Uuid::now_v7().to_string(),
                listing_id: listing_id.to_string(),
                agency_id: agency_key.clone(),
                group_id: listing.group_id.to_string(),
                buyer_id: buyer_id.to_string(),
                amount_minor: amount.minor,
                fee_minor: fee,
                currency: amount.currency.clone(),
                payment_intent_id: None,
                status: deposits::PENDING.into(),
                refund_id: None,
                refunded_minor: 0,
                last_event_created: 0,
                created_at_unix: now,
                updated_at_unix: now,
            },
        )
        .await?;
        let metadata = HashMap::from([
            ("kind".to_string(), "deposit".to_string()),
            ("deposit_id".to_string(), row.id.clone()),
            ("listing_id".to_string(), listing_id.to_string()),
            ("agency_id".to_string(), agency_key),
        ]);
        let intent = self
            .stripe
            .create_payment_intent(&PaymentIntentSpec {
                amount_minor: amount.minor,
                currency: amount.currency.clone(),
                metadata,
                idempotency_key: format!("deposit-{}", row.id),
                destination: Some((destination, fee)),
            })
            .await?;
        deposits::attach_payment_intent(&self.database, &row.id, &intent.id).await?;
        Ok(CheckoutView {
            client_secret: intent.client_secret,
            payment_intent_id: intent.id,
            amount_minor: amount.minor,
            currency: amount.currency,
            kind: "deposit",
            status: deposits::PENDING.into(),
            reference_id: row.id,
        })
    }

    pub async fn refund_deposit(
        &self,
        principal: &Principal,
        deposit_id: &str,
    ) -> Result<deposits::Model, BillingError> {
        let deposit_uuid = parse_id(deposit_id, "depositId")?;
        let deposit = deposits::by_id(&self.database, &deposit_uuid.to_string())
            .await?
            .ok_or_else(|| BillingError::NotFound("deposit".into()))?;
        let agency_id = parse_id(&deposit.agency_id, "depositId")?;
        let agency = self.agency_ref(principal, agency_id).await?;
        if !principal.can_on_agency(agency, AgencyAction::ManageBilling) {
            // Not found rather than forbidden: other agencies' deposits are not revealed.
            return Err(BillingError::NotFound("deposit".into()));
        }
        if deposit.status != deposits::SUCCEEDED {
            return Err(BillingError::Conflict(format!("a {} deposit cannot be refunded", deposit.status)));
        }
        if !self.stripe.is_configured() {
            return Err(BillingError::PaymentNotConfigured);
        }
        let payment_intent_id = deposit.payment_intent_id.clone().unwrap_or_default();
        // Refunds what is still held; Stripe answers with the refund's id and amount.
        let refund =
            self.stripe.refund_destination_charge(&payment_intent_id, &format!("refund-{}", deposit.id)).await?;
        let transaction = self.database.begin().await?;
        deposits::set_refund(&transaction, &deposit.id, &refund.id).await?;
        let refund_recorded = RecordedRefund {
            deposit_id: &deposit.id,
            refund_id: &refund.id,
            amount_minor: refund.amount_minor,
            event_created: now_unix(),
            actor: &audit::actor_of(principal),
        };
        record_refund(&transaction, &refund_recorded).await?;
        transaction.commit().await?;
        deposits::by_id(&self.database, &deposit.id).await?.ok_or_else(|| BillingError::NotFound("deposit".into()))
    }
}

/// One refund Stripe made of a deposit, and who asked for it.
pub struct RecordedRefund<'a> {
    pub deposit_id: &'a str,
    pub refund_id: &'a str,
    pub amount_minor: i64,
    pub event_created: i64,
    /// The audit log's actor: the person who refunded through NDS, or `stripe`
    /// when the webhook reports a refund made in Stripe's dashboard. Should the
    /// webhook overtake the refund call's own write, the log says `stripe`.
    pub actor: &'a str,
}

/// Records one refund of a paid deposit, once per Stripe refund id (from the refund
/// call or from the webhook, whichever comes first): the refunded amount and the
/// platform fee's share of it as negative ledger rows keyed by the refund id, and
/// an audit line. The deposit is `refunded` once its refunds reach its amount.
/// `false` when the refund was already recorded, or the deposit is not (or no
/// longer) refundable.
pub async fn record_refund<C: sea_orm::ConnectionTrait>(
    database: &C,
    refund: &RecordedRefund<'_>,
) -> Result<bool, BillingError> {
    let RecordedRefund { deposit_id, refund_id, amount_minor, event_created, actor } = *refund;
    let Some(deposit) = deposits::lock(database, deposit_id).await? else {
        return Ok(false);
    };
    if deposit.status != deposits::SUCCEEDED || refund_id.is_empty() {
        return Ok(false);
    }
    let already = ledger::for_object(database, refund_id).await?;
    if already.iter().any(|entry| entry.kind == ledger::REFUND) {
        return Ok(false);
    }
    let amount = amount_minor.clamp(0, deposit.amount_minor - deposit.refunded_minor);
    if amount == 0 {
        return Ok(false);
    }
    let refunded = deposit.refunded_minor + amount;
    let fee_returned = fee_share_refunded(deposit.fee_minor, deposit.amount_minor, refunded)
        - fee_share_refunded(deposit.fee_minor, deposit.amount_minor, deposit.refunded_minor);
    for (kind, amount) in [(ledger::REFUND, -amount), (ledger::FEE_REVERSAL, -fee_returned)] {
        ledger::record(
            database,
            ledger::NewEntry {
                agency_id: &deposit.agency_id,
                group_id: &deposit.group_id,
                kind,
                amount_minor: amount,
                currency: &deposit.currency,
                stripe_object_id: refund_id,
            },
        )
        .await?;
    }
    let status = if refunded >= deposit.amount_minor { deposits::REFUNDED } else { deposits::SUCCEEDED };
    deposits::add_refunded(database, &deposit.id, refunded, status, event_created).await?;
    audit::record(
        database,
        AuditEvent {
            actor,
            action: crate::domain::audit::DEPOSIT_REFUNDED,
            target_type: "listing",
            target_id: deposit.listing_id.clone(),
            detail: serde_json::json!({
                "deposit_id": deposit.id,
                "refund_id": refund_id,
                "amount_minor": amount,
                "currency": deposit.currency,
                "fully_refunded": status == deposits::REFUNDED,
            }),
        },
    )
    .await?;
    Ok(true)
}
