//! Server streams that end when the caller's authorization lapses
//! ([`Authenticator::authorization_lapse`](crate::auth::Authenticator::authorization_lapse)):
//! the caller receives one last item, the error saying why (UNAUTHENTICATED), and
//! the stream ends, so a client reconnects with a fresh token or learns it may not.

use std::pin::Pin;

use futures::future::BoxFuture;
use futures::{Stream, StreamExt};
use tonic::Status;

use crate::error::ApiError;

pub type ServerStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

struct Guarded<T> {
    stream: ServerStream<T>,
    /// `None` once it fired: the stream has said why and ends.
    lapse: Option<BoxFuture<'static, ApiError>>,
}

/// `stream` until `lapse` resolves, then its error, then the end.
pub fn until_authorization_lapses<T: Send + 'static>(
    stream: impl Stream<Item = Result<T, Status>> + Send + 'static,
    lapse: BoxFuture<'static, ApiError>,
) -> ServerStream<T> {
    let state = Guarded { stream: Box::pin(stream), lapse: Some(lapse) };
    Box::pin(futures::stream::unfold(state, |mut state| async move {
        let lapse = state.lapse.as_mut()?;
        tokio::select! {
            biased;
            error = lapse => {
                state.lapse = None;
                Some((Err(error.into_status()), state))
            }
            item = state.stream.next() => item.map(|item| (item, state)),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[tokio::test]
    async fn items_flow_until_the_lapse_then_its_reason_ends_the_stream() {
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel::<Result<u32, Status>>();
        let items = tokio_stream::wrappers::UnboundedReceiverStream::new(receiver);
        let lapse = Box::pin(async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            ApiError::new(ErrorCode::Unauthenticated, "the access token expired")
        });
        let mut guarded = until_authorization_lapses(items, lapse);
        sender.send(Ok(1)).unwrap();
        assert_eq!(guarded.next().await.unwrap().unwrap(), 1);
        let last = guarded.next().await.unwrap().unwrap_err();
        assert_eq!(ApiError::from_status(&last).code, ErrorCode::Unauthenticated);
        sender.send(Ok(2)).ok();
        assert!(guarded.next().await.is_none(), "nothing after the lapse");
    }

    #[tokio::test]
    async fn a_stream_that_ends_by_itself_ends_without_waiting_for_the_lapse() {
        let items = futures::stream::iter([Ok::<u32, Status>(7)]);
        let mut guarded = until_authorization_lapses(items, Box::pin(std::future::pending()));
        assert_eq!(guarded.next().await.unwrap().unwrap(), 7);
        assert!(guarded.next().await.is_none());
    }
}
