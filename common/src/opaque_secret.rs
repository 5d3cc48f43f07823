//! Opaque secrets (refresh tokens, invitation tokens, service-account secrets,
//! upload tokens): 32 random bytes, base64url on the wire, only their SHA-256 stored.
//! They carry high entropy, so a fast hash is enough (no password-style stretching),
//! and a database leak does not yield usable tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const SECRET_BYTES: usize = 32;

/// A fresh random secret, base64url without padding (43 characters).
pub fn generate() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form: hex SHA-256 of the secret as presented.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Cheap shape check before touching the database: anything that cannot be one
/// of our secrets is refused without a lookup.
pub fn looks_like_secret(secret: &str) -> bool {
    secret.len() == 43 && secret.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

/// Constant-time equality of two stored hashes.
pub fn hashes_match(left: &str, right: &str) -> bool {
    use subtle::ConstantTimeEq;
    left.len() == right.len() && bool::from(left.as_bytes().ct_eq(right.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_well_formed() {
        let first = generate();
        let second = generate();
        assert_ne!(first, second);
        assert!(looks_like_secret(&first));
        assert_eq!(hash(&first).len(), 64);
        assert_ne!(hash(&first), first);
        assert!(hashes_match(&hash(&first), &hash(&first)));
        assert!(!hashes_match(&hash(&first), &hash(&second)));
        assert!(!looks_like_secret("short"));
        assert!(!looks_like_secret(&format!("{}!", &first[..42])));
    }
}
