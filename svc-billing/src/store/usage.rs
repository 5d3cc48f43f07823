//! What the subscription meters: listing states from the change feed, meter
//! events (one per listing per month), monthly opening counts, the feed cursor,
//! and platform-wide settings (the meter and price ids).

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use uuid::Uuid;

use super::entities::{agency_account, feed_cursor, listing_state, meter_event, setting, usage_opening};
use super::now_unix;
use crate::domain::status::SubscriptionState;

pub const FEED_NAME: &str = "catalog";

pub async fn cursor<C: ConnectionTrait>(database: &C) -> Result<i64, DbErr> {
    Ok(feed_cursor::Entity::find_by_id(FEED_NAME.to_string()).one(database).await?.map(|row| row.sequence).unwrap_or(0))
}

pub async fn save_cursor<C: ConnectionTrait>(database: &C, sequence: i64) -> Result<(), DbErr> {
    let row = feed_cursor::ActiveModel { name: Set(FEED_NAME.to_string()), sequence: Set(sequence) };
    feed_cursor::Entity::insert(row)
        .on_conflict(
            OnConflict::column(feed_cursor::Column::Name).update_column(feed_cursor::Column::Sequence).to_owned(),
        )
        .exec_without_returning(database)
        .await?;
    Ok(())
}

pub async fn listing<C: ConnectionTrait>(
    database: &C,
    listing_id: &str,
) -> Result<Option<listing_state::Model>, DbErr> {
    listing_state::Entity::find_by_id(listing_id.to_string()).one(database).await
}

/// Stores a listing's state unless a newer version is already stored.
pub async fn upsert_listing<C: ConnectionTrait>(database: &C, row: listing_state::Model) -> Result<bool, DbErr> {
    if let Some(existing) = listing(database, &row.listing_id).await? {
        if existing.version >= row.version {
            return Ok(false);
        }
        let result = listing_state::Entity::update_many()
            .col_expr(listing_state::Column::Status, Expr::value(row.status.clone()))
            .col_expr(listing_state::Column::Version, Expr::value(row.version))
            .col_expr(listing_state::Column::UpdatedAtUnix, Expr::value(row.updated_at_unix))
            .filter(listing_state::Column::ListingId.eq(row.listing_id.clone()))
            .filter(listing_state::Column::Version.lt(row.version))
            .exec(database)
            .await?;
        return Ok(result.rows_affected == 1);
    }
    let inserted = listing_state::Entity::insert(listing_state::ActiveModel::from(row))
        .on_conflict(OnConflict::column(listing_state::Column::ListingId).do_nothing().to_owned())
        .exec_without_returning(database)
        .await?;
    Ok(inserted == 1)
}

pub async fn published_listings<C: ConnectionTrait>(database: &C) -> Result<Vec<listing_state::Model>, DbErr> {
    listing_state::Entity::find().filter(listing_state::Column::Status.eq("published")).all(database).await
}

/// Queues a meter event once per identifier.
pub async fn queue_meter_event<C: ConnectionTrait>(
    database: &C,
    identifier: &str,
    listing_id: &str,
    agency_id: &str,
    period: &str,
) -> Result<bool, DbErr> {
    let row = meter_event::ActiveModel {
        identifier: Set(identifier.to_string()),
        listing_id: Set(listing_id.to_string()),
        agency_id: Set(agency_id.to_string()),
        period: Set(period.to_string()),
        created_at_unix: Set(now_unix()),
        sent_at_unix: Set(None),
        attempts: Set(0),
    };
    let inserted = meter_event::Entity::insert(row)
        .on_conflict(OnConflict::column(meter_event::Column::Identifier).do_nothing().to_owned())
        .exec_without_returning(database)
        .await?;
    Ok(inserted == 1)
}

/// The oldest unsent meter events that are billable now, each with the Stripe
/// customer it bills: the agency's subscription is live and the event's period is
/// not before the one the subscription pays from. Unbillable rows are never
/// selected, so however many there are, they cannot hold billable ones back.
pub async fn billable_unsent_meter_events<C: ConnectionTrait>(
    database: &C,
    limit: u64,
) -> Result<Vec<(meter_event::Model, String)>, DbErr> {
    let account = meter_event::Entity::belongs_to(agency_account::Entity)
        .from(meter_event::Column::AgencyId)
        .to(agency_account::Column::AgencyId)
        .into();
    let rows = meter_event::Entity::find()
        .join(JoinType::InnerJoin, account)
        .filter(meter_event::Column::SentAtUnix.is_null())
        .filter(agency_account::Column::StripeCustomerId.is_not_null())
        .filter(agency_account::Column::SubscriptionId.is_not_null())
        .filter(agency_account::Column::SubscriptionStatus.ne(SubscriptionState::Cancelled.as_str()))
        .filter(
            Expr::col((meter_event::Entity, meter_event::Column::Period))
                .gte(Expr::col((agency_account::Entity, agency_account::Column::BilledFromPeriod))),
        )
        .select_also(agency_account::Entity)
        .order_by_asc(meter_event::Column::CreatedAtUnix)
        .limit(limit)
        .all(database)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(event, account)| {
            account.and_then(|account| account.stripe_customer_id).map(|customer| (event, customer))
        })
        .collect())
}

/// How many of the agency's listings are metered in `period` (one event per listing per period).
pub async fn listings_metered_in<C: ConnectionTrait>(
    database: &C,
    agency_id: &str,
    period: &str,
) -> Result<u64, DbErr> {
    meter_event::Entity::find()
        .filter(meter_event::Column::AgencyId.eq(agency_id))
        .filter(meter_event::Column::Period.eq(period))
        .count(database)
        .await
}

/// The agency's published listings (billing's copy from the feed).
pub async fn published_listings_of<C: ConnectionTrait>(
    database: &C,
    agency_id: &str,
) -> Result<Vec<listing_state::Model>, DbErr> {
    listing_state::Entity::find()
        .filter(listing_state::Column::AgencyId.eq(agency_id))
        .filter(listing_state::Column::Status.eq("published"))
        .all(database)
        .await
}

pub async fn mark_meter_sent<C: ConnectionTrait>(database: &C, identifier: &str) -> Result<(), DbErr> {
    meter_event::Entity::update_many()
        .col_expr(meter_event::Column::SentAtUnix, Expr::value(now_unix()))
        .filter(meter_event::Column::Identifier.eq(identifier))
        .exec(database)
        .await?;
    Ok(())
}

pub async fn meter_attempt_failed<C: ConnectionTrait>(database: &C, identifier: &str) -> Result<(), DbErr> {
    meter_event::Entity::update_many()
        .col_expr(meter_event::Column::Attempts, Expr::col(meter_event::Column::Attempts).add(1))
        .filter(meter_event::Column::Identifier.eq(identifier))
        .exec(database)
        .await?;
    Ok(())
}

pub async fn meter_events<C: ConnectionTrait>(database: &C) -> Result<Vec<meter_event::Model>, DbErr> {
    meter_event::Entity::find().order_by_asc(meter_event::Column::Identifier).all(database).await
}

/// Records an agency's opening count for a month once (unique (agency, month)).
pub async fn record_opening<C: ConnectionTrait>(
    database: &C,
    agency_id: &str,
    month: &str,
    listing_count: i64,
) -> Result<bool, DbErr> {
    let row = usage_opening::ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        agency_id: Set(agency_id.to_string()),
        month: Set(month.to_string()),
        listing_count: Set(listing_count),
        created_at_unix: Set(now_unix()),
    };
    let inserted = usage_opening::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([usage_opening::Column::AgencyId, usage_opening::Column::Month])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(database)
        .await?;
    Ok(inserted == 1)
}

pub async fn openings<C: ConnectionTrait>(database: &C, month: &str) -> Result<Vec<usage_opening::Model>, DbErr> {
    usage_opening::Entity::find().filter(usage_opening::Column::Month.eq(month)).all(database).await
}

pub async fn count_openings<C: ConnectionTrait>(database: &C) -> Result<u64, DbErr> {
    usage_opening::Entity::find().count(database).await
}

pub async fn setting<C: ConnectionTrait>(database: &C, key: &str) -> Result<Option<String>, DbErr> {
    Ok(setting::Entity::find_by_id(key.to_string()).one(database).await?.map(|row| row.value))
}

pub async fn put_setting<C: ConnectionTrait>(database: &C, key: &str, value: &str) -> Result<(), DbErr> {
    let row = setting::ActiveModel { key: Set(key.to_string()), value: Set(value.to_string()) };
    setting::Entity::insert(row)
        .on_conflict(OnConflict::column(setting::Column::Key).update_column(setting::Column::Value).to_owned())
        .exec_without_returning(database)
        .await?;
    Ok(())
}
