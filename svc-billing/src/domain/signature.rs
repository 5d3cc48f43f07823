//! `Stripe-Signature` verification, in small steps combined by
//! [`verify_webhook_source`]: parse the header, check the timestamp window, compute
//! the expected HMAC for each configured secret, compare in constant time.
//!
//! Everything works on the raw body bytes: parsing happens only after this passes.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Stripe's default tolerance, applied in both directions (old and future `t`).
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no webhook secret is configured")]
    NotConfigured,
    #[error("missing Stripe-Signature header")]
    MissingHeader,
    #[error("malformed Stripe-Signature header")]
    MalformedHeader,
    #[error("timestamp outside the tolerance window")]
    TimestampOutOfTolerance,
    #[error("no signature matches")]
    NoMatch,
}

/// The parts of a `Stripe-Signature` header we use: `t` and every `v1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHeader {
    pub timestamp: i64,
    pub v1_signatures: Vec<Vec<u8>>,
}

/// Step 1: `t=<unix>,v1=<hex>[,v1=<hex>...]`; other schemes (v0) are ignored.
pub fn parse_signature_header(header: &str) -> Result<SignatureHeader, SignatureError> {
    let mut timestamp = None;
    let mut v1_signatures = Vec::new();
    for part in header.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" if timestamp.is_none() => {
                timestamp = Some(value.parse::<i64>().map_err(|_| SignatureError::MalformedHeader)?);
            }
            "v1" => {
                // A value that is not hex cannot match; skip it rather than fail the others.
                if let Ok(bytes) = hex::decode(value) {
                    v1_signatures.push(bytes);
                }
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::MalformedHeader)?;
    if v1_signatures.is_empty() {
        return Err(SignatureError::MalformedHeader);
    }
    Ok(SignatureHeader { timestamp, v1_signatures })
}

/// Step 2: `t` no more than [`TOLERANCE_SECONDS`] away from now, either way.
pub fn check_timestamp(timestamp: i64, now_unix: i64) -> Result<(), SignatureError> {
    if now_unix.abs_diff(timestamp) > TOLERANCE_SECONDS as u64 {
        return Err(SignatureError::TimestampOutOfTolerance);
    }
    Ok(())
}

/// Step 3: HMAC-SHA256 of `"{t}.{body}"` with one secret.
pub fn expected_signature(secret: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail; fall back to an empty
    // signature (which matches nothing) rather than panic.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return Vec::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Step 4: constant-time equality (lengths are public: HMAC-SHA256 is 32 bytes).
pub fn signatures_match(expected: &[u8], candidate: &[u8]) -> bool {
    !expected.is_empty() && expected.len() == candidate.len() && bool::from(expected.ct_eq(candidate))
}

/// All steps: any configured secret (rotation) against any `v1` value.
pub fn verify_webhook_source(
    secrets: &[&str],
    header: Option<&str>,
    body: &[u8],
    now_unix: i64,
) -> Result<(), SignatureError> {
    if secrets.is_empty() {
        return Err(SignatureError::NotConfigured);
    }
    let header = parse_signature_header(header.ok_or(SignatureError::MissingHeader)?)?;
    check_timestamp(header.timestamp, now_unix)?;
    let mut matched = false;
    for secret in secrets {
        let expected = expected_signature(secret, header.timestamp, body);
        for candidate in &header.v1_signatures {
            // No early exit: the work done does not depend on which one matched.
            matched |= signatures_match(&expected, candidate);
        }
    }
    if matched { Ok(()) } else { Err(SignatureError::NoMatch) }
}

/// The header Stripe would send for `body` signed with `secret` at `timestamp`.
pub fn sign_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex::encode(expected_signature(secret, timestamp, body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;
    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;

    #[test]
    fn a_correctly_signed_body_verifies() {
        let header = sign_header("whsec_a", NOW, BODY);
        assert_eq!(verify_webhook_source(&["whsec_a"], Some(&header), BODY, NOW), Ok(()));
    }

    #[test]
    fn any_configured_secret_and_any_v1_value_may_match_during_rotation() {
        let new_signature = hex::encode(expected_signature("whsec_new", NOW, BODY));
        let header = format!("t={NOW},v1={},v1={new_signature},v0=ignored", "ab".repeat(32));
        assert_eq!(verify_webhook_source(&["whsec_old", "whsec_new"], Some(&header), BODY, NOW), Ok(()));
        assert_eq!(verify_webhook_source(&["whsec_old"], Some(&header), BODY, NOW), Err(SignatureError::NoMatch));
    }

    #[test]
    fn a_forged_signature_or_altered_body_fails() {
        let header = sign_header("whsec_attacker", NOW, BODY);
        assert_eq!(verify_webhook_source(&["whsec_a"], Some(&header), BODY, NOW), Err(SignatureError::NoMatch));
        let header = sign_header("whsec_a", NOW, BODY);
        let altered = br#"{"id":"evt_1","type":"payment_intent.succeeded" }"#;
        assert_eq!(verify_webhook_source(&["whsec_a"], Some(&header), altered, NOW), Err(SignatureError::NoMatch));
    }

    #[test]
    fn timestamps_more_than_300_seconds_away_fail_in_both_directions() {
        for offset in [-301, 301, -100_000, 100_000] {
            let header = sign_header("whsec_a", NOW + offset, BODY);
            assert_eq!(
                verify_webhook_source(&["whsec_a"], Some(&header), BODY, NOW),
                Err(SignatureError::TimestampOutOfTolerance),
                "{offset}"
            );
        }
        for offset in [-300, 300] {
            let header = sign_header("whsec_a", NOW + offset, BODY);
            assert_eq!(verify_webhook_source(&["whsec_a"], Some(&header), BODY, NOW), Ok(()), "{offset}");
        }
    }

    #[test]
    fn malformed_headers_and_missing_secrets_are_refused() {
        for header in ["", "garbage", "t=abc,v1=00", "v1=00", "t=1800000000", "t=1800000000,v1=zz"] {
            assert_eq!(
                verify_webhook_source(&["whsec_a"], Some(header), BODY, NOW),
                Err(SignatureError::MalformedHeader),
                "{header}"
            );
        }
        assert_eq!(verify_webhook_source(&["whsec_a"], None, BODY, NOW), Err(SignatureError::MissingHeader));
        let header = sign_header("whsec_a", NOW, BODY);
        assert_eq!(verify_webhook_source(&[], Some(&header), BODY, NOW), Err(SignatureError::NotConfigured));
    }
}
