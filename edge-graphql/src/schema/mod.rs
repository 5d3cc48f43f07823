//! The public schema: one module per domain, merged into the roots.
//!
//! Names of the contract NDS started from (`tests/fixtures/graphql/contract-origin.graphql`) are fixed; the schema
//! may add types and fields freely.

pub mod admin;
pub mod audit;
pub mod billing;
pub mod catalog;
pub mod conversations;
pub mod identity;
pub mod interpret;
pub mod metrics;
pub mod paging;
pub mod photos;
pub mod search;
pub mod vocabulary;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

#[derive(MergedObject, Default)]
pub struct Query(
    identity::IdentityQuery,
    catalog::CatalogQuery,
    search::SearchQuery,
    interpret::InterpretQuery,
    metrics::MetricsQuery,
    billing::BillingQuery,
    conversations::ConversationQuery,
    admin::AdminQuery,
    audit::AuditQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    identity::IdentityMutation,
    catalog::CatalogMutation,
    photos::PhotoMutation,
    billing::BillingMutation,
    conversations::ConversationMutation,
    admin::AdminMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(conversations::ConversationSubscription);

pub type NdsSchema = Schema<Query, Mutation, Subscription>;
pub type NdsSchemaBuilder = SchemaBuilder<Query, Mutation, Subscription>;

pub fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription::default())
}
