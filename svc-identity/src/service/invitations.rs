//! Staff invitations: sent by whoever manages an agency's staff, accepted once
//! within seven days with a name and a password.

use nds_common::auth::{AgencyAction, Principal, Role};
use sea_orm::{ConnectionTrait, TransactionTrait};
use uuid::Uuid;

use super::views::SessionTokens;
use super::{IdentityService, require_caller};
use crate::domain::email::Email;
use crate::domain::password::NewPassword;
use crate::domain::roles::{parse_role, require_invitable};
use crate::domain::throttle::AttemptKeys;
use crate::domain::{secrets, text};
use crate::error::{IdentityError, IdentityResult};
use crate::store::entities::{agency, invitation};
use crate::store::invitations::{self as invitation_store, NewInvitation};
use crate::store::users as user_store;
use nds_common::audit::{self, AuditEvent};
use nds_common::clock::now_unix;

pub const INVITATION_TTL_SECONDS: i64 = 7 * 24 * 3600;
/// The most open invitations one agency's list shows (a page is plenty: they expire in a week).
const MAX_PENDING_LISTED: u64 = 200;

pub struct AcceptInvitation {
    pub token: String,
    pub name: String,
    pub password: String,
}

impl IdentityService {
    /// Stores an invitation and returns it with its token (which only the mail carries).
    pub(crate) async fn create_invitation<C: ConnectionTrait>(
        &self,
        connection: &C,
        agency: &agency::Model,
        email: &Email,
        role: Role,
        invited_by: Option<Uuid>,
    ) -> IdentityResult<(invitation::Model, String)> {
        let token = secrets::generate();
        let now = now_unix();
        let row = invitation_store::insert(
            connection,
            &NewInvitation {
                token_hash: &secrets::hash(&token),
                agency_id: agency.id,
                group_id: agency.group_id,
                email: email.as_str(),
                role: role.as_str(),
                invited_by,
                now,
                expires_at: now + INVITATION_TTL_SECONDS,
            },
        )
        .await?;
        Ok((row, token))
    }

    /// Invites someone to an agency as AGENCY_MANAGER or SALESPERSON. Needs the
    /// ManageStaff right on that agency (its manager, its group's admin, the platform).
    pub async fn invite_staff(
        &self,
        principal: Option<Principal>,
        agency_id: Uuid,
        email: &str,
        role: Role,
    ) -> IdentityResult<invitation::Model> {
        let principal = require_caller(principal)?;
        let (agency, reference) = self.agency_ref(agency_id).await?;
        principal.require_on_agency(reference, AgencyAction::ManageStaff)?;
        let role = require_invitable(role)?;
        let email = Email::parse(email, "email")?;
        if agency.suspended {
            return Err(IdentityError::Forbidden("this agency is suspended".into()));
        }
        let transaction = self.database.begin().await?;
        let (row, token) = self.create_invitation(&transaction, &agency, &email, role, principal.user_id()).await?;
        audit::record(
            &transaction,
            AuditEvent {
                actor: &audit::actor_of(&principal),
                action: "invitation.created",
                target_type: "agency",
                target_id: agency.id.to_string(),
                detail: serde_json::json!({ "email": email.as_str(), "role": role.as_str(), "invitation_id": row.id }),
            },
        )
        .await?;
        transaction.commit().await?;
        let mail = super::mail::invitation(&self.public_url, email.as_str(), &agency.name, role.as_str(), &token);
        super::mail::deliver(&self.mailer, mail).await;
        Ok(row)
    }

    /// The agency's invitations still open (not accepted, not expired), newest
    /// first: for those who may invite its staff, so they see who has not joined yet.
    pub async fn pending_invitations(
        &self,
        principal: Option<Principal>,
        agency_id: Uuid,
    ) -> IdentityResult<Vec<invitation::Model>> {
        let principal = require_caller(principal)?;
        let (_, reference) = self.agency_ref(agency_id).await?;
        principal.require_on_agency(reference, AgencyAction::ManageStaff)?;
        Ok(invitation_store::pending_for_agency(&self.database, agency_id, now_unix(), MAX_PENDING_LISTED).await?)
    }

    /// Accepts an invitation: creates the account (or, for an existing account,
    /// checks its password) and grants the membership, then logs the user in.
    pub async fn accept_invitation(&self, input: AcceptInvitation) -> IdentityResult<SessionTokens> {
        let token = input.token.trim();
        if !secrets::looks_like_secret(token) {
            return Err(IdentityError::NotFound("invitation not found".into()));
        }
        let now = now_unix();
        let transaction = self.database.begin().await?;
        let Some(invitation) = invitation_store::find_by_hash(&transaction, &secrets::hash(token)).await? else {
            return Err(IdentityError::NotFound("invitation not found".into()));
        };
        if invitation.accepted_at.is_some() {
            return Err(IdentityError::Conflict("this invitation was already used".into()));
        }
        if invitation.expires_at <= now {
            return Err(IdentityError::invalid("token", "this invitation has expired; ask for a new one"));
        }
        let role = parse_role(&invitation.role)
            .ok_or_else(|| IdentityError::Crypto(format!("invitation {} has an unknown role", invitation.id)))?;
        let user = match user_store::find_by_email(&transaction, &invitation.email).await? {
            Some(existing) => {
                // Possession of the token must not reset someone's password; and
                // guessing that password here is throttled like a log-in.
                let permit = self.throttle.admit(&AttemptKeys::new(&existing.email, "")).await?;
                match self.check_password(input.password.clone(), Some(existing.password_hash.clone())).await {
                    Ok(true) => self.throttle.succeeded(permit).await,
                    Ok(false) => {
                        self.throttle.failed(permit).await;
                        return Err(IdentityError::InvalidCredentials);
                    }
                    Err(error) => {
                        self.throttle.release(permit).await;
                        return Err(error);
                    }
                }
                if existing.suspended {
                    return Err(IdentityError::Forbidden("this account is suspended".into()));
                }
                existing
            }
            None => {
                let name = text::required(&input.name, "name", 120)?;
                let password = NewPassword::parse(&input.password)?;
                let email = Email::parse(&invitation.email, "email")?;
                self.create_user(&transaction, &email, &name, password).await?
            }
        };
        if !invitation_store::accept_if_open(&transaction, invitation.id, user.id, now).await? {
            return Err(IdentityError::Conflict("this invitation was already used".into()));
        }
        user_store::add_membership(
            &transaction,
            user.id,
            role.as_str(),
            Some(invitation.group_id),
            Some(invitation.agency_id),
        )
        .await?;
        audit::record(
            &transaction,
            AuditEvent {
                actor: &format!("user:{}", user.id),
                action: "membership.granted",
                target_type: "user",
                target_id: user.id.to_string(),
                detail: serde_json::json!({
                    "role": role.as_str(),
                    "agency_id": invitation.agency_id,
                    "group_id": invitation.group_id,
                    "invitation_id": invitation.id,
                }),
            },
        )
        .await?;
        let session = self.issue_session(&transaction, user, Uuid::now_v7()).await?;
        transaction.commit().await?;
        Ok(session)
    }
}
