//! Where the indexer is in catalog's change feed, per index lineage
//! (`SearchIndex::consumer_name`), and which physical index that position
//! describes. Saved only after the index commit, so a crash replays (and the
//! replay is idempotent) rather than skips.

use nds_common::clock::now_unix;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue, DatabaseConnection};

use super::entities::feed_cursor::{ActiveModel, Column, Entity};

/// A saved feed position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedPosition {
    pub sequence: i64,
    pub index_name: String,
}

pub async fn load(database: &DatabaseConnection, consumer: &str) -> Result<Option<FeedPosition>, DbErr> {
    let row = Entity::find_by_id(consumer.to_string()).one(database).await?;
    Ok(row.map(|row| FeedPosition { sequence: row.sequence, index_name: row.index_name }))
}

/// Sets the position outright (after a rebuild, before its swap).
pub async fn reset(database: &DatabaseConnection, consumer: &str, position: &FeedPosition) -> Result<(), DbErr> {
    let row = ActiveModel {
        consumer: ActiveValue::Set(consumer.to_string()),
        sequence: ActiveValue::Set(position.sequence),
        index_name: ActiveValue::Set(position.index_name.clone()),
        updated_at_unix: ActiveValue::Set(now_unix()),
    };
    Entity::insert(row)
        .on_conflict(
            OnConflict::column(Column::Consumer)
                .update_columns([Column::Sequence, Column::IndexName, Column::UpdatedAtUnix])
                .to_owned(),
        )
        .exec(database)
        .await?;
    Ok(())
}

/// Advances the position only if it still belongs to `position.index_name` and
/// only forwards. `false` means a rebuild swapped the index (or another writer
/// moved on): the caller must reload the cursor instead of overwriting it.
pub async fn advance(database: &DatabaseConnection, consumer: &str, position: &FeedPosition) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::Sequence, Expr::value(position.sequence))
        .col_expr(Column::UpdatedAtUnix, Expr::value(now_unix()))
        .filter(Column::Consumer.eq(consumer))
        .filter(Column::IndexName.eq(position.index_name.as_str()))
        .filter(Column::Sequence.lte(position.sequence))
        .exec(database)
        .await?;
    Ok(result.rows_affected == 1)
}
