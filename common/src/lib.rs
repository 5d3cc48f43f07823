//! What every NDS service needs the same way: configuration, telemetry, the error
//! codes, authentication and tenant checks, database and cache connections, mail,
//! gRPC server and client plumbing, job locks, and test support.

pub mod audit;
pub mod auth;
pub mod backoff;
pub mod breaker;
pub mod cache;
pub mod client_address;
pub mod clock;
pub mod config;
pub mod convert;
pub mod db;
pub mod error;
pub mod grpc;
pub mod job_lock;
pub mod mail;
pub mod metrics_series;
pub mod opaque_secret;
pub mod runtime;
pub mod secret;
pub mod service_token;
pub mod shutdown;
pub mod telemetry;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod trace;
pub mod vehicle;

pub use config::Config;
pub use error::{ApiError, ErrorCode, HasErrorCode};
pub use secret::Secret;
pub use shutdown::Shutdown;
