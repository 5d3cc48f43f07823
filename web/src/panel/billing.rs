//! An agency's billing (`agencyBilling`): the per-listing subscription and the
//! listings it bills this month, the promotions running, and the payout account
//! that receives buyers' deposits (Stripe Connect onboarding, and the two pages
//! Stripe sends the manager back to). Who may read it is billing's rule (as for
//! metrics); the actions are shown to those who may take them (the agency's
//! managers and platform admins), and billing refuses anyone else.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use nds_common::error::ErrorCode;

use crate::edge::operations::{self, panel_agency_billing};
use crate::edge::wire_name;
use crate::error::{PageError, path_id};
use crate::i18n::Lang;
use crate::posted::{NoFields, Posted};
use crate::state::SharedState;
use crate::views::components::{NoticeKind, notice};
use crate::views::form::csrf_field;
use crate::views::{self, Page};
use crate::visitor::Visitor;

pub fn billing_path(agency_id: &str) -> String {
    format!("/agencies/{agency_id}/billing")
}

/// The agency a manager manages, for the panel's navigation.
pub(crate) fn managed_agency(visitor: &Visitor) -> Option<String> {
    visitor
        .memberships()
        .iter()
        .find(|membership| membership.role == "AGENCY_MANAGER")
        .and_then(|membership| membership.agency_id.clone())
}

/// Whether the page offers the subscription and payout actions (billing decides in the end).
fn may_manage(visitor: &Visitor, agency_id: &str) -> bool {
    super::is_platform_admin(visitor)
        || visitor.has_membership(|membership| {
            membership.role == "AGENCY_MANAGER" && membership.agency_id.as_deref() == Some(agency_id)
        })
}

/// `2026-12` → `diciembre de 2026` / `December 2026`.
fn period_name(period: &str, lang: Lang) -> String {
    let text = &lang.text().panel.billing;
    let month = period.split_once('-').and_then(|(year, month)| {
        let index = month.parse::<usize>().ok().filter(|month| (1..=12).contains(month))?;
        Some((year, text.months[index - 1]))
    });
    match (month, lang) {
        (Some((year, month)), Lang::Es) => format!("{month} de {year}"),
        (Some((year, month)), Lang::En) => format!("{month} {year}"),
        (None, _) => period.to_string(),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct BillingQuery {
    /// What just happened: `subscribed`, `payouts` (back from Stripe).
    done: Option<String>,
}

pub async fn billing_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
    Query(query): Query<BillingQuery>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let id = path_id(&raw_id)?;
    let text = &visitor.text().panel.billing;
    let note = match query.done.as_deref() {
        Some("subscribed") => Some((text.subscribed, NoticeKind::Success)),
        Some("payouts") => Some((text.payouts_returned, NoticeKind::Info)),
        _ => None,
    };
    render(&state, &visitor, &id, note, http::StatusCode::OK).await
}

async fn render(
    state: &SharedState,
    visitor: &Visitor,
    id: &str,
    note: Option<(&str, NoticeKind)>,
    status: http::StatusCode,
) -> Result<Response, PageError> {
    let variables = panel_agency_billing::Variables { agency: id.to_string() };
    let response = state.edge.run::<operations::PanelAgencyBilling>(visitor.caller(), variables).await?;
    let agency = response.agency.ok_or(PageError::NotFound)?;
    let billing = response.agency_billing;
    let text = &visitor.text().panel.billing;
    let manage = may_manage(visitor, id);
    let subscription = wire_name(&billing.subscription);
    let can_subscribe = matches!(subscription.as_str(), "NONE" | "CANCELLED");
    let content = html! {
        div.panel-billing {
            h1 { ((text.title)(&agency.name)) }
            p { (text.intro) }
            @if let Some((message, kind)) = note { (notice(message, kind)) }
            @if !manage { p.small { (text.read_only) } }
            section aria-labelledby="subscription" {
                h2 #subscription { (text.subscription_heading) }
                p {
                    span class=(format!("badge subscription-{}", subscription.to_ascii_lowercase())) data-subscription=(subscription) {
                        ((text.subscription_state)(&subscription))
                    }
                }
                p { ((text.subscription_state_detail)(&subscription)) }
                p data-billed-count=(billing.listings_billed_this_period) {
                    ((text.billed_in_period)(&period_name(&billing.period, visitor.lang), billing.listings_billed_this_period))
                }
                p.small { (text.subscription_explained) }
                @if manage && can_subscribe {
                    (action_form(visitor, &format!("{}/subscribe", billing_path(id)), text.subscribe, text.subscribe_confirm))
                }
            }
            section aria-labelledby="promotions" {
                h2 #promotions { (text.promotions_heading) }
                p { ((text.active_promotions)(billing.active_promotions)) }
                p.small { (text.promotions_hint) }
            }
            section aria-labelledby="payouts" {
                h2 #payouts { (text.payouts_heading) }
                p.small { (text.payouts_explained) }
                @let (state_text, kind) = payout_state(&billing, visitor.lang);
                (notice(state_text, kind))
                @if manage && !billing.payouts_enabled {
                    // A link, not a form: the page's `form-action 'self'` would stop a
                    // form's redirect to Stripe, and Stripe's refresh_url is a GET anyway.
                    @let label = if billing.payouts_onboarded { text.payouts_continue } else { text.payouts_start };
                    p { a.button href=(format!("/agencies/{id}/payouts/start")) { (label) } }
                }
            }
        }
    };
    let mut page = Page::new((text.title)(&agency.name), content).status(status);
    page.indexable = false;
    page.header_search = false;
    Ok(views::render(state, visitor, page))
}

fn payout_state(
    billing: &panel_agency_billing::PanelAgencyBillingAgencyBilling,
    lang: Lang,
) -> (&'static str, NoticeKind) {
    let text = &lang.text().panel.billing;
    match (billing.payouts_onboarded, billing.payouts_enabled) {
        (_, true) => (text.payouts_enabled, NoticeKind::Success),
        (true, false) => (text.payouts_pending, NoticeKind::Info),
        (false, false) => (text.payouts_none, NoticeKind::Info),
    }
}

/// One button posting to `action`, with what it will do said above it.
fn action_form(visitor: &Visitor, action: &str, label: &str, explained: &str) -> Markup {
    html! {
        form method="post" action=(action) {
            (csrf_field(&visitor.csrf))
            p.small { (explained) }
            button type="submit" { (label) }
        }
    }
}

pub async fn subscribe(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
    Posted(_): Posted<NoFields>,
) -> Result<Response, PageError> {
    visitor.require_session()?;
    let id = path_id(&raw_id)?;
    let text = &visitor.text().panel.billing;
    let variables = operations::panel_subscribe_agency::Variables { agency: id.clone() };
    match state.edge.run::<operations::PanelSubscribeAgency>(visitor.caller(), variables).await {
        Ok(_) => Ok(Redirect::to(&format!("{}?done=subscribed", billing_path(&id))).into_response()),
        Err(error) if error.is(ErrorCode::PaymentNotConfigured) => {
            let note = Some((text.not_configured, NoticeKind::Error));
            render(&state, &visitor, &id, note, http::StatusCode::CONFLICT).await
        }
        Err(error) if error.is(ErrorCode::Conflict) => {
            let note = Some((text.already_subscribed, NoticeKind::Info));
            render(&state, &visitor, &id, note, http::StatusCode::CONFLICT).await
        }
        Err(error) => Err(error.into()),
    }
}

/// Sends the manager to Stripe's onboarding with a new single-use link: the
/// page's button, and Stripe's `refresh_url` (the link expired or was used).
/// A GET, as Stripe calls it; what it does is the agency's own setup, never a
/// payment, and billing lets only the agency's managers do it.
pub async fn start_payouts(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(raw_id): Path<String>,
) -> Result<Response, PageError> {
    onboarding_redirect(&state, &visitor, &raw_id).await
}

/// Stripe's `return_url`: back on the billing page, which shows the account's state.
pub async fn payouts_done(Path(raw_id): Path<String>) -> Result<Response, PageError> {
    let id = path_id(&raw_id)?;
    Ok(Redirect::to(&format!("{}?done=payouts", billing_path(&id))).into_response())
}

async fn onboarding_redirect(state: &SharedState, visitor: &Visitor, raw_id: &str) -> Result<Response, PageError> {
    visitor.require_session()?;
    let id = path_id(raw_id)?;
    let text = &visitor.text().panel.billing;
    let variables = operations::panel_start_payout_onboarding::Variables { agency: id.clone() };
    match state.edge.run::<operations::PanelStartPayoutOnboarding>(visitor.caller(), variables).await {
        Ok(response) => Ok(Redirect::to(&response.start_payout_onboarding.url).into_response()),
        Err(error) if error.is(ErrorCode::PaymentNotConfigured) => {
            let note = Some((text.not_configured, NoticeKind::Error));
            render(state, visitor, &id, note, http::StatusCode::CONFLICT).await
        }
        Err(error) => Err(error.into()),
    }
}
