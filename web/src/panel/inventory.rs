//! The agency's inventory as a table (`listings(agencyId, status, search, sort,
//! first, after)`): newest first or sorted by price, year or mileage, 50 rows a
//! page through the API's cursor, a filter by status and a search by make, model
//! or VIN, all in the URL (`/inventory?status=PUBLISHED&q=jetta&sort=PRICE_ASC`).
//! Filters and pages are plain links and the search and sort a GET form, so the
//! table works with JavaScript off; with htmx they swap only the table.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, html};
use nds_common::ErrorCode;

use crate::edge::operations::{self, panel_inventory};
use crate::edge::wire_name;
use crate::error::{PageError, path_id, url_escape};
use crate::i18n::format;
use crate::names::car_name;
use crate::state::SharedState;
use crate::views::components::{PhotoView, data_table, empty_state, pager, price, responsive_photo};
use crate::views::form::{Field, FormErrors, InputKind};
use crate::views::{self, Page};
use crate::visitor::Visitor;

const PAGE_SIZE: i64 = 50;
/// The statuses a filter may name, in the order the filters show them.
pub const STATUSES: [&str; 4] = ["DRAFT", "PUBLISHED", "SOLD", "ARCHIVED"];
const THUMBNAIL_SIZES: &str = "96px";
/// catalog's own limit on a search (longer ones are refused on the field).
const MAX_SEARCH_CHARS: usize = 100;
/// The orders the table offers, as the schema spells them; the first is the API's default.
pub const SORTS: [&str; 5] = ["NEWEST", "PRICE_ASC", "PRICE_DESC", "YEAR_DESC", "MILEAGE_ASC"];

type Row = panel_inventory::PanelInventoryListingsEdgesNode;

#[derive(serde::Deserialize, Default)]
pub struct InventoryQuery {
    status: Option<String>,
    /// Words to find by make, model or VIN.
    #[serde(default)]
    q: String,
    /// One of `SORTS`; anything else is newest first.
    sort: Option<String>,
    after: Option<String>,
    /// For staff of several agencies: which one.
    agency: Option<String>,
}

/// `?sort=` as the schema spells it, unless it is the default (newest first).
fn sort_from_query(raw: Option<&str>) -> Option<&'static str> {
    let raw = raw?.trim();
    SORTS.iter().skip(1).copied().find(|sort| sort.eq_ignore_ascii_case(raw))
}

/// `?status=` as the schema spells it; anything else means every status.
fn status_from_query(raw: Option<&str>) -> Option<&'static str> {
    let raw = raw?.trim();
    STATUSES.iter().copied().find(|status| status.eq_ignore_ascii_case(raw))
}

pub fn edit_path(id: &str) -> String {
    format!("/listings/{id}/edit")
}

/// The status badge, coloured per status by site.css.
pub fn status_badge(visitor: &Visitor, status: &str) -> Markup {
    let label = (visitor.text().panel.inventory.status)(status);
    html! { span class=(format!("badge status-{}", status.to_ascii_lowercase())) { (label) } }
}

pub async fn inventory_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<InventoryQuery>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    // An agency's staff have an inventory; group and platform admins read one of
    // the agencies they oversee (catalog decides which cars they see).
    let staff = super::staff_agencies(&visitor);
    let agency_id = match query.agency.as_deref() {
        Some(requested) if !staff.contains(&requested) && super::oversees_agencies(&visitor) => path_id(requested)?,
        // Another agency's staff are refused, never shown their own cars instead.
        requested => super::current_agency(&visitor, requested).ok_or(PageError::Forbidden)?,
    };
    let read_only = !staff.contains(&agency_id.as_str());
    let status = status_from_query(query.status.as_deref());
    let search = query.q.trim().to_string();
    let sort = sort_from_query(query.sort.as_deref());
    let after = query.after.filter(|cursor| !cursor.is_empty());
    let variables = panel_inventory::Variables {
        agency_id: agency_id.clone(),
        status: status.map(|status| panel_inventory::ListingStatus::Other(status.to_string())),
        search: (!search.is_empty()).then(|| search.clone()),
        sort: sort.map(|sort| panel_inventory::SearchSort::Other(sort.to_string())),
        first: PAGE_SIZE,
        after: after.clone(),
    };
    let text = &visitor.text().panel.inventory;
    // A search catalog refuses is shown on its field, over an empty table.
    let mut errors = FormErrors::default();
    let listings = match state.edge.run::<operations::PanelInventory>(visitor.caller(), variables).await {
        Ok(data) => Some(data.listings),
        Err(error) if error.is(ErrorCode::BadUserInput) && !search.is_empty() => {
            errors.field("q", text.search_refused);
            None
        }
        Err(error) => return Err(error.into()),
    };

    // The agency stays in the links only when the URL named it.
    let agency_param = query.agency.as_ref().map(|_| format!("agency={}", url_escape(&agency_id)));
    let href = |status: Option<&str>, search: &str, cursor: Option<&str>| {
        let pairs: Vec<String> = [
            status.map(|status| format!("status={status}")),
            (!search.is_empty()).then(|| format!("q={}", url_escape(search))),
            sort.map(|sort| format!("sort={sort}")),
            agency_param.clone(),
            cursor.map(|cursor| format!("after={}", url_escape(cursor))),
        ]
        .into_iter()
        .flatten()
        .collect();
        if pairs.is_empty() { "/inventory".to_string() } else { format!("/inventory?{}", pairs.join("&")) }
    };
    let new_listing = match &agency_param {
        Some(param) => format!("/listings/new?{param}"),
        None => "/listings/new".to_string(),
    };
    let mut headings =
        vec![text.column_photo, text.column_car, text.column_price, text.column_status, text.column_updated];
    if !read_only {
        headings.push(text.column_actions);
    }
    let first = after.is_some().then(|| (text.first_page, href(status, &search, None)));
    let next = listings.as_ref().and_then(|listings| {
        match (listings.page_info.has_next_page, listings.page_info.end_cursor.as_deref()) {
            (true, Some(cursor)) => Some((text.next_page, href(status, &search, Some(cursor)))),
            _ => None,
        }
    });
    let content = html! {
        div.page-heading {
            h1 { (text.title) }
            @if !read_only { a.button href=(new_listing) { (text.new_listing) } }
        }
        p { (if read_only { text.read_only_intro } else { text.intro }) }
        // The filters and the pager are links: htmx swaps only this region for them
        // (the rows' links open their pages), and the URL keeps the state either way.
        div.inventory #inventory hx-target="#inventory" hx-select="#inventory" hx-swap="outerHTML" {
            form.search-form method="get" action="/inventory" role="search" novalidate hx-boost="true" {
                @if let Some(status) = status { input type="hidden" name="status" value=(status); }
                @if query.agency.is_some() { input type="hidden" name="agency" value=(agency_id); }
                (Field::new("q", text.search_label, InputKind::Search, &search).hint(text.search_hint).max_length(MAX_SEARCH_CHARS).render(&errors))
                (sort_field(&visitor, sort))
                button type="submit" { (text.search_button) }
                @if !search.is_empty() {
                    a href=(href(status, "", None)) { (text.clear_search) }
                }
            }
            nav.filters aria-label=(visitor.text().panel.filter_label) hx-boost="true" {
                span { (visitor.text().panel.filter_label) ": " }
                @for choice in std::iter::once(None).chain(STATUSES.iter().copied().map(Some)) {
                    @let label = choice.map(text.status_filter).unwrap_or(text.all_statuses);
                    @if choice == status {
                        strong aria-current="page" { (label) }
                    } @else {
                        a href=(href(choice, &search, None)) { (label) }
                    }
                    " "
                }
            }
            @if let Some(listings) = &listings {
                p.small role="status" { ((text.count)(listings.total_count)) }
                @if listings.edges.is_empty() {
                    @if !search.is_empty() {
                        (empty_state(&(text.empty_search)(&search), None))
                    } @else if status.is_none() && after.is_none() && !read_only {
                        (empty_state(text.empty, Some((text.new_listing, new_listing.as_str()))))
                    } @else {
                        (empty_state(text.empty_status, None))
                    }
                } @else {
                    (data_table(text.caption, &headings, html! {
                        @for edge in &listings.edges { (row(&visitor, &edge.node, read_only)) }
                    }))
                }
            }
            div hx-boost="true" { (pager(text.pages, first.as_ref().map(|(label, link)| (*label, link.clone())), next)) }
        }
    };
    let mut page = Page::new(text.title.to_string(), content);
    page.header_search = false;
    if !errors.is_empty() {
        page = page.status(http::StatusCode::UNPROCESSABLE_ENTITY);
    }
    Ok(views::render(&state, &visitor, page))
}

/// The order of the table: part of the search form, so it travels with the words.
fn sort_field(visitor: &Visitor, current: Option<&str>) -> Markup {
    let text = &visitor.text().search;
    let labels = [
        visitor.text().panel.inventory.sort_newest,
        text.sort_price_asc,
        text.sort_price_desc,
        text.sort_year_desc,
        text.sort_mileage_asc,
    ];
    let current = current.unwrap_or(SORTS[0]);
    html! {
        div.field {
            label for="field-sort" { (text.sort_label) }
            select id="field-sort" name="sort" {
                @for (sort, label) in SORTS.iter().zip(labels) {
                    option value=(sort) selected[*sort == current] { (label) }
                }
            }
        }
    }
}

/// One car; read-only rows (an overseen agency's) name it without the editor's links.
fn row(visitor: &Visitor, car: &Row, read_only: bool) -> Markup {
    let text = &visitor.text().panel.inventory;
    let name = format!("{} {}", car_name(&car.make, &car.model), car.year);
    let status = wire_name(&car.status);
    html! {
        tr id=(format!("listing-{}", car.id)) {
            td.thumb {
                @if let Some(cover) = &car.cover {
                    @let photo = PhotoView {
                        src: cover.src.clone().unwrap_or_default(),
                        srcset_webp: cover.srcset_webp.clone(),
                        srcset_jpeg: cover.srcset_jpeg.clone(),
                        width: cover.width.max(1),
                        height: cover.height.max(1),
                    };
                    (responsive_photo(&photo, &name, THUMBNAIL_SIZES, false))
                } @else {
                    span.no-photo { (text.no_photo) }
                }
            }
            td.car {
                @if read_only { (name) } @else { a href=(edit_path(&car.id)) { (name) } }
            }
            td.price { (price(car.price, &car.currency, visitor.lang)) }
            td.status { (status_badge(visitor, &status)) }
            td.updated data-label=(text.column_updated) { (format::api_date(Some(&car.updated_at), visitor.lang)) }
            @if !read_only {
                td.row-actions {
                    a href=(edit_path(&car.id)) { (text.edit) }
                    " · "
                    a href=(format!("/listings/{}/photos", car.id)) { (text.photos) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sort_reads_the_schema_names_and_newest_is_the_default() {
        assert_eq!(sort_from_query(Some("PRICE_ASC")), Some("PRICE_ASC"));
        assert_eq!(sort_from_query(Some("year_desc")), Some("YEAR_DESC"));
        assert_eq!(sort_from_query(Some("NEWEST")), None);
        assert_eq!(sort_from_query(Some("RELEVANCE")), None);
        assert_eq!(sort_from_query(None), None);
    }

    #[test]
    fn the_status_filter_reads_the_schema_names_and_ignores_the_rest() {
        assert_eq!(status_from_query(Some("PUBLISHED")), Some("PUBLISHED"));
        assert_eq!(status_from_query(Some("sold")), Some("SOLD"));
        assert_eq!(status_from_query(Some("")), None);
        assert_eq!(status_from_query(Some("DELETED")), None);
        assert_eq!(status_from_query(None), None);
    }
}
