use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FeedCursor {
    Table,
    Consumer,
    Sequence,
    IndexName,
    UpdatedAtUnix,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FeedCursor::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(FeedCursor::Consumer).string_len(200).not_null().primary_key())
                    .col(ColumnDef::new(FeedCursor::Sequence).big_integer().not_null())
                    .col(ColumnDef::new(FeedCursor::IndexName).string_len(300).not_null())
                    .col(ColumnDef::new(FeedCursor::UpdatedAtUnix).big_integer().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(FeedCursor::Table).to_owned()).await
    }
}
