//! Today's date, injected: relative ages ("menos de 5 años") and the latest
//! model year depend on it, and tests must not depend on the real date.

use chrono::NaiveDate;

/// Where the interpreter reads today's date from.
pub trait Clock: Send + Sync {
    fn today(&self) -> NaiveDate;
}

/// The real date (UTC).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn today(&self) -> NaiveDate {
        chrono::Utc::now().date_naive()
    }
}

/// A date that never moves (tests, replays, the labelled set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub NaiveDate);

impl FixedClock {
    /// Mid-year of `year`: only the year matters to the interpreter.
    /// A year chrono cannot represent falls back to its latest date.
    pub fn in_year(year: i32) -> Self {
        FixedClock(NaiveDate::from_ymd_opt(year, 7, 1).unwrap_or(NaiveDate::MAX))
    }
}

impl Clock for FixedClock {
    fn today(&self) -> NaiveDate {
        self.0
    }
}
