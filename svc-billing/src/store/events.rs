//! The webhook event log: store once, claim, finish.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use super::entities::webhook_event::{ActiveModel, Column, Entity, Model};
use super::now_unix;
use crate::domain::event::StripeEvent;

pub const PENDING: &str = "pending";
pub const PROCESSING: &str = "processing";
pub const PROCESSED: &str = "processed";
pub const IGNORED: &str = "ignored";
/// Gave up after [`MAX_ATTEMPTS`]: kept for an operator, never retried automatically.
pub const FAILED: &str = "failed";

pub const MAX_ATTEMPTS: i64 = 10;
/// How long processing one event may take before it counts as a failed attempt
/// (well under the claim timeout, so a slow attempt is not claimed twice).
pub const PROCESSING_DEADLINE_SECONDS: u64 = 30;
/// A claim older than this belongs to a worker that died: the event is pending again.
pub const CLAIM_TIMEOUT_SECONDS: i64 = 60;

/// Stores an event once. `true` when this call stored it, `false` for a duplicate
/// (also when a concurrent delivery won the race: the primary key decides).
pub async fn insert_once<C: ConnectionTrait>(database: &C, event: &StripeEvent, payload: &str) -> Result<bool, DbErr> {
    let now = now_unix();
    let row = ActiveModel {
        id: Set(event.id.clone()),
        event_type: Set(event.event_type.clone()),
        created_unix: Set(event.created),
        object_id: Set(event.object_id()),
        payload: Set(payload.to_string()),
        status: Set(PENDING.to_string()),
        attempts: Set(0),
        claimed_at_unix: Set(None),
        next_attempt_at_unix: Set(now),
        received_at_unix: Set(now),
        processed_at_unix: Set(None),
        outcome: Set(None),
        traceparent: Set(nds_common::trace::current_traceparent()),
    };
    let inserted = Entity::insert(row)
        .on_conflict(OnConflict::column(Column::Id).do_nothing().to_owned())
        .exec_without_returning(database)
        .await?;
    Ok(inserted == 1)
}

/// Events ready to process: pending and due, or claimed by a worker that died.
pub async fn due<C: ConnectionTrait>(database: &C, limit: u64) -> Result<Vec<Model>, DbErr> {
    let now = now_unix();
    let pending = Column::Status.eq(PENDING).and(Column::NextAttemptAtUnix.lte(now));
    let abandoned = Column::Status.eq(PROCESSING).and(Column::ClaimedAtUnix.lt(now - CLAIM_TIMEOUT_SECONDS));
    Entity::find()
        .filter(pending.or(abandoned))
        .order_by_asc(Column::CreatedUnix)
        .order_by_asc(Column::ReceivedAtUnix)
        .limit(limit)
        .all(database)
        .await
}

/// Events whose worker died or hung at their last allowed attempt (claimed,
/// never finished, claim expired): `failed`, kept for an operator and never
/// claimed again. Returns how many were given up.
pub async fn fail_exhausted<C: ConnectionTrait>(database: &C) -> Result<u64, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::Status, Expr::value(FAILED))
        .col_expr(Column::ClaimedAtUnix, Expr::value(Option::<i64>::None))
        .col_expr(Column::Outcome, Expr::value("gave up: the worker processing it died or hung at every attempt"))
        .filter(Column::Status.eq(PROCESSING))
        .filter(Column::ClaimedAtUnix.lt(now_unix() - CLAIM_TIMEOUT_SECONDS))
        .filter(Column::Attempts.gte(MAX_ATTEMPTS))
        .exec(database)
        .await?;
    Ok(result.rows_affected)
}

pub async fn count_failed<C: ConnectionTrait>(database: &C) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    Entity::find().filter(Column::Status.eq(FAILED)).count(database).await
}

/// Claims one event for this worker: a conditional update, so of two workers
/// only one gets it.
pub async fn claim<C: ConnectionTrait>(database: &C, event: &Model) -> Result<bool, DbErr> {
    let now = now_unix();
    let result = Entity::update_many()
        .col_expr(Column::Status, Expr::value(PROCESSING))
        .col_expr(Column::ClaimedAtUnix, Expr::value(now))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .filter(Column::Id.eq(event.id.clone()))
        .filter(Column::Status.eq(event.status.clone()))
        .filter(match event.claimed_at_unix {
            Some(claimed) => Column::ClaimedAtUnix.eq(claimed),
            None => Column::ClaimedAtUnix.is_null(),
        })
        .exec(database)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Marks a claimed event done (`processed` or `ignored`) with what happened.
pub async fn finish<C: ConnectionTrait>(
    database: &C,
    event_id: &str,
    status: &str,
    outcome: &str,
) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(status))
        .col_expr(Column::ProcessedAtUnix, Expr::value(now_unix()))
        .col_expr(Column::Outcome, Expr::value(outcome))
        .filter(Column::Id.eq(event_id))
        .filter(Column::Status.eq(PROCESSING))
        .exec(database)
        .await?;
    Ok(())
}

/// A failed attempt: back to pending with a backoff, or `failed` after too many.
pub async fn retry_later<C: ConnectionTrait>(database: &C, event: &Model, error: &str) -> Result<(), DbErr> {
    let attempts = event.attempts + 1;
    let status = if attempts >= MAX_ATTEMPTS { FAILED } else { PENDING };
    let backoff = std::cmp::min(2_i64.pow(attempts.clamp(0, 10) as u32), 600);
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(status))
        .col_expr(Column::ClaimedAtUnix, Expr::value(Option::<i64>::None))
        .col_expr(Column::NextAttemptAtUnix, Expr::value(now_unix() + backoff))
        .col_expr(Column::Outcome, Expr::value(error))
        .filter(Column::Id.eq(event.id.clone()))
        .filter(Column::Status.eq(PROCESSING))
        .exec(database)
        .await?;
    Ok(())
}

pub async fn find<C: ConnectionTrait>(database: &C, event_id: &str) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(event_id.to_string()).one(database).await
}

pub async fn count<C: ConnectionTrait>(database: &C) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    Entity::find().count(database).await
}
