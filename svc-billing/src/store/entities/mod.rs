//! sea-orm rows of billing's tables (see the migration for the constraints).

macro_rules! entity_boilerplate {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod agency_account;
pub mod deposit;
pub mod feed_cursor;
pub mod ledger_entry;
pub mod listing_state;
pub mod meter_event;
pub mod promotion;
pub mod setting;
pub mod usage_opening;
pub mod webhook_event;
