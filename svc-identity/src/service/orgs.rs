//! Users, groups and agencies as others read them, and suspensions.

use std::collections::{HashMap, HashSet};

use nds_common::auth::{AgencyAction, Principal, Role};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::views::UserView;
use super::{IdentityService, require_caller, suspended_agencies, user_view};
use crate::error::{IdentityError, IdentityResult};
use crate::store::entities::{agency, group, membership};
use crate::store::{orgs as org_store, sessions as session_store, users as user_store};
use nds_common::audit::{self, AuditEvent};
use nds_common::clock::now_unix;

/// Batch reads are for DataLoaders: a page of ids, not a dump.
pub const MAX_BATCH: usize = 200;

/// Whether the session behind a token is still good (see `CheckSession`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionStatus {
    pub active: bool,
    pub suspended_agency_ids: Vec<Uuid>,
}

pub fn parse_ids(raw: &[String], field: &'static str) -> IdentityResult<Vec<Uuid>> {
    if raw.len() > MAX_BATCH {
        return Err(IdentityError::invalid(field, format!("at most {MAX_BATCH} ids per call")));
    }
    raw.iter()
        .map(|id| {
            Uuid::parse_str(id.trim()).map_err(|_| IdentityError::invalid(field, format!("{id:?} is not a valid id")))
        })
        .collect()
}

/// Ids from callers are parsed by the one parser every service uses.
pub fn parse_id(raw: &str, field: &'static str) -> IdentityResult<Uuid> {
    Ok(nds_common::convert::parse_id(raw, field)?)
}

/// May `viewer` see `target`'s account (email, memberships)? Themselves; platform
/// admins; colleagues in one of their agencies; group admins for staff of their
/// groups. Everyone else's users are simply absent from answers.
fn may_see_user(viewer: &Principal, target: Uuid, target_memberships: &[membership::Model]) -> bool {
    if viewer.is_platform_admin() || viewer.user_id() == Some(target) {
        return true;
    }
    let viewer_agencies: HashSet<Uuid> = viewer.staff_agencies().collect();
    let viewer_groups: HashSet<Uuid> = viewer.administered_groups().collect();
    target_memberships.iter().any(|membership| {
        membership.agency_id.is_some_and(|agency_id| viewer_agencies.contains(&agency_id))
            || membership.group_id.is_some_and(|group_id| viewer_groups.contains(&group_id))
    })
}

impl IdentityService {
    pub async fn get_me(&self, principal: Option<Principal>) -> IdentityResult<UserView> {
        let principal = require_caller(principal)?;
        let user_id = principal.require_user_id()?;
        let user = user_store::find(&self.database, user_id)
            .await?
            .ok_or_else(|| IdentityError::Unauthenticated("this account no longer exists".into()))?;
        let memberships = super::active_memberships(&self.database, user_id).await?;
        Ok(user_view(user, &memberships))
    }

    /// For verifiers in other services: is this token's user still active, and
    /// which of its agencies are suspended. Answers only about the caller.
    pub async fn check_session(&self, principal: Option<Principal>) -> IdentityResult<SessionStatus> {
        let principal = require_caller(principal)?;
        let Some(user_id) = principal.user_id() else {
            return Ok(SessionStatus { active: true, suspended_agency_ids: Vec::new() });
        };
        let Some(user) = user_store::find(&self.database, user_id).await? else {
            return Ok(SessionStatus { active: false, suspended_agency_ids: Vec::new() });
        };
        let memberships = user_store::memberships_of(&self.database, user_id).await?;
        let mut suspended: Vec<Uuid> = suspended_agencies(&self.database, &memberships).await?.into_iter().collect();
        suspended.sort();
        Ok(SessionStatus { active: !user.suspended, suspended_agency_ids: suspended })
    }

    /// Users by id, as far as the caller may see them; others and unknown ids are absent.
    pub async fn get_users(&self, principal: Option<Principal>, ids: &[Uuid]) -> IdentityResult<Vec<UserView>> {
        let principal = require_caller(principal)?;
        let users = user_store::find_many(&self.database, ids).await?;
        let found: Vec<Uuid> = users.iter().map(|user| user.id).collect();
        let mut memberships_by_user: HashMap<Uuid, Vec<membership::Model>> = HashMap::new();
        for membership in user_store::memberships_of_many(&self.database, &found).await? {
            memberships_by_user.entry(membership.user_id).or_default().push(membership);
        }
        Ok(users
            .into_iter()
            .filter_map(|user| {
                let memberships = memberships_by_user.remove(&user.id).unwrap_or_default();
                may_see_user(&principal, user.id, &memberships).then(|| user_view(user, &memberships))
            })
            .collect())
    }

    /// Agencies are public (every listing names one); unknown ids are absent.
    pub async fn get_agencies(&self, ids: &[Uuid]) -> IdentityResult<Vec<agency::Model>> {
        Ok(org_store::find_agencies(&self.database, ids).await?)
    }

    pub async fn get_group(&self, id: Uuid) -> IdentityResult<group::Model> {
        org_store::find_group(&self.database, id)
            .await?
            .ok_or_else(|| IdentityError::NotFound("group not found".into()))
    }

    /// An agency's staff: for its staff, its group's admins and platform admins.
    pub async fn list_agency_staff(
        &self,
        principal: Option<Principal>,
        agency_id: Uuid,
    ) -> IdentityResult<Vec<UserView>> {
        let principal = require_caller(principal)?;
        let (_, reference) = self.agency_ref(agency_id).await?;
        principal.require_on_agency(reference, AgencyAction::ReadPrivate)?;
        let staff_memberships = user_store::memberships_in_agency(&self.database, agency_id).await?;
        let mut user_ids: Vec<Uuid> = staff_memberships.iter().map(|membership| membership.user_id).collect();
        user_ids.sort();
        user_ids.dedup();
        let users = user_store::find_many(&self.database, &user_ids).await?;
        let all_memberships = user_store::memberships_of_many(&self.database, &user_ids).await?;
        let mut views: Vec<UserView> = users
            .into_iter()
            .map(|user| {
                let own: Vec<membership::Model> =
                    all_memberships.iter().filter(|membership| membership.user_id == user.id).cloned().collect();
                user_view(user, &own)
            })
            .collect();
        views.sort_by(|left, right| left.name.cmp(&right.name));
        Ok(views)
    }

    /// Platform admins suspend (or reinstate) an agency: its staff lose their
    /// rights there on their next request to any service that checks sessions.
    pub async fn suspend_agency(
        &self,
        principal: Option<Principal>,
        agency_id: Uuid,
        suspended: bool,
    ) -> IdentityResult<agency::Model> {
        let principal = require_caller(principal)?;
        principal.require_platform_admin()?;
        let transaction = self.database.begin().await?;
        if org_store::set_agency_suspended(&transaction, agency_id, suspended).await? == 0 {
            return Err(IdentityError::NotFound("agency not found".into()));
        }
        audit::record(
            &transaction,
            AuditEvent {
                actor: &audit::actor_of(&principal),
                action: if suspended { "agency.suspended" } else { "agency.reinstated" },
                target_type: "agency",
                target_id: agency_id.to_string(),
                detail: serde_json::json!({ "suspended": suspended }),
            },
        )
        .await?;
        transaction.commit().await?;
        let (agency, _) = self.agency_ref(agency_id).await?;
        Ok(agency)
    }

    /// Platform admins suspend (or reinstate) a user: their refresh tokens are
    /// revoked and identity refuses them at once.
    pub async fn suspend_user(
        &self,
        principal: Option<Principal>,
        user_id: Uuid,
        suspended: bool,
    ) -> IdentityResult<UserView> {
        let principal = require_caller(principal)?;
        principal.require_platform_admin()?;
        if principal.user_id() == Some(user_id) && suspended {
            return Err(IdentityError::invalid("userId", "you cannot suspend yourself"));
        }
        let transaction = self.database.begin().await?;
        if user_store::set_suspended(&transaction, user_id, suspended).await? == 0 {
            return Err(IdentityError::NotFound("user not found".into()));
        }
        if suspended {
            session_store::revoke_user(&transaction, user_id, now_unix()).await?;
        }
        audit::record(
            &transaction,
            AuditEvent {
                actor: &audit::actor_of(&principal),
                action: if suspended { "user.suspended" } else { "user.reinstated" },
                target_type: "user",
                target_id: user_id.to_string(),
                detail: serde_json::json!({ "suspended": suspended }),
            },
        )
        .await?;
        transaction.commit().await?;
        let user = user_store::find(&self.database, user_id)
            .await?
            .ok_or_else(|| IdentityError::NotFound("user not found".into()))?;
        let memberships = user_store::memberships_of(&self.database, user_id).await?;
        Ok(user_view(user, &memberships))
    }

    /// Appoints a group administrator (platform admins only; audited).
    pub async fn grant_group_admin(
        &self,
        principal: Option<Principal>,
        user_id: Uuid,
        group_id: Uuid,
    ) -> IdentityResult<UserView> {
        let principal = require_caller(principal)?;
        principal.require_platform_admin()?;
        let transaction = self.database.begin().await?;
        org_store::find_group(&transaction, group_id)
            .await?
            .ok_or_else(|| IdentityError::NotFound("group not found".into()))?;
        user_store::find(&transaction, user_id)
            .await?
            .ok_or_else(|| IdentityError::NotFound("user not found".into()))?;
        if user_store::add_membership(&transaction, user_id, Role::GroupAdmin.as_str(), Some(group_id), None).await? {
            audit::record(
                &transaction,
                AuditEvent {
                    actor: &audit::actor_of(&principal),
                    action: "membership.granted",
                    target_type: "user",
                    target_id: user_id.to_string(),
                    detail: serde_json::json!({ "role": Role::GroupAdmin.as_str(), "group_id": group_id }),
                },
            )
            .await?;
        }
        transaction.commit().await?;
        self.user_by_id(user_id).await
    }

    async fn user_by_id(&self, user_id: Uuid) -> IdentityResult<UserView> {
        let user = user_store::find(&self.database, user_id)
            .await?
            .ok_or_else(|| IdentityError::NotFound("user not found".into()))?;
        let memberships = user_store::memberships_of(&self.database, user_id).await?;
        Ok(user_view(user, &memberships))
    }
}
