use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub conversation_id: String,
    pub sequence: i64,
    pub sender_id: String,
    pub sender_side: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub sent_at_unix: i64,
}
entity_boilerplate!();
