//! Counts behind the metrics RPC.

use nds_common::metrics_series::{Buckets, count_per_bucket};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use super::entities::{agency, application, membership, user};

/// What a count is restricted to.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    Platform,
    Group(Uuid),
    Agency(Uuid),
}

/// Memberships of `role` in the scope (a user with two agency roles counts twice).
pub async fn members_with_role<C: ConnectionTrait>(connection: &C, scope: Scope, role: &str) -> Result<u64, DbErr> {
    let mut condition = Condition::all().add(membership::Column::Role.eq(role));
    condition = match scope {
        Scope::Platform => condition,
        Scope::Group(group_id) => condition.add(membership::Column::GroupId.eq(group_id)),
        Scope::Agency(agency_id) => condition.add(membership::Column::AgencyId.eq(agency_id)),
    };
    membership::Entity::find().filter(condition).count(connection).await
}

pub async fn users_created_between<C: ConnectionTrait>(connection: &C, from: i64, to: i64) -> Result<u64, DbErr> {
    user::Entity::find()
        .filter(user::Column::CreatedAt.gte(from))
        .filter(user::Column::CreatedAt.lt(to))
        .count(connection)
        .await
}

pub async fn users_created_per_bucket<C: ConnectionTrait>(
    connection: &C,
    buckets: &Buckets,
) -> Result<Vec<u64>, DbErr> {
    count_per_bucket(user::Entity::find(), user::Column::CreatedAt, buckets, connection).await
}

pub async fn agencies<C: ConnectionTrait>(
    connection: &C,
    group: Option<Uuid>,
    suspended: Option<bool>,
) -> Result<u64, DbErr> {
    let mut condition = Condition::all();
    if let Some(group_id) = group {
        condition = condition.add(agency::Column::GroupId.eq(group_id));
    }
    if let Some(suspended) = suspended {
        condition = condition.add(agency::Column::Suspended.eq(suspended));
    }
    agency::Entity::find().filter(condition).count(connection).await
}

pub async fn applications_with_status<C: ConnectionTrait>(
    connection: &C,
    group: Option<Uuid>,
    status: &str,
    from: i64,
    to: i64,
) -> Result<u64, DbErr> {
    let condition = applications_condition(group, status)
        .add(application::Column::CreatedAt.gte(from))
        .add(application::Column::CreatedAt.lt(to));
    application::Entity::find().filter(condition).count(connection).await
}

pub async fn applications_with_status_per_bucket<C: ConnectionTrait>(
    connection: &C,
    group: Option<Uuid>,
    status: &str,
    buckets: &Buckets,
) -> Result<Vec<u64>, DbErr> {
    let select = application::Entity::find().filter(applications_condition(group, status));
    count_per_bucket(select, application::Column::CreatedAt, buckets, connection).await
}

/// Applications with `status`, of one group or all.
fn applications_condition(group: Option<Uuid>, status: &str) -> Condition {
    let condition = Condition::all().add(application::Column::Status.eq(status));
    match group {
        Some(group_id) => condition.add(application::Column::GroupId.eq(group_id)),
        None => condition,
    }
}
