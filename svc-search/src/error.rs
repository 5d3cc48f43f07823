//! The one error type of svc-search and its mapping to the contract's codes.

use nds_common::{ApiError, ErrorCode, HasErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// An error of nds-common's checks (authentication, tenancy) or of another
    /// service, passed on with its code and field: every service wraps them so.
    #[error("{}", .0.message)]
    Api(ApiError),
    /// A caller sent something we cannot use; `field` names it.
    #[error("{message}")]
    InvalidInput { field: &'static str, message: String },
    /// The index backend failed (tantivy I/O, Elasticsearch unreachable or erroring).
    #[error("search index: {0}")]
    Index(String),
    /// Elasticsearch (or another dependency) is unreachable right now.
    #[error("search backend unavailable: {0}")]
    Unavailable(String),
    /// The search database failed.
    #[error("search database: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// Catalog's feed or scan failed.
    #[error("catalog feed: {0}")]
    Feed(String),
    /// A listing from the feed could not be turned into a document.
    #[error("malformed listing {listing_id}: {reason}")]
    MalformedListing { listing_id: String, reason: String },
    /// `run_job` was asked for a job this service does not have.
    #[error("unknown job {0:?}; search has: reindex")]
    UnknownJob(String),
}

impl SearchError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        SearchError::InvalidInput { field, message: message.into() }
    }

    pub fn index(error: impl std::fmt::Display) -> Self {
        SearchError::Index(error.to_string())
    }
}

impl HasErrorCode for SearchError {
    fn error_code(&self) -> ErrorCode {
        match self {
            SearchError::Api(error) => error.code,
            SearchError::InvalidInput { .. } => ErrorCode::BadUserInput,
            SearchError::UnknownJob(_) => ErrorCode::BadUserInput,
            SearchError::Unavailable(_) => ErrorCode::Unavailable,
            SearchError::Feed(_) => ErrorCode::Unavailable,
            SearchError::Index(_) => ErrorCode::Internal,
            SearchError::Database(error) => nds_common::db::error_code(error),
            SearchError::MalformedListing { .. } => ErrorCode::Internal,
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            SearchError::InvalidInput { field, .. } => Some(field),
            SearchError::Api(error) => error.field.as_deref(),
            SearchError::Index(_)
            | SearchError::Unavailable(_)
            | SearchError::Database(_)
            | SearchError::Feed(_)
            | SearchError::MalformedListing { .. }
            | SearchError::UnknownJob(_) => None,
        }
    }
}

impl From<ApiError> for SearchError {
    fn from(error: ApiError) -> Self {
        SearchError::Api(error)
    }
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(error: tantivy::TantivyError) -> Self {
        SearchError::Index(error.to_string())
    }
}

impl From<tokio::task::JoinError> for SearchError {
    fn from(error: tokio::task::JoinError) -> Self {
        SearchError::Index(format!("index task failed: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_input_is_bad_user_input_with_its_field() {
        let error = SearchError::invalid("after", "not a cursor");
        assert_eq!(error.error_code(), ErrorCode::BadUserInput);
        assert_eq!(error.field(), Some("after"));
    }

    #[test]
    fn backend_outages_are_unavailable_and_internal_failures_internal() {
        assert_eq!(SearchError::Unavailable("down".into()).error_code(), ErrorCode::Unavailable);
        assert_eq!(SearchError::Index("corrupt".into()).error_code(), ErrorCode::Internal);
    }
}
