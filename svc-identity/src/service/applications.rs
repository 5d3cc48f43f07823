//! The agency application workflow: anyone applies; a platform admin approves
//! (agency, group when new, and the manager's invitation in one transaction) or
//! rejects with a reason; the applicant hears either way.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use nds_common::auth::{Principal, Role};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::{IdentityService, require_caller};
use crate::domain::application::{ApplicationDraft, ApplicationInput, Decision, GroupChoice};
use crate::domain::email::Email;
use crate::error::{IdentityError, IdentityResult};
use crate::store::applications::{
    self as application_store, Review, STATUS_APPROVED, STATUS_PENDING, STATUS_REJECTED, Visibility,
};
use crate::store::entities::application;
use crate::store::orgs as org_store;
use nds_common::audit::{self, AuditEvent};
use nds_common::clock::now_unix;

pub const DEFAULT_PAGE: u64 = 20;
pub const MAX_PAGE: u64 = 100;

pub struct ApplicationPage {
    pub applications: Vec<application::Model>,
    pub has_next_page: bool,
    pub end_cursor: String,
    pub total_count: u64,
}

/// Cursors are opaque to clients: base64url of the next offset.
pub(crate) fn encode_cursor(offset: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

pub(crate) fn decode_cursor(cursor: &str) -> IdentityResult<u64> {
    if cursor.is_empty() {
        return Ok(0);
    }
    let invalid = || IdentityError::invalid("after", "invalid cursor");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix("o:").and_then(|offset| offset.parse().ok()).ok_or_else(invalid)
}

pub fn parse_status(status: &str) -> IdentityResult<&'static str> {
    match status {
        "PENDING" => Ok(STATUS_PENDING),
        "APPROVED" => Ok(STATUS_APPROVED),
        "REJECTED" => Ok(STATUS_REJECTED),
        _ => Err(IdentityError::invalid("status", "status must be PENDING, APPROVED or REJECTED")),
    }
}

impl IdentityService {
    pub async fn apply_for_agency(&self, input: &ApplicationInput) -> IdentityResult<application::Model> {
        let draft = ApplicationDraft::parse(input)?;
        if let GroupChoice::Existing(group_id) = draft.group
            && org_store::find_group(&self.database, group_id).await?.is_none()
        {
            return Err(IdentityError::invalid("groupId", "no such group"));
        }
        Ok(application_store::insert(&self.database, &draft).await?)
    }

    /// Platform admins see every application; group admins those naming their
    /// groups; nobody else any.
    pub async fn list_applications(
        &self,
        principal: Option<Principal>,
        status: Option<&str>,
        first: u32,
        after: &str,
    ) -> IdentityResult<ApplicationPage> {
        let principal = require_caller(principal)?;
        let visibility = if principal.is_platform_admin() {
            Visibility::All
        } else {
            let groups: Vec<Uuid> = principal.administered_groups().collect();
            if groups.is_empty() {
                return Err(IdentityError::Forbidden("only administrators see agency applications".into()));
            }
            Visibility::Groups(groups)
        };
        let limit = match u64::from(first) {
            0 => DEFAULT_PAGE,
            first => first.min(MAX_PAGE),
        };
        let offset = decode_cursor(after)?;
        let (applications, total_count) =
            application_store::list(&self.database, status, &visibility, offset, limit).await?;
        let next_offset = offset + applications.len() as u64;
        Ok(ApplicationPage {
            has_next_page: next_offset < total_count,
            end_cursor: if applications.is_empty() { String::new() } else { encode_cursor(next_offset) },
            applications,
            total_count,
        })
    }

    /// Reviews a pending application once. Approval creates the group (when new)
    /// and the agency and invites the contact as AGENCY_MANAGER, all in one
    /// transaction; a second review is CONFLICT and creates nothing.
    pub async fn review_application(
        &self,
        principal: Option<Principal>,
        application_id: Uuid,
        decision: Decision,
    ) -> IdentityResult<application::Model> {
        let principal = require_caller(principal)?;
        principal.require_platform_admin()?;
        let reviewer = principal.user_id().unwrap_or_else(Uuid::nil);
        let now = now_unix();
        let transaction = self.database.begin().await?;
        let application = application_store::find(&transaction, application_id)
            .await?
            .ok_or_else(|| IdentityError::NotFound("application not found".into()))?;
        if application.status != STATUS_PENDING {
            return Err(IdentityError::Conflict("this application was already reviewed".into()));
        }
        let (mail, audit_action, detail) = match &decision {
            Decision::Reject { reason } => {
                let review = Review {
                    status: STATUS_REJECTED,
                    rejection_reason: Some(reason),
                    agency_id: None,
                    group_id: None,
                    reviewer,
                    now,
                };
                if !application_store::decide(&transaction, application.id, &review).await? {
                    return Err(IdentityError::Conflict("this application was already reviewed".into()));
                }
                let mail =
                    super::mail::application_rejected(&application.contact_email, &application.company_name, reason);
                (mail, "application.rejected", serde_json::json!({ "reason": reason }))
            }
            Decision::Approve => {
                let group_id = match (application.group_id, &application.group_name) {
                    (Some(group_id), _) => {
                        org_store::find_group(&transaction, group_id)
                            .await?
                            .ok_or_else(|| IdentityError::Conflict("the application's group no longer exists".into()))?
                            .id
                    }
                    (None, Some(name)) => org_store::insert_group(&transaction, name).await?.id,
                    (None, None) => return Err(IdentityError::Conflict("the application names no group".into())),
                };
                let agency = org_store::insert_agency(
                    &transaction,
                    group_id,
                    &application.company_name,
                    &application.city,
                    &application.state,
                )
                .await?;
                let review = Review {
                    status: STATUS_APPROVED,
                    rejection_reason: None,
                    agency_id: Some(agency.id),
                    group_id: Some(group_id),
                    reviewer,
                    now,
                };
                if !application_store::decide(&transaction, application.id, &review).await? {
                    return Err(IdentityError::Conflict("this application was already reviewed".into()));
                }
                let email = Email::parse(&application.contact_email, "contactEmail")?;
                let (_, token) = self
                    .create_invitation(&transaction, &agency, &email, Role::AgencyManager, principal.user_id())
                    .await?;
                let mail = super::mail::application_approved(
                    &self.public_url,
                    email.as_str(),
                    &application.company_name,
                    &token,
                );
                (mail, "application.approved", serde_json::json!({ "agency_id": agency.id, "group_id": group_id }))
            }
        };
        audit::record(
            &transaction,
            AuditEvent {
                actor: &audit::actor_of(&principal),
                action: audit_action,
                target_type: "agency_application",
                target_id: application.id.to_string(),
                detail,
            },
        )
        .await?;
        transaction.commit().await?;
        super::mail::deliver(&self.mailer, mail).await;
        application_store::find(&self.database, application_id)
            .await?
            .ok_or_else(|| IdentityError::NotFound("application not found".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_bad_input() {
        assert_eq!(decode_cursor(&encode_cursor(40)).unwrap(), 40);
        assert_eq!(decode_cursor("").unwrap(), 0);
        assert!(decode_cursor("!!").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("x:1")).is_err());
    }
}
