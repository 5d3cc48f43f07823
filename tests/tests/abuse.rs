//! The edge under abuse, end to end: clients behind one trusted proxy are told
//! apart by `X-Forwarded-For`, so one client's failed log-ins throttle that
//! client only, and no untrusted peer can claim another's address; a document
//! that aliases expensive work is refused whole, before any of it runs.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::IpAddr;

use nds_tests::TestSystem;
use nds_tests::client::{LOG_IN, data, error_code};
use serde_json::{Value, json};

/// The ingress controller: the one peer the edge trusts to name clients.
const INGRESS: [u8; 4] = [127, 0, 0, 2];
/// A peer the edge does not trust.
const STRANGER: [u8; 4] = [127, 0, 0, 3];

fn client_from(peer: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder().local_address(IpAddr::from(peer)).build().unwrap()
}

async fn log_in_as(
    http: &reqwest::Client,
    system: &TestSystem,
    forwarded_for: &str,
    email: &str,
    password: &str,
) -> Value {
    let body = json!({ "query": LOG_IN, "variables": { "email": email, "password": password } });
    let response = http.post(system.http_url("/graphql")).header("x-forwarded-for", forwarded_for).json(&body);
    response.send().await.unwrap().json().await.unwrap()
}

fn throttled(answer: &Value) -> bool {
    answer["errors"][0]["message"].as_str().unwrap_or_default().contains("too many")
}

#[tokio::test]
async fn one_clients_failed_log_ins_do_not_lock_out_another_behind_the_same_proxy() {
    let system = TestSystem::start(&[("NDS_TRUSTED_PROXIES", "127.0.0.2/32")]).await.unwrap();
    system.sign_up_buyer("bea@example.com", "clave-de-bea-2026").await;
    let ingress = client_from(INGRESS);

    // Client A guesses, a new account each time: only its address can stop it.
    let mut attempts = 0;
    loop {
        attempts += 1;
        assert!(attempts <= 60, "the guessing client was never throttled");
        let email = format!("nadie{attempts}@example.com");
        let answer = log_in_as(&ingress, &system, "203.0.113.10", &email, "adivina-adivina").await;
        assert_eq!(error_code(&answer), "UNAUTHENTICATED", "{answer}");
        if throttled(&answer) {
            break;
        }
    }

    // Client B, behind the same ingress, is not A.
    let answer = log_in_as(&ingress, &system, "203.0.113.20", "bea@example.com", "clave-de-bea-2026").await;
    assert!(data(&answer, "logIn")["accessToken"].is_string());
    // A is still throttled: the lock-out followed A's address, not the ingress's.
    let answer = log_in_as(&ingress, &system, "203.0.113.10", "bea@example.com", "clave-de-bea-2026").await;
    assert!(throttled(&answer), "{answer}");
    // An untrusted peer naming A's address is judged by its own address.
    let answer =
        log_in_as(&client_from(STRANGER), &system, "203.0.113.10", "bea@example.com", "clave-de-bea-2026").await;
    assert!(data(&answer, "logIn")["accessToken"].is_string(), "a forged X-Forwarded-For was believed");
    system.stop().await.unwrap();
}

#[tokio::test]
async fn a_document_aliasing_sign_ups_is_refused_whole_and_creates_no_account() {
    let system = TestSystem::start(&[]).await.unwrap();
    let sign_up = |alias: &str, email: &str| {
        format!(
            "{alias}: signUp(input: {{ email: \"{email}\", password: \"una-clave-larga-2026\", name: \"Alias\" }}) {{ accessToken }}"
        )
    };
    let document = format!("mutation {{ {} {} }}", sign_up("a", "uno@example.com"), sign_up("b", "dos@example.com"));
    let answer = system.graphql(&document, json!({}), None).await.unwrap();
    assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    assert!(answer["data"].is_null(), "{answer}");
    // Nothing ran: both addresses are still free to sign up with.
    for email in ["uno@example.com", "dos@example.com"] {
        system.sign_up_buyer(email, "una-clave-larga-2026").await;
    }
    system.stop().await.unwrap();
}
