//! Automobile groups and their agencies.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::conflict_on_unique;
use super::entities::{agency, group};
use crate::error::IdentityError;
use nds_common::clock::now_unix;

pub async fn insert_group<C: ConnectionTrait>(connection: &C, name: &str) -> Result<group::Model, IdentityError> {
    group::ActiveModel { id: Set(Uuid::now_v7()), name: Set(name.to_string()), created_at: Set(now_unix()) }
        .insert(connection)
        .await
        .map_err(|error| conflict_on_unique(error, "a group with this name already exists"))
}

pub async fn find_group<C: ConnectionTrait>(connection: &C, id: Uuid) -> Result<Option<group::Model>, DbErr> {
    group::Entity::find_by_id(id).one(connection).await
}

pub async fn insert_agency<C: ConnectionTrait>(
    connection: &C,
    group_id: Uuid,
    name: &str,
    city: &str,
    state: &str,
) -> Result<agency::Model, DbErr> {
    agency::ActiveModel {
        id: Set(Uuid::now_v7()),
        group_id: Set(group_id),
        name: Set(name.to_string()),
        city: Set(city.to_string()),
        state: Set(state.to_string()),
        suspended: Set(false),
        created_at: Set(now_unix()),
    }
    .insert(connection)
    .await
}

pub async fn find_agency<C: ConnectionTrait>(connection: &C, id: Uuid) -> Result<Option<agency::Model>, DbErr> {
    agency::Entity::find_by_id(id).one(connection).await
}

pub async fn find_agencies<C: ConnectionTrait>(connection: &C, ids: &[Uuid]) -> Result<Vec<agency::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    agency::Entity::find().filter(agency::Column::Id.is_in(ids.iter().copied())).all(connection).await
}

pub async fn agencies_of_group<C: ConnectionTrait>(
    connection: &C,
    group_id: Uuid,
) -> Result<Vec<agency::Model>, DbErr> {
    agency::Entity::find()
        .filter(agency::Column::GroupId.eq(group_id))
        .order_by_asc(agency::Column::Name)
        .all(connection)
        .await
}

pub async fn set_agency_suspended<C: ConnectionTrait>(connection: &C, id: Uuid, suspended: bool) -> Result<u64, DbErr> {
    let result = agency::Entity::update_many()
        .col_expr(agency::Column::Suspended, sea_orm::sea_query::Expr::value(suspended))
        .filter(agency::Column::Id.eq(id))
        .exec(connection)
        .await?;
    Ok(result.rows_affected)
}

/// A page of groups by name (only these, when given), and how many there are.
pub async fn list_groups<C: ConnectionTrait>(
    connection: &C,
    only: Option<&[Uuid]>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<group::Model>, u64), DbErr> {
    let scoped = || match only {
        Some(ids) => group::Entity::find().filter(group::Column::Id.is_in(ids.iter().copied())),
        None => group::Entity::find(),
    };
    let total = scoped().count(connection).await?;
    let rows = scoped()
        .order_by_asc(group::Column::Name)
        .order_by_asc(group::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(connection)
        .await?;
    Ok((rows, total))
}

/// The agencies of these groups, by name.
pub async fn agencies_of_groups<C: ConnectionTrait>(
    connection: &C,
    group_ids: &[Uuid],
) -> Result<Vec<agency::Model>, DbErr> {
    if group_ids.is_empty() {
        return Ok(Vec::new());
    }
    agency::Entity::find()
        .filter(agency::Column::GroupId.is_in(group_ids.iter().copied()))
        .order_by_asc(agency::Column::Name)
        .all(connection)
        .await
}
