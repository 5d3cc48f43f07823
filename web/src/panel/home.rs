//! The panel's first page: who is signed in, with which roles, and the pages
//! those roles have; for agency staff, the agency's latest cars with their photos
//! and how many recent leads wait to be read.

use axum::extract::State;
use axum::response::Response;
use maud::html;

use crate::edge::operations::{self, panel_agency_listings};
use crate::error::PageError;
use crate::names::car_name;
use crate::state::SharedState;
use crate::views::{self, Page};
use crate::visitor::Visitor;

/// The agency's latest cars shown on the home page of its staff.
const LATEST_CARS: i64 = 50;

pub async fn home_page(State(state): State<SharedState>, visitor: Visitor) -> Result<Response, PageError> {
    let session = visitor.require_session()?;
    let text = &visitor.text().panel;
    let user = &session.data.user;
    let agency = super::current_agency(&visitor, None);
    let agency_staff = agency.is_some();
    let metrics = super::metrics_path(&visitor);
    let (cars, unread_leads) = match agency {
        Some(agency_id) => {
            let variables = panel_agency_listings::Variables { agency_id, first: LATEST_CARS };
            let cars = state.edge.run::<operations::PanelAgencyListings>(visitor.caller(), variables);
            let (cars, unread) = futures::join!(cars, super::leads::recent_unread_leads(&state, &visitor));
            (Some(cars?.listings), Some(unread?))
        }
        None => (None, None),
    };
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
                @if super::is_platform_admin(&visitor) || agency_staff || metrics.is_some() {
                    nav aria-label=(text.name) {
                        ul {
                            @if super::is_platform_admin(&visitor) {
                                li { a href="/applications" { (text.applications) } }
                                li { a href="/users" { (text.admin.users_nav) } }
                                li { a href="/agencies" { (text.admin.agencies_nav) } }
                                li { a href="/audit" { (text.admin.audit_nav) } }
                            }
                            @if agency_staff {
                                li { a href="/inventory" { (text.inventory.title) } }
                                li {
                                    a href="/leads" { (text.leads.nav) }
                                    @if let Some(count) = unread_leads { " · " span.small { ((text.leads.unread_leads)(count)) } }
                                }
                                li { a href="/listings/new" { (text.inventory.new_listing) } }
                            }
                            @if let Some(agency_id) = super::managed_agency(&visitor) {
                                li { a href=(super::staff_path(&agency_id)) { (text.staff.nav) } }
                                li { a href=(super::billing_path(&agency_id)) { (text.billing.nav) } }
                            }
                            @if let Some(path) = &metrics {
                                li { a href=(path) { (text.metrics.nav) } }
                            }
                        }
                    }
                }
                @if let Some(cars) = &cars {
                    h2 { (text.agency_cars) }
                    p.small { ((text.agency_cars_count)(cars.total_count)) }
                    ul.agency-cars {
                        @for edge in &cars.edges {
                            @let car = &edge.node;
                            li {
                                a href=(format!("/listings/{}/edit", car.id)) { (car_name(&car.make, &car.model)) " " (car.year) }
                                " · "
                                a href=(format!("/listings/{}/photos", car.id)) { ((text.photo_count)(car.gallery.len())) }
                            }
                        }
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
