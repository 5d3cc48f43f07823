//! Which group an agency belongs to, as identity records it. Tenant checks need
//! it for callers whose own memberships do not name the agency (group and platform
//! admins); it never comes from the request, and never from a service's own copy
//! of tenant data, which may be missing or stale.

use std::time::Duration;

use nds_proto::identity::v1::GetAgenciesRequest;
use nds_proto::identity::v1::identity_service_client::IdentityServiceClient;
use tonic::transport::Channel;
use uuid::Uuid;

use super::{AgencyRef, Principal, Role};
use crate::error::{ApiError, ErrorCode};
use crate::grpc::{CallContext, retry_unavailable};

/// An agency's group changes only if an operator moves it: ten minutes of
/// caching bounds how long a move takes to reach every check.
const KNOWN_FOR: Duration = Duration::from_secs(600);
const LOOKUP_BUDGET: Duration = Duration::from_secs(2);

/// Agency → group, from identity's public `GetAgencies`, cached.
#[derive(Clone)]
pub struct AgencyGroups {
    identity: Channel,
    known: moka::future::Cache<Uuid, Uuid>,
}

impl AgencyGroups {
    pub fn new(identity: Channel) -> Self {
        Self { identity, known: moka::future::Cache::builder().max_capacity(100_000).time_to_live(KNOWN_FOR).build() }
    }

    /// The agency's group; NOT_FOUND for an agency identity does not know.
    pub async fn group_of(&self, agency_id: Uuid) -> Result<Uuid, ApiError> {
        if let Some(group_id) = self.known.get(&agency_id).await {
            return Ok(group_id);
        }
        let context = CallContext::new(LOOKUP_BUDGET);
        let response = retry_unavailable(&context, || {
            let mut client = IdentityServiceClient::new(self.identity.clone());
            let request = context.request(GetAgenciesRequest { ids: vec![agency_id.to_string()] });
            async move { client.get_agencies(request).await }
        })
        .await
        .map_err(|status| ApiError::from_status(&status))?;
        let group_id = response
            .into_inner()
            .agencies
            .into_iter()
            .find(|agency| agency.id == agency_id.to_string())
            .and_then(|agency| Uuid::parse_str(&agency.group_id).ok())
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "agency not found"))?;
        self.known.insert(agency_id, group_id).await;
        Ok(group_id)
    }

    /// The agency as tenant checks need it: from the caller's own memberships
    /// (identity signed them into the token) when they name it, else from identity
    /// for admins, the only callers whose rights (and writes) depend on the group.
    /// Anyone else gets the nil group, which nobody administers.
    pub async fn agency_ref(&self, principal: &Principal, agency_id: Uuid) -> Result<AgencyRef, ApiError> {
        let from_membership = principal
            .memberships
            .iter()
            .find(|membership| membership.agency_id == Some(agency_id))
            .and_then(|membership| membership.group_id);
        let is_admin = principal.is_platform_admin()
            || principal.memberships.iter().any(|membership| membership.role == Role::GroupAdmin);
        let group_id = match from_membership {
            Some(group_id) => group_id,
            None if is_admin => self.group_of(agency_id).await?,
            None => Uuid::nil(),
        };
        Ok(AgencyRef { agency_id, group_id })
    }
}
