//! What billing writes to its audit log: the money decisions people make.

/// A promotion's payment succeeded; the actor started its checkout.
pub const PROMOTION_PURCHASED: &str = "promotion.purchased";
/// A deposit was (partly) refunded; the actor asked for it, or `stripe` when the
/// refund was made in Stripe's dashboard and reported by its webhook.
pub const DEPOSIT_REFUNDED: &str = "deposit.refunded";

/// The actor of what Stripe reports on its own.
pub const STRIPE_ACTOR: &str = "stripe";

/// Every action billing records, the filter's vocabulary.
pub const AUDIT_ACTIONS: [&str; 2] = [PROMOTION_PURCHASED, DEPOSIT_REFUNDED];
