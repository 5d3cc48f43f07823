//! The lead inbox in the staff panel, in Chromium (issue 17, journey 4): a buyer
//! writes about a published car on the site; the manager's open inbox shows the
//! new lead without reload, unassigned (the agency has no salesperson yet) and
//! unread; opening it reads it; the
//! manager assigns it to a salesperson and replies, and the buyer's next message
//! appears on the open page without reload; the salesperson sees the lead as
//! theirs and marks it won; another agency's manager gets the not-found page. The
//! inbox and a reply also work with JavaScript off, and the site's thread link
//! (chat's mails) takes staff to the lead; pages are checked with axe-core.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use nds_tests::TestSystem;
use nds_tests::browser::{Browser, Page, SessionOptions, assert_accessible, log_in};
use nds_tests::client::data;
use nds_tests::inventory::{CARS, create_listing, publish};
use serde_json::{Value, json};

const MANAGER_EMAIL: &str = "gerente@autosprospectos.mx";
const MANAGER_PASSWORD: &str = "gerencia-2026-segura";
const SALES_EMAIL: &str = "valeria@autosprospectos.mx";
const SALES_PASSWORD: &str = "vendedora-2026-segura";
const BUYER_EMAIL: &str = "lucia@correo.mx";
const BUYER_PASSWORD: &str = "compradora-2026-segura";
/// The inbox asks again every 5 s; a live update gets a few rounds.
const LIVE: Duration = Duration::from_secs(20);

/// The lead as its buyer's side of the API reads it back.
async fn lead(system: &TestSystem, token: &str, id: &str) -> Value {
    let query = "query($id: ID!) { conversation(id: $id) { status assigneeId unreadCount messageCount } }";
    let response = system.graphql(query, json!({ "id": id }), Some(token)).await.unwrap();
    data(&response, "conversation").clone()
}

async fn send(system: &TestSystem, token: &str, id: &str, body: &str) {
    let sent = system
        .graphql(
            "mutation($id: ID!, $body: String!) { sendMessage(conversationId: $id, body: $body) { id } }",
            json!({ "id": id, "body": body }),
            Some(token),
        )
        .await
        .unwrap();
    data(&sent, "sendMessage");
}

/// Sets a marker that a reload would wipe, and says whether it is still there.
async fn mark(page: &Page) {
    page.client.execute("window.ndsMarker = 'still here';", vec![]).await.unwrap();
}

async fn marked(page: &Page) -> bool {
    page.client.execute("return window.ndsMarker || null;", vec![]).await.unwrap() == json!("still here")
}

#[tokio::test]
async fn a_new_lead_is_assigned_answered_and_won_in_the_panel_as_it_happens() {
    let system = TestSystem::start(&[]).await.unwrap();
    let agency = system.onboard_agency("Autos Prospectos", "APR010203AB1", MANAGER_EMAIL).await;
    let manager_token = agency.manager_token.clone();
    let car = create_listing(&system, &manager_token, &CARS[3]).await; // Toyota Corolla 2021
    publish(&system, &manager_token, &car).await;
    let buyer_token = system.sign_up_buyer(BUYER_EMAIL, BUYER_PASSWORD).await;
    let browser = Browser::start().await;

    // The manager's inbox, empty, is one link away from home.
    let manager = browser.session(SessionOptions::phone()).await;
    manager.goto(&system.panel_url("/")).await;
    log_in(&manager, MANAGER_EMAIL, MANAGER_PASSWORD).await;
    assert_eq!(manager.count("header a[href='/leads']").await, 1, "{}", manager.body().await);
    manager.click_and_wait("main a[href='/leads']").await;
    assert!(manager.body().await.contains("Aún no hay prospectos"), "{}", manager.body().await);
    mark(&manager).await;

    // A buyer writes about the car on the site.
    let buyer = browser.session(SessionOptions::phone()).await;
    buyer.goto(&system.site_url("/login")).await;
    log_in(&buyer, BUYER_EMAIL, BUYER_PASSWORD).await;
    buyer.goto(&system.site_url(&format!("/autos/{car}"))).await;
    buyer.fill("#field-message", "Hola, ¿el Corolla sigue disponible?").await;
    buyer.click_and_wait("#contact button[type=submit]").await;
    let url = buyer.url().await;
    assert!(url.contains("/conversations/"), "{url}");
    let id = url.rsplit('/').next().unwrap().to_string();

    // The open inbox shows the new lead without reload: unassigned, one unread.
    let row = format!("#lead-{id}");
    assert!(
        manager.wait_for_text("#leads", "Toyota Corolla 2021", LIVE).await,
        "the lead never appeared: {}",
        manager.body().await
    );
    assert!(marked(&manager).await, "the inbox reloaded instead of updating");
    let text = manager.text(&row).await;
    assert!(text.contains("Sin asignar") && text.contains("1 sin leer"), "{text}");
    assert!(text.to_lowercase().contains("nuevo"), "{text}");
    assert_accessible(&manager, "lead inbox").await;
    manager.screenshot("panel-leads-phone").await;

    // Home counts it among the recent leads with something unread.
    manager.goto(&system.panel_url("/")).await;
    let home = manager.text("main").await;
    assert!(home.contains("1 prospecto reciente con mensajes sin leer."), "{home}");
    manager.screenshot("panel-home-leads-phone").await;
    manager.click_and_wait("main a[href='/leads']").await;

    // A salesperson joins (chat hands new leads round-robin to salespeople, so
    // this one stayed unassigned because the agency had none yet).
    let invited = system
        .graphql(
            "mutation($agency: ID!, $email: String!) { inviteStaff(agencyId: $agency, email: $email, role: SALESPERSON) { id } }",
            json!({ "agency": agency.id, "email": SALES_EMAIL }),
            Some(&manager_token),
        )
        .await
        .unwrap();
    data(&invited, "inviteStaff");
    let sales_token = system.accept_invitation(SALES_EMAIL, "Valeria Vendedora", SALES_PASSWORD).await;
    let me = system.graphql("{ me { id } }", json!({}), Some(&sales_token)).await.unwrap();
    let salesperson_id = data(&me, "me")["id"].as_str().unwrap().to_string();

    // Opening it reads it.
    manager.click_and_wait(&format!("{row} td.buyer a")).await;
    assert!(manager.text("ol.thread").await.contains("¿el Corolla sigue disponible?"));
    assert_eq!(lead(&system, &manager_token, &id).await["unreadCount"], 0);

    // Assigned to the salesperson, by name.
    manager.select("#field-salesperson", &salesperson_id).await;
    manager.click_and_wait(&format!("form[action='/leads/{id}/assign'] button")).await;
    assert!(manager.url().await.contains("done=assigned"), "{}", manager.url().await);
    assert!(manager.text(".lead-facts").await.contains("Vendedor: Valeria Vendedora"), "{}", manager.body().await);
    assert_eq!(lead(&system, &buyer_token, &id).await["assigneeId"], json!(salesperson_id));

    // A reply, which the buyer gets.
    manager.fill("#field-body", "¡Hola Lucía! Sí, lo tenemos en piso.").await;
    manager.click_and_wait(&format!("form[action='/leads/{id}/reply'] button")).await;
    assert!(manager.url().await.contains("done=sent"), "{}", manager.url().await);
    assert!(manager.text("ol.thread").await.contains("lo tenemos en piso"));
    let read_by_buyer = lead(&system, &buyer_token, &id).await;
    assert_eq!((read_by_buyer["messageCount"].as_i64(), read_by_buyer["status"].as_str()), (Some(2), Some("OPEN")));

    // The buyer's next message appears on the open page without reload.
    mark(&manager).await;
    tokio::time::sleep(Duration::from_millis(500)).await; // the live stream connects
    send(&system, &buyer_token, &id, "¿Aceptan mi auto a cuenta?").await;
    assert!(
        manager.wait_for_text("ol.thread", "¿Aceptan mi auto a cuenta?", LIVE).await,
        "the message never appeared: {}",
        manager.text("ol.thread").await
    );
    assert!(marked(&manager).await, "the lead reloaded instead of updating");
    assert_accessible(&manager, "a lead").await;
    manager.screenshot("panel-lead-phone").await;
    manager.client.execute("document.querySelector('.lead-actions').scrollIntoView()", vec![]).await.unwrap();
    manager.screenshot("panel-lead-actions-phone").await;

    // The salesperson sees the lead as theirs and marks it won.
    let sales = browser.session(SessionOptions::desktop()).await;
    sales.goto(&system.panel_url("/leads")).await;
    log_in(&sales, SALES_EMAIL, SALES_PASSWORD).await;
    let text = sales.text(&row).await;
    assert!(text.contains("Toyota Corolla 2021") && text.contains("Tú"), "{text}");
    sales.click_and_wait(&format!("{row} td.buyer a")).await;
    assert_eq!(sales.count(&format!("form[action='/leads/{id}/assign']")).await, 0, "only managers assign");
    sales.select("#field-status", "WON").await;
    sales.click_and_wait(&format!("form[action='/leads/{id}/status'] button")).await;
    assert!(sales.url().await.contains("done=status"), "{}", sales.url().await);
    assert_eq!(sales.text(".lead-status .badge").await.to_lowercase(), "ganado");
    assert_eq!(lead(&system, &buyer_token, &id).await["status"], "WON");
    assert_accessible(&sales, "a lead for the salesperson").await;
    sales.screenshot("panel-lead-desktop").await;
    sales.close().await;

    // Another agency's manager: the not-found page, and not in their inbox.
    let other_email = "gerente@autosajenos.mx";
    system.onboard_agency("Autos Ajenos", "AAJ010203AB1", other_email).await;
    let stranger = browser.session(SessionOptions::phone()).await;
    stranger.goto(&system.panel_url(&format!("/leads/{id}"))).await;
    log_in(&stranger, other_email, MANAGER_PASSWORD).await;
    assert_eq!(stranger.text("h1").await, "No encontramos esta página");
    assert_eq!(stranger.count("ol.thread").await, 0);
    stranger.goto(&system.panel_url("/leads")).await;
    assert_eq!(stranger.count(&row).await, 0);
    stranger.close().await;

    // With JavaScript off: the inbox (read, won) and a reply are plain HTML.
    let plain = browser.session(SessionOptions::phone().without_javascript()).await;
    plain.goto(&system.panel_url("/leads")).await;
    log_in(&plain, MANAGER_EMAIL, MANAGER_PASSWORD).await;
    let text = plain.text(&row).await;
    assert!(text.contains("Valeria Vendedora") && text.to_lowercase().contains("ganado"), "{text}");
    assert_eq!(plain.count(&format!("{row} .unread")).await, 1, "the buyer's last message is unread: {text}");
    plain.click_and_wait(&format!("{row} td.buyer a")).await;
    plain.fill("#field-body", "Sí, con gusto lo valuamos.").await;
    plain.click_and_wait(&format!("form[action='/leads/{id}/reply'] button")).await;
    assert!(plain.body().await.contains("Respuesta enviada."), "{}", plain.body().await);
    assert!(plain.text("ol.thread").await.contains("con gusto lo valuamos"));
    plain.goto(&system.panel_url("/leads")).await;
    assert_eq!(plain.count(&format!("{row} .unread")).await, 0, "opened, so read");
    plain.screenshot("panel-leads-nojs-phone").await;
    // An empty reply is refused next to its field, nothing sent.
    plain.click_and_wait(&format!("{row} td.buyer a")).await;
    plain.click_and_wait(&format!("form[action='/leads/{id}/reply'] button")).await;
    assert!(!plain.text("#field-body-error").await.trim().is_empty(), "{}", plain.body().await);
    assert_eq!(lead(&system, &buyer_token, &id).await["messageCount"], 4);
    // The thread link in chat's mails names the site: staff land on the lead.
    plain.goto(&system.site_url(&format!("/conversations/{id}"))).await;
    assert_eq!(plain.url().await, system.panel_url(&format!("/leads/{id}")));
    assert!(plain.text("ol.thread").await.contains("con gusto lo valuamos"));
    plain.close().await;

    manager.close().await;
    buyer.close().await;
    system.stop().await.unwrap();
}
