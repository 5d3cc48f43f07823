use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meter_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub identifier: String,
    pub listing_id: String,
    pub agency_id: String,
    pub period: String,
    pub created_at_unix: i64,
    pub sent_at_unix: Option<i64>,
    pub attempts: i64,
}
entity_boilerplate!();
