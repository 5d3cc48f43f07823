use nds_common::db::schema::{id, index, int, int_null, long_text, table, text, text_null};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_conversations"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(table(
                "conversations",
                vec![
                    id("id"),
                    text("listing_id"),
                    text("agency_id"),
                    text("group_id"),
                    text("buyer_id"),
                    text("listing_title"),
                    text("status"),
                    text_null("assignee_id"),
                    int("message_count"),
                    int("created_at_unix"),
                    int("updated_at_unix"),
                    int("last_message_at_unix"),
                    int_null("first_response_at_unix"),
                ],
            ))
            .await?;
        manager.create_index(index("conversations_buyer", "conversations", &["buyer_id", "listing_id"], false)).await?;
        manager
            .create_index(index("conversations_agency", "conversations", &["agency_id", "last_message_at_unix"], false))
            .await?;
        manager
            .create_index(index("conversations_recent", "conversations", &["last_message_at_unix", "id"], false))
            .await?;
        // One open conversation per buyer and listing, also under concurrent starts:
        // a partial unique index (same SQL on PostgreSQL and SQLite).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX IF NOT EXISTS conversations_one_open \
                 ON conversations (buyer_id, listing_id) WHERE status IN ('NEW', 'OPEN')",
            )
            .await?;

        manager
            .create_table(table(
                "messages",
                vec![
                    id("id"),
                    text("conversation_id"),
                    int("sequence"),
                    text("sender_id"),
                    text("sender_side"),
                    long_text("body"),
                    int("sent_at_unix"),
                ],
            ))
            .await?;
        manager.create_index(index("messages_position", "messages", &["conversation_id", "sequence"], true)).await?;

        // Per (conversation, user): how far they read, and when they were last mailed.
        manager
            .create_table(table(
                "participants",
                vec![
                    id("id"),
                    text("conversation_id"),
                    text("user_id"),
                    int("last_read_sequence"),
                    int_null("last_notified_at_unix"),
                ],
            ))
            .await?;
        manager
            .create_index(index("participants_member", "participants", &["conversation_id", "user_id"], true))
            .await?;

        manager.create_table(table("agency_rotations", vec![id("agency_id"), int("next_turn")])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["agency_rotations", "participants", "messages", "conversations"] {
            manager.drop_table(Table::drop().table(Alias::new(name)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
