//! Forgotten and changed passwords: a reset mails a single-use link valid for an
//! hour; using it, or changing the password while signed in, ends every other
//! session of the account.

use nds_common::auth::Principal;
use sea_orm::{DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use super::views::SessionTokens;
use super::{IdentityService, blocking, require_caller};
use crate::domain::password::{self, NewPassword};
use crate::domain::secrets;
use crate::domain::throttle::AttemptKeys;
use crate::error::{IdentityError, IdentityResult};
use crate::store::entities::user;
use crate::store::{password_resets as reset_store, sessions as session_store, users as user_store};
use nds_common::audit::{self, AuditEvent};
use nds_common::clock::now_unix;

/// A reset link works for an hour.
pub const RESET_TTL_SECONDS: i64 = 3600;
/// Reset mails one address may receive per hour; more requests answer alike and
/// send nothing (nobody can flood an inbox through us).
pub const RESET_MAILS_PER_HOUR: i64 = 3;

pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
    pub client_address: String,
}

fn invalid_reset_link() -> IdentityError {
    IdentityError::invalid("token", "this reset link is invalid, used or expired; ask for a new one")
}

impl IdentityService {
    /// Mails a reset link when the address belongs to an account. The answer, and
    /// the time it takes, are the same either way: the link is made and mailed
    /// after answering.
    pub async fn request_password_reset(&self, email: &str) -> IdentityResult<()> {
        let normalised = email.trim().to_lowercase();
        if normalised.is_empty() {
            return Err(IdentityError::invalid("email", "email is required"));
        }
        let Some(user) = user_store::find_by_email(&self.database, &normalised).await? else {
            return Ok(());
        };
        if user.suspended || !self.reset_mail_allowed(&normalised).await {
            return Ok(());
        }
        let (database, mailer, public_url) = (self.database.clone(), self.mailer.clone(), self.public_url.clone());
        tokio::spawn(async move {
            match create_reset(&database, &user).await {
                Ok(token) => {
                    super::mail::deliver(&mailer, super::mail::password_reset(&public_url, &user.email, &token)).await;
                }
                Err(error) => tracing::error!(user_id = %user.id, error = %error, "cannot create a password reset"),
            }
        });
        Ok(())
    }

    async fn reset_mail_allowed(&self, email: &str) -> bool {
        use sha2::{Digest, Sha256};
        let hour = now_unix() / 3600;
        let key = format!("identity:password-reset:{}:{hour}", &hex::encode(Sha256::digest(email.as_bytes()))[..32]);
        let sent = self.cache.increment_expiring(&key, 1, std::time::Duration::from_secs(7200)).await;
        // The cache fails open: without it, mails are not limited (the rate limit still is).
        sent.is_none_or(|sent| sent <= RESET_MAILS_PER_HOUR)
    }

    /// Sets a new password with a reset link's token (once), ends every session
    /// of the account and signs in.
    pub async fn reset_password(&self, token: &str, new_password: &str) -> IdentityResult<SessionTokens> {
        let token = token.trim();
        if !secrets::looks_like_secret(token) {
            return Err(invalid_reset_link());
        }
        let password = NewPassword::parse(new_password).map_err(|error| rename_field(error, "newPassword"))?;
        let now = now_unix();
        let Some(reset) = reset_store::find_by_hash(&self.database, &secrets::hash(token)).await? else {
            return Err(invalid_reset_link());
        };
        if reset.used_at.is_some() || reset.expires_at <= now {
            return Err(invalid_reset_link());
        }
        let Some(user) = user_store::find(&self.database, reset.user_id).await? else {
            return Err(invalid_reset_link());
        };
        if user.suspended {
            return Err(IdentityError::Forbidden("this account is suspended".into()));
        }
        let hash = blocking(move || password::hash_password(password.expose())).await??;
        let transaction = self.database.begin().await?;
        if !reset_store::use_if_open(&transaction, reset.id, now).await? {
            return Err(invalid_reset_link());
        }
        let session = self.replace_password(&transaction, user, &hash, "password.reset").await?;
        transaction.commit().await?;
        Ok(session)
    }

    /// The signed-in user sets a new password by giving the current one (a wrong
    /// one counts as a failed log-in); every other session ends.
    pub async fn change_password(
        &self,
        principal: Option<Principal>,
        input: ChangePassword,
    ) -> IdentityResult<SessionTokens> {
        let principal = require_caller(principal)?;
        let user_id = principal.require_user_id()?;
        if input.current_password.is_empty() {
            return Err(IdentityError::invalid("currentPassword", "the current password is required"));
        }
        let password = NewPassword::parse(&input.new_password).map_err(|error| rename_field(error, "newPassword"))?;
        let Some(user) = user_store::find(&self.database, user_id).await? else {
            return Err(IdentityError::Unauthenticated("this account no longer exists".into()));
        };
        let permit = self.throttle.admit(&AttemptKeys::new(&user.email, &input.client_address)).await?;
        let matches = if input.current_password.len() > password::MAX_PASSWORD_BYTES {
            Ok(false)
        } else {
            self.check_password(input.current_password, Some(user.password_hash.clone())).await
        };
        match matches {
            Err(error) => {
                self.throttle.release(permit).await;
                return Err(error);
            }
            Ok(false) => {
                self.throttle.failed(permit).await;
                return Err(IdentityError::invalid("currentPassword", "the current password is wrong"));
            }
            Ok(true) => self.throttle.succeeded(permit).await,
        }
        let hash = blocking(move || password::hash_password(password.expose())).await??;
        let transaction = self.database.begin().await?;
        let session = self.replace_password(&transaction, user, &hash, "password.changed").await?;
        transaction.commit().await?;
        Ok(session)
    }

    /// Stores the new hash, ends every session and open reset link of the user,
    /// records it, and opens the one session the caller gets back.
    async fn replace_password(
        &self,
        transaction: &sea_orm::DatabaseTransaction,
        user: user::Model,
        hash: &str,
        action: &str,
    ) -> IdentityResult<SessionTokens> {
        let now = now_unix();
        user_store::set_password_hash(transaction, user.id, hash).await?;
        let ended = session_store::revoke_user(transaction, user.id, now).await?;
        reset_store::close_all_of(transaction, user.id, now).await?;
        audit::record(
            transaction,
            AuditEvent {
                actor: &format!("user:{}", user.id),
                action,
                target_type: "user",
                target_id: user.id.to_string(),
                detail: serde_json::json!({ "sessions_ended": ended }),
            },
        )
        .await?;
        let user = user::Model { password_hash: hash.to_string(), ..user };
        self.issue_session(transaction, user, Uuid::now_v7()).await
    }
}

/// Stores a new reset token for `user` and returns it (only the mail carries it).
async fn create_reset(database: &DatabaseConnection, user: &user::Model) -> IdentityResult<String> {
    let token = secrets::generate();
    let now = now_unix();
    reset_store::insert(database, user.id, &secrets::hash(&token), now, now + RESET_TTL_SECONDS).await?;
    Ok(token)
}

/// The password policy names its field `password`; here the new one is `new_password`.
fn rename_field(error: IdentityError, field: &'static str) -> IdentityError {
    match error {
        IdentityError::InvalidInput { message, .. } => IdentityError::InvalidInput { field, message },
        other => other,
    }
}
