//! Stripe events: stored once on receipt, processed afterwards from the stored
//! row. Every effect is a state transition guarded in the database (pending →
//! active, newer-than-stored, unique ledger keys), so a redelivery, a second
//! event about the same object or a crash-and-replay has one effect.

use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use nds_common::audit::{self, AuditEvent};
use sea_orm::TransactionTrait;
use tracing::Instrument;
use uuid::Uuid;

use super::Billing;
use super::payments::{RecordedRefund, record_refund};
use crate::domain::audit::{PROMOTION_PURCHASED, STRIPE_ACTOR};
use crate::domain::event::{EventKind, StripeEvent};
use crate::domain::promotion::{PROMOTION_RANK, PromotionStatus, promotion_window};
use crate::domain::signature::{SignatureError, verify_webhook_source};
use crate::domain::status::SubscriptionState;
use crate::error::BillingError;
use crate::store::accounts::deposits;
use crate::store::entities::webhook_event;
use crate::store::{self, events, ledger, now_unix, promotions};

/// Why a delivery was refused, mapped to HTTP by the route.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("no webhook secret configured")]
    NotConfigured,
    #[error("signature: {0}")]
    Signature(SignatureError),
    #[error("malformed event: {0}")]
    Malformed(String),
    #[error("storage: {0}")]
    Storage(#[from] sea_orm::DbErr),
}

#[derive(Debug, PartialEq, Eq)]
pub enum Ingested {
    Stored,
    Duplicate,
}

/// Verify, parse, store once. Nothing is processed here: the answer must be fast.
pub async fn ingest(
    database: &sea_orm::DatabaseConnection,
    secrets: &[&str],
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<Ingested, IngestError> {
    verify_webhook_source(secrets, signature, body, now).map_err(|error| match error {
        SignatureError::NotConfigured => IngestError::NotConfigured,
        other => IngestError::Signature(other),
    })?;
    let event = StripeEvent::parse(body).map_err(|error| IngestError::Malformed(error.to_string()))?;
    let payload = String::from_utf8_lossy(body);
    if events::insert_once(database, &event, &payload).await? { Ok(Ingested::Stored) } else { Ok(Ingested::Duplicate) }
}

/// The span of processing one stored event (`Span::none()` when tracing is off).
fn event_span(row: &webhook_event::Model) -> tracing::Span {
    if !nds_common::trace::enabled() {
        return tracing::Span::none();
    }
    tracing::info_span!("billing.process_event", stripe.event_type = %row.event_type, attempt = row.attempts)
}

/// What processing one event did, for the log and the event row.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied(String),
    Ignored(String),
}

impl Billing {
    /// Processes every due event; returns how many were finished. With tracing on,
    /// the pass (catalog's promotion sync included) joins the trace of the oldest due
    /// delivery and links the others'.
    pub async fn process_pending_events(&self) -> Result<usize, BillingError> {
        let span = self.pass_span().await?;
        self.process_due_events().instrument(span).await
    }

    async fn pass_span(&self) -> Result<tracing::Span, BillingError> {
        if !nds_common::trace::enabled() {
            return Ok(tracing::Span::none());
        }
        let due = events::due(&self.database, 32).await?;
        if due.is_empty() {
            // Nothing to do: no trace every few seconds from an idle worker.
            return Ok(tracing::Span::none());
        }
        let span = tracing::info_span!("billing.process_events", events = due.len(), trace_id = tracing::field::Empty);
        let traceparents = due.iter().filter_map(|row| row.traceparent.as_deref());
        nds_common::trace::propagation::continue_stored_traces(&span, traceparents);
        Ok(span)
    }

    async fn process_due_events(&self) -> Result<usize, BillingError> {
        let given_up = events::fail_exhausted(&self.database).await?;
        if given_up > 0 {
            tracing::error!(
                events = given_up,
                "stripe events failed for good: their worker died or hung at every attempt"
            );
        }
        let mut finished = 0;
        loop {
            let batch = events::due(&self.database, 100).await?;
            if batch.is_empty() {
                break;
            }
            let mut claimed_any = false;
            for row in batch {
                if !events::claim(&self.database, &row).await? {
                    continue;
                }
                claimed_any = true;
                let span = event_span(&row);
                match self.process_event_guarded(&row).instrument(span).await {
                    Ok(Outcome::Applied(what)) => {
                        events::finish(&self.database, &row.id, events::PROCESSED, &what).await?;
                        finished += 1;
                    }
                    Ok(Outcome::Ignored(why)) => {
                        events::finish(&self.database, &row.id, events::IGNORED, &why).await?;
                        finished += 1;
                    }
                    Err(error) => {
                        tracing::warn!(event_id = %row.id, event_type = %row.event_type, error = %error, "stripe event processing failed; will retry");
                        events::retry_later(&self.database, &row, &error.to_string()).await?;
                    }
                }
            }
            if !claimed_any {
                break;
            }
        }
        self.sync_promotions_to_catalog().await?;
        Ok(finished)
    }

    /// [`process_event`](Self::process_event) where a panic or a hang is a failed
    /// attempt like any error (retried with backoff, `failed` after the last one)
    /// instead of a dead worker.
    async fn process_event_guarded(&self, row: &webhook_event::Model) -> Result<Outcome, BillingError> {
        let deadline = std::time::Duration::from_secs(events::PROCESSING_DEADLINE_SECONDS);
        match tokio::time::timeout(deadline, AssertUnwindSafe(self.process_event(row)).catch_unwind()).await {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(ToString::to_string)
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(BillingError::Internal(format!("processing panicked: {message}")))
            }
            Err(_) => Err(BillingError::Internal(format!("processing took longer than {deadline:?}"))),
        }
    }

    pub async fn process_event(&self, row: &webhook_event::Model) -> Result<Outcome, BillingError> {
        let event =
            StripeEvent::parse(row.payload.as_bytes()).map_err(|error| BillingError::Internal(error.to_string()))?;
        match event.kind() {
            EventKind::PaymentSucceeded => self.payment_succeeded(&event).await,
            EventKind::PaymentFailed | EventKind::PaymentCanceled => self.payment_failed(&event).await,
            EventKind::SubscriptionChanged => {
                let state = event.object_str("status").and_then(SubscriptionState::from_stripe);
                self.subscription_state(&event, event.object_str("id"), state).await
            }
            EventKind::SubscriptionDeleted => {
                self.subscription_state(&event, event.object_str("id"), Some(SubscriptionState::Cancelled)).await
            }
            EventKind::InvoicePaid => self.invoice_paid(&event).await,
            EventKind::InvoicePaymentFailed => {
                self.subscription_state(&event, event.invoice_subscription(), Some(SubscriptionState::PastDue)).await
            }
            EventKind::AccountUpdated => self.account_updated(&event).await,
            EventKind::ChargeRefunded | EventKind::RefundChanged => self.refunds_reported(&event).await,
            EventKind::Other => Ok(Outcome::Ignored(format!("event type {} is not used", event.event_type))),
        }
    }

    async fn payment_succeeded(&self, event: &StripeEvent) -> Result<Outcome, BillingError> {
        let payment_intent_id = event.object_id();
        if let Some(promotion) = self.promotion_for(event).await? {
            if !PromotionStatus::parse(&promotion.status).is_some_and(PromotionStatus::accepts_success) {
                return Ok(Outcome::Ignored(format!("promotion already {}", promotion.status)));
            }
            let transaction = self.database.begin().await?;
            // Serialized per listing: a concurrent payment for the same listing (another
            // replica's worker) waits here, then sees this window and extends it.
            promotions::lock_listing(&transaction, &promotion.listing_id).await?;
            let current_end = promotions::current_end(&transaction, &promotion.listing_id).await?;
            let (starts, ends) = promotion_window(now_unix(), current_end);
            if !promotions::activate(&transaction, &promotion.id, starts, ends, event.created).await? {
                transaction.rollback().await?;
                return Ok(Outcome::Ignored("promotion no longer awaiting payment".into()));
            }
            promotions::attach_payment_intent(&transaction, &promotion.id, &payment_intent_id).await?;
            ledger::record(
                &transaction,
                ledger::NewEntry {
                    agency_id: &promotion.agency_id,
                    group_id: &promotion.group_id,
                    kind: ledger::PROMOTION,
                    amount_minor: promotion.amount_minor,
                    currency: &promotion.currency,
                    stripe_object_id: &payment_intent_id,
                },
            )
            .await?;
            let actor = if promotion.requested_by.is_empty() { STRIPE_ACTOR } else { &promotion.requested_by };
            audit::record(
                &transaction,
                AuditEvent {
                    actor,
                    action: PROMOTION_PURCHASED,
                    target_type: "listing",
                    target_id: promotion.listing_id.clone(),
                    detail: serde_json::json!({
                        "promotion_id": promotion.id,
                        "amount_minor": promotion.amount_minor,
                        "currency": promotion.currency,
                        "starts_at_unix": starts,
                        "ends_at_unix": ends,
                    }),
                },
            )
            .await?;
            transaction.commit().await?;
            return Ok(Outcome::Applied(format!("promotion {} active until {ends}", promotion.id)));
        }
        if let Some(deposit) = self.deposit_for(event).await? {
            let transaction = self.database.begin().await?;
            if !deposits::transition(&transaction, &deposit.id, deposits::PENDING, deposits::SUCCEEDED, event.created)
                .await?
            {
                transaction.rollback().await?;
                return Ok(Outcome::Ignored(format!("deposit already {}", deposit.status)));
            }
            deposits::attach_payment_intent(&transaction, &deposit.id, &payment_intent_id).await?;
            for (kind, amount) in [(ledger::DEPOSIT, deposit.amount_minor), (ledger::FEE, deposit.fee_minor)] {
                ledger::record(
                    &transaction,
                    ledger::NewEntry {
                        agency_id: &deposit.agency_id,
                        group_id: &deposit.group_id,
                        kind,
                        amount_minor: amount,
                        currency: &deposit.currency,
                        stripe_object_id: &payment_intent_id,
                    },
                )
                .await?;
            }
            transaction.commit().await?;
            return Ok(Outcome::Applied(format!("deposit {} paid", deposit.id)));
        }
        Ok(Outcome::Ignored("payment intent unknown to billing".into()))
    }

    async fn payment_failed(&self, event: &StripeEvent) -> Result<Outcome, BillingError> {
        if let Some(promotion) = self.promotion_for(event).await? {
            if promotions::fail(&self.database, &promotion.id, event.created).await? {
                promotions::attach_payment_intent(&self.database, &promotion.id, &event.object_id()).await?;
                return Ok(Outcome::Applied(format!("promotion {} failed", promotion.id)));
            }
            return Ok(Outcome::Ignored(format!("promotion already {}", promotion.status)));
        }
        if let Some(deposit) = self.deposit_for(event).await? {
            if deposits::transition(&self.database, &deposit.id, deposits::PENDING, deposits::FAILED, event.created)
                .await?
            {
                return Ok(Outcome::Applied(format!("deposit {} failed", deposit.id)));
            }
            return Ok(Outcome::Ignored(format!("deposit already {}", deposit.status)));
        }
        Ok(Outcome::Ignored("payment intent unknown to billing".into()))
    }

    /// By payment intent id, or by our id in the metadata when the event arrived
    /// before our own write of the payment intent id.
    async fn promotion_for(
        &self,
        event: &StripeEvent,
    ) -> Result<Option<store::entities::promotion::Model>, BillingError> {
        if let Some(promotion) = promotions::by_payment_intent(&self.database, &event.object_id()).await? {
            return Ok(Some(promotion));
        }
        let Some(promotion_id) = event.metadata("promotion_id").and_then(|raw| Uuid::parse_str(raw).ok()) else {
            return Ok(None);
        };
        let promotion = promotions::by_id(&self.database, &promotion_id.to_string()).await?;
        // The metadata must agree with our row, or the event is not about it.
        Ok(promotion.filter(|promotion| {
            event.metadata("listing_id") == Some(promotion.listing_id.as_str())
                && promotion.payment_intent_id.as_deref().is_none_or(|id| id == event.object_id())
        }))
    }

    async fn deposit_for(&self, event: &StripeEvent) -> Result<Option<deposits::Model>, BillingError> {
        if let Some(deposit) = deposits::by_payment_intent(&self.database, &event.object_id()).await? {
            return Ok(Some(deposit));
        }
        let Some(deposit_id) = event.metadata("deposit_id").and_then(|raw| Uuid::parse_str(raw).ok()) else {
            return Ok(None);
        };
        let deposit = deposits::by_id(&self.database, &deposit_id.to_string()).await?;
        Ok(deposit.filter(|deposit| {
            event.metadata("listing_id") == Some(deposit.listing_id.as_str())
                && deposit.payment_intent_id.as_deref().is_none_or(|id| id == event.object_id())
        }))
    }

    /// Applies `state` when the event is about the agency's current subscription.
    /// Events of any other subscription are ignored, except while a new subscription
    /// is being created: the event may be about it, so it is retried once recorded.
    async fn subscription_state(
        &self,
        event: &StripeEvent,
        subscription_id: Option<&str>,
        state: Option<SubscriptionState>,
    ) -> Result<Outcome, BillingError> {
        let Some(state) = state else {
            return Ok(Outcome::Ignored("status not shown to agencies".into()));
        };
        let Some(account) = self.account_for_customer(event.object_str("customer")).await? else {
            return Ok(Outcome::Ignored("customer unknown to billing".into()));
        };
        let Some(subscription_id) = subscription_id.filter(|id| !id.is_empty()) else {
            return Ok(Outcome::Ignored("not about a subscription".into()));
        };
        if account.subscription_id.as_deref() != Some(subscription_id) {
            if account.subscription_claim.is_some() {
                return Err(BillingError::Unavailable(format!(
                    "subscription {subscription_id} may be the one being created for agency {}; retrying",
                    account.agency_id
                )));
            }
            return Ok(Outcome::Ignored(format!("subscription {subscription_id} is not the agency's current one")));
        }
        if store::accounts::apply_subscription_state(
            &self.database,
            &account.agency_id,
            subscription_id,
            state,
            event.created,
        )
        .await?
        {
            Ok(Outcome::Applied(format!("agency {} subscription {}", account.agency_id, state.as_str())))
        } else {
            Ok(Outcome::Ignored("older than the stored status, or this subscription is cancelled".into()))
        }
    }

    /// Money received is recorded whatever subscription it paid; the status follows
    /// only invoices of the current subscription.
    async fn invoice_paid(&self, event: &StripeEvent) -> Result<Outcome, BillingError> {
        let Some(account) = self.account_for_customer(event.object_str("customer")).await? else {
            return Ok(Outcome::Ignored("customer unknown to billing".into()));
        };
        let amount = event.object.get("amount_paid").and_then(serde_json::Value::as_i64).unwrap_or(0);
        let currency = event.object_str("currency").unwrap_or("mxn").to_ascii_uppercase();
        if amount > 0 {
            ledger::record(
                &self.database,
                ledger::NewEntry {
                    agency_id: &account.agency_id,
                    group_id: &account.group_id,
                    kind: ledger::SUBSCRIPTION,
                    amount_minor: amount,
                    currency: &currency,
                    stripe_object_id: &event.object_id(),
                },
            )
            .await?;
        }
        match self.subscription_state(event, event.invoice_subscription(), Some(SubscriptionState::Active)).await? {
            Outcome::Applied(what) => {
                Ok(Outcome::Applied(format!("invoice paid by agency {}; {what}", account.agency_id)))
            }
            Outcome::Ignored(why) => {
                Ok(Outcome::Applied(format!("invoice paid by agency {}; status unchanged: {why}", account.agency_id)))
            }
        }
    }

    async fn account_for_customer(
        &self,
        customer: Option<&str>,
    ) -> Result<Option<store::entities::agency_account::Model>, BillingError> {
        match customer {
            Some(customer) if !customer.is_empty() => Ok(store::accounts::by_customer(&self.database, customer).await?),
            _ => Ok(None),
        }
    }

    async fn account_updated(&self, event: &StripeEvent) -> Result<Outcome, BillingError> {
        let enabled = event.object.get("charges_enabled").and_then(serde_json::Value::as_bool).unwrap_or(false);
        if store::accounts::apply_charges_enabled(&self.database, &event.object_id(), enabled, event.created).await? {
            Ok(Outcome::Applied(format!("account {} charges_enabled={enabled}", event.object_id())))
        } else {
            Ok(Outcome::Ignored("account unknown, or event older than the stored state".into()))
        }
    }

    /// Records each refund the event reports that is not recorded yet (once per
    /// refund id, whatever the event or its order).
    async fn refunds_reported(&self, event: &StripeEvent) -> Result<Outcome, BillingError> {
        let Some(payment_intent_id) = event.object_str("payment_intent") else {
            return Ok(Outcome::Ignored("refund without payment intent".into()));
        };
        let Some(deposit) = deposits::by_payment_intent(&self.database, payment_intent_id).await? else {
            return Ok(Outcome::Ignored("charge unknown to billing".into()));
        };
        let refunds = event.refunds();
        if refunds.is_empty() {
            return Ok(Outcome::Ignored("the event lists no refund (refund events carry them)".into()));
        }
        let mut recorded = Vec::new();
        for (refund_id, amount) in refunds {
            let transaction = self.database.begin().await?;
            let refund = RecordedRefund {
                deposit_id: &deposit.id,
                refund_id: &refund_id,
                amount_minor: amount,
                event_created: event.created,
                actor: STRIPE_ACTOR,
            };
            if record_refund(&transaction, &refund).await? {
                recorded.push(refund_id);
            }
            transaction.commit().await?;
        }
        if recorded.is_empty() {
            Ok(Outcome::Ignored(format!("deposit {}: its refunds were already recorded", deposit.id)))
        } else {
            Ok(Outcome::Applied(format!("deposit {}: refunds {} recorded", deposit.id, recorded.join(", "))))
        }
    }

    /// The outbox of promotion changes: tells catalog each listing's promotion end
    /// (the latest active one, or none). Idempotent; failures retry next pass.
    pub async fn sync_promotions_to_catalog(&self) -> Result<usize, BillingError> {
        let mut synced = 0;
        for promotion in promotions::unsynced(&self.database).await? {
            let Ok(listing_id) = Uuid::parse_str(&promotion.listing_id) else {
                continue;
            };
            let until = promotions::current_end(&self.database, &promotion.listing_id).await?;
            let rank = if until.is_some() { PROMOTION_RANK } else { 0 };
            match self.catalog.set_promotion(listing_id, until, rank).await {
                Ok(()) => {
                    promotions::mark_synced(&self.database, &promotion.id, promotion.updated_at_unix).await?;
                    synced += 1;
                }
                Err(error) => {
                    tracing::warn!(promotion_id = %promotion.id, error = %error, "catalog did not take the promotion; will retry");
                }
            }
        }
        Ok(synced)
    }
}
