//! The gateway's protection limits (OWASP GraphQL cheat sheet): async-graphql sets
//! none by default.

/// Deepest selection nesting a document may have.
pub const MAX_DEPTH: usize = 12;
/// Cost ceiling: every field costs 1, connection fields `first × child`.
pub const MAX_COMPLEXITY: usize = 5_000;
/// Largest request body, in bytes (413 beyond).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Directives per field, against directive-overloading documents.
pub const MAX_DIRECTIVES: usize = 8;
/// Page size a connection accepts; larger `first` is an input error.
pub const MAX_PAGE_SIZE: i32 = 100;
/// Page size when `first` is omitted.
pub const DEFAULT_PAGE_SIZE: i32 = 20;
