//! The platform admin's people and agencies pages in Chromium (issue 17): finding
//! a person by e-mail and suspending them after a confirmation page (their panel
//! session stops working within seconds), reinstating them; suspending an agency
//! (its published car leaves search, its only-there manager is signed out within
//! seconds) and reinstating it (the car comes back, and the manager signs in to it); the
//! audit log naming who did each and when, filtered in the URL. A manager gets
//! the 403 page at the admins' URLs and no links to them. The search and the
//! confirmation also work with JavaScript off. Every page is checked with axe-core.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use nds_tests::TestSystem;
use nds_tests::browser::{Browser, Page, SessionOptions, assert_accessible, log_in};
use nds_tests::client::{ADMIN_EMAIL, ADMIN_PASSWORD, data};
use nds_tests::inventory::{CARS, create_listing, publish, wait_until_searchable};
use serde_json::json;

const MANAGER_EMAIL: &str = "gerente@autosnorte.mx";
const MANAGER_PASSWORD: &str = "gerencia-2026-segura";
/// Identity's answers are cached by the other services for 5 s, and search
/// follows catalog's feed within a second: generous bounds for both.
const SESSION_ENDS_WITHIN: Duration = Duration::from_secs(15);
const SEARCH_FOLLOWS_WITHIN: Duration = Duration::from_secs(15);

async fn searchable_count(system: &TestSystem) -> i64 {
    let response = system.graphql("{ search(input: {}) { results { totalCount } } }", json!({}), None).await.unwrap();
    data(&response, "search")["results"]["totalCount"].as_i64().unwrap()
}

/// Polls search until it counts `expected` listings, for at most `within`.
async fn search_reaches(system: &TestSystem, expected: i64, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if searchable_count(system).await == expected {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

/// Reloads a panel page until it lands on the sign-in form, for at most `within`.
async fn signed_out_within(page: &Page, url: &str, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        page.goto(url).await;
        if page.url().await.contains("/login") {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    false
}

#[tokio::test]
async fn an_admin_suspends_and_reinstates_a_person_and_an_agency_and_the_audit_log_says_who() {
    let system = TestSystem::start(&[]).await.unwrap();
    let agency = system.onboard_agency("Autos Norte", "ANO010203AB1", MANAGER_EMAIL).await;
    let manager_id = system.user_id(&agency.manager_token).await;
    let car = create_listing(&system, &agency.manager_token, &CARS[0]).await;
    publish(&system, &agency.manager_token, &car).await;
    wait_until_searchable(&system, 1).await;
    let browser = Browser::start().await;

    // A manager: no links to the admins' pages, and their URLs answer the 403 page.
    let manager = browser.session(SessionOptions::desktop()).await;
    manager.goto(&system.panel_url("/")).await;
    log_in(&manager, MANAGER_EMAIL, MANAGER_PASSWORD).await;
    assert!(manager.body().await.contains("Gerencia de agencia"), "{}", manager.body().await);
    for path in ["/users", "/agencies", "/audit"] {
        assert_eq!(manager.count(&format!("a[href='{path}']")).await, 0, "a manager is offered {path}");
    }
    for path in ["/users?email=autosnorte", "/agencies", "/audit"] {
        manager.goto(&system.panel_url(path)).await;
        let body = manager.body().await;
        assert!(body.contains("No tienes acceso a esta página"), "{path}: {body}");
        assert!(!body.contains(MANAGER_EMAIL) || path != "/users?email=autosnorte", "{path} leaks the search");
        assert!(!body.contains("Grupo Autos Norte"), "{path} leaks the groups: {body}");
    }

    // The admin, on a phone: the header and the home page lead to the three pages.
    let admin = browser.session(SessionOptions::phone()).await;
    admin.goto(&system.panel_url("/")).await;
    log_in(&admin, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for path in ["/users", "/agencies", "/audit"] {
        assert_eq!(admin.count(&format!("main a[href='{path}']")).await, 1, "home links {path}");
        assert_eq!(admin.count(&format!("header a[href='{path}']")).await, 1, "the header links {path}");
    }

    // Find the manager by part of the address: roles and state in the row.
    admin.click_and_wait("main a[href='/users']").await;
    assert_accessible(&admin, "user search").await;
    admin.fill("#field-email", "AUTOSNORTE").await;
    admin.click_and_wait("form.search-form button[type=submit]").await;
    assert!(admin.url().await.contains("email=AUTOSNORTE"), "the search is in the URL: {}", admin.url().await);
    let row = format!("#user-{manager_id}");
    let found = admin.text(&row).await;
    assert!(
        found.contains(MANAGER_EMAIL) && found.contains("Gerencia de agencia") && found.contains("Activa"),
        "{found}"
    );
    assert_accessible(&admin, "users found").await;
    admin.screenshot("panel-users-phone").await;

    // Suspending asks first; the answer is the person as identity has them now.
    admin.click_and_wait(&format!("{row} a[href*='/suspend']")).await;
    assert!(admin.text("h1").await.contains(&format!("¿Suspender a {MANAGER_EMAIL}?")), "{}", admin.body().await);
    assert_accessible(&admin, "suspension question").await;
    admin.screenshot("panel-user-suspend-confirm-phone").await;
    admin.click_and_wait("section.confirm button.danger").await;
    assert!(admin.body().await.contains(&format!("Suspendiste a {MANAGER_EMAIL}")), "{}", admin.body().await);
    // The state's badge is upper-cased by the stylesheet: compared in lower case.
    assert!(admin.text(&row).await.to_lowercase().contains("suspendida"));

    // The manager's open session stops working: the panel signs them out.
    assert!(
        signed_out_within(&manager, &system.panel_url("/inventory"), SESSION_ENDS_WITHIN).await,
        "the suspended manager still reaches the inventory: {}",
        manager.body().await
    );
    // The sign-in form itself, not a redirect loop between it and the page.
    assert_eq!(manager.count("form[action='/login']").await, 1, "{}", manager.body().await);
    log_in(&manager, MANAGER_EMAIL, MANAGER_PASSWORD).await;
    assert!(manager.url().await.contains("/login"), "a suspended person cannot sign in again");

    // Reinstated in one step (it undoes): they sign in again.
    admin.click_and_wait(&format!("{row} form[action$='/reinstate'] button")).await;
    assert!(admin.body().await.contains(&format!("{MANAGER_EMAIL} puede volver a entrar")), "{}", admin.body().await);
    assert!(admin.text(&row).await.contains("Activa"));
    manager.goto(&system.panel_url("/")).await;
    log_in(&manager, MANAGER_EMAIL, MANAGER_PASSWORD).await;
    assert!(manager.body().await.contains("Gerencia de agencia"), "{}", manager.body().await);
    manager.goto(&system.panel_url("/inventory")).await;
    assert_eq!(manager.count(&format!("#listing-{car}")).await, 1, "{}", manager.body().await);

    // The agency: suspended after its question, its car leaves search.
    admin.goto(&system.panel_url("/agencies")).await;
    let agency_row = format!("#agency-{}", agency.id);
    assert!(admin.text(&agency_row).await.contains("Activa"), "{}", admin.body().await);
    assert!(admin.body().await.contains("Grupo Autos Norte"));
    assert_accessible(&admin, "groups and agencies").await;
    admin.screenshot("panel-agencies-phone").await;
    admin.click_and_wait(&format!("{agency_row} a[href$='/suspend']")).await;
    assert!(admin.text("h1").await.contains("¿Suspender la agencia Autos Norte?"));
    assert_accessible(&admin, "agency suspension question").await;
    admin.click_and_wait("section.confirm button.danger").await;
    assert!(admin.body().await.contains("Suspendiste Autos Norte"), "{}", admin.body().await);
    assert!(admin.text(&agency_row).await.to_lowercase().contains("suspendida"));
    assert!(search_reaches(&system, 0, SEARCH_FOLLOWS_WITHIN).await, "the suspended agency's car is still searchable");
    let public = system.graphql("query($id: ID!) { listing(id: $id) { id } }", json!({ "id": car }), None).await;
    assert!(data(&public.unwrap(), "listing").is_null(), "its page is gone for the public");
    // Its manager, staff of that agency alone, is signed out within seconds (the
    // panel rereads staff roles); signing in again gives no access to its cars.
    let inventory = system.panel_url("/inventory");
    assert!(
        signed_out_within(&manager, &inventory, SESSION_ENDS_WITHIN).await,
        "the suspended agency's manager is still signed in: {}",
        manager.body().await
    );
    log_in(&manager, MANAGER_EMAIL, MANAGER_PASSWORD).await;
    let inventory_link = "header nav a[href='/inventory']";
    assert_eq!(manager.count(inventory_link).await, 0, "no inventory offered: {}", manager.body().await);

    // Reinstated: the car comes back, and so does the manager's agency at their next sign-in.
    admin.click_and_wait(&format!("{agency_row} form[action$='/reinstate'] button")).await;
    assert!(admin.body().await.contains("Autos Norte está activa de nuevo"), "{}", admin.body().await);
    assert!(search_reaches(&system, 1, SEARCH_FOLLOWS_WITHIN).await, "the reinstated agency's car is not back");
    manager.click_and_wait("form[action='/logout'] button").await;
    manager.goto(&system.panel_url("/")).await;
    log_in(&manager, MANAGER_EMAIL, MANAGER_PASSWORD).await;
    assert_eq!(manager.count(inventory_link).await, 1, "{}", manager.body().await);
    manager.goto(&inventory).await;
    assert_eq!(manager.count(&format!("#listing-{car}")).await, 1, "the manager has the agency back");

    // The audit log: every step, by whom and when, newest first.
    admin.goto(&system.panel_url("/audit")).await;
    let rows = admin.texts("table.data-table tbody tr").await;
    let actions = ["Reactivó una agencia", "Suspendió una agencia", "Reactivó una cuenta", "Suspendió una cuenta"];
    for (row, action) in rows.iter().zip(actions) {
        assert!(row.contains(action) && row.contains(ADMIN_EMAIL) && row.contains("UTC"), "{action}: {row}");
    }
    assert!(rows[0].contains("Autos Norte") && rows[3].contains(MANAGER_EMAIL), "{rows:#?}");
    assert_accessible(&admin, "audit log").await;
    admin.screenshot("panel-audit-phone").await;
    // Filtered in the URL: only agency suspensions.
    admin.select("#field-action", "agency.suspended").await;
    admin.click_and_wait("form.audit-filter button[type=submit]").await;
    assert!(admin.url().await.contains("action=agency.suspended"), "{}", admin.url().await);
    let filtered = admin.texts("table.data-table tbody tr").await;
    assert_eq!(filtered.len(), 1, "{filtered:#?}");
    assert!(filtered[0].contains("Suspendió una agencia"));
    // A made-up action is an error page in words, not an empty log.
    admin.goto(&system.panel_url("/audit?action=user.deleted")).await;
    assert!(!admin.body().await.contains("Suspendió"), "{}", admin.body().await);

    admin.close().await;
    manager.close().await;
    system.stop().await.unwrap();
}

#[tokio::test]
async fn with_javascript_off_an_admin_finds_a_buyer_and_suspends_them_after_the_question() {
    let system = TestSystem::start(&[]).await.unwrap();
    system.admin_token().await; // creates the platform admin
    let buyer = system.sign_up_buyer("compradora@correo.mx", "compradora-2026-segura").await;
    let buyer_id = system.user_id(&buyer).await;
    let browser = Browser::start().await;
    let plain = browser.session(SessionOptions::phone().without_javascript()).await;
    plain.goto(&system.panel_url("/users")).await;
    log_in(&plain, ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Too short a search is refused next to the field, with what was typed kept.
    plain.fill("#field-email", "co").await;
    plain.click_and_wait("form.search-form button[type=submit]").await;
    assert!(plain.text("#field-email-error").await.contains("al menos 3 caracteres"), "{}", plain.body().await);
    assert_eq!(plain.attr("#field-email", "value").await.as_deref(), Some("co"));

    plain.fill("#field-email", "compradora@").await;
    plain.click_and_wait("form.search-form button[type=submit]").await;
    let row = format!("#user-{buyer_id}");
    assert!(plain.text(&row).await.contains("Comprador"), "{}", plain.body().await);
    plain.click_and_wait(&format!("{row} a[href*='/suspend']")).await;
    assert!(plain.text("h1").await.contains("¿Suspender a compradora@correo.mx?"));
    // "Cancelar" goes back to the same search and changes nothing.
    plain.click_and_wait("section.confirm a.button").await;
    assert!(plain.text(&row).await.contains("Activa"), "{}", plain.body().await);
    plain.click_and_wait(&format!("{row} a[href*='/suspend']")).await;
    plain.click_and_wait("section.confirm button.danger").await;
    assert!(plain.text(&row).await.to_lowercase().contains("suspendida"), "{}", plain.body().await);
    let refused = system.graphql("{ me { id } }", json!({}), Some(&buyer)).await.unwrap();
    assert_eq!(refused["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{refused}");
    plain.screenshot("panel-user-suspended-nojs-phone").await;

    // The admin's own account: identity refuses, and the page says why in words.
    let admin_id = system.user_id(&system.access_token(ADMIN_EMAIL, ADMIN_PASSWORD).await).await;
    plain.goto(&system.panel_url("/users?email=admin%40nds")).await;
    plain.click_and_wait(&format!("#user-{admin_id} a[href*='/suspend']")).await;
    plain.click_and_wait("section.confirm button.danger").await;
    assert!(plain.body().await.contains("No puedes suspender tu propia cuenta"), "{}", plain.body().await);
    assert!(plain.text(&format!("#user-{admin_id}")).await.contains("Activa"));

    plain.close().await;
    system.stop().await.unwrap();
}
