//! Refresh tokens: stored as hashes, rotated once, revoked by family.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::entities::refresh_token;

pub async fn insert<C: ConnectionTrait>(
    connection: &C,
    family_id: Uuid,
    user_id: Uuid,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<refresh_token::Model, DbErr> {
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(token_hash.to_string()),
        family_id: Set(family_id),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(connection)
    .await
}

pub async fn find_by_hash<C: ConnectionTrait>(
    connection: &C,
    token_hash: &str,
) -> Result<Option<refresh_token::Model>, DbErr> {
    refresh_token::Entity::find().filter(refresh_token::Column::TokenHash.eq(token_hash)).one(connection).await
}

/// Marks a token used only if nobody did before: of two concurrent refreshes the
/// database lets exactly one UPDATE match (the other sees `used_at` set after
/// the first commits), so at most one wins.
pub async fn mark_used_if_fresh<C: ConnectionTrait>(connection: &C, id: Uuid, now: i64) -> Result<bool, DbErr> {
    let result = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(connection)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn revoke_family<C: ConnectionTrait>(connection: &C, family_id: Uuid, now: i64) -> Result<u64, DbErr> {
    let result = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(connection)
        .await?;
    Ok(result.rows_affected)
}

pub async fn revoke_user<C: ConnectionTrait>(connection: &C, user_id: Uuid, now: i64) -> Result<u64, DbErr> {
    let result = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(connection)
        .await?;
    Ok(result.rows_affected)
}

/// Deletes tokens that expired before `cutoff` (housekeeping job).
pub async fn delete_expired_before<C: ConnectionTrait>(connection: &C, cutoff: i64) -> Result<u64, DbErr> {
    let result = refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::ExpiresAt.lt(cutoff))
        .exec(connection)
        .await?;
    Ok(result.rows_affected)
}
