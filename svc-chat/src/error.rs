//! The one error type of svc-chat, with its code decided once per variant.

use nds_common::error::{ApiError, ErrorCode, HasErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("{message}")]
    InvalidInput { field: &'static str, message: String },
    #[error("language model set-up failed: {0}")]
    LanguageModelSetup(String),
    #[error("sign in first")]
    Unauthenticated,
    /// Unknown, or not the caller's to see: the two answer alike.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("too many messages; wait a minute and try again")]
    RateLimited,
    #[error("this listing is not open to conversations")]
    ListingNotPublished,
    /// An error of nds-common's checks (authentication, tenancy) or of another
    /// service, passed on with its code and field: every service wraps them so.
    #[error("{}", .0.message)]
    Api(ApiError),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("redis: {0}")]
    Redis(String),
}

impl From<ApiError> for ChatError {
    fn from(error: ApiError) -> Self {
        ChatError::Api(error)
    }
}

impl HasErrorCode for ChatError {
    fn error_code(&self) -> ErrorCode {
        match self {
            ChatError::InvalidInput { .. } => ErrorCode::BadUserInput,
            ChatError::Database(error) => nds_common::db::error_code(error),
            ChatError::LanguageModelSetup(_) | ChatError::Redis(_) => ErrorCode::Internal,
            ChatError::Unauthenticated => ErrorCode::Unauthenticated,
            ChatError::NotFound(_) => ErrorCode::NotFound,
            ChatError::Forbidden(_) => ErrorCode::Forbidden,
            ChatError::RateLimited => ErrorCode::Unavailable,
            ChatError::ListingNotPublished => ErrorCode::Conflict,
            ChatError::Api(error) => error.code,
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            ChatError::InvalidInput { field, .. } => Some(field),
            ChatError::Api(error) => error.field.as_deref(),
            ChatError::LanguageModelSetup(_)
            | ChatError::Unauthenticated
            | ChatError::NotFound(_)
            | ChatError::Forbidden(_)
            | ChatError::RateLimited
            | ChatError::ListingNotPublished
            | ChatError::Database(_)
            | ChatError::Redis(_) => None,
        }
    }
}
