//! Log in, sign up, log out. Forms keep what was typed (never the password) and
//! say what is wrong next to each field.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use nds_common::error::ErrorCode;

use crate::edge::{EdgeError, operations};
use crate::error::{PageError, safe_next, url_escape};
use crate::posted::{NoFields, Posted};
use crate::session::SignedIn;
use crate::state::SharedState;
use crate::validate;
use crate::views::form::{Field, FormErrors, InputKind, csrf_field, form_summary};
use crate::views::{self, Page};
use crate::visitor::{Visitor, signed_in_response, signed_out_response};

#[derive(serde::Deserialize, Default)]
pub struct Next {
    next: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct LogInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct SignUpForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// Stores the new session and sends the person where they were going.
pub async fn start_session(state: &SharedState, signed_in: SignedIn, next: &str) -> Result<Response, PageError> {
    let data = signed_in
        .into_session(chrono::Utc::now().timestamp())
        .ok_or_else(|| PageError::Internal("the edge signed in without a user".into()))?;
    let session_id = state.sessions.create(&data).await;
    Ok(signed_in_response(state, &session_id, Redirect::to(next).into_response()))
}

pub async fn log_in_page(State(state): State<SharedState>, visitor: Visitor, Query(query): Query<Next>) -> Response {
    let next = safe_next(query.next.as_deref());
    if visitor.signed_in() {
        return Redirect::to(&next).into_response();
    }
    log_in_form(&state, &visitor, &LogInForm { next: Some(next), ..LogInForm::default() }, &FormErrors::default())
}

fn log_in_form(state: &SharedState, visitor: &Visitor, form: &LogInForm, errors: &FormErrors) -> Response {
    let text = visitor.text();
    let next = safe_next(form.next.as_deref());
    let content = html! {
        div.form {
            h1 { (text.account.log_in_title) }
            p { (text.account.log_in_intro) }
            (form_summary(errors, text.errors.form_has_errors))
            form method="post" action="/login" novalidate {
                (csrf_field(&visitor.csrf))
                input type="hidden" name="next" value=(next);
                (Field::new("email", text.fields.email, InputKind::Email, &form.email).max_length(validate::MAX_EMAIL).render(errors))
                (Field::new("password", text.fields.password, InputKind::Password, "").render(errors))
                button type="submit" { (text.account.log_in_button) }
            }
            p { a href="/password/forgot" { (text.account.forgot_link) } }
            @if state.app == crate::state::App::Site {
                p { a href=(format!("/signup?next={}", url_escape(&next))) { (text.account.no_account) } }
            }
        }
    };
    let status = if errors.is_empty() { http::StatusCode::OK } else { http::StatusCode::UNPROCESSABLE_ENTITY };
    views::render(state, visitor, Page::new(text.account.log_in_title.to_string(), content).status(status))
}

pub async fn log_in(
    State(state): State<SharedState>,
    visitor: Visitor,
    Posted(form): Posted<LogInForm>,
) -> Result<Response, PageError> {
    let lang = visitor.lang;
    let mut errors = FormErrors::default();
    let email = validate::required(&mut errors, lang, "email", &form.email, validate::MAX_EMAIL);
    if form.password.is_empty() {
        errors.field("password", lang.text().fields.required);
    }
    if !errors.is_empty() {
        return Ok(log_in_form(&state, &visitor, &form, &errors));
    }
    let variables = operations::log_in::Variables { email, password: form.password.clone() };
    match state.edge.run::<operations::LogIn>(visitor.anonymous_caller(), variables).await {
        Ok(response) => start_session(&state, SignedIn::from(response.log_in), &safe_next(form.next.as_deref())).await,
        Err(error) if error.is(ErrorCode::Unauthenticated) || error.is(ErrorCode::Forbidden) => {
            errors.form = Some(credential_message(&error, lang));
            Ok(log_in_form(&state, &visitor, &form, &errors))
        }
        Err(error) if error.is(ErrorCode::BadUserInput) => {
            validate::field_errors(&error, lang, &[("email", "email"), ("password", "password")], &mut errors);
            Ok(log_in_form(&state, &visitor, &form, &errors))
        }
        Err(error) => Err(error.into()),
    }
}

/// Wrong credentials and throttling answer alike from identity's side (UNAUTHENTICATED);
/// the words differ so a person knows whether to wait.
pub(super) fn credential_message(error: &EdgeError, lang: crate::i18n::Lang) -> String {
    let throttled = error.failures().iter().any(|failure| {
        let message = failure.message.to_ascii_lowercase();
        message.contains("too many") || message.contains("attempts")
    });
    let text = &lang.text().account;
    if throttled { text.throttled.to_string() } else { text.wrong_credentials.to_string() }
}

pub async fn sign_up_page(State(state): State<SharedState>, visitor: Visitor, Query(query): Query<Next>) -> Response {
    let next = safe_next(query.next.as_deref());
    if visitor.signed_in() {
        return Redirect::to(&next).into_response();
    }
    sign_up_form(&state, &visitor, &SignUpForm { next: Some(next), ..SignUpForm::default() }, &FormErrors::default())
}

fn sign_up_form(state: &SharedState, visitor: &Visitor, form: &SignUpForm, errors: &FormErrors) -> Response {
    let text = visitor.text();
    let next = safe_next(form.next.as_deref());
    let content = html! {
        div.form {
            h1 { (text.account.sign_up_title) }
            (form_summary(errors, text.errors.form_has_errors))
            form method="post" action="/signup" novalidate {
                (csrf_field(&visitor.csrf))
                input type="hidden" name="next" value=(next);
                (Field::new("name", text.fields.name, InputKind::Text, &form.name).max_length(validate::MAX_NAME).autocomplete("name").render(errors))
                (Field::new("email", text.fields.email, InputKind::Email, &form.email).max_length(validate::MAX_EMAIL).render(errors))
                (Field::new("password", text.fields.password, InputKind::NewPassword, "").hint(text.fields.password_hint).render(errors))
                button type="submit" { (text.account.sign_up_button) }
            }
            p { a href=(format!("/login?next={}", url_escape(&next))) { (text.account.have_account) } }
        }
    };
    let status = if errors.is_empty() { http::StatusCode::OK } else { http::StatusCode::UNPROCESSABLE_ENTITY };
    views::render(state, visitor, Page::new(text.account.sign_up_title.to_string(), content).status(status))
}

pub async fn sign_up(
    State(state): State<SharedState>,
    visitor: Visitor,
    Posted(form): Posted<SignUpForm>,
) -> Result<Response, PageError> {
    let lang = visitor.lang;
    let mut errors = FormErrors::default();
    let name = validate::required(&mut errors, lang, "name", &form.name, validate::MAX_NAME);
    let email = validate::email(&mut errors, lang, "email", &form.email);
    let password = validate::new_password(&mut errors, lang, "password", &form.password);
    if !errors.is_empty() {
        return Ok(sign_up_form(&state, &visitor, &form, &errors));
    }
    let input = operations::sign_up::SignUpInput { email, password, name };
    match state
        .edge
        .run::<operations::SignUp>(visitor.anonymous_caller(), operations::sign_up::Variables { input })
        .await
    {
        Ok(response) => start_session(&state, SignedIn::from(response.sign_up), &safe_next(form.next.as_deref())).await,
        Err(error) if error.is(ErrorCode::Conflict) => {
            errors.field("email", lang.text().account.email_taken);
            Ok(sign_up_form(&state, &visitor, &form, &errors))
        }
        Err(error) if error.is(ErrorCode::BadUserInput) => {
            validate::field_errors(
                &error,
                lang,
                &[("email", "email"), ("password", "password"), ("name", "name")],
                &mut errors,
            );
            Ok(sign_up_form(&state, &visitor, &form, &errors))
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn log_out(State(state): State<SharedState>, visitor: Visitor, Posted(_): Posted<NoFields>) -> Response {
    if let Some(session) = &visitor.session {
        let variables = operations::log_out::Variables { refresh_token: session.data.refresh_token.clone() };
        if let Err(error) = state.edge.run::<operations::LogOut>(visitor.caller(), variables).await {
            tracing::warn!(error = %error, "log-out at identity failed; the session ends here anyway");
        }
        state.sessions.delete(&session.id).await;
    }
    signed_out_response(&state, Redirect::to("/").into_response())
}

#[derive(serde::Deserialize)]
pub struct AccountQuery {
    welcome: Option<String>,
    /// Back from `/password/reset`.
    reset: Option<String>,
    /// Back from `/account/password`.
    changed: Option<String>,
}

/// The signed-in person's page: who they are, their things, and for staff the way to the panel.
pub async fn account_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<AccountQuery>,
) -> Result<Response, PageError> {
    let session = visitor.require_session()?;
    let text = visitor.text();
    let user = &session.data.user;
    let content = html! {
        @if query.welcome.is_some() {
            div.notice.notice-success role="status" { p { ((text.account.welcome)(&user.name)) } }
        }
        @if query.reset.is_some() {
            div.notice.notice-success role="status" { p { (text.account.reset_done) } }
        } @else if query.changed.is_some() {
            div.notice.notice-success role="status" { p { (text.account.password_changed) } }
        }
        h1 { (text.account.account_title) }
        p { ((text.account.signed_in_as)(&user.email)) }
        @if user.is_staff() {
            p { a.button href=(state.settings.panel_url.clone() + "/") { (text.account.go_to_panel) } }
        }
        ul.inbox {
            li { a href="/favourites" { span { (text.layout.favourites) } span { "→" } } }
            li { a href="/saved-searches" { span { (text.layout.saved_searches) } span { "→" } } }
            li { a href="/conversations" { span { (text.layout.messages) } span { "→" } } }
            li { a href="/account/password" { span { (text.account.change_password_title) } span { "→" } } }
        }
    };
    Ok(views::render(&state, &visitor, Page::new(text.account.account_title.to_string(), content)))
}
