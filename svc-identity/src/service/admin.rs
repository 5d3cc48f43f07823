//! What platform admins read to run the platform: accounts found by e-mail,
//! groups with their agencies, and the audit log. Every use case here is for
//! platform admins only; the suspensions themselves live in `orgs`.

use std::collections::HashMap;

use nds_common::auth::Principal;
use uuid::Uuid;

use super::applications::{decode_cursor, encode_cursor};
use super::views::UserView;
use super::{IdentityService, require_caller, user_view};
use crate::domain::admin::{AUDIT_ACTIONS, email_fragment};
use crate::error::{IdentityError, IdentityResult};
use crate::store::entities::{agency, group, membership};
use crate::store::{applications as application_store, orgs as org_store, users as user_store};
use nds_common::audit::{self, PageQuery, actor_user_id, entity as audit_entry};

/// The panel's tables page at 50; a search answers at most one page.
pub const PAGE_SIZE: u64 = 50;
pub const MAX_PAGE: u64 = 100;

pub struct GroupPage {
    pub groups: Vec<(group::Model, Vec<agency::Model>)>,
    pub has_next_page: bool,
    pub end_cursor: String,
    pub total_count: u64,
}

/// An audit row with the names people read: the acting user's e-mail, the
/// target's e-mail or name (an application's company), empty when the actor or
/// target no longer exists.
pub struct AuditView {
    pub entry: audit_entry::Model,
    pub actor_email: String,
    pub target_label: String,
}

pub struct AuditPage {
    pub entries: Vec<AuditView>,
    pub has_next_page: bool,
    pub end_cursor: String,
    pub total_count: u64,
}

fn page_limit(first: u32) -> u64 {
    match u64::from(first) {
        0 => PAGE_SIZE,
        first => first.min(MAX_PAGE),
    }
}

fn require_platform_admin(principal: Option<Principal>) -> IdentityResult<Principal> {
    let principal = require_caller(principal)?;
    principal.require_platform_admin()?;
    Ok(principal)
}

impl IdentityService {
    /// Accounts whose address contains the fragment, with their roles and state.
    pub async fn find_users(&self, principal: Option<Principal>, email: &str) -> IdentityResult<Vec<UserView>> {
        require_platform_admin(principal)?;
        let fragment = email_fragment(email)?;
        let users = user_store::search_by_email(&self.database, &fragment, PAGE_SIZE).await?;
        let ids: Vec<Uuid> = users.iter().map(|user| user.id).collect();
        let mut memberships_by_user: HashMap<Uuid, Vec<membership::Model>> = HashMap::new();
        for membership in user_store::memberships_of_many(&self.database, &ids).await? {
            memberships_by_user.entry(membership.user_id).or_default().push(membership);
        }
        Ok(users
            .into_iter()
            .map(|user| {
                let memberships = memberships_by_user.remove(&user.id).unwrap_or_default();
                user_view(user, &memberships)
            })
            .collect())
    }

    /// Groups by name, each with its agencies (suspended ones too, marked):
    /// every group for platform admins, the ones they administer for group admins
    /// (their side-by-side view of their agencies).
    pub async fn list_groups(
        &self,
        principal: Option<Principal>,
        first: u32,
        after: &str,
    ) -> IdentityResult<GroupPage> {
        let principal = require_caller(principal)?;
        let only: Option<Vec<Uuid>> = if principal.is_platform_admin() {
            None
        } else {
            let administered: Vec<Uuid> = principal.administered_groups().collect();
            if administered.is_empty() {
                return Err(IdentityError::Forbidden("only platform and group admins list groups".into()));
            }
            Some(administered)
        };
        let offset = decode_cursor(after)?;
        let (groups, total_count) =
            org_store::list_groups(&self.database, only.as_deref(), offset, page_limit(first)).await?;
        let ids: Vec<Uuid> = groups.iter().map(|group| group.id).collect();
        let mut agencies_by_group: HashMap<Uuid, Vec<agency::Model>> = HashMap::new();
        for agency in org_store::agencies_of_groups(&self.database, &ids).await? {
            agencies_by_group.entry(agency.group_id).or_default().push(agency);
        }
        let next_offset = offset + groups.len() as u64;
        Ok(GroupPage {
            has_next_page: next_offset < total_count,
            end_cursor: if groups.is_empty() { String::new() } else { encode_cursor(next_offset) },
            groups: groups
                .into_iter()
                .map(|group| {
                    let agencies = agencies_by_group.remove(&group.id).unwrap_or_default();
                    (group, agencies)
                })
                .collect(),
            total_count,
        })
    }

    /// The audit log, newest first; `after` is the last id of the previous page.
    pub async fn list_audit_log(
        &self,
        principal: Option<Principal>,
        action: &str,
        first: u32,
        after: &str,
    ) -> IdentityResult<AuditPage> {
        require_platform_admin(principal)?;
        let query = PageQuery::parse(&AUDIT_ACTIONS, action, first, after)?;
        let page = audit::page(&self.database, &query).await?;
        Ok(AuditPage {
            entries: self.audit_views(page.rows).await?,
            has_next_page: page.has_next_page,
            end_cursor: page.end_cursor,
            total_count: page.total_count,
        })
    }

    /// Names the actors and targets of a page in three batch reads.
    async fn audit_views(&self, rows: Vec<audit_entry::Model>) -> IdentityResult<Vec<AuditView>> {
        let mut user_ids: Vec<Uuid> = rows.iter().filter_map(|row| actor_user_id(&row.actor)).collect();
        user_ids.extend(
            rows.iter().filter(|row| row.target_type == "user").filter_map(|row| Uuid::parse_str(&row.target_id).ok()),
        );
        user_ids.sort();
        user_ids.dedup();
        let targets_of = |target_type: &str| -> Vec<Uuid> {
            rows.iter()
                .filter(|row| row.target_type == target_type)
                .filter_map(|row| Uuid::parse_str(&row.target_id).ok())
                .collect()
        };
        let agency_ids = targets_of("agency");
        let application_ids = targets_of("agency_application");
        let emails: HashMap<Uuid, String> = user_store::find_many(&self.database, &user_ids)
            .await?
            .into_iter()
            .map(|user| (user.id, user.email))
            .collect();
        let agency_names: HashMap<Uuid, String> = org_store::find_agencies(&self.database, &agency_ids)
            .await?
            .into_iter()
            .map(|agency| (agency.id, agency.name))
            .collect();
        let companies: HashMap<Uuid, String> = application_store::find_many(&self.database, &application_ids)
            .await?
            .into_iter()
            .map(|application| (application.id, application.company_name))
            .collect();
        Ok(rows
            .into_iter()
            .map(|entry| {
                let actor_email = actor_user_id(&entry.actor).and_then(|id| emails.get(&id).cloned());
                let target = Uuid::parse_str(&entry.target_id).ok();
                let target_label = match entry.target_type.as_str() {
                    "user" => target.and_then(|id| emails.get(&id).cloned()),
                    "agency" => target.and_then(|id| agency_names.get(&id).cloned()),
                    "agency_application" => target.and_then(|id| companies.get(&id).cloned()),
                    _ => None,
                };
                AuditView {
                    entry,
                    actor_email: actor_email.unwrap_or_default(),
                    target_label: target_label.unwrap_or_default(),
                }
            })
            .collect())
    }
}
