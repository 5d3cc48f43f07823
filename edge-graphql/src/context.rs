//! Per-request data the resolvers need: the call context forwarded to services
//! (caller's token and remaining deadline) and the client's address.

use std::net::IpAddr;
use std::time::Duration;

use nds_common::grpc::CallContext;

#[derive(Clone, Debug)]
pub struct RequestContext {
    pub call: CallContext,
    pub bearer_token: Option<String>,
    pub client_address: Option<IpAddr>,
}

impl RequestContext {
    pub fn new(bearer_token: Option<String>, client_address: Option<IpAddr>, budget: Duration) -> Self {
        let mut call = CallContext::new(budget);
        if let Some(token) = &bearer_token {
            call = call.with_bearer(token);
        }
        Self { call, bearer_token, client_address }
    }
}

/// The request context of a resolver (every request gets one from the HTTP layer).
pub fn request_context<'a>(context: &async_graphql::Context<'a>) -> async_graphql::Result<&'a RequestContext> {
    context.data::<RequestContext>()
}
