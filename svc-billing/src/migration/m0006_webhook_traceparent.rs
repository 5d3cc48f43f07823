use nds_common::db::schema::text_null;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0006_webhook_traceparent"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The trace of the delivery that stored the event (W3C `traceparent`, null when
        // tracing was off): the worker's processing of it joins that trace.
        manager
            .alter_table(
                Table::alter().table(Alias::new("webhook_events")).add_column(text_null("traceparent")).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Alias::new("webhook_events")).drop_column(Alias::new("traceparent")).to_owned(),
            )
            .await
    }
}
