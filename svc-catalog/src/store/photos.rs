//! Photo rows and upload reservations. Positions stay dense (0, 1, 2…) within a
//! listing: inserts append, deletes close the gap, reorders rewrite them all, each in
//! one transaction, so "the first photo" is always position 0.

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, UpdateMany,
};
use uuid::Uuid;

use super::CatalogStore;
use super::entities::{listing, listing_photo, photo_upload};
use crate::domain::photos::gallery::{Photo, PhotoFailure, PhotoStatus, StoredVariant};
use crate::error::CatalogError;

/// What a used upload token was good for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UploadGrant {
    pub listing_id: Uuid,
    pub agency_id: Uuid,
}

/// A photo row about to be appended: an upload or a fetched URL to process, or
/// (with `failure`) a URL that could not be taken in, recorded so it is not
/// fetched again and the dealer reads why.
#[derive(Clone, Copy, Debug)]
pub struct NewPhoto<'a> {
    pub id: Uuid,
    pub source_url: Option<&'a str>,
    pub failure: Option<&'a PhotoFailure>,
}

/// What processing adds to a photo.
#[derive(Clone, Debug)]
pub struct ProcessedFields {
    pub width: u32,
    pub height: u32,
    pub placeholder: String,
    pub variants: Vec<StoredVariant>,
}

fn photo_from_row(row: listing_photo::Model) -> Result<Photo, CatalogError> {
    let status: PhotoStatus = row.status.parse().map_err(CatalogError::Corrupt)?;
    let variants: Vec<StoredVariant> = serde_json::from_str(&row.variants)
        .map_err(|error| CatalogError::Corrupt(format!("variants of photo {}: {error}", row.id)))?;
    let failure = match (row.failure_code, row.failure_reason) {
        (Some(code), reason) => Some(PhotoFailure { code, reason: reason.unwrap_or_default() }),
        (None, _) => None,
    };
    Ok(Photo {
        id: row.id,
        listing_id: row.listing_id,
        agency_id: row.agency_id,
        position: row.position,
        status,
        failure,
        width: u32::try_from(row.width).unwrap_or_default(),
        height: u32::try_from(row.height).unwrap_or_default(),
        placeholder: row.placeholder,
        variants,
        source_url: row.source_url,
        created_at_unix: row.created_at,
    })
}

fn dimension(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

impl CatalogStore {
    pub async fn reserve_uploads(
        &self,
        grant: UploadGrant,
        token_hashes: &[String],
        now: i64,
        expires_at: i64,
    ) -> Result<(), CatalogError> {
        let write = self.begin_write().await?;
        for token_hash in token_hashes {
            photo_upload::ActiveModel {
                token_hash: Set(token_hash.clone()),
                listing_id: Set(grant.listing_id),
                agency_id: Set(grant.agency_id),
                created_at: Set(now),
                expires_at: Set(expires_at),
                used_at: Set(None),
            }
            .insert(&write.transaction)
            .await?;
        }
        write.transaction.commit().await?;
        Ok(())
    }

    /// Reservations of a listing not yet used and not yet expired.
    pub async fn open_reservations(&self, listing_id: Uuid, now: i64) -> Result<u64, CatalogError> {
        Ok(photo_upload::Entity::find()
            .filter(photo_upload::Column::ListingId.eq(listing_id))
            .filter(photo_upload::Column::UsedAt.is_null())
            .filter(photo_upload::Column::ExpiresAt.gt(now))
            .count(self.database())
            .await?)
    }

    /// Spends a token: one conditional update, so of two uploads racing with the same
    /// token exactly one gets the grant. Unknown, used and expired tokens get `None`.
    pub async fn consume_upload(&self, token_hash: &str, now: i64) -> Result<Option<UploadGrant>, CatalogError> {
        let write = self.begin_write().await?;
        let spent = photo_upload::Entity::update_many()
            .col_expr(photo_upload::Column::UsedAt, Expr::value(now))
            .filter(photo_upload::Column::TokenHash.eq(token_hash))
            .filter(photo_upload::Column::UsedAt.is_null())
            .filter(photo_upload::Column::ExpiresAt.gt(now))
            .exec(&write.transaction)
            .await?;
        if spent.rows_affected != 1 {
            return Ok(None);
        }
        let row = photo_upload::Entity::find_by_id(token_hash.to_string()).one(&write.transaction).await?;
        write.transaction.commit().await?;
        Ok(row.map(|row| UploadGrant { listing_id: row.listing_id, agency_id: row.agency_id }))
    }

    /// The photos of these listings, each listing's in display order.
    pub async fn photos_of(&self, listing_ids: &[Uuid]) -> Result<Vec<Photo>, CatalogError> {
        if listing_ids.is_empty() {
            return Ok(Vec::new());
        }
        listing_photo::Entity::find()
            .filter(listing_photo::Column::ListingId.is_in(listing_ids.to_vec()))
            .order_by_asc(listing_photo::Column::ListingId)
            .order_by_asc(listing_photo::Column::Position)
            .all(self.database())
            .await?
            .into_iter()
            .map(photo_from_row)
            .collect()
    }

    pub async fn get_photo(&self, id: Uuid) -> Result<Option<Photo>, CatalogError> {
        listing_photo::Entity::find_by_id(id).one(self.database()).await?.map(photo_from_row).transpose()
    }

    /// Appends a PROCESSING photo unless the listing already holds `limit` photos
    /// that count (processing or ready), or (for a fetched one) already has a photo
    /// from the same URL. On PostgreSQL the listing row is locked so two uploads
    /// racing for the last place cannot both take it; SQLite's writers already queue
    /// on the write gate.
    pub async fn insert_photo_within_limit(
        &self,
        grant: UploadGrant,
        new: NewPhoto<'_>,
        limit: usize,
        now: i64,
    ) -> Result<Option<Photo>, CatalogError> {
        let write = self.begin_write().await?;
        if self.is_postgres() {
            listing::Entity::find_by_id(grant.listing_id)
                .select_only()
                .column(listing::Column::Id)
                .lock_exclusive()
                .into_tuple::<Uuid>()
                .one(&write.transaction)
                .await?;
        }
        let existing = listing_photo::Entity::find()
            .filter(listing_photo::Column::ListingId.eq(grant.listing_id))
            .all(&write.transaction)
            .await?;
        let counted = existing.iter().filter(|row| row.status != PhotoStatus::Failed.as_str()).count();
        let duplicate =
            new.source_url.is_some_and(|url| existing.iter().any(|row| row.source_url.as_deref() == Some(url)));
        if duplicate || (new.failure.is_none() && counted >= limit) {
            return Ok(None);
        }
        let position = existing.iter().map(|row| row.position + 1).max().unwrap_or(0);
        let status = if new.failure.is_some() { PhotoStatus::Failed } else { PhotoStatus::Processing };
        let row = listing_photo::ActiveModel {
            id: Set(new.id),
            listing_id: Set(grant.listing_id),
            agency_id: Set(grant.agency_id),
            position: Set(position),
            status: Set(status.as_str().to_string()),
            failure_code: Set(new.failure.map(|failure| failure.code.clone())),
            failure_reason: Set(new.failure.map(|failure| truncate(&failure.reason, 300))),
            width: Set(0),
            height: Set(0),
            placeholder: Set(String::new()),
            variants: Set("[]".to_string()),
            source_url: Set(new.source_url.map(str::to_string)),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&write.transaction)
        .await?;
        write.transaction.commit().await?;
        photo_from_row(row).map(Some)
    }

    /// PROCESSING → READY. False when the photo is gone or no longer processing (it
    /// was deleted meanwhile): the caller then removes what it wrote.
    pub async fn finish_photo(&self, id: Uuid, processed: &ProcessedFields, now: i64) -> Result<bool, CatalogError> {
        let variants = serde_json::to_string(&processed.variants)
            .map_err(|error| CatalogError::Corrupt(format!("variants of photo {id}: {error}")))?;
        let update = listing_photo::Entity::update_many()
            .col_expr(listing_photo::Column::Status, Expr::value(PhotoStatus::Ready.as_str()))
            .col_expr(listing_photo::Column::Width, Expr::value(dimension(processed.width)))
            .col_expr(listing_photo::Column::Height, Expr::value(dimension(processed.height)))
            .col_expr(listing_photo::Column::Placeholder, Expr::value(processed.placeholder.clone()))
            .col_expr(listing_photo::Column::Variants, Expr::value(variants));
        self.leave_processing(id, update, now).await
    }

    /// PROCESSING → FAILED with the reason the dealer will read.
    pub async fn fail_photo(&self, id: Uuid, failure: &PhotoFailure, now: i64) -> Result<bool, CatalogError> {
        let update = listing_photo::Entity::update_many()
            .col_expr(listing_photo::Column::Status, Expr::value(PhotoStatus::Failed.as_str()))
            .col_expr(listing_photo::Column::FailureCode, Expr::value(failure.code.clone()))
            .col_expr(listing_photo::Column::FailureReason, Expr::value(truncate(&failure.reason, 300)));
        self.leave_processing(id, update, now).await
    }

    /// Applies `update` to the photo only while it is still PROCESSING (one
    /// conditional update: a deletion or another worker racing this one wins or
    /// loses whole); true when it applied.
    async fn leave_processing(
        &self,
        id: Uuid,
        update: UpdateMany<listing_photo::Entity>,
        now: i64,
    ) -> Result<bool, CatalogError> {
        let write = self.begin_write().await?;
        let updated = update
            .col_expr(listing_photo::Column::UpdatedAt, Expr::value(now))
            .filter(listing_photo::Column::Id.eq(id))
            .filter(listing_photo::Column::Status.eq(PhotoStatus::Processing.as_str()))
            .exec(&write.transaction)
            .await?;
        write.transaction.commit().await?;
        Ok(updated.rows_affected == 1)
    }

    /// Deletes the row and closes the gap it leaves in the order.
    pub async fn delete_photo_row(&self, photo: &Photo) -> Result<bool, CatalogError> {
        let write = self.begin_write().await?;
        let deleted = listing_photo::Entity::delete_by_id(photo.id).exec(&write.transaction).await?;
        if deleted.rows_affected == 1 {
            listing_photo::Entity::update_many()
                .col_expr(listing_photo::Column::Position, Expr::col(listing_photo::Column::Position).sub(1))
                .filter(listing_photo::Column::ListingId.eq(photo.listing_id))
                .filter(listing_photo::Column::Position.gt(photo.position))
                .exec(&write.transaction)
                .await?;
        }
        write.transaction.commit().await?;
        Ok(deleted.rows_affected == 1)
    }

    /// Rewrites the positions in the given order (already checked to be exactly the
    /// listing's photos).
    pub async fn reorder_photos(&self, listing_id: Uuid, ordered: &[Uuid], now: i64) -> Result<(), CatalogError> {
        let write = self.begin_write().await?;
        for (position, id) in ordered.iter().enumerate() {
            listing_photo::Entity::update_many()
                .col_expr(listing_photo::Column::Position, Expr::value(i32::try_from(position).unwrap_or(i32::MAX)))
                .col_expr(listing_photo::Column::UpdatedAt, Expr::value(now))
                .filter(listing_photo::Column::Id.eq(*id))
                .filter(listing_photo::Column::ListingId.eq(listing_id))
                .exec(&write.transaction)
                .await?;
        }
        write.transaction.commit().await?;
        Ok(())
    }

    /// Photos still PROCESSING that nobody touched since `stale_before`: a process
    /// stopped while they were queued. Each is claimed (its `updated_at` set to now)
    /// by a conditional update, so two replicas sweeping together take each once.
    pub async fn claim_stale_photos(
        &self,
        stale_before: i64,
        now: i64,
        limit: u64,
    ) -> Result<Vec<Photo>, CatalogError> {
        let candidates = listing_photo::Entity::find()
            .filter(listing_photo::Column::Status.eq(PhotoStatus::Processing.as_str()))
            .filter(listing_photo::Column::UpdatedAt.lt(stale_before))
            .limit(limit)
            .all(self.database())
            .await?;
        let mut claimed = Vec::new();
        for row in candidates {
            let write = self.begin_write().await?;
            let updated = listing_photo::Entity::update_many()
                .col_expr(listing_photo::Column::UpdatedAt, Expr::value(now))
                .filter(listing_photo::Column::Id.eq(row.id))
                .filter(listing_photo::Column::Status.eq(PhotoStatus::Processing.as_str()))
                .filter(listing_photo::Column::UpdatedAt.eq(row.updated_at))
                .exec(&write.transaction)
                .await?;
            write.transaction.commit().await?;
            if updated.rows_affected == 1 {
                claimed.push(photo_from_row(row)?);
            }
        }
        Ok(claimed)
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
