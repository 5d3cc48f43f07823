//! The staff panel in Chromium, as staff use it (issue 17, journey 1): a platform
//! admin signs in, rejects an application without a reason (refused, the error
//! next to the field), then with one (the applicant's mail carries it), approves
//! another; the invited manager accepts on the site and signs in to the panel.
//! The review also works with JavaScript off; every page is checked with axe-core.
//! Journey 2 in part: a manager's inventory and listing editor (a refused VIN, a
//! conflicting save shown with both versions, publishing and archiving), and the
//! inventory's status filter in the URL with JavaScript off.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nds_tests::TestSystem;
use nds_tests::browser::{Browser, Page, SessionOptions, assert_accessible, log_in};
use nds_tests::client::{ADMIN_EMAIL, ADMIN_PASSWORD, data, mailed_path};
use nds_tests::inventory::{CARS, create_listing, publish};
use serde_json::json;

async fn apply(system: &TestSystem, company: &str, email: &str, tax_id: &str) -> String {
    let input = json!({
        "companyName": company, "contactName": "Contacto", "contactEmail": email, "taxId": tax_id,
        "address": "Av. Juárez 10", "city": "Puebla", "state": "Puebla", "groupName": company, "expectedListings": 12
    });
    let applied = system
        .graphql(
            "mutation($input: AgencyApplicationInput!) { applyForAgency(input: $input) { id } }",
            json!({ "input": input }),
            None,
        )
        .await
        .unwrap();
    data(&applied, "applyForAgency")["id"].as_str().unwrap().to_string()
}

fn mail_to(system: &TestSystem, address: &str) -> Option<String> {
    system.mails().into_iter().rev().find(|mail| mail.contains(address))
}

#[tokio::test]
async fn an_admin_rejects_with_a_reason_and_approves_and_the_new_manager_reaches_the_panel() {
    let system = TestSystem::start(&[]).await.unwrap();
    system.admin_token().await; // creates the platform admin
    let rejected_id = apply(&system, "Autos Dudosos", "dudosos@correo.mx", "ADU010203AB1").await;
    let approved_id = apply(&system, "Autos Serios", "serios@correo.mx", "ASE010203AB1").await;
    let browser = Browser::start().await;

    // With JavaScript off, the queue and a refused rejection work as plain HTML.
    let plain = browser.session(SessionOptions::desktop().without_javascript()).await;
    plain.goto(&system.panel_url("/applications")).await;
    log_in(&plain, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert!(plain.body().await.contains("Autos Dudosos"), "{}", plain.body().await);
    plain.click(&format!("#application-{rejected_id} details summary")).await;
    plain.click_and_wait(&format!("#application-{rejected_id} form[action$='/review'] button.danger")).await;
    assert!(!plain.text(&format!("#reason-{rejected_id}-error")).await.trim().is_empty());
    plain.close().await;

    // The admin: the panel asks for a sign-in, then shows the role.
    let admin = browser.session(SessionOptions::desktop()).await;
    admin.goto(&system.panel_url("/")).await;
    assert!(admin.url().await.contains("/login"), "{}", admin.url().await);
    log_in(&admin, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert!(admin.body().await.contains("Administración de NDS"), "{}", admin.body().await);
    assert_accessible(&admin, "panel home").await;
    admin.click("a[href='/applications']").await;
    let queue = admin.body().await;
    assert!(queue.contains("Autos Dudosos") && queue.contains("Autos Serios"), "{queue}");
    assert_accessible(&admin, "application queue").await;
    admin.screenshot("panel-applications").await;

    // Rejecting without a reason is refused next to the field, and nothing changes.
    let reject = format!("#application-{rejected_id} form[action$='/review'] button.danger");
    admin.click(&format!("#application-{rejected_id} details summary")).await;
    admin.click_and_wait(&reject).await;
    let refused = admin.text(&format!("#reason-{rejected_id}-error")).await;
    assert!(!refused.trim().is_empty(), "a field error under the reason");
    assert_eq!(admin.attr(&format!("#reason-{rejected_id}"), "aria-invalid").await.as_deref(), Some("true"));
    assert!(mail_to(&system, "dudosos@correo.mx").is_none_or(|mail| !mail.contains("rechaz")));
    assert_accessible(&admin, "a refused rejection").await;

    // With a reason: rejected, and the applicant's mail carries the reason.
    admin.fill(&format!("#reason-{rejected_id}"), "El RFC no corresponde a la razón social.").await;
    admin.click_and_wait(&reject).await;
    assert!(admin.url().await.contains("status=rejected"), "{}", admin.url().await);
    assert!(admin.text("p.note").await.contains("Autos Dudosos"));
    let mail = mail_to(&system, "dudosos@correo.mx").expect("the applicant is told");
    assert!(mail.contains("El RFC no corresponde"), "{mail}");

    // Approving: the agency is created and its manager invited.
    admin.goto(&system.panel_url("/applications")).await;
    admin.click_and_wait(&format!("#application-{approved_id} form[action$='/review'] button:not(.danger)")).await;
    assert!(admin.url().await.contains("status=approved"), "{}", admin.url().await);
    assert!(admin.text("p.note").await.contains("Autos Serios"));
    let invitation = mail_to(&system, "serios@correo.mx").expect("the manager is invited");
    let path = mailed_path(&invitation, "/invitations/accept").expect("a link to accept");

    // The new manager accepts on the site, follows its link to the panel and signs in.
    let manager = browser.session(SessionOptions::desktop()).await;
    manager.goto(&system.site_url(&path)).await;
    manager.fill("#field-name", "Sergio Serio").await;
    manager.fill("#field-password", "serios-autos-2026").await;
    manager.click_and_wait("form[action='/invitations/accept'] button[type=submit]").await;
    let to_panel = system.panel_url("/");
    assert_eq!(manager.count(&format!("a[href='{to_panel}']")).await, 1, "the site links staff to the panel");
    manager.goto(&to_panel).await;
    // Here the site and the panel share a host (cookies ignore ports) and a session
    // store, so accepting on the site signed the manager in to the panel too; in
    // production they are two hosts and the panel asks for a sign-in.
    assert!(!manager.url().await.contains("/login"), "{}", manager.url().await);
    let home = manager.body().await;
    assert!(home.contains("Gerencia de agencia"), "{home}");
    assert!(!home.contains("/applications"), "a manager is not offered the admins' queue");
    manager.screenshot("panel-home-manager").await;
    // The queue is the platform admins': a manager gets the 403 page, not the list.
    manager.goto(&system.panel_url("/applications")).await;
    assert!(!manager.body().await.contains("Autos Dudosos"), "{}", manager.body().await);

    admin.close().await;
    manager.close().await;
    system.stop().await.unwrap();
}

/// A known-good North-American VIN, and the same with a wrong check digit (ninth).
const GOOD_VIN: &str = "1HGCM82633A004352";
const BAD_VIN: &str = "1HGCM82613A004352";
const MANAGER_PASSWORD: &str = "gerencia-2026-segura";

/// The fields the journeys read back through the API.
async fn saved(system: &TestSystem, token: &str, id: &str) -> serde_json::Value {
    let query = "query($id: ID!) { listing(id: $id) { status version price mileageKm color } }";
    let response = system.graphql(query, json!({ "id": id }), Some(token)).await.unwrap();
    data(&response, "listing").clone()
}

async fn listing_count(system: &TestSystem, token: &str, agency: &str) -> i64 {
    let query = "query($agency: ID!) { listings(agencyId: $agency) { totalCount } }";
    let response = system.graphql(query, json!({ "agency": agency }), Some(token)).await.unwrap();
    data(&response, "listings")["totalCount"].as_i64().unwrap()
}

/// The editor's status badge (upper-cased by the stylesheet, so compared in lower case).
async fn badge(page: &Page) -> String {
    page.text(".status-box .badge").await.to_lowercase()
}

/// The id in `/listings/{id}/edit…`.
fn edited_id(url: &str) -> String {
    let rest = url.split("/listings/").nth(1).unwrap_or_else(|| panic!("not an editor: {url}"));
    rest.split('/').next().unwrap().to_string()
}

/// Issue 17, journey 2 on a phone: a manager types a car with a wrong VIN (refused next
/// to the field, nothing created), fixes it, finds it in the inventory and edits it.
/// Someone saves the same car through the API meanwhile: the next save in the browser
/// shows both versions and writes nothing, and only a second, deliberate save
/// overwrites. Publishing is one step; archiving asks first. Another agency's cars
/// answer the not-found page.
#[tokio::test]
async fn a_manager_creates_and_edits_a_car_and_a_stale_save_shows_both_versions() {
    let system = TestSystem::start(&[]).await.unwrap();
    let agency = system.onboard_agency("Autos Norte", "ANO010203AB1", "gerente@autosnorte.mx").await;
    let token = agency.manager_token.clone();
    let browser = Browser::start().await;
    let phone = browser.session(SessionOptions::phone()).await;

    // The home page leads staff to the inventory and to a new car.
    phone.goto(&system.panel_url("/")).await;
    log_in(&phone, "gerente@autosnorte.mx", MANAGER_PASSWORD).await;
    assert_eq!(phone.count("main a[href='/inventory']").await, 1, "{}", phone.body().await);
    phone.click_and_wait("main a[href='/listings/new']").await;
    assert_accessible(&phone, "new listing form").await;

    // A VIN whose check digit is wrong: catalog refuses it, the panel says so next to
    // the VIN, keeps what was typed, and nothing is created.
    phone.select("#field-make", "honda").await;
    phone.fill("#field-model", "Civic").await;
    phone.fill("#field-year", "2019").await;
    phone.select("#field-condition", "USED").await;
    phone.fill("#field-vin", BAD_VIN).await;
    phone.select("#field-bodyType", "SEDAN").await;
    phone.select("#field-transmission", "AUTOMATIC").await;
    phone.select("#field-fuel", "GASOLINE").await;
    phone.fill("#field-color", "Blanco").await;
    phone.fill("#field-price", "289,900").await;
    phone.fill("#field-mileageKm", "45,000").await;
    phone.fill("#field-city", "Monterrey").await;
    phone.fill("#field-state", "Nuevo León").await;
    phone.fill("#field-description", "Un dueño, servicios de agencia.").await;
    phone.fill("#field-attributes", "dueños: 1\nfactura: original").await;
    phone.click_and_wait("form.listing-form button[type=submit]").await;
    let vin_error = phone.text("#field-vin-error").await;
    assert!(vin_error.contains("VIN") && vin_error.contains("dígito verificador"), "{vin_error}");
    assert_eq!(phone.attr("#field-vin", "aria-invalid").await.as_deref(), Some("true"));
    assert_eq!(phone.attr("#field-vin", "value").await.as_deref(), Some(BAD_VIN), "what was typed is kept");
    assert_eq!(phone.attr("#field-model", "value").await.as_deref(), Some("Civic"));
    assert_eq!(phone.count(".field.has-error").await, 1, "only the VIN is wrong");
    assert_eq!(listing_count(&system, &token, &agency.id).await, 0, "nothing was created");
    assert_accessible(&phone, "a refused VIN").await;
    // The refused field in view, as the person would scroll to it.
    phone
        .client
        .execute("document.getElementById('field-vin').scrollIntoView({block: 'center'})", vec![])
        .await
        .unwrap();
    phone.screenshot("panel-listing-vin-error-phone").await;

    // Fixed: a draft, priced in centavos, and the editor says so.
    phone.fill("#field-vin", GOOD_VIN).await;
    phone.click_and_wait("form.listing-form button[type=submit]").await;
    let url = phone.url().await;
    assert!(url.contains("/edit?done=created"), "{url}");
    let id = edited_id(&url);
    assert!(phone.body().await.contains("Guardamos el auto como borrador"), "{}", phone.body().await);
    assert_eq!(badge(&phone).await, "borrador");
    let created = saved(&system, &token, &id).await;
    assert_eq!(created["price"], 28_990_000, "pesos typed, centavos sent");
    assert_eq!(created["status"], "DRAFT");

    // The inventory shows it; its row leads back to the editor.
    phone.goto(&system.panel_url("/inventory")).await;
    let row = phone.text(&format!("#listing-{id}")).await;
    assert!(
        row.contains("Honda Civic 2019") && row.contains("$289,900 MXN") && row.to_lowercase().contains("borrador"),
        "{row}"
    );
    assert_eq!(phone.count(&format!("#listing-{id} a[href='/listings/{id}/photos']")).await, 1);
    assert_accessible(&phone, "inventory").await;
    phone.screenshot("panel-inventory-phone").await;
    phone.click_and_wait(&format!("#listing-{id} td.car a")).await;
    phone.fill("#field-price", "279,900").await;
    phone.click_and_wait("form.listing-form button[type=submit]").await;
    assert!(phone.url().await.contains("done=saved"), "{}", phone.url().await);
    let edited = saved(&system, &token, &id).await;
    assert_eq!((edited["price"].as_i64(), edited["version"].as_i64()), (Some(27_990_000), Some(2)));

    // Someone else saves version 2 first; this window still holds version 2.
    let patch = "mutation($id: ID!, $input: ListingPatch!) { updateListing(id: $id, input: $input) { version } }";
    let other = system
        .graphql(
            patch,
            json!({ "id": id, "input": { "expectedVersion": 2, "price": 26_990_000, "color": "rojo" } }),
            Some(&token),
        )
        .await
        .unwrap();
    assert_eq!(data(&other, "updateListing")["version"], 3);
    phone.fill("#field-mileageKm", "46,000").await;
    phone.click_and_wait("form.listing-form button[type=submit]").await;
    assert!(phone.text("#conflict-title").await.contains("Alguien más cambió este auto"));
    let rows = phone.texts(".conflict tbody tr").await;
    let row_of = |label: &str| rows.iter().find(|row| row.starts_with(label)).cloned().unwrap_or_default();
    assert!(row_of("Precio").contains("279,900") && row_of("Precio").contains("269,900"), "{rows:?}");
    assert!(row_of("Color").contains("Blanco") && row_of("Color").contains("Rojo"), "{rows:?}");
    assert!(row_of("Kilometraje").contains("46,000") && row_of("Kilometraje").contains("45,000"), "{rows:?}");
    assert_eq!(rows.len(), 3, "only the fields that differ: {rows:?}");
    assert_eq!(phone.attr("#field-mileageKm", "value").await.as_deref(), Some("46,000"), "the typed values stay");
    assert_eq!(phone.attr("input[name=version]", "value").await.as_deref(), Some("3"));
    let untouched = saved(&system, &token, &id).await;
    assert_eq!((untouched["price"].as_i64(), untouched["mileageKm"].as_i64()), (Some(26_990_000), Some(45_000)));
    assert_accessible(&phone, "a conflict").await;
    phone.client.execute("document.getElementById('conflict-title').scrollIntoView()", vec![]).await.unwrap();
    phone.screenshot("panel-listing-conflict-phone").await;

    // Saving again is the deliberate overwrite, against version 3.
    phone.click_and_wait("form.listing-form button[type=submit]").await;
    assert!(phone.url().await.contains("done=saved"), "{}", phone.url().await);
    let overwritten = saved(&system, &token, &id).await;
    assert_eq!(overwritten["price"], 27_990_000);
    assert_eq!(overwritten["mileageKm"], 46_000);
    assert_eq!(overwritten["color"], "white");

    // Publishing is one step; archiving asks on a page of its own first.
    phone.click_and_wait(&format!("form[action='/listings/{id}/publish'] button")).await;
    assert_eq!(badge(&phone).await, "publicado");
    phone.click_and_wait(&format!("a[href='/listings/{id}/archive']")).await;
    assert!(phone.text("h1").await.contains("¿Archivar Honda Civic 2019?"));
    assert_eq!(saved(&system, &token, &id).await["status"], "PUBLISHED", "asking changes nothing");
    assert_accessible(&phone, "archive confirmation").await;
    phone.screenshot("panel-archive-confirm-phone").await;
    phone.click_and_wait(&format!("form[action='/listings/{id}/archive'] button")).await;
    assert!(phone.url().await.contains("done=archived"), "{}", phone.url().await);
    assert_eq!(badge(&phone).await, "archivado");
    assert_eq!(saved(&system, &token, &id).await["status"], "ARCHIVED");
    assert_eq!(phone.count("form.listing-form button[type=submit]").await, 0, "an archived car is not edited");

    // Another agency's cars, a draft and a published one: the not-found page.
    let neighbours = system.onboard_agency("Autos Vecinos", "AVE010203AB1", "gerente@autosvecinos.mx").await;
    let draft = create_listing(&system, &neighbours.manager_token, &CARS[0]).await;
    let published = create_listing(&system, &neighbours.manager_token, &CARS[1]).await;
    publish(&system, &neighbours.manager_token, &published).await;
    for foreign in [&draft, &published] {
        phone.goto(&system.panel_url(&format!("/listings/{foreign}/edit"))).await;
        assert!(phone.body().await.contains("No encontramos esta página"), "{}", phone.body().await);
        assert_eq!(phone.count("form.listing-form").await, 0);
    }
    phone.close().await;
    system.stop().await.unwrap();
}

/// The inventory's status filter lives in the URL and works with JavaScript off, 50 rows
/// a page; with JavaScript on, htmx swaps the table and keeps the URL in step.
#[tokio::test]
async fn the_inventory_filters_by_status_in_the_url_and_pages_at_fifty_with_javascript_off() {
    let system = TestSystem::start(&[]).await.unwrap();
    let agency = system.onboard_agency("Autos Sur", "ASU010203AB1", "gerente@autossur.mx").await;
    let token = agency.manager_token.clone();
    for car in &CARS[..2] {
        let id = create_listing(&system, &token, car).await;
        publish(&system, &token, &id).await;
    }
    for index in 0..51 {
        create_listing(&system, &token, &CARS[index % CARS.len()]).await;
    }
    let browser = Browser::start().await;

    let plain = browser.session(SessionOptions::phone().without_javascript()).await;
    plain.goto(&system.panel_url("/inventory?status=PUBLISHED")).await;
    log_in(&plain, "gerente@autossur.mx", MANAGER_PASSWORD).await;
    assert!(plain.url().await.ends_with("/inventory?status=PUBLISHED"), "{}", plain.url().await);
    assert_eq!(plain.count("table.data-table tbody tr").await, 2);
    assert_eq!(plain.text("nav.filters [aria-current=page]").await, "Publicados");
    assert!(plain.texts("table.data-table .badge").await.iter().all(|badge| badge.to_lowercase() == "publicado"));
    plain.screenshot("panel-inventory-published-nojs-phone").await;

    // Drafts: 51, so 50 here and one on the next page, through the API's cursor.
    plain.click_and_wait("nav.filters a[href='/inventory?status=DRAFT']").await;
    assert!(plain.url().await.ends_with("/inventory?status=DRAFT"), "{}", plain.url().await);
    assert!(plain.body().await.contains("51 autos"), "{}", plain.body().await);
    assert_eq!(plain.count("table.data-table tbody tr").await, 50);
    plain.click_and_wait("nav.pager a[rel=next]").await;
    let second = plain.url().await;
    assert!(second.contains("status=DRAFT") && second.contains("after="), "{second}");
    assert_eq!(plain.count("table.data-table tbody tr").await, 1);
    plain.click_and_wait("nav.pager a[rel=first]").await;
    assert_eq!(plain.count("table.data-table tbody tr").await, 50);
    plain.click_and_wait("nav.filters a[href='/inventory']").await;
    assert!(plain.body().await.contains("53 autos"), "{}", plain.body().await);
    // A shared link reproduces the filter.
    plain.goto(&system.panel_url("/inventory?status=SOLD")).await;
    assert_eq!(plain.count("table.data-table").await, 0);
    assert!(plain.body().await.contains("No hay autos con este estado."), "{}", plain.body().await);

    // Finding by make, model or VIN is a GET form: the URL keeps the words, and the
    // status filters keep them too.
    plain.goto(&system.panel_url("/inventory?status=PUBLISHED")).await;
    plain.fill("form.search-form input[name=q]", "rav4").await;
    plain.click_and_wait("form.search-form button[type=submit]").await;
    let searched = plain.url().await;
    assert!(searched.contains("q=rav4") && searched.contains("status=PUBLISHED"), "{searched}");
    assert_eq!(plain.count("table.data-table tbody tr").await, 2);
    plain.fill("form.search-form input[name=q]", "VW Jetta").await;
    plain.click_and_wait("form.search-form button[type=submit]").await;
    assert_eq!(plain.count("table.data-table tbody tr").await, 0, "the jettas are drafts");
    plain.click_and_wait("nav.filters a[href='/inventory?status=DRAFT&q=VW+Jetta']").await;
    assert!(plain.body().await.contains("6 autos"), "{}", plain.body().await);
    assert!(plain.texts("table.data-table td.car").await.iter().all(|car| car.contains("Jetta")));
    plain.screenshot("panel-inventory-search-nojs-phone").await;

    // Sorting is part of the same GET form: cheapest first across both pages of drafts,
    // the order kept by the status filters and the pager.
    plain.goto(&system.panel_url("/inventory?status=DRAFT")).await;
    plain.select("form.search-form select[name=sort]", "PRICE_ASC").await;
    plain.click_and_wait("form.search-form button[type=submit]").await;
    let sorted = plain.url().await;
    assert!(sorted.contains("sort=PRICE_ASC") && sorted.contains("status=DRAFT"), "{sorted}");
    let pesos = |prices: Vec<String>| -> Vec<i64> {
        prices
            .iter()
            .map(|price| price.chars().filter(char::is_ascii_digit).collect::<String>().parse().unwrap())
            .collect()
    };
    let first_page = pesos(plain.texts("table.data-table td.price").await);
    assert_eq!(first_page.len(), 50);
    assert!(first_page.windows(2).all(|pair| pair[0] <= pair[1]), "{first_page:?}");
    assert_eq!(first_page[0], 279_000, "the jettas are the cheapest drafts");
    plain.click_and_wait("nav.pager a[rel=next]").await;
    assert!(plain.url().await.contains("sort=PRICE_ASC"), "{}", plain.url().await);
    let second_page = pesos(plain.texts("table.data-table td.price").await);
    assert_eq!(second_page, vec![529_000], "the dearest draft is last");
    assert!(first_page.last().unwrap() <= &second_page[0]);
    assert_eq!(
        plain.attr("form.search-form select[name=sort] option[selected]", "value").await.as_deref(),
        Some("PRICE_ASC")
    );
    plain.screenshot("panel-inventory-sorted-nojs-phone").await;
    plain.goto(&system.panel_url("/inventory?q=ferrari")).await;
    assert!(plain.body().await.contains("Ningún auto coincide con «ferrari»."), "{}", plain.body().await);
    // Words catalog refuses are explained on the field, and the table is not shown.
    plain.goto(&system.panel_url("/inventory?q=a+b+c+d+e+f+g")).await;
    assert_eq!(plain.text("form.search-form .field-error").await, "Escribe como máximo 100 caracteres y 6 palabras.");
    assert_eq!(plain.count("table.data-table").await, 0);
    plain.close().await;

    // With JavaScript, the filter swaps the table without a new page; the URL follows.
    let desktop = browser.session(SessionOptions::desktop()).await;
    desktop.goto(&system.panel_url("/inventory")).await;
    log_in(&desktop, "gerente@autossur.mx", MANAGER_PASSWORD).await;
    assert_accessible(&desktop, "inventory on a desktop").await;
    desktop.screenshot("panel-inventory-desktop").await;
    desktop.click("nav.filters a[href='/inventory?status=PUBLISHED']").await;
    assert!(desktop.wait_for_url("status=PUBLISHED", std::time::Duration::from_secs(10)).await);
    assert!(desktop.wait_for_text("#inventory p.small", "2 autos", std::time::Duration::from_secs(10)).await);
    assert_eq!(desktop.count("table.data-table tbody tr").await, 2);
    desktop.close().await;
    system.stop().await.unwrap();
}

/// A manager's agency billing (issue 17): no subscription at first, subscribing
/// from the page, the listing published this month counted as billed, and the
/// payout setup sent to Stripe's onboarding link and back; with JavaScript off
/// the same page and forms work as plain HTML.
#[tokio::test]
async fn a_manager_subscribes_sees_the_listings_billed_and_is_sent_to_stripe_for_payouts() {
    const STRIPE_KEY: &str = "sk_test_panel_billing";
    let stripe = svc_billing::testing::StripeStandIn::start(STRIPE_KEY).await.unwrap();
    let stripe_url = stripe.url();
    let system = TestSystem::start(&[("NDS_STRIPE_SECRET_KEY", STRIPE_KEY), ("NDS_STRIPE_API_BASE", &stripe_url)])
        .await
        .unwrap();
    let manager_email = "gerente@autosfacturados.mx";
    let agency = system.onboard_agency("Autos Facturados", "AFA010101AB1", manager_email).await;
    let created = system
        .graphql(
            "mutation($input: ListingInput!) { createListing(input: $input) { id } }",
            json!({ "input": {
                "make": "Nissan", "model": "Versa", "year": 2021, "price": 23_900_000, "mileageKm": 41_000,
                "bodyType": "SEDAN", "fuel": "GASOLINE", "transmission": "MANUAL", "color": "Blanco",
                "condition": "USED", "city": "Puebla", "state": "Puebla" } }),
            Some(&agency.manager_token),
        )
        .await
        .unwrap();
    let listing_id = data(&created, "createListing")["id"].as_str().unwrap().to_string();
    let published = system
        .graphql(
            "mutation($id: ID!) { publishListing(id: $id) { id } }",
            json!({ "id": listing_id }),
            Some(&agency.manager_token),
        )
        .await
        .unwrap();
    data(&published, "publishListing");
    let billing_path = format!("/agencies/{}/billing", agency.id);
    let browser = Browser::start().await;

    let page = browser.session(SessionOptions::phone()).await;
    page.goto(&system.panel_url(&billing_path)).await;
    log_in(&page, manager_email, "gerencia-2026-segura").await;
    assert!(page.url().await.contains(&billing_path), "{}", page.url().await);
    // The badge is written in capitals by the style sheet.
    assert_eq!(page.text("[data-subscription]").await.to_lowercase(), "sin suscripción");
    assert!(
        page.body().await.contains("Aún no configuras la cuenta donde recibes los anticipos"),
        "{}",
        page.body().await
    );
    assert_accessible(&page, "billing").await;

    page.click_and_wait(&format!("form[action='{billing_path}/subscribe'] button")).await;
    assert!(page.body().await.contains("Listo: la suscripción está activa."), "{}", page.body().await);
    assert_eq!(page.text("[data-subscription]").await.to_lowercase(), "activa");
    assert!(stripe.requests_to("subscriptions").len() == 1, "one subscription was created at Stripe");
    // The car published this month is billed once billing's feed has seen it.
    let mut billed = page.attr("[data-billed-count]", "data-billed-count").await;
    for _ in 0..80 {
        if billed.as_deref() == Some("1") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        page.goto(&system.panel_url(&billing_path)).await;
        billed = page.attr("[data-billed-count]", "data-billed-count").await;
    }
    assert_eq!(billed.as_deref(), Some("1"));
    assert!(page.body().await.contains("1 anuncio facturado en "), "{}", page.body().await);
    assert_eq!(
        page.count(&format!("form[action='{billing_path}/subscribe']")).await,
        0,
        "no second subscription offered"
    );
    page.screenshot("panel-billing").await;

    // Payouts: the button sends the manager to Stripe's onboarding link…
    page.click(&format!("a[href='/agencies/{}/payouts/start']", agency.id)).await;
    assert!(
        page.wait_for_url("connect.stripe.test/setup/", std::time::Duration::from_secs(20)).await,
        "{}",
        page.url().await
    );
    // …and Stripe's return page shows the account's state.
    page.goto(&system.panel_url(&format!("/agencies/{}/payouts/done", agency.id))).await;
    assert!(page.url().await.contains(&format!("{billing_path}?done=payouts")), "{}", page.url().await);
    let body = page.body().await;
    assert!(body.contains("Volviste de Stripe") && body.contains("Stripe está revisando"), "{body}");
    page.close().await;

    // With JavaScript off: the same page, and the payout link answered by a redirect to Stripe.
    let plain = browser.session(SessionOptions::phone().without_javascript()).await;
    plain.goto(&system.panel_url(&billing_path)).await;
    log_in(&plain, manager_email, "gerencia-2026-segura").await;
    assert_eq!(plain.text("[data-subscription]").await.to_lowercase(), "activa");
    plain.click(&format!("a[href='/agencies/{}/payouts/start']", agency.id)).await;
    assert!(
        plain.wait_for_url("connect.stripe.test/setup/", std::time::Duration::from_secs(20)).await,
        "{}",
        plain.url().await
    );
    assert_eq!(stripe.requests_to("account_links").len(), 2);
}

/// Promoting a car from the panel (issue 17): the editor offers it for a published
/// car, the page asks billing for a PaymentIntent and hands its client secret to
/// Stripe's Payment Element, and once Stripe's signed webhook reports the payment
/// the editor says until when the car is promoted.
#[tokio::test]
async fn a_manager_promotes_a_car_with_the_payment_element_and_the_webhook_promotes_it() {
    const STRIPE_KEY: &str = "sk_test_panel_promote";
    const WEBHOOK_SECRET: &str = "whsec_panel_promote";
    let stripe = svc_billing::testing::StripeStandIn::start(STRIPE_KEY).await.unwrap();
    let stripe_url = stripe.url();
    let system = TestSystem::start(&[
        ("NDS_STRIPE_SECRET_KEY", STRIPE_KEY),
        ("NDS_STRIPE_WEBHOOK_SECRETS", WEBHOOK_SECRET),
        ("NDS_STRIPE_API_BASE", &stripe_url),
        ("NDS_STRIPE_PUBLISHABLE_KEY", "pk_test_panel_promote"),
    ])
    .await
    .unwrap();
    let manager_email = "gerente@autospromovidos.mx";
    let agency = system.onboard_agency("Autos Promovidos", "APR010101AB1", manager_email).await;
    let listing_id = create_listing(&system, &agency.manager_token, &CARS[0]).await;
    publish(&system, &agency.manager_token, &listing_id).await;
    let browser = Browser::start().await;
    let page = browser.session(SessionOptions::phone()).await;
    page.goto(&system.panel_url(&format!("/listings/{listing_id}/edit"))).await;
    log_in(&page, manager_email, MANAGER_PASSWORD).await;
    assert_eq!(page.count(".promoted-until").await, 0, "not promoted before paying");

    page.click_and_wait(&format!("a[href='/listings/{listing_id}/promote']")).await;
    assert!(page.body().await.contains("Durante 30 días"), "{}", page.body().await);
    assert_accessible(&page, "promote").await;
    page.click_and_wait(&format!("form[action='/listings/{listing_id}/promote'] button")).await;
    let intents = stripe.requests_to("payment_intents");
    assert_eq!(intents.len(), 1, "one PaymentIntent at Stripe");
    assert_eq!(intents[0].form.get("metadata[listing_id]"), Some(&listing_id));
    let secret = page.attr("[data-client-secret]", "data-client-secret").await.unwrap();
    let payment_intent_id = secret.split("_secret_").next().unwrap().to_string();
    assert!(stripe.object(&payment_intent_id).is_some(), "the page holds the PaymentIntent's client secret: {secret}");
    assert_eq!(page.attr("[data-stripe-key]", "data-stripe-key").await.as_deref(), Some("pk_test_panel_promote"));
    let return_url = page.attr("[data-return-url]", "data-return-url").await.unwrap();
    assert!(return_url.ends_with(&format!("/listings/{listing_id}/promote/done")), "{return_url}");
    assert!(page.body().await.contains("Pagar "), "{}", page.body().await);
    page.screenshot("panel-promote-pay").await;

    // Stripe reports the payment (the stand-in's PaymentIntent, now succeeded), signed.
    let delivered =
        nds_tests::stripe::deliver_payment_succeeded(&system, &stripe, &payment_intent_id, WEBHOOK_SECRET).await;
    assert_eq!(delivered, 200);

    // Stripe's return page, then the editor says until when.
    page.goto(&return_url).await;
    assert!(page.body().await.contains("Pago enviado"), "{}", page.body().await);
    let editor = system.panel_url(&format!("/listings/{listing_id}/edit"));
    let mut promoted = false;
    for _ in 0..80 {
        page.goto(&editor).await;
        if page.count(".promoted-until").await == 1 {
            promoted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(promoted, "the editor never showed the promotion");
    assert!(
        page.text(".promoted-until").await.starts_with("Promocionado hasta el "),
        "{}",
        page.text(".promoted-until").await
    );
    page.screenshot("panel-promoted").await;

    // Buyers see the car in a promoted slot of the site's search.
    let buyer = browser.session(SessionOptions::phone()).await;
    let promoted_card = format!(".promoted-block a[href*='{listing_id}']");
    let mut in_slot = false;
    for _ in 0..80 {
        buyer.goto(&system.site_url("/?q=toyota")).await;
        if buyer.count(&promoted_card).await > 0 {
            in_slot = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(in_slot, "the site never showed the car promoted: {}", buyer.body().await);

    // The platform's audit log says who bought it, for which car and how much.
    system.admin_token().await;
    let admin = browser.session(SessionOptions::phone()).await;
    admin.goto(&system.panel_url("/audit?action=promotion.purchased")).await;
    log_in(&admin, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(admin.count("table.data-table tbody tr").await, 1, "{}", admin.body().await);
    let row = admin.texts("table.data-table tbody tr td").await;
    assert_eq!(row[1], manager_email, "{row:?}");
    assert_eq!(row[2], "Compró una promoción", "{row:?}");
    // The promotion's price as charged at Stripe (minor units), as the log writes it.
    assert_eq!(intents[0].form.get("amount").map(String::as_str), Some("49900"));
    assert_eq!(row[3], "Toyota RAV4 2020 · $499.00 MXN", "{row:?}");
    assert_accessible(&admin, "audit log with a purchase").await;
    admin.screenshot("panel-audit-purchase-phone").await;
}

/// An agency's people (issue 17): the manager invites a salesperson from the
/// panel (a malformed address is refused next to the field, and nothing is sent),
/// sees the invitation pending, and once it is accepted on the site the
/// salesperson is on the team and nothing is pending; with JavaScript off.
#[tokio::test]
async fn a_manager_invites_a_salesperson_who_joins_and_leaves_the_pending_list() {
    let system = TestSystem::start(&[]).await.unwrap();
    let manager_email = "gerente@autosconequipo.mx";
    let agency = system.onboard_agency("Autos con Equipo", "ACE010101AB1", manager_email).await;
    let staff_path = format!("/agencies/{}/staff", agency.id);
    let browser = Browser::start().await;
    let page = browser.session(SessionOptions::phone().without_javascript()).await;
    page.goto(&system.panel_url("/")).await;
    log_in(&page, manager_email, MANAGER_PASSWORD).await;
    page.click_and_wait(&format!("a[href='{staff_path}']")).await;
    assert!(page.body().await.contains("No hay invitaciones pendientes."), "{}", page.body().await);
    assert_eq!(page.count(&format!("[data-staff-email='{manager_email}']")).await, 1, "the manager is on the team");

    let mails_before = system.mails().len();
    page.fill("#field-email", "vendedor-sin-arroba").await;
    page.click_and_wait(&format!("form[action='{staff_path}'] button[type=submit]")).await;
    assert!(!page.text("#field-email-error").await.trim().is_empty(), "{}", page.body().await);
    assert_eq!(system.mails().len(), mails_before, "nothing was sent");

    page.fill("#field-email", "ventas@autosconequipo.mx").await;
    page.click_and_wait(&format!("form[action='{staff_path}'] button[type=submit]")).await;
    assert!(
        page.body().await.contains("Listo: enviamos la invitación a ventas@autosconequipo.mx."),
        "{}",
        page.body().await
    );
    assert_eq!(page.count("[data-invited-email='ventas@autosconequipo.mx']").await, 1);
    assert!(page.text("[data-invited-email='ventas@autosconequipo.mx']").await.contains("Ventas"), "the role is shown");
    page.screenshot("panel-staff-pending").await;

    // The salesperson accepts on the site; the team has them and nothing is pending.
    system.accept_invitation("ventas@autosconequipo.mx", "Valeria Ventas", "ventas-equipo-2026").await;
    page.goto(&system.panel_url(&staff_path)).await;
    assert_eq!(page.count("[data-staff-email='ventas@autosconequipo.mx']").await, 1, "{}", page.body().await);
    assert_eq!(page.count("[data-invited-email]").await, 0, "{}", page.body().await);
    assert!(page.body().await.contains("Valeria Ventas"));
    page.close().await;

    // The same page with JavaScript on, for axe-core.
    let checked = browser.session(SessionOptions::phone()).await;
    checked.goto(&system.panel_url(&staff_path)).await;
    log_in(&checked, manager_email, MANAGER_PASSWORD).await;
    assert_eq!(checked.count("[data-staff-email='ventas@autosconequipo.mx']").await, 1);
    assert_accessible(&checked, "staff").await;
    checked.screenshot("panel-staff").await;
}

/// Metrics as pictures (issue 17): a manager's metrics page shows the last 30
/// days in numbers and the last six months as SVG bar charts drawn by the
/// server, the same with JavaScript off; another agency's manager gets the 403
/// page at that URL (the API's refusal).
#[tokio::test]
async fn a_manager_sees_the_agency_metrics_as_numbers_and_bar_charts() {
    let system = TestSystem::start(&[]).await.unwrap();
    let manager_email = "gerente@autosmedidos.mx";
    let agency = system.onboard_agency("Autos Medidos", "AME010101AB1", manager_email).await;
    let other_email = "gerente@autosajenos.mx";
    system.onboard_agency("Autos Ajenos", "AAJ010101AB1", other_email).await;
    let listing_id = create_listing(&system, &agency.manager_token, &CARS[0]).await;
    publish(&system, &agency.manager_token, &listing_id).await;
    let viewed = system
        .graphql("mutation($id: ID!) { recordListingView(id: $id) }", json!({ "id": listing_id }), None)
        .await
        .unwrap();
    assert_eq!(data(&viewed, "recordListingView"), &json!(true));
    let runtime = system.running.as_ref().unwrap().runtime.clone();
    svc_catalog::run_job(&runtime, svc_catalog::FLUSH_VIEW_COUNTERS).await.unwrap();
    let path = format!("/metrics?agency={}", agency.id);
    let browser = Browser::start().await;

    let phone = browser.session(SessionOptions::phone()).await;
    phone.goto(&system.panel_url("/")).await;
    log_in(&phone, manager_email, MANAGER_PASSWORD).await;
    // The panel's header and home link to the agency's metrics.
    assert!(phone.count(&format!("a[href='{path}']")).await >= 1, "{}", phone.source().await);
    phone.goto(&system.panel_url(&path)).await;
    let body = phone.body().await;
    assert!(body.contains("Métricas de la agencia") && body.contains("Últimos 6 meses"), "{body}");
    assert_eq!(phone.text("[data-metric='published'] dd").await, "1");
    assert_eq!(phone.text("[data-metric='new-listings'] dd").await, "1");
    assert!(phone.text("[data-metric='views'] dd").await.starts_with('1'), "{body}");
    // Six bars a chart, the current month's (the last) non-zero for new cars.
    assert_eq!(phone.count("[data-chart='new-listings'] svg[role='img'] rect").await, 6);
    assert_eq!(phone.count("[data-chart='new-listings'] svg g[data-height]").await, 6);
    let current = phone.attr("[data-chart='new-listings'] svg g:last-of-type", "data-height").await.unwrap();
    assert!(current.parse::<f64>().unwrap() > 0.0, "current month's bar: {current}");
    let first = phone.attr("[data-chart='new-listings'] svg g:first-of-type", "data-height").await.unwrap();
    assert_eq!(first, "0.0");
    let label = phone.attr("[data-chart='new-listings'] svg", "aria-label").await.unwrap();
    assert!(label.starts_with("Autos nuevos por mes.") && label.ends_with(": 1"), "{label}");
    assert_accessible(&phone, "metrics").await;
    phone.screenshot("panel-metrics-phone").await;
    phone.goto(&system.panel_url(&format!("{path}#by-month"))).await;
    phone.screenshot("panel-metrics-charts-phone").await;
    phone.close().await;

    // JavaScript off: the same page (the charts are the server's SVG).
    let plain = browser.session(SessionOptions::phone().without_javascript()).await;
    plain.goto(&system.panel_url(&path)).await;
    log_in(&plain, manager_email, MANAGER_PASSWORD).await;
    assert!(plain.url().await.contains(&path), "{}", plain.url().await);
    assert_eq!(plain.text("[data-metric='new-listings'] dd").await, "1");
    assert_eq!(plain.count("svg.bar-chart").await, 4);
    let current = plain.attr("[data-chart='new-listings'] svg g:last-of-type", "data-height").await.unwrap();
    assert!(current.parse::<f64>().unwrap() > 0.0, "current month's bar: {current}");
    plain.close().await;

    // Another agency's manager: the API refuses, the page is the 403 page.
    let other = browser.session(SessionOptions::desktop()).await;
    other.goto(&system.panel_url(&path)).await;
    log_in(&other, other_email, MANAGER_PASSWORD).await;
    let body = other.body().await;
    assert!(body.contains("No tienes acceso a esta página"), "{body}");
    assert_eq!(other.count("svg.bar-chart").await, 0);
    other.close().await;
    system.stop().await.unwrap();
}

/// What one visit of a panel URL must show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shown {
    Page,
    Forbidden,
    NotFound,
    /// The "we are having problems" page: never what a role should see.
    Broken,
}

/// The role matrix through the browser (issue 17, journey 5): every role signs in
/// to the panel and visits every panel URL; each shows its page, or the 403 or
/// 404 page the API's refusal (or the page's own tenancy) calls for. Two agencies
/// in two groups, as in the GraphQL authorization matrix.
#[tokio::test]
async fn every_role_sees_each_panel_page_or_the_right_refusal() {
    use Shown::{Forbidden, NotFound, Page as Shows};
    let system = TestSystem::start(&[]).await.unwrap();
    system.admin_token().await;
    let a = system.onboard_agency("Autos Norte", "ANO010101AB1", "gerente@autosnorte.mx").await;
    // Agency B: its manager signs in below.
    system.onboard_agency("Autos Sur", "ASU010101AB1", "gerente@autossur.mx").await;
    let invited = system
        .graphql(
            "mutation($agency: ID!) { inviteStaff(agencyId: $agency, email: \"ventas@autosnorte.mx\", role: SALESPERSON) { id } }",
            json!({ "agency": a.id }),
            Some(&a.manager_token),
        )
        .await
        .unwrap();
    data(&invited, "inviteStaff");
    system.accept_invitation("ventas@autosnorte.mx", "Vendedor Norte", "ventas-norte-2026").await;
    system.sign_up_buyer("comprador@correo.mx", "comprador-2026-seguro").await;
    let car = create_listing(&system, &a.manager_token, &CARS[0]).await;
    publish(&system, &a.manager_token, &car).await;
    // A's group has an administrator; a buyer writes about A's car (a lead).
    let (group, _) = system.appoint_group_admin(&a.id, "direccion@autosnorte.mx", "direccion-norte-2026").await;
    let buyer = system.access_token("comprador@correo.mx", "comprador-2026-seguro").await;
    let started = system
        .graphql(
            "mutation($car: ID!) { startConversation(listingId: $car, message: \"¿Sigue disponible?\") { id } }",
            json!({ "car": car }),
            Some(&buyer),
        )
        .await
        .unwrap();
    let lead = data(&started, "startConversation")["id"].as_str().unwrap().to_string();

    let urls = [
        "/applications".to_string(),
        "/users".to_string(),
        "/agencies".to_string(),
        "/audit".to_string(),
        "/metrics".to_string(),
        "/inventory".to_string(),
        "/leads".to_string(),
        format!("/listings/{car}/edit"),
        format!("/listings/{car}/promote"),
        format!("/agencies/{}/billing", a.id),
        format!("/agencies/{}/staff", a.id),
        format!("/metrics?agency={}", a.id),
        format!("/listings/{car}/photos"),
        format!("/leads/{lead}"),
        format!("/metrics?group={group}"),
        format!("/inventory?agency={}", a.id),
    ];
    // Rows: the URLs above, in order.
    let roles: [(&str, &str, &str, [Shown; 16]); 6] = [
        (
            "platform admin",
            ADMIN_EMAIL,
            ADMIN_PASSWORD,
            [
                Shows, Shows, Shows, Shows, Shows, Forbidden, Forbidden, Shows, Shows, Shows, Shows, Shows, Shows,
                Shows, Shows, Shows,
            ],
        ),
        (
            "manager of A",
            "gerente@autosnorte.mx",
            MANAGER_PASSWORD,
            [
                Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Shows, Shows, Shows, Shows, Shows, Shows, Shows,
                Shows, Shows, Forbidden, Shows,
            ],
        ),
        (
            "salesperson of A",
            "ventas@autosnorte.mx",
            "ventas-norte-2026",
            // The team page lists pending invitations, which only those who invite may read.
            [
                Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Shows, Shows, Shows, Shows, Forbidden,
                Forbidden, Forbidden, Shows, Shows, Forbidden, Shows,
            ],
        ),
        (
            "group admin of A",
            "direccion@autosnorte.mx",
            "direccion-norte-2026",
            // Reads the group's agencies (metrics, billing, inventories) and manages their
            // staff, as the API allows; its cars and leads are the agencies' own work.
            [
                Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden,
                Shows, Shows, Shows, Forbidden, Forbidden, Shows, Shows,
            ],
        ),
        (
            "manager of B",
            "gerente@autossur.mx",
            MANAGER_PASSWORD,
            [
                Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Shows, Shows, NotFound, NotFound, Forbidden,
                Forbidden, Forbidden, NotFound, NotFound, Forbidden, Forbidden,
            ],
        ),
        (
            "buyer",
            "comprador@correo.mx",
            "comprador-2026-seguro",
            [
                Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, NotFound, NotFound,
                Forbidden, Forbidden, Forbidden, NotFound, Forbidden, Forbidden, Forbidden,
            ],
        ),
    ];
    let browser = Browser::start().await;
    let mut mismatches = Vec::new();
    for (role, email, password, expected) in roles {
        let page = browser.session(SessionOptions::desktop().without_javascript()).await;
        page.goto(&system.panel_url("/login")).await;
        log_in(&page, email, password).await;
        for (url, expected) in urls.iter().zip(expected) {
            page.goto(&system.panel_url(url)).await;
            let body = page.body().await;
            assert!(!page.url().await.contains("/login"), "{role} was signed out at {url}");
            let shown = if body.contains("Estamos teniendo problemas") {
                Shown::Broken
            } else if body.contains("No tienes acceso a esta página") {
                Forbidden
            } else if body.contains("No encontramos esta página") {
                NotFound
            } else {
                Shows
            };
            if shown != expected {
                let shown_text: String = body.chars().take(600).collect::<String>().replace('\n', " | ");
                mismatches.push(format!("{role} at {url}: expected {expected:?}, shown {shown:?}: {shown_text}"));
            }
        }
        page.close().await;
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// A group admin's agencies side by side (issue 17): the demo group admin's
/// metrics page lists the group's two agencies (and no other group's) with their
/// last 30 days, and each row's inventory link opens that agency's cars read-only,
/// with the same count of published cars as the row. JavaScript off, then on for
/// axe-core.
#[tokio::test]
async fn a_group_admin_sees_the_agencies_side_by_side_and_reads_their_inventories() {
    let system = TestSystem::start(&[]).await.unwrap();
    let runtime = system.running.as_ref().unwrap().runtime.clone();
    nds_tests::demo_load(&runtime).await.unwrap();
    let (email, password) = ("direccion@valle.demo.nds.mx", "demo-group-2026");
    let browser = Browser::start().await;

    let plain = browser.session(SessionOptions::phone().without_javascript()).await;
    plain.goto(&system.panel_url("/")).await;
    log_in(&plain, email, password).await;
    let metrics = plain.attr("header a[href^='/metrics?group=']", "href").await.expect("the header links the group");
    plain.goto(&system.panel_url(&metrics)).await;
    let body = plain.body().await;
    assert!(body.contains("Agencias lado a lado"), "{body}");
    assert_eq!(plain.count("tr[data-agency-row]").await, 2, "{body}");
    assert!(body.contains("Valle Motors Polanco") && body.contains("Valle Motors Angelópolis"), "{body}");
    assert!(!body.contains("Autos del Norte"), "another group's agencies leak: {body}");

    let first = "tr[data-agency-row]:first-of-type";
    let published = plain.text(&format!("{first} [data-metric='published']")).await;
    assert!(published.parse::<u32>().is_ok_and(|count| count > 0), "published now: {published:?}");
    let inventory = plain.attr(&format!("{first} a[href^='/inventory?agency=']"), "href").await.unwrap();
    plain.screenshot("panel-group-side-by-side-nojs-phone").await;

    // The agency's inventory, read-only: its cars, no editor, no new car.
    plain.goto(&system.panel_url(&format!("{inventory}&status=PUBLISHED"))).await;
    let expected = if published == "1" { "1 auto".to_string() } else { format!("{published} autos") };
    assert_eq!(plain.text("#inventory p.small").await, expected, "{}", plain.body().await);
    assert!(plain.count("table.data-table tbody tr").await > 0);
    assert_eq!(plain.count("a[href^='/listings/new']").await, 0, "a group admin is offered a new car");
    assert_eq!(plain.count("main a[href$='/edit']").await, 0, "a group admin is offered the editor");
    assert!(plain.body().await.contains("Solo lectura"));
    plain.screenshot("panel-group-inventory-read-only-nojs-phone").await;
    plain.close().await;

    let phone = browser.session(SessionOptions::phone()).await;
    phone.goto(&system.panel_url(&metrics)).await;
    log_in(&phone, email, password).await;
    assert_eq!(phone.count("tr[data-agency-row]").await, 2);
    assert_accessible(&phone, "group metrics with the agencies side by side").await;
    phone.goto(&system.panel_url(&format!("{metrics}#side-by-side"))).await;
    phone.screenshot("panel-group-side-by-side-phone").await;
    phone.close().await;
    system.stop().await.unwrap();
}
