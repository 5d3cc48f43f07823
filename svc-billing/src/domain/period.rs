//! Usage periods: calendar months in UTC, written `YYYY-MM`.

use chrono::{DateTime, Datelike, Utc};

pub fn month_of(unix: i64) -> String {
    let time = DateTime::<Utc>::from_timestamp(unix, 0).unwrap_or_default();
    format!("{:04}-{:02}", time.year(), time.month())
}

/// The meter event identifier: one per listing per period, so replays are harmless.
pub fn meter_identifier(listing_id: &str, period: &str) -> String {
    format!("{listing_id}:{period}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_utc_calendar_months() {
        assert_eq!(month_of(1_767_225_599), "2025-12");
        assert_eq!(month_of(1_767_225_600), "2026-01");
        assert_eq!(meter_identifier("l1", "2026-01"), "l1:2026-01");
    }
}
