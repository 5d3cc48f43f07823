//! Billing's pure logic: webhook signatures, Stripe events, money, promotion
//! windows, usage periods, billing statuses and the audit vocabulary. No tonic,
//! no sea-orm here.

pub mod audit;
pub mod event;
pub mod money;
pub mod period;
pub mod promotion;
pub mod signature;
pub mod status;
