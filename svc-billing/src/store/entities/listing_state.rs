use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "listing_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub listing_id: String,
    pub agency_id: String,
    pub group_id: String,
    pub status: String,
    pub version: i64,
    pub updated_at_unix: i64,
}
entity_boilerplate!();
