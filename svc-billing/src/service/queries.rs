//! Reads: an agency's billing status, the ledger, metrics per scope, the audit log.

use std::collections::BTreeMap;

use nds_common::ApiError;
use nds_common::audit::{self, PageQuery};
use nds_common::auth::{AgencyAction, Principal};
use nds_common::metrics_series::{Buckets, Interval, Series};

use super::{Billing, parse_id};
use crate::domain::audit::AUDIT_ACTIONS;
use crate::domain::period::month_of;
use crate::domain::promotion::PromotionStatus;
use crate::domain::status::SubscriptionState;
use crate::error::BillingError;
use crate::store::entities::ledger_entry;
use crate::store::ledger::{self, LedgerScope};
use crate::store::{self, now_unix};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusView {
    pub agency_id: String,
    pub subscription: SubscriptionState,
    pub payouts_enabled: bool,
    pub payouts_onboarded: bool,
    pub active_promotions: u32,
    /// The current usage period (`YYYY-MM`) and the listings the subscription bills in it.
    pub period: String,
    pub listings_billed_this_period: u32,
}

pub struct LedgerPage {
    pub entries: Vec<ledger_entry::Model>,
    pub has_next_page: bool,
    pub end_cursor: String,
    pub total_count: u64,
}

pub use nds_common::auth::MetricsScope;

pub const MAX_PAGE: u32 = 100;
pub const DEFAULT_PAGE: u32 = 20;

impl Billing {
    pub async fn billing_status(&self, principal: &Principal, agency_id: &str) -> Result<StatusView, BillingError> {
        let agency_id = parse_id(agency_id, "agencyId")?;
        // Scoped as metrics are: it says what the agency pays.
        self.require_on_agency(principal, agency_id, AgencyAction::ReadMetrics).await?;
        let agency_key = agency_id.to_string();
        let account = store::accounts::get(&self.database, &agency_key).await?;
        let active_promotions = store::promotions::count_active_of_agency(&self.database, &agency_key).await?;
        let period = month_of(now_unix());
        // Metered listings are billed only under a live subscription, from the period it pays from.
        let billed_now = account.as_ref().is_some_and(|account| {
            store::accounts::is_billable(account)
                && account.billed_from_period.as_deref().is_none_or(|from| from <= period.as_str())
        });
        let listings_billed_this_period =
            if billed_now { store::usage::listings_metered_in(&self.database, &agency_key, &period).await? } else { 0 };
        Ok(StatusView {
            agency_id: agency_key,
            subscription: account
                .as_ref()
                .map(|account| SubscriptionState::parse(&account.subscription_status))
                .unwrap_or(SubscriptionState::None),
            payouts_enabled: account.as_ref().is_some_and(|account| account.charges_enabled),
            payouts_onboarded: account.as_ref().is_some_and(|account| account.connect_account_id.is_some()),
            active_promotions: u32::try_from(active_promotions).unwrap_or(u32::MAX),
            period,
            listings_billed_this_period: u32::try_from(listings_billed_this_period).unwrap_or(u32::MAX),
        })
    }

    /// Platform admins: billing's audit log, newest first; `after` is the last
    /// id of the previous page.
    pub async fn list_audit_log(
        &self,
        principal: &Principal,
        action: &str,
        first: u32,
        after: &str,
    ) -> Result<audit::Page, BillingError> {
        principal.require_platform_admin()?;
        let query = PageQuery::parse(&AUDIT_ACTIONS, action, first, after)?;
        Ok(audit::page(&self.database, &query).await?)
    }

    pub async fn list_ledger(
        &self,
        principal: &Principal,
        agency_id: &str,
        first: u32,
        after: &str,
    ) -> Result<LedgerPage, BillingError> {
        let scope = if agency_id.trim().is_empty() {
            principal.require_platform_admin()?;
            LedgerScope::Platform
        } else {
            let agency_id = parse_id(agency_id, "agencyId")?;
            self.require_on_agency(principal, agency_id, AgencyAction::ManageBilling).await?;
            LedgerScope::Agency(agency_id.to_string())
        };
        let first = match first {
            0 => DEFAULT_PAGE,
            first if first > MAX_PAGE => {
                return Err(BillingError::invalid("page.first", format!("at most {MAX_PAGE}")));
            }
            first => first,
        };
        let after = match after.trim() {
            "" => None,
            cursor => Some(parse_id(cursor, "after")?.to_string()),
        };
        let mut entries = ledger::page(&self.database, &scope, after.as_deref(), u64::from(first) + 1).await?;
        let has_next_page = entries.len() > first as usize;
        entries.truncate(first as usize);
        let end_cursor = entries.last().map(|entry| entry.id.clone()).unwrap_or_default();
        let total_count = ledger::count(&self.database, &scope).await?;
        Ok(LedgerPage { entries, has_next_page, end_cursor, total_count })
    }

    /// Revenue by kind (minor units) in `[from, to)`, promotions bought in the
    /// window and active now, and subscription statuses, for one scope; with an
    /// interval, revenue and promotions bought per bucket too.
    pub async fn metrics(
        &self,
        principal: &Principal,
        scope: MetricsScope,
        from: i64,
        to: i64,
        interval: Option<Interval>,
    ) -> Result<(Vec<Metric>, Option<Series<Metric>>), BillingError> {
        let scope = match scope {
            MetricsScope::Platform => {
                principal.require_platform_admin()?;
                LedgerScope::Platform
            }
            MetricsScope::Group(group_id) => {
                if !principal.can_read_group(group_id) {
                    return Err(BillingError::Forbidden("not allowed for this group".into()));
                }
                LedgerScope::Group(group_id.to_string())
            }
            MetricsScope::Agency(agency_id) => {
                self.require_on_agency(principal, agency_id, AgencyAction::ReadMetrics).await?;
                LedgerScope::Agency(agency_id.to_string())
            }
        };
        let to = if to <= 0 { now_unix() + 1 } else { to };
        if from > to {
            return Err(BillingError::invalid("range", "from must not be after to"));
        }
        let buckets = Buckets::series(from, to, interval).map_err(ApiError::from)?;
        let entries = ledger::in_range(&self.database, &scope, from, to).await?;
        let promotions = store::promotions::in_scope(&self.database, &scope).await?;
        let bought: Vec<i64> = promotions
            .iter()
            .filter(|row| matches!(row.status.as_str(), "active" | "expired"))
            .filter_map(|row| row.starts_at_unix.filter(|start| *start >= from && *start < to))
            .collect();
        let mut metrics = counted_in_range(entries.iter(), bought.len());
        let series = buckets.map(|buckets| {
            let entries_in = buckets.group(&entries, |entry| entry.created_at_unix);
            let bought_in = buckets.group(&bought, |start| **start);
            let values = entries_in
                .into_iter()
                .zip(bought_in)
                .map(|(entries, bought)| counted_in_range(entries.into_iter(), bought.len()))
                .collect();
            Series { buckets, values }
        });
        let now = now_unix();
        let active = promotions
            .iter()
            .filter(|row| {
                row.status == PromotionStatus::Active.as_str() && row.ends_at_unix.is_some_and(|end| end > now)
            })
            .count();
        metrics.push(("promotions_active".into(), active as f64, String::new()));
        let accounts = store::accounts::in_scope(&self.database, &scope).await?;
        let mut statuses: BTreeMap<String, i64> = BTreeMap::new();
        for account in accounts {
            *statuses.entry(account.subscription_status).or_default() += 1;
        }
        for (status, count) in statuses {
            metrics.push(("agencies_by_billing_status".into(), count as f64, status));
        }
        // Events billing gave up on wait for an operator: platform-wide only.
        if matches!(scope, LedgerScope::Platform) {
            let failed = store::events::count_failed(&self.database).await?;
            metrics.push(("stripe_events_failed".into(), failed as f64, String::new()));
        }
        Ok((metrics, series))
    }
}

/// A metric as billing names it: (name, value, label).
pub type Metric = (String, f64, String);

/// What billing counts within a range: revenue by kind (the ledger entries made
/// in it) and promotions bought (those that started in it).
fn counted_in_range<'a>(entries: impl Iterator<Item = &'a ledger_entry::Model>, bought: usize) -> Vec<Metric> {
    let mut revenue: BTreeMap<&str, i64> = BTreeMap::new();
    for entry in entries {
        *revenue.entry(entry.kind.as_str()).or_default() += entry.amount_minor;
    }
    let mut metrics: Vec<Metric> = revenue
        .into_iter()
        .map(|(kind, amount)| ("billing_revenue_minor".to_string(), amount as f64, kind.to_string()))
        .collect();
    metrics.push(("promotions_bought".into(), bought as f64, String::new()));
    metrics
}
