//! A buyer's own things: favourites and saved searches.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::cards::wire_name;
use super::search::{PAGE_SIZE, applied_filters, applied_label, search_input};
use super::search_params::{Applied, SearchParams};
use crate::edge::operations::{self, search_page};
use crate::edge::reshape;
use crate::error::PageError;
use crate::posted::{NoFields, Posted};
use crate::state::SharedState;
use crate::validate;
use crate::views::components::{CardView, NoticeKind, card_grid, empty_state, notice, pager};
use crate::views::form::{FormErrors, csrf_field};
use crate::views::{self, Page};
use crate::visitor::Visitor;

#[derive(serde::Deserialize)]
pub struct ListQuery {
    after: Option<String>,
    saved: Option<String>,
    deleted: Option<String>,
}

pub async fn favourites(
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let lang = visitor.lang;
    let text = lang.text();
    let variables = operations::favourites::Variables { after: query.after.clone() };
    let connection = state.edge.run::<operations::Favourites>(visitor.caller(), variables).await?.favourites;
    let next = connection
        .page_info
        .end_cursor
        .filter(|_| connection.page_info.has_next_page)
        .map(|cursor| (text.search.next_page, format!("/favourites?after={}", crate::error::url_escape(&cursor))));
    let first = query.after.as_ref().map(|_| (text.search.first_page, "/favourites".to_string()));
    let cards: Vec<CardView> = connection.edges.into_iter().map(|edge| CardView::from(edge.node)).collect();
    let content = html! {
        h1 { (text.account.favourites_title) }
        @if cards.is_empty() {
            (empty_state(text.account.favourites_empty, Some((text.search.heading, "/"))))
        } @else {
            (card_grid(&cards, lang, 4))
            (pager(text.search.pagination, first, next))
        }
    };
    Ok(views::render(&state, &visitor, Page::new(text.account.favourites_title.to_string(), content)))
}

/// A saved search as the site's URL for it. Its filters have the fields of a
/// search's applied filters, so one reading serves both.
fn saved_params(saved: &operations::saved_searches::SavedSearchesSavedSearches) -> Result<SearchParams, PageError> {
    let filters: search_page::SearchPageSearchAppliedFilters = reshape(&saved.filters)?;
    Ok(SearchParams::explicit(&applied_filters(&filters), filters.sort.as_ref().map(wire_name)))
}

pub async fn saved_searches(
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let lang = visitor.lang;
    let text = lang.text();
    let searches = state
        .edge
        .run::<operations::SavedSearches>(visitor.caller(), operations::saved_searches::Variables {})
        .await?
        .saved_searches;
    let searches = searches
        .into_iter()
        .map(|saved| saved_params(&saved).map(|params| (saved, params)))
        .collect::<Result<Vec<_>, _>>()?;
    let content = html! {
        h1 { (text.account.saved_title) }
        @if query.saved.is_some() { (notice(text.search.saved, NoticeKind::Success)) }
        @if query.deleted.is_some() { (notice(text.account.saved_deleted, NoticeKind::Success)) }
        @if searches.is_empty() {
            (empty_state(text.account.saved_empty, Some((text.search.heading, "/"))))
        } @else {
            ul.inbox {
                @for (saved, params) in &searches {
                    li.saved-row {
                        a href=(params.href()) {
                            span {
                                strong { (saved.name) }
                                br;
                                span.small {
                                    @let labels: Vec<String> = params_labels(params, lang);
                                    (labels.join(" · "))
                                }
                            }
                            span.small { (text.account.saved_run) " →" }
                        }
                        form.saved-delete method="post" action=(format!("/saved-searches/{}/delete", crate::error::url_escape(&saved.id)))
                            data-confirm=((text.account.saved_delete_confirm)(&saved.name)) {
                            (csrf_field(&visitor.csrf))
                            button.link-button type="submit" aria-label=(format!("{} {}", text.account.saved_delete, saved.name)) {
                                (text.account.saved_delete)
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(views::render(&state, &visitor, Page::new(text.account.saved_title.to_string(), content)))
}

fn params_labels(params: &SearchParams, lang: crate::i18n::Lang) -> Vec<String> {
    let mut applied = Vec::new();
    applied.extend(params.makes.iter().cloned().map(Applied::Make));
    applied.extend(params.models.iter().cloned().map(Applied::Model));
    applied.extend(params.body_types.iter().cloned().map(Applied::BodyType));
    applied.extend(params.transmissions.iter().cloned().map(Applied::Transmission));
    applied.extend(params.fuels.iter().cloned().map(Applied::Fuel));
    applied.extend(params.price_min.map(Applied::PriceMin));
    applied.extend(params.price_max.map(Applied::PriceMax));
    applied.extend(params.year_min.map(Applied::YearMin));
    applied.extend(params.city.clone().map(Applied::City));
    applied.extend(params.keywords.iter().cloned().map(Applied::Keyword));
    applied.iter().map(|filter| applied_label(filter, lang)).collect()
}

#[derive(serde::Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

/// Saves the search in the form's `query` (the search page's own URL).
pub async fn save_search(
    State(state): State<SharedState>,
    visitor: Visitor,
    Posted(form): Posted<SaveForm>,
) -> Result<Response, PageError> {
    let params = SearchParams::from_query(Some(&form.query)).first_page();
    if visitor.session.is_none() {
        return Err(PageError::SignInRequired(params.href()));
    }
    let mut errors = FormErrors::default();
    let name = validate::required(&mut errors, visitor.lang, "name", &form.name, 80);
    if !errors.is_empty() {
        return Err(PageError::BadRequest);
    }
    // The saved search stores what the text is understood as, plus the forced filters.
    let input = reshape(search_input(&params, PAGE_SIZE))?;
    let variables = operations::save_search::Variables { name, input };
    state.edge.run::<operations::SaveSearch>(visitor.caller(), variables).await?;
    Ok(Redirect::to("/saved-searches?saved=1").into_response())
}

/// Deletes one of the buyer's saved searches. Identity of the owner comes from
/// the session's token at catalog: another person's id is NOT_FOUND there.
pub async fn delete_saved_search(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Posted(_): Posted<NoFields>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let variables = operations::delete_saved_search::Variables { id };
    state.edge.run::<operations::DeleteSavedSearch>(visitor.caller(), variables).await?;
    Ok(Redirect::to("/saved-searches?deleted=1").into_response())
}
