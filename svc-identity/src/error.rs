//! The one error type of identity, and its mapping to the contract's codes.

use nds_common::error::{ApiError, ErrorCode, HasErrorCode};
use sea_orm::DbErr;

/// Everything identity can answer besides success. The messages are client-safe
/// except for the `Internal`-coded variants, whose details stay in the logs.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("{message}")]
    InvalidInput { field: &'static str, message: String },
    /// Unknown email and wrong password answer alike (no account enumeration).
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("too many failed log-ins; try again later")]
    TooManyAttempts,
    /// The account is being guessed at: its next password check is a delay away.
    #[error("too many failed log-ins for this account; try again in {seconds} s")]
    SlowDown { seconds: u64 },
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// An error of nds-common's checks (authentication, tenancy) or of another
    /// service, passed on with its code and field: every service wraps them so.
    #[error("{}", .0.message)]
    Api(ApiError),
    #[error("database: {0}")]
    Database(#[from] DbErr),
    /// Hashing, signing or key handling failed: never the client's fault.
    #[error("crypto: {0}")]
    Crypto(String),
}

impl IdentityError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        IdentityError::InvalidInput { field, message: message.into() }
    }
}

impl From<crate::domain::throttle::Refusal> for IdentityError {
    fn from(refusal: crate::domain::throttle::Refusal) -> Self {
        match refusal {
            crate::domain::throttle::Refusal::TooMany => IdentityError::TooManyAttempts,
            crate::domain::throttle::Refusal::Wait { seconds } => IdentityError::SlowDown { seconds },
        }
    }
}

impl From<crate::domain::key_sealing::SealingError> for IdentityError {
    fn from(error: crate::domain::key_sealing::SealingError) -> Self {
        IdentityError::Crypto(error.to_string())
    }
}

impl From<ApiError> for IdentityError {
    fn from(error: ApiError) -> Self {
        IdentityError::Api(error)
    }
}

impl HasErrorCode for IdentityError {
    fn error_code(&self) -> ErrorCode {
        match self {
            IdentityError::InvalidInput { .. } => ErrorCode::BadUserInput,
            IdentityError::InvalidCredentials => ErrorCode::Unauthenticated,
            IdentityError::TooManyAttempts | IdentityError::SlowDown { .. } => ErrorCode::Unauthenticated,
            IdentityError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            IdentityError::Forbidden(_) => ErrorCode::Forbidden,
            IdentityError::NotFound(_) => ErrorCode::NotFound,
            IdentityError::Conflict(_) => ErrorCode::Conflict,
            IdentityError::Api(error) => error.code,
            IdentityError::Database(error) => nds_common::db::error_code(error),
            IdentityError::Crypto(_) => ErrorCode::Internal,
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            IdentityError::InvalidInput { field, .. } => Some(field),
            IdentityError::Api(error) => error.field.as_deref(),
            IdentityError::InvalidCredentials
            | IdentityError::TooManyAttempts
            | IdentityError::SlowDown { .. }
            | IdentityError::Unauthenticated(_)
            | IdentityError::Forbidden(_)
            | IdentityError::NotFound(_)
            | IdentityError::Conflict(_)
            | IdentityError::Database(_)
            | IdentityError::Crypto(_) => None,
        }
    }
}

pub type IdentityResult<T> = Result<T, IdentityError>;
