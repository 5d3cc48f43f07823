//! The flows clients run, end to end through GraphQL against NDS started as
//! `nds dev` starts it: accounts and sessions, an agency's onboarding, a listing's
//! life from draft to sold, and what a buyer sees of it.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use nds_tests::TestSystem;
use nds_tests::client::{LOG_IN, data, error_code, invitation_token};
use serde_json::{Value, json};

#[tokio::test]
async fn a_buyer_signs_up_logs_in_rotates_the_session_and_logs_out() {
    let system = TestSystem::start(&[]).await.unwrap();
    let sign_up = system
        .graphql(
            "mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken user { email memberships { role } } } }",
            json!({ "input": { "email": "  Ana.Lopez@Example.COM ", "password": "una-clave-larga-2026", "name": "Ana López" } }),
            None,
        )
        .await
        .unwrap();
    let payload = data(&sign_up, "signUp");
    assert_eq!(payload["user"]["email"], "ana.lopez@example.com", "email is normalised");
    assert_eq!(payload["user"]["memberships"][0]["role"], "BUYER");

    let session = system.log_in("ana.lopez@example.com", "una-clave-larga-2026").await;
    let me = system.graphql("{ me { email } }", json!({}), session["accessToken"].as_str()).await.unwrap();
    assert_eq!(data(&me, "me")["email"], "ana.lopez@example.com");

    let refresh = "mutation($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken } }";
    let old_refresh = session["refreshToken"].as_str().unwrap();
    let rotated = system.graphql(refresh, json!({ "token": old_refresh }), None).await.unwrap();
    let new_refresh = data(&rotated, "refreshSession")["refreshToken"].as_str().unwrap().to_string();
    assert_ne!(new_refresh, old_refresh, "the refresh token rotates");

    // Reusing the old token is theft: it fails and revokes the family, new token included.
    let reused = system.graphql(refresh, json!({ "token": old_refresh }), None).await.unwrap();
    assert_eq!(error_code(&reused), "UNAUTHENTICATED");
    let after_reuse = system.graphql(refresh, json!({ "token": new_refresh }), None).await.unwrap();
    assert_eq!(error_code(&after_reuse), "UNAUTHENTICATED");

    let again = system.log_in("ana.lopez@example.com", "una-clave-larga-2026").await;
    let log_out = system
        .graphql(
            "mutation($token: String!) { logOut(refreshToken: $token) }",
            json!({ "token": again["refreshToken"] }),
            None,
        )
        .await
        .unwrap();
    assert_eq!(data(&log_out, "logOut"), &json!(true));
    let after_log_out = system.graphql(refresh, json!({ "token": again["refreshToken"] }), None).await.unwrap();
    assert_eq!(error_code(&after_log_out), "UNAUTHENTICATED");

    let wrong = system
        .graphql(LOG_IN, json!({ "email": "ana.lopez@example.com", "password": "nope-nope-nope" }), None)
        .await
        .unwrap();
    let unknown = system
        .graphql(LOG_IN, json!({ "email": "nadie@example.com", "password": "nope-nope-nope" }), None)
        .await
        .unwrap();
    assert_eq!(error_code(&wrong), "UNAUTHENTICATED");
    assert_eq!(
        wrong["errors"][0]["message"], unknown["errors"][0]["message"],
        "unknown email and wrong password answer alike"
    );
    system.stop().await.unwrap();
}

#[tokio::test]
async fn an_approved_applicant_manages_a_listing_that_buyers_then_find() {
    let system = TestSystem::start(&[]).await.unwrap();
    let admin_token = system.admin_token().await;

    // Anyone applies; the platform admin approves; the applicant is invited as manager.
    let application = system
        .graphql(
            "mutation($input: AgencyApplicationInput!) { applyForAgency(input: $input) { id status } }",
            json!({ "input": {
                "companyName": "Autos Reforma", "contactName": "Luis Pérez", "contactEmail": "luis@autosreforma.mx",
                "taxId": "ARE010101AB1", "address": "Paseo de la Reforma 222", "city": "Ciudad de México",
                "state": "CDMX", "groupName": "Grupo Reforma", "expectedListings": 40 } }),
            None,
        )
        .await
        .unwrap();
    let application_id = data(&application, "applyForAgency")["id"].as_str().unwrap().to_string();
    let review = "mutation($id: ID!) { reviewAgencyApplication(id: $id, approve: true) { status agency { id name } } }";
    let approved = system.graphql(review, json!({ "id": application_id }), Some(&admin_token)).await.unwrap();
    let approved = data(&approved, "reviewAgencyApplication");
    assert_eq!(approved["status"], "APPROVED");
    let agency_id = approved["agency"]["id"].as_str().unwrap().to_string();
    let twice = system.graphql(review, json!({ "id": application_id }), Some(&admin_token)).await.unwrap();
    assert_eq!(error_code(&twice), "CONFLICT", "reviewing twice is a conflict, not a second agency");

    let token = system
        .mails()
        .iter()
        .filter(|mail| mail.contains("luis@autosreforma.mx"))
        .find_map(|mail| invitation_token(mail))
        .expect("the approval mail carries an invitation token");
    let accepted = system
        .graphql(
            "mutation($token: String!) { acceptInvitation(token: $token, name: \"Luis Pérez\", password: \"reforma-2026-segura\") { accessToken user { memberships { role agencyId } } } }",
            json!({ "token": token }),
            None,
        )
        .await
        .unwrap();
    let manager = data(&accepted, "acceptInvitation");
    assert_eq!(manager["user"]["memberships"][0]["role"], "AGENCY_MANAGER");
    assert_eq!(manager["user"]["memberships"][0]["agencyId"], agency_id.as_str());
    let manager_token = manager["accessToken"].as_str().unwrap().to_string();

    // The manager creates a draft, edits its price, publishes it.
    let created = system
        .graphql(
            "mutation($input: ListingInput!) { createListing(input: $input) { id status version make model } }",
            json!({ "input": {
                "make": "VW", "model": "Jetta", "year": 2021, "price": 38_900_000, "mileageKm": 41_000,
                "bodyType": "SEDAN", "fuel": "GASOLINE", "transmission": "AUTOMATIC", "color": "Rojo",
                "condition": "USED", "city": "Ciudad de México", "state": "CDMX",
                "description": "Un solo dueño, servicios de agencia", "attributes": { "sunroof": true } } }),
            Some(&manager_token),
        )
        .await
        .unwrap();
    let listing = data(&created, "createListing").clone();
    assert_eq!(listing["status"], "DRAFT");
    assert_eq!(
        (listing["make"].as_str(), listing["model"].as_str()),
        (Some("volkswagen"), Some("jetta")),
        "canonical names"
    );
    let listing_id = listing["id"].as_str().unwrap().to_string();

    let buyer = system
        .graphql(
            "mutation { signUp(input: { email: \"compradora@example.com\", password: \"compradora-2026\", name: \"Sofía\" }) { accessToken } }",
            json!({}),
            None,
        )
        .await
        .unwrap();
    let buyer_token = data(&buyer, "signUp")["accessToken"].as_str().unwrap().to_string();
    let read = "query($id: ID!) { listing(id: $id) { id status price agency { id } } }";
    let hidden = system.graphql(read, json!({ "id": listing_id }), Some(&buyer_token)).await.unwrap();
    assert_eq!(data(&hidden, "listing"), &Value::Null, "a buyer never sees a draft");

    let first_version = listing["version"].clone();
    let update =
        "mutation($id: ID!, $input: ListingPatch!) { updateListing(id: $id, input: $input) { price version } }";
    let updated = system
        .graphql(
            update,
            json!({ "id": listing_id, "input": { "price": 37_500_000, "expectedVersion": first_version } }),
            Some(&manager_token),
        )
        .await
        .unwrap();
    assert_eq!(data(&updated, "updateListing")["price"], 37_500_000);
    // A second editor still holding the first version is told so, and changes nothing.
    let stale = system
        .graphql(
            update,
            json!({ "id": listing_id, "input": { "price": 1_000_000, "expectedVersion": first_version } }),
            Some(&manager_token),
        )
        .await
        .unwrap();
    assert_eq!(error_code(&stale), "CONFLICT");
    let by_buyer =
        system.graphql(update, json!({ "id": listing_id, "input": { "price": 1 } }), Some(&buyer_token)).await.unwrap();
    assert!(matches!(error_code(&by_buyer).as_str(), "FORBIDDEN" | "NOT_FOUND"), "{by_buyer}");

    let published = system
        .graphql(
            "mutation($id: ID!) { publishListing(id: $id) { status } }",
            json!({ "id": listing_id }),
            Some(&manager_token),
        )
        .await
        .unwrap();
    assert_eq!(data(&published, "publishListing")["status"], "PUBLISHED");

    // The buyer finds it by plain Spanish within about a second (the change feed feeds the index).
    let search = "query($text: String!) { search(input: { text: $text }) { appliedFilters { makes colors priceMax } results { totalCount edges { node { id price agency { id } } } } } }";
    let mut found = Value::Null;
    for _ in 0..50 {
        let response =
            system.graphql(search, json!({ "text": "jetta rojo menos de 400 mil" }), Some(&buyer_token)).await.unwrap();
        let result = data(&response, "search").clone();
        if result["results"]["totalCount"].as_i64() == Some(1) {
            found = result;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        found["results"]["edges"][0]["node"]["id"],
        listing_id.as_str(),
        "published listing not searchable: {found}"
    );
    assert_eq!(found["appliedFilters"]["makes"], json!(["volkswagen"]));
    assert_eq!(found["appliedFilters"]["colors"], json!(["red"]));
    assert_eq!(found["results"]["edges"][0]["node"]["agency"]["id"], agency_id.as_str());

    // Favourite, saved search.
    let favourite = system
        .graphql("mutation($id: ID!) { addFavourite(listingId: $id) }", json!({ "id": listing_id }), Some(&buyer_token))
        .await
        .unwrap();
    assert_eq!(data(&favourite, "addFavourite"), &json!(true));
    let favourites = system
        .graphql("{ favourites { totalCount edges { node { id } } } }", json!({}), Some(&buyer_token))
        .await
        .unwrap();
    assert_eq!(data(&favourites, "favourites")["edges"][0]["node"]["id"], listing_id.as_str());
    let saved = system
        .graphql(
            "mutation { saveSearch(name: \"Jetta rojo\", input: { text: \"jetta rojo\", filters: { yearMin: 2019 } }) { name filters { makes models colors yearMin } } }",
            json!({}),
            Some(&buyer_token),
        )
        .await
        .unwrap();
    let saved = data(&saved, "saveSearch");
    assert_eq!(saved["filters"]["models"], json!(["jetta"]));
    assert_eq!(saved["filters"]["yearMin"], 2019, "forced filters are stored with the interpreted ones");

    // The buyer opens the listing's page twice: two views, counted once the counters are flushed.
    for _ in 0..2 {
        let viewed = system
            .graphql(
                "mutation($id: ID!) { recordListingView(id: $id) }",
                json!({ "id": listing_id }),
                Some(&buyer_token),
            )
            .await
            .unwrap();
        assert_eq!(data(&viewed, "recordListingView"), &json!(true));
    }
    let runtime = system.running.as_ref().unwrap().runtime.clone();
    svc_catalog::run_job(&runtime, svc_catalog::FLUSH_VIEW_COUNTERS).await.unwrap();

    // Role-scoped metrics: the manager sees their agency, the buyer does not, the admin sees the platform.
    let metrics = "query($scope: MetricsScopeInput!) { metrics(scope: $scope) { values { source name label value } } }";
    let own =
        system.graphql(metrics, json!({ "scope": { "agencyId": agency_id } }), Some(&manager_token)).await.unwrap();
    let values = data(&own, "metrics")["values"].as_array().unwrap().clone();
    let views = values.iter().find(|value| value["source"] == "catalog" && value["name"] == "views");
    assert_eq!(views.map(|value| &value["value"]), Some(&json!(2.0)), "{values:?}");
    let published = values
        .iter()
        .find(|value| value["source"] == "catalog" && value["name"] == "listings" && value["label"] == "PUBLISHED")
        .unwrap_or_else(|| panic!("no published-listings metric in {values:?}"));
    assert_eq!(published["value"], 1.0);
    assert!(values.iter().any(|value| value["source"] == "chat"), "chat answers its part: {values:?}");
    let refused =
        system.graphql(metrics, json!({ "scope": { "agencyId": agency_id } }), Some(&buyer_token)).await.unwrap();
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    let platform =
        system.graphql(metrics, json!({ "scope": { "platform": true } }), Some(&manager_token)).await.unwrap();
    assert_eq!(error_code(&platform), "FORBIDDEN");
    let platform = system.graphql(metrics, json!({ "scope": { "platform": true } }), Some(&admin_token)).await.unwrap();
    assert!(!data(&platform, "metrics")["values"].as_array().unwrap().is_empty());

    // The same by day over three days: every service cuts the same buckets and the
    // edge lays them side by side; today's bucket holds what the 30 days hold.
    let by_day = "query($scope: MetricsScopeInput!, $from: DateTime) { metrics(scope: $scope, from: $from, interval: DAY) { series { from to values { source name value } } } }";
    let from = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();
    let daily = system
        .graphql(by_day, json!({ "scope": { "agencyId": agency_id }, "from": from }), Some(&manager_token))
        .await
        .unwrap();
    let series = data(&daily, "metrics")["series"].as_array().unwrap().clone();
    assert_eq!(series.len(), 3, "{series:?}");
    let daily_value = |bucket: &serde_json::Value, source: &str, name: &str| -> f64 {
        let values = bucket["values"].as_array().unwrap();
        let found = values.iter().filter(|value| value["source"] == source && value["name"] == name);
        found.map(|value| value["value"].as_f64().unwrap()).sum()
    };
    for (source, name) in [("catalog", "new_listings"), ("chat", "conversations_started")] {
        let today = daily_value(&series[2], source, name);
        let whole = values.iter().filter(|value| value["source"] == source && value["name"] == name);
        let whole: f64 = whole.map(|value| value["value"].as_f64().unwrap()).sum();
        assert_eq!(today, whole, "{source} {name}: {series:?}");
        assert_eq!(daily_value(&series[0], source, name), 0.0, "nothing two days ago");
    }
    assert!(daily_value(&series[2], "catalog", "new_listings") > 0.0);
    // An agency's identity metrics are current totals only: no buckets of its own.
    for bucket in &series {
        let values = bucket["values"].as_array().unwrap();
        for source in ["catalog", "billing", "chat"] {
            assert!(values.iter().any(|value| value["source"] == source), "{source} answers every bucket: {bucket}");
        }
    }
    assert_eq!(series[0]["to"], series[1]["from"], "buckets meet");
    let unbounded = system
        .graphql(by_day, json!({ "scope": { "agencyId": agency_id }, "from": null }), Some(&manager_token))
        .await
        .unwrap();
    assert_eq!(error_code(&unbounded), "BAD_USER_INPUT", "{unbounded}");

    // Sold: it leaves the search results.
    let sold = system
        .graphql(
            "mutation($id: ID!) { markListingSold(id: $id) { status } }",
            json!({ "id": listing_id }),
            Some(&manager_token),
        )
        .await
        .unwrap();
    assert_eq!(data(&sold, "markListingSold")["status"], "SOLD");
    let mut gone = false;
    for _ in 0..50 {
        let response = system.graphql(search, json!({ "text": "jetta rojo" }), Some(&buyer_token)).await.unwrap();
        if data(&response, "search")["results"]["totalCount"].as_i64() == Some(0) {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "a sold listing must leave the search results");
    system.stop().await.unwrap();
}

#[tokio::test]
async fn a_suspended_user_is_refused_by_every_service_on_the_next_request() {
    use nds_proto::identity::v1::{SuspendUserRequest, identity_service_client::IdentityServiceClient};
    let system = TestSystem::start(&[]).await.unwrap();
    let admin_token = system.admin_token().await;
    let buyer = system
        .graphql(
            "mutation { signUp(input: { email: \"suspendida@example.com\", password: \"suspendida-2026\", name: \"Eva\" }) { accessToken user { id } } }",
            json!({}),
            None,
        )
        .await
        .unwrap();
    let buyer = data(&buyer, "signUp").clone();

    let context = nds_common::grpc::CallContext::new(Duration::from_secs(5)).with_bearer(&admin_token);
    let runtime = &system.running.as_ref().unwrap().runtime;
    let mut identity = IdentityServiceClient::new(runtime.channels.identity.clone());
    let request = SuspendUserRequest { user_id: buyer["user"]["id"].as_str().unwrap().to_string(), suspended: true };
    identity.suspend_user(context.request(request)).await.unwrap();

    // Catalog verifies the still-unexpired token itself, and asks identity about the session.
    let favourites =
        system.graphql("{ favourites { totalCount } }", json!({}), buyer["accessToken"].as_str()).await.unwrap();
    assert_eq!(error_code(&favourites), "UNAUTHENTICATED", "{favourites}");
    system.stop().await.unwrap();
}
