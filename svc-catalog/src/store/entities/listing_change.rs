//! `listing_changes`: the change feed, one row per change, keyed by its position.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "listing_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sequence: i64,
    pub listing_id: Uuid,
    pub version: i64,
    pub kind: String,
    /// The listing right after the change, as JSON (so a replay shows history, not today).
    #[sea_orm(column_type = "Text")]
    pub snapshot: String,
    pub changed_at: i64,
    /// The W3C trace context of the request that made the change (null when tracing was off).
    pub traceparent: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
