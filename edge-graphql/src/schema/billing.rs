//! Paid promotions, the per-listing subscription, payouts and deposits (svc-billing).

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use nds_proto::billing::v1 as billing;
use nds_proto::common::v1 as wire;

use super::paging::timestamp;
use crate::clients::clients;
use crate::context::request_context;
use crate::error::{GrpcResultExt, bad_input};

/// What a client needs to complete a payment with Stripe.js or the mobile SDKs.
#[derive(SimpleObject)]
pub struct Checkout {
    pub client_secret: String,
    pub payment_intent_id: Option<String>,
    /// Minor units.
    pub amount: i64,
    pub currency: String,
    /// "promotion", "subscription" or "deposit".
    pub kind: String,
    pub status: String,
}

impl From<billing::Checkout> for Checkout {
    fn from(checkout: billing::Checkout) -> Self {
        let amount = checkout.amount.unwrap_or_default();
        Self {
            client_secret: checkout.client_secret,
            payment_intent_id: (!checkout.payment_intent_id.is_empty()).then_some(checkout.payment_intent_id),
            amount: amount.amount_minor,
            currency: amount.currency,
            kind: checkout.kind,
            status: checkout.status,
        }
    }
}

/// Stripe Connect onboarding: send the agency manager to `url`.
#[derive(SimpleObject)]
pub struct OnboardingLink {
    pub url: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The per-listing monthly subscription's state.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum SubscriptionStatus {
    /// Never subscribed.
    None,
    Active,
    /// The last invoice failed; Stripe retries it.
    PastDue,
    Cancelled,
}

impl SubscriptionStatus {
    fn from_wire(raw: i32) -> SubscriptionStatus {
        match billing::SubscriptionStatus::try_from(raw) {
            Ok(billing::SubscriptionStatus::Active) => SubscriptionStatus::Active,
            Ok(billing::SubscriptionStatus::PastDue) => SubscriptionStatus::PastDue,
            Ok(billing::SubscriptionStatus::Cancelled) => SubscriptionStatus::Cancelled,
            Ok(billing::SubscriptionStatus::None | billing::SubscriptionStatus::Unspecified) | Err(_) => {
                SubscriptionStatus::None
            }
        }
    }
}

/// An agency's billing state.
#[derive(SimpleObject)]
pub struct AgencyBilling {
    pub agency_id: ID,
    pub subscription: SubscriptionStatus,
    /// The current usage period, a UTC calendar month written `YYYY-MM`.
    pub period: String,
    /// The agency's listings the subscription bills in `period` (0 without a live subscription).
    pub listings_billed_this_period: u32,
    /// Promotions of the agency's listings running now.
    pub active_promotions: u32,
    /// A Stripe Connect account exists for buyers' deposits.
    pub payouts_onboarded: bool,
    /// Stripe has enabled charges on that account.
    pub payouts_enabled: bool,
}

impl From<billing::BillingStatus> for AgencyBilling {
    fn from(status: billing::BillingStatus) -> Self {
        Self {
            agency_id: ID(status.agency_id),
            subscription: SubscriptionStatus::from_wire(status.subscription),
            period: status.period,
            listings_billed_this_period: status.listings_billed_this_period,
            active_promotions: status.active_promotions,
            payouts_onboarded: status.payouts_onboarded,
            payouts_enabled: status.payouts_enabled,
        }
    }
}

#[derive(Default)]
pub struct BillingQuery;

#[Object]
impl BillingQuery {
    /// An agency's subscription, usage this period and payout account, scoped as
    /// `metrics` is: its managers, its group's admins and platform admins.
    async fn agency_billing(&self, context: &Context<'_>, agency_id: ID) -> async_graphql::Result<AgencyBilling> {
        let request = request_context(context)?;
        let message = billing::GetBillingStatusRequest { agency_id: agency_id.0 };
        Ok(clients(context)?.billing().get_billing_status(request.call.request(message)).await.or_graphql()?.into())
    }
}

#[derive(Default)]
pub struct BillingMutation;

#[Object]
impl BillingMutation {
    /// Agency staff: a PaymentIntent for a 30-day promotion of one of their listings.
    async fn promote_listing(&self, context: &Context<'_>, listing_id: ID) -> async_graphql::Result<Checkout> {
        let request = request_context(context)?;
        let message = billing::PromoteListingRequest { listing_id: listing_id.0 };
        Ok(clients(context)?.billing().promote_listing(request.call.request(message)).await.or_graphql()?.into())
    }

    /// Agency manager: the per-listing monthly subscription.
    async fn subscribe_agency(&self, context: &Context<'_>, agency_id: ID) -> async_graphql::Result<Checkout> {
        let request = request_context(context)?;
        let message = billing::SubscribeAgencyRequest { agency_id: agency_id.0 };
        Ok(clients(context)?.billing().subscribe_agency(request.call.request(message)).await.or_graphql()?.into())
    }

    /// Agency manager: onboard a Stripe Connect account to receive buyers' deposits.
    async fn start_payout_onboarding(
        &self,
        context: &Context<'_>,
        agency_id: ID,
    ) -> async_graphql::Result<OnboardingLink> {
        let request = request_context(context)?;
        let message = billing::StartPayoutOnboardingRequest { agency_id: agency_id.0 };
        let link =
            clients(context)?.billing().start_payout_onboarding(request.call.request(message)).await.or_graphql()?;
        Ok(OnboardingLink { url: link.url, expires_at: timestamp(link.expires_at_unix) })
    }

    /// Buyer: a deposit on a published car, paid to the agency with the platform's fee taken.
    async fn pay_deposit(&self, context: &Context<'_>, listing_id: ID, amount: i64) -> async_graphql::Result<Checkout> {
        if amount <= 0 {
            return Err(bad_input("amount", "must be positive"));
        }
        let request = request_context(context)?;
        let message = billing::PayDepositRequest {
            listing_id: listing_id.0,
            amount: Some(wire::Money { amount_minor: amount, currency: String::new() }),
        };
        Ok(clients(context)?.billing().pay_deposit(request.call.request(message)).await.or_graphql()?.into())
    }
}
