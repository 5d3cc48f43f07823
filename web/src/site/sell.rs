//! "Sell with us": a dealership applies (`applyForAgency`); a platform admin
//! reviews it in the panel and the applicant hears back by mail.

use axum::extract::State;
use axum::response::Response;
use maud::html;
use nds_common::error::ErrorCode;

use crate::edge::operations::{self, apply_for_agency};
use crate::error::PageError;
use crate::posted::Posted;
use crate::state::SharedState;
use crate::validate;
use crate::views::form::{Field, FormErrors, InputKind, csrf_field, form_summary};
use crate::views::{self, Page};
use crate::visitor::Visitor;

#[derive(serde::Deserialize, Default)]
pub struct ApplicationForm {
    #[serde(default)]
    company_name: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    tax_id: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    group_name: String,
    #[serde(default)]
    expected_listings: String,
}

/// Identity's limits, so a person learns them before sending.
const MAX_COMPANY: usize = 160;
const MAX_ADDRESS: usize = 300;
const MAX_PLACE: usize = 80;

pub async fn sell_page(State(state): State<SharedState>, visitor: Visitor) -> Response {
    application_form(&state, &visitor, &ApplicationForm::default(), &FormErrors::default())
}

fn application_form(state: &SharedState, visitor: &Visitor, form: &ApplicationForm, errors: &FormErrors) -> Response {
    let text = visitor.text();
    let sell = &text.sell;
    let content = html! {
        div.form.wide {
            h1 { (sell.title) }
            p { (sell.intro) }
            (form_summary(errors, text.errors.form_has_errors))
            form method="post" action="/sell" novalidate {
                (csrf_field(&visitor.csrf))
                (Field::new("company_name", sell.company_name, InputKind::Text, &form.company_name).max_length(MAX_COMPANY).autocomplete("organization").render(errors))
                (Field::new("contact_name", sell.contact_name, InputKind::Text, &form.contact_name).max_length(validate::MAX_NAME).autocomplete("name").render(errors))
                (Field::new("contact_email", sell.contact_email, InputKind::Email, &form.contact_email).max_length(validate::MAX_EMAIL).render(errors))
                (Field::new("contact_phone", sell.contact_phone, InputKind::Tel, &form.contact_phone).optional().max_length(32).autocomplete("tel").render(errors))
                (Field::new("tax_id", sell.tax_id, InputKind::Text, &form.tax_id).hint(sell.tax_id_hint).max_length(16).render(errors))
                (Field::new("address", sell.address, InputKind::Text, &form.address).max_length(MAX_ADDRESS).autocomplete("street-address").render(errors))
                (Field::new("city", sell.city, InputKind::Text, &form.city).max_length(MAX_PLACE).autocomplete("address-level2").render(errors))
                (Field::new("state", sell.state, InputKind::Text, &form.state).max_length(MAX_PLACE).autocomplete("address-level1").render(errors))
                (Field::new("group_name", sell.group_name, InputKind::Text, &form.group_name).optional().hint(sell.group_name_hint).max_length(MAX_COMPANY).render(errors))
                (Field::new("expected_listings", sell.expected_listings, InputKind::Number, &form.expected_listings).max_length(6).render(errors))
                button type="submit" { (sell.submit) }
            }
        }
    };
    let status = if errors.is_empty() { http::StatusCode::OK } else { http::StatusCode::UNPROCESSABLE_ENTITY };
    views::render(state, visitor, Page::new(sell.title.to_string(), content).status(status))
}

pub async fn apply(
    State(state): State<SharedState>,
    visitor: Visitor,
    Posted(form): Posted<ApplicationForm>,
) -> Result<Response, PageError> {
    let lang = visitor.lang;
    let mut errors = FormErrors::default();
    let company_name = validate::required(&mut errors, lang, "company_name", &form.company_name, MAX_COMPANY);
    let contact_name = validate::required(&mut errors, lang, "contact_name", &form.contact_name, validate::MAX_NAME);
    let contact_email = validate::email(&mut errors, lang, "contact_email", &form.contact_email);
    let contact_phone = validate::optional(&mut errors, lang, "contact_phone", &form.contact_phone, 32);
    let tax_id = validate::required(&mut errors, lang, "tax_id", &form.tax_id, 16);
    let address = validate::required(&mut errors, lang, "address", &form.address, MAX_ADDRESS);
    let city = validate::required(&mut errors, lang, "city", &form.city, MAX_PLACE);
    let region = validate::required(&mut errors, lang, "state", &form.state, MAX_PLACE);
    let group_name = validate::optional(&mut errors, lang, "group_name", &form.group_name, MAX_COMPANY);
    let expected_listings =
        validate::integer(&mut errors, lang, "expected_listings", &form.expected_listings, 1..=100_000);
    if !errors.is_empty() {
        return Ok(application_form(&state, &visitor, &form, &errors));
    }
    let company_name_for_group = company_name.clone();
    let input = apply_for_agency::AgencyApplicationInput {
        company_name,
        contact_name,
        contact_email,
        contact_phone,
        tax_id,
        address,
        city,
        state: region,
        group_id: None,
        // An agency on its own is a group of one, named after it.
        group_name: Some(group_name.unwrap_or_else(|| company_name_for_group.clone())),
        expected_listings: expected_listings.unwrap_or_default(),
    };
    match state
        .edge
        .run::<operations::ApplyForAgency>(visitor.anonymous_caller(), apply_for_agency::Variables { input })
        .await
    {
        Ok(response) => Ok(received(&state, &visitor, &response.apply_for_agency.contact_email)),
        Err(error) if error.is(ErrorCode::BadUserInput) || error.is(ErrorCode::Conflict) => {
            let words = lang.text().fields.invalid_tax_id;
            validate::field_errors_worded(
                &error,
                lang,
                &[
                    ("companyName", "company_name", None),
                    ("contactName", "contact_name", None),
                    ("contactEmail", "contact_email", None),
                    ("contactPhone", "contact_phone", None),
                    ("taxId", "tax_id", Some(words)),
                    ("address", "address", None),
                    ("city", "city", None),
                    ("state", "state", None),
                    ("groupName", "group_name", None),
                    ("expectedListings", "expected_listings", None),
                ],
                &mut errors,
            );
            Ok(application_form(&state, &visitor, &form, &errors))
        }
        Err(error) => Err(error.into()),
    }
}

fn received(state: &SharedState, visitor: &Visitor, email: &str) -> Response {
    let sell = &visitor.text().sell;
    let content = html! {
        section.notice.notice-success role="status" {
            h1 { (sell.received_title) }
            p { ((sell.received_body)(email)) }
        }
        p { a href="/" { (visitor.text().errors.go_home) } }
    };
    views::render(state, visitor, Page::new(sell.received_title.to_string(), content))
}
