//! The catalog's one error type and its mapping to the contract's codes.

use nds_common::error::{ApiError, ErrorCode, HasErrorCode};
use sea_orm::DbErr;

use crate::domain::ListingStatus;
use crate::domain::photos::PhotoRejection;
use crate::domain::validation::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// An error of nds-common's checks (authentication, tenancy) or of another
    /// service, passed on with its code and field: every service wraps them so.
    #[error("{}", .0.message)]
    Api(ApiError),
    #[error("{message}")]
    InvalidInput { field: &'static str, message: String },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("the listing changed since version {expected} (now {actual}); reload and retry")]
    StaleVersion { expected: i64, actual: i64 },
    #[error("cannot {action} a {from} listing")]
    InvalidTransition { action: &'static str, from: ListingStatus },
    #[error("a {0} listing cannot be edited")]
    NotEditable(ListingStatus),
    #[error("another published listing already has this VIN")]
    DuplicateLiveVin,
    #[error("database: {0}")]
    Database(#[from] DbErr),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Unavailable(String),
    /// Refused before anything was stored; the rejection's code names why.
    #[error("{0}")]
    PhotoRejected(PhotoRejection),
    #[error("this upload link is unknown, already used or expired; ask for a new one")]
    UploadLinkInvalid,
    #[error("the listing already holds {limit} photos; delete one to add another")]
    PhotoLimit { limit: usize },
}

impl From<FieldError> for CatalogError {
    fn from(error: FieldError) -> Self {
        CatalogError::InvalidInput { field: error.field, message: error.message }
    }
}

impl From<ApiError> for CatalogError {
    fn from(error: ApiError) -> Self {
        CatalogError::Api(error)
    }
}

impl CatalogError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        CatalogError::InvalidInput { field, message: message.into() }
    }
}

impl HasErrorCode for CatalogError {
    fn error_code(&self) -> ErrorCode {
        match self {
            CatalogError::Api(error) => error.code,
            CatalogError::InvalidInput { .. } => ErrorCode::BadUserInput,
            CatalogError::NotFound(_) => ErrorCode::NotFound,
            CatalogError::Forbidden(_) => ErrorCode::Forbidden,
            CatalogError::StaleVersion { .. }
            | CatalogError::InvalidTransition { .. }
            | CatalogError::NotEditable(_)
            | CatalogError::DuplicateLiveVin => ErrorCode::Conflict,
            CatalogError::Database(error) => nds_common::db::error_code(error),
            CatalogError::Corrupt(_) => ErrorCode::Internal,
            CatalogError::Unavailable(_) => ErrorCode::Unavailable,
            CatalogError::PhotoRejected(_) => ErrorCode::BadUserInput,
            CatalogError::UploadLinkInvalid => ErrorCode::NotFound,
            CatalogError::PhotoLimit { .. } => ErrorCode::Conflict,
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            CatalogError::Api(error) => error.field.as_deref(),
            CatalogError::InvalidInput { field, .. } => Some(field),
            CatalogError::DuplicateLiveVin => Some("vin"),
            CatalogError::PhotoRejected(_) => Some("file"),
            CatalogError::NotFound(_)
            | CatalogError::Forbidden(_)
            | CatalogError::StaleVersion { .. }
            | CatalogError::InvalidTransition { .. }
            | CatalogError::NotEditable(_)
            | CatalogError::Database(_)
            | CatalogError::Corrupt(_)
            | CatalogError::Unavailable(_)
            | CatalogError::UploadLinkInvalid
            | CatalogError::PhotoLimit { .. } => None,
        }
    }
}
