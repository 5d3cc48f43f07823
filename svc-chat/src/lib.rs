//! svc-chat: understanding a buyer's words (`InterpretQuery`), and — with the
//! conversations work — the leads between buyers and agencies.

pub mod error;
pub mod grpc;
pub mod interpret;
pub mod interpret_cache;
pub mod migration;

use std::sync::Arc;

use nds_common::runtime::Runtime;
use nds_proto::chat::v1::chat_service_server::ChatServiceServer;

use crate::error::ChatError;
use crate::interpret::{Interpreter, LanguageModelConfig, QueryInterpreter};

/// Applies chat's migrations to its database.
pub async fn migrate(database_url: &str) -> Result<(), sea_orm::DbErr> {
    nds_common::db::connect_and_migrate::<migration::Migrator>(database_url).await.map(drop)
}

/// The interpreter as configured: rules, the optional language model, the shared cache.
pub fn query_interpreter(runtime: &Runtime) -> Result<QueryInterpreter, ChatError> {
    let model = runtime.config.language_model.as_ref().map(|settings| LanguageModelConfig {
        base_url: settings.base_url.clone(),
        api_key: settings.api_key.expose().clone(),
        model: settings.model.clone(),
        timeout: settings.timeout,
    });
    let cache = Arc::new(interpret_cache::SharedInterpretCache::new(runtime.cache.clone()));
    QueryInterpreter::new(Arc::new(Interpreter::new()), model, cache)
        .map_err(|error| ChatError::LanguageModelSetup(error.to_string()))
}

pub async fn build(runtime: &Runtime) -> Result<ChatServiceServer<grpc::ChatGrpc>, ChatError> {
    let interpreter = Arc::new(query_interpreter(runtime)?);
    Ok(ChatServiceServer::new(grpc::ChatGrpc::new(interpreter)))
}
