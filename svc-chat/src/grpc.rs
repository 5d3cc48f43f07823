//! The tonic adapter of `nds.chat.v1.ChatService`: validate, call the domain, convert.

use std::sync::Arc;

use nds_common::convert::filters_to_wire;
use nds_common::error::to_status;
use nds_proto::chat::v1::chat_service_server::ChatService;
use nds_proto::chat::v1::{InterpretQueryRequest, InterpretQueryResponse};
use tonic::{Request, Response, Status};

use crate::error::ChatError;
use crate::interpret::{InterpretationSource, MAX_QUERY_CHARS, QueryInterpreter};

pub struct ChatGrpc {
    interpreter: Arc<QueryInterpreter>,
}

impl ChatGrpc {
    pub fn new(interpreter: Arc<QueryInterpreter>) -> Self {
        Self { interpreter }
    }
}

fn source_name(source: InterpretationSource) -> &'static str {
    match source {
        InterpretationSource::Cache => "cache",
        InterpretationSource::Rules | InterpretationSource::RulesAfterModelFailure => "rules",
        InterpretationSource::RulesAndModel => "rules+model",
    }
}

fn validate_locale(locale: &str) -> Result<Option<&str>, ChatError> {
    match locale {
        "" => Ok(None),
        "es" | "en" | "es-MX" | "en-US" => Ok(Some(locale)),
        other => Err(ChatError::InvalidInput { field: "locale", message: format!("unsupported locale {other:?}") }),
    }
}

#[tonic::async_trait]
impl ChatService for ChatGrpc {
    async fn interpret_query(
        &self,
        request: Request<InterpretQueryRequest>,
    ) -> Result<Response<InterpretQueryResponse>, Status> {
        let request = request.into_inner();
        if request.text.chars().count() > MAX_QUERY_CHARS {
            return Err(to_status(ChatError::InvalidInput {
                field: "text",
                message: format!("at most {MAX_QUERY_CHARS} characters"),
            }));
        }
        let locale = validate_locale(&request.locale).map_err(to_status)?;
        let interpretation = self.interpreter.interpret(&request.text, locale).await;
        Ok(Response::new(InterpretQueryResponse {
            filters: Some(filters_to_wire(&interpretation.filters)),
            source: source_name(interpretation.source).to_string(),
        }))
    }
}
