use nds_common::db::schema::text_null;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_usage_billed_from"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The first usage period (`YYYY-MM`) the current subscription pays for: the
        // month it started. Usage of earlier periods is never sent to Stripe.
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("agency_accounts"))
                    .add_column(text_null("billed_from_period"))
                    .to_owned(),
            )
            .await?;
        // Agencies subscribed before this migration pay from the month their queued usage starts.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE agency_accounts SET billed_from_period = '0000-00' \
                 WHERE subscription_id IS NOT NULL AND subscription_status <> 'cancelled'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("agency_accounts"))
                    .drop_column(Alias::new("billed_from_period"))
                    .to_owned(),
            )
            .await
    }
}
