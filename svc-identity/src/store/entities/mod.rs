//! sea-orm entities: one per table, rows only (no behaviour).

pub mod agency;
pub mod application;
pub mod group;
pub mod invitation;
pub mod membership;
pub mod password_reset;
pub mod refresh_token;
pub mod service_account;
pub mod signing_key;
pub mod user;
