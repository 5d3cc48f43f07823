//! The ledger: one row per money movement, unique per (kind, Stripe object).

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::entities::ledger_entry::{ActiveModel, Column, Entity, Model};
use super::now_unix;

pub const PROMOTION: &str = "promotion";
pub const SUBSCRIPTION: &str = "subscription";
pub const DEPOSIT: &str = "deposit";
pub const FEE: &str = "fee";
pub const REFUND: &str = "refund";
pub const FEE_REVERSAL: &str = "fee_reversal";

pub struct NewEntry<'a> {
    pub agency_id: &'a str,
    pub group_id: &'a str,
    pub kind: &'a str,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub stripe_object_id: &'a str,
}

/// Records an entry once; a second record of the same (kind, object) is a no-op.
pub async fn record<C: ConnectionTrait>(database: &C, entry: NewEntry<'_>) -> Result<bool, DbErr> {
    let row = ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        agency_id: Set(entry.agency_id.to_string()),
        group_id: Set(entry.group_id.to_string()),
        kind: Set(entry.kind.to_string()),
        amount_minor: Set(entry.amount_minor),
        currency: Set(entry.currency.to_string()),
        stripe_object_id: Set(entry.stripe_object_id.to_string()),
        created_at_unix: Set(now_unix()),
    };
    let inserted = Entity::insert(row)
        .on_conflict(OnConflict::columns([Column::Kind, Column::StripeObjectId]).do_nothing().to_owned())
        .exec_without_returning(database)
        .await?;
    Ok(inserted == 1)
}

/// Which rows a reader may see.
#[derive(Clone, Debug)]
pub enum LedgerScope {
    Platform,
    Group(String),
    Agency(String),
}

impl LedgerScope {
    /// The rows of this scope in a table that names each row's group and agency
    /// (ledger entries, promotions, agency accounts).
    pub fn condition(&self, group_column: impl ColumnTrait, agency_column: impl ColumnTrait) -> Condition {
        match self {
            LedgerScope::Platform => Condition::all(),
            LedgerScope::Group(group_id) => Condition::all().add(group_column.eq(group_id.clone())),
            LedgerScope::Agency(agency_id) => Condition::all().add(agency_column.eq(agency_id.clone())),
        }
    }
}

fn scope_condition(scope: &LedgerScope) -> Condition {
    scope.condition(Column::GroupId, Column::AgencyId)
}

/// Newest first; `after` is the id of the last row of the previous page (ids are v7, so sortable).
pub async fn page<C: ConnectionTrait>(
    database: &C,
    scope: &LedgerScope,
    after: Option<&str>,
    first: u64,
) -> Result<Vec<Model>, DbErr> {
    let mut query = Entity::find().filter(scope_condition(scope));
    if let Some(after) = after {
        query = query.filter(Column::Id.lt(after));
    }
    query.order_by_desc(Column::Id).limit(first).all(database).await
}

pub async fn count<C: ConnectionTrait>(database: &C, scope: &LedgerScope) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    Entity::find().filter(scope_condition(scope)).count(database).await
}

pub async fn in_range<C: ConnectionTrait>(
    database: &C,
    scope: &LedgerScope,
    from: i64,
    to: i64,
) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(scope_condition(scope))
        .filter(Column::CreatedAtUnix.gte(from))
        .filter(Column::CreatedAtUnix.lt(to))
        .all(database)
        .await
}

pub async fn for_object<C: ConnectionTrait>(database: &C, stripe_object_id: &str) -> Result<Vec<Model>, DbErr> {
    Entity::find().filter(Column::StripeObjectId.eq(stripe_object_id)).all(database).await
}
