//! Billing's storage: sea-orm rows and the repository functions over them.
//! Every effect that must happen once is guarded by a unique key here.

pub mod accounts;
pub mod entities;
pub mod events;
pub mod ledger;
pub mod promotions;
pub mod usage;

pub use nds_common::clock::now_unix;
