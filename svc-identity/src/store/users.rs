//! Users and their memberships.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::conflict_on_unique;
use super::entities::{membership, user};
use crate::error::IdentityError;
use nds_common::clock::now_unix;

pub async fn find_by_email<C: ConnectionTrait>(connection: &C, email: &str) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find().filter(user::Column::Email.eq(email)).one(connection).await
}

pub async fn find<C: ConnectionTrait>(connection: &C, id: Uuid) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id).one(connection).await
}

pub async fn find_many<C: ConnectionTrait>(connection: &C, ids: &[Uuid]) -> Result<Vec<user::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    user::Entity::find().filter(user::Column::Id.is_in(ids.iter().copied())).all(connection).await
}

pub async fn any_exists<C: ConnectionTrait>(connection: &C) -> Result<bool, DbErr> {
    Ok(user::Entity::find().one(connection).await?.is_some())
}

/// Creates a user; a taken email is CONFLICT (the unique index decides, so two
/// concurrent sign-ups cannot both win).
pub async fn insert<C: ConnectionTrait>(
    connection: &C,
    email: &str,
    name: &str,
    password_hash: &str,
) -> Result<user::Model, IdentityError> {
    let row = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.to_string()),
        name: Set(name.to_string()),
        password_hash: Set(password_hash.to_string()),
        suspended: Set(false),
        created_at: Set(now_unix()),
    };
    row.insert(connection).await.map_err(|error| conflict_on_unique(error, "an account with this email already exists"))
}

pub async fn set_password_hash<C: ConnectionTrait>(connection: &C, id: Uuid, hash: &str) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, sea_orm::sea_query::Expr::value(hash.to_string()))
        .filter(user::Column::Id.eq(id))
        .exec(connection)
        .await?;
    Ok(())
}

pub async fn set_suspended<C: ConnectionTrait>(connection: &C, id: Uuid, suspended: bool) -> Result<u64, DbErr> {
    let result = user::Entity::update_many()
        .col_expr(user::Column::Suspended, sea_orm::sea_query::Expr::value(suspended))
        .filter(user::Column::Id.eq(id))
        .exec(connection)
        .await?;
    Ok(result.rows_affected)
}

pub async fn memberships_of<C: ConnectionTrait>(
    connection: &C,
    user_id: Uuid,
) -> Result<Vec<membership::Model>, DbErr> {
    membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .order_by_asc(membership::Column::CreatedAt)
        .all(connection)
        .await
}

pub async fn memberships_of_many<C: ConnectionTrait>(
    connection: &C,
    user_ids: &[Uuid],
) -> Result<Vec<membership::Model>, DbErr> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    membership::Entity::find()
        .filter(membership::Column::UserId.is_in(user_ids.iter().copied()))
        .order_by_asc(membership::Column::CreatedAt)
        .all(connection)
        .await
}

/// Grants a role in a scope; granting one the user already holds changes nothing.
/// Returns whether a membership was added.
pub async fn add_membership<C: ConnectionTrait>(
    connection: &C,
    user_id: Uuid,
    role: &str,
    group_id: Option<Uuid>,
    agency_id: Option<Uuid>,
) -> Result<bool, DbErr> {
    let existing = memberships_of(connection, user_id).await?;
    if existing.iter().any(|held| held.role == role && held.group_id == group_id && held.agency_id == agency_id) {
        return Ok(false);
    }
    membership::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        role: Set(role.to_string()),
        group_id: Set(group_id),
        agency_id: Set(agency_id),
        created_at: Set(now_unix()),
    }
    .insert(connection)
    .await?;
    Ok(true)
}

/// Memberships held in one agency (its staff).
pub async fn memberships_in_agency<C: ConnectionTrait>(
    connection: &C,
    agency_id: Uuid,
) -> Result<Vec<membership::Model>, DbErr> {
    membership::Entity::find().filter(membership::Column::AgencyId.eq(agency_id)).all(connection).await
}

/// Memberships scoped to a group: its admins and the staff of its agencies.
pub async fn memberships_in_group<C: ConnectionTrait>(
    connection: &C,
    group_id: Uuid,
) -> Result<Vec<membership::Model>, DbErr> {
    membership::Entity::find().filter(membership::Column::GroupId.eq(group_id)).all(connection).await
}

/// Accounts whose address contains `fragment` (already lower-cased, as addresses
/// are stored), by address. LIKE's wildcards in the fragment match themselves.
pub async fn search_by_email<C: ConnectionTrait>(
    connection: &C,
    fragment: &str,
    limit: u64,
) -> Result<Vec<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.like(nds_common::db::like_anywhere(fragment)))
        .order_by_asc(user::Column::Email)
        .limit(limit)
        .all(connection)
        .await
}
