//! `metrics(scope, from, to, interval)`: each service (identity, catalog, billing,
//! chat) answers its part for the scope (and refuses scopes the caller may not
//! see); the edge asks them in parallel and assembles one answer. With an
//! interval, each also cuts the range into the same calendar buckets, and the
//! edge puts their series side by side.

use std::collections::BTreeMap;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use nds_proto::common::v1 as wire;
use nds_proto::common::v1::metrics_scope::Scope;

use crate::clients::clients;
use crate::context::request_context;
use crate::error::{GrpcResultExt, bad_input};

/// Exactly one of: the whole platform, a group, an agency.
#[derive(InputObject)]
pub struct MetricsScopeInput {
    pub platform: Option<bool>,
    pub group_id: Option<ID>,
    pub agency_id: Option<ID>,
}

impl MetricsScopeInput {
    fn to_wire(&self) -> async_graphql::Result<wire::MetricsScope> {
        let scope = match (self.platform.unwrap_or(false), &self.group_id, &self.agency_id) {
            (true, None, None) => Scope::Platform(true),
            (false, Some(group), None) => Scope::GroupId(group.0.clone()),
            (false, None, Some(agency)) => Scope::AgencyId(agency.0.clone()),
            _ => return Err(bad_input("scope", "give exactly one of platform, groupId, agencyId")),
        };
        Ok(wire::MetricsScope { scope: Some(scope) })
    }
}

/// One number: e.g. `listings` labelled `PUBLISHED`, `revenue` labelled `promotions`.
#[derive(SimpleObject, Clone)]
pub struct MetricValue {
    /// The service that measured it: identity, catalog, billing, chat.
    pub source: String,
    pub name: String,
    pub label: Option<String>,
    pub value: f64,
}

#[derive(SimpleObject)]
pub struct Metrics {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub values: Vec<MetricValue>,
    /// With an `interval`: the range cut into calendar buckets (UTC), oldest first,
    /// the first and last clipped to it. Only metrics counted within a range have
    /// buckets (new listings and users, applications, leads, answers, first-response
    /// time, revenue, promotions bought); current totals do not. Empty otherwise.
    pub series: Vec<MetricsBucket>,
}

/// The metrics counted in `[from, to)`.
#[derive(SimpleObject)]
pub struct MetricsBucket {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub values: Vec<MetricValue>,
}

/// The width of a series' buckets: calendar days, weeks from Monday, or months, in UTC.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum MetricsInterval {
    Day,
    Week,
    Month,
}

impl MetricsInterval {
    fn to_wire(self) -> wire::MetricsInterval {
        match self {
            MetricsInterval::Day => wire::MetricsInterval::Day,
            MetricsInterval::Week => wire::MetricsInterval::Week,
            MetricsInterval::Month => wire::MetricsInterval::Month,
        }
    }
}

/// Each service's buckets, merged by their start: every service cuts the same range
/// the same way, so each start gathers one bucket from each.
fn merge_series(sources: [(&str, Vec<wire::MetricsBucket>); 4]) -> async_graphql::Result<Vec<MetricsBucket>> {
    let mut merged: BTreeMap<i64, MetricsBucket> = BTreeMap::new();
    for (source, buckets) in sources {
        for bucket in buckets {
            let (from, to) = (time(bucket.from_unix)?, time(bucket.to_unix)?);
            let entry =
                merged.entry(bucket.from_unix).or_insert_with(|| MetricsBucket { from, to, values: Vec::new() });
            entry.values.extend(values(source, bucket.metrics));
        }
    }
    Ok(merged.into_values().collect())
}

fn time(unix: i64) -> async_graphql::Result<DateTime<Utc>> {
    DateTime::from_timestamp(unix, 0)
        .ok_or_else(|| crate::error::error_with_code(nds_common::ErrorCode::Internal, "a bucket outside the calendar"))
}

fn values(source: &str, metrics: Vec<wire::Metric>) -> impl Iterator<Item = MetricValue> + '_ {
    metrics.into_iter().map(move |metric| MetricValue {
        source: source.to_string(),
        name: metric.name,
        label: (!metric.label.is_empty()).then_some(metric.label),
        value: metric.value,
    })
}

#[derive(Default)]
pub struct MetricsQuery;

#[Object]
impl MetricsQuery {
    /// Predefined metrics of a scope the caller may see (platform admins: all;
    /// group admins: their group and its agencies; agency managers: their agency).
    /// With `interval`, also `series`: the range (which then needs `from`; `to`
    /// defaults to now) cut into at most 367 buckets.
    async fn metrics(
        &self,
        context: &Context<'_>,
        scope: MetricsScopeInput,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        interval: Option<MetricsInterval>,
    ) -> async_graphql::Result<Metrics> {
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return Err(bad_input("from", "must be before `to`"));
        }
        if interval.is_some() && from.is_none() {
            return Err(bad_input("from", "a series needs `from`"));
        }
        // One end for every service's buckets: each would otherwise read its own clock.
        let to = match (to, interval) {
            (None, Some(_)) => Some(Utc::now() + chrono::Duration::seconds(1)),
            _ => to,
        };
        let request = request_context(context)?;
        let clients = clients(context)?;
        let scope = scope.to_wire()?;
        let range = wire::TimeRange {
            from_unix: from.map(|time| time.timestamp()).unwrap_or_default(),
            to_unix: to.map(|time| time.timestamp()).unwrap_or_default(),
        };
        let interval = interval.map_or(wire::MetricsInterval::Unspecified, MetricsInterval::to_wire) as i32;
        let identity_request =
            nds_proto::identity::v1::GetMetricsRequest { scope: Some(scope.clone()), range: Some(range), interval };
        let catalog_request =
            nds_proto::catalog::v1::GetMetricsRequest { scope: Some(scope.clone()), range: Some(range), interval };
        let billing_request =
            nds_proto::billing::v1::GetMetricsRequest { scope: Some(scope.clone()), range: Some(range), interval };
        let chat_request = nds_proto::chat::v1::GetMetricsRequest { scope: Some(scope), range: Some(range), interval };
        let (mut identity, mut catalog, mut billing, mut chat) =
            (clients.identity(), clients.catalog(), clients.billing(), clients.chat());
        // Independent questions: ask them at once; any refusal refuses the whole answer.
        let (identity, catalog, billing, chat) = tokio::join!(
            identity.get_metrics(request.call.request(identity_request)),
            catalog.get_metrics(request.call.request(catalog_request)),
            billing.get_metrics(request.call.request(billing_request)),
            chat.get_metrics(request.call.request(chat_request)),
        );
        let (identity, catalog, billing) = (identity.or_graphql()?, catalog.or_graphql()?, billing.or_graphql()?);
        let chat = chat.or_graphql()?;
        let series = merge_series([
            ("identity", identity.buckets),
            ("catalog", catalog.buckets),
            ("billing", billing.buckets),
            ("chat", chat.buckets),
        ])?;
        let mut all = Vec::new();
        all.extend(values("identity", identity.metrics));
        all.extend(values("catalog", catalog.metrics));
        all.extend(values("billing", billing.metrics));
        let chat_totals = nds_common::convert::conversation_metrics(
            chat.conversations_started,
            chat.conversations_answered,
            chat.median_first_response_seconds,
        );
        all.extend(values("chat", chat_totals.into()));
        Ok(Metrics { from, to, values: all, series })
    }
}
