//! Platform administration (svc-identity, and catalog for an agency's listings):
//! accounts found by e-mail, groups with their agencies and suspensions
//! (the audit log is `audit`). Identity refuses everyone but platform admins.
//!
//! A suspension is one mutation per target with the state wanted
//! (`suspended: true|false`), not a suspend/reinstate pair: it mirrors identity's
//! RPCs, and setting a state is idempotent, so repeating a call whose answer was
//! lost (or whose second step failed) is always safe.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use nds_proto::catalog::v1 as catalog;
use nds_proto::identity::v1 as identity;

use super::identity::{Agency, User};
use super::paging::{PageInfo, connection_cost, page_info, page_request, timestamp};
use crate::clients::clients;
use crate::context::request_context;
use crate::error::GrpcResultExt;

/// An automobile group: the company its agencies belong to.
pub struct Group(pub identity::GroupWithAgencies);

#[Object]
impl Group {
    async fn id(&self) -> ID {
        ID(self.0.group.as_ref().map(|group| group.id.clone()).unwrap_or_default())
    }
    async fn name(&self) -> &str {
        self.0.group.as_ref().map(|group| group.name.as_str()).unwrap_or_default()
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        timestamp(self.0.group.as_ref().map(|group| group.created_at_unix).unwrap_or_default())
    }
    /// Every agency of the group by name, suspended ones included.
    async fn agencies(&self) -> Vec<Agency> {
        self.0.agencies.iter().cloned().map(Agency).collect()
    }
}

#[derive(SimpleObject)]
pub struct GroupEdge {
    pub cursor: String,
    pub node: Group,
}

#[derive(SimpleObject)]
pub struct GroupConnection {
    pub edges: Vec<GroupEdge>,
    pub page_info: PageInfo,
    pub total_count: i64,
}

#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// Platform admins: accounts whose e-mail contains `email` (at least 3
    /// characters, case aside), at most 50, by address.
    async fn users(&self, context: &Context<'_>, email: String) -> async_graphql::Result<Vec<User>> {
        let request = request_context(context)?;
        let message = identity::FindUsersRequest { email };
        let response = clients(context)?.identity().find_users(request.call.request(message)).await.or_graphql()?;
        Ok(response.users.into_iter().map(User).collect())
    }

    /// Automobile groups by name, each with its agencies: all of them for platform
    /// admins, the groups they administer for group admins.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn groups(
        &self,
        context: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<GroupConnection> {
        let request = request_context(context)?;
        let message = identity::ListGroupsRequest { page: Some(page_request(first, after)?) };
        let response = clients(context)?.identity().list_groups(request.call.request(message)).await.or_graphql()?;
        let (page_info, total_count) = page_info(response.page_info.as_ref());
        let end_cursor = page_info.end_cursor.clone().unwrap_or_default();
        Ok(GroupConnection {
            // Offset cursors: each edge's own position is not kept, so edges carry the page's.
            edges: response
                .groups
                .into_iter()
                .map(|group| GroupEdge { cursor: end_cursor.clone(), node: Group(group) })
                .collect(),
            page_info,
            total_count,
        })
    }
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Platform admins suspend (`suspended: true`) or reinstate a user (audited).
    /// A suspended person is refused by every service within seconds and their
    /// sessions cannot be refreshed.
    async fn suspend_user(&self, context: &Context<'_>, user_id: ID, suspended: bool) -> async_graphql::Result<User> {
        let request = request_context(context)?;
        let message = identity::SuspendUserRequest { user_id: user_id.0, suspended };
        Ok(User(clients(context)?.identity().suspend_user(request.call.request(message)).await.or_graphql()?))
    }

    /// Platform admins suspend (`suspended: true`) or reinstate an agency
    /// (audited): its staff lose their rights there within seconds, and its
    /// listings leave search and public pages (or come back) about a second later.
    /// Identity decides first; catalog then flags the listings. Should that second
    /// step fail, the error says so and the same call completes it.
    async fn suspend_agency(
        &self,
        context: &Context<'_>,
        agency_id: ID,
        suspended: bool,
    ) -> async_graphql::Result<Agency> {
        let request = request_context(context)?;
        let clients = clients(context)?;
        let message = identity::SuspendAgencyRequest { agency_id: agency_id.0, suspended };
        let agency = clients.identity().suspend_agency(request.call.request(message)).await.or_graphql()?;
        // The id identity answered with, never the caller's text.
        let listings = catalog::SetAgencySuspendedRequest { agency_id: agency.id.clone(), suspended };
        clients.catalog().set_agency_suspended(request.call.request(listings)).await.or_graphql()?;
        Ok(Agency(agency))
    }
}
