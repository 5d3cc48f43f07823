//! The metrics page (`/metrics`, `?agency=<id>` or `?group=<id>`; neither is the
//! platform): the numbers of the last 30 days and, as bar charts drawn on the
//! server (`views::chart`), the last six calendar months, one bar a month. Who
//! may see which scope is the API's rule (platform admins: all; group admins:
//! their group and its agencies; agency managers: their agency); a refusal is
//! the 403 page.
//!
//! One request (`graphql/panel/metrics.graphql`): `metrics` over the last 30 days,
//! and over the last six months with `interval: MONTH`, whose `series` has a
//! bucket a month. Catalog's views are a running total, not counted per range, so
//! they are a number and not a chart.

use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use maud::{Markup, html};

use crate::edge::operations::{self, panel_agency_numbers, panel_metrics};
use crate::error::{PageError, path_id};
use crate::i18n::{Lang, format};
use crate::state::SharedState;
use crate::views::chart::bar_chart;
use crate::views::{self, Page};
use crate::visitor::Visitor;

#[derive(serde::Deserialize, Default)]
pub struct MetricsQuery {
    agency: Option<String>,
    group: Option<String>,
}

/// The metrics page of what the person oversees, for the navigation: platform
/// admins the platform, group admins their group, agency managers their agency.
pub(crate) fn metrics_path(visitor: &Visitor) -> Option<String> {
    if super::is_platform_admin(visitor) {
        return Some("/metrics".to_string());
    }
    let group = visitor.memberships().iter().find(|membership| membership.role == "GROUP_ADMIN");
    if let Some(group_id) = group.and_then(|membership| membership.group_id.as_deref()) {
        return Some(format!("/metrics?group={group_id}"));
    }
    super::managed_agency(visitor).map(|agency_id| format!("/metrics?agency={agency_id}"))
}

enum Scope {
    Platform,
    Group(String),
    Agency(String),
}

/// The first instant of the month `back` months before `now`'s.
fn month_start(now: DateTime<Utc>, back: i32) -> DateTime<Utc> {
    let index = now.year() * 12 + now.month0() as i32 - back;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).single().unwrap_or(now)
}

/// How many calendar months the charts show, the current one last.
const MONTHS: i32 = 6;

pub(super) fn wire(moment: DateTime<Utc>) -> String {
    moment.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// One metric value, whichever operation brought it (this page's or the
/// side-by-side table's).
pub(super) struct Number {
    source: String,
    name: String,
    label: Option<String>,
    value: f64,
}

impl From<&panel_metrics::MetricNumbersValues> for Number {
    fn from(value: &panel_metrics::MetricNumbersValues) -> Self {
        Number {
            source: value.source.clone(),
            name: value.name.clone(),
            label: value.label.clone(),
            value: value.value,
        }
    }
}

impl From<&panel_metrics::PanelMetricsMonthsSeriesValues> for Number {
    fn from(value: &panel_metrics::PanelMetricsMonthsSeriesValues) -> Self {
        Number {
            source: value.source.clone(),
            name: value.name.clone(),
            label: value.label.clone(),
            value: value.value,
        }
    }
}

impl From<&panel_agency_numbers::PanelAgencyNumbersMetricsValues> for Number {
    fn from(value: &panel_agency_numbers::PanelAgencyNumbersMetricsValues) -> Self {
        Number {
            source: value.source.clone(),
            name: value.name.clone(),
            label: value.label.clone(),
            value: value.value,
        }
    }
}

pub(super) type Values = [Number];

/// The sum of one service's metric over its labels.
pub(super) fn total(values: &Values, source: &str, name: &str) -> f64 {
    values.iter().filter(|value| value.source == source && value.name == name).map(|value| value.value).sum()
}

pub(super) fn labelled(values: &Values, source: &str, name: &str, label: &str) -> f64 {
    values
        .iter()
        .filter(|value| value.source == source && value.name == name && value.label.as_deref() == Some(label))
        .map(|value| value.value)
        .sum()
}

pub(super) fn count(value: f64) -> String {
    format::grouped(value.round() as i64)
}

pub(super) fn pesos(minor: f64, lang: Lang) -> String {
    format::price(minor.round() as i64, "MXN", lang)
}

/// The page's one request: the last 30 days, and the last six calendar months by
/// month, for one scope (public for the benchmark, which sends it to the edge).
pub fn metrics_variables(scope: panel_metrics::MetricsScopeInput, now: DateTime<Utc>) -> panel_metrics::Variables {
    let to = wire(now + Duration::seconds(1));
    panel_metrics::Variables {
        scope,
        from30: wire(now - Duration::days(30)),
        to30: to.clone(),
        months_from: wire(month_start(now, MONTHS - 1)),
        months_to: to,
    }
}

pub async fn metrics_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<MetricsQuery>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let scope = match (query.agency.as_deref(), query.group.as_deref()) {
        (Some(agency), None) => Scope::Agency(path_id(agency)?),
        (None, Some(group)) => Scope::Group(path_id(group)?),
        (None, None) => Scope::Platform,
        (Some(_), Some(_)) => return Err(PageError::NotFound),
    };
    let input = match &scope {
        Scope::Platform => panel_metrics::MetricsScopeInput { platform: Some(true), group_id: None, agency_id: None },
        Scope::Group(id) => {
            panel_metrics::MetricsScopeInput { platform: None, group_id: Some(id.clone()), agency_id: None }
        }
        Scope::Agency(id) => {
            panel_metrics::MetricsScopeInput { platform: None, group_id: None, agency_id: Some(id.clone()) }
        }
    };
    let now = Utc::now();
    let variables = metrics_variables(input, now);
    let response = state.edge.run::<operations::PanelMetrics>(visitor.caller(), variables).await?;
    let numbers_of =
        |values: &[panel_metrics::MetricNumbersValues]| values.iter().map(Number::from).collect::<Vec<_>>();
    let last30 = numbers_of(&response.last30.values);
    let monthly: Vec<(u32, Vec<Number>)> = response
        .months
        .series
        .iter()
        .map(|bucket| {
            let month = format::parse_api_time(Some(&bucket.from)).map_or(0, |from| from.month());
            (month, bucket.values.iter().map(Number::from).collect())
        })
        .collect();
    // A group's page also shows its agencies side by side (what the person may list).
    let agencies = match &scope {
        Scope::Group(id) => super::group_agencies::side_by_side(&state, &visitor, id, now).await?,
        _ => None,
    };
    let lang = visitor.lang;
    let text = &visitor.text().panel.metrics;
    let title = match scope {
        Scope::Platform => text.title_platform,
        Scope::Group(_) => text.title_group,
        Scope::Agency(_) => text.title_agency,
    };
    let labels: Vec<String> = monthly.iter().map(|(month, _)| format::month_short(*month, lang).to_string()).collect();
    let series = |source: &str, name: &str| -> Vec<f64> {
        monthly.iter().map(|(_, values)| total(values, source, name)).collect()
    };
    let content = html! {
        div.panel-metrics {
            h1 { (title) }
            p { (text.intro) }
            section aria-labelledby="last-30" {
                h2 #last-30 { (text.last_30_heading) }
                (numbers(&last30, lang))
            }
            @if let Some(agencies) = agencies { (agencies) }
            section aria-labelledby="by-month" {
                h2 #by-month { (text.months_heading) }
                div.chart-grid {
                div.charts data-chart="new-listings" {
                    (bar_chart(text.chart_new_listings, &labels, &series("catalog", "new_listings"), &count))
                }
                div.charts data-chart="leads" {
                    (bar_chart(text.chart_leads, &labels, &series("chat", "conversations_started"), &count))
                }
                div.charts data-chart="first-response" {
                    (bar_chart(text.chart_first_response, &labels, &series("chat", "median_first_response_seconds"),
                        &|seconds| (text.duration)(seconds.round() as i64)))
                }
                div.charts data-chart="revenue" {
                    (bar_chart(text.chart_revenue, &labels, &series("billing", "billing_revenue_minor"), &|minor| pesos(minor, lang)))
                }
                }
            }
        }
    };
    let mut page = Page::new(title.to_string(), content);
    page.indexable = false;
    page.header_search = false;
    Ok(views::render(&state, &visitor, page))
}

/// The last 30 days as a list of named numbers.
fn numbers(values: &Values, lang: Lang) -> Markup {
    let text = &lang.text().panel.metrics;
    let answered = total(values, "chat", "conversations_answered");
    let mut kinds: Vec<(&str, f64)> = Vec::new();
    for value in values.iter().filter(|value| value.source == "billing" && value.name == "billing_revenue_minor") {
        kinds.push(((text.revenue_kind)(value.label.as_deref().unwrap_or("")), value.value));
    }
    html! {
        dl.metric-numbers {
            div data-metric="published" {
                dt { (text.published_now) }
                dd { (count(labelled(values, "catalog", "listings", "PUBLISHED"))) }
            }
            div data-metric="new-listings" {
                dt { (text.new_listings) }
                dd { (count(total(values, "catalog", "new_listings"))) }
            }
            div data-metric="views" {
                dt { (text.views) }
                dd { (count(total(values, "catalog", "views"))) }
                dd.small { (text.views_note) }
            }
            div data-metric="leads" {
                dt { (text.leads) }
                dd { (count(total(values, "chat", "conversations_started"))) }
            }
            div data-metric="answered" {
                dt { (text.answered) }
                dd { (count(answered)) }
            }
            div data-metric="first-response" {
                dt { (text.first_response) }
                dd {
                    @if answered > 0.0 {
                        ((text.duration)(total(values, "chat", "median_first_response_seconds").round() as i64))
                    } @else {
                        (text.no_answers)
                    }
                }
            }
            div data-metric="revenue" {
                dt { (text.revenue) }
                dd { (pesos(total(values, "billing", "billing_revenue_minor"), lang)) }
                @for (kind, minor) in &kinds {
                    dd.small { (kind) ": " (pesos(*minor, lang)) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_months_asked_for_start_five_months_back_on_the_first() {
        let now = Utc.with_ymd_and_hms(2026, 2, 14, 10, 0, 0).unwrap();
        let scope = panel_metrics::MetricsScopeInput { platform: Some(true), group_id: None, agency_id: None };
        let variables = metrics_variables(scope, now);
        assert_eq!(variables.months_from, "2025-09-01T00:00:00Z");
        assert_eq!(variables.months_to, "2026-02-14T10:00:01Z");
        assert_eq!(variables.from30, "2026-01-15T10:00:00Z");
    }
}
