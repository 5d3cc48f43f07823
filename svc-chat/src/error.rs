//! The one error type of svc-chat, with its code decided once per variant.

use nds_common::error::{ErrorCode, HasErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("{message}")]
    InvalidInput { field: &'static str, message: String },
    #[error("language model set-up failed: {0}")]
    LanguageModelSetup(String),
}

impl HasErrorCode for ChatError {
    fn error_code(&self) -> ErrorCode {
        match self {
            ChatError::InvalidInput { .. } => ErrorCode::BadUserInput,
            ChatError::LanguageModelSetup(_) => ErrorCode::Internal,
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            ChatError::InvalidInput { field, .. } => Some(field),
            ChatError::LanguageModelSetup(_) => None,
        }
    }
}
