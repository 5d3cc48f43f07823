use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agency_rotations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: String,
    pub next_turn: i64,
}
entity_boilerplate!();
