//! Pure identity logic: validated inputs, password hashing, opaque tokens,
//! throttling policy. No transport or storage types here.

pub mod application;
pub mod email;
pub mod password;
pub mod roles;
pub mod secrets;
pub mod text;
pub mod throttle;

/// Seconds since the epoch, the unit of every stored and wire time.
pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}
