//! Signed-in sessions. The browser holds only a random id in an HttpOnly cookie;
//! the access and refresh tokens live on the server, in the shared cache (Redis
//! when configured, so every replica sees them; in process otherwise).
//!
//! Refreshes of one session are serialised: identity revokes a whole token family
//! when a refresh token is reused, so two tabs must never refresh the same token
//! at once. One lock per session in this process, and one in the shared cache
//! across replicas; whoever waited re-reads the session the winner refreshed.

pub mod cookies;
pub mod csrf;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use nds_common::cache::SharedCache;
use nds_common::error::ErrorCode;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::edge::{Caller, EdgeClient, operations};

/// As long as identity's refresh tokens live.
pub const SESSION_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// Refresh this long before the access token expires.
const REFRESH_MARGIN_SECONDS: i64 = 60;
/// How long another replica's refresh is waited for.
const REFRESH_WAIT: Duration = Duration::from_secs(5);
/// How often a staff session asks identity for its roles again: an agency
/// suspended changes them without a new token, and its staff should be signed out
/// (or, with roles elsewhere, lose its pages) within seconds, not at the next refresh.
const ROLE_RECHECK_SECONDS: i64 = 5;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub role: String,
    pub group_id: Option<String>,
    pub agency_id: Option<String>,
}

impl Membership {
    /// A membership as any operation's generated types carry it (each has its own `Role`).
    fn from_wire<R: Serialize>(role: &R, group_id: Option<String>, agency_id: Option<String>) -> Self {
        Membership { role: crate::edge::wire_name(role), group_id, agency_id }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: String,
    pub email: String,
    pub name: String,
    pub memberships: Vec<Membership>,
}

impl SessionUser {
    /// Staff of an agency or a group, or a platform admin: they have a panel.
    pub fn is_staff(&self) -> bool {
        self.memberships.iter().any(|membership| membership.role != "BUYER")
    }
}

/// What a session holds on the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionData {
    pub access_token: String,
    /// Unix seconds.
    pub access_expires_at: i64,
    pub refresh_token: String,
    pub user: SessionUser,
    /// Unix milliseconds when the person signed in on this browser; sessions
    /// started before their user's [`SessionStore::end_all_for_user`] are over.
    #[serde(default)]
    pub started_at_ms: i64,
    /// Unix seconds when the roles were last read from identity.
    #[serde(default)]
    pub roles_checked_at: i64,
}

impl SessionData {
    fn is_fresh(&self, now: i64) -> bool {
        self.access_expires_at - now > REFRESH_MARGIN_SECONDS
    }

    fn roles_due(&self, now: i64) -> bool {
        self.user.is_staff() && now - self.roles_checked_at >= ROLE_RECHECK_SECONDS
    }
}

/// A session as a request sees it.
#[derive(Clone, Debug)]
pub struct ActiveSession {
    pub id: String,
    pub data: SessionData,
}

/// Tokens as the edge returns them (`AuthPayload`), from any operation that signs in.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub access_token: String,
    pub refresh_token: String,
    pub access_expires_at: Option<String>,
    pub user: Option<SessionUser>,
}

impl SignedIn {
    pub fn into_session(self, now: i64) -> Option<SessionData> {
        let access_expires_at = self
            .access_expires_at
            .as_deref()
            .and_then(|raw| chrono::DateTime::parse_from_rfc3339(raw).ok())
            .map(|moment| moment.timestamp())
            // Identity's access tokens live 10 minutes; refresh early when it did not say.
            .unwrap_or(now + 5 * 60);
        let user = self.user?;
        Some(SessionData {
            access_token: self.access_token,
            access_expires_at,
            refresh_token: self.refresh_token,
            roles_checked_at: now,
            user,
            started_at_ms: 0,
        })
    }
}

/// The `Signed` fragment of each signing-in operation, into [`SignedIn`].
macro_rules! signed_in_from {
    ($($module:ident),+) => {$(
        impl From<operations::$module::Signed> for SignedIn {
            fn from(payload: operations::$module::Signed) -> SignedIn {
                SignedIn {
                    access_token: payload.access_token,
                    refresh_token: payload.refresh_token,
                    access_expires_at: payload.access_expires_at,
                    user: payload.user.map(|user| SessionUser {
                        id: user.id,
                        email: user.email,
                        name: user.name,
                        memberships: user
                            .memberships
                            .into_iter()
                            .map(|membership| {
                                Membership::from_wire(&membership.role, membership.group_id, membership.agency_id)
                            })
                            .collect(),
                    }),
                }
            }
        }
    )+};
}

signed_in_from!(log_in, sign_up, refresh_session, accept_invitation, reset_password, change_password);

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The cache holds a hash of the id: a dump of Redis opens no browser's session.
fn storage_key(session_id: &str) -> String {
    format!("web:session:{}", hex::encode(Sha256::digest(session_id.as_bytes())))
}

/// When a person last ended all their sessions here (password reset or change).
fn sessions_ended_key(user_id: &str) -> String {
    format!("web:sessions-ended:{user_id}")
}

fn refresh_lock_key(session_id: &str) -> String {
    format!("{}:refreshing", storage_key(session_id))
}

use nds_common::clock::{now_unix, now_unix_ms};

#[derive(Clone)]
pub struct SessionStore {
    cache: SharedCache,
    edge: EdgeClient,
    /// One lock per session being refreshed in this process.
    refreshing: moka::future::Cache<String, Arc<tokio::sync::Mutex<()>>>,
}

impl SessionStore {
    pub fn new(cache: SharedCache, edge: EdgeClient) -> SessionStore {
        let refreshing = moka::future::Cache::builder().time_to_idle(Duration::from_secs(60)).build();
        SessionStore { cache, edge, refreshing }
    }

    /// Stores a new session and returns its id (the cookie's value).
    pub async fn create(&self, data: &SessionData) -> String {
        let id = random_token();
        let started = SessionData { started_at_ms: now_unix_ms(), ..data.clone() };
        self.save(&id, &started).await;
        id
    }

    /// Ends every session of a person on the site, on every replica (they reset
    /// or changed their password). Identity revokes their refresh tokens too, so
    /// sessions on other clients end when their access token does.
    pub async fn end_all_for_user(&self, user_id: &str) {
        let ended_at = now_unix_ms().to_string();
        self.cache.set(&sessions_ended_key(user_id), ended_at.as_bytes(), SESSION_TTL).await;
    }

    async fn ended_for_user(&self, data: &SessionData) -> bool {
        let Some(bytes) = self.cache.get(&sessions_ended_key(&data.user.id)).await else {
            return false;
        };
        let ended_at = std::str::from_utf8(&bytes).ok().and_then(|raw| raw.parse::<i64>().ok());
        ended_at.is_some_and(|ended_at| data.started_at_ms < ended_at)
    }

    async fn save(&self, session_id: &str, data: &SessionData) {
        if let Ok(bytes) = serde_json::to_vec(data) {
            self.cache.set(&storage_key(session_id), &bytes, SESSION_TTL).await;
        }
    }

    async fn load(&self, session_id: &str) -> Option<SessionData> {
        let bytes = self.cache.get(&storage_key(session_id)).await?;
        serde_json::from_slice(&bytes).ok()
    }

    pub async fn delete(&self, session_id: &str) {
        self.cache.delete(&storage_key(session_id)).await;
    }

    /// Replaces what a session holds (after the person changed their password, say).
    pub async fn replace(&self, session_id: &str, data: &SessionData) {
        self.save(session_id, data).await;
    }

    /// The session with an access token that is good for at least a minute,
    /// refreshed when needed; `None` when it is unknown, expired or revoked.
    pub async fn current(&self, session_id: &str, address: std::net::IpAddr) -> Option<SessionData> {
        let data = self.load(session_id).await?;
        if self.ended_for_user(&data).await {
            self.delete(session_id).await;
            return None;
        }
        let data = if data.is_fresh(now_unix()) { data } else { self.refresh(session_id, address).await? };
        if data.roles_due(now_unix()) {
            return self.recheck_roles(session_id, data, address).await;
        }
        Some(data)
    }

    /// Reads the person's roles again (an agency suspended since). Staff left
    /// without any staff role are signed out, as is a person identity no longer
    /// knows or refuses; they sign in again once an agency is reinstated.
    async fn recheck_roles(
        &self,
        session_id: &str,
        mut data: SessionData,
        address: std::net::IpAddr,
    ) -> Option<SessionData> {
        let caller = Caller { token: Some(&data.access_token), address };
        match self.edge.run::<operations::SessionRoles>(caller, operations::session_roles::Variables {}).await {
            Ok(response) => {
                let Some(me) = response.me else {
                    self.delete(session_id).await;
                    return None;
                };
                data.user.memberships = me
                    .memberships
                    .into_iter()
                    .map(|membership| {
                        Membership::from_wire(&membership.role, membership.group_id, membership.agency_id)
                    })
                    .collect();
                data.roles_checked_at = now_unix();
                if !data.user.is_staff() {
                    self.delete(session_id).await;
                    return None;
                }
                self.save_roles(session_id, &data).await;
                Some(data)
            }
            Err(error) if error.is(ErrorCode::Unauthenticated) => {
                self.delete(session_id).await;
                None
            }
            Err(error) => {
                // The edge is down: the roles read before still guide the pages; the services decide.
                tracing::warn!(error = %error, "rereading the session's roles failed; keeping them");
                Some(data)
            }
        }
    }

    async fn refresh(&self, session_id: &str, address: std::net::IpAddr) -> Option<SessionData> {
        let local = self.local_lock(session_id).await;
        let _in_process = local.lock().await;
        let lock_key = refresh_lock_key(session_id);
        let deadline = tokio::time::Instant::now() + REFRESH_WAIT;
        loop {
            // Someone else may have refreshed while we waited.
            let data = self.load(session_id).await?;
            if data.is_fresh(now_unix()) {
                return Some(data);
            }
            // The first to count 1 holds the replicas' lock; a cache that is down
            // leaves only the in-process lock, which still covers this replica.
            match self.cache.increment_expiring(&lock_key, 1, REFRESH_WAIT).await {
                Some(1) | None => break,
                Some(_) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Some(_) => return Some(data),
            }
        }
        let outcome = self.refresh_now(session_id, address).await;
        self.cache.delete(&lock_key).await;
        outcome
    }

    /// This process's lock on one session's tokens.
    async fn local_lock(&self, session_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.refreshing.get_with(session_id.to_string(), async { Arc::new(tokio::sync::Mutex::new(())) }).await
    }

    /// Stores reread roles, unless a refresh replaced the tokens meanwhile: writing
    /// back the old refresh token would make the next refresh look like a reuse
    /// and end the session. (The refresh brought the current roles anyway.)
    async fn save_roles(&self, session_id: &str, reread: &SessionData) {
        let local = self.local_lock(session_id).await;
        let _in_process = local.lock().await;
        if let Some(mut stored) = self.load(session_id).await
            && stored.refresh_token == reread.refresh_token
        {
            stored.user.memberships = reread.user.memberships.clone();
            stored.roles_checked_at = reread.roles_checked_at;
            self.save(session_id, &stored).await;
        }
    }

    async fn refresh_now(&self, session_id: &str, address: std::net::IpAddr) -> Option<SessionData> {
        let data = self.load(session_id).await?;
        let caller = Caller { token: None, address };
        let variables = operations::refresh_session::Variables { refresh_token: data.refresh_token.clone() };
        match self.edge.run::<operations::RefreshSession>(caller, variables).await {
            Ok(response) => {
                let mut refreshed = SignedIn::from(response.refresh_session).into_session(now_unix())?;
                refreshed.started_at_ms = data.started_at_ms;
                self.save(session_id, &refreshed).await;
                Some(refreshed)
            }
            Err(error) if error.is(ErrorCode::Unauthenticated) || error.is(ErrorCode::BadUserInput) => {
                // Revoked, expired or reused: the session is over.
                self.delete(session_id).await;
                None
            }
            Err(error) => {
                // The edge is down: keep the session; pages that need the token will say "try again".
                tracing::warn!(error = %error, "session refresh failed; keeping the session");
                Some(data)
            }
        }
    }
}
