//! `/users?email=`: platform admins find accounts by part of their e-mail
//! (`users`), see their roles and state, suspend one after a confirmation page and
//! reinstate it in one step (`suspendUser`; reinstating undoes, so it needs no
//! question). The search is a GET form: the URL holds it.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use nds_common::error::ErrorCode;

use super::admin::{Confirmation, confirmation_page, require_platform_admin};
use crate::edge::operations::{self, panel_find_users, panel_suspend_user};
use crate::error::{PageError, url_escape};
use crate::posted::Posted;
use crate::state::SharedState;
use crate::views::components::{NoticeKind, data_table, empty_state, notice};
use crate::views::form::{Field, FormErrors, InputKind, csrf_field};
use crate::views::{self, Page};
use crate::visitor::Visitor;

/// identity's own minimum: fewer characters would match most accounts.
const MIN_EMAIL: usize = 3;
const MAX_EMAIL: usize = 254;

type FoundUser = panel_find_users::PanelFindUsersUsers;

#[derive(serde::Deserialize, Default)]
pub struct UsersQuery {
    #[serde(default)]
    email: String,
    /// `suspended` or `reinstated`, after a change, with the account's id.
    done: Option<String>,
    user: Option<String>,
    /// `self`: the admin tried to suspend their own account.
    refused: Option<String>,
}

pub fn users_path(email: &str) -> String {
    format!("/users?email={}", url_escape(email))
}

pub async fn users_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<UsersQuery>,
) -> Result<Response, PageError> {
    require_platform_admin(&visitor)?;
    let text = &visitor.text().panel.admin;
    let email = query.email.trim().to_string();
    let mut errors = FormErrors::default();
    let searched = !email.is_empty();
    if searched && email.chars().count() < MIN_EMAIL {
        errors.field("email", text.email_too_short);
    }
    let users = if searched && errors.is_empty() { Some(find(&state, &visitor, &email).await?) } else { None };
    let note = note(&visitor, &query, users.as_deref().unwrap_or_default());
    let content = html! {
        h1 { (text.users_title) }
        p { (text.users_intro) }
        @if let Some(markup) = note { (markup) }
        form.search-form method="get" action="/users" role="search" novalidate {
            (Field::new("email", text.email_label, InputKind::Search, &email).hint(text.email_hint).max_length(MAX_EMAIL).render(&errors))
            button type="submit" { (text.search) }
        }
        @if let Some(users) = &users {
            @if users.is_empty() {
                (empty_state(&(text.no_users)(&email), None))
            } @else {
                p.small role="status" { ((text.users_found)(users.len())) }
                (data_table(text.users_caption, &[text.column_email, text.column_name, text.column_roles, text.column_state, text.column_actions], html! {
                    @for user in users { (row(&visitor, user, &email)) }
                }))
            }
        }
    };
    let mut page = Page::new(text.users_title.to_string(), content);
    if !errors.is_empty() {
        page = page.status(http::StatusCode::UNPROCESSABLE_ENTITY);
    }
    page.indexable = false;
    page.header_search = false;
    Ok(views::render(&state, &visitor, page))
}

async fn find(state: &SharedState, visitor: &Visitor, email: &str) -> Result<Vec<FoundUser>, PageError> {
    let variables = panel_find_users::Variables { email: email.to_string() };
    Ok(state.edge.run::<operations::PanelFindUsers>(visitor.caller(), variables).await?.users)
}

/// What just happened, named from the account as identity has it now.
fn note(visitor: &Visitor, query: &UsersQuery, users: &[FoundUser]) -> Option<Markup> {
    let text = &visitor.text().panel.admin;
    if query.refused.as_deref() == Some("self") {
        return Some(notice(text.cannot_suspend_self, NoticeKind::Error));
    }
    let user = users.iter().find(|user| Some(&user.id) == query.user.as_ref())?;
    let words = match query.done.as_deref()? {
        "suspended" if user.suspended => (text.user_suspended)(&user.email),
        "reinstated" if !user.suspended => (text.user_reinstated)(&user.email),
        _ => return None,
    };
    Some(notice(&words, NoticeKind::Success))
}

fn role_wire(role: &panel_find_users::Role) -> &str {
    use panel_find_users::Role;
    match role {
        Role::PLATFORM_ADMIN => "PLATFORM_ADMIN",
        Role::GROUP_ADMIN => "GROUP_ADMIN",
        Role::AGENCY_MANAGER => "AGENCY_MANAGER",
        Role::SALESPERSON => "SALESPERSON",
        Role::BUYER => "BUYER",
        Role::Other(other) => other,
    }
}

fn row(visitor: &Visitor, user: &FoundUser, email: &str) -> Markup {
    let text = &visitor.text().panel.admin;
    let panel = &visitor.text().panel;
    let mut roles: Vec<&str> =
        user.memberships.iter().map(|membership| (panel.role_name)(role_wire(&membership.role))).collect();
    roles.dedup();
    html! {
        tr id=(format!("user-{}", user.id)) {
            th scope="row" data-label=(text.column_email) { (user.email) }
            td data-label=(text.column_name) { (user.name) }
            td data-label=(text.column_roles) { @if roles.is_empty() { (text.no_roles) } @else { (roles.join(", ")) } }
            td data-label=(text.column_state) {
                @if user.suspended { span.badge.badge-danger { (text.state_suspended) } } @else { (text.state_active) }
            }
            td.row-actions {
                @if user.suspended {
                    form.inline method="post" action=(format!("/users/{}/reinstate", user.id)) {
                        (csrf_field(&visitor.csrf))
                        input type="hidden" name="email" value=(email);
                        button.secondary type="submit" { (text.reinstate) }
                    }
                } @else {
                    a href=(format!("/users/{}/suspend?email={}", user.id, url_escape(email))) { (text.suspend) }
                }
            }
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct SearchContext {
    #[serde(default)]
    email: String,
}

/// The question before suspending, about the account as identity has it (found
/// again by the search it came from; an id it does not return is the 404 page).
pub async fn confirm_suspend(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(context): Query<SearchContext>,
) -> Result<Response, PageError> {
    require_platform_admin(&visitor)?;
    let email = context.email.trim();
    if email.chars().count() < MIN_EMAIL {
        return Err(PageError::NotFound);
    }
    let users = find(&state, &visitor, email).await?;
    let user = users.iter().find(|user| user.id == id).ok_or(PageError::NotFound)?;
    let text = &visitor.text().panel.admin;
    let confirmation = Confirmation {
        question: (text.user_question)(&user.email),
        consequence: text.user_consequence,
        yes: text.user_yes,
        action: format!("/users/{}/suspend", user.id),
        carry: vec![("email", email.to_string())],
        back: users_path(email),
    };
    Ok(confirmation_page(&state, &visitor, confirmation))
}

pub async fn suspend(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Posted(context): Posted<SearchContext>,
) -> Result<Response, PageError> {
    set_suspended(&state, &visitor, id, true, context.email.trim()).await
}

pub async fn reinstate(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Posted(context): Posted<SearchContext>,
) -> Result<Response, PageError> {
    set_suspended(&state, &visitor, id, false, context.email.trim()).await
}

async fn set_suspended(
    state: &SharedState,
    visitor: &Visitor,
    id: String,
    suspended: bool,
    email: &str,
) -> Result<Response, PageError> {
    require_platform_admin(visitor)?;
    let variables = panel_suspend_user::Variables { user_id: id, suspended };
    let back = users_path(email);
    match state.edge.run::<operations::PanelSuspendUser>(visitor.caller(), variables).await {
        Ok(response) => {
            let done = if suspended { "suspended" } else { "reinstated" };
            let user = url_escape(&response.suspend_user.id);
            Ok(Redirect::to(&format!("{back}&done={done}&user={user}")).into_response())
        }
        Err(error) if error.is(ErrorCode::BadUserInput) && is_self_suspension(&error) => {
            Ok(Redirect::to(&format!("{back}&refused=self")).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

/// identity refuses a platform admin suspending their own account (a malformed
/// id is refused on the same field, and is the 400 page instead).
fn is_self_suspension(error: &crate::edge::EdgeError) -> bool {
    error.failures().iter().any(|failure| failure.message.contains("yourself"))
}
