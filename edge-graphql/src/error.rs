//! Errors as GraphQL clients see them: a message and a stable `extensions.code`
//! (the contract's codes), plus `extensions.field` for BAD_USER_INPUT.

use async_graphql::ErrorExtensions;
use nds_common::error::{ApiError, ErrorCode};

pub fn graphql_error(error: ApiError) -> async_graphql::Error {
    let field = error.field.clone();
    async_graphql::Error::new(error.message).extend_with(|_, extensions| {
        extensions.set("code", error.code.as_str());
        if let Some(field) = field {
            // One convention for clients, whichever service named the field.
            extensions.set("field", nds_common::error::graphql_field_name(&field));
        }
    })
}

pub fn status_error(status: tonic::Status) -> async_graphql::Error {
    graphql_error(ApiError::from_status(&status))
}

pub fn bad_input(field: &str, message: impl Into<String>) -> async_graphql::Error {
    graphql_error(ApiError::invalid(field, message))
}

pub fn error_with_code(code: ErrorCode, message: impl Into<String>) -> async_graphql::Error {
    graphql_error(ApiError::new(code, message))
}

/// `?`-friendly conversion of gRPC results in resolvers.
pub trait GrpcResultExt<T> {
    fn or_graphql(self) -> Result<T, async_graphql::Error>;
}

impl<T> GrpcResultExt<T> for Result<tonic::Response<T>, tonic::Status> {
    fn or_graphql(self) -> Result<T, async_graphql::Error> {
        self.map(tonic::Response::into_inner).map_err(status_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_see_every_field_by_its_graphql_argument_name() {
        let error = graphql_error(ApiError::invalid("tax_id", "tax id (RFC) is not well formed"));
        let extensions = error.extensions.expect("extensions");
        assert_eq!(extensions.get("field"), Some(&async_graphql::Value::from("taxId")));
        assert_eq!(extensions.get("code"), Some(&async_graphql::Value::from("BAD_USER_INPUT")));
    }
}
