//! The tonic adapter: authenticate, take the message, call the service, convert.

use nds_common::auth::principal::require_principal;
use nds_common::error::to_status;
use nds_common::grpc::CallContext;
use nds_common::runtime::Runtime;
use nds_proto::billing::v1::billing_service_server::BillingService;
use nds_proto::billing::v1::*;
use tonic::{Request, Response, Status};

use crate::convert::{audit_page, billing_status, checkout, deposit, ledger_page, metrics, onboarding};
use crate::error::BillingError;
use crate::service::Billing;

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
        reply(self.billing.refund_deposit(&principal, &message.deposit_id).await, deposit)
    }

    async fn get_billing_status(
        &self,
        request: Request<GetBillingStatusRequest>,
    ) -> Result<Response<BillingStatus>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        reply(self.billing.billing_status(&principal, &message.agency_id).await, billing_status)
    }

    async fn list_ledger(&self, request: Request<ListLedgerRequest>) -> Result<Response<ListLedgerResponse>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        let page = message.page.unwrap_or_default();
        reply(self.billing.list_ledger(&principal, &message.agency_id, page.first, &page.after).await, ledger_page)
    }

    async fn list_audit_log(
        &self,
        request: Request<ListAuditLogRequest>,
    ) -> Result<Response<ListAuditLogResponse>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        let page = message.page.unwrap_or_default();
        reply(self.billing.list_audit_log(&principal, &message.action, page.first, &page.after).await, audit_page)
    }

    async fn get_metrics(&self, request: Request<GetMetricsRequest>) -> Result<Response<GetMetricsResponse>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        let scope = nds_common::convert::metrics_scope_from_wire(message.scope)?;
        let range = message.range.unwrap_or_default();
        let interval = nds_common::convert::metrics_interval_from_wire(message.interval)?;
        reply(self.billing.metrics(&principal, scope, range.from_unix, range.to_unix, interval).await, metrics)
    }
}
