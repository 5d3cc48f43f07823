//! Catalog metrics per scope, each scope behind its tenant check.

use nds_common::ApiError;
use nds_common::auth::principal::require_principal;
use nds_common::auth::{AgencyAction, AgencyRef, Principal};
use nds_common::metrics_series::{Buckets, Interval, Series};

use super::CatalogService;
use crate::error::CatalogError;
use crate::store::metrics::MetricsScope;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricsQuery {
    pub scope: MetricsScope,
    pub from_unix: i64,
    pub to_unix: i64,
    /// Also cut the range into buckets of this width (new listings per bucket).
    pub interval: Option<Interval>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MetricValue {
    pub name: &'static str,
    pub value: f64,
    pub label: String,
}

impl CatalogService {
    pub async fn metrics(
        &self,
        caller: Option<&Principal>,
        query: MetricsQuery,
    ) -> Result<(Vec<MetricValue>, Option<Series<MetricValue>>), CatalogError> {
        let principal = require_principal(caller)?;
        let allowed = match query.scope {
            MetricsScope::Platform => principal.is_platform_admin(),
            MetricsScope::Group(group_id) => principal.can_read_group(group_id),
            MetricsScope::Agency(agency_id) => {
                // Catalog's own rows carry the group their creators' memberships
                // named; identity answers for an agency without listings.
                let agency = match self.store.owner_of_agency(agency_id).await? {
                    Some(owner) => AgencyRef { agency_id, group_id: owner.group_id },
                    None => self.agencies.agency_ref(principal, agency_id).await?,
                };
                principal.can_on_agency(agency, AgencyAction::ReadMetrics)
            }
        };
        if !allowed {
            return Err(CatalogError::Forbidden("not allowed to see metrics of this scope".into()));
        }
        if query.to_unix <= query.from_unix {
            return Err(CatalogError::invalid("range", "the range must end after it starts"));
        }
        let buckets = Buckets::series(query.from_unix, query.to_unix, query.interval).map_err(ApiError::from)?;
        let metrics = self.store.listing_metrics(query.scope, query.from_unix, query.to_unix).await?;
        let mut values: Vec<MetricValue> = metrics
            .by_status
            .into_iter()
            .map(|(status, count)| MetricValue { name: "listings", value: count as f64, label: status })
            .collect();
        values.push(MetricValue { name: "new_listings", value: metrics.created_in_range as f64, label: String::new() });
        values.push(MetricValue { name: "views", value: metrics.views as f64, label: String::new() });
        let series = match buckets {
            Some(buckets) => {
                let counts = self.store.listings_created_per_bucket(query.scope, &buckets).await?;
                let mut series = Series::empty(buckets);
                series.push_counts(counts, |count| MetricValue {
                    name: "new_listings",
                    value: count as f64,
                    label: String::new(),
                });
                Some(series)
            }
            None => None,
        };
        Ok((values, series))
    }
}
