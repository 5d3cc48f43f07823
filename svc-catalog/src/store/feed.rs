//! The change feed's storage.
//!
//! The outbox hole: if positions came from a sequence when a transaction starts
//! writing, a reader that saw 102 could miss 101 committing later. Here a position
//! is taken as the transaction's very last step, by incrementing the single
//! `feed_counter` row. On PostgreSQL that row stays locked until commit, so the
//! next writer gets its position only after this one committed (or rolled back):
//! positions are handed out in commit order and a reader that sees N sees every
//! position below N. SQLite has one writer at a time, so the same holds trivially.
//! The lock is held only for the tail of each write (insert change + commit).

use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};

use super::CatalogStore;
use super::entities::listing_change;
use super::rows::change_from_row;
use crate::domain::{ChangeKind, Listing, ListingChange};
use crate::error::CatalogError;

/// PostgreSQL NOTIFY channel: a wake-up for streams in other processes, never the truth.
pub const CHANGES_CHANNEL: &str = "nds_catalog_changes";

const NEXT_SEQUENCE: &str =
    "UPDATE feed_counter SET last_sequence = last_sequence + 1 WHERE id = 1 RETURNING last_sequence";

/// Appends a change row inside `transaction`; call it last, right before commit.
pub async fn append_change<C: ConnectionTrait>(
    transaction: &C,
    kind: ChangeKind,
    listing: &Listing,
    now: i64,
) -> Result<i64, CatalogError> {
    let backend = transaction.get_database_backend();
    let row = transaction
        .query_one_raw(Statement::from_string(backend, NEXT_SEQUENCE))
        .await?
        .ok_or_else(|| CatalogError::Corrupt("feed_counter row is missing".into()))?;
    let sequence: i64 = row.try_get("", "last_sequence")?;
    let snapshot = serde_json::to_string(listing).map_err(|error| CatalogError::Corrupt(error.to_string()))?;
    listing_change::ActiveModel {
        sequence: Set(sequence),
        listing_id: Set(listing.id),
        version: Set(listing.version),
        kind: Set(kind.as_str().to_string()),
        snapshot: Set(snapshot),
        changed_at: Set(now),
        traceparent: Set(nds_common::trace::current_traceparent()),
    }
    .insert(transaction)
    .await?;
    if backend == DbBackend::Postgres {
        // Delivered at commit, dropped on rollback: exactly what a wake-up should do.
        transaction
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANGES_CHANNEL.into(), sequence.to_string().into()],
            ))
            .await?;
    }
    Ok(sequence)
}

impl CatalogStore {
    /// Committed changes after `after`, in feed order.
    pub async fn changes_after(&self, after: i64, limit: u64) -> Result<Vec<ListingChange>, CatalogError> {
        listing_change::Entity::find()
            .filter(listing_change::Column::Sequence.gt(after))
            .order_by_asc(listing_change::Column::Sequence)
            .limit(limit)
            .all(self.database())
            .await?
            .into_iter()
            .map(change_from_row)
            .collect()
    }

    /// The last position handed out (and committed): every change up to it is readable.
    pub async fn current_sequence(&self) -> Result<i64, CatalogError> {
        let backend = self.database().get_database_backend();
        let row = self
            .database()
            .query_one_raw(Statement::from_string(backend, "SELECT last_sequence FROM feed_counter WHERE id = 1"))
            .await?
            .ok_or_else(|| CatalogError::Corrupt("feed_counter row is missing".into()))?;
        Ok(row.try_get("", "last_sequence")?)
    }

    /// Changes of one listing (tests and audits).
    pub async fn changes_of(&self, listing_id: uuid::Uuid) -> Result<Vec<ListingChange>, CatalogError> {
        listing_change::Entity::find()
            .filter(listing_change::Column::ListingId.eq(listing_id))
            .order_by_asc(listing_change::Column::Sequence)
            .all(self.database())
            .await?
            .into_iter()
            .map(change_from_row)
            .collect()
    }
}
