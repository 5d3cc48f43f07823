//! An agency's people (`agencyStaff`, `pendingInvitations`, `inviteStaff`): who
//! works there, who was invited and has not joined yet, and an invitation form
//! for those who may invite (identity's ManageStaff rule: the agency's managers,
//! its group's admins, platform admins; identity refuses anyone else).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use nds_common::error::ErrorCode;

use crate::edge::operations::{self, panel_invite_staff, panel_staff_page};
use crate::edge::wire_name;
use crate::error::{PageError, path_id, url_escape};
use crate::i18n::format;
use crate::posted::Posted;
use crate::state::SharedState;
use crate::validate;
use crate::views::components::{NoticeKind, notice};
use crate::views::form::{Field, FormErrors, InputKind, Select, csrf_field, form_summary};
use crate::views::{self, Page};
use crate::visitor::Visitor;

/// Roles an agency invites, as the API names them.
const INVITABLE: [&str; 2] = ["SALESPERSON", "AGENCY_MANAGER"];

pub fn staff_path(agency_id: &str) -> String {
    format!("/agencies/{agency_id}/staff")
}

/// Whether the page offers the invitation form (identity decides in the end).
fn may_invite(visitor: &Visitor, agency_id: &str, group_id: &str) -> bool {
    super::is_platform_admin(visitor)
        || visitor.has_membership(|membership| match membership.role.as_str() {
            "AGENCY_MANAGER" => membership.agency_id.as_deref() == Some(agency_id),
            "GROUP_ADMIN" => membership.group_id.as_deref() == Some(group_id),
            _ => false,
        })
}

#[derive(serde::Deserialize, Default)]
pub struct StaffQuery {
    /// The address just invited, for the note.
    invited: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

pub async fn staff_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
    Query(query): Query<StaffQuery>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let id = path_id(&raw_id)?;
    render(&state, &visitor, &id, query.invited.as_deref(), &InviteForm::default(), &FormErrors::default()).await
}

async fn render(
    state: &SharedState,
    visitor: &Visitor,
    id: &str,
    invited: Option<&str>,
    form: &InviteForm,
    errors: &FormErrors,
) -> Result<Response, PageError> {
    let variables = panel_staff_page::Variables { agency: id.to_string() };
    let response = state.edge.run::<operations::PanelStaffPage>(visitor.caller(), variables).await?;
    let agency = response.agency.ok_or(PageError::NotFound)?;
    let text = &visitor.text().panel.staff;
    let roles = &visitor.text().panel.role_name;
    let lang = visitor.lang;
    let role_options: Vec<(&str, &str)> = INVITABLE.iter().map(|role| (*role, roles(role))).collect();
    let selected_role = if form.role.is_empty() { INVITABLE[0] } else { form.role.as_str() };
    let content = html! {
        div.panel-staff {
            h1 { ((text.title)(&agency.name)) }
            @if let Some(email) = invited { (notice(&(text.invited)(email), NoticeKind::Success)) }
            section aria-labelledby="staff" {
                h2 #staff { (text.staff_heading) }
                @if response.agency_staff.is_empty() {
                    p { (text.no_staff) }
                } @else {
                    ul.staff-list {
                        @for person in &response.agency_staff {
                            li data-staff-email=(person.email) {
                                strong { (person.name) } " · " (person.email)
                                @for membership in person.memberships.iter().filter(|membership| membership.agency_id.as_deref() == Some(id)) {
                                    " · " (roles(&wire_name(&membership.role)))
                                }
                                @if person.suspended { " · " span.badge.status-archived { (text.suspended) } }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="pending" {
                h2 #pending { (text.pending_heading) }
                @if response.pending_invitations.is_empty() {
                    p.no-pending { (text.no_pending) }
                } @else {
                    ul.pending-list {
                        @for invitation in &response.pending_invitations {
                            li data-invited-email=(invitation.email) {
                                strong { (invitation.email) } " · " (roles(&wire_name(&invitation.role)))
                                br;
                                span.small {
                                    ((text.sent)(
                                        &format::api_date(invitation.created_at.as_deref(), lang),
                                        &format::api_date(invitation.expires_at.as_deref(), lang),
                                    ))
                                }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="invite" {
                h2 #invite { (text.invite_heading) }
                @if may_invite(visitor, id, &agency.group_id) {
                    p.small { (text.invite_intro) }
                    (form_summary(errors, visitor.text().errors.form_has_errors))
                    form method="post" action=(staff_path(id)) novalidate {
                        (csrf_field(&visitor.csrf))
                        (Field::new("email", text.email, InputKind::Email, &form.email).max_length(254).render(errors))
                        (Select::new("role", text.role, role_options, selected_role).render(errors))
                        button type="submit" { (text.invite_button) }
                    }
                } @else {
                    p.small { (text.read_only) }
                }
            }
        }
    };
    let status = if errors.is_empty() { http::StatusCode::OK } else { http::StatusCode::UNPROCESSABLE_ENTITY };
    let mut page = Page::new((text.title)(&agency.name), content).status(status);
    page.indexable = false;
    page.header_search = false;
    Ok(views::render(state, visitor, page))
}

/// Sends an invitation; identity checks the address, the role and the right to invite.
pub async fn invite(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
    Posted(form): Posted<InviteForm>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let id = path_id(&raw_id)?;
    let lang = visitor.lang;
    let mut errors = FormErrors::default();
    let email = validate::email(&mut errors, lang, "email", &form.email);
    let role = INVITABLE.iter().find(|role| **role == form.role).copied();
    if role.is_none() {
        errors.field("role", lang.text().fields.required);
    }
    let (Some(role), true) = (role, errors.is_empty()) else {
        return render(&state, &visitor, &id, None, &form, &errors).await;
    };
    let role = match role {
        "AGENCY_MANAGER" => panel_invite_staff::Role::AGENCY_MANAGER,
        _ => panel_invite_staff::Role::SALESPERSON,
    };
    let variables = panel_invite_staff::Variables { agency: id.clone(), email: email.clone(), role };
    match state.edge.run::<operations::PanelInviteStaff>(visitor.caller(), variables).await {
        Ok(_) => Ok(Redirect::to(&format!("{}?invited={}", staff_path(&id), url_escape(&email))).into_response()),
        Err(error) if error.is(ErrorCode::BadUserInput) => {
            validate::field_errors(&error, lang, &[("email", "email"), ("role", "role")], &mut errors);
            if errors.is_empty() {
                errors.form = Some(error.to_string());
            }
            render(&state, &visitor, &id, None, &form, &errors).await
        }
        Err(error) => Err(error.into()),
    }
}
