//! The tonic adapter: authenticate, take the message, call the service, convert
//! (`crate::convert`).

use std::sync::Arc;

use nds_common::auth::{Authenticator, Principal};
use nds_common::error::to_status;
use nds_proto::common::v1::PageInfo;
use nds_proto::identity::v1 as proto;
use nds_proto::identity::v1::identity_service_server::IdentityService as IdentityApi;
use tonic::{Request, Response, Status};

use crate::convert;

use crate::domain::application::{ApplicationInput, Decision};
use crate::service::IdentityService;
use crate::service::invitations::AcceptInvitation;
use crate::service::orgs::{parse_id, parse_ids};
use crate::service::passwords::ChangePassword;
use crate::service::sessions::{LogIn, SignUp};

pub struct IdentityGrpc {
    service: Arc<IdentityService>,
    authenticator: Authenticator,
}

impl IdentityGrpc {
    pub fn new(service: Arc<IdentityService>, authenticator: Authenticator) -> IdentityGrpc {
        IdentityGrpc { service, authenticator }
    }

    /// The caller as of now (see `IdentityService::current_caller`); no token = anonymous.
    async fn caller<T>(&self, request: &Request<T>) -> Result<Option<Principal>, Status> {
        let principal = self.authenticator.authenticate(request.metadata()).await.map_err(to_status)?;
        self.service.current_caller(principal).await.map_err(to_status)
    }

    /// The client behind a request: the address the message names when the edge
    /// relays it (a service with the internal scope vouching in the relay
    /// metadata), otherwise the TCP peer. A direct caller cannot pick its address.
    async fn client_address<T>(&self, request: &Request<T>, named: &str) -> String {
        let relay = match self.authenticator.authenticate_relay(request.metadata()).await {
            Ok(relay) => relay,
            Err(error) => {
                tracing::warn!(error = %error, "relay credential refused; using the peer address");
                None
            }
        };
        if relay.as_ref().is_some_and(Principal::may_relay_clients)
            && let Ok(address) = named.trim().parse::<std::net::IpAddr>()
        {
            return address.to_canonical().to_string();
        }
        request.remote_addr().map(|peer| peer.ip().to_canonical().to_string()).unwrap_or_default()
    }

    /// The token's principal without the database re-check (CheckSession reports
    /// suspension instead of failing on it).
    async fn token_principal<T>(&self, request: &Request<T>) -> Result<Option<Principal>, Status> {
        self.authenticator.authenticate(request.metadata()).await.map_err(to_status)
    }
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl IdentityApi for IdentityGrpc {
    async fn sign_up(&self, request: Request<proto::SignUpRequest>) -> Answer<proto::AuthPayload> {
        let message = request.into_inner();
        let input = SignUp { email: message.email, password: message.password, name: message.name };
        let session = self.service.sign_up(input).await.map_err(to_status)?;
        Ok(Response::new(convert::auth_payload(&session)))
    }

    async fn log_in(&self, request: Request<proto::LogInRequest>) -> Answer<proto::AuthPayload> {
        let client_address = self.client_address(&request, &request.get_ref().client_address).await;
        let message = request.into_inner();
        let input = LogIn { email: message.email, password: message.password, client_address };
        let session = self.service.log_in(input).await.map_err(to_status)?;
        Ok(Response::new(convert::auth_payload(&session)))
    }

    async fn request_password_reset(
        &self,
        request: Request<proto::RequestPasswordResetRequest>,
    ) -> Answer<proto::RequestPasswordResetResponse> {
        self.service.request_password_reset(&request.into_inner().email).await.map_err(to_status)?;
        Ok(Response::new(proto::RequestPasswordResetResponse {}))
    }

    async fn reset_password(&self, request: Request<proto::ResetPasswordRequest>) -> Answer<proto::AuthPayload> {
        let message = request.into_inner();
        let session = self.service.reset_password(&message.token, &message.new_password).await.map_err(to_status)?;
        Ok(Response::new(convert::auth_payload(&session)))
    }

    async fn change_password(&self, request: Request<proto::ChangePasswordRequest>) -> Answer<proto::AuthPayload> {
        let caller = self.caller(&request).await?;
        let client_address = self.client_address(&request, &request.get_ref().client_address).await;
        let message = request.into_inner();
        let input = ChangePassword {
            current_password: message.current_password,
            new_password: message.new_password,
            client_address,
        };
        let session = self.service.change_password(caller, input).await.map_err(to_status)?;
        Ok(Response::new(convert::auth_payload(&session)))
    }

    async fn refresh_session(&self, request: Request<proto::RefreshSessionRequest>) -> Answer<proto::AuthPayload> {
        let session = self.service.refresh(request.into_inner().refresh_token.trim()).await.map_err(to_status)?;
        Ok(Response::new(convert::auth_payload(&session)))
    }

    async fn log_out(&self, request: Request<proto::LogOutRequest>) -> Answer<proto::LogOutResponse> {
        let revoked = self.service.log_out(request.into_inner().refresh_token.trim()).await.map_err(to_status)?;
        Ok(Response::new(proto::LogOutResponse { revoked }))
    }

    async fn issue_service_token(
        &self,
        request: Request<proto::IssueServiceTokenRequest>,
    ) -> Answer<proto::AuthPayload> {
        let message = request.into_inner();
        let session = self
            .service
            .issue_service_token(&message.client_id, &message.client_secret, &message.scopes)
            .await
            .map_err(to_status)?;
        Ok(Response::new(convert::auth_payload(&session)))
    }

    async fn get_jwks(&self, _request: Request<proto::GetJwksRequest>) -> Answer<proto::GetJwksResponse> {
        let jwks_json = self.service.keys.jwks_json().await.map_err(to_status)?;
        Ok(Response::new(proto::GetJwksResponse { jwks_json }))
    }

    async fn get_me(&self, request: Request<proto::GetMeRequest>) -> Answer<proto::User> {
        let caller = self.caller(&request).await?;
        let user = self.service.get_me(caller).await.map_err(to_status)?;
        Ok(Response::new(convert::user(&user)))
    }

    async fn check_session(&self, request: Request<proto::CheckSessionRequest>) -> Answer<proto::CheckSessionResponse> {
        let principal = self.token_principal(&request).await?;
        let status = self.service.check_session(principal).await.map_err(to_status)?;
        Ok(Response::new(proto::CheckSessionResponse {
            active: status.active,
            suspended_agency_ids: status.suspended_agency_ids.iter().map(ToString::to_string).collect(),
        }))
    }

    async fn get_users(&self, request: Request<proto::GetUsersRequest>) -> Answer<proto::GetUsersResponse> {
        let caller = self.caller(&request).await?;
        let ids = parse_ids(&request.into_inner().ids, "ids").map_err(to_status)?;
        let users = self.service.get_users(caller, &ids).await.map_err(to_status)?;
        Ok(Response::new(proto::GetUsersResponse { users: users.iter().map(convert::user).collect() }))
    }

    async fn get_agencies(&self, request: Request<proto::GetAgenciesRequest>) -> Answer<proto::GetAgenciesResponse> {
        let ids = parse_ids(&request.into_inner().ids, "ids").map_err(to_status)?;
        let agencies = self.service.get_agencies(&ids).await.map_err(to_status)?;
        Ok(Response::new(proto::GetAgenciesResponse { agencies: agencies.iter().map(convert::agency).collect() }))
    }

    async fn get_group(&self, request: Request<proto::GetGroupRequest>) -> Answer<proto::Group> {
        let id = parse_id(&request.into_inner().id, "id").map_err(to_status)?;
        let group = self.service.get_group(id).await.map_err(to_status)?;
        Ok(Response::new(convert::group(&group)))
    }

    async fn list_agency_staff(
        &self,
        request: Request<proto::ListAgencyStaffRequest>,
    ) -> Answer<proto::ListAgencyStaffResponse> {
        let caller = self.caller(&request).await?;
        let agency_id = parse_id(&request.into_inner().agency_id, "agencyId").map_err(to_status)?;
        let users = self.service.list_agency_staff(caller, agency_id).await.map_err(to_status)?;
        Ok(Response::new(proto::ListAgencyStaffResponse { users: users.iter().map(convert::user).collect() }))
    }

    async fn suspend_agency(&self, request: Request<proto::SuspendAgencyRequest>) -> Answer<proto::Agency> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let agency_id = parse_id(&message.agency_id, "agencyId").map_err(to_status)?;
        let agency = self.service.suspend_agency(caller, agency_id, message.suspended).await.map_err(to_status)?;
        Ok(Response::new(convert::agency(&agency)))
    }

    async fn suspend_user(&self, request: Request<proto::SuspendUserRequest>) -> Answer<proto::User> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let user_id = parse_id(&message.user_id, "userId").map_err(to_status)?;
        let user = self.service.suspend_user(caller, user_id, message.suspended).await.map_err(to_status)?;
        Ok(Response::new(convert::user(&user)))
    }

    async fn grant_group_admin(&self, request: Request<proto::GrantGroupAdminRequest>) -> Answer<proto::User> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let user_id = parse_id(&message.user_id, "userId").map_err(to_status)?;
        let group_id = parse_id(&message.group_id, "groupId").map_err(to_status)?;
        let user = self.service.grant_group_admin(caller, user_id, group_id).await.map_err(to_status)?;
        Ok(Response::new(convert::user(&user)))
    }

    async fn find_users(&self, request: Request<proto::FindUsersRequest>) -> Answer<proto::FindUsersResponse> {
        let caller = self.caller(&request).await?;
        let users = self.service.find_users(caller, &request.into_inner().email).await.map_err(to_status)?;
        Ok(Response::new(proto::FindUsersResponse { users: users.iter().map(convert::user).collect() }))
    }

    async fn list_groups(&self, request: Request<proto::ListGroupsRequest>) -> Answer<proto::ListGroupsResponse> {
        let caller = self.caller(&request).await?;
        let page = request.into_inner().page.unwrap_or_default();
        let result = self.service.list_groups(caller, page.first, &page.after).await.map_err(to_status)?;
        Ok(Response::new(proto::ListGroupsResponse {
            groups: result
                .groups
                .iter()
                .map(|(group, agencies)| proto::GroupWithAgencies {
                    group: Some(convert::group(group)),
                    agencies: agencies.iter().map(convert::agency).collect(),
                })
                .collect(),
            page_info: Some(PageInfo {
                has_next_page: result.has_next_page,
                end_cursor: result.end_cursor,
                total_count: result.total_count,
            }),
        }))
    }

    async fn list_audit_log(
        &self,
        request: Request<proto::ListAuditLogRequest>,
    ) -> Answer<proto::ListAuditLogResponse> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let page = message.page.unwrap_or_default();
        let result =
            self.service.list_audit_log(caller, &message.action, page.first, &page.after).await.map_err(to_status)?;
        Ok(Response::new(proto::ListAuditLogResponse {
            entries: result.entries.iter().map(convert::audit_entry).collect(),
            page_info: Some(PageInfo {
                has_next_page: result.has_next_page,
                end_cursor: result.end_cursor,
                total_count: result.total_count,
            }),
        }))
    }

    async fn apply_for_agency(
        &self,
        request: Request<proto::ApplyForAgencyRequest>,
    ) -> Answer<proto::AgencyApplication> {
        let application = request.into_inner().application.unwrap_or_default();
        let input = ApplicationInput {
            company_name: application.company_name,
            contact_name: application.contact_name,
            contact_email: application.contact_email,
            contact_phone: application.contact_phone,
            tax_id: application.tax_id,
            address: application.address,
            city: application.city,
            state: application.state,
            group_id: application.group_id,
            group_name: application.group_name,
            expected_listings: application.expected_listings,
        };
        let stored = self.service.apply_for_agency(&input).await.map_err(to_status)?;
        Ok(Response::new(convert::application(&stored)))
    }

    async fn list_agency_applications(
        &self,
        request: Request<proto::ListAgencyApplicationsRequest>,
    ) -> Answer<proto::ListAgencyApplicationsResponse> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let status = convert::status_filter(message.status).map_err(to_status)?;
        let page = message.page.unwrap_or_default();
        let result =
            self.service.list_applications(caller, status, page.first, &page.after).await.map_err(to_status)?;
        Ok(Response::new(proto::ListAgencyApplicationsResponse {
            applications: result.applications.iter().map(convert::application).collect(),
            page_info: Some(PageInfo {
                has_next_page: result.has_next_page,
                end_cursor: result.end_cursor,
                total_count: result.total_count,
            }),
        }))
    }

    async fn review_agency_application(
        &self,
        request: Request<proto::ReviewAgencyApplicationRequest>,
    ) -> Answer<proto::AgencyApplication> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let id = parse_id(&message.id, "id").map_err(to_status)?;
        let decision = Decision::parse(message.approve, &message.reason).map_err(to_status)?;
        let reviewed = self.service.review_application(caller, id, decision).await.map_err(to_status)?;
        Ok(Response::new(convert::application(&reviewed)))
    }

    async fn invite_staff(&self, request: Request<proto::InviteStaffRequest>) -> Answer<proto::Invitation> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let agency_id = parse_id(&message.agency_id, "agencyId").map_err(to_status)?;
        let role = convert::role_from_proto(message.role).map_err(to_status)?;
        let invitation = self.service.invite_staff(caller, agency_id, &message.email, role).await.map_err(to_status)?;
        Ok(Response::new(convert::invitation(&invitation)))
    }

    async fn list_pending_invitations(
        &self,
        request: Request<proto::ListPendingInvitationsRequest>,
    ) -> Answer<proto::ListPendingInvitationsResponse> {
        let caller = self.caller(&request).await?;
        let agency_id = parse_id(&request.into_inner().agency_id, "agencyId").map_err(to_status)?;
        let rows = self.service.pending_invitations(caller, agency_id).await.map_err(to_status)?;
        Ok(Response::new(proto::ListPendingInvitationsResponse {
            invitations: rows.iter().map(convert::invitation).collect(),
        }))
    }

    async fn accept_invitation(&self, request: Request<proto::AcceptInvitationRequest>) -> Answer<proto::AuthPayload> {
        let message = request.into_inner();
        let input = AcceptInvitation { token: message.token, name: message.name, password: message.password };
        let session = self.service.accept_invitation(input).await.map_err(to_status)?;
        Ok(Response::new(convert::auth_payload(&session)))
    }

    async fn get_metrics(&self, request: Request<proto::GetMetricsRequest>) -> Answer<proto::GetMetricsResponse> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();
        let scope = nds_common::convert::metrics_scope_from_wire(message.scope)?;
        let range = message.range.unwrap_or_default();
        let interval = nds_common::convert::metrics_interval_from_wire(message.interval)?;
        let (metrics, series) = self
            .service
            .get_metrics(caller, scope, range.from_unix, range.to_unix, interval)
            .await
            .map_err(to_status)?;
        let to_wire = |metric: crate::service::metrics::MetricValue| nds_proto::common::v1::Metric {
            name: metric.name.to_string(),
            value: metric.value,
            label: metric.label,
        };
        Ok(Response::new(proto::GetMetricsResponse {
            metrics: metrics.into_iter().map(to_wire).collect(),
            buckets: nds_common::convert::metrics_series_to_wire(series.map(|series| series.map(to_wire))),
        }))
    }
}
