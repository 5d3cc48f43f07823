//! Promotions: pending until Stripe says paid, then active for a window.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::promotion::{ActiveModel, Column, Entity, Model};
use super::ledger::LedgerScope;
use super::now_unix;
use crate::domain::promotion::PromotionStatus;

pub struct NewPromotion {
    pub id: Uuid,
    pub listing_id: Uuid,
    pub agency_id: Uuid,
    pub group_id: Uuid,
    pub amount_minor: i64,
    pub currency: String,
    /// The audit log's actor: who started the checkout.
    pub requested_by: String,
}

pub async fn insert_pending<C: ConnectionTrait>(database: &C, promotion: &NewPromotion) -> Result<Model, DbErr> {
    let now = now_unix();
    ActiveModel {
        id: Set(promotion.id.to_string()),
        listing_id: Set(promotion.listing_id.to_string()),
        agency_id: Set(promotion.agency_id.to_string()),
        group_id: Set(promotion.group_id.to_string()),
        payment_intent_id: Set(None),
        status: Set(PromotionStatus::Pending.as_str().to_string()),
        amount_minor: Set(promotion.amount_minor),
        currency: Set(promotion.currency.clone()),
        starts_at_unix: Set(None),
        ends_at_unix: Set(None),
        catalog_synced: Set(true),
        expiry_notified: Set(false),
        last_event_created: Set(0),
        created_at_unix: Set(now),
        updated_at_unix: Set(now),
        requested_by: Set(promotion.requested_by.clone()),
    }
    .insert(database)
    .await
}

pub async fn attach_payment_intent<C: ConnectionTrait>(
    database: &C,
    id: &str,
    payment_intent_id: &str,
) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::PaymentIntentId, Expr::value(payment_intent_id))
        .col_expr(Column::UpdatedAtUnix, Expr::value(now_unix()))
        .filter(Column::Id.eq(id))
        .exec(database)
        .await?;
    Ok(())
}

pub async fn by_payment_intent<C: ConnectionTrait>(
    database: &C,
    payment_intent_id: &str,
) -> Result<Option<Model>, DbErr> {
    Entity::find().filter(Column::PaymentIntentId.eq(payment_intent_id)).one(database).await
}

pub async fn by_id<C: ConnectionTrait>(database: &C, id: &str) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id.to_string()).one(database).await
}

/// Locks every promotion row of the listing until the transaction ends (PostgreSQL
/// `FOR UPDATE`, in id order so two lockers cannot deadlock). A payment creates its
/// promotion row before it can succeed, so two payments of one listing both wait
/// on the same rows.
pub async fn lock_listing<C: ConnectionTrait>(database: &C, listing_id: &str) -> Result<(), DbErr> {
    Entity::find()
        .filter(Column::ListingId.eq(listing_id))
        .order_by_asc(Column::Id)
        .lock_exclusive()
        .all(database)
        .await?;
    Ok(())
}

/// The latest end among the listing's active promotions.
pub async fn current_end<C: ConnectionTrait>(database: &C, listing_id: &str) -> Result<Option<i64>, DbErr> {
    let latest = Entity::find()
        .filter(Column::ListingId.eq(listing_id))
        .filter(Column::Status.eq(PromotionStatus::Active.as_str()))
        .order_by_desc(Column::EndsAtUnix)
        .one(database)
        .await?;
    Ok(latest.and_then(|promotion| promotion.ends_at_unix))
}

/// pending/failed → active (a stale or duplicate event changes nothing).
pub async fn activate<C: ConnectionTrait>(
    database: &C,
    id: &str,
    starts: i64,
    ends: i64,
    event_created: i64,
) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::Status, Expr::value(PromotionStatus::Active.as_str()))
        .col_expr(Column::StartsAtUnix, Expr::value(starts))
        .col_expr(Column::EndsAtUnix, Expr::value(ends))
        .col_expr(Column::CatalogSynced, Expr::value(false))
        .col_expr(Column::LastEventCreated, Expr::value(event_created))
        .col_expr(Column::UpdatedAtUnix, Expr::value(now_unix()))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.is_in([PromotionStatus::Pending.as_str(), PromotionStatus::Failed.as_str()]))
        .exec(database)
        .await?;
    Ok(result.rows_affected == 1)
}

/// pending → failed, only from pending.
pub async fn fail<C: ConnectionTrait>(database: &C, id: &str, event_created: i64) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::Status, Expr::value(PromotionStatus::Failed.as_str()))
        .col_expr(Column::LastEventCreated, Expr::value(event_created))
        .col_expr(Column::UpdatedAtUnix, Expr::value(now_unix()))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(PromotionStatus::Pending.as_str()))
        .exec(database)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Active promotions whose window has ended.
pub async fn due_to_expire<C: ConnectionTrait>(database: &C, now: i64) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::Status.eq(PromotionStatus::Active.as_str()))
        .filter(Column::EndsAtUnix.lte(now))
        .all(database)
        .await
}

/// active → expired; `false` if another run got there first.
pub async fn expire<C: ConnectionTrait>(database: &C, id: &str) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::Status, Expr::value(PromotionStatus::Expired.as_str()))
        .col_expr(Column::CatalogSynced, Expr::value(false))
        .col_expr(Column::UpdatedAtUnix, Expr::value(now_unix()))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(PromotionStatus::Active.as_str()))
        .exec(database)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Promotions whose state catalog has not confirmed yet (the outbox).
pub async fn unsynced<C: ConnectionTrait>(database: &C) -> Result<Vec<Model>, DbErr> {
    Entity::find().filter(Column::CatalogSynced.eq(false)).order_by_asc(Column::UpdatedAtUnix).all(database).await
}

pub async fn mark_synced<C: ConnectionTrait>(database: &C, id: &str, seen_updated_at: i64) -> Result<(), DbErr> {
    // Only if nothing changed since we read it; otherwise the next pass syncs again.
    Entity::update_many()
        .col_expr(Column::CatalogSynced, Expr::value(true))
        .filter(Column::Id.eq(id))
        .filter(Column::UpdatedAtUnix.eq(seen_updated_at))
        .exec(database)
        .await?;
    Ok(())
}

pub async fn mark_notified<C: ConnectionTrait>(database: &C, id: &str) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::ExpiryNotified, Expr::value(true))
        .filter(Column::Id.eq(id))
        .exec(database)
        .await?;
    Ok(())
}

pub async fn expired_unnotified<C: ConnectionTrait>(database: &C) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::Status.eq(PromotionStatus::Expired.as_str()))
        .filter(Column::ExpiryNotified.eq(false))
        .all(database)
        .await
}

/// Promotions of an agency that run now (the status page's count).
pub async fn count_active_of_agency<C: ConnectionTrait>(database: &C, agency_id: &str) -> Result<u64, DbErr> {
    Entity::find()
        .filter(Column::AgencyId.eq(agency_id))
        .filter(Column::Status.eq(PromotionStatus::Active.as_str()))
        .count(database)
        .await
}

/// Every promotion of a scope (metrics count them by state and window).
pub async fn in_scope<C: ConnectionTrait>(database: &C, scope: &LedgerScope) -> Result<Vec<Model>, DbErr> {
    Entity::find().filter(scope.condition(Column::GroupId, Column::AgencyId)).all(database).await
}

pub async fn all_for_listing<C: ConnectionTrait>(database: &C, listing_id: &str) -> Result<Vec<Model>, DbErr> {
    Entity::find().filter(Column::ListingId.eq(listing_id)).order_by_asc(Column::CreatedAtUnix).all(database).await
}
