//! Parsed documents, kept by their text: apps send the same few documents over
//! and over, and parsing is a large share of a small request's CPU. Validation
//! (depth, complexity, the schema) still runs on every request.

use std::sync::Arc;

use async_graphql::Request;
use async_graphql::parser::types::ExecutableDocument;

/// Documents longer than this are parsed every time: caching them would let one
/// client fill the cache with a few large texts.
const MAX_CACHED_TEXT: usize = 8 * 1024;
const MAX_DOCUMENTS: u64 = 2_000;

#[derive(Clone)]
pub struct DocumentCache {
    documents: moka::sync::Cache<Arc<str>, Arc<ExecutableDocument>>,
}

impl DocumentCache {
    pub fn new() -> Self {
        Self { documents: moka::sync::Cache::new(MAX_DOCUMENTS) }
    }

    /// Gives the request its parsed document, from the cache or parsed now and kept.
    /// A text that does not parse is left alone: async-graphql reports the error.
    pub fn attach(&self, request: &mut Request) {
        if request.query.len() > MAX_CACHED_TEXT {
            return;
        }
        if let Some(document) = self.documents.get(request.query.as_str()) {
            request.set_parsed_query(ExecutableDocument::clone(&document));
            return;
        }
        if let Ok(document) = async_graphql::parser::parse_query(&request.query) {
            self.documents.insert(Arc::from(request.query.as_str()), Arc::new(document.clone()));
            request.set_parsed_query(document);
        }
    }
}

impl Default for DocumentCache {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema, Variables};

    use super::*;

    struct Query;

    #[Object]
    impl Query {
        async fn value(&self, n: i32) -> i32 {
            n * 2
        }
    }

    #[tokio::test]
    async fn a_cached_document_answers_like_a_fresh_parse_and_bad_ones_still_fail() {
        let cache = DocumentCache::new();
        let schema = Schema::build(Query, EmptyMutation, EmptySubscription).finish();
        let execute = |text: &str, variables: serde_json::Value| {
            let mut request = async_graphql::Request::new(text).variables(Variables::from_json(variables));
            cache.attach(&mut request);
            schema.execute(request)
        };
        let document = "query($n: Int!) { value(n: $n) }";
        for n in [1, 21] {
            let response = execute(document, serde_json::json!({ "n": n })).await;
            assert_eq!(response.data.into_json().unwrap(), serde_json::json!({ "value": n * 2 }));
        }
        assert!(cache.documents.contains_key(document), "the document is kept after its first parse");
        let broken = execute("{ value(n: ", serde_json::json!({})).await;
        assert!(!broken.errors.is_empty());
        cache.documents.run_pending_tasks();
        assert_eq!(cache.documents.entry_count(), 1, "a document that does not parse is not kept");
    }
}
