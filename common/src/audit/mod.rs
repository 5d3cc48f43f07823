//! The audit log every service that decides on people's behalf keeps in its own
//! database: who did what to which target, and when, written in the same
//! transaction as the change it records. Identity records approvals,
//! suspensions and invitations; billing records purchases and refunds. The edge
//! reads them together, newest first, for platform admins.

pub mod entity;
pub mod schema;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use nds_proto::common::v1 as wire;

use crate::auth::{Principal, PrincipalKind};
use crate::clock::now_unix;
use crate::error::ApiError;
use entity::{Column, Entity, Model};

/// A page when the caller asks for none, and the most a caller may ask for.
pub const PAGE_SIZE: u64 = 50;
pub const MAX_PAGE: u64 = 100;

pub struct AuditEvent<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: String,
    pub detail: serde_json::Value,
}

/// Who did it, as the audit log spells it: `user:<id>` or the service's client id.
pub fn actor_of(principal: &Principal) -> String {
    match principal.kind {
        PrincipalKind::User => format!("user:{}", principal.subject),
        PrincipalKind::Service => principal.subject.clone(),
    }
}

/// The user id of an actor written as `user:<id>`.
pub fn actor_user_id(actor: &str) -> Option<Uuid> {
    actor.strip_prefix("user:").and_then(|id| Uuid::parse_str(id).ok())
}

pub async fn record<C: ConnectionTrait>(connection: &C, event: AuditEvent<'_>) -> Result<(), DbErr> {
    entity::ActiveModel {
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

/// One target's history, oldest first.
pub async fn for_target<C: ConnectionTrait>(
    connection: &C,
    target_type: &str,
    target_id: &str,
) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::TargetType.eq(target_type))
        .filter(Column::TargetId.eq(target_id))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .all(connection)
        .await
}

pub async fn all<C: ConnectionTrait>(connection: &C) -> Result<Vec<Model>, DbErr> {
    Entity::find().order_by_asc(Column::Id).all(connection).await
}

/// What a caller asked of the log, checked: one of the service's own actions
/// (or all of them) and the page after a cursor.
pub struct PageQuery {
    pub action: Option<&'static str>,
    /// The last id of the previous page.
    pub before: Option<Uuid>,
    pub limit: u64,
}

impl PageQuery {
    /// An action the service does not record is a mistake worth telling the
    /// caller about, not an empty page; so is a cursor that is not an id.
    pub fn parse(known_actions: &[&'static str], action: &str, first: u32, after: &str) -> Result<Self, ApiError> {
        let action = match action.trim() {
            "" => None,
            raw => Some(
                *known_actions
                    .iter()
                    .find(|known| **known == raw)
                    .ok_or_else(|| ApiError::invalid("action", format!("unknown action {raw:?}")))?,
            ),
        };
        let before = match after.trim() {
            "" => None,
            cursor => Some(Uuid::parse_str(cursor).map_err(|_| ApiError::invalid("after", "invalid cursor"))?),
        };
        let limit = match u64::from(first) {
            0 => PAGE_SIZE,
            first => first.min(MAX_PAGE),
        };
        Ok(Self { action, before, limit })
    }
}

pub struct Page {
    pub rows: Vec<Model>,
    pub has_next_page: bool,
    pub end_cursor: String,
    /// How many rows match the action, on every page.
    pub total_count: u64,
}

/// Newest first: ids are UUIDv7, so they sort by time and make a stable keyset
/// cursor.
pub async fn page<C: ConnectionTrait>(connection: &C, query: &PageQuery) -> Result<Page, DbErr> {
    let mut matching = Condition::all();
    if let Some(action) = query.action {
        matching = matching.add(Column::Action.eq(action));
    }
    let total_count = Entity::find().filter(matching.clone()).count(connection).await?;
    let mut page = matching;
    if let Some(before) = query.before {
        page = page.add(Column::Id.lt(before));
    }
    // One more than asked says whether another page follows.
    let mut rows = Entity::find().filter(page).order_by_desc(Column::Id).limit(query.limit + 1).all(connection).await?;
    let has_next_page = rows.len() as u64 > query.limit;
    rows.truncate(query.limit as usize);
    let end_cursor = rows.last().map(|row| row.id.to_string()).unwrap_or_default();
    Ok(Page { rows, has_next_page, end_cursor, total_count })
}

/// A row as it crosses the wire, with the names the service knows (empty when
/// it knows none).
pub fn to_wire(row: &Model, actor_email: String, target_label: String) -> wire::AuditEntry {
    wire::AuditEntry {
        id: row.id.to_string(),
        actor: row.actor.clone(),
        actor_email,
        action: row.action.clone(),
        target_type: row.target_type.clone(),
        target_id: row.target_id.clone(),
        target_label,
        detail_json: row.detail.clone(),
        created_at_unix: row.created_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: [&str; 2] = ["user.suspended", "user.reinstated"];

    #[test]
    fn only_known_actions_filter() {
        assert_eq!(PageQuery::parse(&KNOWN, "", 0, "").unwrap().action, None);
        assert_eq!(PageQuery::parse(&KNOWN, " user.suspended ", 0, "").unwrap().action, Some("user.suspended"));
        for unknown in ["user.deleted", "%"] {
            let error = PageQuery::parse(&KNOWN, unknown, 0, "").err().unwrap();
            assert_eq!(error.field.as_deref(), Some("action"));
        }
    }

    #[test]
    fn pages_are_bounded_and_cursors_are_ids() {
        assert_eq!(PageQuery::parse(&KNOWN, "", 0, "").unwrap().limit, PAGE_SIZE);
        assert_eq!(PageQuery::parse(&KNOWN, "", 7, "").unwrap().limit, 7);
        assert_eq!(PageQuery::parse(&KNOWN, "", 10_000, "").unwrap().limit, MAX_PAGE);
        let id = Uuid::now_v7();
        assert_eq!(PageQuery::parse(&KNOWN, "", 0, &id.to_string()).unwrap().before, Some(id));
        let error = PageQuery::parse(&KNOWN, "", 0, "page-2").err().unwrap();
        assert_eq!(error.field.as_deref(), Some("after"));
    }

    #[test]
    fn actors_name_users_and_services() {
        let id = Uuid::now_v7();
        assert_eq!(actor_user_id(&format!("user:{id}")), Some(id));
        assert_eq!(actor_user_id("svc-billing"), None);
        assert_eq!(actor_user_id("user:nobody"), None);
    }
}
