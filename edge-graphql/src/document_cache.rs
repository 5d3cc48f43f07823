//! Parsed documents, kept by their text: apps send the same few documents over
//! and over, and parsing is a large share of a small request's CPU. Validation
//! (depth, complexity, the schema) still runs on every request.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerResult, Variables};

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
}

impl Default for DocumentCache {
    fn default() -> Self {
        Self::new()
    }
}

impl ExtensionFactory for DocumentCache {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DocumentCacheExtension(self.documents.clone()))
    }
}

struct DocumentCacheExtension(moka::sync::Cache<Arc<str>, Arc<ExecutableDocument>>);

#[async_trait::async_trait]
impl Extension for DocumentCacheExtension {
    async fn parse_query(
        &self,
        context: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if query.len() > MAX_CACHED_TEXT {
            return next.run(context, query, variables).await;
        }
        if let Some(document) = self.0.get(query) {
            return Ok(ExecutableDocument::clone(&document));
        }
        // Only documents that parse are kept; errors are cheap to find again.
        let document = next.run(context, query, variables).await?;
        self.0.insert(Arc::from(query), Arc::new(document.clone()));
        Ok(document)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

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
        let schema = Schema::build(Query, EmptyMutation, EmptySubscription).extension(cache.clone()).finish();
        let document = "query($n: Int!) { value(n: $n) }";
        for n in [1, 21] {
            let request =
                async_graphql::Request::new(document).variables(Variables::from_json(serde_json::json!({ "n": n })));
            let response = schema.execute(request).await;
            assert_eq!(response.data.into_json().unwrap(), serde_json::json!({ "value": n * 2 }));
        }
        assert!(cache.documents.contains_key(document), "the document is kept after its first parse");
        let broken = schema.execute("{ value(n: ").await;
        assert!(!broken.errors.is_empty());
        cache.documents.run_pending_tasks();
        assert_eq!(cache.documents.entry_count(), 1, "a document that does not parse is not kept");
    }
}
