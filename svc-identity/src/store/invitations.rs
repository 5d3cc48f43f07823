//! Staff invitations: hashed single-use tokens with an expiry.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::invitation;

pub struct NewInvitation<'a> {
    pub token_hash: &'a str,
    pub agency_id: Uuid,
    pub group_id: Uuid,
    pub email: &'a str,
    pub role: &'a str,
    pub invited_by: Option<Uuid>,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn insert<C: ConnectionTrait>(connection: &C, new: &NewInvitation<'_>) -> Result<invitation::Model, DbErr> {
    invitation::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(new.token_hash.to_string()),
        agency_id: Set(new.agency_id),
        group_id: Set(new.group_id),
        email: Set(new.email.to_string()),
        role: Set(new.role.to_string()),
        invited_by: Set(new.invited_by),
        created_at: Set(new.now),
        expires_at: Set(new.expires_at),
        accepted_at: Set(None),
        accepted_by: Set(None),
    }
    .insert(connection)
    .await
}

pub async fn find_by_hash<C: ConnectionTrait>(
    connection: &C,
    token_hash: &str,
) -> Result<Option<invitation::Model>, DbErr> {
    invitation::Entity::find().filter(invitation::Column::TokenHash.eq(token_hash)).one(connection).await
}

/// Consumes the invitation if nobody did: single use even under concurrency.
pub async fn accept_if_open<C: ConnectionTrait>(
    connection: &C,
    id: Uuid,
    user_id: Uuid,
    now: i64,
) -> Result<bool, DbErr> {
    let result = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::value(Some(now)))
        .col_expr(invitation::Column::AcceptedBy, Expr::value(Some(user_id)))
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .exec(connection)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The agency's invitations nobody accepted that are still valid at `now`, newest first.
pub async fn pending_for_agency<C: ConnectionTrait>(
    connection: &C,
    agency_id: Uuid,
    now: i64,
    limit: u64,
) -> Result<Vec<invitation::Model>, DbErr> {
    invitation::Entity::find()
        .filter(invitation::Column::AgencyId.eq(agency_id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .order_by_desc(invitation::Column::CreatedAt)
        .order_by_desc(invitation::Column::Id)
        .limit(limit)
        .all(connection)
        .await
}
