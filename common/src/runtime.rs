//! What a service gets when it starts: configuration, cache, mailer, the token
//! authenticator, channels to the other services, and the shutdown signal. `nds
//! dev` builds one for the whole process; `nds serve <service>` one per process;
//! tests one per test (own databases, own Redis prefix, random ports).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tonic::transport::Channel;

use crate::auth::{Authenticator, JwksSource, JwtVerifier, SessionCheck, SessionStatus};
use crate::cache::SharedCache;
use crate::config::{Config, ServiceName};
use crate::error::{ApiError, ErrorCode};
use crate::grpc::{CallContext, connect_lazy};
use crate::mail::SharedMailer;
use crate::service_token::ServiceTokens;
use crate::shutdown::Shutdown;

/// Lazily connected channels to every service: its configured `NDS_<SERVICE>_URL`,
/// or this process's own gRPC address when the service runs in-process.
#[derive(Clone)]
pub struct ServiceChannels {
    pub identity: Channel,
    pub catalog: Channel,
    pub search: Channel,
    pub billing: Channel,
    pub chat: Channel,
}

impl ServiceChannels {
    pub fn from_config(config: &Config, local_grpc_url: &str) -> Result<Self, tonic::transport::Error> {
        let channel = |service: ServiceName| {
            connect_lazy(config.service_urls.get(&service).map(String::as_str).unwrap_or(local_grpc_url))
        };
        Ok(Self {
            identity: channel(ServiceName::Identity)?,
            catalog: channel(ServiceName::Catalog)?,
            search: channel(ServiceName::Search)?,
            billing: channel(ServiceName::Billing)?,
            chat: channel(ServiceName::Chat)?,
        })
    }
}

/// The JWKS from identity's `GetJwks`.
pub struct GrpcJwksSource {
    channel: Channel,
}

impl GrpcJwksSource {
    pub fn new(channel: Channel) -> Self {
        Self { channel }
    }
}

#[async_trait]
impl JwksSource for GrpcJwksSource {
    async fn fetch_jwks(&self) -> Result<String, ApiError> {
        use nds_proto::identity::v1::{GetJwksRequest, identity_service_client::IdentityServiceClient};
        let context = CallContext::new(Duration::from_secs(3));
        let mut client = IdentityServiceClient::new(self.channel.clone());
        let response = client.get_jwks(context.request(GetJwksRequest {})).await.map_err(|status| {
            ApiError::new(
                ErrorCode::Unavailable,
                format!("cannot fetch signing keys from identity: {}", status.message()),
            )
        })?;
        Ok(response.into_inner().jwks_json)
    }
}

/// Identity's `CheckSession` for the bearer token.
pub struct GrpcSessionCheck {
    channel: Channel,
}

#[async_trait]
impl SessionCheck for GrpcSessionCheck {
    async fn check(&self, bearer_token: &str) -> Result<SessionStatus, ApiError> {
        use nds_proto::identity::v1::{CheckSessionRequest, identity_service_client::IdentityServiceClient};
        let context = CallContext::new(Duration::from_secs(1)).with_bearer(bearer_token);
        let response = IdentityServiceClient::new(self.channel.clone())
            .check_session(context.request(CheckSessionRequest {}))
            .await
            .map_err(|status| ApiError::from_status(&status))?
            .into_inner();
        Ok(SessionStatus {
            active: response.active,
            suspended_agency_ids: response
                .suspended_agency_ids
                .iter()
                .filter_map(|id| uuid::Uuid::parse_str(id).ok())
                .collect(),
        })
    }
}

#[derive(Clone)]
pub struct Runtime {
    pub config: Arc<Config>,
    pub cache: SharedCache,
    pub mailer: SharedMailer,
    pub authenticator: Authenticator,
    pub channels: ServiceChannels,
    pub shutdown: Shutdown,
    /// This process's own service token (jobs, feeds, billing → catalog), when configured.
    pub service_tokens: Option<Arc<ServiceTokens>>,
}

impl Runtime {
    /// Builds the runtime from config; `local_grpc_url` is where this process's own
    /// gRPC listener is reachable (used for services that run in-process).
    pub fn new(
        config: Arc<Config>,
        cache: SharedCache,
        mailer: SharedMailer,
        local_grpc_url: &str,
        shutdown: Shutdown,
    ) -> Result<Self, tonic::transport::Error> {
        let channels = ServiceChannels::from_config(&config, local_grpc_url)?;
        let verifier = JwtVerifier::new(
            Arc::new(GrpcJwksSource::new(channels.identity.clone())),
            config.jwt_issuer.clone(),
            config.jwt_audience.clone(),
        );
        let service_tokens = config
            .service_credentials
            .clone()
            .map(|credentials| ServiceTokens::new(credentials, channels.identity.clone()));
        Ok(Self {
            config,
            cache,
            mailer,
            authenticator: Authenticator::new(Arc::new(verifier))
                .with_session_check(Arc::new(GrpcSessionCheck { channel: channels.identity.clone() })),
            channels,
            shutdown,
            service_tokens,
        })
    }

    /// The context for a call this service makes on its own behalf (jobs, feeds):
    /// carries the service token when one is configured.
    pub fn background_context(&self) -> CallContext {
        match &self.service_tokens {
            Some(tokens) => tokens.context(self.config.default_deadline),
            None => CallContext::new(self.config.default_deadline),
        }
    }

    pub fn database_url(&self, service: ServiceName) -> String {
        self.config.database_url(service)
    }
}
