use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// Contract role name (PLATFORM_ADMIN, GROUP_ADMIN, AGENCY_MANAGER, SALESPERSON, BUYER).
    pub role: String,
    /// GROUP_ADMIN's group, or the agency's group for agency roles.
    pub group_id: Option<Uuid>,
    pub agency_id: Option<Uuid>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
