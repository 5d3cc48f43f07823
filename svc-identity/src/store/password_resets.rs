//! Password-reset tokens: hashed, single use, expiring.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::entities::password_reset;

pub async fn insert<C: ConnectionTrait>(
    connection: &C,
    user_id: Uuid,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<password_reset::Model, DbErr> {
    password_reset::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        token_hash: Set(token_hash.to_string()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
    .insert(connection)
    .await
}

pub async fn find_by_hash<C: ConnectionTrait>(
    connection: &C,
    token_hash: &str,
) -> Result<Option<password_reset::Model>, DbErr> {
    password_reset::Entity::find().filter(password_reset::Column::TokenHash.eq(token_hash)).one(connection).await
}

/// Uses the token if it is still open: of two concurrent resets with one token,
/// exactly one UPDATE matches.
pub async fn use_if_open<C: ConnectionTrait>(connection: &C, id: Uuid, now: i64) -> Result<bool, DbErr> {
    let result = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(Some(now)))
        .filter(password_reset::Column::Id.eq(id))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(now))
        .exec(connection)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Closes every open token of a user (after a reset or a change, older links are moot).
pub async fn close_all_of<C: ConnectionTrait>(connection: &C, user_id: Uuid, now: i64) -> Result<u64, DbErr> {
    let result = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(Some(now)))
        .filter(password_reset::Column::UserId.eq(user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(connection)
        .await?;
    Ok(result.rows_affected)
}
