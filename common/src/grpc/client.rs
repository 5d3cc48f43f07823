//! Channels to other services and the one retry policy: only idempotent calls, only
//! on UNAVAILABLE, jittered exponential backoff, never past the caller's deadline.

use std::future::Future;
use std::time::Duration;

use rand::Rng;
use tonic::transport::{Channel, Endpoint};

use super::context::CallContext;

/// A channel that connects on first use and reconnects by itself.
pub fn connect_lazy(url: &str) -> Result<Channel, tonic::transport::Error> {
    Ok(Endpoint::from_shared(url.to_string())?
        .connect_timeout(Duration::from_secs(1))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true)
        .connect_lazy())
}

const MAX_ATTEMPTS: u32 = 3;
const BASE_BACKOFF: Duration = Duration::from_millis(25);

/// Runs an idempotent call, retrying UNAVAILABLE while the context has time left.
pub async fn retry_unavailable<T, F, Fut>(context: &CallContext, mut call: F) -> Result<T, tonic::Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, tonic::Status>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match call().await {
            Err(status) if status.code() == tonic::Code::Unavailable && attempt < MAX_ATTEMPTS => {
                let ceiling = BASE_BACKOFF * 2u32.pow(attempt - 1);
                let backoff = ceiling.mul_f64(rand::rng().random_range(0.5..=1.0));
                if context.remaining() <= backoff {
                    return Err(status);
                }
                tracing::debug!(attempt, backoff_ms = backoff.as_millis() as u64, "retrying unavailable call");
                tokio::time::sleep(backoff).await;
            }
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn unavailable_is_retried_then_given_up() {
        let calls = AtomicU32::new(0);
        let context = CallContext::new(Duration::from_secs(5));
        let result: Result<(), _> = retry_unavailable(&context, || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(tonic::Status::unavailable("down")) }
        })
        .await;
        assert_eq!(result.unwrap_err().code(), tonic::Code::Unavailable);
        assert_eq!(calls.load(Ordering::SeqCst), MAX_ATTEMPTS);
    }

    #[tokio::test]
    async fn other_errors_are_not_retried() {
        let calls = AtomicU32::new(0);
        let context = CallContext::new(Duration::from_secs(5));
        let result: Result<(), _> = retry_unavailable(&context, || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(tonic::Status::invalid_argument("bad")) }
        })
        .await;
        assert_eq!(result.unwrap_err().code(), tonic::Code::InvalidArgument);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn no_retry_when_the_deadline_is_too_close() {
        let calls = AtomicU32::new(0);
        let context = CallContext::new(Duration::from_millis(1));
        let _ = retry_unavailable(&context, || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err::<(), _>(tonic::Status::unavailable("down")) }
        })
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
