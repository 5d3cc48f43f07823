//! The search use case: understand the text, merge forced filters (they win),
//! run the promoted pass and the results pass, answer with facets and the
//! filters applied. Popular queries are served from the cache, keyed by the
//! normalised request and the index generation so any index change misses.

pub mod jobs;

use std::sync::Arc;
use std::time::Duration;

use nds_common::auth::Principal;
use nds_common::auth::principal::require_principal;
use nds_common::cache::SharedCache;
use nds_common::grpc::CallContext;
use nds_common::vehicle::{SearchFilters, SearchSort, fold};
use nds_common::{ApiError, ErrorCode};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::cursor::MAX_OFFSET;
use crate::domain::{Facet, IndexHit, IndexQuery, ListingCard, PageCursor};
use crate::error::SearchError;
use crate::index::SharedIndex;
use crate::indexer::GENERATION_CACHE_KEY;
use crate::interpret::QueryUnderstanding;
use crate::store::feed_cursor;

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;
pub const MAX_PROMOTED: usize = 2;
pub const MAX_TEXT_CHARS: usize = 500;
const MAX_LIST_VALUES: usize = 30;
const MAX_VALUE_CHARS: usize = 80;
/// Cached answers also expire on their own: promotions end without an index change.
const CACHE_TTL: Duration = Duration::from_secs(30);

/// A validated search request.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchInput {
    pub text: String,
    pub forced: SearchFilters,
    pub sort: Option<SearchSort>,
    pub first: usize,
    pub after: Option<PageCursor>,
    pub locale: Option<String>,
}

impl SearchInput {
    /// Validates what a caller sent; every rejection names its field.
    pub fn parse(
        text: &str,
        forced: SearchFilters,
        sort: Option<SearchSort>,
        first: u32,
        after: &str,
        locale: &str,
    ) -> Result<SearchInput, SearchError> {
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(SearchError::invalid("text", format!("at most {MAX_TEXT_CHARS} characters")));
        }
        let first = match first as usize {
            0 => DEFAULT_PAGE_SIZE,
            size if size > MAX_PAGE_SIZE => {
                return Err(SearchError::invalid("page.first", format!("at most {MAX_PAGE_SIZE}")));
            }
            size => size,
        };
        let after = match after.trim() {
            "" => None,
            cursor => Some(
                PageCursor::decode(cursor)
                    .ok_or_else(|| SearchError::invalid("page.after", "not a cursor from this search"))?,
            ),
        };
        let locale = match locale.trim() {
            "" => None,
            "es" | "en" => Some(locale.trim().to_string()),
            _ => return Err(SearchError::invalid("locale", "expected \"es\", \"en\" or empty")),
        };
        validate_filters(&forced)?;
        Ok(SearchInput { text: text.trim().to_string(), forced, sort, first, after, locale })
    }
}

fn validate_filters(filters: &SearchFilters) -> Result<(), SearchError> {
    let lists: [(&'static str, &Vec<String>); 4] = [
        ("filters.makes", &filters.makes),
        ("filters.models", &filters.models),
        ("filters.colors", &filters.colors),
        ("filters.keywords", &filters.keywords),
    ];
    for (field, values) in lists {
        if values.len() > MAX_LIST_VALUES {
            return Err(SearchError::invalid(field, format!("at most {MAX_LIST_VALUES} values")));
        }
        if values.iter().any(|value| value.trim().is_empty() || value.chars().count() > MAX_VALUE_CHARS) {
            return Err(SearchError::invalid(field, format!("values must be 1 to {MAX_VALUE_CHARS} characters")));
        }
    }
    if filters.city.as_ref().is_some_and(|city| city.trim().is_empty() || city.chars().count() > MAX_VALUE_CHARS) {
        return Err(SearchError::invalid("filters.city", format!("must be 1 to {MAX_VALUE_CHARS} characters")));
    }
    for (field, year) in [("filters.year_min", filters.year_min), ("filters.year_max", filters.year_max)] {
        if year.is_some_and(|year| !(1900..=2100).contains(&year)) {
            return Err(SearchError::invalid(field, "a year between 1900 and 2100"));
        }
    }
    if let (Some(min), Some(max)) = (filters.year_min, filters.year_max)
        && min > max
    {
        return Err(SearchError::invalid("filters.year_min", "greater than year_max"));
    }
    for (field, value) in [
        ("filters.price_min", filters.price_min),
        ("filters.price_max", filters.price_max),
        ("filters.mileage_max", filters.mileage_max),
    ] {
        if value.is_some_and(|value| value < 0) {
            return Err(SearchError::invalid(field, "must not be negative"));
        }
    }
    if let (Some(min), Some(max)) = (filters.price_min, filters.price_max)
        && min > max
    {
        return Err(SearchError::invalid("filters.price_min", "greater than price_max"));
    }
    Ok(())
}

/// The answer to one search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchOutput {
    pub promoted: Vec<HitOut>,
    pub results: Vec<HitOut>,
    pub has_next_page: bool,
    pub end_cursor: String,
    pub total_count: u64,
    pub applied_filters: SearchFilters,
    pub facets: Vec<FacetOut>,
    /// Who understood the text ("chat:rules", "local-rules", "none").
    pub understood_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HitOut {
    pub listing_id: Uuid,
    pub score: f32,
    pub card: ListingCard,
}

impl From<IndexHit> for HitOut {
    fn from(hit: IndexHit) -> Self {
        HitOut { listing_id: hit.id, score: hit.score, card: hit.card }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FacetOut {
    pub field: String,
    pub values: Vec<(String, u64)>,
}

impl From<Facet> for FacetOut {
    fn from(facet: Facet) -> Self {
        FacetOut {
            field: facet.field,
            values: facet.values.into_iter().map(|value| (value.value, value.count)).collect(),
        }
    }
}

pub struct SearchService {
    index: SharedIndex,
    understanding: Arc<dyn QueryUnderstanding>,
    cache: SharedCache,
    /// The search database: the feed cursor the index status reports.
    database: DatabaseConnection,
}

/// What platform admins and internal tools see of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexStatus {
    pub documents: u64,
    pub feed_sequence: i64,
    pub backend: &'static str,
    pub physical_index: String,
}

impl SearchService {
    pub fn new(
        index: SharedIndex,
        understanding: Arc<dyn QueryUnderstanding>,
        cache: SharedCache,
        database: DatabaseConnection,
    ) -> Self {
        Self { index, understanding, cache, database }
    }

    /// The index's size, backend, physical index and feed position: platform admins only.
    pub async fn index_status(&self, principal: Option<&Principal>) -> Result<IndexStatus, SearchError> {
        let principal = require_principal(principal)?;
        if !principal.is_platform_admin() {
            return Err(
                ApiError::new(ErrorCode::Forbidden, "index status is for platform admins and internal tools").into()
            );
        }
        let cursor = feed_cursor::load(&self.database, &self.index.consumer_name()).await?;
        Ok(IndexStatus {
            documents: self.index.count().await?,
            feed_sequence: cursor.map_or(0, |cursor| cursor.sequence),
            backend: self.index.backend_name(),
            physical_index: self.index.physical_name().await?,
        })
    }

    pub fn index(&self) -> &SharedIndex {
        &self.index
    }

    pub async fn search(
        &self,
        input: &SearchInput,
        context: &CallContext,
        now_unix: i64,
    ) -> Result<SearchOutput, SearchError> {
        let cache_key = self.cache_key(input).await;
        if let Some(key) = &cache_key
            && let Some(bytes) = self.cache.get(key).await
            && let Ok(cached) = serde_json::from_slice::<SearchOutput>(&bytes)
        {
            return Ok(cached);
        }
        let output = self.search_uncached(input, context, now_unix).await?;
        if let Some(key) = cache_key
            && let Ok(bytes) = serde_json::to_vec(&output)
        {
            // The caller need not wait for the cache: its answer is ready.
            let cache = self.cache.clone();
            tokio::spawn(async move { cache.set(&key, &bytes, CACHE_TTL).await });
        }
        Ok(output)
    }

    async fn search_uncached(
        &self,
        input: &SearchInput,
        context: &CallContext,
        now_unix: i64,
    ) -> Result<SearchOutput, SearchError> {
        let (interpreted, understood_by) = if input.text.is_empty() {
            (SearchFilters::default(), "none".to_string())
        } else {
            let understood = self.understanding.understand(&input.text, input.locale.as_deref(), context).await;
            (understood.filters, understood.source)
        };
        let mut applied = interpreted.merge_forced(&input.forced);
        let sort = input.sort.or(applied.sort).unwrap_or(SearchSort::Relevance);
        applied.sort = Some(sort);

        let promoted = self.index.search(&IndexQuery::promoted(applied.clone(), now_unix, MAX_PROMOTED)).await?.hits;
        let offset = input.after.map_or(0, |cursor| cursor.offset);
        let mut results_query = IndexQuery::results(applied.clone(), sort, offset, input.first);
        results_query.exclude_ids = promoted.iter().map(|hit| hit.id).collect();
        results_query.with_facets = true;
        let page = self.index.search(&results_query).await?;

        let next_offset = offset + page.hits.len();
        let has_next_page = (next_offset as u64) < page.total && next_offset <= MAX_OFFSET;
        let end_cursor = if page.hits.is_empty() { String::new() } else { PageCursor { offset: next_offset }.encode() };
        Ok(SearchOutput {
            promoted: promoted.into_iter().map(HitOut::from).collect(),
            results: page.hits.into_iter().map(HitOut::from).collect(),
            has_next_page,
            end_cursor,
            total_count: page.total,
            applied_filters: applied,
            facets: page.facets.into_iter().map(FacetOut::from).collect(),
            understood_by,
        })
    }

    /// `None` (no caching) when the cache cannot say which index generation is current.
    async fn cache_key(&self, input: &SearchInput) -> Option<String> {
        let shared_generation = self.cache.increment(GENERATION_CACHE_KEY, 0).await?;
        let normalised_text = fold(&input.text).split_whitespace().collect::<Vec<_>>().join(" ");
        let request = serde_json::json!({
            "text": normalised_text,
            "forced": input.forced,
            "sort": input.sort,
            "first": input.first,
            "offset": input.after.map_or(0, |cursor| cursor.offset),
            "locale": input.locale,
        });
        let digest = hex::encode(Sha256::digest(request.to_string().as_bytes()));
        Some(format!(
            "search:result:v2:{}:{}:{}:{digest}",
            self.index.backend_name(),
            shared_generation,
            self.index.generation()
        ))
    }
}
