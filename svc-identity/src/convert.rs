//! Service answers to wire messages and wire enums to domain values.

use nds_common::auth::{Membership, Role};
use nds_proto::identity::v1 as proto;

use crate::error::IdentityError;
use crate::service::admin::AuditView;
use crate::service::views::{SessionTokens, UserView};
use crate::store::entities::{agency, application, group, invitation};

pub fn role_to_proto(role: Role) -> proto::Role {
    match role {
        Role::PlatformAdmin => proto::Role::PlatformAdmin,
        Role::GroupAdmin => proto::Role::GroupAdmin,
        Role::AgencyManager => proto::Role::AgencyManager,
        Role::Salesperson => proto::Role::Salesperson,
        Role::Buyer => proto::Role::Buyer,
    }
}

pub fn role_from_proto(raw: i32) -> Result<Role, IdentityError> {
    match proto::Role::try_from(raw) {
        Ok(proto::Role::PlatformAdmin) => Ok(Role::PlatformAdmin),
        Ok(proto::Role::GroupAdmin) => Ok(Role::GroupAdmin),
        Ok(proto::Role::AgencyManager) => Ok(Role::AgencyManager),
        Ok(proto::Role::Salesperson) => Ok(Role::Salesperson),
        Ok(proto::Role::Buyer) => Ok(Role::Buyer),
        Ok(proto::Role::Unspecified) | Err(_) => Err(IdentityError::invalid("role", "role is required")),
    }
}

pub fn status_to_proto(status: &str) -> proto::ApplicationStatus {
    match status {
        "PENDING" => proto::ApplicationStatus::Pending,
        "APPROVED" => proto::ApplicationStatus::Approved,
        "REJECTED" => proto::ApplicationStatus::Rejected,
        _ => proto::ApplicationStatus::Unspecified,
    }
}

/// `None` for UNSPECIFIED (no filter).
pub fn status_filter(raw: i32) -> Result<Option<&'static str>, IdentityError> {
    match proto::ApplicationStatus::try_from(raw) {
        Ok(proto::ApplicationStatus::Unspecified) => Ok(None),
        Ok(proto::ApplicationStatus::Pending) => Ok(Some("PENDING")),
        Ok(proto::ApplicationStatus::Approved) => Ok(Some("APPROVED")),
        Ok(proto::ApplicationStatus::Rejected) => Ok(Some("REJECTED")),
        Err(_) => Err(IdentityError::invalid("status", "unknown application status")),
    }
}

fn membership(membership: &Membership) -> proto::Membership {
    proto::Membership {
        role: role_to_proto(membership.role) as i32,
        group_id: membership.group_id.map(|id| id.to_string()).unwrap_or_default(),
        agency_id: membership.agency_id.map(|id| id.to_string()).unwrap_or_default(),
    }
}

pub fn user(view: &UserView) -> proto::User {
    proto::User {
        id: view.id.to_string(),
        email: view.email.clone(),
        name: view.name.clone(),
        memberships: view.memberships.iter().map(membership).collect(),
        suspended: view.suspended,
        created_at_unix: view.created_at,
    }
}

pub fn auth_payload(session: &SessionTokens) -> proto::AuthPayload {
    proto::AuthPayload {
        access_token: session.access_token.clone(),
        refresh_token: session.refresh_token.clone(),
        access_expires_at_unix: session.access_expires_at,
        user: session.user.as_ref().map(user),
    }
}

pub fn agency(row: &agency::Model) -> proto::Agency {
    proto::Agency {
        id: row.id.to_string(),
        group_id: row.group_id.to_string(),
        name: row.name.clone(),
        city: row.city.clone(),
        state: row.state.clone(),
        suspended: row.suspended,
        created_at_unix: row.created_at,
    }
}

pub fn group(row: &group::Model) -> proto::Group {
    proto::Group { id: row.id.to_string(), name: row.name.clone(), created_at_unix: row.created_at }
}

pub fn application(row: &application::Model) -> proto::AgencyApplication {
    proto::AgencyApplication {
        id: row.id.to_string(),
        status: status_to_proto(&row.status) as i32,
        company_name: row.company_name.clone(),
        contact_name: row.contact_name.clone(),
        contact_email: row.contact_email.clone(),
        contact_phone: row.contact_phone.clone(),
        tax_id: row.tax_id.clone(),
        address: row.address.clone(),
        city: row.city.clone(),
        state: row.state.clone(),
        group_id: row.group_id.map(|id| id.to_string()).unwrap_or_default(),
        group_name: row.group_name.clone().unwrap_or_default(),
        expected_listings: row.expected_listings,
        rejection_reason: row.rejection_reason.clone().unwrap_or_default(),
        agency_id: row.agency_id.map(|id| id.to_string()).unwrap_or_default(),
        created_at_unix: row.created_at,
        reviewed_at_unix: row.reviewed_at.unwrap_or_default(),
    }
}

pub fn invitation(row: &invitation::Model) -> proto::Invitation {
    proto::Invitation {
        id: row.id.to_string(),
        agency_id: row.agency_id.to_string(),
        email: row.email.clone(),
        role: crate::domain::roles::parse_role(&row.role).map(role_to_proto).unwrap_or(proto::Role::Unspecified) as i32,
        expires_at_unix: row.expires_at,
        created_at_unix: row.created_at,
    }
}

pub fn audit_entry(view: &AuditView) -> nds_proto::common::v1::AuditEntry {
    nds_common::audit::to_wire(&view.entry, view.actor_email.clone(), view.target_label.clone())
}
