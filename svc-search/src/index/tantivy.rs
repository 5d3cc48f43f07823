//! The embedded index: tantivy on disk under `<data_dir>/search`.
//!
//! Layout: `INSTANCE` (this index lineage's id, names its feed cursor),
//! `CURRENT` (the served physical index directory) and one directory per
//! physical index. A rebuild writes a fresh directory, then swaps `CURRENT`
//! atomically (write + rename) and the in-memory handle under a lock.
//!
//! Filters and sorts read fast fields; text is indexed three times (plain
//! folded, Spanish-stemmed, English-stemmed) so "camionetas" finds "camioneta"
//! and "trucks" finds "truck", accents or not. Removed listings stay as
//! tombstones (`live = 0`) carrying their version, which is what makes a stale
//! replay a no-op.

use std::collections::HashMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use async_trait::async_trait;
use nds_common::vehicle::{SearchSort, fold};
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::{AggContextParams, AggregationCollector};
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery, TermSetQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};
use tantivy::{
    DocAddress, DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher, SegmentReader, TantivyDocument,
    Term,
};
use uuid::Uuid;

use super::{ApplyOutcome, IndexRebuild, SearchIndex};
use crate::domain::facets::{aggregations_request, facets_from_aggregations};
use crate::domain::{IndexChange, IndexHit, IndexPage, IndexQuery, ListingCard, ListingDoc, QueryPass};
use crate::error::SearchError;

/// The writer's memory budget: one indexing thread (the machine is small), 32 MB.
const WRITER_MEMORY_BYTES: usize = 32_000_000;

const TOKENIZER_PLAIN: &str = "nds_plain";
const TOKENIZER_SPANISH: &str = "nds_es";
const TOKENIZER_ENGLISH: &str = "nds_en";
/// The text fields, each with its analyzer.
const TEXT_FIELDS: [(&str, &str); 3] =
    [("text", TOKENIZER_PLAIN), ("text_es", TOKENIZER_SPANISH), ("text_en", TOKENIZER_ENGLISH)];

fn build_schema() -> Schema {
    let mut builder = Schema::builder();
    builder.add_text_field("id", STRING);
    builder.add_u64_field("id_hi", FAST);
    builder.add_u64_field("id_lo", FAST);
    builder.add_u64_field("live", INDEXED | FAST);
    builder.add_i64_field("version", FAST);
    for keyword in ["agency_id", "make", "model", "color", "city", "body_type", "fuel", "transmission", "condition"] {
        builder.add_text_field(keyword, STRING | FAST);
    }
    for number in ["year", "price", "mileage", "published_at", "promoted_until", "promotion_rank"] {
        builder.add_i64_field(number, INDEXED | FAST);
    }
    for (name, tokenizer) in TEXT_FIELDS {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        builder.add_text_field(name, TextOptions::default().set_indexing_options(indexing));
    }
    // The only stored field: hits carry it back (the rest is read from fast fields).
    builder.add_bytes_field("card", STORED);
    builder.build()
}

/// Lower-case, stem (before folding: the Snowball stemmers expect accents), fold.
fn analyzer(language: Option<Language>) -> TextAnalyzer {
    let builder =
        TextAnalyzer::builder(SimpleTokenizer::default()).filter(RemoveLongFilter::limit(40)).filter(LowerCaser);
    match language {
        Some(language) => builder.filter(Stemmer::new(language)).filter(AsciiFoldingFilter).build(),
        None => builder.filter(AsciiFoldingFilter).build(),
    }
}

fn register_tokenizers(index: &Index) {
    index.tokenizers().register(TOKENIZER_PLAIN, analyzer(None));
    index.tokenizers().register(TOKENIZER_SPANISH, analyzer(Some(Language::Spanish)));
    index.tokenizers().register(TOKENIZER_ENGLISH, analyzer(Some(Language::English)));
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    id_hi: Field,
    id_lo: Field,
    live: Field,
    version: Field,
    agency_id: Field,
    make: Field,
    model: Field,
    color: Field,
    city: Field,
    body_type: Field,
    fuel: Field,
    transmission: Field,
    condition: Field,
    year: Field,
    price: Field,
    mileage: Field,
    published_at: Field,
    promoted_until: Field,
    promotion_rank: Field,
    text: [Field; 3],
    card: Field,
}

impl Fields {
    fn from_schema(schema: &Schema) -> Result<Fields, SearchError> {
        let field = |name: &str| {
            schema.get_field(name).map_err(|_| SearchError::Index(format!("index schema lacks field {name}")))
        };
        Ok(Fields {
            id: field("id")?,
            id_hi: field("id_hi")?,
            id_lo: field("id_lo")?,
            live: field("live")?,
            version: field("version")?,
            agency_id: field("agency_id")?,
            make: field("make")?,
            model: field("model")?,
            color: field("color")?,
            city: field("city")?,
            body_type: field("body_type")?,
            fuel: field("fuel")?,
            transmission: field("transmission")?,
            condition: field("condition")?,
            year: field("year")?,
            price: field("price")?,
            mileage: field("mileage")?,
            published_at: field("published_at")?,
            promoted_until: field("promoted_until")?,
            promotion_rank: field("promotion_rank")?,
            text: [field("text")?, field("text_es")?, field("text_en")?],
            card: field("card")?,
        })
    }
}

/// One physical index directory, open for reading and writing.
struct Physical {
    name: String,
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    /// Versions written since the last commit (the reader cannot see them yet).
    pending: Mutex<HashMap<Uuid, i64>>,
    fields: Fields,
}

fn lock_error<T>(_: T) -> SearchError {
    SearchError::Index("an index lock was poisoned by a panicking thread".into())
}

impl Physical {
    fn open_or_create(directory: &Path, name: &str) -> Result<Physical, SearchError> {
        std::fs::create_dir_all(directory).map_err(SearchError::index)?;
        let index = match Physical::open_existing(directory)? {
            Some(index) => index,
            None => Index::create_in_dir(directory, build_schema())?,
        };
        register_tokenizers(&index);
        let fields = Fields::from_schema(&index.schema())?;
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Physical {
            name: name.to_string(),
            index,
            reader,
            writer: Mutex::new(writer),
            pending: Mutex::new(HashMap::new()),
            fields,
        })
    }

    /// The index in `directory`, unless there is none or it was built with another
    /// schema (an older release): that one is emptied, and the indexer, finding an
    /// empty index behind a saved cursor, rebuilds it from catalog.
    fn open_existing(directory: &Path) -> Result<Option<Index>, SearchError> {
        if !directory.join("meta.json").exists() {
            return Ok(None);
        }
        let index = Index::open_in_dir(directory)?;
        if index.schema() == build_schema() {
            return Ok(Some(index));
        }
        tracing::warn!(directory = %directory.display(), "index built with another schema; emptied for a rebuild");
        drop(index);
        std::fs::remove_dir_all(directory).map_err(SearchError::index)?;
        std::fs::create_dir_all(directory).map_err(SearchError::index)?;
        Ok(None)
    }

    fn id_term(&self, id: Uuid) -> Term {
        Term::from_field_text(self.fields.id, &id.to_string())
    }

    /// The version the index holds for `id` (tombstones included), uncommitted writes first.
    fn current_version(&self, id: Uuid) -> Result<Option<i64>, SearchError> {
        if let Some(version) = self.pending.lock().map_err(lock_error)?.get(&id) {
            return Ok(Some(*version));
        }
        let searcher = self.reader.searcher();
        let query = TermQuery::new(self.id_term(id), IndexRecordOption::Basic);
        let addresses = searcher.search(&query, &DocSetCollector)?;
        let mut newest: Option<i64> = None;
        for address in addresses {
            let column = searcher.segment_reader(address.segment_ord).fast_fields().i64("version")?;
            if let Some(version) = column.first(address.doc_id) {
                newest = Some(newest.map_or(version, |known| known.max(version)));
            }
        }
        Ok(newest)
    }

    fn document(&self, change: &IndexChange) -> TantivyDocument {
        let fields = &self.fields;
        let id = change.listing_id();
        let (hi, lo) = id.as_u64_pair();
        let mut document = TantivyDocument::default();
        document.add_text(fields.id, id.to_string());
        document.add_u64(fields.id_hi, hi);
        document.add_u64(fields.id_lo, lo);
        document.add_i64(fields.version, change.version());
        let IndexChange::Upsert(listing) = change else {
            document.add_u64(fields.live, 0);
            return document;
        };
        document.add_u64(fields.live, 1);
        document.add_text(fields.agency_id, listing.agency_id.to_string());
        document.add_text(fields.make, &listing.make);
        document.add_text(fields.model, &listing.model);
        document.add_text(fields.color, &listing.color);
        document.add_text(fields.city, &listing.city);
        if let Some(body_type) = listing.body_type {
            document.add_text(fields.body_type, body_type.as_str());
        }
        if let Some(fuel) = listing.fuel {
            document.add_text(fields.fuel, fuel.as_str());
        }
        if let Some(transmission) = listing.transmission {
            document.add_text(fields.transmission, transmission.as_str());
        }
        if let Some(condition) = listing.condition {
            document.add_text(fields.condition, condition.as_str());
        }
        document.add_i64(fields.year, i64::from(listing.year));
        document.add_i64(fields.price, listing.price_minor);
        document.add_i64(fields.mileage, listing.mileage_km);
        document.add_i64(fields.published_at, listing.published_at_unix);
        // Not promoted = promoted until the epoch: one range query covers both.
        document.add_i64(fields.promoted_until, listing.promoted_until_unix.unwrap_or(0));
        document.add_i64(fields.promotion_rank, i64::from(listing.promotion_rank));
        let text = listing.full_text();
        for field in fields.text {
            document.add_text(field, &text);
        }
        if !listing.card.is_empty() {
            document.add_bytes(fields.card, listing.card.as_bytes());
        }
        document
    }

    /// Writes a change without checking versions (fresh rebuilds) or after the check.
    fn write(&self, change: &IndexChange) -> Result<(), SearchError> {
        let document = self.document(change);
        let writer = self.writer.lock().map_err(lock_error)?;
        writer.delete_term(self.id_term(change.listing_id()));
        writer.add_document(document)?;
        self.pending.lock().map_err(lock_error)?.insert(change.listing_id(), change.version());
        Ok(())
    }

    fn apply(&self, changes: &[IndexChange]) -> Result<ApplyOutcome, SearchError> {
        let mut outcome = ApplyOutcome::default();
        for change in changes {
            let newer_known = self.current_version(change.listing_id())?.is_some_and(|known| known >= change.version());
            if newer_known {
                outcome.stale += 1;
                continue;
            }
            self.write(change)?;
            outcome.applied += 1;
        }
        Ok(outcome)
    }

    fn commit(&self) -> Result<(), SearchError> {
        let mut pending = self.pending.lock().map_err(lock_error)?;
        self.writer.lock().map_err(lock_error)?.commit()?;
        self.reader.reload()?;
        // Cleared only once the reader sees the commit, so version checks never miss a write.
        pending.clear();
        Ok(())
    }

    fn count(&self, live_only: bool) -> Result<u64, SearchError> {
        let searcher = self.reader.searcher();
        if !live_only {
            return Ok(searcher.num_docs());
        }
        let query = TermQuery::new(Term::from_field_u64(self.fields.live, 1), IndexRecordOption::Basic);
        Ok(searcher.search(&query, &Count)? as u64)
    }

    fn keyword_query(&self, keyword: &str) -> Option<Box<dyn Query>> {
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, (_, tokenizer_name)) in self.fields.text.iter().zip(TEXT_FIELDS) {
            let Some(mut tokenizer) = self.index.tokenizers().get(tokenizer_name) else {
                continue;
            };
            let mut stream = tokenizer.token_stream(keyword);
            while let Some(token) = stream.next() {
                let term = Term::from_field_text(*field, &token.text);
                alternatives.push((Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))));
            }
        }
        (!alternatives.is_empty()).then(|| Box::new(BooleanQuery::new(alternatives)) as Box<dyn Query>)
    }

    fn build_query(&self, query: &IndexQuery, with_exclusions: bool) -> Box<dyn Query> {
        let fields = &self.fields;
        let filters = &query.filters;
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let term_set =
            |field: Field, values: Vec<String>| any_of(values.iter().map(|value| Term::from_field_text(field, value)));
        let i64_range = |field: Field, low: Bound<i64>, high: Bound<i64>| -> Box<dyn Query> {
            let term = |value: i64| Term::from_field_i64(field, value);
            Box::new(RangeQuery::new(low.map(term), high.map(term)))
        };
        must.push((
            Occur::Must,
            Box::new(TermQuery::new(Term::from_field_u64(fields.live, 1), IndexRecordOption::Basic)),
        ));
        let folded = |values: &[String]| values.iter().map(|value| fold(value.trim())).collect::<Vec<_>>();
        if !filters.makes.is_empty() {
            must.push((Occur::Must, term_set(fields.make, folded(&filters.makes))));
        }
        if !filters.models.is_empty() {
            must.push((Occur::Must, term_set(fields.model, folded(&filters.models))));
        }
        if !filters.colors.is_empty() {
            must.push((Occur::Must, term_set(fields.color, folded(&filters.colors))));
        }
        if let Some(city) = &filters.city {
            must.push((Occur::Must, term_set(fields.city, vec![fold(city.trim())])));
        }
        let names = |values: Vec<&'static str>| values.into_iter().map(str::to_string).collect::<Vec<_>>();
        if !filters.body_types.is_empty() {
            must.push((
                Occur::Must,
                term_set(fields.body_type, names(filters.body_types.iter().map(|v| v.as_str()).collect())),
            ));
        }
        if !filters.fuels.is_empty() {
            must.push((Occur::Must, term_set(fields.fuel, names(filters.fuels.iter().map(|v| v.as_str()).collect()))));
        }
        if !filters.transmissions.is_empty() {
            must.push((
                Occur::Must,
                term_set(fields.transmission, names(filters.transmissions.iter().map(|v| v.as_str()).collect())),
            ));
        }
        if !filters.conditions.is_empty() {
            must.push((
                Occur::Must,
                term_set(fields.condition, names(filters.conditions.iter().map(|v| v.as_str()).collect())),
            ));
        }
        let bound_from = |value: Option<i64>| value.map_or(Bound::Unbounded, Bound::Included);
        if filters.year_min.is_some() || filters.year_max.is_some() {
            must.push((
                Occur::Must,
                i64_range(
                    fields.year,
                    bound_from(filters.year_min.map(i64::from)),
                    bound_from(filters.year_max.map(i64::from)),
                ),
            ));
        }
        if filters.price_min.is_some() || filters.price_max.is_some() {
            must.push((
                Occur::Must,
                i64_range(fields.price, bound_from(filters.price_min), bound_from(filters.price_max)),
            ));
        }
        if let Some(mileage_max) = filters.mileage_max {
            must.push((Occur::Must, i64_range(fields.mileage, Bound::Unbounded, Bound::Included(mileage_max))));
        }
        if let QueryPass::Promoted { now_unix } = query.pass {
            must.push((Occur::Must, i64_range(fields.promoted_until, Bound::Excluded(now_unix), Bound::Unbounded)));
        }
        if with_exclusions && !query.exclude_ids.is_empty() {
            // A pure-negative boolean matches nothing, so the exclusion rides with the filters.
            must.push((Occur::MustNot, term_set(fields.id, query.exclude_ids.iter().map(Uuid::to_string).collect())));
        }
        // Filters decide membership only; relevance comes from the keywords alone.
        let filter: Box<dyn Query> = Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::new(must)), 0.0));
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, filter)];
        for keyword in query.keywords() {
            if let Some(keyword_query) = self.keyword_query(keyword) {
                clauses.push((Occur::Must, keyword_query));
            }
        }
        Box::new(BooleanQuery::new(clauses))
    }

    fn stored_card(&self, searcher: &Searcher, address: DocAddress) -> Result<ListingCard, SearchError> {
        let document: TantivyDocument = searcher.doc(address)?;
        let bytes = document.get_first(self.fields.card).and_then(|value| value.as_bytes());
        Ok(bytes.map(|bytes| ListingCard::from_bytes(bytes.to_vec())).unwrap_or_default())
    }

    fn search(&self, query: &IndexQuery) -> Result<IndexPage, SearchError> {
        let searcher = self.reader.searcher();
        let results_query = self.build_query(query, true);
        let sort = match query.pass {
            QueryPass::Promoted { .. } => SortPlan::Promoted,
            QueryPass::Results => SortPlan::Requested(query.sort),
        };
        let top = TopDocs::with_limit(query.limit.max(1)).and_offset(query.offset).tweak_score(
            move |segment: &SegmentReader| {
                let keys = SegmentKeys::new(segment);
                move |doc: DocId, score: Score| keys.sort_key(sort, doc, score)
            },
        );
        let aggregations = if query.with_facets {
            let request: Aggregations = serde_json::from_value(aggregations_request())
                .map_err(|error| SearchError::Index(error.to_string()))?;
            Some(AggregationCollector::from_aggs(request, AggContextParams::default()))
        } else {
            None
        };
        // Facets count the excluded (promoted) listings too. Without exclusions both
        // questions have the same answer set: one pass over it, not two (a broad
        // search at a million listings walks hundreds of thousands of documents).
        let (top_hits, total, aggregated) = match aggregations {
            Some(collector) if query.exclude_ids.is_empty() => {
                let (top_hits, total, aggregated) =
                    searcher.search(results_query.as_ref(), &(top, Count, collector))?;
                (top_hits, total, Some(aggregated))
            }
            Some(collector) => {
                let (top_hits, total) = searcher.search(results_query.as_ref(), &(top, Count))?;
                let facet_query = self.build_query(query, false);
                (top_hits, total, Some(searcher.search(facet_query.as_ref(), &collector)?))
            }
            None => {
                let (top_hits, total) = searcher.search(results_query.as_ref(), &(top, Count))?;
                (top_hits, total, None)
            }
        };
        let hits = if query.limit == 0 {
            Vec::new()
        } else {
            top_hits
                .into_iter()
                .map(|(key, address)| {
                    let card = self.stored_card(&searcher, address)?;
                    Ok(IndexHit { id: Uuid::from_u64_pair(key.3, key.4), score: key.1, card })
                })
                .collect::<Result<_, SearchError>>()?
        };
        let facets = match aggregated {
            Some(results) => {
                let json = serde_json::to_value(results).map_err(|error| SearchError::Index(error.to_string()))?;
                facets_from_aggregations(&json)
            }
            None => Vec::new(),
        };
        Ok(IndexPage { hits, total: total as u64, facets })
    }
}

/// Above this many terms a set query is built as an FST; below, as a disjunction of
/// term queries. Building an FST allocates a large registry each time: with it, the
/// FSTs of a filter and of the two excluded ids were most of a search's CPU (profiled).
const MAX_TERMS_AS_DISJUNCTION: usize = 32;

/// Documents holding any of `terms` (filters only: scoring is ignored by the caller).
fn any_of(terms: impl Iterator<Item = Term>) -> Box<dyn Query> {
    let terms: Vec<Term> = terms.collect();
    if terms.len() > MAX_TERMS_AS_DISJUNCTION {
        return Box::new(TermSetQuery::new(terms));
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .into_iter()
        .map(|term| (Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>))
        .collect();
    match clauses.len() {
        1 => clauses.remove(0).1,
        _ => Box::new(BooleanQuery::new(clauses)),
    }
}

#[derive(Clone, Copy)]
enum SortPlan {
    Promoted,
    Requested(SearchSort),
}

/// (primary, relevance, secondary, id high, id low): compared descending, the id
/// last so equal listings always come in the same order, in any index built from
/// the same listings.
type SortKey = (i64, Score, i64, u64, u64);

type I64Column = Arc<dyn tantivy::columnar::ColumnValues<i64>>;
type U64Column = Arc<dyn tantivy::columnar::ColumnValues<u64>>;

/// A segment's sort columns, resolved once: the key is computed for every matching
/// document, and a lookup by name per document (SipHash) was 6% of a search's CPU
/// at a million listings (profiled under `nds-bench load`).
struct SegmentKeys {
    price: Option<I64Column>,
    year: Option<I64Column>,
    mileage: Option<I64Column>,
    published_at: Option<I64Column>,
    promotion_rank: Option<I64Column>,
    id_hi: Option<U64Column>,
    id_lo: Option<U64Column>,
}

impl SegmentKeys {
    fn new(segment: &SegmentReader) -> SegmentKeys {
        let fast = segment.fast_fields();
        let column = |name: &str| fast.i64(name).ok().map(|column| column.first_or_default_col(0));
        SegmentKeys {
            price: column("price"),
            year: column("year"),
            mileage: column("mileage"),
            published_at: column("published_at"),
            promotion_rank: column("promotion_rank"),
            id_hi: fast.u64("id_hi").ok().map(|column| column.first_or_default_col(0)),
            id_lo: fast.u64("id_lo").ok().map(|column| column.first_or_default_col(0)),
        }
    }

    fn value(column: &Option<I64Column>, doc: DocId) -> i64 {
        column.as_ref().map_or(0, |column| column.get_val(doc))
    }

    fn sort_key(&self, plan: SortPlan, doc: DocId, score: Score) -> SortKey {
        let value = |column| Self::value(column, doc);
        let newest = value(&self.published_at);
        let (primary, secondary) = match plan {
            SortPlan::Promoted => (value(&self.promotion_rank), newest),
            SortPlan::Requested(SearchSort::Relevance) => (0, newest),
            SortPlan::Requested(SearchSort::PriceAsc) => (-value(&self.price), newest),
            SortPlan::Requested(SearchSort::PriceDesc) => (value(&self.price), newest),
            SortPlan::Requested(SearchSort::YearDesc) => (value(&self.year), newest),
            SortPlan::Requested(SearchSort::MileageAsc) => (-value(&self.mileage), newest),
            SortPlan::Requested(SearchSort::Newest) => (newest, 0),
        };
        // Field sorts use relevance only as a tie-break; NEWEST ignores it entirely.
        let relevance = match plan {
            SortPlan::Requested(SearchSort::Newest) => 0.0,
            SortPlan::Promoted | SortPlan::Requested(_) => score,
        };
        let id_hi = self.id_hi.as_ref().map_or(0, |column| column.get_val(doc));
        let id_lo = self.id_lo.as_ref().map_or(0, |column| column.get_val(doc));
        (primary, relevance, secondary, id_hi, id_lo)
    }
}

struct Shared {
    root: PathBuf,
    instance: String,
    active: RwLock<Arc<Physical>>,
    generation: AtomicU64,
}

/// The tantivy backend. Cheap to clone.
#[derive(Clone)]
pub struct TantivyIndex {
    shared: Arc<Shared>,
}

fn new_physical_name() -> String {
    format!("idx-{}", Uuid::now_v7().simple())
}

fn write_atomically(path: &Path, contents: &str) -> Result<(), SearchError> {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, contents).map_err(SearchError::index)?;
    std::fs::rename(&temporary, path).map_err(SearchError::index)
}

impl TantivyIndex {
    /// Opens (or creates) the index under `root`, e.g. `<data_dir>/search`.
    pub fn open(root: impl Into<PathBuf>) -> Result<TantivyIndex, SearchError> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(SearchError::index)?;
        let instance_path = root.join("INSTANCE");
        let instance = match std::fs::read_to_string(&instance_path) {
            Ok(text) if !text.trim().is_empty() => text.trim().to_string(),
            _ => {
                let instance = Uuid::new_v4().simple().to_string();
                write_atomically(&instance_path, &instance)?;
                instance
            }
        };
        let current = std::fs::read_to_string(root.join("CURRENT")).ok().map(|text| text.trim().to_string());
        let name = match current {
            Some(name) if !name.is_empty() && root.join(&name).is_dir() => name,
            _ => {
                let name = new_physical_name();
                write_atomically(&root.join("CURRENT"), &name)?;
                name
            }
        };
        let physical = Physical::open_or_create(&root.join(&name), &name)?;
        Ok(TantivyIndex {
            shared: Arc::new(Shared {
                root,
                instance,
                active: RwLock::new(Arc::new(physical)),
                generation: AtomicU64::new(1),
            }),
        })
    }

    fn active(&self) -> Result<Arc<Physical>, SearchError> {
        Ok(self.shared.active.read().map_err(lock_error)?.clone())
    }

    async fn blocking<T, F>(&self, work: F) -> Result<T, SearchError>
    where
        T: Send + 'static,
        F: FnOnce(&Physical) -> Result<T, SearchError> + Send + 'static,
    {
        let physical = self.active()?;
        tokio::task::spawn_blocking(move || work(&physical)).await?
    }
}

#[async_trait]
impl SearchIndex for TantivyIndex {
    fn backend_name(&self) -> &'static str {
        "tantivy"
    }

    fn consumer_name(&self) -> String {
        format!("tantivy:{}", self.shared.instance)
    }

    async fn physical_name(&self) -> Result<String, SearchError> {
        Ok(self.active()?.name.clone())
    }

    async fn apply(&self, changes: Vec<IndexChange>) -> Result<ApplyOutcome, SearchError> {
        self.blocking(move |physical| physical.apply(&changes)).await
    }

    async fn commit(&self) -> Result<(), SearchError> {
        self.blocking(|physical| physical.commit()).await?;
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn search(&self, query: &IndexQuery) -> Result<IndexPage, SearchError> {
        let query = query.clone();
        self.blocking(move |physical| physical.search(&query)).await
    }

    async fn count(&self) -> Result<u64, SearchError> {
        self.blocking(|physical| physical.count(true)).await
    }

    async fn count_all(&self) -> Result<u64, SearchError> {
        self.blocking(|physical| physical.count(false)).await
    }

    fn generation(&self) -> u64 {
        self.shared.generation.load(Ordering::SeqCst)
    }

    async fn begin_rebuild(&self) -> Result<Box<dyn IndexRebuild + '_>, SearchError> {
        let name = new_physical_name();
        let directory = self.shared.root.join(&name);
        let physical = {
            let name = name.clone();
            tokio::task::spawn_blocking(move || Physical::open_or_create(&directory, &name)).await??
        };
        Ok(Box::new(TantivyRebuild { owner: self.clone(), physical: Arc::new(physical) }))
    }
}

struct TantivyRebuild {
    owner: TantivyIndex,
    physical: Arc<Physical>,
}

#[async_trait]
impl IndexRebuild for TantivyRebuild {
    fn physical_name(&self) -> String {
        self.physical.name.clone()
    }

    async fn add(&mut self, docs: Vec<ListingDoc>) -> Result<(), SearchError> {
        let physical = self.physical.clone();
        tokio::task::spawn_blocking(move || {
            // A listing can appear twice in a scan whose pages shifted: the newest version wins.
            let changes: Vec<IndexChange> = docs.into_iter().map(IndexChange::Upsert).collect();
            physical.apply(&changes).map(|_| ())
        })
        .await?
    }

    async fn swap_in(self: Box<Self>) -> Result<u64, SearchError> {
        let physical = self.physical.clone();
        let documents = tokio::task::spawn_blocking(move || {
            physical.commit()?;
            physical.count(true)
        })
        .await??;
        let shared = &self.owner.shared;
        let previous = {
            let mut active = shared.active.write().map_err(lock_error)?;
            write_atomically(&shared.root.join("CURRENT"), &self.physical.name)?;
            std::mem::replace(&mut *active, self.physical.clone())
        };
        shared.generation.fetch_add(1, Ordering::SeqCst);
        let old_directory = shared.root.join(&previous.name);
        drop(previous);
        if let Err(error) = std::fs::remove_dir_all(&old_directory) {
            tracing::warn!(directory = %old_directory.display(), error = %error, "cannot remove the replaced index");
        }
        Ok(documents)
    }
}
