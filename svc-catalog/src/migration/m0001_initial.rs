//! Listings, their change feed and feed counter, price history, favourites and
//! saved searches. Times are unix seconds (BIGINT) so both backends compare them
//! the same way; ids are UUIDv7, so ordering by id is ordering by creation.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// At most one live (published) listing per VIN, across the platform. Partial
/// unique indexes have the same syntax on PostgreSQL and SQLite.
const ONE_LIVE_LISTING_PER_VIN: &str = "CREATE UNIQUE INDEX listings_one_published_per_vin \
     ON listings (vin) WHERE status = 'PUBLISHED' AND vin IS NOT NULL";

fn id(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).uuid().not_null().primary_key().to_owned()
}

fn uuid(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).uuid().not_null().to_owned()
}

fn big(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

fn text(name: &'static str, length: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(length).not_null().to_owned()
}

fn nullable_text(name: &'static str, length: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(length).null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("listings")
                    .col(id("id"))
                    .col(uuid("agency_id"))
                    .col(uuid("group_id"))
                    .col(text("status", 16))
                    .col(big("version"))
                    .col(text("make", 100))
                    .col(text("model", 100))
                    .col(ColumnDef::new("year").integer().not_null())
                    .col(nullable_text("trim", 100))
                    .col(nullable_text("vin", 17))
                    .col(big("price_minor"))
                    .col(text("currency", 3))
                    .col(big("mileage_km"))
                    .col(text("body_type", 16))
                    .col(text("fuel", 16))
                    .col(text("transmission", 16))
                    .col(text("color", 100))
                    .col(text("condition", 16))
                    .col(text("city", 100))
                    .col(nullable_text("state", 100))
                    .col(ColumnDef::new("description").text().null())
                    .col(ColumnDef::new("photos").json().not_null())
                    .col(ColumnDef::new("attributes").json_binary().not_null())
                    .col(ColumnDef::new("promoted_until").big_integer().null())
                    .col(ColumnDef::new("promotion_rank").integer().not_null())
                    .col(big("created_at"))
                    .col(big("updated_at"))
                    .col(ColumnDef::new("published_at").big_integer().null())
                    .col(big("view_count"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("listings_agency").table("listings").col("agency_id").col("id").to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("listings_status").table("listings").col("status").col("id").to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("listings_group_created")
                    .table("listings")
                    .col("group_id")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        let backend = manager.get_database_backend();
        manager.get_connection().execute_raw(Statement::from_string(backend, ONE_LIVE_LISTING_PER_VIN)).await?;

        // The feed: `sequence` is handed out by `feed_counter` in commit order (see store::feed).
        manager
            .create_table(
                Table::create()
                    .table("listing_changes")
                    .col(ColumnDef::new("sequence").big_integer().not_null().primary_key())
                    .col(uuid("listing_id"))
                    .col(big("version"))
                    .col(text("kind", 32))
                    .col(ColumnDef::new("snapshot").text().not_null())
                    .col(big("changed_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("feed_counter")
                    .col(ColumnDef::new("id").integer().not_null().primary_key())
                    .col(big("last_sequence"))
                    .to_owned(),
            )
            .await?;
        let mut first_counter = Query::insert();
        first_counter
            .into_table("feed_counter")
            .columns(["id", "last_sequence"])
            .values([1.into(), 0i64.into()])
            .map_err(|error| DbErr::Migration(error.to_string()))?;
        manager.exec_stmt(first_counter).await?;

        manager
            .create_table(
                Table::create()
                    .table("price_history")
                    .col(id("id"))
                    .col(uuid("listing_id"))
                    .col(big("amount_minor"))
                    .col(text("currency", 3))
                    .col(big("changed_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("price_history_listing")
                    .table("price_history")
                    .col("listing_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("favourites")
                    .col(id("id"))
                    .col(uuid("user_id"))
                    .col(uuid("listing_id"))
                    .col(big("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("favourites_user_listing")
                    .table("favourites")
                    .col("user_id")
                    .col("listing_id")
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("saved_searches")
                    .col(id("id"))
                    .col(uuid("user_id"))
                    .col(text("name", 100))
                    .col(ColumnDef::new("text").text().not_null())
                    .col(ColumnDef::new("filters").text().not_null())
                    .col(big("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("saved_searches_user").table("saved_searches").col("user_id").col("id").to_owned(),
            )
            .await?;
        Ok(())
    }
}
