//! The buyer site in Chromium: searching in Spanish, with and without JavaScript,
//! at phone and desktop sizes (issue 16, journey 1).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use nds_tests::TestSystem;
use nds_tests::browser::{Browser, Page, SessionOptions};
use nds_tests::inventory::Inventory;

const QUERY: &str = "camioneta toyota automática menos de 400 mil";

/// The pesos of a card's price text ("$389,000 MXN" → 389000).
fn pesos(price: &str) -> i64 {
    price.chars().filter(char::is_ascii_digit).collect::<String>().parse().unwrap()
}

async fn search(page: &Page, system: &TestSystem, query: &str) {
    page.goto(&system.site_url("/")).await;
    page.fill("#q", query).await;
    page.click_and_wait(".hero button[type=submit]").await;
}

/// Titles of the result cards (not the promoted ones).
async fn result_titles(page: &Page) -> Vec<String> {
    page.texts("#results .results-head ~ .cards h3").await
}

#[tokio::test]
async fn a_spanish_search_shows_what_it_understood_and_a_removed_chip_widens_it() {
    let system = TestSystem::start(&[]).await.unwrap();
    Inventory::publish_all(&system).await;
    let browser = Browser::start().await;

    for (options, name) in [(SessionOptions::phone(), "phone"), (SessionOptions::desktop(), "desktop")] {
        let page = browser.session(options).await;
        search(&page, &system, QUERY).await;
        let chips = page.texts("#results .chip span:first-child").await;
        assert!(chips.contains(&"Toyota".to_string()), "{name}: chips {chips:?}");
        assert!(chips.contains(&"Automática".to_string()), "{name}: chips {chips:?}");
        assert!(chips.iter().any(|chip| chip == "hasta $400,000 MXN"), "{name}: chips {chips:?}");
        let titles = result_titles(&page).await;
        assert!(!titles.is_empty(), "{name}: no results for {QUERY}");
        for title in &titles {
            assert!(title.starts_with("Toyota"), "{name}: {title} is not a Toyota");
        }
        for price in page.texts("#results .results-head ~ .cards .price").await {
            assert!(pesos(&price) <= 400_000, "{name}: {price} is over 400 mil");
        }
        for meta in page.texts("#results .results-head ~ .cards .meta").await {
            assert!(meta.contains("Automática"), "{name}: {meta} is not automatic");
        }
        page.screenshot(&format!("site-search-{name}")).await;
        let violations = page.accessibility_violations().await;
        assert!(violations.is_empty(), "{name}: accessibility violations {violations:#?}");

        // Removing the make widens the search to every automatic SUV under 400 mil.
        // With JavaScript, htmx swaps the results in place.
        page.click("#results .chip a[aria-label*='Toyota']").await;
        let widened = page.wait_for_text("#results .results-head h2", "4 autos", Duration::from_secs(5)).await;
        assert!(widened, "{name}: removing Toyota did not widen: {}", page.text("#results .results-head h2").await);
        let chips = page.texts("#results .chip span:first-child").await;
        assert!(!chips.contains(&"Toyota".to_string()), "{name}: chips after removal {chips:?}");
        let titles = result_titles(&page).await;
        assert!(titles.iter().any(|title| title.starts_with("Honda")), "{name}: {titles:?}");
        assert!(
            page.url().await.contains("price_max=400000"),
            "{name}: the URL holds the search: {}",
            page.url().await
        );
        page.close().await;
    }

    // The same search with JavaScript off shows the same cards.
    let with_script = browser.session(SessionOptions::desktop()).await;
    search(&with_script, &system, QUERY).await;
    let expected = result_titles(&with_script).await;
    with_script.close().await;
    let without_script = browser.session(SessionOptions::desktop().without_javascript()).await;
    search(&without_script, &system, QUERY).await;
    assert_eq!(result_titles(&without_script).await, expected);
    // Without JavaScript a chip is a plain link to the widened search.
    without_script.click_and_wait("#results .chip a[aria-label*='Toyota']").await;
    assert!(without_script.text("#results .results-head h2").await.contains("4 autos"));
    assert!(!without_script.texts("#results .chip span:first-child").await.contains(&"Toyota".to_string()));
    without_script.screenshot("site-search-no-javascript").await;
    without_script.close().await;
    system.stop().await.unwrap();
}

#[tokio::test]
async fn a_buyer_saves_a_search_runs_it_and_deletes_it_but_not_someone_elses() {
    let system = TestSystem::start(&[]).await.unwrap();
    Inventory::publish_all(&system).await;
    const EMAIL: &str = "mateo@correo.mx";
    const PASSWORD: &str = "mateo-busca-camioneta-2026";
    system.sign_up_buyer(EMAIL, PASSWORD).await;
    // Another buyer's saved search, made through the API.
    let other = system.sign_up_buyer("sofia@correo.mx", "sofia-busca-sedan-2026").await;
    let saved = system
        .graphql(
            "mutation { saveSearch(name: \"Sedanes\", input: { text: \"sedán\" }) { id } }",
            serde_json::json!({}),
            Some(&other),
        )
        .await
        .unwrap();
    let others_id = nds_tests::client::data(&saved, "saveSearch")["id"].as_str().unwrap().to_string();

    let browser = Browser::start().await;
    let page = browser.session(SessionOptions::phone().without_javascript()).await;
    page.goto(&system.site_url("/login")).await;
    page.fill("#field-email", EMAIL).await;
    page.fill("#field-password", PASSWORD).await;
    page.click_and_wait("form[action='/login'] button[type=submit]").await;

    search(&page, &system, QUERY).await;
    let results = result_titles(&page).await;
    assert!(!results.is_empty());
    page.fill("#save-name", "Camionetas Toyota").await;
    page.click_and_wait("form.save-search button[type=submit]").await;
    assert!(page.url().await.contains("/saved-searches"), "{}", page.url().await);
    assert_eq!(page.texts(".saved-row strong").await, vec!["Camionetas Toyota".to_string()]);
    page.screenshot("site-saved-searches").await;

    // Running it gives the same cards.
    page.click_and_wait(".saved-row > a").await;
    assert_eq!(result_titles(&page).await, results);

    // Someone else's saved search id, posted with this buyer's valid form token,
    // is not found and stays (the owner is the session's, never the id's).
    let js = browser.session(SessionOptions::desktop()).await;
    js.goto(&system.site_url("/login")).await;
    js.fill("#field-email", EMAIL).await;
    js.fill("#field-password", PASSWORD).await;
    js.click_and_wait("form[action='/login'] button[type=submit]").await;
    js.goto(&system.site_url("/saved-searches")).await;
    let csrf = js.attr("form.saved-delete input[name=csrf]", "value").await.unwrap();
    let forge = format!(
        "var f=document.createElement('form');f.method='post';f.action='/saved-searches/{others_id}/delete';\
         var i=document.createElement('input');i.type='hidden';i.name='csrf';i.value='{csrf}';f.appendChild(i);\
         document.body.appendChild(f);f.submit();"
    );
    js.client.execute(&forge, vec![]).await.unwrap();
    assert!(js.wait_for_text("h1", "No encontramos esta página", Duration::from_secs(10)).await, "{}", js.body().await);
    let theirs = system.graphql("{ savedSearches { id } }", serde_json::json!({}), Some(&other)).await.unwrap();
    assert_eq!(nds_tests::client::data(&theirs, "savedSearches").as_array().unwrap().len(), 1, "not deleted");
    js.close().await;

    // Their own goes, and the page says so.
    page.goto(&system.site_url("/saved-searches")).await;
    page.click_and_wait("form.saved-delete button[type=submit]").await;
    assert!(page.body().await.contains("Búsqueda borrada"), "{}", page.body().await);
    assert_eq!(page.count(".saved-row").await, 0);
    page.close().await;
    system.stop().await.unwrap();
}
