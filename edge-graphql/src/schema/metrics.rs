//! `metrics(scope, from, to)`: each service (identity, catalog, billing, chat) answers its part for the scope (and
//! refuses scopes the caller may not see); the edge asks them in parallel and
//! assembles one answer.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
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
    async fn metrics(
        &self,
        context: &Context<'_>,
        scope: MetricsScopeInput,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<Metrics> {
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return Err(bad_input("from", "must be before `to`"));
        }
        let request = request_context(context)?;
        let clients = clients(context)?;
        let scope = scope.to_wire()?;
        let range = wire::TimeRange {
            from_unix: from.map(|time| time.timestamp()).unwrap_or_default(),
            to_unix: to.map(|time| time.timestamp()).unwrap_or_default(),
        };
        let identity_request =
            nds_proto::identity::v1::GetMetricsRequest { scope: Some(scope.clone()), range: Some(range) };
        let catalog_request =
            nds_proto::catalog::v1::GetMetricsRequest { scope: Some(scope.clone()), range: Some(range) };
        let billing_request =
            nds_proto::billing::v1::GetMetricsRequest { scope: Some(scope.clone()), range: Some(range) };
        let chat_request = nds_proto::chat::v1::GetMetricsRequest { scope: Some(scope), range: Some(range) };
        let (mut identity, mut catalog, mut billing, mut chat) =
            (clients.identity(), clients.catalog(), clients.billing(), clients.chat());
        // Independent questions: ask them at once; any refusal refuses the whole answer.
        let (identity, catalog, billing, chat) = tokio::join!(
            identity.get_metrics(request.call.request(identity_request)),
            catalog.get_metrics(request.call.request(catalog_request)),
            billing.get_metrics(request.call.request(billing_request)),
            chat.get_metrics(request.call.request(chat_request)),
        );
        let mut all = Vec::new();
        all.extend(values("identity", identity.or_graphql()?.metrics));
        all.extend(values("catalog", catalog.or_graphql()?.metrics));
        all.extend(values("billing", billing.or_graphql()?.metrics));
        let chat = chat.or_graphql()?;
        all.extend(values(
            "chat",
            vec![
                wire::Metric {
                    name: "conversations_started".into(),
                    value: chat.conversations_started as f64,
                    label: String::new(),
                },
                wire::Metric {
                    name: "conversations_answered".into(),
                    value: chat.conversations_answered as f64,
                    label: String::new(),
                },
                wire::Metric {
                    name: "median_first_response_seconds".into(),
                    value: chat.median_first_response_seconds as f64,
                    label: String::new(),
                },
            ],
        ));
        Ok(Metrics { from, to, values: all })
    }
}
