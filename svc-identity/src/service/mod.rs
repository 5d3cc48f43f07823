//! The identity service: the use cases, over storage, independent of gRPC.
//! The tonic adapter (`crate::grpc`) authenticates, converts and calls these.

pub mod admin;
pub mod applications;
pub mod bootstrap;
pub mod invitations;
pub mod jobs;
pub mod key_encryption;
pub mod mail;
pub mod metrics;
pub mod orgs;
pub mod passwords;
pub mod sessions;
pub mod tokens;
pub mod views;

use std::collections::HashSet;

use nds_common::auth::{AgencyRef, Principal, PrincipalKind};
use nds_common::mail::SharedMailer;
use nds_common::runtime::Runtime;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use crate::domain::throttle::LoginThrottle;
use crate::error::{IdentityError, IdentityResult};
use crate::store::entities::{agency, membership, user};
use crate::store::{orgs as org_store, users as user_store};
use tokens::KeyRing;

pub struct IdentityService {
    pub(crate) database: DatabaseConnection,
    pub(crate) keys: std::sync::Arc<KeyRing>,
    pub(crate) throttle: LoginThrottle,
    pub(crate) mailer: SharedMailer,
    /// The shared cache (reset-mail limits).
    pub(crate) cache: nds_common::cache::SharedCache,
    pub(crate) public_url: String,
    /// Passwords verified since start (argon2 runs): what throttling must bound.
    password_checks: std::sync::atomic::AtomicU64,
}

impl IdentityService {
    /// Fails when the key-encryption key is missing (production) or malformed.
    pub fn new(database: DatabaseConnection, runtime: &Runtime) -> IdentityResult<IdentityService> {
        Ok(IdentityService {
            keys: std::sync::Arc::new(KeyRing::new(
                database.clone(),
                runtime.config.jwt_issuer.clone(),
                runtime.config.jwt_audience.clone(),
                key_encryption::sealer_from_config(&runtime.config)?,
            )),
            database,
            throttle: LoginThrottle::new(runtime.cache.clone()),
            mailer: runtime.mailer.clone(),
            cache: runtime.cache.clone(),
            public_url: runtime.config.public_url.trim_end_matches('/').to_string(),
            password_checks: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// How many passwords this service verified since it started.
    pub fn password_checks(&self) -> u64 {
        self.password_checks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Verifies a password against a stored hash off the async workers; without a
    /// stored hash (unknown account) against the dummy, so both cost one argon2 run.
    pub(crate) async fn check_password(&self, given: String, stored: Option<String>) -> IdentityResult<bool> {
        self.password_checks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        blocking(move || {
            let hash = stored.unwrap_or_else(|| crate::domain::password::DUMMY_HASH.clone());
            crate::domain::password::verify_password(&given, &hash)
        })
        .await
    }

    pub fn database(&self) -> &DatabaseConnection {
        &self.database
    }

    /// The JWKS document as `GetJwks` serves it (an empty set if unreadable).
    pub async fn keys_json(&self) -> String {
        self.keys.jwks_json().await.unwrap_or_else(|error| {
            tracing::error!(error = %error, "cannot read signing keys");
            r#"{"keys":[]}"#.to_string()
        })
    }

    /// The caller as the database sees them now, not as their token claimed up to
    /// ten minutes ago: suspended or deleted users are refused, memberships come
    /// from the database (role changes apply at once), and memberships of
    /// suspended agencies are dropped. Service principals pass as they are.
    pub async fn current_principal(&self, principal: Principal) -> IdentityResult<Principal> {
        let PrincipalKind::User = principal.kind else {
            return Ok(principal);
        };
        let user_id = principal.require_user_id()?;
        let Some(user) = user_store::find(&self.database, user_id).await? else {
            return Err(IdentityError::Unauthenticated("this account no longer exists".into()));
        };
        if user.suspended {
            return Err(IdentityError::Unauthenticated("this account is suspended".into()));
        }
        let memberships = active_memberships(&self.database, user.id).await?;
        Ok(Principal { memberships: views::memberships(&memberships), ..principal })
    }

    /// Like [`current_principal`](Self::current_principal), for optional callers.
    pub async fn current_caller(&self, principal: Option<Principal>) -> IdentityResult<Option<Principal>> {
        match principal {
            None => Ok(None),
            Some(principal) => self.current_principal(principal).await.map(Some),
        }
    }

    /// Loads an agency for a tenant check: unknown is NOT_FOUND.
    pub(crate) async fn agency_ref(&self, agency_id: Uuid) -> IdentityResult<(agency::Model, AgencyRef)> {
        let agency = org_store::find_agency(&self.database, agency_id)
            .await?
            .ok_or_else(|| IdentityError::NotFound("agency not found".into()))?;
        let reference = AgencyRef { agency_id: agency.id, group_id: agency.group_id };
        Ok((agency, reference))
    }
}

/// A user's memberships, without those in suspended agencies.
pub(crate) async fn active_memberships<C: ConnectionTrait>(
    connection: &C,
    user_id: Uuid,
) -> IdentityResult<Vec<membership::Model>> {
    let memberships = user_store::memberships_of(connection, user_id).await?;
    let suspended = suspended_agencies(connection, &memberships).await?;
    Ok(memberships
        .into_iter()
        .filter(|membership| membership.agency_id.is_none_or(|agency_id| !suspended.contains(&agency_id)))
        .collect())
}

pub(crate) async fn suspended_agencies<C: ConnectionTrait>(
    connection: &C,
    memberships: &[membership::Model],
) -> IdentityResult<HashSet<Uuid>> {
    let agency_ids: Vec<Uuid> = memberships.iter().filter_map(|membership| membership.agency_id).collect();
    let agencies = org_store::find_agencies(connection, &agency_ids).await?;
    Ok(agencies.into_iter().filter(|agency| agency.suspended).map(|agency| agency.id).collect())
}

pub(crate) fn require_caller(principal: Option<Principal>) -> IdentityResult<Principal> {
    principal.ok_or_else(|| IdentityError::Unauthenticated("sign in first".into()))
}

/// Runs CPU-heavy work (argon2) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> IdentityResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| IdentityError::Crypto(format!("blocking task failed: {error}")))
}

/// A user row with its memberships, for answers.
pub(crate) fn user_view(user: user::Model, memberships: &[membership::Model]) -> views::UserView {
    views::UserView::new(user, memberships)
}
