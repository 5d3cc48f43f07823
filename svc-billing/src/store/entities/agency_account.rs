use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agency_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: String,
    pub group_id: String,
    pub stripe_customer_id: Option<String>,
    pub subscription_id: Option<String>,
    pub subscription_status: String,
    pub subscription_event_created: i64,
    pub connect_account_id: Option<String>,
    pub charges_enabled: bool,
    pub account_event_created: i64,
    pub updated_at_unix: i64,
    /// The idempotency key of the subscription being created, until it is recorded.
    pub subscription_claim: Option<String>,
    /// The first usage period (`YYYY-MM`) the current subscription pays for.
    pub billed_from_period: Option<String>,
}
entity_boilerplate!();
