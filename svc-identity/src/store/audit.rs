//! The audit log: who did what to which target, and when. Written in the same
//! transaction as the change it records.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::audit_entry;
use nds_common::clock::now_unix;

pub struct AuditEvent<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: String,
    pub detail: serde_json::Value,
}

pub async fn record<C: ConnectionTrait>(connection: &C, event: AuditEvent<'_>) -> Result<(), DbErr> {
    audit_entry::ActiveModel {
        id: Set(Uuid::now_v7()),
        actor: Set(event.actor.to_string()),
        action: Set(event.action.to_string()),
        target_type: Set(event.target_type.to_string()),
        target_id: Set(event.target_id),
        detail: Set(event.detail.to_string()),
        created_at: Set(now_unix()),
    }
    .insert(connection)
    .await?;
    Ok(())
}

pub async fn for_target<C: ConnectionTrait>(
    connection: &C,
    target_type: &str,
    target_id: &str,
) -> Result<Vec<audit_entry::Model>, DbErr> {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::TargetType.eq(target_type))
        .filter(audit_entry::Column::TargetId.eq(target_id))
        .order_by_asc(audit_entry::Column::CreatedAt)
        .order_by_asc(audit_entry::Column::Id)
        .all(connection)
        .await
}

pub async fn all<C: ConnectionTrait>(connection: &C) -> Result<Vec<audit_entry::Model>, DbErr> {
    audit_entry::Entity::find().order_by_asc(audit_entry::Column::Id).all(connection).await
}

/// Newest first: ids are UUIDv7, so they sort by time and make a stable keyset
/// cursor (`before`: the last id of the previous page). Also how many match.
pub async fn page<C: ConnectionTrait>(
    connection: &C,
    action: Option<&str>,
    before: Option<Uuid>,
    limit: u64,
) -> Result<(Vec<audit_entry::Model>, u64), DbErr> {
    let mut matching = Condition::all();
    if let Some(action) = action {
        matching = matching.add(audit_entry::Column::Action.eq(action));
    }
    let total = audit_entry::Entity::find().filter(matching.clone()).count(connection).await?;
    let mut page = matching;
    if let Some(before) = before {
        page = page.add(audit_entry::Column::Id.lt(before));
    }
    let rows = audit_entry::Entity::find()
        .filter(page)
        .order_by_desc(audit_entry::Column::Id)
        .limit(limit)
        .all(connection)
        .await?;
    Ok((rows, total))
}
