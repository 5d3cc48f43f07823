//! Where changes come from: catalog's `StreamChanges` (incremental) and
//! `ScanListings` (full rebuild), behind a small trait so the indexer's
//! ordering and idempotency can be exercised with a recorded feed too.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use nds_common::Secret;
use nds_common::grpc::CallContext;
use nds_common::service_token::ServiceTokens;
use nds_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use nds_proto::catalog::v1::{
    ListingChange, ListingStatus, ScanListingsRequest, ScanListingsResponse, StreamChangesRequest,
};
use nds_proto::common::v1::PageRequest;
use tonic::transport::Channel;

use crate::error::SearchError;

pub type ChangeStream = BoxStream<'static, Result<ListingChange, SearchError>>;

#[async_trait]
pub trait FeedSource: Send + Sync + 'static {
    /// Changes with a sequence greater than `after`, in order, then new ones as they commit.
    async fn changes_after(&self, after: i64) -> Result<ChangeStream, SearchError>;

    /// One page of published listings; the response carries the feed position at scan start.
    async fn scan_published(&self, after: &str, first: u32) -> Result<ScanListingsResponse, SearchError>;
}

/// Who search is when it reads the feed: catalog serves `StreamChanges` and
/// `ScanListings` to internal callers only.
#[derive(Clone)]
pub enum FeedCredentials {
    /// No token: catalog will refuse; only useful when nothing is configured yet.
    Anonymous,
    /// A fixed access token (tests, tools).
    Bearer(Secret<String>),
    /// Search's own service token from identity, kept fresh in the background.
    Service(Arc<ServiceTokens>),
}

impl FeedCredentials {
    /// The token to send; a service token is fetched on first use, so search
    /// does not depend on someone else having started the refresher.
    async fn token(&self) -> Option<String> {
        match self {
            FeedCredentials::Anonymous => None,
            FeedCredentials::Bearer(token) => Some(token.expose().clone()),
            FeedCredentials::Service(tokens) => {
                if tokens.current().is_none()
                    && let Err(error) = tokens.refresh().await
                {
                    tracing::warn!(error = %error, "cannot obtain search's service token");
                }
                tokens.current().map(|token| token.expose().clone())
            }
        }
    }

    /// After catalog refused the token (expired, rotated keys): fetch a new one for the retry.
    async fn refused(&self, status: &tonic::Status) {
        if status.code() == tonic::Code::Unauthenticated
            && let FeedCredentials::Service(tokens) = self
            && let Err(error) = tokens.refresh().await
        {
            tracing::warn!(error = %error, "cannot refresh search's service token");
        }
    }
}

/// Catalog over gRPC.
pub struct CatalogFeed {
    channel: Channel,
    credentials: FeedCredentials,
    /// Budget of one scan page call.
    page_deadline: Duration,
}

impl CatalogFeed {
    pub fn new(channel: Channel, credentials: FeedCredentials, page_deadline: Duration) -> Self {
        Self { channel, credentials, page_deadline }
    }
}

fn feed_error(status: tonic::Status) -> SearchError {
    SearchError::Feed(format!("{:?}: {}", status.code(), status.message()))
}

#[async_trait]
impl FeedSource for CatalogFeed {
    async fn changes_after(&self, after: i64) -> Result<ChangeStream, SearchError> {
        let mut client = CatalogServiceClient::new(self.channel.clone());
        // No deadline: the stream is meant to stay open; reconnects resume from the cursor.
        let mut request = tonic::Request::new(StreamChangesRequest { after_sequence: after });
        if let Some(token) = self.credentials.token().await
            && let Ok(value) = format!("Bearer {token}").parse()
        {
            request.metadata_mut().insert("authorization", value);
        }
        let stream = match client.stream_changes(request).await {
            Ok(response) => response.into_inner(),
            Err(status) => {
                self.credentials.refused(&status).await;
                return Err(feed_error(status));
            }
        };
        // Catalog ends the stream when the token it was opened with expires: fetch a
        // new token then, so the reconnect that follows presents a fresh one.
        let credentials = self.credentials.clone();
        Ok(stream
            .then(move |item| {
                let credentials = credentials.clone();
                async move {
                    match item {
                        Ok(change) => Ok(change),
                        Err(status) => {
                            credentials.refused(&status).await;
                            Err(feed_error(status))
                        }
                    }
                }
            })
            .boxed())
    }

    async fn scan_published(&self, after: &str, first: u32) -> Result<ScanListingsResponse, SearchError> {
        let mut client = CatalogServiceClient::new(self.channel.clone());
        let mut context = CallContext::new(self.page_deadline);
        if let Some(token) = self.credentials.token().await {
            context = context.with_bearer(&token);
        }
        let request = ScanListingsRequest {
            status: ListingStatus::Published as i32,
            page: Some(PageRequest { first, after: after.to_string() }),
        };
        match client.scan_listings(context.request(request)).await {
            Ok(response) => Ok(response.into_inner()),
            Err(status) => {
                self.credentials.refused(&status).await;
                Err(feed_error(status))
            }
        }
    }
}
