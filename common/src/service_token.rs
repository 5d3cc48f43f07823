//! A service's own identity for calls on its own behalf (billing → catalog
//! `SetPromotion`, feed consumers, jobs): client credentials exchanged with identity
//! for an access token, refreshed well before it expires. Readers never wait: they
//! take the current token, which a background task keeps fresh.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use nds_proto::identity::v1::IssueServiceTokenRequest;
use nds_proto::identity::v1::identity_service_client::IdentityServiceClient;
use tonic::transport::Channel;

use crate::error::{ApiError, ErrorCode};
use crate::grpc::CallContext;
use crate::secret::Secret;
use crate::shutdown::Shutdown;

#[derive(Clone, Debug)]
pub struct ServiceCredentialsConfig {
    pub client_id: String,
    pub client_secret: Secret<String>,
    pub scopes: Vec<String>,
}

pub struct ServiceTokens {
    credentials: ServiceCredentialsConfig,
    identity: Channel,
    current: RwLock<Option<(Secret<String>, i64)>>,
}

/// Refresh when less than this much life is left.
const REFRESH_MARGIN_SECONDS: i64 = 120;

impl ServiceTokens {
    pub fn new(credentials: ServiceCredentialsConfig, identity: Channel) -> Arc<Self> {
        Arc::new(Self { credentials, identity, current: RwLock::new(None) })
    }

    /// The current token, if one was obtained.
    pub fn current(&self) -> Option<Secret<String>> {
        self.current.read().ok().and_then(|current| current.as_ref().map(|(token, _)| token.clone()))
    }

    fn expires_at(&self) -> Option<i64> {
        self.current.read().ok().and_then(|current| current.as_ref().map(|(_, expires_at)| *expires_at))
    }

    /// The current token, or, before the first one arrived, one fetched now (None
    /// when identity cannot be reached: the caller goes on without it).
    pub async fn token(&self) -> Option<Secret<String>> {
        if let Some(token) = self.current() {
            return Some(token);
        }
        match self.refresh().await {
            Ok(()) => self.current(),
            Err(error) => {
                tracing::warn!(client_id = %self.credentials.client_id, error = %error, "no service token yet");
                None
            }
        }
    }

    /// Exchanges the credentials for a fresh token now.
    pub async fn refresh(&self) -> Result<(), ApiError> {
        let context = CallContext::new(Duration::from_secs(5));
        let request = IssueServiceTokenRequest {
            client_id: self.credentials.client_id.clone(),
            client_secret: self.credentials.client_secret.expose().clone(),
            scopes: self.credentials.scopes.clone(),
        };
        let payload = IdentityServiceClient::new(self.identity.clone())
            .issue_service_token(context.request(request))
            .await
            .map_err(|status| ApiError::from_status(&status))?
            .into_inner();
        if payload.access_token.is_empty() {
            return Err(ApiError::new(ErrorCode::Unavailable, "identity issued an empty service token"));
        }
        if let Ok(mut current) = self.current.write() {
            *current = Some((Secret::new(payload.access_token), payload.access_expires_at_unix));
        }
        Ok(())
    }

    /// A call context carrying the service token (anonymous until one was obtained).
    pub fn context(&self, budget: Duration) -> CallContext {
        let context = CallContext::new(budget);
        match self.current() {
            Some(token) => context.with_bearer(token.expose()),
            None => context,
        }
    }

    /// Keeps the token fresh until shutdown; retries quickly while identity is unreachable.
    pub fn spawn_refresher(self: &Arc<Self>, shutdown: Shutdown) {
        let tokens = self.clone();
        tokio::spawn(async move {
            loop {
                let now = crate::clock::now_unix();
                let due = tokens.expires_at().is_none_or(|expires_at| expires_at - now < REFRESH_MARGIN_SECONDS);
                let pause = if due {
                    match tokens.refresh().await {
                        Ok(()) => Duration::from_secs(30),
                        Err(error) => {
                            tracing::warn!(client_id = %tokens.credentials.client_id, error = %error, "service token refresh failed");
                            Duration::from_secs(2)
                        }
                    }
                } else {
                    Duration::from_secs(30)
                };
                tokio::select! {
                    _ = shutdown.wait() => return,
                    _ = tokio::time::sleep(pause) => {}
                }
            }
        });
    }
}
