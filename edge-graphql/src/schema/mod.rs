//! The public schema: one module per domain, merged into the roots.
//!
//! Names of the contract (`../shared/api/contract.graphql`) are fixed; the schema
//! may add types and fields freely.

pub mod interpret;
pub mod vocabulary;

use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Schema, SchemaBuilder};

#[derive(MergedObject, Default)]
pub struct Query(interpret::InterpretQuery);

pub type NdsSchema = Schema<Query, EmptyMutation, EmptySubscription>;

pub fn schema_builder() -> SchemaBuilder<Query, EmptyMutation, EmptySubscription> {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
}
