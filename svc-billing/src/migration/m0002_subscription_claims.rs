use nds_common::db::schema::text_null;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_subscription_claims"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The idempotency key of the subscription being created for the agency (NULL
        // when none is): concurrent subscribes share it, so Stripe creates one.
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("agency_accounts"))
                    .add_column(text_null("subscription_claim"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("agency_accounts"))
                    .drop_column(Alias::new("subscription_claim"))
                    .to_owned(),
            )
            .await
    }
}
