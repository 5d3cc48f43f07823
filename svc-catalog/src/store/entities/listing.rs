//! `listings`: one row per listing, its current state.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "listings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub agency_id: Uuid,
    pub group_id: Uuid,
    pub status: String,
    pub version: i64,
    pub make: String,
    pub model: String,
    pub year: i32,
    pub trim: Option<String>,
    pub vin: Option<String>,
    pub price_minor: i64,
    pub currency: String,
    pub mileage_km: i64,
    pub body_type: String,
    pub fuel: String,
    pub transmission: String,
    pub color: String,
    pub condition: String,
    pub city: String,
    pub state: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    #[sea_orm(column_type = "Json")]
    pub photos: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub attributes: Json,
    pub promoted_until: Option<i64>,
    pub promotion_rank: i32,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
    pub view_count: i64,
    pub agency_suspended: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
