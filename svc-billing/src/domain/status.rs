//! The agency's subscription status as billing shows it, from Stripe's statuses.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscriptionState {
    None,
    Active,
    PastDue,
    Cancelled,
}

impl SubscriptionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionState::None => "none",
            SubscriptionState::Active => "active",
            SubscriptionState::PastDue => "past_due",
            SubscriptionState::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> SubscriptionState {
        match raw {
            "active" => SubscriptionState::Active,
            "past_due" => SubscriptionState::PastDue,
            "cancelled" => SubscriptionState::Cancelled,
            _ => SubscriptionState::None,
        }
    }

    /// Stripe's subscription statuses folded into ours.
    pub fn from_stripe(status: &str) -> Option<SubscriptionState> {
        match status {
            "active" | "trialing" => Some(SubscriptionState::Active),
            "past_due" | "unpaid" => Some(SubscriptionState::PastDue),
            "canceled" | "incomplete_expired" => Some(SubscriptionState::Cancelled),
            // incomplete / paused: nothing to show yet, keep what we have.
            _ => None,
        }
    }

    pub fn is_terminal(self) -> bool {
        self == SubscriptionState::Cancelled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripe_statuses_fold_into_ours() {
        assert_eq!(SubscriptionState::from_stripe("trialing"), Some(SubscriptionState::Active));
        assert_eq!(SubscriptionState::from_stripe("unpaid"), Some(SubscriptionState::PastDue));
        assert_eq!(SubscriptionState::from_stripe("canceled"), Some(SubscriptionState::Cancelled));
        assert_eq!(SubscriptionState::from_stripe("incomplete"), None);
        for state in [SubscriptionState::Active, SubscriptionState::PastDue, SubscriptionState::Cancelled] {
            assert_eq!(SubscriptionState::parse(state.as_str()), state);
        }
    }
}
