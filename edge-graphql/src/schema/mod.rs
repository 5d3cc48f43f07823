//! The public schema: one module per domain, merged into the roots.
//!
//! Names of the contract (`../shared/api/contract.graphql`) are fixed; the schema
//! may add types and fields freely.

pub mod billing;
pub mod catalog;
pub mod identity;
pub mod interpret;
pub mod metrics;
pub mod paging;
pub mod search;
pub mod vocabulary;

use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};

#[derive(MergedObject, Default)]
pub struct Query(
    identity::IdentityQuery,
    catalog::CatalogQuery,
    search::SearchQuery,
    interpret::InterpretQuery,
    metrics::MetricsQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(identity::IdentityMutation, catalog::CatalogMutation, billing::BillingMutation);

pub type NdsSchema = Schema<Query, Mutation, EmptySubscription>;

pub fn schema_builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
}
