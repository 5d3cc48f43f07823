//! Billing's pure logic: webhook signatures, Stripe events, money, promotion
//! windows, usage periods and billing statuses. No tonic, no sea-orm here.

pub mod event;
pub mod money;
pub mod period;
pub mod promotion;
pub mod signature;
pub mod status;
