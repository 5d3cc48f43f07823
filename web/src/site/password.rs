//! Forgotten and changed passwords: the link identity mails
//! (`/password/reset?token=…`), the form that asks for it, and the signed-in
//! change. Each ends every other session, so the new session replaces this one.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;
use nds_common::error::ErrorCode;

use super::account::start_session;
use crate::edge::operations;
use crate::error::PageError;
use crate::posted::Posted;
use crate::session::SignedIn;
use crate::state::SharedState;
use crate::validate;
use crate::views::form::{Field, FormErrors, InputKind, csrf_field, form_summary};
use crate::views::{self, Page};
use crate::visitor::Visitor;

/// Tokens are opaque: anything this long is not one.
const MAX_TOKEN: usize = 512;

/// Identity has revoked every refresh token of the person; their sessions on
/// this site end now too (on every replica), and this browser gets a new one.
async fn replace_every_session(state: &SharedState, signed_in: SignedIn, next: &str) -> Result<Response, PageError> {
    if let Some(user) = &signed_in.user {
        state.sessions.end_all_for_user(&user.id).await;
    }
    start_session(state, signed_in, next).await
}

#[derive(serde::Deserialize, Default)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn forgot_page(State(state): State<SharedState>, visitor: Visitor) -> Response {
    forgot_form(&state, &visitor, &ForgotForm::default(), &FormErrors::default(), false)
}

fn forgot_form(state: &SharedState, visitor: &Visitor, form: &ForgotForm, errors: &FormErrors, sent: bool) -> Response {
    let text = visitor.text();
    let content = html! {
        div.form {
            h1 { (text.account.forgot_title) }
            @if sent {
                div.notice.notice-success role="status" { p { (text.account.forgot_sent) } }
            } @else {
                p { (text.account.forgot_intro) }
            }
            (form_summary(errors, text.errors.form_has_errors))
            form method="post" action="/password/forgot" novalidate {
                (csrf_field(&visitor.csrf))
                (Field::new("email", text.fields.email, InputKind::Email, &form.email).max_length(validate::MAX_EMAIL).render(errors))
                button type="submit" { (text.account.forgot_button) }
            }
            p { a href="/login" { (text.account.log_in_title) } }
        }
    };
    let status = if errors.is_empty() { http::StatusCode::OK } else { http::StatusCode::UNPROCESSABLE_ENTITY };
    views::render(state, visitor, Page::new(text.account.forgot_title.to_string(), content).status(status))
}

/// Answers the same whether or not the address has an account.
pub async fn request_reset(
    State(state): State<SharedState>,
    visitor: Visitor,
    Posted(form): Posted<ForgotForm>,
) -> Result<Response, PageError> {
    let lang = visitor.lang;
    let mut errors = FormErrors::default();
    let email = validate::email(&mut errors, lang, "email", &form.email);
    if !errors.is_empty() {
        return Ok(forgot_form(&state, &visitor, &form, &errors, false));
    }
    let variables = operations::request_password_reset::Variables { email };
    match state.edge.run::<operations::RequestPasswordReset>(visitor.anonymous_caller(), variables).await {
        Ok(_) => Ok(forgot_form(&state, &visitor, &form, &errors, true)),
        Err(error) if error.is(ErrorCode::BadUserInput) => {
            validate::field_errors(&error, lang, &[("email", "email")], &mut errors);
            Ok(forgot_form(&state, &visitor, &form, &errors, false))
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(serde::Deserialize, Default)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

pub async fn reset_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<TokenQuery>,
) -> Response {
    let form = ResetForm { token: query.token.chars().take(MAX_TOKEN).collect(), ..ResetForm::default() };
    let mut errors = FormErrors::default();
    if form.token.trim().is_empty() {
        errors.form = Some(visitor.text().account.reset_bad_token.to_string());
    }
    reset_form(&state, &visitor, &form, &errors)
}

fn reset_form(state: &SharedState, visitor: &Visitor, form: &ResetForm, errors: &FormErrors) -> Response {
    let text = visitor.text();
    let content = html! {
        div.form {
            h1 { (text.account.reset_title) }
            (form_summary(errors, text.errors.form_has_errors))
            form method="post" action="/password/reset" novalidate {
                (csrf_field(&visitor.csrf))
                input type="hidden" name="token" value=(form.token);
                (Field::new("password", text.fields.new_password, InputKind::NewPassword, "").hint(text.fields.password_hint).render(errors))
                button type="submit" { (text.account.reset_button) }
            }
            p { a href="/password/forgot" { (text.account.forgot_link) } }
        }
    };
    let status = if errors.is_empty() { http::StatusCode::OK } else { http::StatusCode::UNPROCESSABLE_ENTITY };
    views::render(state, visitor, Page::new(text.account.reset_title.to_string(), content).status(status))
}

pub async fn reset(
    State(state): State<SharedState>,
    visitor: Visitor,
    Posted(form): Posted<ResetForm>,
) -> Result<Response, PageError> {
    let lang = visitor.lang;
    let mut errors = FormErrors::default();
    let new_password = validate::new_password(&mut errors, lang, "password", &form.password);
    let token = form.token.trim().to_string();
    if token.is_empty() || token.len() > MAX_TOKEN {
        errors.form = Some(lang.text().account.reset_bad_token.to_string());
    }
    if !errors.is_empty() {
        return Ok(reset_form(&state, &visitor, &form, &errors));
    }
    let variables = operations::reset_password::Variables { token, new_password };
    match state.edge.run::<operations::ResetPassword>(visitor.anonymous_caller(), variables).await {
        Ok(response) => {
            // Whoever was signed in on this browser is replaced by the account just reset.
            if let Some(session) = &visitor.session {
                state.sessions.delete(&session.id).await;
            }
            replace_every_session(&state, SignedIn::from(response.reset_password), "/account?reset=1").await
        }
        Err(error) if error.failures().iter().any(|failure| failure.field.as_deref() == Some("new_password")) => {
            validate::field_errors(&error, lang, &[("new_password", "password")], &mut errors);
            Ok(reset_form(&state, &visitor, &form, &errors))
        }
        Err(error)
            if error.is(ErrorCode::BadUserInput)
                || error.is(ErrorCode::NotFound)
                || error.is(ErrorCode::Unauthenticated) =>
        {
            // Unknown, used and expired links answer alike.
            errors.form = Some(lang.text().account.reset_bad_token.to_string());
            Ok(reset_form(&state, &visitor, &form, &errors))
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct ChangeForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
}

pub async fn change_page(State(state): State<SharedState>, visitor: Visitor) -> Result<Response, PageError> {
    visitor.require_session()?;
    Ok(change_form(&state, &visitor, &FormErrors::default()))
}

fn change_form(state: &SharedState, visitor: &Visitor, errors: &FormErrors) -> Response {
    let text = visitor.text();
    let content = html! {
        div.form {
            h1 { (text.account.change_password_title) }
            (form_summary(errors, text.errors.form_has_errors))
            form method="post" action="/account/password" novalidate {
                (csrf_field(&visitor.csrf))
                (Field::new("current_password", text.fields.current_password, InputKind::Password, "").render(errors))
                (Field::new("password", text.fields.new_password, InputKind::NewPassword, "").hint(text.fields.password_hint).render(errors))
                button type="submit" { (text.account.change_password_button) }
            }
            p { a href="/password/forgot" { (text.account.forgot_link) } }
        }
    };
    let status = if errors.is_empty() { http::StatusCode::OK } else { http::StatusCode::UNPROCESSABLE_ENTITY };
    views::render(state, visitor, Page::new(text.account.change_password_title.to_string(), content).status(status))
}

pub async fn change(
    State(state): State<SharedState>,
    visitor: Visitor,
    Posted(form): Posted<ChangeForm>,
) -> Result<Response, PageError> {
    let session = visitor.require_session()?;
    let lang = visitor.lang;
    let mut errors = FormErrors::default();
    if form.current_password.is_empty() {
        errors.field("current_password", lang.text().fields.required);
    }
    let new_password = validate::new_password(&mut errors, lang, "password", &form.password);
    if !errors.is_empty() {
        return Ok(change_form(&state, &visitor, &errors));
    }
    let variables =
        operations::change_password::Variables { current_password: form.current_password.clone(), new_password };
    match state.edge.run::<operations::ChangePassword>(visitor.caller(), variables).await {
        Ok(response) => {
            state.sessions.delete(&session.id).await;
            replace_every_session(&state, SignedIn::from(response.change_password), "/account?changed=1").await
        }
        Err(error) if error.failures().iter().any(|failure| failure.field.as_deref() == Some("current_password")) => {
            errors.field("current_password", lang.text().account.wrong_current_password);
            Ok(change_form(&state, &visitor, &errors))
        }
        Err(error) if error.is(ErrorCode::Unauthenticated) => {
            // Throttled: the same words as at log-in, so a person knows to wait.
            errors.form = Some(super::account::credential_message(&error, lang));
            Ok(change_form(&state, &visitor, &errors))
        }
        Err(error) if error.is(ErrorCode::BadUserInput) => {
            validate::field_errors(&error, lang, &[("new_password", "password")], &mut errors);
            Ok(change_form(&state, &visitor, &errors))
        }
        Err(error) => Err(error.into()),
    }
}
