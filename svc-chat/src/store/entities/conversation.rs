use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub listing_id: String,
    pub agency_id: String,
    pub group_id: String,
    pub buyer_id: String,
    pub listing_title: String,
    pub status: String,
    pub assignee_id: Option<String>,
    pub message_count: i64,
    pub created_at_unix: i64,
    pub updated_at_unix: i64,
    pub last_message_at_unix: i64,
    pub first_response_at_unix: Option<i64>,
}
entity_boilerplate!();
