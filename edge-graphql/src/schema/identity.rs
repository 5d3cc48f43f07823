//! Accounts, organisations, agency applications and invitations (svc-identity).

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use nds_proto::identity::v1 as identity;

use super::paging::{PageInfo, connection_cost, page_info, page_request, timestamp};
use crate::clients::clients;
use crate::context::request_context;
use crate::error::GrpcResultExt;
use crate::expensive::{Work, expensive};
use crate::loaders::loaders;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Role {
    PlatformAdmin,
    GroupAdmin,
    AgencyManager,
    Salesperson,
    Buyer,
}

impl Role {
    fn from_wire(raw: i32) -> Option<Role> {
        match identity::Role::try_from(raw).ok()? {
            identity::Role::PlatformAdmin => Some(Role::PlatformAdmin),
            identity::Role::GroupAdmin => Some(Role::GroupAdmin),
            identity::Role::AgencyManager => Some(Role::AgencyManager),
            identity::Role::Salesperson => Some(Role::Salesperson),
            identity::Role::Buyer => Some(Role::Buyer),
            identity::Role::Unspecified => None,
        }
    }

    fn to_wire(self) -> identity::Role {
        match self {
            Role::PlatformAdmin => identity::Role::PlatformAdmin,
            Role::GroupAdmin => identity::Role::GroupAdmin,
            Role::AgencyManager => identity::Role::AgencyManager,
            Role::Salesperson => identity::Role::Salesperson,
            Role::Buyer => identity::Role::Buyer,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ApplicationStatus {
    Pending,
    Approved,
    Rejected,
}

impl ApplicationStatus {
    fn from_wire(raw: i32) -> ApplicationStatus {
        match identity::ApplicationStatus::try_from(raw) {
            Ok(identity::ApplicationStatus::Approved) => ApplicationStatus::Approved,
            Ok(identity::ApplicationStatus::Rejected) => ApplicationStatus::Rejected,
            Ok(identity::ApplicationStatus::Pending | identity::ApplicationStatus::Unspecified) | Err(_) => {
                ApplicationStatus::Pending
            }
        }
    }

    fn to_wire(self) -> identity::ApplicationStatus {
        match self {
            ApplicationStatus::Pending => identity::ApplicationStatus::Pending,
            ApplicationStatus::Approved => identity::ApplicationStatus::Approved,
            ApplicationStatus::Rejected => identity::ApplicationStatus::Rejected,
        }
    }
}

/// A role the user holds, in its scope.
#[derive(SimpleObject, Clone)]
pub struct Membership {
    pub role: Role,
    pub group_id: Option<ID>,
    pub agency_id: Option<ID>,
}

/// A person with an account.
pub struct User(pub identity::User);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Roles and their scopes.
    async fn memberships(&self) -> Vec<Membership> {
        self.0
            .memberships
            .iter()
            .filter_map(|membership| {
                Some(Membership {
                    role: Role::from_wire(membership.role)?,
                    group_id: (!membership.group_id.is_empty()).then(|| ID(membership.group_id.clone())),
                    agency_id: (!membership.agency_id.is_empty()).then(|| ID(membership.agency_id.clone())),
                })
            })
            .collect()
    }
    async fn suspended(&self) -> bool {
        self.0.suspended
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        timestamp(self.0.created_at_unix)
    }
}

/// A dealership, part of an automobile group.
pub struct Agency(pub identity::Agency);

#[Object]
impl Agency {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn group_id(&self) -> ID {
        ID(self.0.group_id.clone())
    }
    async fn city(&self) -> &str {
        &self.0.city
    }
    async fn state(&self) -> &str {
        &self.0.state
    }
    async fn suspended(&self) -> bool {
        self.0.suspended
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        timestamp(self.0.created_at_unix)
    }
}

/// Tokens of a signed-in session.
pub struct AuthPayload(pub identity::AuthPayload);

#[Object]
impl AuthPayload {
    /// Short-lived bearer token for `Authorization: Bearer …`.
    async fn access_token(&self) -> &str {
        &self.0.access_token
    }
    /// Opaque, single-use: `refreshSession` rotates it.
    async fn refresh_token(&self) -> &str {
        &self.0.refresh_token
    }
    async fn access_expires_at(&self) -> Option<DateTime<Utc>> {
        timestamp(self.0.access_expires_at_unix)
    }
    async fn user(&self) -> Option<User> {
        self.0.user.clone().map(User)
    }
}

/// A company's request to join as an agency, reviewed by a platform admin.
pub struct AgencyApplication(pub identity::AgencyApplication);

#[Object]
impl AgencyApplication {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn status(&self) -> ApplicationStatus {
        ApplicationStatus::from_wire(self.0.status)
    }
    async fn company_name(&self) -> &str {
        &self.0.company_name
    }
    async fn contact_name(&self) -> &str {
        &self.0.contact_name
    }
    async fn contact_email(&self) -> &str {
        &self.0.contact_email
    }
    async fn contact_phone(&self) -> &str {
        &self.0.contact_phone
    }
    async fn tax_id(&self) -> &str {
        &self.0.tax_id
    }
    async fn address(&self) -> &str {
        &self.0.address
    }
    async fn city(&self) -> &str {
        &self.0.city
    }
    async fn state(&self) -> &str {
        &self.0.state
    }
    async fn group_id(&self) -> Option<ID> {
        (!self.0.group_id.is_empty()).then(|| ID(self.0.group_id.clone()))
    }
    async fn group_name(&self) -> &str {
        &self.0.group_name
    }
    async fn expected_listings(&self) -> i32 {
        self.0.expected_listings
    }
    /// Set when rejected.
    async fn rejection_reason(&self) -> Option<&str> {
        (!self.0.rejection_reason.is_empty()).then_some(self.0.rejection_reason.as_str())
    }
    /// The agency created on approval.
    async fn agency(&self, context: &Context<'_>) -> async_graphql::Result<Option<Agency>> {
        if self.0.agency_id.is_empty() {
            return Ok(None);
        }
        Ok(loaders(context)?.agencies().load_one(self.0.agency_id.clone()).await?.map(Agency))
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        timestamp(self.0.created_at_unix)
    }
    async fn reviewed_at(&self) -> Option<DateTime<Utc>> {
        timestamp(self.0.reviewed_at_unix)
    }
}

#[derive(SimpleObject)]
pub struct AgencyApplicationEdge {
    pub cursor: String,
    pub node: AgencyApplication,
}

#[derive(SimpleObject)]
pub struct AgencyApplicationConnection {
    pub edges: Vec<AgencyApplicationEdge>,
    pub page_info: PageInfo,
    pub total_count: i64,
}

/// An invitation for a staff member to join an agency.
#[derive(SimpleObject)]
pub struct Invitation {
    pub id: ID,
    pub agency_id: ID,
    pub email: String,
    pub role: Role,
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was sent.
    pub created_at: Option<DateTime<Utc>>,
}

impl Invitation {
    fn with_role(invitation: identity::Invitation, role: Role) -> Invitation {
        Invitation {
            id: ID(invitation.id),
            agency_id: ID(invitation.agency_id),
            email: invitation.email,
            role,
            expires_at: timestamp(invitation.expires_at_unix),
            created_at: timestamp(invitation.created_at_unix),
        }
    }

    /// None for a role outside the contract (identity only invites staff roles).
    fn from_wire(invitation: identity::Invitation) -> Option<Invitation> {
        let role = Role::from_wire(invitation.role)?;
        Some(Invitation::with_role(invitation, role))
    }
}

#[derive(InputObject)]
pub struct SignUpInput {
    pub email: String,
    pub password: String,
    pub name: String,
}

#[derive(InputObject)]
pub struct AgencyApplicationInput {
    pub company_name: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: Option<String>,
    /// RFC (Mexican tax id) or equivalent.
    pub tax_id: String,
    pub address: String,
    pub city: String,
    pub state: String,
    /// Join an existing group…
    pub group_id: Option<ID>,
    /// …or name a new one.
    pub group_name: Option<String>,
    /// How many cars the agency expects to list.
    pub expected_listings: i32,
}

#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The signed-in user, or null when anonymous.
    async fn me(&self, context: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let request = request_context(context)?;
        if request.bearer_token.is_none() {
            return Ok(None);
        }
        let user = clients(context)?.identity().get_me(request.call.request(identity::GetMeRequest {})).await;
        Ok(Some(User(user.or_graphql()?)))
    }

    async fn agency(&self, context: &Context<'_>, id: ID) -> async_graphql::Result<Option<Agency>> {
        Ok(loaders(context)?.agencies().load_one(id.0).await?.map(Agency))
    }

    /// An agency's staff, by name (e.g. whom a lead can be assigned to): for its
    /// staff, its group's admins and platform admins.
    async fn agency_staff(&self, context: &Context<'_>, agency_id: ID) -> async_graphql::Result<Vec<User>> {
        let request = request_context(context)?;
        let message = identity::ListAgencyStaffRequest { agency_id: agency_id.0 };
        let response =
            clients(context)?.identity().list_agency_staff(request.call.request(message)).await.or_graphql()?;
        Ok(response.users.into_iter().map(User).collect())
    }

    /// An agency's invitations not yet accepted and not expired, newest first:
    /// for those who may invite its staff (its managers, its group's admins,
    /// platform admins).
    async fn pending_invitations(
        &self,
        context: &Context<'_>,
        agency_id: ID,
    ) -> async_graphql::Result<Vec<Invitation>> {
        let request = request_context(context)?;
        let message = identity::ListPendingInvitationsRequest { agency_id: agency_id.0 };
        let response =
            clients(context)?.identity().list_pending_invitations(request.call.request(message)).await.or_graphql()?;
        Ok(response.invitations.into_iter().filter_map(Invitation::from_wire).collect())
    }

    /// Platform admins: applications to review.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn agency_applications(
        &self,
        context: &Context<'_>,
        status: Option<ApplicationStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<AgencyApplicationConnection> {
        let request = request_context(context)?;
        let message = identity::ListAgencyApplicationsRequest {
            status: status.map(ApplicationStatus::to_wire).unwrap_or(identity::ApplicationStatus::Unspecified) as i32,
            page: Some(page_request(first, after)?),
        };
        let response =
            clients(context)?.identity().list_agency_applications(request.call.request(message)).await.or_graphql()?;
        let (page_info, total_count) = page_info(response.page_info.as_ref());
        Ok(AgencyApplicationConnection {
            edges: response
                .applications
                .into_iter()
                .map(|application| AgencyApplicationEdge {
                    cursor: application.id.clone(),
                    node: AgencyApplication(application),
                })
                .collect(),
            page_info,
            total_count,
        })
    }
}

#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Buyer sign-up.
    #[graphql(directive = expensive::apply(Work::PasswordHashOrMail))]
    async fn sign_up(&self, context: &Context<'_>, input: SignUpInput) -> async_graphql::Result<AuthPayload> {
        let request = request_context(context)?;
        let message = identity::SignUpRequest { email: input.email, password: input.password, name: input.name };
        Ok(AuthPayload(clients(context)?.identity().sign_up(request.call.request(message)).await.or_graphql()?))
    }

    #[graphql(directive = expensive::apply(Work::PasswordHashOrMail))]
    async fn log_in(
        &self,
        context: &Context<'_>,
        email: String,
        password: String,
    ) -> async_graphql::Result<AuthPayload> {
        let request = request_context(context)?;
        let message = identity::LogInRequest {
            email,
            password,
            client_address: request.client_address.map(|address| address.to_string()).unwrap_or_default(),
        };
        let clients = clients(context)?;
        let call = clients.relayed(&request.call).await;
        Ok(AuthPayload(clients.identity().log_in(call.request(message)).await.or_graphql()?))
    }

    /// Mails a single-use link to choose a new password (valid one hour) if the
    /// address has an account. Always true: the answer does not say whether it has.
    #[graphql(directive = expensive::apply(Work::PasswordHashOrMail))]
    async fn request_password_reset(&self, context: &Context<'_>, email: String) -> async_graphql::Result<bool> {
        let request = request_context(context)?;
        let message = identity::RequestPasswordResetRequest { email };
        clients(context)?.identity().request_password_reset(request.call.request(message)).await.or_graphql()?;
        Ok(true)
    }

    /// Sets a new password with the token of a reset link (once), ends every
    /// session of the account and signs in.
    #[graphql(directive = expensive::apply(Work::PasswordHashOrMail))]
    async fn reset_password(
        &self,
        context: &Context<'_>,
        token: String,
        new_password: String,
    ) -> async_graphql::Result<AuthPayload> {
        let request = request_context(context)?;
        let message = identity::ResetPasswordRequest { token, new_password };
        Ok(AuthPayload(clients(context)?.identity().reset_password(request.call.request(message)).await.or_graphql()?))
    }

    /// Signed-in users: a wrong current password counts as a failed log-in. Every
    /// other session ends; the answer is the new one.
    #[graphql(directive = expensive::apply(Work::PasswordHashOrMail))]
    async fn change_password(
        &self,
        context: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> async_graphql::Result<AuthPayload> {
        let request = request_context(context)?;
        let message = identity::ChangePasswordRequest {
            current_password,
            new_password,
            client_address: request.client_address.map(|address| address.to_string()).unwrap_or_default(),
        };
        let clients = clients(context)?;
        let call = clients.relayed(&request.call).await;
        Ok(AuthPayload(clients.identity().change_password(call.request(message)).await.or_graphql()?))
    }

    /// Rotates the refresh token: the old one stops working.
    async fn refresh_session(
        &self,
        context: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<AuthPayload> {
        let request = request_context(context)?;
        let message = identity::RefreshSessionRequest { refresh_token };
        Ok(AuthPayload(clients(context)?.identity().refresh_session(request.call.request(message)).await.or_graphql()?))
    }

    async fn log_out(&self, context: &Context<'_>, refresh_token: String) -> async_graphql::Result<bool> {
        let request = request_context(context)?;
        let message = identity::LogOutRequest { refresh_token };
        Ok(clients(context)?.identity().log_out(request.call.request(message)).await.or_graphql()?.revoked)
    }

    /// Anyone may apply; a platform admin reviews.
    #[graphql(directive = expensive::apply(Work::PasswordHashOrMail))]
    async fn apply_for_agency(
        &self,
        context: &Context<'_>,
        input: AgencyApplicationInput,
    ) -> async_graphql::Result<AgencyApplication> {
        let request = request_context(context)?;
        let application = identity::AgencyApplication {
            company_name: input.company_name,
            contact_name: input.contact_name,
            contact_email: input.contact_email,
            contact_phone: input.contact_phone.unwrap_or_default(),
            tax_id: input.tax_id,
            address: input.address,
            city: input.city,
            state: input.state,
            group_id: input.group_id.map(|id| id.0).unwrap_or_default(),
            group_name: input.group_name.unwrap_or_default(),
            expected_listings: input.expected_listings,
            ..identity::AgencyApplication::default()
        };
        let message = identity::ApplyForAgencyRequest { application: Some(application) };
        Ok(AgencyApplication(
            clients(context)?.identity().apply_for_agency(request.call.request(message)).await.or_graphql()?,
        ))
    }

    /// Platform admins; a reason is required to reject.
    #[graphql(directive = expensive::apply(Work::PasswordHashOrMail))]
    async fn review_agency_application(
        &self,
        context: &Context<'_>,
        id: ID,
        approve: bool,
        reason: Option<String>,
    ) -> async_graphql::Result<AgencyApplication> {
        let request = request_context(context)?;
        let message =
            identity::ReviewAgencyApplicationRequest { id: id.0, approve, reason: reason.unwrap_or_default() };
        let application =
            clients(context)?.identity().review_agency_application(request.call.request(message)).await.or_graphql()?;
        Ok(AgencyApplication(application))
    }

    #[graphql(directive = expensive::apply(Work::PasswordHashOrMail))]
    async fn invite_staff(
        &self,
        context: &Context<'_>,
        agency_id: ID,
        email: String,
        role: Role,
    ) -> async_graphql::Result<Invitation> {
        let request = request_context(context)?;
        let message = identity::InviteStaffRequest { agency_id: agency_id.0, email, role: role.to_wire() as i32 };
        let invitation = clients(context)?.identity().invite_staff(request.call.request(message)).await.or_graphql()?;
        let role = Role::from_wire(invitation.role).unwrap_or(role);
        Ok(Invitation::with_role(invitation, role))
    }

    #[graphql(directive = expensive::apply(Work::PasswordHashOrMail))]
    async fn accept_invitation(
        &self,
        context: &Context<'_>,
        token: String,
        name: String,
        password: String,
    ) -> async_graphql::Result<AuthPayload> {
        let request = request_context(context)?;
        let message = identity::AcceptInvitationRequest { token, name, password };
        Ok(AuthPayload(
            clients(context)?.identity().accept_invitation(request.call.request(message)).await.or_graphql()?,
        ))
    }
}
