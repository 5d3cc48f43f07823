//! The invitation link identity mails to new staff (`/invitations/accept?token=…`):
//! a name and a password, then signed in, with the way to the panel.

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

#[derive(serde::Deserialize, Default)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(serde::Deserialize, Default)]
pub struct AcceptForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

/// Tokens are opaque: anything this long is not one.
const MAX_TOKEN: usize = 512;

pub async fn accept_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<TokenQuery>,
) -> Response {
    let form = AcceptForm { token: query.token.chars().take(MAX_TOKEN).collect(), ..AcceptForm::default() };
    let mut errors = FormErrors::default();
    if form.token.trim().is_empty() {
        errors.form = Some(visitor.text().account.invitation_bad_token.to_string());
    }
    accept_form(&state, &visitor, &form, &errors)
}

fn accept_form(state: &SharedState, visitor: &Visitor, form: &AcceptForm, errors: &FormErrors) -> Response {
    let text = visitor.text();
    let content = html! {
        div.form {
            h1 { (text.account.invitation_title) }
            p { (text.account.invitation_intro) }
            (form_summary(errors, text.errors.form_has_errors))
            form method="post" action="/invitations/accept" novalidate {
                (csrf_field(&visitor.csrf))
                input type="hidden" name="token" value=(form.token);
                (Field::new("name", text.fields.name, InputKind::Text, &form.name).max_length(validate::MAX_NAME).autocomplete("name").render(errors))
                (Field::new("password", text.fields.new_password, InputKind::NewPassword, "").hint(text.fields.password_hint).render(errors))
                button type="submit" { (text.account.invitation_button) }
            }
        }
    };
    let status = if errors.is_empty() { http::StatusCode::OK } else { http::StatusCode::UNPROCESSABLE_ENTITY };
    views::render(state, visitor, Page::new(text.account.invitation_title.to_string(), content).status(status))
}

pub async fn accept(
    State(state): State<SharedState>,
    visitor: Visitor,
    Posted(form): Posted<AcceptForm>,
) -> Result<Response, PageError> {
    let lang = visitor.lang;
    let mut errors = FormErrors::default();
    let name = validate::required(&mut errors, lang, "name", &form.name, validate::MAX_NAME);
    let password = validate::new_password(&mut errors, lang, "password", &form.password);
    let token = form.token.trim().to_string();
    if token.is_empty() || token.len() > MAX_TOKEN {
        errors.form = Some(lang.text().account.invitation_bad_token.to_string());
    }
    if !errors.is_empty() {
        return Ok(accept_form(&state, &visitor, &form, &errors));
    }
    let variables = operations::accept_invitation::Variables { token, name, password };
    match state.edge.run::<operations::AcceptInvitation>(visitor.anonymous_caller(), variables).await {
        Ok(response) => start_session(&state, SignedIn::from(response.accept_invitation), "/account?welcome=1").await,
        Err(error) if error.failures().iter().any(|failure| failure.field.as_deref() == Some("password")) => {
            validate::field_errors(&error, lang, &[("password", "password"), ("name", "name")], &mut errors);
            Ok(accept_form(&state, &visitor, &form, &errors))
        }
        Err(error)
            if error.is(ErrorCode::BadUserInput)
                || error.is(ErrorCode::NotFound)
                || error.is(ErrorCode::Unauthenticated)
                || error.is(ErrorCode::Conflict) =>
        {
            // Unknown, used and expired tokens answer alike.
            errors.form = Some(lang.text().account.invitation_bad_token.to_string());
            Ok(accept_form(&state, &visitor, &form, &errors))
        }
        Err(error) => Err(error.into()),
    }
}
