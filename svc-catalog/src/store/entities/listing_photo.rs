//! `listing_photos`: one photo of a listing, its order, state and variants (JSON).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "listing_photos")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub listing_id: Uuid,
    pub agency_id: Uuid,
    pub position: i32,
    pub status: String,
    pub failure_code: Option<String>,
    pub failure_reason: Option<String>,
    pub width: i32,
    pub height: i32,
    pub placeholder: String,
    #[sea_orm(column_type = "Text")]
    pub variants: String,
    pub source_url: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
