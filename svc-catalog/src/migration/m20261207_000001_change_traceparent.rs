//! A change remembers the trace of the request that made it (W3C `traceparent`, or
//! null when tracing was off), so search's indexing of it joins that trace.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ListingChanges {
    Table,
    Traceparent,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ListingChanges::Table)
                    .add_column(string_null(ListingChanges::Traceparent))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(ListingChanges::Table).drop_column(ListingChanges::Traceparent).to_owned(),
            )
            .await
    }
}
