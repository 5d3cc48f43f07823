//! Who to email about an agency's billing: its managers, from identity.

use std::time::Duration;

use nds_common::grpc::retry_unavailable;
use nds_proto::identity::v1::identity_service_client::IdentityServiceClient;
use nds_proto::identity::v1::{ListAgencyStaffRequest, Role};
use tonic::transport::Channel;
use uuid::Uuid;

use super::ServiceCredentials;
use crate::error::BillingError;

/// Identity's directory of agency staff, over gRPC.
#[derive(Clone)]
pub struct GrpcDirectory {
    channel: Channel,
    credentials: ServiceCredentials,
    budget: Duration,
}

impl GrpcDirectory {
    pub fn new(channel: Channel, credentials: ServiceCredentials, budget: Duration) -> Self {
        Self { channel, credentials, budget }
    }

    /// E-mail addresses of the agency's (not suspended) managers.
    pub async fn manager_emails(&self, agency_id: Uuid) -> Result<Vec<String>, BillingError> {
        let context = self.credentials.context(self.budget);
        let response = retry_unavailable(&context, || {
            let mut client = IdentityServiceClient::new(self.channel.clone());
            let request = context.request(ListAgencyStaffRequest { agency_id: agency_id.to_string() });
            async move { client.list_agency_staff(request).await }
        })
        .await?;
        let agency = agency_id.to_string();
        Ok(response
            .into_inner()
            .users
            .into_iter()
            .filter(|user| !user.suspended)
            .filter(|user| {
                user.memberships
                    .iter()
                    .any(|membership| membership.role == Role::AgencyManager as i32 && membership.agency_id == agency)
            })
            .map(|user| user.email)
            .collect())
    }
}
