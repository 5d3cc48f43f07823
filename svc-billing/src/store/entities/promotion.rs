use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "promotions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub listing_id: String,
    pub agency_id: String,
    pub group_id: String,
    pub payment_intent_id: Option<String>,
    pub status: String,
    pub amount_minor: i64,
    pub currency: String,
    pub starts_at_unix: Option<i64>,
    pub ends_at_unix: Option<i64>,
    pub catalog_synced: bool,
    pub expiry_notified: bool,
    pub last_event_created: i64,
    pub created_at_unix: i64,
    pub updated_at_unix: i64,
    /// `user:<id>` of whoever started the checkout; empty for older promotions.
    pub requested_by: String,
}
entity_boilerplate!();
