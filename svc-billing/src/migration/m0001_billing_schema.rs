use nds_common::db::schema::{flag, id, index, int, int_null, long_text, long_text_null, table, text, text_null};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_billing_schema"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The webhook event log: the primary key (Stripe's event id) is the dedupe.
        manager
            .create_table(table(
                "webhook_events",
                vec![
                    id("id"),
                    text("event_type"),
                    int("created_unix"),
                    text("object_id"),
                    long_text("payload"),
                    text("status"),
                    int("attempts"),
                    int_null("claimed_at_unix"),
                    int("next_attempt_at_unix"),
                    int("received_at_unix"),
                    int_null("processed_at_unix"),
                    long_text_null("outcome"),
                ],
            ))
            .await?;
        manager
            .create_index(index("webhook_events_status", "webhook_events", &["status", "next_attempt_at_unix"], false))
            .await?;

        manager
            .create_table(table(
                "promotions",
                vec![
                    id("id"),
                    text("listing_id"),
                    text("agency_id"),
                    text("group_id"),
                    text_null("payment_intent_id"),
                    text("status"),
                    int("amount_minor"),
                    text("currency"),
                    int_null("starts_at_unix"),
                    int_null("ends_at_unix"),
                    flag("catalog_synced"),
                    flag("expiry_notified"),
                    int("last_event_created"),
                    int("created_at_unix"),
                    int("updated_at_unix"),
                ],
            ))
            .await?;
        manager.create_index(index("promotions_payment_intent", "promotions", &["payment_intent_id"], true)).await?;
        manager.create_index(index("promotions_listing", "promotions", &["listing_id", "status"], false)).await?;

        manager
            .create_table(table(
                "ledger_entries",
                vec![
                    id("id"),
                    text("agency_id"),
                    text("group_id"),
                    text("kind"),
                    int("amount_minor"),
                    text("currency"),
                    text("stripe_object_id"),
                    int("created_at_unix"),
                ],
            ))
            .await?;
        // One effect per (kind, Stripe object), whatever the number of deliveries.
        manager
            .create_index(index("ledger_entries_effect", "ledger_entries", &["kind", "stripe_object_id"], true))
            .await?;
        manager.create_index(index("ledger_entries_agency", "ledger_entries", &["agency_id", "id"], false)).await?;

        manager
            .create_table(table(
                "agency_accounts",
                vec![
                    id("agency_id"),
                    text("group_id"),
                    text_null("stripe_customer_id"),
                    text_null("subscription_id"),
                    text("subscription_status"),
                    int("subscription_event_created"),
                    text_null("connect_account_id"),
                    flag("charges_enabled"),
                    int("account_event_created"),
                    int("updated_at_unix"),
                ],
            ))
            .await?;
        manager
            .create_index(index("agency_accounts_customer", "agency_accounts", &["stripe_customer_id"], true))
            .await?;
        manager
            .create_index(index("agency_accounts_connect", "agency_accounts", &["connect_account_id"], true))
            .await?;

        manager
            .create_table(table(
                "deposits",
                vec![
                    id("id"),
                    text("listing_id"),
                    text("agency_id"),
                    text("group_id"),
                    text("buyer_id"),
                    int("amount_minor"),
                    int("fee_minor"),
                    text("currency"),
                    text_null("payment_intent_id"),
                    text("status"),
                    text_null("refund_id"),
                    int("last_event_created"),
                    int("created_at_unix"),
                    int("updated_at_unix"),
                ],
            ))
            .await?;
        manager.create_index(index("deposits_payment_intent", "deposits", &["payment_intent_id"], true)).await?;

        manager
            .create_table(table(
                "listing_states",
                vec![
                    id("listing_id"),
                    text("agency_id"),
                    text("group_id"),
                    text("status"),
                    int("version"),
                    int("updated_at_unix"),
                ],
            ))
            .await?;
        manager.create_index(index("listing_states_agency", "listing_states", &["agency_id", "status"], false)).await?;

        // identifier = listing id + period: a replayed change cannot meter twice.
        manager
            .create_table(table(
                "meter_events",
                vec![
                    id("identifier"),
                    text("listing_id"),
                    text("agency_id"),
                    text("period"),
                    int("created_at_unix"),
                    int_null("sent_at_unix"),
                    int("attempts"),
                ],
            ))
            .await?;
        manager.create_index(index("meter_events_unsent", "meter_events", &["sent_at_unix"], false)).await?;

        manager
            .create_table(table(
                "usage_openings",
                vec![id("id"), text("agency_id"), text("month"), int("listing_count"), int("created_at_unix")],
            ))
            .await?;
        manager
            .create_index(index("usage_openings_agency_month", "usage_openings", &["agency_id", "month"], true))
            .await?;

        manager.create_table(table("feed_cursors", vec![id("name"), int("sequence")])).await?;
        manager.create_table(table("settings", vec![id("key"), text("value")])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "settings",
            "feed_cursors",
            "usage_openings",
            "meter_events",
            "listing_states",
            "deposits",
            "agency_accounts",
            "ledger_entries",
            "promotions",
            "webhook_events",
        ] {
            manager.drop_table(Table::drop().table(Alias::new(name)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
