//! The panel's first page: who is signed in, with which roles, and the pages
//! those roles have.

use axum::extract::State;
use axum::response::Response;
use maud::html;

use crate::error::PageError;
use crate::state::SharedState;
use crate::views::{self, Page};
use crate::visitor::Visitor;

pub async fn home_page(State(state): State<SharedState>, visitor: Visitor) -> Result<Response, PageError> {
    let session = visitor.require_session()?;
    let text = &visitor.text().panel;
    let user = &session.data.user;
    let content = html! {
        div.panel-home {
            h1 { (text.home_title) }
            p { ((text.signed_in_as)(&user.name)) }
            @if user.is_staff() {
                h2 { (text.your_roles) }
                ul {
                    @for membership in &user.memberships {
                        @if membership.role != "BUYER" { li { ((text.role_name)(&membership.role)) } }
                    }
                }
                @if super::is_platform_admin(&visitor) {
                    nav aria-label=(text.name) {
                        ul { li { a href="/applications" { (text.applications) } } }
                    }
                }
            } @else {
                p { (text.not_staff) }
            }
        }
    };
    let mut page = Page::new(text.home_title.to_string(), content);
    page.indexable = false;
    page.header_search = false;
    Ok(views::render(&state, &visitor, page))
}
