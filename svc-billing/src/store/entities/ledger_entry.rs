use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub agency_id: String,
    pub group_id: String,
    pub kind: String,
    pub amount_minor: i64,
    pub currency: String,
    pub stripe_object_id: String,
    pub created_at_unix: i64,
}
entity_boilerplate!();
