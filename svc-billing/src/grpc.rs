//! The tonic adapter: authenticate, take the message, call the service, convert.

use nds_common::auth::principal::require_principal;
use nds_common::error::to_status;
use nds_common::grpc::CallContext;
use nds_common::runtime::Runtime;
use nds_proto::billing::v1::billing_service_server::BillingService;
use nds_proto::billing::v1::*;
use nds_proto::common::v1::{Metric, Money, PageInfo};
use tonic::{Request, Response, Status};

use crate::domain::status::SubscriptionState;
use crate::error::BillingError;
use crate::service::Billing;
use crate::service::payments::{CheckoutView, OnboardingView};

pub struct BillingGrpc {
    billing: Billing,
    runtime: Runtime,
}

impl BillingGrpc {
    pub fn new(billing: Billing, runtime: Runtime) -> Self {
        Self { billing, runtime }
    }

    async fn principal<T>(&self, request: &Request<T>) -> Result<nds_common::auth::Principal, Status> {
        let principal = self.runtime.authenticator.authenticate(request.metadata()).await.map_err(to_status)?;
        require_principal(principal.as_ref()).map_err(to_status).cloned()
    }

    fn context<T>(&self, request: &Request<T>) -> CallContext {
        CallContext::from_metadata(request.metadata(), self.runtime.config.default_deadline)
    }
}

fn money(amount_minor: i64, currency: &str) -> Option<Money> {
    Some(Money { amount_minor, currency: currency.to_string() })
}

fn checkout(view: CheckoutView) -> Checkout {
    Checkout {
        client_secret: view.client_secret,
        payment_intent_id: view.payment_intent_id,
        amount: money(view.amount_minor, &view.currency),
        kind: view.kind.to_string(),
        status: view.status,
        reference_id: view.reference_id,
    }
}

fn onboarding(view: OnboardingView) -> OnboardingLink {
    OnboardingLink { url: view.url, expires_at_unix: view.expires_at_unix, account_id: view.account_id }
}

fn subscription_status(state: SubscriptionState) -> SubscriptionStatus {
    match state {
        SubscriptionState::None => SubscriptionStatus::None,
        SubscriptionState::Active => SubscriptionStatus::Active,
        SubscriptionState::PastDue => SubscriptionStatus::PastDue,
        SubscriptionState::Cancelled => SubscriptionStatus::Cancelled,
    }
}

fn reply<T, U>(result: Result<T, BillingError>, convert: impl FnOnce(T) -> U) -> Result<Response<U>, Status> {
    result.map(|value| Response::new(convert(value))).map_err(to_status)
}

#[tonic::async_trait]
impl BillingService for BillingGrpc {
    async fn promote_listing(&self, request: Request<PromoteListingRequest>) -> Result<Response<Checkout>, Status> {
        let principal = self.principal(&request).await?;
        let context = self.context(&request);
        let message = request.into_inner();
        reply(self.billing.promote_listing(&principal, &context, &message.listing_id).await, checkout)
    }

    async fn subscribe_agency(&self, request: Request<SubscribeAgencyRequest>) -> Result<Response<Checkout>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        reply(self.billing.subscribe_agency(&principal, &message.agency_id).await, checkout)
    }

    async fn start_payout_onboarding(
        &self,
        request: Request<StartPayoutOnboardingRequest>,
    ) -> Result<Response<OnboardingLink>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        reply(self.billing.start_payout_onboarding(&principal, &message.agency_id).await, onboarding)
    }

    async fn pay_deposit(&self, request: Request<PayDepositRequest>) -> Result<Response<Checkout>, Status> {
        let principal = self.principal(&request).await?;
        let context = self.context(&request);
        let message = request.into_inner();
        let Some(amount) = message.amount else {
            return Err(to_status(BillingError::invalid("amount", "amount is required")));
        };
        reply(
            self.billing
                .pay_deposit(&principal, &context, &message.listing_id, amount.amount_minor, &amount.currency)
                .await,
            checkout,
        )
    }

    async fn refund_deposit(&self, request: Request<RefundDepositRequest>) -> Result<Response<Deposit>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        reply(self.billing.refund_deposit(&principal, &message.deposit_id).await, |row| Deposit {
            amount: money(row.amount_minor, &row.currency),
            fee: money(row.fee_minor, &row.currency),
            id: row.id,
            listing_id: row.listing_id,
            agency_id: row.agency_id,
            status: row.status,
            payment_intent_id: row.payment_intent_id.unwrap_or_default(),
        })
    }

    async fn get_billing_status(
        &self,
        request: Request<GetBillingStatusRequest>,
    ) -> Result<Response<BillingStatus>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        reply(self.billing.billing_status(&principal, &message.agency_id).await, |view| BillingStatus {
            agency_id: view.agency_id,
            subscription: subscription_status(view.subscription) as i32,
            payouts_enabled: view.payouts_enabled,
            active_promotions: view.active_promotions,
            payouts_onboarded: view.payouts_onboarded,
            period: view.period,
            listings_billed_this_period: view.listings_billed_this_period,
        })
    }

    async fn list_ledger(&self, request: Request<ListLedgerRequest>) -> Result<Response<ListLedgerResponse>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        let page = message.page.unwrap_or_default();
        reply(self.billing.list_ledger(&principal, &message.agency_id, page.first, &page.after).await, |page| {
            ListLedgerResponse {
                entries: page
                    .entries
                    .into_iter()
                    .map(|entry| LedgerEntry {
                        amount: money(entry.amount_minor, &entry.currency),
                        id: entry.id,
                        agency_id: entry.agency_id,
                        kind: entry.kind,
                        stripe_object_id: entry.stripe_object_id,
                        created_at_unix: entry.created_at_unix,
                    })
                    .collect(),
                page_info: Some(PageInfo {
                    has_next_page: page.has_next_page,
                    end_cursor: page.end_cursor,
                    total_count: page.total_count,
                }),
            }
        })
    }

    async fn get_metrics(&self, request: Request<GetMetricsRequest>) -> Result<Response<GetMetricsResponse>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        let scope = nds_common::convert::metrics_scope_from_wire(message.scope)?;
        let range = message.range.unwrap_or_default();
        reply(self.billing.metrics(&principal, scope, range.from_unix, range.to_unix).await, |metrics| {
            GetMetricsResponse {
                metrics: metrics.into_iter().map(|(name, value, label)| Metric { name, value, label }).collect(),
            }
        })
    }
}
