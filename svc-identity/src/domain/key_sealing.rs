//! Envelope encryption of the private signing keys, so a database dump alone
//! cannot mint tokens.
//!
//! Each signing key gets a fresh 256-bit data key; the private key is sealed with
//! the data key and the data key with the key-encryption key (KEK) from the
//! environment, both with AES-256-GCM. Replacing the KEK therefore rewraps 48-byte
//! data keys, never the private keys themselves. The kid is the associated data of
//! both seals: a sealed value copied onto another row does not open.
//!
//! Stored form: `v1.<kek id>.<nonce‖wrapped data key>.<nonce‖sealed key>`, the last
//! two in base64url. The KEK id (a digest prefix) names which KEK a row needs, so a
//! wrong `NDS_KEY_ENCRYPTION_KEY` is reported as such instead of as corruption.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

/// Bytes of a key-encryption key and of a data key.
pub const KEY_BYTES: usize = 32;
const FORMAT: &str = "v1";

/// Why a sealed key does not open, or a KEK is unusable. Messages name the
/// configuration to fix, never key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealingError {
    #[error("NDS_KEY_ENCRYPTION_KEY must be {KEY_BYTES} random bytes in base64 (e.g. `openssl rand -base64 32`)")]
    MalformedKek,
    #[error(
        "signing key {kid} is sealed with key-encryption key {needed}, but the configured ones are {configured}: set NDS_KEY_ENCRYPTION_KEY (or NDS_KEY_ENCRYPTION_KEY_PREVIOUS) to the key it was sealed with"
    )]
    UnknownKek { kid: String, needed: String, configured: String },
    #[error("signing key {kid} does not open with its key-encryption key (tampered with, or moved to another row)")]
    Tampered { kid: String },
    #[error("signing key {kid} is not in a sealed format this version reads")]
    UnreadableFormat { kid: String },
    #[error("the system random source failed")]
    Random,
}

/// One key-encryption key, with the id stored beside what it sealed.
pub struct KeyEncryptionKey {
    id: String,
    key: LessSafeKey,
}

impl KeyEncryptionKey {
    /// From its base64 form (standard or url-safe alphabet, padded or not).
    pub fn from_base64(encoded: &str) -> Result<KeyEncryptionKey, SealingError> {
        let trimmed = encoded.trim().trim_end_matches('=');
        let bytes = URL_SAFE_NO_PAD
            .decode(trimmed)
            .or_else(|_| STANDARD.decode(format!("{trimmed}{}", "=".repeat((4 - trimmed.len() % 4) % 4))))
            .map_err(|_| SealingError::MalformedKek)?;
        KeyEncryptionKey::from_bytes(&bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<KeyEncryptionKey, SealingError> {
        if bytes.len() != KEY_BYTES {
            return Err(SealingError::MalformedKek);
        }
        let mut digest = Sha256::new();
        digest.update(b"nds key-encryption key id\0");
        digest.update(bytes);
        let id = hex::encode(&digest.finalize()[..4]);
        Ok(KeyEncryptionKey { id, key: aead_key(bytes)? })
    }

    /// A new random KEK, base64 (what development writes to its data directory).
    pub fn generate_base64() -> Result<String, SealingError> {
        Ok(STANDARD.encode(random_bytes::<KEY_BYTES>()?))
    }

    /// A short digest of the key: safe to log and to store.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The current KEK, which seals, and earlier ones that still open (during a KEK change).
pub struct KeySealer {
    current: KeyEncryptionKey,
    previous: Vec<KeyEncryptionKey>,
}

fn aead_key(bytes: &[u8]) -> Result<LessSafeKey, SealingError> {
    UnboundKey::new(&AES_256_GCM, bytes).map(LessSafeKey::new).map_err(|_| SealingError::MalformedKek)
}

fn random_bytes<const N: usize>() -> Result<[u8; N], SealingError> {
    let mut bytes = [0u8; N];
    SystemRandom::new().fill(&mut bytes).map_err(|_| SealingError::Random)?;
    Ok(bytes)
}

fn seal_with(key: &LessSafeKey, associated: &[u8], plaintext: &[u8]) -> Result<String, SealingError> {
    let nonce = random_bytes::<NONCE_LEN>()?;
    let mut buffer = plaintext.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(associated), &mut buffer)
        .map_err(|_| SealingError::Random)?;
    let mut sealed = nonce.to_vec();
    sealed.extend_from_slice(&buffer);
    Ok(URL_SAFE_NO_PAD.encode(sealed))
}

fn open_with(key: &LessSafeKey, associated: &[u8], sealed: &str, kid: &str) -> Result<Vec<u8>, SealingError> {
    let tampered = || SealingError::Tampered { kid: kid.to_string() };
    let bytes = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| tampered())?;
    if bytes.len() < NONCE_LEN {
        return Err(tampered());
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| tampered())?;
    let mut buffer = ciphertext.to_vec();
    let plaintext = key.open_in_place(nonce, Aad::from(associated), &mut buffer).map_err(|_| tampered())?;
    Ok(plaintext.to_vec())
}

fn data_key_context(kid: &str) -> Vec<u8> {
    format!("nds signing-key data key\0{kid}").into_bytes()
}

fn private_key_context(kid: &str) -> Vec<u8> {
    format!("nds signing key\0{kid}").into_bytes()
}

/// The parts of a stored value.
struct Envelope<'a> {
    kek_id: &'a str,
    wrapped_data_key: &'a str,
    sealed_key: &'a str,
}

fn parse(stored: &str) -> Option<Envelope<'_>> {
    let mut parts = stored.split('.');
    let (Some(FORMAT), Some(kek_id), Some(wrapped_data_key), Some(sealed_key), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Some(Envelope { kek_id, wrapped_data_key, sealed_key })
}

/// Whether a stored value is sealed (rows written before sealing hold base64 PKCS#8).
pub fn is_sealed(stored: &str) -> bool {
    parse(stored).is_some()
}

impl KeySealer {
    pub fn new(current: KeyEncryptionKey, previous: Vec<KeyEncryptionKey>) -> KeySealer {
        KeySealer { current, previous }
    }

    pub fn current_kek_id(&self) -> &str {
        self.current.id()
    }

    /// Seals a private key (PKCS#8 DER) for the row of `kid`.
    pub fn seal(&self, kid: &str, private_key: &[u8]) -> Result<String, SealingError> {
        let data_key_bytes = random_bytes::<KEY_BYTES>()?;
        let data_key = aead_key(&data_key_bytes)?;
        let wrapped = seal_with(&self.current.key, &data_key_context(kid), &data_key_bytes)?;
        let sealed = seal_with(&data_key, &private_key_context(kid), private_key)?;
        Ok(format!("{FORMAT}.{}.{wrapped}.{sealed}", self.current.id))
    }

    /// The private key of the row of `kid`.
    pub fn open(&self, kid: &str, stored: &str) -> Result<Vec<u8>, SealingError> {
        let envelope = parse(stored).ok_or_else(|| SealingError::UnreadableFormat { kid: kid.to_string() })?;
        let kek = self.kek(kid, envelope.kek_id)?;
        let data_key_bytes = open_with(&kek.key, &data_key_context(kid), envelope.wrapped_data_key, kid)?;
        let data_key = aead_key(&data_key_bytes).map_err(|_| SealingError::Tampered { kid: kid.to_string() })?;
        open_with(&data_key, &private_key_context(kid), envelope.sealed_key, kid)
    }

    /// The stored value sealed under the current KEK: `None` when it already is.
    /// Only the data key is rewrapped; the sealed private key stays as it was.
    pub fn rewrap(&self, kid: &str, stored: &str) -> Result<Option<String>, SealingError> {
        let envelope = parse(stored).ok_or_else(|| SealingError::UnreadableFormat { kid: kid.to_string() })?;
        if envelope.kek_id == self.current.id {
            return Ok(None);
        }
        let kek = self.kek(kid, envelope.kek_id)?;
        let data_key = open_with(&kek.key, &data_key_context(kid), envelope.wrapped_data_key, kid)?;
        let wrapped = seal_with(&self.current.key, &data_key_context(kid), &data_key)?;
        Ok(Some(format!("{FORMAT}.{}.{wrapped}.{}", self.current.id, envelope.sealed_key)))
    }

    fn kek(&self, kid: &str, id: &str) -> Result<&KeyEncryptionKey, SealingError> {
        std::iter::once(&self.current).chain(&self.previous).find(|kek| kek.id == id).ok_or_else(|| {
            let configured = std::iter::once(&self.current).chain(&self.previous).map(|kek| kek.id.as_str());
            SealingError::UnknownKek {
                kid: kid.to_string(),
                needed: id.to_string(),
                configured: configured.collect::<Vec<_>>().join(", "),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek(byte: u8) -> KeyEncryptionKey {
        KeyEncryptionKey::from_bytes(&[byte; KEY_BYTES]).unwrap()
    }

    const PRIVATE: &[u8] = b"pretend PKCS#8 of an Ed25519 key";

    #[test]
    fn a_sealed_key_opens_with_its_kek_and_hides_the_key() {
        let sealer = KeySealer::new(kek(1), vec![]);
        let stored = sealer.seal("kid-a", PRIVATE).unwrap();
        assert!(is_sealed(&stored));
        assert!(!stored.contains(&URL_SAFE_NO_PAD.encode(PRIVATE)) && !stored.contains(&STANDARD.encode(PRIVATE)));
        assert_eq!(sealer.open("kid-a", &stored).unwrap(), PRIVATE);
        assert_ne!(sealer.seal("kid-a", PRIVATE).unwrap(), stored, "fresh data key and nonces each time");
    }

    #[test]
    fn a_wrong_kek_is_named_not_reported_as_corruption() {
        let stored = KeySealer::new(kek(1), vec![]).seal("kid-a", PRIVATE).unwrap();
        let error = KeySealer::new(kek(2), vec![]).open("kid-a", &stored).unwrap_err();
        assert!(matches!(&error, SealingError::UnknownKek { needed, .. } if needed == kek(1).id()), "{error}");
        assert!(error.to_string().contains("NDS_KEY_ENCRYPTION_KEY"));
    }

    #[test]
    fn a_value_moved_to_another_row_or_altered_does_not_open() {
        let sealer = KeySealer::new(kek(1), vec![]);
        let stored = sealer.seal("kid-a", PRIVATE).unwrap();
        assert_eq!(sealer.open("kid-b", &stored).unwrap_err(), SealingError::Tampered { kid: "kid-b".into() });
        let mut altered = stored.clone().into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert_eq!(sealer.open("kid-a", &altered).unwrap_err(), SealingError::Tampered { kid: "kid-a".into() });
        assert!(matches!(sealer.open("kid-a", "MC4CAQAw").unwrap_err(), SealingError::UnreadableFormat { .. }));
    }

    #[test]
    fn a_kek_change_rewraps_only_the_data_key() {
        let old = KeySealer::new(kek(1), vec![]);
        let stored = old.seal("kid-a", PRIVATE).unwrap();
        let changing = KeySealer::new(kek(2), vec![kek(1)]);
        assert_eq!(changing.open("kid-a", &stored).unwrap(), PRIVATE, "the previous KEK still opens");
        let rewrapped = changing.rewrap("kid-a", &stored).unwrap().expect("sealed under the old KEK");
        assert_eq!(rewrapped.rsplit('.').next(), stored.rsplit('.').next(), "the sealed key itself is kept");
        assert_eq!(changing.rewrap("kid-a", &rewrapped).unwrap(), None);
        assert_eq!(KeySealer::new(kek(2), vec![]).open("kid-a", &rewrapped).unwrap(), PRIVATE);
    }

    #[test]
    fn keks_are_32_bytes_of_base64_in_either_alphabet() {
        let generated = KeyEncryptionKey::generate_base64().unwrap();
        assert!(KeyEncryptionKey::from_base64(&generated).is_ok());
        let url_safe = URL_SAFE_NO_PAD.encode([0xfb; KEY_BYTES]);
        assert_eq!(KeyEncryptionKey::from_base64(&url_safe).unwrap().id(), kek(0xfb).id());
        assert!(matches!(KeyEncryptionKey::from_base64("c2hvcnQ="), Err(SealingError::MalformedKek)));
        assert!(matches!(KeyEncryptionKey::from_base64("not base64 at all!"), Err(SealingError::MalformedKek)));
    }
}
