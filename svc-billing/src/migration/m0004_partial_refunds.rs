use nds_common::db::schema::int;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_partial_refunds"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // How much of a deposit has been refunded so far (minor units); the deposit is
        // `refunded` once this reaches its amount.
        manager
            .alter_table(Table::alter().table(Alias::new("deposits")).add_column(int("refunded_minor")).to_owned())
            .await?;
        // Deposits refunded before partial refunds existed were refunded whole.
        manager
            .get_connection()
            .execute_unprepared("UPDATE deposits SET refunded_minor = amount_minor WHERE status = 'refunded'")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Alias::new("deposits")).drop_column(Alias::new("refunded_minor")).to_owned(),
            )
            .await
    }
}
