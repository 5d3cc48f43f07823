//! Log-in throttling under concurrency, at the service: guesses are counted
//! before any password is verified, so a burst cannot outrun the counters.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod support;

use std::sync::Arc;

use support::start;
use svc_identity::IdentityService;
use svc_identity::domain::throttle::ACCOUNT_FREE_ATTEMPTS;
use svc_identity::service::sessions::LogIn;

async fn burst(service: &Arc<IdentityService>, email: &str, address_of: impl Fn(usize) -> String) {
    let attempts: Vec<_> = (0..50)
        .map(|attempt| {
            let service = service.clone();
            let input =
                LogIn { email: email.into(), password: "wrong password!".into(), client_address: address_of(attempt) };
            tokio::spawn(async move { service.log_in(input).await })
        })
        .collect();
    for attempt in attempts {
        assert!(attempt.await.unwrap().is_err(), "a wrong password was accepted");
    }
}

#[tokio::test]
async fn fifty_concurrent_guesses_from_one_address_verify_at_most_the_free_attempts() {
    let identity = start().await;
    identity.sign_up("ana@example.com").await;
    let service = Arc::new(svc_identity::connect_service(&identity.runtime).await.unwrap());
    burst(&service, "ana@example.com", |_| "203.0.113.7".into()).await;
    let checked = service.password_checks();
    assert!(checked <= ACCOUNT_FREE_ATTEMPTS as u64, "{checked} passwords verified for 50 concurrent guesses");
}

#[tokio::test]
async fn fifty_concurrent_guesses_from_fifty_addresses_verify_at_most_the_free_attempts() {
    let identity = start().await;
    identity.sign_up("ana@example.com").await;
    let service = Arc::new(svc_identity::connect_service(&identity.runtime).await.unwrap());
    burst(&service, "ana@example.com", |attempt| format!("198.51.100.{attempt}")).await;
    let checked = service.password_checks();
    assert!(checked <= ACCOUNT_FREE_ATTEMPTS as u64, "{checked} passwords verified for 50 concurrent guesses");
}
