use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agency_applications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// PENDING, APPROVED or REJECTED.
    pub status: String,
    pub company_name: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub tax_id: String,
    pub address: String,
    pub city: String,
    pub state: String,
    pub group_id: Option<Uuid>,
    pub group_name: Option<String>,
    pub expected_listings: i32,
    pub rejection_reason: Option<String>,
    pub agency_id: Option<Uuid>,
    pub reviewed_by: Option<Uuid>,
    pub created_at: i64,
    pub reviewed_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
