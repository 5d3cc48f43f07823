//! Access-token signing and the JWKS.
//!
//! Ed25519 (EdDSA): 32-byte keys that are cheap to generate and rotate, fast
//! deterministic signatures with no nonce to get wrong (ES256's pitfall) and no
//! parameter choices (RSA's padding and sizes). One algorithm per key, stated in
//! the JWK, so verifiers never take the algorithm from the token.
//!
//! Private keys are stored sealed under the key-encryption key
//! (`domain::key_sealing`): a database dump alone cannot mint tokens.
//!
//! Rotation without logging anyone out: a new key signs from the moment it is
//! created; the old one stops signing but stays in the JWKS for
//! [`VERIFY_AFTER_RETIREMENT`], longer than any token it signed can live.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use nds_common::auth::{ACCESS_TOKEN_TTL_SECONDS, AccessClaims, MembershipClaim, TOKEN_TYPE_HEADER, TOKEN_USE_ACCESS};
use ring::signature::{Ed25519KeyPair, KeyPair};
use sea_orm::{DatabaseConnection, TransactionTrait};
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;
use uuid::Uuid;

use crate::domain::key_sealing::{self, KeySealer};
use crate::error::{IdentityError, IdentityResult};
use crate::store::entities::signing_key;
use crate::store::keys as key_store;
use nds_common::clock::now_unix;

/// How long a replica signs with a key it loaded before rereading the database
/// (so a rotation on one replica reaches the others).
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(30);
/// A retired key keeps verifying this long: token lifetime + verifier leeway +
/// the key cache, with margin.
pub const VERIFY_AFTER_RETIREMENT: i64 =
    ACCESS_TOKEN_TTL_SECONDS + nds_common::auth::verifier::LEEWAY_SECONDS as i64 + KEY_CACHE_TTL.as_secs() as i64 + 240;

struct LoadedKey {
    kid: String,
    encoding: EncodingKey,
    loaded_at: Instant,
}

pub struct KeyRing {
    database: DatabaseConnection,
    issuer: String,
    audience: String,
    sealer: KeySealer,
    current: RwLock<Option<Arc<LoadedKey>>>,
}

fn crypto(error: impl std::fmt::Display) -> IdentityError {
    IdentityError::Crypto(error.to_string())
}

/// A new Ed25519 key: (kid, PKCS#8 DER, base64url public key).
fn generate_key() -> IdentityResult<(String, Vec<u8>, String)> {
    let random = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&random).map_err(crypto)?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(crypto)?;
    let public = pair.public_key().as_ref();
    // The kid is a digest of the public key: stable, unique, reveals nothing.
    let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(public)[..12]);
    Ok((kid, pkcs8.as_ref().to_vec(), URL_SAFE_NO_PAD.encode(public)))
}

/// The JWK of one stored key.
fn jwk_of(key: &signing_key::Model) -> serde_json::Value {
    serde_json::json!({
        "kty": "OKP",
        "crv": "Ed25519",
        "x": key.public_key_x,
        "kid": key.kid,
        "alg": "EdDSA",
        "use": "sig",
    })
}

/// The claims of a user's or service's access token.
pub struct TokenSubject {
    pub subject: String,
    pub kind: &'static str,
    pub memberships: Vec<MembershipClaim>,
    pub scopes: Vec<String>,
}

impl KeyRing {
    pub fn new(database: DatabaseConnection, issuer: String, audience: String, sealer: KeySealer) -> KeyRing {
        KeyRing { database, issuer, audience, sealer, current: RwLock::new(None) }
    }

    /// At start: seals keys stored before sealing existed, reseals keys of a
    /// previous key-encryption key, and creates a key if none signs yet. Fails (and
    /// with it the start) when a stored key does not open with the configured keys.
    pub async fn ensure_signing_key(&self) -> IdentityResult<()> {
        self.seal_stored_keys().await?;
        match key_store::active(&self.database).await? {
            None => {
                self.rotate().await?;
            }
            Some(active) => {
                self.sealer.open(&active.kid, &active.private_key_sealed)?;
            }
        }
        Ok(())
    }

    async fn seal_stored_keys(&self) -> IdentityResult<()> {
        for stored in key_store::all(&self.database).await? {
            let resealed = if key_sealing::is_sealed(&stored.private_key_sealed) {
                self.sealer.rewrap(&stored.kid, &stored.private_key_sealed)?
            } else {
                let der = STANDARD.decode(&stored.private_key_sealed).map_err(crypto)?;
                Some(self.sealer.seal(&stored.kid, &der)?)
            };
            if let Some(resealed) = resealed
                && key_store::replace_private_key(&self.database, &stored.kid, &stored.private_key_sealed, &resealed)
                    .await?
            {
                tracing::info!(kid = %stored.kid, kek = self.sealer.current_kek_id(), "signing key sealed");
            }
        }
        Ok(())
    }

    /// Makes a new key the signing key and retires the others. Returns its kid.
    pub async fn rotate(&self) -> IdentityResult<String> {
        let (kid, pkcs8, public_x) = generate_key()?;
        let sealed = self.sealer.seal(&kid, &pkcs8)?;
        let now = now_unix();
        let transaction = self.database.begin().await?;
        key_store::insert(&transaction, &kid, &sealed, &public_x, now).await?;
        key_store::retire_all_but(&transaction, &kid, now).await?;
        transaction.commit().await?;
        *self.current.write().await = None;
        tracing::info!(kid = %kid, "signing key rotated");
        Ok(kid)
    }

    async fn signing_key(&self) -> IdentityResult<Arc<LoadedKey>> {
        if let Some(key) = self.current.read().await.as_ref()
            && key.loaded_at.elapsed() < KEY_CACHE_TTL
        {
            return Ok(key.clone());
        }
        // Never created lazily here: signing happens inside callers' transactions,
        // and on SQLite a second writer would wait on the first forever.
        // `ensure_signing_key` runs at start-up instead.
        let stored = key_store::active(&self.database)
            .await?
            .ok_or_else(|| IdentityError::Crypto("no signing key; ensure_signing_key was not called".into()))?;
        let der = self.sealer.open(&stored.kid, &stored.private_key_sealed)?;
        let loaded = Arc::new(LoadedKey {
            kid: stored.kid,
            encoding: EncodingKey::from_ed_der(&der),
            loaded_at: Instant::now(),
        });
        *self.current.write().await = Some(loaded.clone());
        Ok(loaded)
    }

    /// Signs an access token; returns it with its expiry (unix seconds).
    pub async fn sign(&self, subject: TokenSubject) -> IdentityResult<(String, i64)> {
        let key = self.signing_key().await?;
        let now = now_unix();
        let expires_at = now + ACCESS_TOKEN_TTL_SECONDS;
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.subject,
            exp: expires_at,
            iat: now,
            jti: Uuid::new_v4().to_string(),
            token_use: TOKEN_USE_ACCESS.to_string(),
            kind: subject.kind.to_string(),
            memberships: subject.memberships,
            scopes: subject.scopes,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(TOKEN_TYPE_HEADER.to_string());
        header.kid = Some(key.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &key.encoding).map_err(crypto)?;
        Ok((token, expires_at))
    }

    /// The JWKS document: the signing key and keys retired recently enough that
    /// tokens they signed may still be alive.
    pub async fn jwks_json(&self) -> IdentityResult<String> {
        let keys = key_store::published(&self.database, now_unix() - VERIFY_AFTER_RETIREMENT).await?;
        let keys: Vec<serde_json::Value> = keys.iter().map(jwk_of).collect();
        Ok(serde_json::json!({ "keys": keys }).to_string())
    }

    /// Deletes keys no token can need any more. Returns how many.
    pub async fn prune(&self) -> IdentityResult<u64> {
        Ok(key_store::delete_retired_before(&self.database, now_unix() - VERIFY_AFTER_RETIREMENT).await?)
    }
}

/// Identity verifies tokens from its own key table: no loopback call to itself.
pub struct LocalJwks(pub Arc<KeyRing>);

#[async_trait::async_trait]
impl nds_common::auth::JwksSource for LocalJwks {
    async fn fetch_jwks(&self) -> Result<String, nds_common::ApiError> {
        self.0.jwks_json().await.map_err(|error| nds_common::ApiError::from_error(&error))
    }
}
