//! The closed set of error codes every NDS API speaks, mapped once to gRPC status
//! codes and to GraphQL `extensions.code` (the contract's codes).
//!
//! Each service keeps its own `thiserror` enum and implements [`HasErrorCode`] with
//! an exhaustive match, so a new variant forces a decision about its code.

use std::fmt;

/// Metadata key that carries the exact [`ErrorCode`] across gRPC, where several
/// codes share one status code (e.g. PAYMENT_NOT_CONFIGURED and CONFLICT).
pub const ERROR_CODE_METADATA: &str = "nds-error-code";
/// Metadata key naming the invalid input field, for BAD_USER_INPUT.
pub const ERROR_FIELD_METADATA: &str = "nds-error-field";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    PaymentNotConfigured,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 8] = [
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::BadUserInput,
        ErrorCode::Conflict,
        ErrorCode::PaymentNotConfigured,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ];

    /// The contract's name, used as GraphQL `extensions.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::PaymentNotConfigured => "PAYMENT_NOT_CONFIGURED",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    pub fn parse(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|code| code.as_str() == name)
    }

    pub fn grpc_code(self) -> tonic::Code {
        match self {
            ErrorCode::Unauthenticated => tonic::Code::Unauthenticated,
            ErrorCode::Forbidden => tonic::Code::PermissionDenied,
            ErrorCode::NotFound => tonic::Code::NotFound,
            ErrorCode::BadUserInput => tonic::Code::InvalidArgument,
            ErrorCode::Conflict => tonic::Code::Aborted,
            ErrorCode::PaymentNotConfigured => tonic::Code::FailedPrecondition,
            ErrorCode::Unavailable => tonic::Code::Unavailable,
            ErrorCode::Internal => tonic::Code::Internal,
        }
    }

    /// The code for a status that did not carry [`ERROR_CODE_METADATA`] (a peer
    /// that is not NDS, or tonic itself: deadline, transport failure).
    pub fn from_grpc_code(code: tonic::Code) -> ErrorCode {
        match code {
            tonic::Code::Unauthenticated => ErrorCode::Unauthenticated,
            tonic::Code::PermissionDenied => ErrorCode::Forbidden,
            tonic::Code::NotFound => ErrorCode::NotFound,
            tonic::Code::InvalidArgument | tonic::Code::OutOfRange => ErrorCode::BadUserInput,
            tonic::Code::Aborted | tonic::Code::AlreadyExists => ErrorCode::Conflict,
            tonic::Code::FailedPrecondition => ErrorCode::Conflict,
            tonic::Code::Unavailable
            | tonic::Code::DeadlineExceeded
            | tonic::Code::ResourceExhausted
            | tonic::Code::Cancelled => ErrorCode::Unavailable,
            tonic::Code::Ok
            | tonic::Code::Unknown
            | tonic::Code::Unimplemented
            | tonic::Code::Internal
            | tonic::Code::DataLoss => ErrorCode::Internal,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Implemented by every service's error enum.
pub trait HasErrorCode: fmt::Display {
    fn error_code(&self) -> ErrorCode;

    /// The offending input field, for BAD_USER_INPUT.
    fn field(&self) -> Option<&str> {
        None
    }
}

/// An error as it crosses a service boundary: code, client-safe message, field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: ErrorCode::BadUserInput, message: message.into(), field: Some(field.into()) }
    }

    pub fn from_error<E: HasErrorCode>(error: &E) -> Self {
        let code = error.error_code();
        // Internal details stay in the logs; clients get a generic sentence.
        let message = match code {
            ErrorCode::Internal => "internal error".to_string(),
            _ => error.to_string(),
        };
        if code == ErrorCode::Internal {
            tracing::error!(error = %error, "internal error");
        }
        Self { code, message, field: error.field().map(str::to_string) }
    }

    pub fn into_status(self) -> tonic::Status {
        let mut status = tonic::Status::new(self.code.grpc_code(), self.message);
        if let Ok(value) = self.code.as_str().parse() {
            status.metadata_mut().insert(ERROR_CODE_METADATA, value);
        }
        if let Some(field) = self.field
            && let Ok(value) = field.parse()
        {
            status.metadata_mut().insert(ERROR_FIELD_METADATA, value);
        }
        status
    }

    pub fn from_status(status: &tonic::Status) -> Self {
        let metadata = status.metadata();
        let code = metadata
            .get(ERROR_CODE_METADATA)
            .and_then(|value| value.to_str().ok())
            .and_then(ErrorCode::parse)
            .unwrap_or_else(|| ErrorCode::from_grpc_code(status.code()));
        let field = metadata.get(ERROR_FIELD_METADATA).and_then(|value| value.to_str().ok()).map(str::to_string);
        let message = match code {
            ErrorCode::Internal => "internal error".to_string(),
            ErrorCode::Unavailable if status.code() == tonic::Code::DeadlineExceeded => {
                "the request ran out of time".to_string()
            }
            _ => status.message().to_string(),
        };
        Self { code, message, field }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl HasErrorCode for ApiError {
    fn error_code(&self) -> ErrorCode {
        self.code
    }

    fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

impl From<ApiError> for tonic::Status {
    fn from(error: ApiError) -> Self {
        error.into_status()
    }
}

/// Converts any service error into a gRPC status in one call.
pub fn to_status<E: HasErrorCode>(error: E) -> tonic::Status {
    ApiError::from_error(&error).into_status()
}

/// The name a GraphQL client knows a field by. Some services name fields in
/// snake_case (`agency_id`, `input.price_minor`); the contract's arguments are
/// camelCase (`agencyId`, `input.priceMinor`). The edge reports every
/// `extensions.field` this way, so clients see one convention.
pub fn graphql_field_name(field: &str) -> String {
    let mut name = String::with_capacity(field.len());
    let mut upper_next = false;
    for character in field.chars() {
        if character == '_' {
            upper_next = true;
        } else if upper_next {
            name.extend(character.to_uppercase());
            upper_next = false;
        } else {
            name.push(character);
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_become_the_graphql_arguments() {
        assert_eq!(graphql_field_name("agency_id"), "agencyId");
        assert_eq!(graphql_field_name("listingId"), "listingId");
        assert_eq!(graphql_field_name("input.price_minor"), "input.priceMinor");
        assert_eq!(graphql_field_name("current_password"), "currentPassword");
    }

    #[test]
    fn every_code_survives_a_round_trip_through_grpc_status() {
        for code in ErrorCode::ALL {
            let status = ApiError::new(code, "boom").into_status();
            assert_eq!(ApiError::from_status(&status).code, code, "{code}");
        }
    }

    #[test]
    fn field_travels_with_bad_user_input() {
        let status = ApiError::invalid("vin", "bad check digit").into_status();
        let back = ApiError::from_status(&status);
        assert_eq!(back.field.as_deref(), Some("vin"));
        assert_eq!(back.message, "bad check digit");
    }

    #[test]
    fn internal_details_are_hidden_from_clients() {
        let status = ApiError::new(ErrorCode::Internal, "connection refused at 10.0.0.3").into_status();
        assert_eq!(ApiError::from_status(&status).message, "internal error");
    }

    #[test]
    fn plain_statuses_map_by_grpc_code() {
        let status = tonic::Status::deadline_exceeded("late");
        assert_eq!(ApiError::from_status(&status).code, ErrorCode::Unavailable);
        let status = tonic::Status::not_found("nope");
        assert_eq!(ApiError::from_status(&status).code, ErrorCode::NotFound);
    }
}
