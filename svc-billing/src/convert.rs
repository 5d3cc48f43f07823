//! Wire ↔ domain: billing's views and rows as the `nds.billing.v1` messages
//! carry them. The adapter (`grpc.rs`) only authenticates, calls and converts.

use nds_common::metrics_series::Series;
use nds_proto::billing::v1::*;
use nds_proto::common::v1::{Metric, Money, PageInfo};

use crate::domain::status::SubscriptionState;
use crate::service::payments::{CheckoutView, OnboardingView};
use crate::service::queries::{self, LedgerPage, StatusView};
use crate::store::entities::deposit;

pub fn money(amount_minor: i64, currency: &str) -> Option<Money> {
    Some(Money { amount_minor, currency: currency.to_string() })
}

pub fn checkout(view: CheckoutView) -> Checkout {
    Checkout {
        client_secret: view.client_secret,
        payment_intent_id: view.payment_intent_id,
        amount: money(view.amount_minor, &view.currency),
        kind: view.kind.to_string(),
        status: view.status,
        reference_id: view.reference_id,
    }
}

pub fn onboarding(view: OnboardingView) -> OnboardingLink {
    OnboardingLink { url: view.url, expires_at_unix: view.expires_at_unix, account_id: view.account_id }
}

pub fn subscription_status(state: SubscriptionState) -> SubscriptionStatus {
    match state {
        SubscriptionState::None => SubscriptionStatus::None,
        SubscriptionState::Active => SubscriptionStatus::Active,
        SubscriptionState::PastDue => SubscriptionStatus::PastDue,
        SubscriptionState::Cancelled => SubscriptionStatus::Cancelled,
    }
}

pub fn deposit(row: deposit::Model) -> Deposit {
    Deposit {
        amount: money(row.amount_minor, &row.currency),
        fee: money(row.fee_minor, &row.currency),
        id: row.id,
        listing_id: row.listing_id,
        agency_id: row.agency_id,
        status: row.status,
        payment_intent_id: row.payment_intent_id.unwrap_or_default(),
    }
}

pub fn billing_status(view: StatusView) -> BillingStatus {
    BillingStatus {
        agency_id: view.agency_id,
        subscription: subscription_status(view.subscription) as i32,
        payouts_enabled: view.payouts_enabled,
        active_promotions: view.active_promotions,
        payouts_onboarded: view.payouts_onboarded,
        period: view.period,
        listings_billed_this_period: view.listings_billed_this_period,
    }
}

pub fn ledger_page(page: LedgerPage) -> ListLedgerResponse {
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
}

/// Metrics as the service names them: (name, value, label), and per bucket.
pub fn metrics((metrics, series): (Vec<queries::Metric>, Option<Series<queries::Metric>>)) -> GetMetricsResponse {
    let to_wire = |(name, value, label): queries::Metric| Metric { name, value, label };
    GetMetricsResponse {
        metrics: metrics.into_iter().map(to_wire).collect(),
        buckets: nds_common::convert::metrics_series_to_wire(series.map(|series| series.map(to_wire))),
    }
}

/// Billing knows neither people's e-mails nor listings' titles: the edge adds them.
pub fn audit_page(page: nds_common::audit::Page) -> ListAuditLogResponse {
    ListAuditLogResponse {
        entries: page.rows.iter().map(|row| nds_common::audit::to_wire(row, String::new(), String::new())).collect(),
        page_info: Some(PageInfo {
            has_next_page: page.has_next_page,
            end_cursor: page.end_cursor,
            total_count: page.total_count,
        }),
    }
}
