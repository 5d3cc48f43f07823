//! Billing's one error type and its mapping to the platform's codes.

use nds_common::error::{ApiError, ErrorCode, HasErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    /// An error of nds-common's checks (authentication, tenancy) or of another
    /// service, passed on with its code and field: every service wraps them so.
    #[error("{}", .0.message)]
    Api(ApiError),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{message}")]
    InvalidInput { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("payments are not configured on this platform")]
    PaymentNotConfigured,
    #[error("{0}")]
    Unavailable(String),
    #[error("stripe: {0}")]
    Stripe(String),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Internal(String),
}

impl BillingError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        BillingError::InvalidInput { field: field.to_string(), message: message.into() }
    }
}

impl HasErrorCode for BillingError {
    fn error_code(&self) -> ErrorCode {
        match self {
            BillingError::Api(error) => error.code,
            BillingError::Forbidden(_) => ErrorCode::Forbidden,
            BillingError::NotFound(_) => ErrorCode::NotFound,
            BillingError::InvalidInput { .. } => ErrorCode::BadUserInput,
            BillingError::Conflict(_) => ErrorCode::Conflict,
            BillingError::PaymentNotConfigured => ErrorCode::PaymentNotConfigured,
            BillingError::Unavailable(_) => ErrorCode::Unavailable,
            // Stripe refused or failed: the caller may retry later; details stay in logs.
            BillingError::Stripe(_) => ErrorCode::Unavailable,
            BillingError::Database(error) => nds_common::db::error_code(error),
            BillingError::Internal(_) => ErrorCode::Internal,
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            BillingError::InvalidInput { field, .. } => Some(field),
            BillingError::Api(error) => error.field.as_deref(),
            BillingError::Forbidden(_)
            | BillingError::NotFound(_)
            | BillingError::Conflict(_)
            | BillingError::PaymentNotConfigured
            | BillingError::Unavailable(_)
            | BillingError::Stripe(_)
            | BillingError::Database(_)
            | BillingError::Internal(_) => None,
        }
    }
}

/// Errors from nds-common (auth) and from other services' statuses.
impl From<ApiError> for BillingError {
    fn from(error: ApiError) -> Self {
        BillingError::Api(error)
    }
}

impl From<tonic::Status> for BillingError {
    fn from(status: tonic::Status) -> Self {
        BillingError::from(ApiError::from_status(&status))
    }
}

impl From<stripe::StripeError> for BillingError {
    fn from(error: stripe::StripeError) -> Self {
        BillingError::Stripe(error.to_string())
    }
}
