//! gRPC plumbing every service shares: the server (health, reflection, deadlines,
//! load shedding, graceful shutdown) and the client side (channels, per-call
//! deadlines that travel to the server, forwarded caller budgets, retries).

pub mod client;
pub mod context;
pub mod server;
pub mod streams;

pub use client::{connect_lazy, retry_unavailable};
pub use context::{CallContext, RELAY_AUTHORIZATION, parse_grpc_timeout};
pub use server::{GrpcServeOptions, HealthSignal, mirror_health_signal, serve_grpc};
pub use streams::{ServerStream, until_authorization_lapses};
