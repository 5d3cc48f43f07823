//! What the platform admins' pages share: the role check (the API refuses the
//! rest anyway; checking first spares a call and answers the 403 page at once)
//! and the confirmation page a suspension asks on (a GET page with a POST form,
//! so it asks with JavaScript off).

use axum::response::Response;
use maud::html;

use crate::error::PageError;
use crate::state::SharedState;
use crate::views::form::csrf_field;
use crate::views::{self, Page};
use crate::visitor::Visitor;

/// Signed in, and a platform admin.
pub(super) fn require_platform_admin(visitor: &Visitor) -> Result<(), PageError> {
    visitor.require_session()?;
    if !super::is_platform_admin(visitor) {
        return Err(PageError::Forbidden);
    }
    Ok(())
}

/// A destructive action's second step: what it does, a button that does it and a
/// way back.
pub(super) struct Confirmation<'a> {
    pub question: String,
    pub consequence: &'a str,
    pub yes: &'a str,
    /// Where the form posts.
    pub action: String,
    /// Hidden fields the form carries on (name, value).
    pub carry: Vec<(&'a str, String)>,
    pub back: String,
}

pub(super) fn confirmation_page(state: &SharedState, visitor: &Visitor, confirmation: Confirmation<'_>) -> Response {
    let text = &visitor.text().panel.admin;
    let content = html! {
        section.confirm.panel-box {
            h1 { (confirmation.question) }
            p { (confirmation.consequence) }
            div.actions {
                form method="post" action=(confirmation.action) {
                    (csrf_field(&visitor.csrf))
                    @for (name, value) in &confirmation.carry {
                        input type="hidden" name=(name) value=(value);
                    }
                    button.danger type="submit" { (confirmation.yes) }
                }
                a.button.secondary href=(confirmation.back) { (text.cancel) }
            }
        }
    };
    let mut page = Page::new(confirmation.question, content);
    page.indexable = false;
    page.header_search = false;
    views::render(state, visitor, page)
}
