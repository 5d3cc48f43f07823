//! Signing keys: the active one signs, recently retired ones still verify.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::entities::signing_key;

pub async fn insert<C: ConnectionTrait>(
    connection: &C,
    kid: &str,
    private_key_sealed: &str,
    public_key_x: &str,
    now: i64,
) -> Result<signing_key::Model, DbErr> {
    signing_key::ActiveModel {
        kid: Set(kid.to_string()),
        private_key_sealed: Set(private_key_sealed.to_string()),
        public_key_x: Set(public_key_x.to_string()),
        created_at: Set(now),
        retired_at: Set(None),
    }
    .insert(connection)
    .await
}

/// Stops every other key from signing (they keep verifying for a while).
pub async fn retire_all_but<C: ConnectionTrait>(connection: &C, kid: &str, now: i64) -> Result<u64, DbErr> {
    let result = signing_key::Entity::update_many()
        .col_expr(signing_key::Column::RetiredAt, Expr::value(now))
        .filter(signing_key::Column::Kid.ne(kid))
        .filter(signing_key::Column::RetiredAt.is_null())
        .exec(connection)
        .await?;
    Ok(result.rows_affected)
}

/// The newest key that still signs.
pub async fn active<C: ConnectionTrait>(connection: &C) -> Result<Option<signing_key::Model>, DbErr> {
    signing_key::Entity::find()
        .filter(signing_key::Column::RetiredAt.is_null())
        .order_by_desc(signing_key::Column::CreatedAt)
        .order_by_desc(signing_key::Column::Kid)
        .one(connection)
        .await
}

/// Keys a verifier must know: signing ones, and those retired after `retired_after`.
pub async fn published<C: ConnectionTrait>(
    connection: &C,
    retired_after: i64,
) -> Result<Vec<signing_key::Model>, DbErr> {
    signing_key::Entity::find()
        .filter(
            Condition::any()
                .add(signing_key::Column::RetiredAt.is_null())
                .add(signing_key::Column::RetiredAt.gt(retired_after)),
        )
        .order_by_desc(signing_key::Column::CreatedAt)
        .all(connection)
        .await
}

pub async fn delete_retired_before<C: ConnectionTrait>(connection: &C, cutoff: i64) -> Result<u64, DbErr> {
    let result =
        signing_key::Entity::delete_many().filter(signing_key::Column::RetiredAt.lt(cutoff)).exec(connection).await?;
    Ok(result.rows_affected)
}

/// Every stored key, oldest first (sealing and resealing at start).
pub async fn all<C: ConnectionTrait>(connection: &C) -> Result<Vec<signing_key::Model>, DbErr> {
    signing_key::Entity::find().order_by_asc(signing_key::Column::CreatedAt).all(connection).await
}

/// Replaces a key's stored private part if it is still `expected` (another replica
/// starting at the same moment may have resealed it first; either value opens).
pub async fn replace_private_key<C: ConnectionTrait>(
    connection: &C,
    kid: &str,
    expected: &str,
    sealed: &str,
) -> Result<bool, DbErr> {
    let result = signing_key::Entity::update_many()
        .col_expr(signing_key::Column::PrivateKeySealed, Expr::value(sealed))
        .filter(signing_key::Column::Kid.eq(kid))
        .filter(signing_key::Column::PrivateKeySealed.eq(expected))
        .exec(connection)
        .await?;
    Ok(result.rows_affected == 1)
}
