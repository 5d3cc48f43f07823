//! Storage behaviour on PostgreSQL and SQLite: the unique keys that make effects once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

use nds_common::testing::TestDatabase;
use svc_billing::domain::event::StripeEvent;
use svc_billing::store::{events, ledger, usage};

async fn connect(database: &TestDatabase) -> sea_orm::DatabaseConnection {
    svc_billing::migrate(database.url()).await.unwrap();
    // Migrating twice is harmless.
    svc_billing::migrate(database.url()).await.unwrap();
    nds_common::db::connect(database.url()).await.unwrap()
}

async fn an_event_id_is_stored_once(database: &TestDatabase) {
    let connection = connect(database).await;
    let event = StripeEvent::parse(br#"{"id":"evt_1","type":"x","created":1,"data":{"object":{"id":"o"}}}"#).unwrap();
    assert!(events::insert_once(&connection, &event, "{}").await.unwrap());
    assert!(!events::insert_once(&connection, &event, "{}").await.unwrap());
    assert_eq!(events::count(&connection).await.unwrap(), 1);
    let row = events::find(&connection, "evt_1").await.unwrap().unwrap();
    assert!(events::claim(&connection, &row).await.unwrap());
    assert!(!events::claim(&connection, &row).await.unwrap(), "a second worker cannot claim it");
}

async fn a_ledger_effect_is_recorded_once_per_kind_and_object(database: &TestDatabase) {
    let connection = connect(database).await;
    let entry = |kind| ledger::NewEntry {
        agency_id: "a",
        group_id: "g",
        kind,
        amount_minor: 100,
        currency: "MXN",
        stripe_object_id: "pi_1",
    };
    assert!(ledger::record(&connection, entry(ledger::DEPOSIT)).await.unwrap());
    assert!(!ledger::record(&connection, entry(ledger::DEPOSIT)).await.unwrap());
    assert!(ledger::record(&connection, entry(ledger::FEE)).await.unwrap());
    assert_eq!(ledger::count(&connection, &ledger::LedgerScope::Agency("a".into())).await.unwrap(), 2);
    assert_eq!(ledger::count(&connection, &ledger::LedgerScope::Agency("b".into())).await.unwrap(), 0);
}

async fn meter_events_and_openings_are_unique(database: &TestDatabase) {
    let connection = connect(database).await;
    assert!(usage::queue_meter_event(&connection, "l:2026-01", "l", "a", "2026-01").await.unwrap());
    assert!(!usage::queue_meter_event(&connection, "l:2026-01", "l", "a", "2026-01").await.unwrap());
    assert!(usage::record_opening(&connection, "a", "2026-01", 3).await.unwrap());
    assert!(!usage::record_opening(&connection, "a", "2026-01", 4).await.unwrap());
    assert_eq!(usage::count_openings(&connection).await.unwrap(), 1);
    usage::save_cursor(&connection, 5).await.unwrap();
    usage::save_cursor(&connection, 7).await.unwrap();
    assert_eq!(usage::cursor(&connection).await.unwrap(), 7);
}

nds_common::storage_suite!(
    an_event_id_is_stored_once,
    a_ledger_effect_is_recorded_once_per_kind_and_object,
    meter_events_and_openings_are_unique
);
