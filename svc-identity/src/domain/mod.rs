//! Pure identity logic: validated inputs, password hashing, opaque tokens,
//! throttling policy. No transport or storage types here.

pub mod admin;
pub mod application;
pub mod email;
pub mod key_sealing;
pub mod password;
pub mod roles;
/// Opaque tokens are shared with the catalog's upload links.
pub use nds_common::opaque_secret as secrets;
pub mod text;
pub mod throttle;
