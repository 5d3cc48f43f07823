//! Forgotten and changed passwords, through the real gRPC server.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod support;

use std::time::Duration;

use nds_common::ErrorCode;
use nds_proto::identity::v1 as proto;
use sea_orm::ConnectionTrait;
use support::{PASSWORD, TestIdentity, authed, code_of, field_of, start};

const NEW_PASSWORD: &str = "an entirely new password";

async fn request_reset(identity: &TestIdentity, email: &str) {
    let request = proto::RequestPasswordResetRequest { email: email.into() };
    identity.client.clone().request_password_reset(request).await.unwrap();
}

/// The mails sent to `to`, once `count` have arrived (the link is mailed after answering).
async fn mails_to(identity: &TestIdentity, to: &str, count: usize) -> Vec<String> {
    for _ in 0..100 {
        let mails = identity.mails_to(to);
        if mails.len() >= count {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    identity.mails_to(to)
}

fn reset_token(mail: &str) -> String {
    let link = mail.lines().find(|line| line.contains("/password/reset?token=")).expect("a reset link");
    let url = link.trim();
    assert!(url.starts_with("https://nds.test/password/reset?token="), "{url}");
    url.split("token=").nth(1).unwrap().to_string()
}

async fn reset(identity: &TestIdentity, token: &str, password: &str) -> Result<proto::AuthPayload, tonic::Status> {
    let request = proto::ResetPasswordRequest { token: token.into(), new_password: password.into() };
    identity.client.clone().reset_password(request).await.map(tonic::Response::into_inner)
}

async fn refresh(identity: &TestIdentity, refresh_token: &str) -> Result<proto::AuthPayload, tonic::Status> {
    let request = proto::RefreshSessionRequest { refresh_token: refresh_token.into() };
    identity.client.clone().refresh_session(request).await.map(tonic::Response::into_inner)
}

async fn change(
    identity: &TestIdentity,
    access_token: &str,
    current: &str,
    new: &str,
) -> Result<proto::AuthPayload, tonic::Status> {
    let request = proto::ChangePasswordRequest {
        current_password: current.into(),
        new_password: new.into(),
        client_address: String::new(),
    };
    identity.client.clone().change_password(authed(request, access_token)).await.map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let identity = start().await;
    let signed_up = identity.sign_up("ana@example.com").await;
    request_reset(&identity, " ANA@example.com").await;
    let mails = mails_to(&identity, "ana@example.com", 1).await;
    assert_eq!(mails.len(), 1);
    let token = reset_token(&mails[0]);

    let session = reset(&identity, &token, NEW_PASSWORD).await.unwrap();
    assert_eq!(session.user.unwrap().email, "ana@example.com");
    refresh(&identity, &session.refresh_token).await.unwrap();
    let ended = refresh(&identity, &signed_up.refresh_token).await.unwrap_err();
    assert_eq!(code_of(&ended), ErrorCode::Unauthenticated, "the earlier session must end");
    assert!(identity.log_in("ana@example.com", PASSWORD).await.is_err());
    identity.log_in("ana@example.com", NEW_PASSWORD).await.unwrap();

    let reused = reset(&identity, &token, "yet another new password").await.unwrap_err();
    assert_eq!(code_of(&reused), ErrorCode::BadUserInput);
    assert_eq!(field_of(&reused).as_deref(), Some("token"));
}

#[tokio::test]
async fn an_unknown_email_answers_alike_and_mails_nothing() {
    let identity = start().await;
    request_reset(&identity, "nobody@example.com").await;
    identity.sign_up("ana@example.com").await;
    request_reset(&identity, "ana@example.com").await;
    mails_to(&identity, "ana@example.com", 1).await;
    assert!(identity.mails_to("nobody@example.com").is_empty());
}

#[tokio::test]
async fn a_weak_new_password_changes_nothing_and_leaves_the_link_usable() {
    let identity = start().await;
    identity.sign_up("ana@example.com").await;
    request_reset(&identity, "ana@example.com").await;
    let token = reset_token(&mails_to(&identity, "ana@example.com", 1).await[0]);
    let weak = reset(&identity, &token, "short").await.unwrap_err();
    assert_eq!(code_of(&weak), ErrorCode::BadUserInput);
    assert_eq!(field_of(&weak).as_deref(), Some("newPassword"));
    identity.log_in("ana@example.com", PASSWORD).await.unwrap();
    reset(&identity, &token, NEW_PASSWORD).await.unwrap();
}

#[tokio::test]
async fn an_expired_or_made_up_link_is_refused() {
    let identity = start().await;
    identity.sign_up("ana@example.com").await;
    request_reset(&identity, "ana@example.com").await;
    let token = reset_token(&mails_to(&identity, "ana@example.com", 1).await[0]);
    identity.db.execute_unprepared("UPDATE password_resets SET expires_at = 0").await.unwrap();
    let expired = reset(&identity, &token, NEW_PASSWORD).await.unwrap_err();
    assert_eq!(field_of(&expired).as_deref(), Some("token"));
    let made_up = reset(&identity, &"x".repeat(43), NEW_PASSWORD).await.unwrap_err();
    assert_eq!(field_of(&made_up).as_deref(), Some("token"));
    identity.log_in("ana@example.com", PASSWORD).await.unwrap();
}

#[tokio::test]
async fn reset_mails_to_one_address_are_limited_per_hour() {
    let identity = start().await;
    identity.sign_up("ana@example.com").await;
    for _ in 0..svc_identity::service::passwords::RESET_MAILS_PER_HOUR + 2 {
        request_reset(&identity, "ana@example.com").await;
    }
    let limit = svc_identity::service::passwords::RESET_MAILS_PER_HOUR as usize;
    mails_to(&identity, "ana@example.com", limit).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(identity.mails_to("ana@example.com").len(), limit);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let identity = start().await;
    let signed_up = identity.sign_up("ana@example.com").await;
    let other = identity.log_in("ana@example.com", PASSWORD).await.unwrap();

    let wrong = change(&identity, &signed_up.access_token, "not my password", NEW_PASSWORD).await.unwrap_err();
    assert_eq!(code_of(&wrong), ErrorCode::BadUserInput);
    assert_eq!(field_of(&wrong).as_deref(), Some("currentPassword"));
    assert!(wrong.message().contains("current password"), "{}", wrong.message());
    let weak = change(&identity, &signed_up.access_token, PASSWORD, "short").await.unwrap_err();
    assert_eq!(field_of(&weak).as_deref(), Some("newPassword"));
    identity.log_in("ana@example.com", PASSWORD).await.unwrap();

    let changed = change(&identity, &signed_up.access_token, PASSWORD, NEW_PASSWORD).await.unwrap();
    refresh(&identity, &changed.refresh_token).await.unwrap();
    assert!(refresh(&identity, &other.refresh_token).await.is_err(), "other sessions must end");
    identity.log_in("ana@example.com", NEW_PASSWORD).await.unwrap();

    let anonymous = identity
        .client
        .clone()
        .change_password(proto::ChangePasswordRequest {
            current_password: NEW_PASSWORD.into(),
            new_password: PASSWORD.into(),
            client_address: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(code_of(&anonymous), ErrorCode::Unauthenticated);
}

#[tokio::test]
async fn wrong_current_passwords_count_as_failed_log_ins() {
    let identity = start().await;
    let session = identity.sign_up("ana@example.com").await;
    for _ in 0..svc_identity::domain::throttle::ACCOUNT_FREE_ATTEMPTS {
        let wrong = change(&identity, &session.access_token, "not my password", NEW_PASSWORD).await.unwrap_err();
        assert_eq!(field_of(&wrong).as_deref(), Some("currentPassword"));
    }
    let slowed = identity.log_in("ana@example.com", PASSWORD).await.unwrap_err();
    assert!(slowed.message().contains("too many"), "{}", slowed.message());
}
