//! Catalog as billing needs it: read a listing (with the caller's rights), set or
//! clear a promotion (as billing), follow the change feed (as billing), over
//! catalog's gRPC API. Tests run it against a real in-process catalog, so there is
//! no trait to substitute it.

use std::pin::Pin;
use std::time::Duration;

use futures::{Stream, StreamExt};
use nds_common::grpc::{CallContext, retry_unavailable};
use nds_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use nds_proto::catalog::v1::{GetListingRequest, ListingStatus, SetPromotionRequest, StreamChangesRequest};
use tonic::transport::Channel;
use uuid::Uuid;

use super::ServiceCredentials;
use crate::error::BillingError;

/// What billing needs to know about a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingFacts {
    pub listing_id: Uuid,
    pub agency_id: Uuid,
    pub group_id: Uuid,
    pub published: bool,
    /// The status name as billing stores it (`published`, `draft`, ...).
    pub status: String,
    pub version: i64,
}

/// One change of the feed, reduced to billing's concern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedChange {
    pub sequence: i64,
    pub listing: ListingFacts,
    pub changed_at_unix: i64,
}

pub type FeedStream = Pin<Box<dyn Stream<Item = Result<FeedChange, BillingError>> + Send>>;

pub fn status_name(status: ListingStatus) -> &'static str {
    match status {
        ListingStatus::Unspecified => "unspecified",
        ListingStatus::Draft => "draft",
        ListingStatus::Published => "published",
        ListingStatus::Sold => "sold",
        ListingStatus::Archived => "archived",
    }
}

fn parse_uuid(raw: &str, what: &str) -> Result<Uuid, BillingError> {
    Uuid::parse_str(raw).map_err(|_| BillingError::Internal(format!("catalog sent a malformed {what}")))
}

pub fn listing_facts(listing: &nds_proto::catalog::v1::Listing) -> Result<ListingFacts, BillingError> {
    let status = ListingStatus::try_from(listing.status).unwrap_or(ListingStatus::Unspecified);
    Ok(ListingFacts {
        listing_id: parse_uuid(&listing.id, "listing id")?,
        agency_id: parse_uuid(&listing.agency_id, "agency id")?,
        group_id: parse_uuid(&listing.group_id, "group id")?,
        published: status == ListingStatus::Published,
        status: status_name(status).to_string(),
        version: listing.version,
    })
}

/// Catalog over gRPC.
#[derive(Clone)]
pub struct GrpcCatalog {
    channel: Channel,
    credentials: ServiceCredentials,
    budget: Duration,
}

impl GrpcCatalog {
    pub fn new(channel: Channel, credentials: ServiceCredentials, budget: Duration) -> Self {
        Self { channel, credentials, budget }
    }

    /// Reads a listing with the caller's rights (`context` carries their token).
    pub async fn get_listing(&self, context: &CallContext, listing_id: Uuid) -> Result<ListingFacts, BillingError> {
        let response = retry_unavailable(context, || {
            let mut client = CatalogServiceClient::new(self.channel.clone());
            let request = context.request(GetListingRequest { id: listing_id.to_string() });
            async move { client.get_listing(request).await }
        })
        .await?;
        listing_facts(&response.into_inner())
    }

    /// Sets (or clears, with `None`) a listing's promotion, as billing.
    pub async fn set_promotion(
        &self,
        listing_id: Uuid,
        promoted_until_unix: Option<i64>,
        rank: i32,
    ) -> Result<(), BillingError> {
        let context = self.credentials.context(self.budget);
        // Idempotent: setting the same end twice leaves the same state.
        retry_unavailable(&context, || {
            let mut client = CatalogServiceClient::new(self.channel.clone());
            let request = context.request(SetPromotionRequest {
                listing_id: listing_id.to_string(),
                promoted_until_unix,
                rank: if promoted_until_unix.is_some() { rank } else { 0 },
            });
            async move { client.set_promotion(request).await }
        })
        .await?;
        Ok(())
    }

    /// Changes after `after_sequence`, then new ones as they commit (the stream
    /// does not end while catalog runs).
    pub async fn changes(&self, after_sequence: i64) -> Result<FeedStream, BillingError> {
        let mut client = CatalogServiceClient::new(self.channel.clone());
        // A stream lives long: no deadline, only the token.
        let mut request = tonic::Request::new(StreamChangesRequest { after_sequence });
        if let Some(token) = self.credentials.token_or_fetch().await
            && let Ok(value) = format!("Bearer {}", token.expose()).parse()
        {
            request.metadata_mut().insert("authorization", value);
        }
        let stream = client.stream_changes(request).await?.into_inner();
        Ok(Box::pin(stream.map(|item| {
            let change = item?;
            let listing = change.listing.ok_or_else(|| BillingError::Internal("feed change without listing".into()))?;
            Ok(FeedChange {
                sequence: change.sequence,
                listing: listing_facts(&listing)?,
                changed_at_unix: change.changed_at_unix,
            })
        })))
    }
}
