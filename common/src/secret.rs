//! Secrets that never show up in logs: `Debug` is masked and reading the value
//! takes an explicit `expose()`, so a leak is visible in review.

use std::fmt;

#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Secret(***)")
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_contains_the_value() {
        let secret = Secret::new("sk_live_123".to_string());
        let printed = format!("{secret:?}");
        assert!(!printed.contains("sk_live_123"));
        assert_eq!(secret.expose(), "sk_live_123");
    }
}
