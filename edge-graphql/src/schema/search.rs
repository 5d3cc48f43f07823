//! `search`: one query, free text plus forced filters, answered with promoted
//! slots, results, facets and the filters applied (svc-search).

use async_graphql::{Context, InputObject, Object, SimpleObject};
use nds_common::convert::{filters_from_wire, filters_to_wire, sort_to_wire};
use nds_common::vehicle;
use nds_proto::chat::v1::InterpretQueryRequest;
use nds_proto::search::v1 as search;

use super::catalog::{Listing, ListingConnection, ListingEdge};
use super::interpret::MAX_QUERY_TEXT_CHARS;
use super::paging::{connection_cost, page_info, page_request};
use super::vocabulary::{SearchFilters, SearchFiltersInput, SearchSort};
use crate::clients::clients;
use crate::context::request_context;
use crate::error::{GrpcResultExt, bad_input, graphql_error};
use crate::expensive::{Work, expensive};
use crate::loaders::fetch_listings;

#[derive(InputObject, Clone, Default)]
pub struct SearchInput {
    /// Natural language, English or Spanish.
    pub text: Option<String>,
    /// Forced filters: they win over what the text says.
    pub filters: Option<SearchFiltersInput>,
    pub sort: Option<SearchSort>,
    pub first: Option<i32>,
    pub after: Option<String>,
}

impl SearchInput {
    fn validated_text(&self) -> async_graphql::Result<String> {
        let text = self.text.clone().unwrap_or_default();
        if text.chars().count() > MAX_QUERY_TEXT_CHARS {
            return Err(bad_input("input.text", format!("at most {MAX_QUERY_TEXT_CHARS} characters")));
        }
        Ok(text)
    }

    fn forced(&self) -> vehicle::SearchFilters {
        self.filters.clone().map(SearchFiltersInput::into_domain).unwrap_or_default()
    }
}

/// The filters a search input stands for: the text as chat understands it, with
/// the forced filters winning (used by `saveSearch`).
pub async fn understood_filters(
    context: &Context<'_>,
    input: &SearchInput,
) -> async_graphql::Result<vehicle::SearchFilters> {
    let text = input.validated_text()?;
    let mut understood = vehicle::SearchFilters::default();
    if !text.trim().is_empty() {
        let request = request_context(context)?;
        let message = InterpretQueryRequest { text, locale: String::new() };
        let response = clients(context)?.chat().interpret_query(request.call.request(message)).await.or_graphql()?;
        understood = filters_from_wire(&response.filters.unwrap_or_default()).map_err(graphql_error)?;
    }
    let mut filters = understood.merge_forced(&input.forced());
    if let Some(sort) = input.sort {
        filters.sort = Some(sort.into());
    }
    Ok(filters)
}

#[derive(SimpleObject, Clone)]
pub struct FacetValue {
    pub value: String,
    pub count: i64,
}

/// Counts per value of one field over the matching listings.
#[derive(SimpleObject, Clone)]
pub struct Facet {
    /// "make", "body_type", "fuel", "transmission" or "price_band".
    pub field: String,
    pub values: Vec<FacetValue>,
}

pub struct SearchResult {
    promoted: Vec<Listing>,
    results: ListingConnection,
    applied_filters: SearchFilters,
    facets: Vec<Facet>,
}

/// The cards of both passes, in the index's order. Hits carry the public card
/// as indexed, so a page usually needs no catalog call; catalog is asked (once,
/// for both passes) for hits without one, and for every hit when a signed-in
/// caller asks for `viewCount`, which cards leave out and only an agency may
/// read. A listing catalog no longer shows the caller is skipped.
async fn hydrate(
    context: &Context<'_>,
    promoted_hits: Vec<search::SearchHit>,
    result_hits: Vec<search::SearchHit>,
) -> async_graphql::Result<(Vec<Listing>, Vec<Listing>)> {
    let wanted = context.look_ahead();
    let (promoted_node, result_node) = (wanted.field("promoted"), wanted.field("results").field("edges").field("node"));
    if !promoted_node.exists() && !result_node.exists() {
        return Ok((Vec::new(), Vec::new()));
    }
    let request = request_context(context)?;
    let private_wanted = request.bearer_token.is_some()
        && (promoted_node.field("viewCount").exists() || result_node.field("viewCount").exists());
    let from_catalog = |hit: &search::SearchHit| private_wanted || hit.listing.is_none();
    let missing: Vec<String> = promoted_hits
        .iter()
        .chain(&result_hits)
        .filter(|hit| from_catalog(hit))
        .map(|hit| hit.listing_id.clone())
        .collect();
    let mut found = if missing.is_empty() {
        Default::default()
    } else {
        fetch_listings(clients(context)?, &request.call, missing).await?
    };
    let mut take = |hits: Vec<search::SearchHit>| {
        hits.into_iter()
            .filter_map(|hit| if from_catalog(&hit) { found.remove(&hit.listing_id) } else { hit.listing })
            .map(Listing)
            .collect::<Vec<_>>()
    };
    let promoted = take(promoted_hits);
    Ok((promoted, take(result_hits)))
}

#[Object]
impl SearchResult {
    /// At most 2, matching the filters, ranked by promotion.
    async fn promoted(&self) -> &[Listing] {
        &self.promoted
    }

    /// Relevant results, without the promoted ones.
    async fn results(&self) -> &ListingConnection {
        &self.results
    }

    /// What the search applied: the text's interpretation merged with the forced filters.
    async fn applied_filters(&self) -> &SearchFilters {
        &self.applied_filters
    }

    async fn facets(&self) -> &[Facet] {
        &self.facets
    }
}

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Search published listings in plain English or Spanish plus forced filters.
    #[graphql(
        complexity = "connection_cost(input.first, child_complexity)",
        directive = expensive::apply(Work::TextInterpretation)
    )]
    async fn search(&self, context: &Context<'_>, input: SearchInput) -> async_graphql::Result<SearchResult> {
        let request = request_context(context)?;
        let message = search::SearchRequest {
            text: input.validated_text()?,
            filters: Some(filters_to_wire(&input.forced())),
            sort: sort_to_wire(input.sort.map(Into::into)) as i32,
            page: Some(page_request(input.first, input.after.clone())?),
            locale: String::new(),
        };
        let response = clients(context)?.search().search(request.call.request(message)).await.or_graphql()?;
        let (page_info, total_count) = page_info(response.page_info.as_ref());
        let applied = filters_from_wire(&response.applied_filters.unwrap_or_default()).map_err(graphql_error)?;
        let (promoted, results) = hydrate(context, response.promoted, response.results).await?;
        let edges = results.into_iter().map(|listing| ListingEdge { cursor: listing.0.id.clone(), node: listing });
        Ok(SearchResult {
            promoted,
            results: ListingConnection { edges: edges.collect(), page_info, total_count },
            applied_filters: applied.into(),
            facets: response
                .facets
                .into_iter()
                .map(|facet| Facet {
                    field: facet.field,
                    values: facet
                        .values
                        .into_iter()
                        .map(|value| FacetValue {
                            value: value.value,
                            count: i64::try_from(value.count).unwrap_or(i64::MAX),
                        })
                        .collect(),
                })
                .collect(),
        })
    }
}
