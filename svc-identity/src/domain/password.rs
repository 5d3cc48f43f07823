//! Passwords: the policy for new ones, and argon2id hashing with OWASP's
//! parameters (m=19456 KiB, t=2, p=1). Hashing is CPU-bound: callers run these
//! functions on the blocking pool.

use std::sync::LazyLock;

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};

use crate::error::IdentityError;

pub const MIN_PASSWORD_CHARS: usize = 10;
/// Bounds the work an attacker can make us do per attempt.
pub const MAX_PASSWORD_BYTES: usize = 256;

pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

/// A password that passed the policy; its `Debug` never shows it.
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    pub fn parse(raw: &str) -> Result<NewPassword, IdentityError> {
        if raw.chars().count() < MIN_PASSWORD_CHARS {
            return Err(IdentityError::invalid(
                "password",
                format!("password must have at least {MIN_PASSWORD_CHARS} characters"),
            ));
        }
        if raw.len() > MAX_PASSWORD_BYTES {
            return Err(IdentityError::invalid("password", "password is too long"));
        }
        if raw.trim().is_empty() {
            return Err(IdentityError::invalid("password", "password cannot be blank"));
        }
        Ok(NewPassword(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn crypto(error: impl std::fmt::Display) -> IdentityError {
    IdentityError::Crypto(error.to_string())
}

fn hasher_with(memory_kib: u32, iterations: u32) -> Result<Argon2<'static>, IdentityError> {
    let params = Params::new(memory_kib, iterations, PARALLELISM, None).map_err(crypto)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes with the current parameters into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub fn hash_password(password: &str) -> Result<String, IdentityError> {
    hash_password_with(password, MEMORY_KIB, ITERATIONS)
}

/// Hashes with explicit parameters: tests use it to make "weaker, older" hashes.
pub fn hash_password_with(password: &str, memory_kib: u32, iterations: u32) -> Result<String, IdentityError> {
    let hash = hasher_with(memory_kib, iterations)?.hash_password(password.as_bytes()).map_err(crypto)?;
    Ok(hash.to_string())
}

/// Checks a password against a stored PHC hash. A malformed stored hash is a
/// mismatch (logged), never a panic.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        tracing::error!("stored password hash is not a PHC string");
        return false;
    };
    // The parameters come from the stored hash, so older hashes still verify.
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
}

/// True when a stored hash is weaker than today's parameters (or not argon2id),
/// so a successful log-in should replace it.
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    if parsed.algorithm.as_str() != "argon2id" {
        return true;
    }
    match Params::try_from(&parsed) {
        Ok(params) => params.m_cost() < MEMORY_KIB || params.t_cost() < ITERATIONS || params.p_cost() < PARALLELISM,
        Err(_) => true,
    }
}

/// A hash of a password nobody knows, verified when the email is unknown so that
/// "no such account" costs the same time as "wrong password".
pub static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_password("nds-timing-equaliser-not-a-password").unwrap_or_else(|error| {
        tracing::error!(error = %error, "cannot build the timing dummy hash");
        String::new()
    })
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_use_argon2id_with_owasp_parameters_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert!(!needs_rehash(&hash));
    }

    #[test]
    fn weaker_or_foreign_hashes_need_a_rehash() {
        let weak = hash_password_with("correct horse battery", 4096, 1).unwrap();
        assert!(verify_password("correct horse battery", &weak));
        assert!(needs_rehash(&weak));
        assert!(needs_rehash("$2b$12$notargon"));
        assert!(!verify_password("x", "garbage"));
    }

    #[test]
    fn the_policy_refuses_short_blank_and_huge_passwords() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("          ").is_err());
        assert!(NewPassword::parse(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
        let password = NewPassword::parse("long enough password").unwrap();
        assert!(!format!("{password:?}").contains("long enough"));
    }
}
