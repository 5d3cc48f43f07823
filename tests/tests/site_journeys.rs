//! The buyer site in Chromium, as a person uses it (issue 16, journeys 2, 3, 4, 5,
//! 6 and 7): a listing's page and favourites, a conversation answered live, an
//! agency application through to the accepted invitation, and bad input. Every
//! page is checked with axe-core and saved as a screenshot.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use fantoccini::Locator;
use nds_tests::TestSystem;
use nds_tests::browser::{Browser, Page, SessionOptions, assert_accessible, log_in};
use nds_tests::client::{data, mailed_path};
use nds_tests::inventory::Inventory;
use serde_json::{Value, json};

const BUYER_EMAIL: &str = "lucia@correo.mx";
const BUYER_PASSWORD: &str = "lucia-busca-auto-2026";

async fn sign_up_in_browser(page: &Page, system: &TestSystem) {
    page.goto(&system.site_url("/signup")).await;
    page.fill("#field-name", "Lucía").await;
    page.fill("#field-email", BUYER_EMAIL).await;
    page.fill("#field-password", BUYER_PASSWORD).await;
    page.click_and_wait("form[action='/signup'] button[type=submit]").await;
}

async fn log_in_in_browser(page: &Page) {
    log_in(page, BUYER_EMAIL, BUYER_PASSWORD).await;
}

#[tokio::test]
async fn a_listing_page_is_described_for_search_engines_and_a_buyer_keeps_it_in_favourites() {
    let system = TestSystem::start(&[]).await.unwrap();
    let inventory = Inventory::publish_all(&system).await;
    let rav4 = &inventory.listing_ids[0];
    let browser = Browser::start().await;
    system.sign_up_buyer(BUYER_EMAIL, BUYER_PASSWORD).await;

    for options in [SessionOptions::phone(), SessionOptions::desktop().without_javascript()] {
        let page = browser.session(options).await;
        page.goto(&system.site_url(&format!("/autos/{rav4}"))).await;
        assert_eq!(page.text("h1").await, "Toyota RAV4 2020");
        let title = page.client.title().await.unwrap();
        assert!(title.starts_with("Toyota RAV4 2020 en Monterrey"), "title {title}");
        assert!(page.body().await.contains("$389,000 MXN"));
        assert!(page.body().await.contains("52,000 km"));
        let canonical = page.attr("link[rel=canonical]", "href").await.unwrap();
        assert!(canonical.ends_with(&format!("/autos/{rav4}")), "canonical {canonical}");
        assert!(page.attr("meta[property='og:title']", "content").await.unwrap().contains("RAV4"));
        let json_ld = page.client.find(Locator::Css("script[type='application/ld+json']")).await.unwrap();
        let car: Value = serde_json::from_str(&json_ld.prop("textContent").await.unwrap().unwrap()).unwrap();
        assert_eq!(car["@type"], "Car");
        assert_eq!(car["offers"]["@type"], "Offer");
        assert_eq!(car["offers"]["price"], 389_000);
        assert_eq!(car["offers"]["priceCurrency"], "MXN");
        if page.javascript {
            page.screenshot("site-listing-phone").await;
            assert_accessible(&page, "listing page").await;
        }

        // Favourite it: anonymous, the site asks to log in and comes back.
        page.click_and_wait("button.favourite").await;
        assert!(page.url().await.contains("/login?next="), "{}", page.url().await);
        log_in_in_browser(&page).await;
        assert!(page.url().await.ends_with(&format!("/autos/{rav4}")), "back on the listing: {}", page.url().await);
        page.click_and_wait("button.favourite").await;
        assert_eq!(page.attr("button.favourite", "aria-pressed").await.as_deref(), Some("true"));
        page.goto(&system.site_url("/favourites")).await;
        assert_eq!(page.texts(".cards h3").await, vec!["Toyota RAV4 2020".to_string()]);
        if page.javascript {
            assert_accessible(&page, "favourites").await;
        }
        // Remove it again so the next session starts from the same state.
        page.goto(&system.site_url(&format!("/autos/{rav4}"))).await;
        page.click_and_wait("button.favourite").await;
        assert_eq!(page.attr("button.favourite", "aria-pressed").await.as_deref(), Some("false"));
        page.close().await;
    }
    system.stop().await.unwrap();
}

#[tokio::test]
async fn the_agencys_answer_appears_in_the_open_thread_without_reload() {
    let system = TestSystem::start(&[]).await.unwrap();
    let inventory = Inventory::publish_all(&system).await;
    let corolla = &inventory.listing_ids[3];
    let browser = Browser::start().await;
    let page = browser.session(SessionOptions::phone()).await;
    sign_up_in_browser(&page, &system).await;

    page.goto(&system.site_url(&format!("/autos/{corolla}"))).await;
    page.fill("#field-message", "Hola, ¿puedo verlo el sábado?").await;
    page.click_and_wait("#contact button[type=submit]").await;
    assert!(page.url().await.contains("/conversations/"), "{}", page.url().await);
    assert!(page.text("ol.thread").await.contains("¿puedo verlo el sábado?"));
    let conversation_id = page.url().await.rsplit('/').next().unwrap().to_string();
    // A marker that a reload would wipe.
    page.client.execute("window.ndsMarker = 'still here';", vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let answer = system
        .graphql(
            "mutation($id: ID!, $body: String!) { sendMessage(conversationId: $id, body: $body) { id } }",
            json!({ "id": conversation_id, "body": "¡Claro! Te esperamos a las 11." }),
            Some(&inventory.agency.manager_token),
        )
        .await
        .unwrap();
    data(&answer, "sendMessage");
    assert!(
        page.wait_for_text("ol.thread", "Te esperamos a las 11", Duration::from_secs(15)).await,
        "the answer never appeared: {}",
        page.text("ol.thread").await
    );
    let marker = page.client.execute("return window.ndsMarker || null;", vec![]).await.unwrap();
    assert_eq!(marker, json!("still here"), "the page reloaded instead of updating");
    page.screenshot("site-conversation-phone").await;
    assert_accessible(&page, "conversation").await;

    page.goto(&system.site_url("/conversations")).await;
    assert!(page.text(".inbox").await.contains("Toyota Corolla 2021"));
    assert_accessible(&page, "inbox").await;
    page.close().await;
    system.stop().await.unwrap();
}

#[tokio::test]
async fn an_agency_applies_on_the_site_and_its_manager_accepts_the_mailed_invitation() {
    let system = TestSystem::start(&[]).await.unwrap();
    let browser = Browser::start().await;
    let page = browser.session(SessionOptions::desktop()).await;
    page.goto(&system.site_url("/sell")).await;
    assert_accessible(&page, "sell form").await;
    page.fill("#field-company_name", "Autos Rivera").await;
    page.fill("#field-contact_name", "Ana Rivera").await;
    page.fill("#field-contact_email", "ana@autosrivera.mx").await;
    page.fill("#field-tax_id", "ARI010203AB1").await;
    page.fill("#field-address", "Av. Constitución 100").await;
    page.fill("#field-city", "Monterrey").await;
    page.fill("#field-state", "Nuevo León").await;
    page.fill("#field-expected_listings", "25").await;
    page.click_and_wait("form[action='/sell'] button[type=submit]").await;
    assert!(page.body().await.contains("Recibimos tu solicitud"), "{}", page.body().await);
    page.screenshot("site-sell-received").await;

    let admin = system.admin_token().await;
    let pending = system
        .graphql(
            "{ agencyApplications(status: PENDING) { edges { node { id companyName } } } }",
            json!({}),
            Some(&admin),
        )
        .await
        .unwrap();
    let application = data(&pending, "agencyApplications")["edges"][0]["node"].clone();
    assert_eq!(application["companyName"], "Autos Rivera");
    let approved = system
        .graphql(
            "mutation($id: ID!) { reviewAgencyApplication(id: $id, approve: true) { status } }",
            json!({ "id": application["id"] }),
            Some(&admin),
        )
        .await
        .unwrap();
    assert_eq!(data(&approved, "reviewAgencyApplication")["status"], "APPROVED");

    let path = system
        .mails()
        .iter()
        .rev()
        .filter(|mail| mail.contains("ana@autosrivera.mx"))
        .find_map(|mail| mailed_path(mail, "/invitations/accept"))
        .expect("the approval mail links to the accept page");
    page.goto(&system.site_url(&path)).await;
    assert_accessible(&page, "accept invitation").await;
    page.fill("#field-name", "Ana Rivera").await;
    page.fill("#field-password", "rivera-autos-2026").await;
    page.click_and_wait("form[action='/invitations/accept'] button[type=submit]").await;
    assert!(page.url().await.contains("/account"), "{}", page.url().await);
    let body = page.body().await;
    assert!(body.contains("Ana Rivera") && body.contains("ana@autosrivera.mx"), "{body}");
    page.screenshot("site-invitation-accepted").await;

    // The link works once.
    let again = browser.session(SessionOptions::desktop()).await;
    again.goto(&system.site_url(&path)).await;
    again.fill("#field-name", "Otra Persona").await;
    again.fill("#field-password", "otra-clave-2026-x").await;
    again.click_and_wait("form[action='/invitations/accept'] button[type=submit]").await;
    assert!(again.body().await.contains("La invitación ya no es válida"), "{}", again.body().await);
    again.close().await;
    page.close().await;
    system.stop().await.unwrap();
}

#[tokio::test]
async fn bad_input_gets_clear_words_keeps_what_was_typed_and_stores_nothing() {
    let system = TestSystem::start(&[]).await.unwrap();
    let inventory = Inventory::publish_all(&system).await;
    let browser = Browser::start().await;
    let page = browser.session(SessionOptions::phone()).await;

    // Sign-up: empty, then far too long, then HTML.
    page.goto(&system.site_url("/signup")).await;
    page.click_and_wait("form[action='/signup'] button[type=submit]").await;
    assert_eq!(page.text("#field-name-error").await, "Este campo es obligatorio.");
    assert_eq!(page.text("#field-email-error").await, "Este campo es obligatorio.");
    assert_eq!(page.text("#field-password-error").await, "Este campo es obligatorio.");
    page.screenshot("site-signup-errors").await;
    assert_accessible(&page, "sign-up with errors").await;

    let long = "x".repeat(10_000);
    page.goto(&system.site_url("/signup")).await;
    // Browsers stop typing at maxlength; a script can still send anything.
    page.client
        .execute("document.querySelector('#field-name').removeAttribute('maxlength'); document.querySelector('#field-name').value = arguments[0];", vec![json!(long)])
        .await
        .unwrap();
    page.fill("#field-email", "x@correo").await;
    page.fill("#field-password", "corta").await;
    page.click_and_wait("form[action='/signup'] button[type=submit]").await;
    assert_eq!(page.text("#field-name-error").await, "Puede tener hasta 120 caracteres (tiene 10000).");
    assert_eq!(page.text("#field-email-error").await, "Escribe un correo válido, por ejemplo nombre@correo.com.");
    assert_eq!(page.text("#field-password-error").await, "Debe tener al menos 10 caracteres (tiene 5).");
    assert_eq!(page.attr("#field-email", "value").await.as_deref(), Some("x@correo"), "what was typed is kept");

    let html = "<script>alert(1)</script><b>Ana</b>";
    page.goto(&system.site_url("/signup")).await;
    page.fill("#field-name", html).await;
    page.fill("#field-email", "no-es-correo").await;
    page.fill("#field-password", "una-clave-larga-2026").await;
    page.click_and_wait("form[action='/signup'] button[type=submit]").await;
    assert_eq!(page.attr("#field-name", "value").await.as_deref(), Some(html), "HTML is kept as text");
    assert_eq!(page.count("b").await, 0, "typed HTML is never markup");
    let nobody = system
        .graphql(
            nds_tests::client::LOG_IN,
            json!({ "email": "no-es-correo", "password": "una-clave-larga-2026" }),
            None,
        )
        .await
        .unwrap();
    assert!(nobody.get("errors").is_some(), "no account was created: {nobody}");

    // A wrong invitation token.
    page.goto(&system.site_url("/invitations/accept?token=not-a-real-token")).await;
    page.fill("#field-name", "Alguien").await;
    page.fill("#field-password", "alguien-clave-2026").await;
    page.click_and_wait("form[action='/invitations/accept'] button[type=submit]").await;
    assert!(page.body().await.contains("La invitación ya no es válida"), "{}", page.body().await);

    // An overlong message to an agency stores nothing.
    system.sign_up_buyer(BUYER_EMAIL, BUYER_PASSWORD).await;
    page.goto(&system.site_url("/login")).await;
    log_in_in_browser(&page).await;
    let jetta = &inventory.listing_ids[6];
    page.goto(&system.site_url(&format!("/autos/{jetta}"))).await;
    page.client
        .execute("document.querySelector('#field-message').removeAttribute('maxlength'); document.querySelector('#field-message').value = arguments[0];", vec![json!("m".repeat(10_000))])
        .await
        .unwrap();
    page.click_and_wait("#contact button[type=submit]").await;
    assert_eq!(page.text("#field-message-error").await, "Puede tener hasta 4000 caracteres (tiene 10000).");
    page.goto(&system.site_url("/conversations")).await;
    assert!(page.body().await.contains("Aún no tienes conversaciones"), "nothing was sent");

    // A form without its CSRF token changes nothing and says so.
    let status = reqwest::Client::new()
        .post(system.site_url("/signup"))
        .form(&[("name", "Sin token"), ("email", "sintoken@correo.mx"), ("password", "sin-token-2026-x")])
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
    let nobody = system
        .graphql(
            nds_tests::client::LOG_IN,
            json!({ "email": "sintoken@correo.mx", "password": "sin-token-2026-x" }),
            None,
        )
        .await
        .unwrap();
    assert!(nobody.get("errors").is_some(), "no account without a CSRF token: {nobody}");

    // Unknown pages and listings are 404 pages in words.
    page.goto(&system.site_url("/autos/00000000-0000-0000-0000-000000000000")).await;
    assert_eq!(page.text("h1").await, "No encontramos esta página");
    page.goto(&system.site_url("/autos/not-a-listing")).await;
    assert_eq!(page.text("h1").await, "No encontramos esta página");
    assert_accessible(&page, "404").await;
    page.close().await;
    system.stop().await.unwrap();
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_the_mailed_link_and_the_old_one_stops_working() {
    let system = TestSystem::start(&[]).await.unwrap();
    let browser = Browser::start().await;
    system.sign_up_buyer(BUYER_EMAIL, BUYER_PASSWORD).await;

    // A session signed in with the old password, in another browser.
    let old = browser.session(SessionOptions::desktop()).await;
    old.goto(&system.site_url("/login")).await;
    log_in_in_browser(&old).await;
    assert!(old.url().await.ends_with('/') || old.url().await.contains("/account"), "{}", old.url().await);

    let page = browser.session(SessionOptions::phone()).await;
    page.goto(&system.site_url("/login")).await;
    page.click_and_wait("a[href='/password/forgot']").await;
    assert_accessible(&page, "forgot password").await;
    page.fill("#field-email", BUYER_EMAIL).await;
    page.click_and_wait("form[action='/password/forgot'] button[type=submit]").await;
    assert!(page.body().await.contains("te enviamos un enlace"), "{}", page.body().await);
    page.screenshot("site-password-forgot-sent").await;

    // Identity mails after it answers: wait for the link.
    let reset_link = || {
        system
            .mails()
            .iter()
            .rev()
            .filter(|mail| mail.contains(BUYER_EMAIL))
            .find_map(|mail| mailed_path(mail, "/password/reset"))
    };
    let mut path = None;
    for _ in 0..100 {
        path = reset_link();
        if path.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let path = path.expect("the reset mail links to the reset page");

    // An address without an account gets the same words and no mail.
    let mails_before = system.mails().len();
    page.fill("#field-email", "nadie@correo.mx").await;
    page.click_and_wait("form[action='/password/forgot'] button[type=submit]").await;
    assert!(page.body().await.contains("te enviamos un enlace"));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(system.mails().len(), mails_before, "no mail for an unknown address");

    page.goto(&system.site_url(&path)).await;
    assert_accessible(&page, "reset password").await;
    const NEW_PASSWORD: &str = "lucia-nueva-clave-2026";
    page.fill("#field-password", NEW_PASSWORD).await;
    page.click_and_wait("form[action='/password/reset'] button[type=submit]").await;
    assert!(page.url().await.contains("/account"), "{}", page.url().await);
    assert!(page.body().await.contains("tu contraseña cambió"), "{}", page.body().await);
    page.screenshot("site-password-reset-done").await;

    // The link works once.
    let again = browser.session(SessionOptions::desktop()).await;
    again.goto(&system.site_url(&path)).await;
    again.fill("#field-password", "otra-clave-distinta-2026").await;
    again.click_and_wait("form[action='/password/reset'] button[type=submit]").await;
    assert!(again.body().await.contains("El enlace ya no es válido"), "{}", again.body().await);

    // The old password no longer opens the account.
    again.goto(&system.site_url("/login")).await;
    log_in_in_browser(&again).await;
    assert!(again.body().await.contains("El correo o la contraseña no coinciden"), "{}", again.body().await);
    again.fill("#field-email", BUYER_EMAIL).await;
    again.fill("#field-password", NEW_PASSWORD).await;
    again.click_and_wait("form[action='/login'] button[type=submit]").await;
    assert!(!again.url().await.contains("/login"), "the new password opens the account");

    // The session opened with the old password has ended: the account asks to sign in.
    old.goto(&system.site_url("/account")).await;
    assert!(old.url().await.contains("/login"), "old session still open: {}", old.url().await);
    for session in [old, again, page] {
        session.close().await;
    }
    system.stop().await.unwrap();
}
