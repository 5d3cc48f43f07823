//! What billing calls: Stripe, catalog (listings, promotions, the change feed)
//! and identity (who manages an agency). Catalog and identity are reached over
//! gRPC, in tests too (real in-process services); only Stripe, an external
//! service, is replaced in tests, by pointing its API base at a local stand-in.

pub mod catalog;
pub mod identity;
pub mod stripe_api;

use std::sync::Arc;
use std::time::Duration;

use nds_common::Secret;
use nds_common::grpc::CallContext;
use nds_common::service_token::ServiceTokens;

/// How billing authenticates when it calls on its own behalf (webhook effects,
/// jobs, the feed): a service token with the `internal` scope, issued by identity
/// and kept fresh by the shared [`ServiceTokens`] of the runtime.
#[derive(Clone, Default)]
pub struct ServiceCredentials {
    pub tokens: Option<Arc<ServiceTokens>>,
}

impl ServiceCredentials {
    pub fn token(&self) -> Option<Secret<String>> {
        self.tokens.as_ref().and_then(|tokens| tokens.current())
    }

    /// The current token, fetched now if none arrived yet: for the feed, which
    /// starts with billing, before the background refresher's first token.
    pub async fn token_or_fetch(&self) -> Option<Secret<String>> {
        match &self.tokens {
            Some(tokens) => tokens.token().await,
            None => None,
        }
    }

    pub fn context(&self, budget: Duration) -> CallContext {
        let context = CallContext::new(budget);
        match self.token() {
            Some(token) => context.with_bearer(token.expose()),
            None => context,
        }
    }
}
