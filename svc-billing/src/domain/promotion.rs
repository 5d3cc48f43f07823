//! Promotion windows: 30 days from payment, or from the end of the listing's
//! current promotion when it still runs (promoting again extends).

pub const PROMOTION_SECONDS: i64 = 30 * 24 * 3600;
/// The rank catalog ranks a promoted listing by (higher first).
pub const PROMOTION_RANK: i32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromotionStatus {
    Pending,
    Active,
    Failed,
    Expired,
}

impl PromotionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PromotionStatus::Pending => "pending",
            PromotionStatus::Active => "active",
            PromotionStatus::Failed => "failed",
            PromotionStatus::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Option<PromotionStatus> {
        [PromotionStatus::Pending, PromotionStatus::Active, PromotionStatus::Failed, PromotionStatus::Expired]
            .into_iter()
            .find(|status| status.as_str() == raw)
    }

    /// Only a pending promotion reacts to payment events: later events are stale.
    pub fn accepts_payment_events(self) -> bool {
        self == PromotionStatus::Pending
    }

    /// A failed attempt is not final at Stripe (the buyer may retry with another
    /// card and the same PaymentIntent then succeeds), so success also lifts `failed`.
    pub fn accepts_success(self) -> bool {
        matches!(self, PromotionStatus::Pending | PromotionStatus::Failed)
    }
}

/// `(starts, ends)` of a promotion paid at `paid_at` when the listing's latest
/// running promotion ends at `current_end` (if any).
pub fn promotion_window(paid_at: i64, current_end: Option<i64>) -> (i64, i64) {
    let starts = current_end.filter(|end| *end > paid_at).unwrap_or(paid_at);
    (starts, starts + PROMOTION_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_promotion_runs_30_days_from_payment() {
        assert_eq!(promotion_window(1000, None), (1000, 1000 + PROMOTION_SECONDS));
        assert_eq!(promotion_window(1000, Some(500)), (1000, 1000 + PROMOTION_SECONDS));
    }

    #[test]
    fn promoting_a_promoted_listing_extends_it() {
        assert_eq!(promotion_window(1000, Some(5000)), (5000, 5000 + PROMOTION_SECONDS));
    }

    #[test]
    fn only_pending_promotions_accept_payment_events() {
        assert!(PromotionStatus::Pending.accepts_payment_events());
        assert!(PromotionStatus::Failed.accepts_success());
        assert!(!PromotionStatus::Active.accepts_success() && !PromotionStatus::Expired.accepts_success());
        for status in [PromotionStatus::Active, PromotionStatus::Failed, PromotionStatus::Expired] {
            assert!(!status.accepts_payment_events());
            assert_eq!(PromotionStatus::parse(status.as_str()), Some(status));
        }
    }
}
