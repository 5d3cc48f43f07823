//! The production index: Elasticsearch through the `elasticsearch` crate.
//!
//! - An index template (`PUT _index_template/<alias>`) gives every physical
//!   index `<alias>-<id>` the same analysis and strict mapping.
//! - The service reads and writes through the alias; a rebuild fills a new
//!   physical index and moves the alias in one `POST _aliases` (no downtime).
//! - Bulk writes use external versioning (`version_type=external`, the
//!   listing's version): Elasticsearch refuses a version that is not newer with
//!   409, which is exactly "a stale replay is a no-op". Removed listings are
//!   indexed as tombstones (`live: false`) so their version is remembered.
//! - Queries: `bool.filter` for the structured filters, one `multi_match` per
//!   keyword over the plain, Spanish and English text fields, aggregations for
//!   facets, and `post_filter` to leave the promoted listings out of the hits
//!   and total but not out of the facets (the same semantics as tantivy's).
//!
//! Requests go through `Elasticsearch::send` with explicit paths so the wire
//! format is visible here and testable against recorded pairs.

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use elasticsearch::Elasticsearch;
use elasticsearch::auth::Credentials;
use elasticsearch::cert::{Certificate, CertificateValidation};
use elasticsearch::http::Method;
use elasticsearch::http::headers::{CONTENT_TYPE, HeaderMap, HeaderValue};
use elasticsearch::http::transport::{SingleNodeConnectionPool, TransportBuilder};
use nds_common::config::ElasticsearchAccess;
use nds_common::vehicle::{SearchSort, fold};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{ApplyOutcome, IndexRebuild, SearchIndex};
use crate::domain::facets::{aggregations_request, facets_from_aggregations};
use crate::domain::{IndexChange, IndexHit, IndexPage, IndexQuery, ListingCard, ListingDoc, QueryPass};
use crate::error::SearchError;

/// The alias the service reads and writes through.
pub const DEFAULT_ALIAS: &str = "nds-listings";
/// A request longer than this counts as Elasticsearch being unavailable.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub struct ElasticsearchIndex {
    client: Elasticsearch,
    alias: String,
    generation: AtomicU64,
}

/// The status and JSON body of one response (`Value::Null` for an empty body).
struct Reply {
    status: u16,
    body: Value,
}

impl ElasticsearchIndex {
    pub fn connect(url: &str, alias: &str) -> Result<ElasticsearchIndex, SearchError> {
        ElasticsearchIndex::connect_with(url, &ElasticsearchAccess::default(), alias)
    }

    /// With the cluster's CA trusted and its credentials (ECK serves TLS from its own
    /// CA and requires a user).
    pub fn connect_with(
        url: &str,
        access: &ElasticsearchAccess,
        alias: &str,
    ) -> Result<ElasticsearchIndex, SearchError> {
        let url = elasticsearch::http::Url::parse(url)
            .map_err(|error| SearchError::Index(format!("invalid Elasticsearch URL: {error}")))?;
        let mut builder =
            TransportBuilder::new(SingleNodeConnectionPool::new(url)).disable_proxy().timeout(REQUEST_TIMEOUT);
        if let Some(path) = &access.ca_file {
            let unusable =
                |reason: String| SearchError::Index(format!("NDS_ELASTICSEARCH_CA_FILE {}: {reason}", path.display()));
            let pem = std::fs::read(path).map_err(|error| unusable(error.to_string()))?;
            let certificate =
                Certificate::from_pem(&pem).map_err(|error| unusable(format!("not a PEM certificate ({error})")))?;
            builder = builder.cert_validation(CertificateValidation::Full(certificate));
        }
        if let Some((user, password)) = &access.credentials {
            builder = builder.auth(Credentials::Basic(user.clone(), password.expose().clone()));
        }
        let transport = builder
            .build()
            .map_err(|error| SearchError::Index(format!("cannot build the Elasticsearch client: {error}")))?;
        Ok(ElasticsearchIndex {
            client: Elasticsearch::new(transport),
            alias: alias.to_string(),
            generation: AtomicU64::new(1),
        })
    }

    pub fn alias(&self) -> &str {
        &self.alias
    }

    #[tracing::instrument(
        target = "nds_trace",
        name = "elasticsearch.request",
        skip_all,
        fields(otel.name = %format!("elasticsearch {method:?}"), otel.kind = "client", db.system = "elasticsearch", url.path = path)
    )]
    async fn send(&self, method: Method, path: &str, body: Option<Body>) -> Result<Reply, SearchError> {
        let mut headers = HeaderMap::new();
        let payload = match body {
            None => None,
            Some(Body::Json(value)) => Some(value.to_string()),
            Some(Body::NdJson(text)) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
                Some(text)
            }
        };
        let response = self
            .client
            .send::<String, [(&str, &str)]>(method, path, headers, None, payload, None)
            .await
            .map_err(|error| transport_error(path, &error))?;
        let status = response.status_code().as_u16();
        let text = response.text().await.map_err(|error| SearchError::Unavailable(error.to_string()))?;
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .map_err(|error| SearchError::Index(format!("Elasticsearch {path}: unreadable reply: {error}")))?
        };
        Ok(Reply { status, body })
    }

    async fn send_ok(&self, method: Method, path: &str, body: Option<Body>) -> Result<Value, SearchError> {
        let reply = self.send(method, path, body).await?;
        if (200..300).contains(&reply.status) {
            return Ok(reply.body);
        }
        let reason = reply.body["error"]["reason"].as_str().unwrap_or("no reason given").to_string();
        let message = format!("Elasticsearch {path} answered {}: {reason}", reply.status);
        if reply.status == 429 || reply.status >= 500 {
            return Err(SearchError::Unavailable(message));
        }
        Err(SearchError::Index(message))
    }

    /// Installs the index template and, when the alias does not exist yet, a first
    /// physical index behind it. Safe to call on every start.
    pub async fn ensure_ready(&self) -> Result<(), SearchError> {
        self.send_ok(
            Method::Put,
            &format!("/_index_template/{}", self.alias),
            Some(Body::Json(index_template(&self.alias))),
        )
        .await?;
        let exists = self.send(Method::Head, &format!("/_alias/{}", self.alias), None).await?;
        if exists.status == 404 {
            let name = new_physical_name(&self.alias);
            let body = json!({ "aliases": { self.alias.as_str(): { "is_write_index": true } } });
            self.send_ok(Method::Put, &format!("/{name}"), Some(Body::Json(body))).await?;
        } else {
            // An index made by an older release lacks the fields added since (the
            // template only shapes new indices); adding fields is allowed in place.
            let mappings = index_template(&self.alias)["template"]["mappings"].clone();
            self.send_ok(Method::Put, &format!("/{}/_mapping", self.alias), Some(Body::Json(mappings))).await?;
        }
        Ok(())
    }

    async fn bulk(&self, target: &str, changes: &[IndexChange]) -> Result<ApplyOutcome, SearchError> {
        if changes.is_empty() {
            return Ok(ApplyOutcome::default());
        }
        let reply =
            self.send_ok(Method::Post, &format!("/{target}/_bulk"), Some(Body::NdJson(bulk_body(changes)))).await?;
        read_bulk_reply(&reply)
    }

    async fn aliased_indices(&self) -> Result<Vec<String>, SearchError> {
        let reply = self.send(Method::Get, &format!("/_alias/{}", self.alias), None).await?;
        if reply.status == 404 {
            return Ok(Vec::new());
        }
        if !(200..300).contains(&reply.status) {
            return Err(SearchError::Index(format!("Elasticsearch /_alias answered {}", reply.status)));
        }
        let mut names: Vec<String> =
            reply.body.as_object().map(|map| map.keys().cloned().collect()).unwrap_or_default();
        names.sort();
        Ok(names)
    }

    async fn count_where(&self, body: Option<Value>) -> Result<u64, SearchError> {
        let reply = self.send_ok(Method::Post, &format!("/{}/_count", self.alias), body.map(Body::Json)).await?;
        reply["count"].as_u64().ok_or_else(|| SearchError::Index("Elasticsearch _count reply without count".into()))
    }
}

enum Body {
    Json(Value),
    NdJson(String),
}

/// A request that got no answer: the cluster is unavailable (retryable), except when
/// its certificate was refused, which waiting will not fix: that names the setting.
fn transport_error(path: &str, error: &elasticsearch::Error) -> SearchError {
    let mut chain = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    if chain.to_ascii_lowercase().contains("certificate") {
        return SearchError::Index(format!(
            "Elasticsearch {path}: its TLS certificate is not trusted ({chain}); set NDS_ELASTICSEARCH_CA_FILE to the cluster's CA"
        ));
    }
    SearchError::Unavailable(format!("Elasticsearch {path}: {chain}"))
}

fn new_physical_name(alias: &str) -> String {
    format!("{alias}-{}", Uuid::now_v7().simple())
}

/// The template every `<alias>-*` index is created from.
pub fn index_template(alias: &str) -> Value {
    let keyword = json!({ "type": "keyword" });
    let long = json!({ "type": "long" });
    json!({
        "index_patterns": [format!("{alias}-*")],
        "priority": 100,
        "template": {
            "settings": {
                "number_of_shards": 1,
                "analysis": {
                    "filter": {
                        "nds_spanish_stemmer": { "type": "stemmer", "language": "spanish" },
                        "nds_english_stemmer": { "type": "stemmer", "language": "english" }
                    },
                    "analyzer": {
                        "nds_plain": { "type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"] },
                        "nds_es": { "type": "custom", "tokenizer": "standard", "filter": ["lowercase", "nds_spanish_stemmer", "asciifolding"] },
                        "nds_en": { "type": "custom", "tokenizer": "standard", "filter": ["lowercase", "nds_english_stemmer", "asciifolding"] }
                    }
                }
            },
            "mappings": {
                "dynamic": "strict",
                "properties": {
                    "id": keyword, "live": { "type": "boolean" }, "version": long,
                    "agency_id": keyword, "make": keyword, "model": keyword, "color": keyword, "city": keyword,
                    "body_type": keyword, "fuel": keyword, "transmission": keyword, "condition": keyword,
                    "year": { "type": "integer" }, "price": long, "mileage": long, "published_at": long,
                    "promoted_until": long, "promotion_rank": { "type": "integer" },
                    // Returned with hits, never searched (see ListingCard).
                    "card": { "type": "binary" },
                    "text": {
                        "type": "text", "analyzer": "nds_plain",
                        "fields": {
                            "es": { "type": "text", "analyzer": "nds_es" },
                            "en": { "type": "text", "analyzer": "nds_en" }
                        }
                    }
                }
            }
        }
    })
}

/// The `_source` of a change: the listing, or a tombstone remembering the version.
pub fn document_source(change: &IndexChange) -> Value {
    match change {
        IndexChange::Remove { id, version } => json!({ "id": id.to_string(), "live": false, "version": version }),
        IndexChange::Upsert(listing) => listing_source(listing),
    }
}

fn listing_source(listing: &ListingDoc) -> Value {
    let mut source = json!({
        "id": listing.id.to_string(),
        "live": true,
        "version": listing.version,
        "agency_id": listing.agency_id.to_string(),
        "make": listing.make,
        "model": listing.model,
        "color": listing.color,
        "city": listing.city,
        "year": listing.year,
        "price": listing.price_minor,
        "mileage": listing.mileage_km,
        "published_at": listing.published_at_unix,
        "promoted_until": listing.promoted_until_unix.unwrap_or(0),
        "promotion_rank": listing.promotion_rank,
        "text": listing.full_text(),
    });
    if !listing.card.is_empty() {
        source["card"] = json!(listing.card.to_base64());
    }
    if let Some(body_type) = listing.body_type {
        source["body_type"] = json!(body_type.as_str());
    }
    if let Some(fuel) = listing.fuel {
        source["fuel"] = json!(fuel.as_str());
    }
    if let Some(transmission) = listing.transmission {
        source["transmission"] = json!(transmission.as_str());
    }
    if let Some(condition) = listing.condition {
        source["condition"] = json!(condition.as_str());
    }
    source
}

/// NDJSON: one `index` action with the external version, then the source, per change.
pub fn bulk_body(changes: &[IndexChange]) -> String {
    let mut body = String::new();
    for change in changes {
        let action = json!({ "index": {
            "_id": change.listing_id().to_string(),
            "version": change.version(),
            "version_type": "external",
        }});
        body.push_str(&action.to_string());
        body.push('\n');
        body.push_str(&document_source(change).to_string());
        body.push('\n');
    }
    body
}

/// Counts applied and stale (409 version conflict) items; any other item error fails the batch.
fn read_bulk_reply(reply: &Value) -> Result<ApplyOutcome, SearchError> {
    let mut outcome = ApplyOutcome::default();
    let items = reply["items"].as_array().cloned().unwrap_or_default();
    for item in items {
        let Some(result) = item.as_object().and_then(|map| map.values().next()) else {
            continue;
        };
        let status = result["status"].as_u64().unwrap_or(0);
        match status {
            200..=299 => outcome.applied += 1,
            409 => outcome.stale += 1,
            _ => {
                let reason = result["error"]["reason"].as_str().unwrap_or("unknown");
                let id = result["_id"].as_str().unwrap_or("?");
                return Err(SearchError::Index(format!("bulk item {id} failed with {status}: {reason}")));
            }
        }
    }
    Ok(outcome)
}

/// The `_search` body for a query.
pub fn search_body(query: &IndexQuery) -> Value {
    let filters = &query.filters;
    let mut filter = vec![json!({ "term": { "live": true } })];
    let folded = |values: &[String]| values.iter().map(|value| fold(value.trim())).collect::<Vec<_>>();
    let mut terms = |field: &str, values: Vec<String>| {
        if !values.is_empty() {
            filter.push(json!({ "terms": { field: values } }));
        }
    };
    terms("make", folded(&filters.makes));
    terms("model", folded(&filters.models));
    terms("color", folded(&filters.colors));
    terms("city", filters.city.iter().map(|city| fold(city.trim())).collect());
    terms("body_type", filters.body_types.iter().map(|value| value.as_str().to_string()).collect());
    terms("fuel", filters.fuels.iter().map(|value| value.as_str().to_string()).collect());
    terms("transmission", filters.transmissions.iter().map(|value| value.as_str().to_string()).collect());
    terms("condition", filters.conditions.iter().map(|value| value.as_str().to_string()).collect());
    let mut range = |field: &str, low: Option<i64>, high: Option<i64>| {
        let mut bounds = serde_json::Map::new();
        if let Some(low) = low {
            bounds.insert("gte".into(), json!(low));
        }
        if let Some(high) = high {
            bounds.insert("lte".into(), json!(high));
        }
        if !bounds.is_empty() {
            filter.push(json!({ "range": { field: bounds } }));
        }
    };
    range("year", filters.year_min.map(i64::from), filters.year_max.map(i64::from));
    range("price", filters.price_min, filters.price_max);
    range("mileage", None, filters.mileage_max);
    if let QueryPass::Promoted { now_unix } = query.pass {
        filter.push(json!({ "range": { "promoted_until": { "gt": now_unix } } }));
    }
    let must: Vec<Value> = query
        .keywords()
        .map(|keyword| json!({ "multi_match": { "query": keyword, "fields": ["text", "text.es", "text.en"], "type": "most_fields" } }))
        .collect();
    let then_newest = [json!({ "published_at": "desc" }), json!({ "id": "desc" })];
    let mut sort: Vec<Value> = match query.pass {
        QueryPass::Promoted { .. } => vec![json!({ "promotion_rank": "desc" }), json!("_score")],
        QueryPass::Results => match query.sort {
            SearchSort::Relevance => vec![json!("_score")],
            SearchSort::PriceAsc => vec![json!({ "price": "asc" }), json!("_score")],
            SearchSort::PriceDesc => vec![json!({ "price": "desc" }), json!("_score")],
            SearchSort::YearDesc => vec![json!({ "year": "desc" }), json!("_score")],
            SearchSort::MileageAsc => vec![json!({ "mileage": "asc" }), json!("_score")],
            SearchSort::Newest => Vec::new(),
        },
    };
    sort.extend(then_newest);
    let mut body = json!({
        "from": query.offset,
        "size": query.limit,
        "track_total_hits": true,
        "track_scores": true,
        "_source": ["card"],
        "query": { "bool": { "filter": filter, "must": must } },
        "sort": sort,
    });
    if !query.exclude_ids.is_empty() {
        let ids: Vec<String> = query.exclude_ids.iter().map(Uuid::to_string).collect();
        body["post_filter"] = json!({ "bool": { "must_not": [{ "ids": { "values": ids } }] } });
    }
    if query.with_facets {
        body["aggs"] = aggregations_request();
    }
    body
}

/// Reads hits, total and facets from a `_search` reply.
pub fn read_search_reply(reply: &Value) -> Result<IndexPage, SearchError> {
    let hits = reply["hits"]["hits"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .filter_map(|hit| {
                    let id = Uuid::parse_str(hit["_id"].as_str()?).ok()?;
                    let card = hit["_source"]["card"].as_str().and_then(ListingCard::from_base64).unwrap_or_default();
                    Some(IndexHit { id, score: hit["_score"].as_f64().unwrap_or(0.0) as f32, card })
                })
                .collect()
        })
        .unwrap_or_default();
    let total = reply["hits"]["total"]["value"]
        .as_u64()
        .ok_or_else(|| SearchError::Index("Elasticsearch _search reply without hits.total".into()))?;
    let facets = match reply.get("aggregations") {
        Some(aggregations) => facets_from_aggregations(aggregations),
        None => Vec::new(),
    };
    Ok(IndexPage { hits, total, facets })
}

#[async_trait]
impl SearchIndex for ElasticsearchIndex {
    fn backend_name(&self) -> &'static str {
        "elasticsearch"
    }

    fn consumer_name(&self) -> String {
        format!("elasticsearch:{}", self.alias)
    }

    async fn physical_name(&self) -> Result<String, SearchError> {
        Ok(self.aliased_indices().await?.join(","))
    }

    async fn apply(&self, changes: Vec<IndexChange>) -> Result<ApplyOutcome, SearchError> {
        self.bulk(&self.alias, &changes).await
    }

    async fn commit(&self) -> Result<(), SearchError> {
        self.send_ok(Method::Post, &format!("/{}/_refresh", self.alias), None).await?;
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn search(&self, query: &IndexQuery) -> Result<IndexPage, SearchError> {
        let reply = self
            .send_ok(Method::Post, &format!("/{}/_search", self.alias), Some(Body::Json(search_body(query))))
            .await?;
        read_search_reply(&reply)
    }

    async fn count(&self) -> Result<u64, SearchError> {
        self.count_where(Some(json!({ "query": { "term": { "live": true } } }))).await
    }

    async fn count_all(&self) -> Result<u64, SearchError> {
        self.count_where(None).await
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    async fn begin_rebuild(&self) -> Result<Box<dyn IndexRebuild + '_>, SearchError> {
        let name = new_physical_name(&self.alias);
        self.send_ok(Method::Put, &format!("/{name}"), Some(Body::Json(json!({})))).await?;
        Ok(Box::new(ElasticsearchRebuild { owner: self, name }))
    }
}

struct ElasticsearchRebuild<'a> {
    owner: &'a ElasticsearchIndex,
    name: String,
}

#[async_trait]
impl IndexRebuild for ElasticsearchRebuild<'_> {
    fn physical_name(&self) -> String {
        self.name.clone()
    }

    async fn add(&mut self, docs: Vec<ListingDoc>) -> Result<(), SearchError> {
        let changes: Vec<IndexChange> = docs.into_iter().map(IndexChange::Upsert).collect();
        self.owner.bulk(&self.name, &changes).await.map(|_| ())
    }

    async fn swap_in(self: Box<Self>) -> Result<u64, SearchError> {
        let owner = self.owner;
        owner.send_ok(Method::Post, &format!("/{}/_refresh", self.name), None).await?;
        let previous = owner.aliased_indices().await?;
        let mut actions: Vec<Value> =
            previous.iter().map(|index| json!({ "remove": { "index": index, "alias": owner.alias } })).collect();
        actions.push(json!({ "add": { "index": self.name, "alias": owner.alias, "is_write_index": true } }));
        owner.send_ok(Method::Post, "/_aliases", Some(Body::Json(json!({ "actions": actions })))).await?;
        owner.generation.fetch_add(1, Ordering::SeqCst);
        for index in previous {
            if let Err(error) = owner.send_ok(Method::Delete, &format!("/{index}"), None).await {
                tracing::warn!(index = %index, error = %error, "cannot delete the replaced index");
            }
        }
        owner.count().await
    }
}
