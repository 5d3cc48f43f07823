use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub event_type: String,
    pub created_unix: i64,
    pub object_id: String,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub claimed_at_unix: Option<i64>,
    pub next_attempt_at_unix: i64,
    pub received_at_unix: i64,
    pub processed_at_unix: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub outcome: Option<String>,
    /// The W3C trace context of the delivery that stored it (null when tracing was off).
    pub traceparent: Option<String>,
}
entity_boilerplate!();
