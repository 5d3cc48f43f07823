//! svc-chat: understanding a buyer's words (`InterpretQuery`, the rules and model
//! of `nds_interpreter`), and the
//! conversations (leads) between buyers and agencies, live over
//! `StreamMessages` (see `realtime` for the fan-out across replicas).

pub mod convert;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod interpret_cache;
pub mod migration;
pub mod realtime;
pub mod service;
pub mod store;

use std::sync::Arc;

use nds_common::config::ServiceName;
use nds_common::runtime::Runtime;
use nds_proto::chat::v1::chat_service_server::ChatServiceServer;

use crate::error::ChatError;
use nds_interpreter::{Interpreter, LanguageModelConfig, QueryInterpreter};

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

/// The Redis pub/sub channel carrying live messages between replicas.
pub const FANOUT_CHANNEL: &str = "nds:chat:messages";

/// The live-message hub: Redis fan-out when `NDS_REDIS_URL` is set, in-process otherwise.
pub fn message_hub(runtime: &Runtime) -> Result<Arc<realtime::MessageHub>, ChatError> {
    match &runtime.config.redis_url {
        Some(url) => {
            realtime::MessageHub::with_redis(url.expose(), FANOUT_CHANNEL.to_string(), runtime.shutdown.clone())
        }
        None => Ok(realtime::MessageHub::local()),
    }
}

/// The conversation use cases over chat's (migrated) database.
pub async fn conversations(
    runtime: &Runtime,
    settings: service::ChatSettings,
) -> Result<service::Conversations, ChatError> {
    let database = nds_common::db::connect(&runtime.database_url(ServiceName::Chat)).await?;
    Ok(service::Conversations::new(database, runtime.clone(), message_hub(runtime)?, settings))
}

pub async fn build(runtime: &Runtime) -> Result<ChatServiceServer<grpc::ChatGrpc>, ChatError> {
    let settings =
        service::ChatSettings { public_url: runtime.config.public_url.clone(), ..service::ChatSettings::default() };
    build_with(runtime, settings).await
}

pub async fn build_with(
    runtime: &Runtime,
    settings: service::ChatSettings,
) -> Result<ChatServiceServer<grpc::ChatGrpc>, ChatError> {
    let interpreter = Arc::new(query_interpreter(runtime)?);
    let conversations = conversations(runtime, settings).await?;
    Ok(ChatServiceServer::new(grpc::ChatGrpc::new(
        interpreter,
        conversations,
        runtime.authenticator.clone(),
        runtime.config.default_deadline,
        runtime.shutdown.clone(),
    )))
}
