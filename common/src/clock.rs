//! The one wall clock of NDS: unix seconds, the unit of every stored and wire time.
//! Logic that must be tested against other dates takes the time as an argument
//! (or a `Clock` of its own, as the interpreter does) instead of calling this.

/// Seconds since the epoch.
pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Milliseconds since the epoch (ordering events within one second).
pub fn now_unix_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
