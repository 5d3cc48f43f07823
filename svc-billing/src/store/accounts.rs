//! Per-agency billing state (Stripe customer, subscription, Connect account) and
//! buyers' deposits.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Set};

use super::entities::agency_account::{ActiveModel, Column, Entity, Model};
use super::entities::deposit;
use super::ledger::LedgerScope;
use super::now_unix;
use crate::domain::status::SubscriptionState;

pub async fn get<C: ConnectionTrait>(database: &C, agency_id: &str) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(agency_id.to_string()).one(database).await
}

/// The agency's row, created empty on first use.
/// Every agency account of a scope (metrics count them by subscription status).
pub async fn in_scope<C: ConnectionTrait>(database: &C, scope: &LedgerScope) -> Result<Vec<Model>, DbErr> {
    Entity::find().filter(scope.condition(Column::GroupId, Column::AgencyId)).all(database).await
}

pub async fn ensure<C: ConnectionTrait>(database: &C, agency_id: &str, group_id: &str) -> Result<Model, DbErr> {
    let row = ActiveModel {
        agency_id: Set(agency_id.to_string()),
        group_id: Set(group_id.to_string()),
        stripe_customer_id: Set(None),
        subscription_id: Set(None),
        subscription_status: Set(SubscriptionState::None.as_str().to_string()),
        subscription_event_created: Set(0),
        connect_account_id: Set(None),
        charges_enabled: Set(false),
        account_event_created: Set(0),
        updated_at_unix: Set(now_unix()),
        subscription_claim: Set(None),
        billed_from_period: Set(None),
    };
    Entity::insert(row)
        .on_conflict(OnConflict::column(Column::AgencyId).do_nothing().to_owned())
        .exec_without_returning(database)
        .await?;
    get(database, agency_id).await?.ok_or_else(|| DbErr::RecordNotFound(agency_id.to_string()))
}

pub async fn by_customer<C: ConnectionTrait>(database: &C, customer_id: &str) -> Result<Option<Model>, DbErr> {
    Entity::find().filter(Column::StripeCustomerId.eq(customer_id)).one(database).await
}

pub async fn by_connect_account<C: ConnectionTrait>(database: &C, account_id: &str) -> Result<Option<Model>, DbErr> {
    Entity::find().filter(Column::ConnectAccountId.eq(account_id)).one(database).await
}

pub async fn with_active_subscription<C: ConnectionTrait>(database: &C) -> Result<Vec<Model>, DbErr> {
    Entity::find().filter(Column::SubscriptionStatus.eq(SubscriptionState::Active.as_str())).all(database).await
}

pub async fn all<C: ConnectionTrait>(database: &C) -> Result<Vec<Model>, DbErr> {
    Entity::find().all(database).await
}

pub async fn set_customer<C: ConnectionTrait>(database: &C, agency_id: &str, customer_id: &str) -> Result<(), DbErr> {
    let mut row: ActiveModel = ensure_loaded(database, agency_id).await?.into();
    row.stripe_customer_id = Set(Some(customer_id.to_string()));
    row.updated_at_unix = Set(now_unix());
    row.update(database).await?;
    Ok(())
}

/// The agency's row, locked until the transaction ends (PostgreSQL `FOR UPDATE`), so
/// concurrent subscribes of one agency decide one after the other.
pub async fn lock<C: ConnectionTrait>(database: &C, agency_id: &str) -> Result<Model, DbErr> {
    Entity::find_by_id(agency_id.to_string())
        .lock_exclusive()
        .one(database)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(agency_id.to_string()))
}

pub async fn set_subscription_claim<C: ConnectionTrait>(database: &C, agency_id: &str, key: &str) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::SubscriptionClaim, Expr::value(key))
        .col_expr(Column::UpdatedAtUnix, Expr::value(now_unix()))
        .filter(Column::AgencyId.eq(agency_id))
        .exec(database)
        .await?;
    Ok(())
}

/// Records the subscription created under `claim` as the agency's current one: its
/// status replaces the previous subscription's (a cancelled one included), and the
/// claim is released. `false` when another call with the same claim recorded it first.
pub async fn start_subscription<C: ConnectionTrait>(
    database: &C,
    agency_id: &str,
    claim: &str,
    subscription_id: &str,
    state: SubscriptionState,
    billed_from_period: &str,
) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::SubscriptionId, Expr::value(subscription_id))
        .col_expr(Column::BilledFromPeriod, Expr::value(billed_from_period))
        .col_expr(Column::SubscriptionStatus, Expr::value(state.as_str()))
        .col_expr(Column::SubscriptionEventCreated, Expr::value(0))
        .col_expr(Column::SubscriptionClaim, Expr::value(Option::<String>::None))
        .col_expr(Column::UpdatedAtUnix, Expr::value(now_unix()))
        .filter(Column::AgencyId.eq(agency_id))
        .filter(Column::SubscriptionClaim.eq(claim))
        .exec(database)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Whether the agency's usage is billed now: it has a Stripe customer and a
/// subscription that is not cancelled.
pub fn is_billable(account: &Model) -> bool {
    account.stripe_customer_id.is_some()
        && account.subscription_id.is_some()
        && SubscriptionState::parse(&account.subscription_status) != SubscriptionState::Cancelled
}

pub async fn billable<C: ConnectionTrait>(database: &C, agency_id: &str) -> Result<bool, DbErr> {
    Ok(get(database, agency_id).await?.as_ref().is_some_and(is_billable))
}

/// Applies a status from an event of `subscription_id` only while it is the agency's
/// current subscription, when the event is newer than the last one applied, and
/// unless that subscription is already cancelled (terminal for it; a new
/// subscription starts with its own status).
pub async fn apply_subscription_state<C: ConnectionTrait>(
    database: &C,
    agency_id: &str,
    subscription_id: &str,
    state: SubscriptionState,
    event_created: i64,
) -> Result<bool, DbErr> {
    let mut update = Entity::update_many()
        .col_expr(Column::SubscriptionStatus, Expr::value(state.as_str()))
        .col_expr(Column::SubscriptionEventCreated, Expr::value(event_created))
        .col_expr(Column::UpdatedAtUnix, Expr::value(now_unix()))
        .filter(Column::AgencyId.eq(agency_id))
        .filter(Column::SubscriptionId.eq(subscription_id))
        .filter(Column::SubscriptionStatus.ne(SubscriptionState::Cancelled.as_str()));
    // Cancellation wins even when a newer invoice event was processed first
    // (deliveries are unordered); every other state must be newer than the stored one.
    if state != SubscriptionState::Cancelled {
        update = update.filter(Column::SubscriptionEventCreated.lt(event_created));
    }
    let result = update.exec(database).await?;
    Ok(result.rows_affected == 1)
}

pub async fn set_connect_account<C: ConnectionTrait>(
    database: &C,
    agency_id: &str,
    account_id: &str,
) -> Result<(), DbErr> {
    let mut row: ActiveModel = ensure_loaded(database, agency_id).await?.into();
    row.connect_account_id = Set(Some(account_id.to_string()));
    row.updated_at_unix = Set(now_unix());
    row.update(database).await?;
    Ok(())
}

/// `account.updated`: newer events only.
pub async fn apply_charges_enabled<C: ConnectionTrait>(
    database: &C,
    account_id: &str,
    enabled: bool,
    event_created: i64,
) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::ChargesEnabled, Expr::value(enabled))
        .col_expr(Column::AccountEventCreated, Expr::value(event_created))
        .col_expr(Column::UpdatedAtUnix, Expr::value(now_unix()))
        .filter(Column::ConnectAccountId.eq(account_id))
        .filter(Column::AccountEventCreated.lt(event_created))
        .exec(database)
        .await?;
    Ok(result.rows_affected == 1)
}

async fn ensure_loaded<C: ConnectionTrait>(database: &C, agency_id: &str) -> Result<Model, DbErr> {
    get(database, agency_id).await?.ok_or_else(|| DbErr::RecordNotFound(agency_id.to_string()))
}

pub mod deposits {
    use super::*;
    pub use crate::store::entities::deposit::Model;

    pub const PENDING: &str = "pending";
    pub const SUCCEEDED: &str = "succeeded";
    pub const FAILED: &str = "failed";
    pub const REFUNDED: &str = "refunded";

    pub async fn insert<C: ConnectionTrait>(database: &C, row: deposit::Model) -> Result<Model, DbErr> {
        deposit::ActiveModel::from(row).insert(database).await
    }

    pub async fn attach_payment_intent<C: ConnectionTrait>(
        database: &C,
        id: &str,
        payment_intent_id: &str,
    ) -> Result<(), DbErr> {
        deposit::Entity::update_many()
            .col_expr(deposit::Column::PaymentIntentId, Expr::value(payment_intent_id))
            .filter(deposit::Column::Id.eq(id))
            .exec(database)
            .await?;
        Ok(())
    }

    pub async fn by_payment_intent<C: ConnectionTrait>(
        database: &C,
        payment_intent_id: &str,
    ) -> Result<Option<Model>, DbErr> {
        deposit::Entity::find().filter(deposit::Column::PaymentIntentId.eq(payment_intent_id)).one(database).await
    }

    pub async fn by_id<C: ConnectionTrait>(database: &C, id: &str) -> Result<Option<Model>, DbErr> {
        deposit::Entity::find_by_id(id.to_string()).one(database).await
    }

    /// Moves `from` → `to`; `false` when the deposit was not in `from` (stale event).
    pub async fn transition<C: ConnectionTrait>(
        database: &C,
        id: &str,
        from: &str,
        to: &str,
        event_created: i64,
    ) -> Result<bool, DbErr> {
        let result = deposit::Entity::update_many()
            .col_expr(deposit::Column::Status, Expr::value(to))
            .col_expr(deposit::Column::LastEventCreated, Expr::value(event_created))
            .col_expr(deposit::Column::UpdatedAtUnix, Expr::value(now_unix()))
            .filter(deposit::Column::Id.eq(id))
            .filter(deposit::Column::Status.eq(from))
            .exec(database)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// The deposit, locked until the transaction ends (PostgreSQL `FOR UPDATE`), so
    /// concurrent refunds of it are recorded one after the other.
    pub async fn lock<C: ConnectionTrait>(database: &C, id: &str) -> Result<Option<Model>, DbErr> {
        deposit::Entity::find_by_id(id.to_string()).lock_exclusive().one(database).await
    }

    /// Adds a refund to what was refunded; `status` becomes `refunded` when it is whole.
    pub async fn add_refunded<C: ConnectionTrait>(
        database: &C,
        id: &str,
        refunded_minor: i64,
        status: &str,
        event_created: i64,
    ) -> Result<(), DbErr> {
        deposit::Entity::update_many()
            .col_expr(deposit::Column::RefundedMinor, Expr::value(refunded_minor))
            .col_expr(deposit::Column::Status, Expr::value(status))
            .col_expr(deposit::Column::LastEventCreated, Expr::value(event_created))
            .col_expr(deposit::Column::UpdatedAtUnix, Expr::value(now_unix()))
            .filter(deposit::Column::Id.eq(id))
            .exec(database)
            .await?;
        Ok(())
    }

    pub async fn set_refund<C: ConnectionTrait>(database: &C, id: &str, refund_id: &str) -> Result<(), DbErr> {
        deposit::Entity::update_many()
            .col_expr(deposit::Column::RefundId, Expr::value(refund_id))
            .filter(deposit::Column::Id.eq(id))
            .exec(database)
            .await?;
        Ok(())
    }
}
