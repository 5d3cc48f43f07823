//! The GraphQL operations are checked against the edge's schema at compile time
//! (graphql_client's derive); rebuild when either changes.
fn main() {
    println!("cargo:rerun-if-changed=../edge-graphql/schema.graphql");
    println!("cargo:rerun-if-changed=graphql");
}
