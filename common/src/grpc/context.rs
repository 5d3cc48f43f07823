//! The context a call carries downstream: the caller's token and the remaining
//! time budget. tonic's endpoint timeout is not sent to the server, so every
//! outgoing request sets `grpc-timeout` explicitly from this budget.

use std::time::{Duration, Instant};

use tonic::metadata::{MetadataMap, MetadataValue};

/// Metadata carrying the token of a service that relays a client's request (the
/// edge): it vouches for what the message says about that client (its address),
/// while `authorization` stays the client's own.
pub const RELAY_AUTHORIZATION: &str = "x-nds-relay-authorization";

#[derive(Clone, Debug)]
pub struct CallContext {
    deadline: Instant,
    authorization: Option<MetadataValue<tonic::metadata::Ascii>>,
    relay: Option<MetadataValue<tonic::metadata::Ascii>>,
}

/// Parses a `grpc-timeout` value ("250m", "5S", ...), per the gRPC HTTP/2 spec.
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    if digits.len() > 8 {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

impl CallContext {
    /// A fresh context with its own budget (edge requests, jobs, tests).
    pub fn new(budget: Duration) -> Self {
        Self { deadline: Instant::now() + budget, authorization: None, relay: None }
    }

    /// Adds [`RELAY_AUTHORIZATION`] with this service's own token to every outgoing call.
    pub fn relayed_by(mut self, service_token: &str) -> Self {
        self.relay = format!("Bearer {service_token}").parse().ok();
        self
    }

    /// Adds `Authorization: Bearer <token>` to every outgoing call.
    pub fn with_bearer(mut self, token: &str) -> Self {
        self.authorization = format!("Bearer {token}").parse().ok();
        self
    }

    /// The context of an incoming call: its `grpc-timeout` (or `default_budget`) and
    /// its `authorization`, to forward to the services this call calls.
    pub fn from_metadata(metadata: &MetadataMap, default_budget: Duration) -> Self {
        let budget = metadata
            .get("grpc-timeout")
            .and_then(|value| value.to_str().ok())
            .and_then(parse_grpc_timeout)
            .unwrap_or(default_budget);
        // A relay credential vouches for one hop only: it is never forwarded.
        Self { deadline: Instant::now() + budget, authorization: metadata.get("authorization").cloned(), relay: None }
    }

    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    pub fn is_expired(&self) -> bool {
        self.remaining().is_zero()
    }

    pub fn has_authorization(&self) -> bool {
        self.authorization.is_some()
    }

    /// A request carrying the remaining budget as `grpc-timeout` and the caller's token.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        // Never send a zero timeout: the server would fail it before doing anything useful.
        request.set_timeout(self.remaining().max(Duration::from_millis(1)));
        if let Some(authorization) = &self.authorization {
            request.metadata_mut().insert("authorization", authorization.clone());
        }
        if let Some(relay) = &self.relay {
            request.metadata_mut().insert(RELAY_AUTHORIZATION, relay.clone());
        }
        crate::trace::inject_current(request.metadata_mut());
        request
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse_every_unit_and_reject_garbage() {
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("10u"), Some(Duration::from_micros(10)));
        assert_eq!(parse_grpc_timeout("10n"), Some(Duration::from_nanos(10)));
        for bad in ["", "m", "123456789m", "12x", "-5S", "5"] {
            assert_eq!(parse_grpc_timeout(bad), None, "{bad}");
        }
    }

    #[test]
    fn outgoing_requests_carry_the_remaining_budget_and_the_token() {
        let mut incoming = MetadataMap::new();
        incoming.insert("grpc-timeout", "800m".parse().unwrap());
        incoming.insert("authorization", "Bearer abc".parse().unwrap());
        let context = CallContext::from_metadata(&incoming, Duration::from_secs(5));
        assert!(context.remaining() <= Duration::from_millis(800));
        let request = context.request(());
        let timeout = request.metadata().get("grpc-timeout").unwrap().to_str().unwrap().to_string();
        let forwarded = parse_grpc_timeout(&timeout).unwrap();
        assert!(forwarded <= Duration::from_millis(800) && forwarded > Duration::from_millis(500), "{timeout}");
        assert_eq!(request.metadata().get("authorization").unwrap(), "Bearer abc");
    }

    #[test]
    fn a_relay_credential_goes_one_hop_only() {
        let context = CallContext::new(Duration::from_secs(1)).with_bearer("user").relayed_by("edge");
        let request = context.request(());
        assert_eq!(request.metadata().get(RELAY_AUTHORIZATION).unwrap(), "Bearer edge");
        assert_eq!(request.metadata().get("authorization").unwrap(), "Bearer user");
        let onward = CallContext::from_metadata(request.metadata(), Duration::from_secs(1));
        assert!(onward.request(()).metadata().get(RELAY_AUTHORIZATION).is_none());
    }

    #[test]
    fn calls_without_a_deadline_get_the_default_budget() {
        let context = CallContext::from_metadata(&MetadataMap::new(), Duration::from_secs(2));
        assert!(context.remaining() > Duration::from_secs(1));
        assert!(!context.has_authorization());
    }
}
