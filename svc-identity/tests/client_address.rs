//! Whose address a log-in is counted against: the client the edge names, or the
//! caller itself. A direct gRPC caller must not pick a fresh address per guess.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod support;

use support::{PASSWORD, start};
use svc_identity::domain::throttle::ADDRESS_LIMIT;

fn throttled(status: &tonic::Status) -> bool {
    status.message().contains("too many")
}

#[tokio::test]
async fn a_direct_caller_naming_a_new_address_per_guess_is_counted_at_its_own() {
    let identity = start().await;
    identity.sign_up("ana@example.com").await;
    for attempt in 0..ADDRESS_LIMIT {
        let email = format!("spray{attempt}@example.com");
        let _ = identity.log_in_from(&email, "guess guess", &format!("203.0.113.{attempt}")).await;
    }
    let refused = identity.log_in_from("ana@example.com", PASSWORD, "198.51.100.99").await.unwrap_err();
    assert!(throttled(&refused), "the named addresses were believed: {}", refused.message());
}

#[tokio::test]
async fn a_users_token_vouches_for_no_address() {
    let identity = start().await;
    let user_token = identity.sign_up("ana@example.com").await.access_token;
    for attempt in 0..ADDRESS_LIMIT {
        let email = format!("spray{attempt}@example.com");
        let _ = identity.log_in_relayed(&user_token, &email, "guess guess", &format!("203.0.113.{attempt}")).await;
    }
    let refused = identity.log_in_relayed(&user_token, "ana@example.com", PASSWORD, "198.51.100.99").await.unwrap_err();
    assert!(throttled(&refused), "a user's token made the named addresses believed: {}", refused.message());
}

#[tokio::test]
async fn the_edge_names_its_clients_so_one_clients_guesses_do_not_stop_another() {
    let identity = start().await;
    identity.sign_up("ana@example.com").await;
    let edge = identity.edge_token().await;
    for attempt in 0..ADDRESS_LIMIT {
        let email = format!("spray{attempt}@example.com");
        let _ = identity.log_in_relayed(&edge, &email, "guess guess", "203.0.113.200").await;
    }
    let refused = identity.log_in_relayed(&edge, "ana@example.com", PASSWORD, "203.0.113.200").await.unwrap_err();
    assert!(throttled(&refused), "{}", refused.message());
    identity.log_in_relayed(&edge, "ana@example.com", PASSWORD, "203.0.113.201").await.unwrap();
}
