//! Usage from catalog's change feed: each change updates billing's copy of the
//! listing's state and, when a listing is newly published, queues one meter event
//! for the month (identifier = listing + month). The cursor is saved with the
//! effects, so a crash or replay neither loses nor duplicates.

use std::time::Duration;

use futures::StreamExt;
use sea_orm::TransactionTrait;

use super::Billing;
use crate::clients::catalog::FeedChange;
use crate::domain::period::{meter_identifier, month_of};
use crate::error::BillingError;
use crate::store::entities::listing_state;
use crate::store::{self, now_unix};

impl Billing {
    /// Applies one change (idempotent by listing version).
    pub async fn apply_feed_change(&self, change: &FeedChange) -> Result<(), BillingError> {
        let listing = &change.listing;
        let listing_id = listing.listing_id.to_string();
        let agency_id = listing.agency_id.to_string();
        let transaction = self.database.begin().await?;
        let previous = store::usage::listing(&transaction, &listing_id).await?;
        let newly_published =
            listing.published && previous.as_ref().is_none_or(|previous| previous.status != "published");
        let stored = store::usage::upsert_listing(
            &transaction,
            listing_state::Model {
                listing_id: listing_id.clone(),
                agency_id: agency_id.clone(),
                group_id: listing.group_id.to_string(),
                status: listing.status.clone(),
                version: listing.version,
                updated_at_unix: change.changed_at_unix,
            },
        )
        .await?;
        // Only billable usage is queued: an agency without a live subscription is
        // billed from the month it subscribes (see `queue_usage_from_now`).
        if stored && newly_published && store::accounts::billable(&transaction, &agency_id).await? {
            let month = month_of(if change.changed_at_unix > 0 { change.changed_at_unix } else { now_unix() });
            store::usage::queue_meter_event(
                &transaction,
                &meter_identifier(&listing_id, &month),
                &listing_id,
                &agency_id,
                &month,
            )
            .await?;
        }
        store::usage::save_cursor(&transaction, change.sequence).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Sends the billable queued meter events (oldest first) until none is left or
    /// Stripe refuses one (the rest waits for the next pass).
    pub async fn send_meter_events(&self) -> Result<usize, BillingError> {
        const PAGE: u64 = 500;
        if !self.stripe.is_configured() {
            return Ok(0);
        }
        let mut sent = 0;
        loop {
            let batch = store::usage::billable_unsent_meter_events(&self.database, PAGE).await?;
            let full_page = batch.len() as u64 == PAGE;
            for (event, customer_id) in batch {
                match self.stripe.send_meter_event(&customer_id, &event.identifier, now_unix()).await {
                    Ok(()) => {
                        store::usage::mark_meter_sent(&self.database, &event.identifier).await?;
                        sent += 1;
                    }
                    Err(error) => {
                        tracing::warn!(identifier = %event.identifier, error = %error, "meter event not sent; will retry");
                        store::usage::meter_attempt_failed(&self.database, &event.identifier).await?;
                        return Ok(sent);
                    }
                }
            }
            if !full_page {
                return Ok(sent);
            }
        }
    }

    /// Follows the feed from the saved cursor until the stream ends or fails.
    pub async fn follow_feed_once(&self) -> Result<usize, BillingError> {
        let after = store::usage::cursor(&self.database).await?;
        let mut stream = self.catalog.changes(after).await?;
        let mut applied = 0;
        while let Some(change) = stream.next().await {
            let change = change?;
            if change.sequence <= after {
                continue;
            }
            self.apply_feed_change(&change).await?;
            applied += 1;
            if applied % 50 == 0 {
                self.send_meter_events().await?;
            }
        }
        self.send_meter_events().await?;
        Ok(applied)
    }
}

/// Queues `month`'s usage of the agency's published listings: what a subscription
/// that starts in that month pays for first (earlier months are never billed).
pub async fn queue_month_usage<C: sea_orm::ConnectionTrait>(
    database: &C,
    agency_id: &str,
    month: &str,
) -> Result<usize, sea_orm::DbErr> {
    let mut queued = 0;
    for listing in store::usage::published_listings_of(database, agency_id).await? {
        let identifier = meter_identifier(&listing.listing_id, month);
        if store::usage::queue_meter_event(database, &identifier, &listing.listing_id, agency_id, month).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Ceiling of the feed consumer's reconnect backoff (the same as search's indexer).
pub const FEED_MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The feed consumer task: reconnects after any failure with jittered exponential
/// backoff (`nds_common::backoff`, as search's indexer), from where it stopped.
pub async fn run_feed_consumer(billing: Billing, shutdown: nds_common::Shutdown) {
    let mut backoff = nds_common::backoff::Backoff::new(FEED_MAX_BACKOFF);
    loop {
        let delay = tokio::select! {
            _ = shutdown.wait() => return,
            result = billing.follow_feed_once() => match result {
                Ok(_) => {
                    backoff.reset();
                    backoff.next_delay()
                }
                Err(error) => {
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %error, delay_ms = delay.as_millis() as u64, "catalog feed interrupted; reconnecting");
                    delay
                }
            }
        };
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}
