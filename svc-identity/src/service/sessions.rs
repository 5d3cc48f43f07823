//! Sign-up, log-in, refresh (rotation), log-out, and service tokens.

use nds_common::auth::{MembershipClaim, Role};
use sea_orm::{ConnectionTrait, TransactionTrait};
use uuid::Uuid;

use super::tokens::TokenSubject;
use super::views::{SessionTokens, UserView};
use super::{IdentityService, active_memberships, blocking, user_view};
use crate::domain::email::Email;
use crate::domain::password::{self, MAX_PASSWORD_BYTES, NewPassword};
use crate::domain::throttle::AttemptKeys;
use crate::domain::{secrets, text};
use crate::error::{IdentityError, IdentityResult};
use crate::store::entities::{membership, user};
use crate::store::{service_accounts as account_store, sessions as session_store, users as user_store};
use nds_common::clock::now_unix;

/// A log-in lasts 30 days of inactivity at most: each refresh starts a new window.
pub const REFRESH_TOKEN_TTL_SECONDS: i64 = 30 * 24 * 3600;

pub struct SignUp {
    pub email: String,
    pub password: String,
    pub name: String,
}

pub struct LogIn {
    pub email: String,
    pub password: String,
    pub client_address: String,
}

fn claims_of(memberships: &[membership::Model]) -> Vec<MembershipClaim> {
    memberships
        .iter()
        .map(|membership| MembershipClaim {
            role: membership.role.clone(),
            group_id: membership.group_id.map(|id| id.to_string()),
            agency_id: membership.agency_id.map(|id| id.to_string()),
        })
        .collect()
}

fn invalid_refresh() -> IdentityError {
    IdentityError::Unauthenticated("invalid or expired session; log in again".into())
}

impl IdentityService {
    /// Issues an access token and a refresh token in `family_id` (a fresh family
    /// for a log-in, the same one for a refresh). The refresh row is written on
    /// `connection`, so a refresh's rotation and its new token commit together.
    pub(crate) async fn issue_session<C: ConnectionTrait>(
        &self,
        connection: &C,
        user: user::Model,
        family_id: Uuid,
    ) -> IdentityResult<SessionTokens> {
        let memberships = active_memberships(connection, user.id).await?;
        let refresh_token = secrets::generate();
        let now = now_unix();
        session_store::insert(
            connection,
            family_id,
            user.id,
            &secrets::hash(&refresh_token),
            now,
            now + REFRESH_TOKEN_TTL_SECONDS,
        )
        .await?;
        let (access_token, access_expires_at) = self
            .keys
            .sign(TokenSubject {
                subject: user.id.to_string(),
                kind: "user",
                memberships: claims_of(&memberships),
                scopes: Vec::new(),
            })
            .await?;
        Ok(SessionTokens { access_token, refresh_token, access_expires_at, user: Some(user_view(user, &memberships)) })
    }

    /// Creates a new user with a hashed password (no memberships yet).
    pub(crate) async fn create_user<C: ConnectionTrait>(
        &self,
        connection: &C,
        email: &Email,
        name: &str,
        password: NewPassword,
    ) -> IdentityResult<user::Model> {
        let hash = blocking(move || password::hash_password(password.expose())).await??;
        user_store::insert(connection, email.as_str(), name, &hash).await
    }

    /// Buyer sign-up: a new account with the BUYER role, logged in.
    pub async fn sign_up(&self, input: SignUp) -> IdentityResult<SessionTokens> {
        let email = Email::parse(&input.email, "email")?;
        let name = text::required(&input.name, "name", 120)?;
        let password = NewPassword::parse(&input.password)?;
        let transaction = self.database.begin().await?;
        let user = self.create_user(&transaction, &email, &name, password).await?;
        user_store::add_membership(&transaction, user.id, Role::Buyer.as_str(), None, None).await?;
        let session = self.issue_session(&transaction, user, Uuid::now_v7()).await?;
        transaction.commit().await?;
        Ok(session)
    }

    /// Email and password. Unknown email and wrong password give the same error
    /// after the same work (a dummy hash is verified), and failures are throttled
    /// per account and per client address.
    pub async fn log_in(&self, input: LogIn) -> IdentityResult<SessionTokens> {
        if input.email.trim().is_empty() {
            return Err(IdentityError::invalid("email", "email is required"));
        }
        if input.password.is_empty() {
            return Err(IdentityError::invalid("password", "password is required"));
        }
        if input.password.len() > MAX_PASSWORD_BYTES {
            return Err(IdentityError::InvalidCredentials);
        }
        // Counted before the password is checked: concurrent guesses cannot outrun it.
        let permit =
            self.throttle.admit(&AttemptKeys::new(&input.email, &input.client_address)).await.map_err(|refusal| {
                tracing::warn!(?refusal, "log-in refused by throttling");
                IdentityError::from(refusal)
            })?;
        let user = match self.account_with_password(&input.email, &input.password).await {
            Ok(Some(user)) => {
                self.throttle.succeeded(permit).await;
                user
            }
            Ok(None) => {
                self.throttle.failed(permit).await;
                return Err(IdentityError::InvalidCredentials);
            }
            Err(error) => {
                self.throttle.release(permit).await;
                return Err(error);
            }
        };
        if user.suspended {
            return Err(IdentityError::Forbidden("this account is suspended".into()));
        }
        if password::needs_rehash(&user.password_hash) {
            let password_given = input.password;
            let new_hash = blocking(move || password::hash_password(&password_given)).await??;
            user_store::set_password_hash(&self.database, user.id, &new_hash).await?;
            tracing::info!(user_id = %user.id, "password hash upgraded to current parameters");
        }
        self.issue_session(&self.database, user, Uuid::now_v7()).await
    }

    /// The account `email` names if `password` is its password; None for an
    /// unknown email and a wrong password alike (one argon2 verification each).
    async fn account_with_password(&self, email: &str, password: &str) -> IdentityResult<Option<user::Model>> {
        let user = user_store::find_by_email(&self.database, &email.trim().to_lowercase()).await?;
        let stored_hash = user.as_ref().map(|user| user.password_hash.clone());
        let matches = self.check_password(password.to_string(), stored_hash).await?;
        Ok(user.filter(|_| matches))
    }

    /// Rotates a refresh token: the presented one is consumed, a new one in the
    /// same family is returned. Presenting a consumed token again is reuse (a
    /// stolen copy, or a replay): the whole family is revoked.
    pub async fn refresh(&self, refresh_token: &str) -> IdentityResult<SessionTokens> {
        if !secrets::looks_like_secret(refresh_token) {
            return Err(invalid_refresh());
        }
        let now = now_unix();
        let transaction = self.database.begin().await?;
        let Some(row) = session_store::find_by_hash(&transaction, &secrets::hash(refresh_token)).await? else {
            return Err(invalid_refresh());
        };
        if row.revoked_at.is_some() || row.expires_at <= now {
            return Err(invalid_refresh());
        }
        if row.used_at.is_some() {
            transaction.rollback().await?;
            let revoked = session_store::revoke_family(&self.database, row.family_id, now).await?;
            tracing::warn!(family_id = %row.family_id, user_id = %row.user_id, revoked, "refresh token reuse; family revoked");
            return Err(IdentityError::Unauthenticated("this session was revoked; log in again".into()));
        }
        // Of two concurrent refreshes with one token, only one UPDATE matches. The
        // loser is refused without revoking: it was fresh when it arrived (a double
        // submit), unlike a replay after the fact.
        if !session_store::mark_used_if_fresh(&transaction, row.id, now).await? {
            return Err(invalid_refresh());
        }
        let Some(user) = user_store::find(&transaction, row.user_id).await? else {
            return Err(invalid_refresh());
        };
        if user.suspended {
            transaction.rollback().await?;
            session_store::revoke_family(&self.database, row.family_id, now).await?;
            return Err(IdentityError::Unauthenticated("this account is suspended".into()));
        }
        let session = self.issue_session(&transaction, user, row.family_id).await?;
        transaction.commit().await?;
        Ok(session)
    }

    /// Ends the log-in the refresh token belongs to (its whole family). Unknown
    /// tokens answer false: there is nothing to end.
    pub async fn log_out(&self, refresh_token: &str) -> IdentityResult<bool> {
        if !secrets::looks_like_secret(refresh_token) {
            return Ok(false);
        }
        let Some(row) = session_store::find_by_hash(&self.database, &secrets::hash(refresh_token)).await? else {
            return Ok(false);
        };
        session_store::revoke_family(&self.database, row.family_id, now_unix()).await?;
        Ok(true)
    }

    /// Client credentials: a service account's id and secret, for the requested
    /// scopes (all granted ones when none are asked for).
    pub async fn issue_service_token(
        &self,
        client_id: &str,
        client_secret: &str,
        requested_scopes: &[String],
    ) -> IdentityResult<SessionTokens> {
        let client_id = text::required(client_id, "client_id", 100)?;
        let refused = || IdentityError::Unauthenticated("invalid client credentials".into());
        let Some(account) = account_store::find(&self.database, &client_id).await? else {
            return Err(refused());
        };
        if !secrets::hashes_match(&secrets::hash(client_secret), &account.secret_hash) {
            return Err(refused());
        }
        let granted: Vec<String> = account.scopes.split_whitespace().map(str::to_string).collect();
        let scopes = if requested_scopes.is_empty() {
            granted
        } else {
            if let Some(extra) = requested_scopes.iter().find(|scope| !granted.contains(scope)) {
                return Err(IdentityError::Forbidden(format!("scope {extra:?} is not granted to this client")));
            }
            requested_scopes.to_vec()
        };
        let (access_token, access_expires_at) = self
            .keys
            .sign(TokenSubject {
                subject: format!("service:{client_id}"),
                kind: "service",
                memberships: Vec::new(),
                scopes,
            })
            .await?;
        Ok(SessionTokens { access_token, refresh_token: String::new(), access_expires_at, user: None })
    }
}

/// For tests and bootstrap: a user with memberships as an answer.
pub fn view(user: user::Model, memberships: &[membership::Model]) -> UserView {
    user_view(user, memberships)
}
