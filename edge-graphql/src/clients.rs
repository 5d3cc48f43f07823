//! Typed gRPC clients over the runtime's channels (cheap clones of one HTTP/2 connection each).

use std::sync::Arc;

use nds_common::grpc::CallContext;
use nds_common::runtime::ServiceChannels;
use nds_common::service_token::ServiceTokens;
use nds_proto::billing::v1::billing_service_client::BillingServiceClient;
use nds_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use nds_proto::chat::v1::chat_service_client::ChatServiceClient;
use nds_proto::identity::v1::identity_service_client::IdentityServiceClient;
use nds_proto::search::v1::search_service_client::SearchServiceClient;
use tonic::transport::Channel;

/// Cloned into every request's loaders: one shared allocation, not five channels.
#[derive(Clone)]
pub struct Clients {
    channels: Arc<ServiceChannels>,
    /// The edge's own service token, which vouches for the client addresses it relays.
    relay: Option<Arc<ServiceTokens>>,
}

impl Clients {
    pub fn new(channels: ServiceChannels) -> Self {
        Self { channels: Arc::new(channels), relay: None }
    }

    /// Relays client addresses under this service identity (see [`Clients::relayed`]).
    pub fn with_relay(mut self, tokens: Option<Arc<ServiceTokens>>) -> Self {
        self.relay = tokens;
        self
    }

    /// `call`, vouched for by the edge's service token: identity believes the client
    /// address a message names only then (otherwise it counts the edge's own address,
    /// shared by every client).
    pub async fn relayed(&self, call: &CallContext) -> CallContext {
        let token = match &self.relay {
            Some(tokens) => tokens.token().await,
            None => None,
        };
        match token {
            Some(token) => call.clone().relayed_by(token.expose()),
            None => call.clone(),
        }
    }

    pub fn identity(&self) -> IdentityServiceClient<Channel> {
        IdentityServiceClient::new(self.channels.identity.clone())
    }

    pub fn catalog(&self) -> CatalogServiceClient<Channel> {
        CatalogServiceClient::new(self.channels.catalog.clone())
    }

    pub fn search(&self) -> SearchServiceClient<Channel> {
        SearchServiceClient::new(self.channels.search.clone())
    }

    pub fn billing(&self) -> BillingServiceClient<Channel> {
        BillingServiceClient::new(self.channels.billing.clone())
    }

    pub fn chat(&self) -> ChatServiceClient<Channel> {
        ChatServiceClient::new(self.channels.chat.clone())
    }
}

/// The clients of a resolver.
pub fn clients<'a>(context: &async_graphql::Context<'a>) -> async_graphql::Result<&'a Clients> {
    context.data::<Clients>()
}
