//! Pure identity logic: validated inputs, password hashing, opaque tokens,
//! throttling policy. No transport or storage types here.

pub mod application;
pub mod email;
pub mod key_sealing;
pub mod password;
pub mod roles;
pub mod secrets;
pub mod text;
pub mod throttle;
