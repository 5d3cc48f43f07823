//! Metrics per scope: platform (platform admins), a group (its admins), an
//! agency (its staff and overseers). Counts of people and agencies are current
//! totals; applications and new users count inside the time range and, for a
//! series, inside each bucket of it.

use nds_common::auth::{AgencyAction, Principal, Role};

use super::{IdentityService, require_caller};
use crate::error::{IdentityError, IdentityResult};
use crate::store::applications::{STATUS_APPROVED, STATUS_PENDING, STATUS_REJECTED};
use crate::store::metrics::{self as metric_store, Scope};
use nds_common::ApiError;
use nds_common::clock::now_unix;
use nds_common::metrics_series::{Buckets, Interval, Series};
use uuid::Uuid;

pub use nds_common::auth::MetricsScope;

#[derive(Clone, Debug, PartialEq)]
pub struct MetricValue {
    pub name: &'static str,
    pub value: f64,
    pub label: String,
}

fn metric(name: &'static str, value: u64, label: &str) -> MetricValue {
    MetricValue { name, value: value as f64, label: label.to_string() }
}

/// An empty range means "all time until now"; a reversed one is bad input.
pub fn normalise_range(from: i64, to: i64) -> IdentityResult<(i64, i64)> {
    let to = if to == 0 { now_unix() + 1 } else { to };
    if from < 0 || from > to {
        return Err(IdentityError::invalid("range", "the range must have from <= to"));
    }
    Ok((from, to))
}

impl IdentityService {
    pub async fn get_metrics(
        &self,
        principal: Option<Principal>,
        scope: MetricsScope,
        from: i64,
        to: i64,
        interval: Option<Interval>,
    ) -> IdentityResult<(Vec<MetricValue>, Option<Series<MetricValue>>)> {
        let principal = require_caller(principal)?;
        let (from, to) = normalise_range(from, to)?;
        let buckets = Buckets::series(from, to, interval).map_err(ApiError::from)?;
        let store_scope = match scope {
            MetricsScope::Platform => {
                principal.require_platform_admin()?;
                Scope::Platform
            }
            MetricsScope::Group(group_id) => {
                if !principal.can_read_group(group_id) {
                    return Err(IdentityError::Forbidden("not allowed for this group".into()));
                }
                Scope::Group(group_id)
            }
            MetricsScope::Agency(agency_id) => {
                let (_, reference) = self.agency_ref(agency_id).await?;
                principal.require_on_agency(reference, AgencyAction::ReadMetrics)?;
                Scope::Agency(agency_id)
            }
        };
        let roles: &[Role] = match scope {
            MetricsScope::Platform => &Role::ALL,
            MetricsScope::Group(_) => &[Role::GroupAdmin, Role::AgencyManager, Role::Salesperson],
            MetricsScope::Agency(_) => &[Role::AgencyManager, Role::Salesperson],
        };
        let mut metrics = Vec::new();
        for role in roles {
            let count = metric_store::members_with_role(&self.database, store_scope, role.as_str()).await?;
            metrics.push(metric("users_by_role", count, role.as_str()));
        }
        let group_filter = match scope {
            MetricsScope::Platform => None,
            MetricsScope::Group(group_id) => Some(group_id),
            MetricsScope::Agency(_) => return Ok((metrics, buckets.map(Series::empty))),
        };
        if group_filter.is_none() {
            metrics.push(metric("new_users", metric_store::users_created_between(&self.database, from, to).await?, ""));
        }
        metrics.push(metric("agencies", metric_store::agencies(&self.database, group_filter, None).await?, ""));
        metrics.push(metric(
            "agencies_suspended",
            metric_store::agencies(&self.database, group_filter, Some(true)).await?,
            "",
        ));
        for status in [STATUS_PENDING, STATUS_APPROVED, STATUS_REJECTED] {
            let count = metric_store::applications_with_status(&self.database, group_filter, status, from, to).await?;
            metrics.push(metric("applications_by_status", count, status));
        }
        let series = match buckets {
            Some(buckets) => Some(self.series(buckets, group_filter).await?),
            None => None,
        };
        Ok((metrics, series))
    }

    /// New users (platform only) and applications by status, per bucket.
    async fn series(&self, buckets: Buckets, group_filter: Option<Uuid>) -> IdentityResult<Series<MetricValue>> {
        let mut series = Series::empty(buckets);
        if group_filter.is_none() {
            let counts = metric_store::users_created_per_bucket(&self.database, &series.buckets).await?;
            series.push_counts(counts, |count| metric("new_users", count, ""));
        }
        for status in [STATUS_PENDING, STATUS_APPROVED, STATUS_REJECTED] {
            let counts = metric_store::applications_with_status_per_bucket(
                &self.database,
                group_filter,
                status,
                &series.buckets,
            )
            .await?;
            series.push_counts(counts, |count| metric("applications_by_status", count, status));
        }
        Ok(series)
    }
}
