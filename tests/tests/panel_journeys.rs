//! The staff panel in Chromium, as staff use it (issue 17, journey 1): a platform
//! admin signs in, rejects an application without a reason (refused, the error
//! next to the field), then with one (the applicant's mail carries it), approves
//! another; the invited manager accepts on the site and signs in to the panel.
//! The review also works with JavaScript off; every page is checked with axe-core.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nds_tests::TestSystem;
use nds_tests::browser::{Browser, Page, SessionOptions};
use nds_tests::client::{ADMIN_EMAIL, ADMIN_PASSWORD, data, mailed_path};
use serde_json::json;

async fn assert_accessible(page: &Page, what: &str) {
    let violations = page.accessibility_violations().await;
    assert!(violations.is_empty(), "{what}: accessibility violations {violations:#?}");
}

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

async fn log_in(page: &Page, email: &str, password: &str) {
    page.fill("#field-email", email).await;
    page.fill("#field-password", password).await;
    page.click_and_wait("form[action='/login'] button[type=submit]").await;
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
