//! Access-token verification from identity's JWKS (RFC 8725 rules).
//!
//! - One algorithm per key, taken from the JWK (never from the token header), and
//!   only asymmetric ones: `alg: none` and HS256-with-the-public-key cannot pass.
//! - `iss`, `aud`, `sub`, `exp` are required, not just checked when present.
//! - An unknown `kid` triggers at most one JWKS refetch per [`REFETCH_INTERVAL`].
//! - Keys are reread once older than [`KEYS_MAX_AGE`], so a key removed from the
//!   JWKS (after a leak) stops verifying within a minute. While identity cannot be
//!   reached the keys of the last successful read keep verifying (identity down must
//!   not log everyone out); a `kid` that read did not hold is never accepted.
//! - `iat` is required, not ahead of our clock, and `exp - iat` may not exceed
//!   [`ACCESS_TOKEN_TTL_SECONDS`]: a token claiming a longer life was not minted
//!   by identity as it mints them (a leaked key signing day-long tokens, say).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use tokio::sync::{Mutex, RwLock};

use super::claims::{ACCESS_TOKEN_TTL_SECONDS, AccessClaims, TOKEN_TYPE_HEADER, TOKEN_USE_ACCESS};
use super::principal::Principal;
use crate::error::{ApiError, ErrorCode};

/// Clock skew we accept on `exp`: small, since access tokens live minutes.
pub const LEEWAY_SECONDS: u64 = 30;
/// Unknown `kid`s refetch the JWKS at most this often (a forged kid cannot DoS identity).
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// Keys read longer ago than this are reread before they verify anything, so a key
/// identity removed from its JWKS (after a leak) stops verifying within a minute.
pub const KEYS_MAX_AGE: Duration = Duration::from_secs(30);
const _: () = assert!(KEYS_MAX_AGE.as_secs() < 60, "a removed key must stop verifying within a minute");

/// Where the JWKS comes from: identity over gRPC, or a fixed set in tests.
#[async_trait]
pub trait JwksSource: Send + Sync + 'static {
    async fn fetch_jwks(&self) -> Result<String, ApiError>;
}

/// A JWKS that never changes (tests, single-process set-ups with a known key).
pub struct StaticJwks(pub String);

#[async_trait]
impl JwksSource for StaticJwks {
    async fn fetch_jwks(&self) -> Result<String, ApiError> {
        Ok(self.0.clone())
    }
}

struct VerificationKey {
    key: DecodingKey,
    algorithm: Algorithm,
}

/// The keys of the last successful JWKS read.
#[derive(Default)]
struct HeldKeys {
    by_kid: HashMap<String, Arc<VerificationKey>>,
    /// None until identity first answers.
    read_at: Option<Instant>,
}

pub struct JwtVerifier {
    source: Arc<dyn JwksSource>,
    issuer: String,
    audience: String,
    keys: RwLock<HeldKeys>,
    /// When a read was last attempted, successful or not (rate-limits rereads).
    last_fetch: Mutex<Option<Instant>>,
    keys_max_age: Duration,
}

fn unauthenticated(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, message)
}

fn algorithm_of(jwk: &Jwk) -> Option<Algorithm> {
    match jwk.common.key_algorithm? {
        KeyAlgorithm::EdDSA => Some(Algorithm::EdDSA),
        KeyAlgorithm::ES256 => Some(Algorithm::ES256),
        KeyAlgorithm::ES384 => Some(Algorithm::ES384),
        KeyAlgorithm::RS256 => Some(Algorithm::RS256),
        KeyAlgorithm::PS256 => Some(Algorithm::PS256),
        // Symmetric and encryption algorithms never verify access tokens.
        _ => None,
    }
}

fn parse_jwks(json: &str) -> Result<HashMap<String, Arc<VerificationKey>>, ApiError> {
    let set: JwkSet = serde_json::from_str(json)
        .map_err(|error| ApiError::new(ErrorCode::Unavailable, format!("unreadable JWKS: {error}")))?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let (Some(kid), Some(algorithm)) = (jwk.common.key_id.clone(), algorithm_of(jwk)) else {
            tracing::warn!("skipping a JWK without kid or with an unsupported alg");
            continue;
        };
        match DecodingKey::from_jwk(jwk) {
            Ok(key) => {
                keys.insert(kid, Arc::new(VerificationKey { key, algorithm }));
            }
            Err(error) => tracing::warn!(kid = %kid, error = %error, "skipping an unusable JWK"),
        }
    }
    Ok(keys)
}

/// Identity signs access tokens for exactly [`ACCESS_TOKEN_TTL_SECONDS`] from `iat`.
fn check_lifetime(claims: &AccessClaims, now: i64) -> Result<(), ApiError> {
    let leeway = LEEWAY_SECONDS as i64;
    if claims.iat > now.saturating_add(leeway) {
        return Err(unauthenticated("token issued in the future"));
    }
    if claims.exp.saturating_sub(claims.iat) > ACCESS_TOKEN_TTL_SECONDS + leeway {
        return Err(unauthenticated("token lives longer than an access token may"));
    }
    Ok(())
}

impl JwtVerifier {
    pub fn new(source: Arc<dyn JwksSource>, issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            source,
            issuer: issuer.into(),
            audience: audience.into(),
            keys: RwLock::new(HeldKeys::default()),
            last_fetch: Mutex::new(None),
            keys_max_age: KEYS_MAX_AGE,
        }
    }

    /// Rereads keys older than `max_age` instead of [`KEYS_MAX_AGE`] (tests shorten it).
    pub fn with_keys_max_age(mut self, max_age: Duration) -> Self {
        self.keys_max_age = max_age;
        self
    }

    /// Rereads the JWKS unless a read was tried within [`REFETCH_INTERVAL`] (or the
    /// keys' maximum age, when shorter). Only a successful read replaces the keys.
    /// Without `wait`, a read already under way is not waited for (the caller has a
    /// key, and should not stall behind a slow or unreachable identity).
    async fn reread_keys(&self, wait: bool) -> Result<(), ApiError> {
        let mut last_fetch = match self.last_fetch.try_lock() {
            Ok(guard) => guard,
            Err(_) if !wait => return Ok(()),
            Err(_) => self.last_fetch.lock().await,
        };
        if last_fetch.is_some_and(|at| at.elapsed() < REFETCH_INTERVAL.min(self.keys_max_age)) {
            return Ok(());
        }
        *last_fetch = Some(Instant::now());
        let by_kid = parse_jwks(&self.source.fetch_jwks().await?)?;
        *self.keys.write().await = HeldKeys { by_kid, read_at: Some(Instant::now()) };
        Ok(())
    }

    async fn key_for(&self, kid: &str) -> Result<Arc<VerificationKey>, ApiError> {
        let holds_kid = {
            let held = self.keys.read().await;
            let fresh = held.read_at.is_some_and(|at| at.elapsed() < self.keys_max_age);
            match held.by_kid.get(kid) {
                Some(key) if fresh => return Ok(key.clone()),
                key => key.is_some(),
            }
        };
        let reread = self.reread_keys(!holds_kid).await;
        let key = self.keys.read().await.by_kid.get(kid).cloned();
        match (key, reread) {
            (Some(key), Ok(())) => Ok(key),
            (Some(key), Err(error)) => {
                tracing::warn!(error = %error, "cannot reread the JWKS; verifying with the keys last read");
                Ok(key)
            }
            (None, Ok(())) => Err(unauthenticated("token signed with an unknown key")),
            (None, Err(error)) => Err(error),
        }
    }

    pub async fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| unauthenticated("malformed token"))?;
        if header.typ.as_deref() != Some(TOKEN_TYPE_HEADER) {
            return Err(unauthenticated("not an access token"));
        }
        let kid = header.kid.ok_or_else(|| unauthenticated("token without key id"))?;
        let key = self.key_for(&kid).await?;
        if header.alg != key.algorithm {
            return Err(unauthenticated("token algorithm does not match its key"));
        }
        let mut validation = Validation::new(key.algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        // `iat` is required too: `AccessClaims` does not deserialize without it.
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        let data = jsonwebtoken::decode::<AccessClaims>(token, &key.key, &validation)
            .map_err(|error| unauthenticated(&format!("invalid token: {error}")))?;
        if data.claims.token_use != TOKEN_USE_ACCESS {
            return Err(unauthenticated("not an access token"));
        }
        check_lifetime(&data.claims, crate::clock::now_unix())?;
        Principal::from_claims(&data.claims)
    }
}

/// What identity says of a session right now (suspensions bite before the token expires).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionStatus {
    pub active: bool,
    pub suspended_agency_ids: Vec<uuid::Uuid>,
}

/// Asks identity about the session behind a bearer token (`CheckSession`).
#[async_trait]
pub trait SessionCheck: Send + Sync + 'static {
    async fn check(&self, bearer_token: &str) -> Result<SessionStatus, ApiError>;
}

/// How long a session answer is reused: the longest a suspension takes to bite.
pub const SESSION_CHECK_TTL: Duration = Duration::from_secs(5);

/// Turns request metadata into a caller: no `authorization` → anonymous (`None`),
/// a bad token → UNAUTHENTICATED (never silently anonymous). With a session check,
/// a suspended user is refused and memberships in suspended agencies are dropped.
#[derive(Clone)]
pub struct Authenticator {
    verifier: Arc<JwtVerifier>,
    session_check: Option<Arc<dyn SessionCheck>>,
    sessions: moka::future::Cache<String, SessionStatus>,
    stream_recheck_interval: Duration,
}

impl Authenticator {
    pub fn new(verifier: Arc<JwtVerifier>) -> Self {
        Self {
            verifier,
            session_check: None,
            sessions: moka::future::Cache::builder().max_capacity(100_000).time_to_live(SESSION_CHECK_TTL).build(),
            stream_recheck_interval: STREAM_RECHECK_INTERVAL,
        }
    }

    /// Re-checks open streams more often than [`STREAM_RECHECK_INTERVAL`] (tests).
    pub fn with_stream_recheck_interval(mut self, interval: Duration) -> Self {
        self.stream_recheck_interval = interval;
        self
    }

    pub fn with_session_check(mut self, session_check: Arc<dyn SessionCheck>) -> Self {
        self.session_check = Some(session_check);
        self
    }

    pub fn verifier(&self) -> &Arc<JwtVerifier> {
        &self.verifier
    }

    async fn apply_session(&self, token: &str, principal: Principal) -> Result<Principal, ApiError> {
        let Some(session_check) = &self.session_check else {
            return Ok(principal);
        };
        if principal.kind == super::principal::PrincipalKind::Service {
            return Ok(principal);
        }
        let status = match self.sessions.get(&principal.token_id).await {
            Some(status) => status,
            None => match session_check.check(token).await {
                Ok(status) => {
                    self.sessions.insert(principal.token_id.clone(), status.clone()).await;
                    status
                }
                // Identity unreachable: the token is valid and short-lived, so serve it rather
                // than take every service down with identity; the suspension bites at expiry.
                Err(error) => {
                    tracing::warn!(error = %error, "session check failed; trusting the token until it expires");
                    return Ok(principal);
                }
            },
        };
        apply_status(&status, principal)
    }

    pub async fn authenticate_bearer(&self, authorization: Option<&str>) -> Result<Option<Principal>, ApiError> {
        let Some(value) = authorization else {
            return Ok(None);
        };
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| unauthenticated("authorization must be a Bearer token"))?
            .trim();
        let principal = self.verifier.verify(token).await?;
        self.apply_session(token, principal).await.map(Some)
    }

    /// The service relaying this call for a client ([`crate::grpc::RELAY_AUTHORIZATION`]),
    /// if its token verifies; None when absent. Only a service principal counts.
    pub async fn authenticate_relay(
        &self,
        metadata: &tonic::metadata::MetadataMap,
    ) -> Result<Option<Principal>, ApiError> {
        let Some(value) = metadata.get(crate::grpc::RELAY_AUTHORIZATION) else {
            return Ok(None);
        };
        let value = value.to_str().map_err(|_| unauthenticated("unreadable relay authorization"))?;
        let token = value
            .strip_prefix("Bearer ")
            .ok_or_else(|| unauthenticated("relay authorization must be a Bearer token"))?
            .trim();
        let principal = self.verifier.verify(token).await?;
        Ok((principal.kind == super::principal::PrincipalKind::Service).then_some(principal))
    }

    pub async fn authenticate(&self, metadata: &tonic::metadata::MetadataMap) -> Result<Option<Principal>, ApiError> {
        let header = match metadata.get("authorization") {
            None => None,
            Some(value) => Some(value.to_str().map_err(|_| unauthenticated("unreadable authorization header"))?),
        };
        self.authenticate_bearer(header).await
    }

    /// For a stream authorized once at its start (chat's messages, catalog's
    /// changes): resolves, with the reason, when that authorization lapses. That is
    /// at the token's expiry, or at a re-check (every [`STREAM_RECHECK_INTERVAL`],
    /// asking identity afresh)
    /// that finds the session ended (user suspended or deleted) or its memberships
    /// changed (an agency suspended). Never for anonymous callers, whose streams
    /// show only public data. Identity unreachable at a re-check keeps the stream
    /// until the token expires, as for requests.
    pub fn authorization_lapse(
        &self,
        metadata: &tonic::metadata::MetadataMap,
        principal: Option<&Principal>,
    ) -> futures::future::BoxFuture<'static, ApiError> {
        let Some(principal) = principal.cloned() else {
            return Box::pin(std::future::pending());
        };
        let token = metadata
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(|token| token.trim().to_string());
        let authenticator = self.clone();
        Box::pin(async move {
            let remaining = principal.expires_at.saturating_sub(crate::clock::now_unix()).max(0);
            let expiry = tokio::time::sleep(Duration::from_secs(u64::try_from(remaining).unwrap_or(0)));
            tokio::pin!(expiry);
            let interval = authenticator.stream_recheck_interval;
            let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
            loop {
                tokio::select! {
                    () = &mut expiry => return unauthenticated("the access token expired; reconnect with a fresh one"),
                    _ = recheck.tick() => {}
                }
                let (Some(token), Some(session_check)) = (&token, &authenticator.session_check) else { continue };
                if principal.kind == super::principal::PrincipalKind::Service {
                    continue;
                }
                // Asked afresh (a cached answer could be the one from the stream's start),
                // and shared with requests of the same token through the cache.
                let Ok(status) = session_check.check(token).await else { continue };
                authenticator.sessions.insert(principal.token_id.clone(), status.clone()).await;
                match apply_status(&status, principal.clone()) {
                    Err(error) => return error,
                    Ok(current) if current.memberships != principal.memberships => {
                        return unauthenticated("your access changed; reconnect");
                    }
                    Ok(_) => {}
                }
            }
        })
    }
}

/// Refuses an ended session; drops memberships in suspended agencies.
fn apply_status(status: &SessionStatus, mut principal: Principal) -> Result<Principal, ApiError> {
    if !status.active {
        return Err(unauthenticated("this session is no longer active"));
    }
    principal
        .memberships
        .retain(|membership| membership.agency_id.is_none_or(|agency| !status.suspended_agency_ids.contains(&agency)));
    Ok(principal)
}

/// How often a long-lived stream asks identity again whether its caller may still
/// stream: a suspension ends a stream within this interval.
pub const STREAM_RECHECK_INTERVAL: Duration = Duration::from_secs(10);

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};

    // Throw-away Ed25519 test keys (generated with `openssl genpkey -algorithm ed25519`).
    const KEY_A_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIII492je9j7PJVtoqdFjd9AoUPPRjfwAuRmdYI/BdGfC\n-----END PRIVATE KEY-----\n";
    const KEY_A_X: &str = "5vYO9rV2aWSQ-l5Sv3kbT3UWrvO9y8qVrn5zje5KC-E";
    const KEY_B_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEII0wQsxFBH1mFbBA5LgkVL1QME2/PFYIxCLeVcPM46oR\n-----END PRIVATE KEY-----\n";
    const KEY_B_X: &str = "gMU0fqNZdIqs3oNvPlKYedOIC-u898uNo3YggN9AXU4";

    fn jwks(keys: &[(&str, &str)]) -> String {
        let keys: Vec<_> = keys
            .iter()
            .map(|(kid, x)| serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"}))
            .collect();
        serde_json::json!({ "keys": keys }).to_string()
    }

    fn claims() -> serde_json::Value {
        let now = chrono::Utc::now().timestamp();
        serde_json::json!({
            "iss": "nds", "aud": "nds-api", "sub": uuid::Uuid::new_v4().to_string(),
            "exp": now + 300, "iat": now, "jti": "jti-1", "token_use": "access", "kind": "user",
            "memberships": [{"role": "BUYER"}], "scopes": []
        })
    }

    fn sign(pem: &str, kid: &str, claims: &serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.into());
        header.typ = Some(TOKEN_TYPE_HEADER.into());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_pem(pem.as_bytes()).unwrap()).unwrap()
    }

    fn verifier(set: String) -> JwtVerifier {
        JwtVerifier::new(Arc::new(StaticJwks(set)), "nds", "nds-api")
    }

    fn b64(value: &serde_json::Value) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
    }

    #[tokio::test]
    async fn a_well_formed_token_verifies() {
        let verifier = verifier(jwks(&[("a", KEY_A_X)]));
        let principal = verifier.verify(&sign(KEY_A_PEM, "a", &claims())).await.unwrap();
        assert!(principal.user_id().is_some());
    }

    #[tokio::test]
    async fn old_and_new_keys_verify_during_rotation() {
        let verifier = verifier(jwks(&[("a", KEY_A_X), ("b", KEY_B_X)]));
        verifier.verify(&sign(KEY_A_PEM, "a", &claims())).await.unwrap();
        verifier.verify(&sign(KEY_B_PEM, "b", &claims())).await.unwrap();
    }

    #[tokio::test]
    async fn a_token_signed_by_another_key_under_a_known_kid_fails() {
        let verifier = verifier(jwks(&[("a", KEY_A_X)]));
        let error = verifier.verify(&sign(KEY_B_PEM, "a", &claims())).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::Unauthenticated);
    }

    #[tokio::test]
    async fn missing_or_wrong_audience_issuer_or_subject_fails() {
        let verifier = verifier(jwks(&[("a", KEY_A_X)]));
        for (field, replacement) in [
            ("aud", None),
            ("aud", Some("someone-else")),
            ("iss", None),
            ("iss", Some("evil")),
            ("sub", None),
            ("exp", None),
        ] {
            let mut claims = claims();
            match replacement {
                None => {
                    claims.as_object_mut().unwrap().remove(field);
                }
                Some(value) => claims[field] = value.into(),
            }
            let result = verifier.verify(&sign(KEY_A_PEM, "a", &claims)).await;
            assert!(result.is_err(), "{field} = {replacement:?} must fail");
        }
    }

    #[tokio::test]
    async fn expired_tokens_fail_beyond_the_leeway() {
        let verifier = verifier(jwks(&[("a", KEY_A_X)]));
        let mut claims = claims();
        claims["exp"] = (chrono::Utc::now().timestamp() - LEEWAY_SECONDS as i64 - 5).into();
        assert!(verifier.verify(&sign(KEY_A_PEM, "a", &claims)).await.is_err());
    }

    #[tokio::test]
    async fn a_token_claiming_a_life_longer_than_the_access_token_ttl_fails() {
        let verifier = verifier(jwks(&[("a", KEY_A_X)]));
        let now = chrono::Utc::now().timestamp();
        let mut two_hours = claims();
        two_hours["exp"] = (now + 2 * 3600).into();
        let error = verifier.verify(&sign(KEY_A_PEM, "a", &two_hours)).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::Unauthenticated);
        let mut just_too_long = claims();
        just_too_long["exp"] = (now + ACCESS_TOKEN_TTL_SECONDS + LEEWAY_SECONDS as i64 + 1).into();
        assert!(verifier.verify(&sign(KEY_A_PEM, "a", &just_too_long)).await.is_err());
        // What identity signs still passes.
        let mut full_life = claims();
        full_life["exp"] = (now + ACCESS_TOKEN_TTL_SECONDS).into();
        verifier.verify(&sign(KEY_A_PEM, "a", &full_life)).await.unwrap();
    }

    #[tokio::test]
    async fn a_token_issued_in_the_future_or_without_iat_fails() {
        let verifier = verifier(jwks(&[("a", KEY_A_X)]));
        let now = chrono::Utc::now().timestamp();
        // A short lifetime, so only the issue time is wrong.
        let mut future = claims();
        future["iat"] = (now + LEEWAY_SECONDS as i64 + 60).into();
        future["exp"] = (now + LEEWAY_SECONDS as i64 + 120).into();
        let error = verifier.verify(&sign(KEY_A_PEM, "a", &future)).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::Unauthenticated);
        let mut no_iat = claims();
        no_iat.as_object_mut().unwrap().remove("iat");
        assert!(verifier.verify(&sign(KEY_A_PEM, "a", &no_iat)).await.is_err());
        // Clock skew within the leeway is tolerated.
        let mut skewed = claims();
        skewed["iat"] = (now + 5).into();
        verifier.verify(&sign(KEY_A_PEM, "a", &skewed)).await.unwrap();
    }

    /// A JWKS that tests change (a key removed) or take down (identity unreachable).
    struct ChangingJwks {
        jwks: std::sync::Mutex<String>,
        reachable: std::sync::atomic::AtomicBool,
    }

    impl ChangingJwks {
        fn new(jwks: String) -> Arc<Self> {
            Arc::new(Self { jwks: std::sync::Mutex::new(jwks), reachable: true.into() })
        }

        fn publish(&self, jwks: String) {
            *self.jwks.lock().unwrap() = jwks;
        }

        fn set_reachable(&self, reachable: bool) {
            self.reachable.store(reachable, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[async_trait]
    impl JwksSource for ChangingJwks {
        async fn fetch_jwks(&self) -> Result<String, ApiError> {
            if !self.reachable.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(ApiError::new(ErrorCode::Unavailable, "identity is down"));
            }
            Ok(self.jwks.lock().unwrap().clone())
        }
    }

    #[tokio::test]
    async fn a_key_removed_from_the_jwks_stops_verifying_once_the_keys_age_out() {
        let source = ChangingJwks::new(jwks(&[("a", KEY_A_X), ("b", KEY_B_X)]));
        // Keys age out at once: every verification rereads (30 s in production).
        let verifier = JwtVerifier::new(source.clone(), "nds", "nds-api").with_keys_max_age(Duration::ZERO);
        let leaked = sign(KEY_A_PEM, "a", &claims());
        verifier.verify(&leaked).await.unwrap();
        source.publish(jwks(&[("b", KEY_B_X)]));
        let error = verifier.verify(&leaked).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::Unauthenticated);
        verifier.verify(&sign(KEY_B_PEM, "b", &claims())).await.unwrap();
    }

    #[tokio::test]
    async fn held_keys_keep_verifying_while_identity_is_unreachable_but_no_other_kid_passes() {
        let source = ChangingJwks::new(jwks(&[("a", KEY_A_X)]));
        let verifier = JwtVerifier::new(source.clone(), "nds", "nds-api").with_keys_max_age(Duration::ZERO);
        verifier.verify(&sign(KEY_A_PEM, "a", &claims())).await.unwrap();
        source.set_reachable(false);
        // Published while identity is unreachable: never read, so never trusted.
        source.publish(jwks(&[("a", KEY_A_X), ("b", KEY_B_X)]));
        verifier.verify(&sign(KEY_A_PEM, "a", &claims())).await.unwrap();
        assert!(verifier.verify(&sign(KEY_B_PEM, "b", &claims())).await.is_err());
        source.set_reachable(true);
        verifier.verify(&sign(KEY_B_PEM, "b", &claims())).await.unwrap();
    }

    /// Identity hanging: once `hang` is set, a JWKS read never finishes.
    struct HangingJwks {
        jwks: String,
        hang: std::sync::atomic::AtomicBool,
        read_started: tokio::sync::Notify,
    }

    #[async_trait]
    impl JwksSource for HangingJwks {
        async fn fetch_jwks(&self) -> Result<String, ApiError> {
            if self.hang.load(std::sync::atomic::Ordering::SeqCst) {
                self.read_started.notify_one();
                std::future::pending::<()>().await;
            }
            Ok(self.jwks.clone())
        }
    }

    #[tokio::test]
    async fn a_held_key_does_not_wait_for_a_hanging_reread() {
        use futures::FutureExt;
        let source = Arc::new(HangingJwks {
            jwks: jwks(&[("a", KEY_A_X)]),
            hang: false.into(),
            read_started: tokio::sync::Notify::new(),
        });
        let verifier = Arc::new(JwtVerifier::new(source.clone(), "nds", "nds-api").with_keys_max_age(Duration::ZERO));
        let token = sign(KEY_A_PEM, "a", &claims());
        verifier.verify(&token).await.unwrap();
        source.hang.store(true, std::sync::atomic::Ordering::SeqCst);
        let stuck = tokio::spawn({
            let (verifier, token) = (verifier.clone(), token.clone());
            async move { verifier.verify(&token).await }
        });
        source.read_started.notified().await;
        // Polled once: an answer now, not a wait behind the hanging read.
        let answer = verifier.verify(&token).now_or_never();
        assert!(matches!(answer, Some(Ok(_))), "a held key waited for identity: {answer:?}");
        stuck.abort();
    }

    #[tokio::test]
    async fn fresh_keys_are_not_reread_for_every_token() {
        let source = ChangingJwks::new(jwks(&[("a", KEY_A_X)]));
        let verifier = JwtVerifier::new(source.clone(), "nds", "nds-api");
        verifier.verify(&sign(KEY_A_PEM, "a", &claims())).await.unwrap();
        // A reread would drop key a: within the default age it must not happen.
        source.publish(jwks(&[]));
        for _ in 0..5 {
            verifier.verify(&sign(KEY_A_PEM, "a", &claims())).await.unwrap();
        }
    }

    #[tokio::test]
    async fn alg_none_and_hmac_with_the_public_key_fail() {
        let verifier = verifier(jwks(&[("a", KEY_A_X)]));
        let body = b64(&claims());
        let none = format!("{}.{}.", b64(&serde_json::json!({"alg": "none", "kid": "a", "typ": "at+jwt"})), body);
        assert!(verifier.verify(&none).await.is_err());

        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("a".into());
        header.typ = Some(TOKEN_TYPE_HEADER.into());
        let hmac = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(KEY_A_X.as_bytes())).unwrap();
        assert!(verifier.verify(&hmac).await.is_err());
    }

    #[tokio::test]
    async fn refresh_or_other_token_kinds_never_pass_as_access_tokens() {
        let verifier = verifier(jwks(&[("a", KEY_A_X)]));
        let mut refresh = claims();
        refresh["token_use"] = "refresh".into();
        assert!(verifier.verify(&sign(KEY_A_PEM, "a", &refresh)).await.is_err());

        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some("a".into());
        header.typ = Some("JWT".into());
        let untyped =
            jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_ed_pem(KEY_A_PEM.as_bytes()).unwrap()).unwrap();
        assert!(verifier.verify(&untyped).await.is_err());
    }

    #[tokio::test]
    async fn unknown_kids_refetch_the_jwks_at_most_once_per_interval() {
        struct Counting(std::sync::atomic::AtomicUsize, String);
        #[async_trait]
        impl JwksSource for Counting {
            async fn fetch_jwks(&self) -> Result<String, ApiError> {
                self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Ok(self.1.clone())
            }
        }
        let source = Arc::new(Counting(Default::default(), jwks(&[("a", KEY_A_X)])));
        let verifier = JwtVerifier::new(source.clone(), "nds", "nds-api");
        for _ in 0..5 {
            assert!(verifier.verify(&sign(KEY_B_PEM, "unknown", &claims())).await.is_err());
        }
        assert_eq!(source.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn authenticator_treats_missing_header_as_anonymous_and_garbage_as_error() {
        let authenticator = Authenticator::new(Arc::new(verifier(jwks(&[("a", KEY_A_X)]))));
        assert!(authenticator.authenticate_bearer(None).await.unwrap().is_none());
        assert!(authenticator.authenticate_bearer(Some("Basic abc")).await.is_err());
        assert!(authenticator.authenticate_bearer(Some("Bearer nonsense")).await.is_err());
        let token = sign(KEY_A_PEM, "a", &claims());
        assert!(authenticator.authenticate_bearer(Some(&format!("Bearer {token}"))).await.unwrap().is_some());
    }

    struct FixedSession(SessionStatus, std::sync::atomic::AtomicUsize);

    #[async_trait]
    impl SessionCheck for FixedSession {
        async fn check(&self, _bearer_token: &str) -> Result<SessionStatus, ApiError> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(self.0.clone())
        }
    }

    #[tokio::test]
    async fn a_suspended_session_is_refused_and_the_answer_is_cached_briefly() {
        let check =
            Arc::new(FixedSession(SessionStatus { active: false, suspended_agency_ids: vec![] }, Default::default()));
        let authenticator =
            Authenticator::new(Arc::new(verifier(jwks(&[("a", KEY_A_X)])))).with_session_check(check.clone());
        let bearer = format!("Bearer {}", sign(KEY_A_PEM, "a", &claims()));
        for _ in 0..3 {
            let error = authenticator.authenticate_bearer(Some(&bearer)).await.unwrap_err();
            assert_eq!(error.code, ErrorCode::Unauthenticated);
        }
        assert_eq!(check.1.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    /// Identity's answer, changeable mid-test.
    struct SwitchableSession(std::sync::Mutex<SessionStatus>);

    #[async_trait]
    impl SessionCheck for SwitchableSession {
        async fn check(&self, _bearer_token: &str) -> Result<SessionStatus, ApiError> {
            Ok(self.0.lock().unwrap().clone())
        }
    }

    fn metadata_with(token: &str) -> tonic::metadata::MetadataMap {
        let mut metadata = tonic::metadata::MetadataMap::new();
        metadata.insert("authorization", format!("Bearer {token}").parse().unwrap());
        metadata
    }

    #[tokio::test]
    async fn a_stream_authorization_lapses_when_its_token_expires() {
        use futures::FutureExt;
        let authenticator = Authenticator::new(Arc::new(verifier(jwks(&[("a", KEY_A_X)]))));
        let mut claims = claims();
        let now = chrono::Utc::now().timestamp();
        claims["iat"] = (now - ACCESS_TOKEN_TTL_SECONDS + 2).into();
        claims["exp"] = (now + 2).into();
        let token = sign(KEY_A_PEM, "a", &claims);
        let principal = authenticator.authenticate_bearer(Some(&format!("Bearer {token}"))).await.unwrap();
        let mut lapse = authenticator.authorization_lapse(&metadata_with(&token), principal.as_ref());
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!((&mut lapse).now_or_never().is_none(), "still valid before its expiry");
        let error = tokio::time::timeout(Duration::from_secs(10), lapse).await.expect("ends at the expiry");
        assert_eq!(error.code, ErrorCode::Unauthenticated);
        assert!(error.message.contains("expired"), "{}", error.message);
    }

    #[tokio::test]
    async fn a_stream_authorization_lapses_at_the_recheck_after_a_suspension_but_not_before() {
        use futures::FutureExt;
        let agency = uuid::Uuid::new_v4();
        let mut claims = claims();
        claims["memberships"] = serde_json::json!([
            {"role": "SALESPERSON", "agency_id": agency.to_string(), "group_id": uuid::Uuid::new_v4().to_string()}
        ]);
        let active = SessionStatus { active: true, suspended_agency_ids: vec![] };
        let session = Arc::new(SwitchableSession(std::sync::Mutex::new(active.clone())));
        let interval = Duration::from_millis(100);
        let authenticator = Authenticator::new(Arc::new(verifier(jwks(&[("a", KEY_A_X)]))))
            .with_session_check(session.clone())
            .with_stream_recheck_interval(interval);
        let token = sign(KEY_A_PEM, "a", &claims);
        let principal = authenticator.authenticate_bearer(Some(&format!("Bearer {token}"))).await.unwrap();

        // The user is suspended: the next re-check ends the stream.
        let mut lapse = authenticator.authorization_lapse(&metadata_with(&token), principal.as_ref());
        tokio::time::sleep(interval * 4).await;
        assert!((&mut lapse).now_or_never().is_none(), "an active session keeps streaming");
        *session.0.lock().unwrap() = SessionStatus { active: false, suspended_agency_ids: vec![] };
        let ended = tokio::time::timeout(interval * 20, lapse).await.expect("ends at the next re-check");
        assert_eq!(ended.code, ErrorCode::Unauthenticated);

        // The agency is suspended: the membership the stream was opened with is gone.
        *session.0.lock().unwrap() = active;
        let lapse = authenticator.authorization_lapse(&metadata_with(&token), principal.as_ref());
        *session.0.lock().unwrap() = SessionStatus { active: true, suspended_agency_ids: vec![agency] };
        let error = tokio::time::timeout(interval * 20, lapse).await.expect("ends at the next re-check");
        assert!(error.message.contains("access changed"), "{}", error.message);

        // Anonymous streams (public data) never lapse.
        let anonymous = authenticator.authorization_lapse(&tonic::metadata::MetadataMap::new(), None);
        assert!(tokio::time::timeout(interval * 5, anonymous).await.is_err());
    }

    #[tokio::test]
    async fn memberships_in_suspended_agencies_are_dropped() {
        let agency = uuid::Uuid::new_v4();
        let other = uuid::Uuid::new_v4();
        let group = uuid::Uuid::new_v4();
        let mut claims = claims();
        claims["memberships"] = serde_json::json!([
            {"role": "SALESPERSON", "agency_id": agency.to_string(), "group_id": group.to_string()},
            {"role": "SALESPERSON", "agency_id": other.to_string(), "group_id": group.to_string()}
        ]);
        let check = Arc::new(FixedSession(
            SessionStatus { active: true, suspended_agency_ids: vec![agency] },
            Default::default(),
        ));
        let authenticator = Authenticator::new(Arc::new(verifier(jwks(&[("a", KEY_A_X)])))).with_session_check(check);
        let bearer = format!("Bearer {}", sign(KEY_A_PEM, "a", &claims));
        let principal = authenticator.authenticate_bearer(Some(&bearer)).await.unwrap().unwrap();
        let agencies: Vec<_> = principal.staff_agencies().collect();
        assert_eq!(agencies, vec![other]);
    }
}
