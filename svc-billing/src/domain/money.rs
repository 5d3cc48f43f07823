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

#[cfg(test)]
mod tests {
    use super::*;

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
