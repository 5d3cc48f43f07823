//! `interpretQuery`: how a text would be understood, without searching.

use async_graphql::{Context, Object};
use nds_common::convert::filters_from_wire;
use nds_proto::chat::v1::InterpretQueryRequest;

use super::vocabulary::SearchFilters;
use crate::clients::clients;
use crate::context::request_context;
use crate::error::{GrpcResultExt, bad_input, graphql_error};
use crate::expensive::{Work, expensive};

/// Longest text we send to the interpreter (a search box, not an essay).
pub const MAX_QUERY_TEXT_CHARS: usize = 500;

#[derive(Default)]
pub struct InterpretQuery;

#[Object]
impl InterpretQuery {
    /// How a free-text search (English or Spanish) would be understood, as filters.
    #[graphql(directive = expensive::apply(Work::TextInterpretation))]
    async fn interpret_query(
        &self,
        context: &Context<'_>,
        #[graphql(desc = "What the buyer typed")] text: String,
    ) -> async_graphql::Result<SearchFilters> {
        if text.chars().count() > MAX_QUERY_TEXT_CHARS {
            return Err(bad_input("text", format!("at most {MAX_QUERY_TEXT_CHARS} characters")));
        }
        let request = request_context(context)?;
        let response = clients(context)?
            .chat()
            .interpret_query(request.call.request(InterpretQueryRequest { text, locale: String::new() }))
            .await
            .or_graphql()?;
        let filters = filters_from_wire(&response.filters.unwrap_or_default()).map_err(graphql_error)?;
        Ok(filters.into())
    }
}
