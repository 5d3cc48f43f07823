//! The query every backend answers with the same semantics.

use nds_common::vehicle::{SearchFilters, SearchSort};
use uuid::Uuid;

use super::ListingCard;
use super::facets::Facet;

/// Which of the two passes of a search this query is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryPass {
    /// Listings whose promotion is active at `now_unix` (promoted_until > now),
    /// ranked by promotion rank (desc) then relevance; `sort` is ignored.
    Promoted { now_unix: i64 },
    /// The relevant results in the requested sort.
    Results,
}

/// One query to an index backend.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexQuery {
    /// Structured filters; `filters.keywords` are matched full-text (each keyword
    /// must match make, model, trim, description or attributes in English or
    /// Spanish analysis).
    pub filters: SearchFilters,
    pub sort: SearchSort,
    pub pass: QueryPass,
    pub offset: usize,
    pub limit: usize,
    /// Ids left out of the hits and the total (the promoted ones), but not of the facets.
    pub exclude_ids: Vec<Uuid>,
    pub with_facets: bool,
}

impl IndexQuery {
    pub fn results(filters: SearchFilters, sort: SearchSort, offset: usize, limit: usize) -> Self {
        IndexQuery {
            filters,
            sort,
            pass: QueryPass::Results,
            offset,
            limit,
            exclude_ids: Vec::new(),
            with_facets: false,
        }
    }

    pub fn promoted(filters: SearchFilters, now_unix: i64, limit: usize) -> Self {
        IndexQuery {
            filters,
            sort: SearchSort::Relevance,
            pass: QueryPass::Promoted { now_unix },
            offset: 0,
            limit,
            exclude_ids: Vec::new(),
            with_facets: false,
        }
    }

    /// Keywords as given, trimmed, empties dropped.
    pub fn keywords(&self) -> impl Iterator<Item = &str> {
        self.filters.keywords.iter().map(|keyword| keyword.trim()).filter(|keyword| !keyword.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexHit {
    pub id: Uuid,
    pub score: f32,
    /// Empty when the document was indexed without one (an index older than cards).
    pub card: ListingCard,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndexPage {
    pub hits: Vec<IndexHit>,
    /// Matching documents, excluded ids not counted.
    pub total: u64,
    /// Empty unless asked for.
    pub facets: Vec<Facet>,
}
