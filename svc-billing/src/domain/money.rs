//! Money rules: positive minor-unit amounts in a known currency, and the
//! platform's fee on a deposit.

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount must be positive")]
    NotPositive,
    #[error("amount is too large")]
    TooLarge,
    #[error("currency must be {expected}")]
    WrongCurrency { expected: String },
}

/// Stripe's own ceiling for one charge is 99,999,999 minor units in most currencies.
pub const MAX_AMOUNT_MINOR: i64 = 99_999_999;

/// A deposit amount that passed validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositAmount {
    pub minor: i64,
    pub currency: String,
}

impl DepositAmount {
    /// An empty currency means the platform's.
    pub fn parse(minor: i64, currency: &str, platform_currency: &str) -> Result<DepositAmount, MoneyError> {
        if minor <= 0 {
            return Err(MoneyError::NotPositive);
        }
        if minor > MAX_AMOUNT_MINOR {
            return Err(MoneyError::TooLarge);
        }
        let currency = if currency.trim().is_empty() { platform_currency } else { currency.trim() };
        if !currency.eq_ignore_ascii_case(platform_currency) {
            return Err(MoneyError::WrongCurrency { expected: platform_currency.to_string() });
        }
        Ok(DepositAmount { minor, currency: platform_currency.to_ascii_uppercase() })
    }
}

/// The platform's fee: `percent` of `amount`, rounded half up to a minor unit.
pub fn platform_fee(amount_minor: i64, percent: f64) -> i64 {
    let fee = (amount_minor as f64 * percent / 100.0).round() as i64;
    fee.clamp(0, amount_minor)
}

/// The part of the platform's `fee` returned once `refunded` of `amount` has been
/// refunded (rounded down). Each refund returns the difference between this share
/// after and before it, so the fee returned over all refunds adds up to the fee
/// itself, to the cent, when the whole amount is refunded.
pub fn fee_share_refunded(fee: i64, amount: i64, refunded: i64) -> i64 {
    if amount <= 0 {
        return 0;
    }
    let refunded = refunded.clamp(0, amount);
    (i128::from(fee) * i128::from(refunded) / i128::from(amount)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_returned_by_partial_refunds_adds_up_to_the_fee() {
        assert_eq!(fee_share_refunded(50_000, 1_000_000, 300_000), 15_000);
        // Three refunds of a third each: 33 + 33 + 34 of a fee of 100.
        let steps = [0, 333, 666, 1_000].map(|refunded| fee_share_refunded(100, 1_000, refunded));
        assert_eq!(steps, [0, 33, 66, 100]);
        assert_eq!(fee_share_refunded(100, 1_000, 5_000), 100, "never more than the fee");
    }

    #[test]
    fn negative_zero_and_huge_amounts_are_refused() {
        assert_eq!(DepositAmount::parse(-100, "MXN", "MXN"), Err(MoneyError::NotPositive));
        assert_eq!(DepositAmount::parse(0, "MXN", "MXN"), Err(MoneyError::NotPositive));
        assert_eq!(DepositAmount::parse(MAX_AMOUNT_MINOR + 1, "MXN", "MXN"), Err(MoneyError::TooLarge));
        assert!(matches!(DepositAmount::parse(100, "USD", "MXN"), Err(MoneyError::WrongCurrency { .. })));
        assert_eq!(DepositAmount::parse(100, "", "MXN").unwrap().currency, "MXN");
        assert_eq!(DepositAmount::parse(100, "mxn", "MXN").unwrap().currency, "MXN");
    }

    #[test]
    fn the_fee_is_the_configured_percentage_rounded() {
        assert_eq!(platform_fee(10_000, 5.0), 500);
        assert_eq!(platform_fee(999, 5.0), 50);
        assert_eq!(platform_fee(1, 0.0), 0);
    }
}
