//! One row of a service's `audit_log` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    /// UUIDv7: ids sort by time, so they are the log's keyset cursor.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `user:<id>`, a service's client id, `stripe` or `system`.
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// JSON with the action's details.
    pub detail: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
