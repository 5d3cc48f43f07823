//! Numbers, prices, distances and dates as people in Mexico write them.
//! Spanish: `$459,900 MXN`, `5 dic 2026`, `hace 3 min`. English: `MX$459,900`,
//! `Dec 5, 2026`, `3 min ago`. Cars are priced without decimals.

use chrono::{DateTime, Datelike, Utc};

use super::Lang;

/// `1234567` → `1,234,567` (Mexico groups thousands with commas in both languages).
pub fn grouped(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        out.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A car's price from minor units, whole pesos (rounded half up).
pub fn price(minor: i64, currency: &str, lang: Lang) -> String {
    let whole = (minor + 50).div_euclid(100);
    let currency = currency.to_ascii_uppercase();
    match lang {
        Lang::Es => format!("${} {currency}", grouped(whole)),
        Lang::En => {
            let symbol = match currency.as_str() {
                "MXN" => "MX$".to_string(),
                "USD" => "US$".to_string(),
                other => format!("{other} "),
            };
            format!("{symbol}{}", grouped(whole))
        }
    }
}

/// Money with cents (deposits, fees): `$5,000.00 MXN` / `MX$5,000.00`.
pub fn money_exact(minor: i64, currency: &str, lang: Lang) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let cents = minor.unsigned_abs() % 100;
    let whole = grouped((minor.unsigned_abs() / 100) as i64);
    let currency = currency.to_ascii_uppercase();
    match lang {
        Lang::Es => format!("{sign}${whole}.{cents:02} {currency}"),
        Lang::En => {
            let symbol = if currency == "MXN" { "MX$".to_string() } else { format!("{currency} ") };
            format!("{sign}{symbol}{whole}.{cents:02}")
        }
    }
}

pub fn kilometres(km: i64) -> String {
    format!("{} km", grouped(km))
}

const MONTHS_ES: [&str; 12] = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"];
const MONTHS_EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A month's short name, `1` → `ene` / `Jan` (charts' labels).
pub fn month_short(month: u32, lang: Lang) -> &'static str {
    let index = (month.clamp(1, 12) - 1) as usize;
    match lang {
        Lang::Es => MONTHS_ES[index],
        Lang::En => MONTHS_EN[index],
    }
}

/// `5 dic 2026` / `Dec 5, 2026`.
pub fn date(moment: DateTime<Utc>, lang: Lang) -> String {
    let month = moment.month0() as usize;
    match lang {
        Lang::Es => format!("{} {} {}", moment.day(), MONTHS_ES[month], moment.year()),
        Lang::En => format!("{} {}, {}", MONTHS_EN[month], moment.day(), moment.year()),
    }
}

/// An RFC 3339 timestamp from the API, as a date; empty when absent or unreadable.
pub fn api_date(raw: Option<&str>, lang: Lang) -> String {
    parse_api_time(raw).map(|moment| date(moment, lang)).unwrap_or_default()
}

pub fn parse_api_time(raw: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw?).ok().map(|moment| moment.with_timezone(&Utc))
}

/// `hace 3 min` / `3 min ago`, for the inbox; a date after a week.
pub fn relative(moment: DateTime<Utc>, now: DateTime<Utc>, lang: Lang) -> String {
    let seconds = (now - moment).num_seconds().max(0);
    let (amount, unit_es, unit_en) = match seconds {
        0..=59 => return if lang == Lang::Es { "justo ahora".into() } else { "just now".into() },
        60..=3_599 => (seconds / 60, "min", "min"),
        3_600..=86_399 => (seconds / 3_600, "h", "h"),
        86_400..=604_799 => {
            let days = seconds / 86_400;
            let (es, en) = if days == 1 { ("día", "day") } else { ("días", "days") };
            (days, es, en)
        }
        _ => return date(moment, lang),
    };
    match lang {
        Lang::Es => format!("hace {amount} {unit_es}"),
        Lang::En => format!("{amount} {unit_en} ago"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn prices_as_mexicans_write_them() {
        assert_eq!(price(45_990_000, "MXN", Lang::Es), "$459,900 MXN");
        assert_eq!(price(45_990_000, "MXN", Lang::En), "MX$459,900");
        assert_eq!(price(99_950, "mxn", Lang::Es), "$1,000 MXN");
        assert_eq!(price(1_200_000, "USD", Lang::En), "US$12,000");
        assert_eq!(price(0, "MXN", Lang::Es), "$0 MXN");
        assert_eq!(money_exact(500_000, "MXN", Lang::Es), "$5,000.00 MXN");
        assert_eq!(money_exact(-12_345, "MXN", Lang::En), "-MX$123.45");
    }

    #[test]
    fn thousands_and_kilometres() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(-1_234_567), "-1,234,567");
        assert_eq!(kilometres(32_000), "32,000 km");
    }

    #[test]
    fn dates_and_relative_times() {
        let moment = Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0).single().unwrap_or_default();
        assert_eq!(date(moment, Lang::Es), "5 dic 2026");
        assert_eq!(date(moment, Lang::En), "Dec 5, 2026");
        let later = |seconds| moment + chrono::Duration::seconds(seconds);
        assert_eq!(relative(moment, later(30), Lang::Es), "justo ahora");
        assert_eq!(relative(moment, later(180), Lang::Es), "hace 3 min");
        assert_eq!(relative(moment, later(180), Lang::En), "3 min ago");
        assert_eq!(relative(moment, later(7_200), Lang::Es), "hace 2 h");
        assert_eq!(relative(moment, later(86_400), Lang::Es), "hace 1 día");
        assert_eq!(relative(moment, later(3 * 86_400), Lang::En), "3 days ago");
        assert_eq!(relative(moment, later(30 * 86_400), Lang::Es), "5 dic 2026");
        assert_eq!(api_date(Some("2026-12-05T10:00:00Z"), Lang::En), "Dec 5, 2026");
        assert_eq!(api_date(Some("yesterday"), Lang::En), "");
    }
}
