//! The metrics page (`/metrics`, `?agency=<id>` or `?group=<id>`; neither is the
//! platform): the numbers of the last 30 days and, as bar charts drawn on the
//! server (`views::chart`), the last six calendar months, one bar a month. Who
//! may see which scope is the API's rule (platform admins: all; group admins:
//! their group and its agencies; agency managers: their agency); a refusal is
//! the 403 page.
//!
//! `metrics(scope, from, to)` answers one range: the page asks it seven times in
//! one request with fixed aliases (`last30`, `m0`..`m5`, in
//! `graphql/panel/metrics.graphql`). A series API (an `interval` argument on
//! `metrics`: day, week, month) would replace the aliases. Catalog's views are a
//! running total, not counted per range, so they are a number and not a chart.

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

/// The last six calendar months, oldest first: (from, to, month number).
fn last_six_months(now: DateTime<Utc>) -> [(DateTime<Utc>, DateTime<Utc>, u32); 6] {
    std::array::from_fn(|index| {
        let back = 5 - index as i32;
        let from = month_start(now, back);
        (from, month_start(now, back - 1), from.month())
    })
}

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

/// The page's one request: the last 30 days and each of the last six calendar
/// months, for one scope (public for the benchmark, which sends it to the edge).
pub fn metrics_variables(scope: panel_metrics::MetricsScopeInput, now: DateTime<Utc>) -> panel_metrics::Variables {
    let months = last_six_months(now);
    let range = |index: usize| (wire(months[index].0), wire(months[index].1));
    let ((from0, to0), (from1, to1), (from2, to2)) = (range(0), range(1), range(2));
    let ((from3, to3), (from4, to4), (from5, to5)) = (range(3), range(4), range(5));
    panel_metrics::Variables {
        scope,
        from30: wire(now - Duration::days(30)),
        to30: wire(now + Duration::seconds(1)),
        from0,
        to0,
        from1,
        to1,
        from2,
        to2,
        from3,
        to3,
        from4,
        to4,
        from5,
        to5,
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
    let months = last_six_months(now);
    let variables = metrics_variables(input, now);
    let response = state.edge.run::<operations::PanelMetrics>(visitor.caller(), variables).await?;
    let numbers_of =
        |values: &[panel_metrics::MetricNumbersValues]| values.iter().map(Number::from).collect::<Vec<_>>();
    let last30 = numbers_of(&response.last30.values);
    let monthly: [Vec<Number>; 6] = [
        numbers_of(&response.m0.values),
        numbers_of(&response.m1.values),
        numbers_of(&response.m2.values),
        numbers_of(&response.m3.values),
        numbers_of(&response.m4.values),
        numbers_of(&response.m5.values),
    ];
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
    let labels: Vec<String> =
        months.iter().map(|(_, _, month)| format::month_short(*month, lang).to_string()).collect();
    let series =
        |source: &str, name: &str| -> Vec<f64> { monthly.iter().map(|values| total(values, source, name)).collect() };
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
    fn the_six_months_are_calendar_months_ending_with_the_current_one() {
        let now = Utc.with_ymd_and_hms(2026, 2, 14, 10, 0, 0).unwrap();
        let months = last_six_months(now);
        assert_eq!(months.map(|(_, _, month)| month), [9, 10, 11, 12, 1, 2]);
        assert_eq!(months[0].0, Utc.with_ymd_and_hms(2025, 9, 1, 0, 0, 0).unwrap());
        assert_eq!(months[3].1, Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(months[5].1, Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap());
        assert_eq!(wire(months[5].0), "2026-02-01T00:00:00Z");
    }
}
