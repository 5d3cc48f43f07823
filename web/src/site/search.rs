//! The home page is the search: one box in Spanish or English, what was
//! understood as removable chips, facet filters as links and a form, two
//! promoted cards marked as such, then results a page at a time. The URL holds
//! the whole search; htmx swaps only the results when filters change.

use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use maud::{Markup, html};
use sha2::{Digest, Sha256};

use super::cards::wire_name;
use super::search_params::{Applied, SORTS, SearchParams};
use crate::edge::operations::{self, search_page};
use crate::error::PageError;
use crate::i18n::{Lang, VocabText, format};
use crate::names::display_name;
use crate::state::SharedState;
use crate::views::components::{CardView, card_grid, chip, empty_state, pager};
use crate::views::{self, Page};
use crate::visitor::Visitor;

pub const PAGE_SIZE: i64 = 20;
/// Rendered results are public (no per-person content): shared for a few seconds.
const FRAGMENT_TTL: Duration = Duration::from_secs(5);

/// The API's input for a search in the URL.
pub fn search_input(params: &SearchParams, first: i64) -> search_page::SearchInput {
    use search_page::*;
    let minor = |pesos: Option<i64>| pesos.map(|pesos| pesos * 100);
    let list = |values: &Vec<String>| (!values.is_empty()).then(|| values.clone());
    let filters = SearchFiltersInput {
        makes: list(&params.makes),
        models: list(&params.models),
        year_min: params.year_min,
        year_max: params.year_max,
        price_min: minor(params.price_min),
        price_max: minor(params.price_max),
        mileage_max: params.mileage_max,
        body_types: (!params.body_types.is_empty())
            .then(|| params.body_types.iter().map(|value| BodyType::Other(value.clone())).collect()),
        fuels: (!params.fuels.is_empty())
            .then(|| params.fuels.iter().map(|value| Fuel::Other(value.clone())).collect()),
        transmissions: (!params.transmissions.is_empty())
            .then(|| params.transmissions.iter().map(|value| Transmission::Other(value.clone())).collect()),
        colors: list(&params.colors),
        conditions: (!params.conditions.is_empty())
            .then(|| params.conditions.iter().map(|value| Condition::Other(value.clone())).collect()),
        city: params.city.clone(),
        keywords: list(&params.keywords),
    };
    SearchInput {
        text: (!params.text.is_empty()).then(|| params.text.clone()),
        filters: Some(filters),
        sort: params.sort.clone().map(SearchSort::Other),
        first: Some(first),
        after: params.after.clone(),
    }
}

/// The applied filters of a response, in chip order.
pub(super) fn applied_filters(filters: &search_page::SearchPageSearchAppliedFilters) -> Vec<Applied> {
    let mut applied = Vec::new();
    applied.extend(filters.makes.iter().cloned().map(Applied::Make));
    applied.extend(filters.models.iter().cloned().map(Applied::Model));
    applied.extend(filters.body_types.iter().map(|value| Applied::BodyType(wire_name(value))));
    applied.extend(filters.transmissions.iter().map(|value| Applied::Transmission(wire_name(value))));
    applied.extend(filters.fuels.iter().map(|value| Applied::Fuel(wire_name(value))));
    applied.extend(filters.conditions.iter().map(|value| Applied::Condition(wire_name(value))));
    applied.extend(filters.colors.iter().cloned().map(Applied::Color));
    applied.extend(filters.price_min.map(|minor| Applied::PriceMin(minor / 100)));
    applied.extend(filters.price_max.map(|minor| Applied::PriceMax(minor / 100)));
    applied.extend(filters.year_min.map(Applied::YearMin));
    applied.extend(filters.year_max.map(Applied::YearMax));
    applied.extend(filters.mileage_max.map(Applied::MileageMax));
    applied.extend(filters.city.clone().map(Applied::City));
    applied.extend(filters.keywords.iter().cloned().map(Applied::Keyword));
    applied
}

/// A chip's words.
pub fn applied_label(filter: &Applied, lang: Lang) -> String {
    let text = lang.text();
    let vocab = &text.vocab;
    let pesos = |value: i64| format::price(value * 100, "MXN", lang);
    match filter {
        Applied::Make(value) | Applied::Model(value) => display_name(value),
        Applied::BodyType(value) => VocabText::label(vocab.body_types, value).to_string(),
        Applied::Fuel(value) => VocabText::label(vocab.fuels, value).to_string(),
        Applied::Transmission(value) => VocabText::label(vocab.transmissions, value).to_string(),
        Applied::Condition(value) => VocabText::label(vocab.conditions, value).to_string(),
        Applied::Color(value) => VocabText::label(vocab.colors, value).to_string(),
        Applied::Keyword(value) => (text.search.keyword)(value),
        Applied::PriceMin(value) => (text.search.price_min_chip)(&pesos(*value)),
        Applied::PriceMax(value) => (text.search.price_max_chip)(&pesos(*value)),
        Applied::YearMin(value) => (text.search.year_min_chip)(*value),
        Applied::YearMax(value) => (text.search.year_max_chip)(*value),
        Applied::MileageMax(value) => (text.search.mileage_max_chip)(&format::kilometres(*value)),
        Applied::City(value) => value.clone(),
    }
}

pub async fn search_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let params = SearchParams::from_query(query.as_deref());
    let results = results_fragment(&state, &visitor, &params).await?;
    if visitor.htmx {
        return Ok(views::fragment(results));
    }
    let text = visitor.text();
    let content = html! {
        section.hero {
            h1 { (text.search.heading) }
            form method="get" action="/" role="search" {
                label.visually-hidden for="q" { (text.layout.search_label) }
                input #q type="search" name="q" value=(params.text) placeholder=(text.layout.search_placeholder) maxlength="200" autocomplete="off";
                button type="submit" { (text.layout.search_button) }
            }
            @if params.is_empty() {
                p.small { (text.search.examples_label) }
                ul.examples {
                    @for example in text.search.examples {
                        li { a href=(SearchParams { text: example.to_string(), ..SearchParams::default() }.href()) { (example) } }
                    }
                }
            }
        }
        (results)
        @if visitor.signed_in() && !params.is_empty() {
            form.save-search method="post" action="/saved-searches" {
                (crate::views::form::csrf_field(&visitor.csrf))
                input type="hidden" name="query" value=(params.first_page().to_query());
                label for="save-name" { (text.search.save_search_name) }
                div.actions {
                    input #save-name type="text" name="name" maxlength="80" required value=(default_search_name(&params));
                    button.secondary type="submit" { (text.search.save_search) }
                }
            }
        }
    };
    let canonical = format!("{}{}", state.settings.public_url, params.first_page().href());
    let title = if params.text.is_empty() { text.search.title.to_string() } else { params.text.clone() };
    let mut page = Page::new(title, content).describe(text.search.description.to_string(), canonical);
    // The page has its own big search box.
    page.header_search = false;
    Ok(views::render(&state, &visitor, page))
}

fn default_search_name(params: &SearchParams) -> String {
    if params.text.is_empty() {
        params.makes.iter().map(|make| display_name(make)).collect::<Vec<_>>().join(", ")
    } else {
        params.text.clone()
    }
}

/// The part htmx swaps: chips, filters, promoted cards, results and pager.
/// Public content only, so it is cached briefly per language and search.
async fn results_fragment(state: &SharedState, visitor: &Visitor, params: &SearchParams) -> Result<Markup, PageError> {
    let key = format!(
        "web:fragment:search:{}:{}",
        visitor.lang.code(),
        hex::encode(&Sha256::digest(params.to_query().as_bytes())[..16])
    );
    if let Some(bytes) = state.cache.get(&key).await
        && let Ok(html) = String::from_utf8(bytes)
    {
        return Ok(maud::PreEscaped(html));
    }
    let variables = search_page::Variables { input: search_input(params, PAGE_SIZE) };
    let response = state.edge.run::<operations::SearchPage>(visitor.anonymous_caller(), variables).await?;
    let markup = render_results(visitor.lang, params, response.search);
    state.cache.set(&key, markup.0.as_bytes(), FRAGMENT_TTL).await;
    Ok(markup)
}

fn render_results(lang: Lang, params: &SearchParams, search: search_page::SearchPageSearch) -> Markup {
    let text = lang.text();
    let applied = applied_filters(&search.applied_filters);
    let sort = params.sort.clone();
    let promoted: Vec<CardView> =
        if params.after.is_none() { search.promoted.into_iter().map(CardView::from).collect() } else { Vec::new() };
    let total = search.results.total_count;
    let results: Vec<CardView> = search.results.edges.into_iter().map(|edge| CardView::from(edge.node)).collect();
    let next = search
        .results
        .page_info
        .end_cursor
        .filter(|_| search.results.page_info.has_next_page)
        .map(|cursor| SearchParams { after: Some(cursor), ..params.clone() }.href());
    let first = params.after.as_ref().map(|_| params.first_page().href());
    html! {
        section #results aria-live="polite" {
            @if !applied.is_empty() {
                div.understood {
                    span { (text.search.understood) }
                    ul.chips {
                        @for filter in &applied {
                            @let label = applied_label(filter, lang);
                            (chip(&label, &SearchParams::without(&applied, filter, sort.clone()).href(), &(text.search.remove_filter)(&label)))
                        }
                    }
                    a href="/" { (text.search.clear_all) }
                }
            }
            div.search-layout {
                (filters_form(lang, params, &applied, &search.facets))
                div {
                    @if !promoted.is_empty() {
                        section.promoted-block aria-labelledby="promoted-heading" {
                            h2 #promoted-heading { (text.search.promoted_heading) }
                            (card_grid(&promoted, lang, 2))
                        }
                    }
                    div.results-head {
                        h2 { (text.search.results_heading) " · " (format_count(lang, total)) }
                        (sort_form(lang, params))
                    }
                    @if results.is_empty() {
                        (empty_state(&format!("{} {}", text.search.no_results, text.search.no_results_hint), None))
                    } @else {
                        (card_grid(&results, lang, if promoted.is_empty() { 2 } else { 0 }))
                    }
                    (pager(text.search.pagination, first.map(|href| (text.search.first_page, href)), next.map(|href| (text.search.next_page, href))))
                }
            }
        }
    }
}

fn format_count(lang: Lang, total: i64) -> String {
    (lang.text().search.results_count)(total)
}

fn sort_form(lang: Lang, params: &SearchParams) -> Markup {
    let text = &lang.text().search;
    let labels = [
        text.sort_relevance,
        text.sort_price_asc,
        text.sort_price_desc,
        text.sort_year_desc,
        text.sort_mileage_asc,
        text.sort_newest,
    ];
    let current = params.sort.as_deref().unwrap_or("RELEVANCE");
    let hidden = SearchParams { sort: None, after: None, ..params.clone() };
    html! {
        form method="get" action="/" data-auto-submit hx-get="/" hx-target="#results" hx-select="#results" hx-swap="outerHTML" hx-push-url="true" {
            @for (key, value) in url::form_urlencoded::parse(hidden.to_query().as_bytes()) {
                input type="hidden" name=(key) value=(value);
            }
            label for="sort" { (text.sort_label) }
            select #sort name="sort" {
                @for (sort, label) in SORTS.iter().zip(labels) {
                    option value=(sort) selected[*sort == current] { (label) }
                }
            }
            noscript { button.secondary type="submit" { "OK" } }
        }
    }
}

/// Facets as links (with counts) and the filters as one form. The form holds
/// what is applied as explicit values, so unticking a box really removes it.
fn filters_form(
    lang: Lang,
    params: &SearchParams,
    applied: &[Applied],
    facets: &[search_page::SearchPageSearchFacets],
) -> Markup {
    let text = &lang.text().search;
    let vocab = &lang.text().vocab;
    let explicit = SearchParams::explicit(applied, params.sort.clone());
    let facet = |field: &str| {
        facets.iter().find(|facet| facet.field == field).map(|facet| facet.values.as_slice()).unwrap_or(&[])
    };
    let checked = |list: &Vec<String>, value: &str| list.iter().any(|item| item.eq_ignore_ascii_case(value));
    html! {
        details.filters {
            summary { (text.filters_heading) }
            form method="get" action="/" data-auto-submit hx-get="/" hx-target="#results" hx-select="#results" hx-swap="outerHTML" hx-push-url="true" {
                @for keyword in &explicit.keywords { input type="hidden" name="kw" value=(keyword); }
                @for model in &explicit.models { input type="hidden" name="model" value=(model); }
                @for color in &explicit.colors { input type="hidden" name="color" value=(color); }
                @for condition in &explicit.conditions { input type="hidden" name="cond" value=(condition); }
                @if let Some(sort) = &explicit.sort { input type="hidden" name="sort" value=(sort); }
                @if let Some(km) = explicit.mileage_max { input type="hidden" name="km_max" value=(km); }
                fieldset {
                    legend { (text.make) }
                    @for value in facet("make") {
                        label.option {
                            input type="checkbox" name="make" value=(value.value) checked[checked(&explicit.makes, &value.value)];
                            span { (display_name(&value.value)) } span.count { (value.count) }
                        }
                    }
                    @for make in explicit.makes.iter().filter(|make| !facet("make").iter().any(|value| &value.value == *make)) {
                        label.option { input type="checkbox" name="make" value=(make) checked; span { (display_name(make)) } }
                    }
                }
                (vocab_fieldset(text.body_type, "body", facet("body_type"), vocab.body_types, &explicit.body_types))
                fieldset {
                    legend { (text.price) }
                    div.pair {
                        div { label.small for="price_min" { (text.price_from) } input #price_min type="number" name="price_min" min="0" step="1000" inputmode="numeric" value=[explicit.price_min]; }
                        div { label.small for="price_max" { (text.price_to) } input #price_max type="number" name="price_max" min="0" step="1000" inputmode="numeric" value=[explicit.price_max]; }
                    }
                    @for value in facet("price_band").iter().filter(|value| value.count > 0) {
                        @if let Some((from, to)) = band_bounds(&value.value) {
                            @let href = band_href(&explicit, from, to);
                            a.option href=(href) { span { (band_label(from, to, lang)) } span.count { (value.count) } }
                        }
                    }
                }
                fieldset {
                    legend { (text.year) }
                    div.pair {
                        div { label.small for="year_min" { (text.year_from) } input #year_min type="number" name="year_min" min="1950" max="2100" inputmode="numeric" value=[explicit.year_min]; }
                        div { label.small for="year_max" { (text.year_to) } input #year_max type="number" name="year_max" min="1950" max="2100" inputmode="numeric" value=[explicit.year_max]; }
                    }
                }
                (vocab_fieldset(text.fuel, "fuel", facet("fuel"), vocab.fuels, &explicit.fuels))
                (vocab_fieldset(text.transmission, "trans", facet("transmission"), vocab.transmissions, &explicit.transmissions))
                fieldset {
                    legend { label for="city" { (text.city) } }
                    select #city name="city" {
                        option value="" { (text.any) }
                        @for city in nds_common::vehicle::CITIES {
                            option value=(city.name) selected[explicit.city.as_deref() == Some(city.name)] { (city.name) }
                        }
                    }
                }
                button type="submit" { (text.apply_filters) }
            }
        }
    }
}

fn vocab_fieldset(
    legend: &str,
    name: &str,
    counts: &[search_page::SearchPageSearchFacetsValues],
    table: &'static [(&'static str, &'static str)],
    selected: &[String],
) -> Markup {
    html! {
        fieldset {
            legend { (legend) }
            @for (value, label) in table {
                @let count = counts.iter().find(|facet| facet.value.eq_ignore_ascii_case(value)).map(|facet| facet.count);
                @let is_checked = selected.iter().any(|item| item.eq_ignore_ascii_case(value));
                @if count.is_some() || is_checked {
                    label.option {
                        input type="checkbox" name=(name) value=(value) checked[is_checked];
                        span { (label) }
                        @if let Some(count) = count { span.count { (count) } }
                    }
                }
            }
        }
    }
}

/// `"200000-350000"` → (Some(200000), Some(350000)); open ends are `None`.
fn band_bounds(key: &str) -> Option<(Option<i64>, Option<i64>)> {
    let (from, to) = key.split_once('-')?;
    let parse = |raw: &str| if raw.is_empty() { Ok(None) } else { raw.parse::<i64>().map(Some) };
    Some((parse(from).ok()?.filter(|from| *from > 0), parse(to).ok()?))
}

fn band_href(explicit: &SearchParams, from: Option<i64>, to: Option<i64>) -> String {
    SearchParams { price_min: from, price_max: to, after: None, ..explicit.clone() }.href()
}

fn band_label(from: Option<i64>, to: Option<i64>, lang: Lang) -> String {
    let text = &lang.text().search;
    let pesos = |value: i64| format::price(value * 100, "MXN", lang);
    match (from, to) {
        (None, Some(to)) => (text.price_max_chip)(&pesos(to)),
        (Some(from), None) => (text.price_min_chip)(&pesos(from)),
        (Some(from), Some(to)) => format!("{} – {}", pesos(from), pesos(to)),
        (None, None) => text.any.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_bands_become_ranges() {
        assert_eq!(band_bounds("0-100000"), Some((None, Some(100_000))));
        assert_eq!(band_bounds("200000-350000"), Some((Some(200_000), Some(350_000))));
        assert_eq!(band_bounds("800000-"), Some((Some(800_000), None)));
        assert_eq!(band_bounds("cheap"), None);
    }

    #[test]
    fn the_url_search_becomes_the_api_input_in_centavos() {
        let params = SearchParams::from_query(Some("q=jetta&price_max=400000&body=SUV&sort=PRICE_ASC&after=abc"));
        let input = search_input(&params, 20);
        assert_eq!(input.text.as_deref(), Some("jetta"));
        let filters = input.filters.unwrap_or_else(|| unreachable!());
        assert_eq!(filters.price_max, Some(40_000_000));
        assert_eq!(filters.makes, None);
        assert_eq!(serde_json::to_value(&filters.body_types).ok(), Some(serde_json::json!(["SUV"])));
        assert_eq!(serde_json::to_value(&input.sort).ok(), Some(serde_json::json!("PRICE_ASC")));
        assert_eq!(input.after.as_deref(), Some("abc"));
    }

    #[test]
    fn chips_are_in_words() {
        assert_eq!(applied_label(&Applied::PriceMax(400_000), Lang::Es), "hasta $400,000 MXN");
        assert_eq!(applied_label(&Applied::PriceMax(400_000), Lang::En), "up to MX$400,000");
        assert_eq!(applied_label(&Applied::Transmission("AUTOMATIC".into()), Lang::Es), "Automática");
        assert_eq!(applied_label(&Applied::Make("mercedes-benz".into()), Lang::En), "Mercedes-Benz");
    }
}
