use nds_common::audit::schema;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_audit_log"
    }
}

#[derive(DeriveIden)]
enum Promotions {
    Table,
    RequestedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Billing's own audit log, the same table identity keeps.
        manager.create_table(schema::create_table()).await?;
        manager.create_index(schema::target_index()).await?;
        manager.create_index(schema::action_index()).await?;
        // Who started a promotion's checkout: the purchase is recorded under their
        // name when Stripe reports the payment. Earlier promotions name nobody.
        manager
            .alter_table(
                Table::alter()
                    .table(Promotions::Table)
                    .add_column(string(Promotions::RequestedBy).default(""))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Promotions::Table).drop_column(Promotions::RequestedBy).to_owned())
            .await?;
        manager.drop_table(schema::drop_table()).await
    }
}
