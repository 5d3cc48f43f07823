//! `auditLog`: one log, newest first, read from the two services that keep one
//! (identity: approvals, suspensions, invitations, passwords; billing: promotions
//! bought and deposits refunded). Each refuses everyone but platform admins.
//!
//! Both logs are keyed by UUIDv7 ids, which sort by time, so the edge merges
//! two keyset pages into one: it asks each for `first` rows after the cursor,
//! keeps the newest `first`, and the last kept id is the next cursor. Rows
//! fetched but not kept are older than that cursor and come back next page.

use std::collections::HashMap;

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use nds_proto::billing::v1 as billing;
use nds_proto::common::v1 as wire;
use nds_proto::identity::v1 as identity;

use super::paging::{PageInfo, connection_cost, page_request, timestamp};
use crate::clients::{Clients, clients};
use crate::context::request_context;
use crate::error::GrpcResultExt;
use crate::loaders::loaders;

/// One line of the audit log: who did what to which target, and when.
pub struct AuditEntry(pub wire::AuditEntry);

#[Object]
impl AuditEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// `user:<id>`, a service's client id, `stripe` (what Stripe reported on its
    /// own) or `system`.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// The acting person's e-mail; null for services and deleted accounts.
    async fn actor_email(&self) -> Option<&str> {
        (!self.0.actor_email.is_empty()).then_some(self.0.actor_email.as_str())
    }
    /// e.g. `agency.suspended`, `application.approved`, `promotion.purchased`,
    /// `deposit.refunded`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// `user`, `agency`, `agency_application`, `invitation`, `listing`.
    async fn target_type(&self) -> &str {
        &self.0.target_type
    }
    async fn target_id(&self) -> &str {
        &self.0.target_id
    }
    /// The target as people name it (a user's e-mail, an agency's or an
    /// application's company name, a listing's make, model and year in
    /// catalog's canonical words), when known.
    async fn target_label(&self) -> Option<&str> {
        (!self.0.target_label.is_empty()).then_some(self.0.target_label.as_str())
    }
    /// The action's details as a JSON object.
    async fn detail_json(&self) -> &str {
        &self.0.detail_json
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        timestamp(self.0.created_at_unix)
    }
}

#[derive(SimpleObject)]
pub struct AuditEntryEdge {
    pub cursor: String,
    pub node: AuditEntry,
}

#[derive(SimpleObject)]
pub struct AuditEntryConnection {
    pub edges: Vec<AuditEntryEdge>,
    pub page_info: PageInfo,
    pub total_count: i64,
}

/// Which logs can hold an action: billing's actions are named after its objects;
/// every other action is identity's (each service refuses an action it does not
/// record). No action: both.
fn sources(action: &str) -> (bool, bool) {
    let billing = ["promotion.", "deposit."].iter().any(|prefix| action.starts_with(prefix));
    match action {
        "" => (true, true),
        _ => (!billing, billing),
    }
}

/// One service's page of the log.
#[derive(Default)]
struct LogPage {
    entries: Vec<wire::AuditEntry>,
    has_next_page: bool,
    total_count: u64,
}

impl LogPage {
    fn new(entries: Vec<wire::AuditEntry>, info: Option<wire::PageInfo>) -> Self {
        let info = info.unwrap_or_default();
        Self { entries, has_next_page: info.has_next_page, total_count: info.total_count }
    }
}

/// The newest `first` of both pages, whether more follow, and how many match.
fn merge(first: usize, pages: [LogPage; 2]) -> (Vec<wire::AuditEntry>, bool, u64) {
    let total_count = pages.iter().map(|page| page.total_count).sum();
    let more_behind = pages.iter().any(|page| page.has_next_page);
    let mut entries: Vec<wire::AuditEntry> = pages.into_iter().flat_map(|page| page.entries).collect();
    // UUIDv7 strings compare as their times do.
    entries.sort_by(|left, right| right.id.cmp(&left.id));
    let has_next_page = more_behind || entries.len() > first;
    entries.truncate(first);
    (entries, has_next_page, total_count)
}

/// Billing's rows name people and listings by id only: name them here, with the
/// caller's own rights (identity's `GetUsers`, catalog through the loader).
async fn name_billing_rows(
    context: &Context<'_>,
    clients: &Clients,
    entries: &mut [wire::AuditEntry],
) -> async_graphql::Result<()> {
    let request = request_context(context)?;
    let mut user_ids: Vec<String> = entries
        .iter()
        .filter(|entry| entry.actor_email.is_empty())
        .filter_map(|entry| entry.actor.strip_prefix("user:").map(str::to_string))
        .collect();
    user_ids.sort();
    user_ids.dedup();
    let listing_ids: Vec<String> = entries
        .iter()
        .filter(|entry| entry.target_type == "listing" && entry.target_label.is_empty())
        .map(|entry| entry.target_id.clone())
        .collect();
    let emails: HashMap<String, String> = if user_ids.is_empty() {
        HashMap::new()
    } else {
        let message = identity::GetUsersRequest { ids: user_ids };
        let response = clients.identity().get_users(request.call.request(message)).await.or_graphql()?;
        response.users.into_iter().map(|user| (format!("user:{}", user.id), user.email)).collect()
    };
    let listings = loaders(context)?.listings().load_many(listing_ids).await?;
    for entry in entries.iter_mut() {
        if entry.actor_email.is_empty() {
            entry.actor_email = emails.get(&entry.actor).cloned().unwrap_or_default();
        }
        let listing = listings.get(&entry.target_id).filter(|_| entry.target_type == "listing");
        if let Some(listing) = listing.filter(|_| entry.target_label.is_empty()) {
            // Catalog's canonical words; the pages write them for people.
            entry.target_label = format!("{} {} {}", listing.make, listing.model, listing.year);
        }
    }
    Ok(())
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Platform admins: the audit log of identity and billing, newest first.
    /// `action` keeps one action (e.g. `user.suspended`, `promotion.purchased`;
    /// an unknown one is BAD_USER_INPUT).
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn audit_log(
        &self,
        context: &Context<'_>,
        action: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<AuditEntryConnection> {
        let request = request_context(context)?;
        let clients = clients(context)?;
        let action = action.unwrap_or_default().trim().to_string();
        let page = page_request(first, after)?;
        let (from_identity, from_billing) = sources(&action);
        let identity_page = async {
            if !from_identity {
                return Ok(LogPage::default());
            }
            let message = identity::ListAuditLogRequest { action: action.clone(), page: Some(page.clone()) };
            let response = clients.identity().list_audit_log(request.call.request(message)).await.or_graphql()?;
            Ok::<_, async_graphql::Error>(LogPage::new(response.entries, response.page_info))
        };
        let billing_page = async {
            if !from_billing {
                return Ok(LogPage::default());
            }
            let message = billing::ListAuditLogRequest { action: action.clone(), page: Some(page.clone()) };
            let response = clients.billing().list_audit_log(request.call.request(message)).await.or_graphql()?;
            Ok::<_, async_graphql::Error>(LogPage::new(response.entries, response.page_info))
        };
        // Either refusal (a caller who is not a platform admin) refuses the answer.
        let (identity_page, mut billing_page) = tokio::try_join!(identity_page, billing_page)?;
        name_billing_rows(context, clients, &mut billing_page.entries).await?;
        let (entries, has_next_page, total_count) = merge(page.first as usize, [identity_page, billing_page]);
        let end_cursor = entries.last().map(|entry| entry.id.clone());
        Ok(AuditEntryConnection {
            edges: entries
                .into_iter()
                .map(|entry| AuditEntryEdge { cursor: entry.id.clone(), node: AuditEntry(entry) })
                .collect(),
            page_info: PageInfo { has_next_page, end_cursor },
            total_count: i64::try_from(total_count).unwrap_or(i64::MAX),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &uuid::Uuid) -> wire::AuditEntry {
        wire::AuditEntry { id: id.to_string(), ..Default::default() }
    }

    #[test]
    fn billing_actions_are_asked_of_billing_only() {
        assert_eq!(sources(""), (true, true));
        assert_eq!(sources("user.suspended"), (true, false));
        assert_eq!(sources("promotion.purchased"), (false, true));
        assert_eq!(sources("deposit.refunded"), (false, true));
        // Unknown actions go to the service whose vocabulary they resemble, which refuses them.
        assert_eq!(sources("deposit.stolen"), (false, true));
        assert_eq!(sources("nonsense"), (true, false));
    }

    #[test]
    fn two_pages_merge_newest_first_and_the_rest_follows_next_page() {
        let ids: Vec<uuid::Uuid> = (0..5).map(|_| uuid::Uuid::now_v7()).collect();
        // identity holds the 1st, 3rd and 5th; billing the 2nd and 4th (oldest first).
        let identity = LogPage {
            entries: vec![entry(&ids[4]), entry(&ids[2]), entry(&ids[0])],
            has_next_page: false,
            total_count: 3,
        };
        let billing = LogPage { entries: vec![entry(&ids[3]), entry(&ids[1])], has_next_page: false, total_count: 2 };
        let (page, has_next_page, total) = merge(3, [identity, billing]);
        let kept: Vec<&str> = page.iter().map(|entry| entry.id.as_str()).collect();
        let expected: Vec<String> = [4, 3, 2].iter().map(|index| ids[*index].to_string()).collect();
        assert_eq!(kept, expected);
        assert!(has_next_page, "two rows were left behind");
        assert_eq!(total, 5);
        let (everything, has_next_page, _) = merge(10, [LogPage::default(), LogPage::default()]);
        assert!(everything.is_empty() && !has_next_page);
    }

    #[test]
    fn a_service_with_more_behind_its_page_means_another_page() {
        let id = uuid::Uuid::now_v7();
        let behind = LogPage { entries: vec![entry(&id)], has_next_page: true, total_count: 9 };
        let (page, has_next_page, total) = merge(5, [behind, LogPage::default()]);
        assert_eq!(page.len(), 1);
        assert!(has_next_page);
        assert_eq!(total, 9);
    }
}
