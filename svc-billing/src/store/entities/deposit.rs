use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deposits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub listing_id: String,
    pub agency_id: String,
    pub group_id: String,
    pub buyer_id: String,
    pub amount_minor: i64,
    pub fee_minor: i64,
    pub currency: String,
    pub payment_intent_id: Option<String>,
    pub status: String,
    pub refund_id: Option<String>,
    pub last_event_created: i64,
    pub created_at_unix: i64,
    pub updated_at_unix: i64,
    /// Refunded so far (minor units); `refunded` once it reaches `amount_minor`.
    pub refunded_minor: i64,
}
entity_boilerplate!();
