//! Accounts, sessions and tokens, driven through the real gRPC server.

// Test helpers outside `#[test]` functions (suite bodies, fixtures) fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use nds_common::ErrorCode;
use nds_common::auth::{JwtVerifier, Role, TOKEN_TYPE_HEADER};
use nds_common::cache::RedisCache;
use nds_common::runtime::GrpcJwksSource;
use nds_proto::identity::v1 as proto;
use sea_orm::{EntityTrait, QueryOrder};
use support::{PASSWORD, authed, code_of, field_of, start, start_with_cache};
use svc_identity::store::entities::{signing_key, user};

fn verifier_for(identity: &support::TestIdentity) -> JwtVerifier {
    JwtVerifier::new(
        Arc::new(GrpcJwksSource::new(identity.runtime.channels.identity.clone())),
        "nds-test",
        "nds-test-api",
    )
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

#[tokio::test]
async fn sign_up_log_in_refresh_and_log_out_work_end_to_end() {
    let identity = start().await;
    let signed_up = identity.sign_up(" Ana@Example.com ").await;
    let user = signed_up.user.clone().unwrap();
    assert_eq!(user.email, "ana@example.com");
    assert_eq!(user.memberships.len(), 1);
    assert_eq!(user.memberships[0].role, proto::Role::Buyer as i32);
    assert!(signed_up.access_expires_at_unix > chrono::Utc::now().timestamp() + 500);

    let me = identity
        .client
        .clone()
        .get_me(authed(proto::GetMeRequest {}, &signed_up.access_token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me.id, user.id);

    let logged_in = identity.log_in("ANA@example.com", PASSWORD).await.unwrap();
    let refreshed = identity
        .client
        .clone()
        .refresh_session(proto::RefreshSessionRequest { refresh_token: logged_in.refresh_token.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_ne!(refreshed.refresh_token, logged_in.refresh_token, "refresh rotates the token");
    assert_ne!(refreshed.access_token, logged_in.access_token);

    let out = identity
        .client
        .clone()
        .log_out(proto::LogOutRequest { refresh_token: refreshed.refresh_token.clone() })
        .await
        .unwrap()
        .into_inner();
    assert!(out.revoked);
    let after_logout = identity
        .client
        .clone()
        .refresh_session(proto::RefreshSessionRequest { refresh_token: refreshed.refresh_token })
        .await
        .unwrap_err();
    assert_eq!(code_of(&after_logout), ErrorCode::Unauthenticated);
    // The sign-up session is another family: still alive.
    identity
        .client
        .clone()
        .refresh_session(proto::RefreshSessionRequest { refresh_token: signed_up.refresh_token })
        .await
        .unwrap();
}

#[tokio::test]
async fn sign_up_refuses_taken_emails_and_bad_input_without_creating_anyone() {
    let identity = start().await;
    identity.sign_up("ana@example.com").await;
    let duplicate = identity
        .client
        .clone()
        .sign_up(proto::SignUpRequest {
            email: "ANA@example.com".into(),
            password: PASSWORD.into(),
            name: "Otra".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(code_of(&duplicate), ErrorCode::Conflict);
    for (email, password, name, field) in [
        ("bea@example.com", "short", "Bea", "password"),
        ("not-an-email", PASSWORD, "Bea", "email"),
        ("bea@example.com", PASSWORD, "   ", "name"),
    ] {
        let status = identity
            .client
            .clone()
            .sign_up(proto::SignUpRequest { email: email.into(), password: password.into(), name: name.into() })
            .await
            .unwrap_err();
        assert_eq!(code_of(&status), ErrorCode::BadUserInput);
        assert_eq!(field_of(&status).as_deref(), Some(field));
    }
    assert_eq!(user::Entity::find().all(&identity.db).await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_jwks_verifies_identity_tokens_in_another_service() {
    let identity = start().await;
    let session = identity.sign_up("ana@example.com").await;
    // What every other service does: nds-common's verifier over identity's GetJwks.
    let principal = verifier_for(&identity).verify(&session.access_token).await.unwrap();
    assert_eq!(principal.user_id().unwrap().to_string(), session.user.unwrap().id);
    assert!(principal.has_role(Role::Buyer));
    // And through the runtime's authenticator, as a service's gRPC handler would.
    let mut metadata = tonic::metadata::MetadataMap::new();
    metadata.insert("authorization", format!("Bearer {}", session.access_token).parse().unwrap());
    assert!(identity.runtime.authenticator.authenticate(&metadata).await.unwrap().is_some());

    let header = jsonwebtoken::decode_header(&session.access_token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.typ.as_deref(), Some(TOKEN_TYPE_HEADER));
    let jwks = identity.client.clone().get_jwks(proto::GetJwksRequest {}).await.unwrap().into_inner().jwks_json;
    let jwks: serde_json::Value = serde_json::from_str(&jwks).unwrap();
    assert_eq!(jwks["keys"][0]["kid"], header.kid.unwrap());
    assert_eq!(jwks["keys"][0]["alg"], "EdDSA");
    assert!(jwks["keys"][0].get("d").is_none(), "the JWKS must never contain private material");
}

#[tokio::test]
async fn key_rotation_keeps_earlier_tokens_valid_and_signs_new_ones_with_the_new_key() {
    let identity = start().await;
    let before = identity.sign_up("ana@example.com").await.access_token;
    let verifier = verifier_for(&identity);
    verifier.verify(&before).await.unwrap();

    let new_kid = svc_identity::rotate_signing_key(&identity.runtime).await.unwrap();
    // The running server rereads its signing key within its cache window.
    tokio::time::sleep(svc_identity::service::tokens::KEY_CACHE_TTL + Duration::from_millis(200)).await;
    let after = identity.log_in("ana@example.com", PASSWORD).await.unwrap().access_token;
    assert_eq!(kid_of(&after), new_kid);
    assert_ne!(kid_of(&before), new_kid);
    // A verifier that cached the old JWKS learns the new key on the unknown kid.
    verifier.verify(&after).await.unwrap();
    verifier.verify(&before).await.unwrap();
    let fresh = verifier_for(&identity);
    fresh.verify(&before).await.unwrap();
    fresh.verify(&after).await.unwrap();

    // The job rotates only when due: running it (twice) now changes nothing.
    for _ in 0..2 {
        let report = svc_identity::run_job(&identity.runtime, svc_identity::JOB_ROTATE_SIGNING_KEY).await.unwrap();
        assert!(report.contains("not rotated"), "{report}");
    }
    let keys = signing_key::Entity::find().all(&identity.db).await.unwrap();
    assert_eq!(keys.len(), 2);
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_the_whole_family() {
    let identity = start().await;
    let first = identity.sign_up("ana@example.com").await.refresh_token;
    let mut client = identity.client.clone();
    let second = client
        .refresh_session(proto::RefreshSessionRequest { refresh_token: first.clone() })
        .await
        .unwrap()
        .into_inner();
    let reuse = client.refresh_session(proto::RefreshSessionRequest { refresh_token: first }).await.unwrap_err();
    assert_eq!(code_of(&reuse), ErrorCode::Unauthenticated);
    let status =
        client.refresh_session(proto::RefreshSessionRequest { refresh_token: second.refresh_token }).await.unwrap_err();
    assert_eq!(code_of(&status), ErrorCode::Unauthenticated, "the thief's rotation is revoked too");
}

#[tokio::test]
async fn of_concurrent_refreshes_with_one_token_exactly_one_wins() {
    let identity = start().await;
    let token = identity.sign_up("ana@example.com").await.refresh_token;
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let mut client = identity.client.clone();
            let token = token.clone();
            tokio::spawn(
                async move { client.refresh_session(proto::RefreshSessionRequest { refresh_token: token }).await },
            )
        })
        .collect();
    let mut winners = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => winners += 1,
            Err(status) => assert_eq!(code_of(&status), ErrorCode::Unauthenticated),
        }
    }
    assert_eq!(winners, 1);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_answer_alike_in_similar_time() {
    let identity = start().await;
    identity.sign_up("ana@example.com").await;
    // Warm up (the dummy hash is built lazily once per process).
    let _ = identity.log_in_from("warm@example.com", PASSWORD, "192.0.2.1").await;
    let mut wrong_password = Vec::new();
    let mut unknown_email = Vec::new();
    for round in 0..4 {
        let started = Instant::now();
        let wrong = identity
            .log_in_from("ana@example.com", "not the password", &format!("192.0.2.{}", 10 + round))
            .await
            .unwrap_err();
        wrong_password.push(started.elapsed());
        let started = Instant::now();
        let unknown = identity
            .log_in_from(&format!("nobody{round}@example.com"), "not the password", &format!("192.0.2.{}", 50 + round))
            .await
            .unwrap_err();
        unknown_email.push(started.elapsed());
        assert_eq!(code_of(&wrong), ErrorCode::Unauthenticated);
        assert_eq!(code_of(&unknown), ErrorCode::Unauthenticated);
        assert_eq!(wrong.message(), "invalid email or password");
        assert_eq!(unknown.message(), wrong.message());
    }
    wrong_password.sort();
    unknown_email.sort();
    let (wrong_median, unknown_median) = (wrong_password[2].as_secs_f64(), unknown_email[2].as_secs_f64());
    let ratio = wrong_median / unknown_median;
    println!("median wrong password {wrong_median:.4}s, unknown email {unknown_median:.4}s, ratio {ratio:.2}");
    assert!((0.5..2.0).contains(&ratio), "wrong password {wrong_median}s vs unknown email {unknown_median}s");
}

#[tokio::test]
async fn failed_log_ins_slow_the_account_down_for_everyone_without_locking_it() {
    let identity = start().await;
    identity.sign_up("ana@example.com").await;
    for attempt in 0..svc_identity::domain::throttle::ACCOUNT_FREE_ATTEMPTS {
        let status = identity
            .log_in_from("ana@example.com", "wrong password!", &format!("203.0.113.{attempt}"))
            .await
            .unwrap_err();
        assert_eq!(status.message(), "invalid email or password");
    }
    let refused = identity.log_in_from("ana@example.com", PASSWORD, "203.0.113.99").await.unwrap_err();
    assert_eq!(code_of(&refused), ErrorCode::Unauthenticated);
    assert!(refused.message().contains("too many"), "{}", refused.message());
    // A delay, not a lock: once it has passed, the right password gets in.
    tokio::time::sleep(svc_identity::domain::throttle::FIRST_DELAY + Duration::from_millis(200)).await;
    identity.log_in_from("ana@example.com", PASSWORD, "203.0.113.99").await.unwrap();
    // Another account is unaffected.
    identity.sign_up("bea@example.com").await;
    identity.log_in("bea@example.com", PASSWORD).await.unwrap();
}

#[tokio::test]
async fn failed_log_ins_are_throttled_per_client_address() {
    let identity = start().await;
    identity.sign_up("ana@example.com").await;
    // As the edge relays them: the edge vouches for each client's address.
    let edge = identity.edge_token().await;
    for attempt in 0..svc_identity::domain::throttle::ADDRESS_LIMIT {
        let email = format!("spray{attempt}@example.com");
        let _ = identity.log_in_relayed(&edge, &email, "guess guess", "203.0.113.200").await;
    }
    let refused = identity.log_in_relayed(&edge, "ana@example.com", PASSWORD, "203.0.113.200").await.unwrap_err();
    assert!(refused.message().contains("too many"));
    identity.log_in_relayed(&edge, "ana@example.com", PASSWORD, "203.0.113.201").await.unwrap();
}

#[tokio::test]
async fn throttling_still_holds_when_redis_is_down() {
    // Nothing listens on port 1: the shared cache fails open, the in-process limiter does not.
    let dead_redis = RedisCache::connect_lazy("redis://127.0.0.1:1", "dead:").unwrap();
    let identity = start_with_cache(Arc::new(dead_redis)).await;
    identity.sign_up("ana@example.com").await;
    for _ in 0..5 {
        let _ = identity.log_in("ana@example.com", "wrong password!").await;
    }
    let refused = identity.log_in("ana@example.com", PASSWORD).await.unwrap_err();
    assert!(refused.message().contains("too many"));
}

#[tokio::test]
async fn throttling_counts_are_shared_through_redis() {
    let prefix = nds_common::testing::redis_prefix();
    let redis = RedisCache::connect_lazy(&nds_common::testing::redis_url(), prefix).unwrap();
    let identity = start_with_cache(Arc::new(redis)).await;
    identity.sign_up("ana@example.com").await;
    for _ in 0..5 {
        let _ = identity.log_in("ana@example.com", "wrong password!").await;
    }
    assert!(identity.log_in("ana@example.com", PASSWORD).await.unwrap_err().message().contains("too many"));
}

#[tokio::test]
async fn weaker_password_hashes_are_upgraded_on_log_in() {
    let identity = start().await;
    let weak = svc_identity::domain::password::hash_password_with(PASSWORD, 4096, 1).unwrap();
    svc_identity::store::users::insert(&identity.db, "old@example.com", "Old Timer", &weak).await.unwrap();
    identity.log_in("old@example.com", PASSWORD).await.unwrap();
    let stored = user::Entity::find().one(&identity.db).await.unwrap().unwrap().password_hash;
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
    identity.log_in("old@example.com", PASSWORD).await.unwrap();
}

fn sign(key: &EncodingKey, kid: &str, typ: &str, claims: &serde_json::Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.into());
    header.typ = Some(typ.into());
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

#[tokio::test]
async fn forged_expired_unsigned_and_misaddressed_tokens_are_refused() {
    let identity = start().await;
    let session = identity.sign_up("ana@example.com").await;
    let user_id = session.user.unwrap().id;
    let stored_key = signing_key::Entity::find()
        .order_by_desc(signing_key::Column::CreatedAt)
        .one(&identity.db)
        .await
        .unwrap()
        .unwrap();
    // The stored key is sealed: opening it takes the key-encryption key too.
    use svc_identity::domain::key_sealing::{KeyEncryptionKey, KeySealer};
    let sealer = KeySealer::new(KeyEncryptionKey::from_base64(&identity.key_encryption_key).unwrap(), vec![]);
    let real_key = EncodingKey::from_ed_der(&sealer.open(&stored_key.kid, &stored_key.private_key_sealed).unwrap());
    let random = ring::rand::SystemRandom::new();
    let foreign_key =
        EncodingKey::from_ed_der(ring::signature::Ed25519KeyPair::generate_pkcs8(&random).unwrap().as_ref());
    let now = chrono::Utc::now().timestamp();
    let claims = |changes: &[(&str, serde_json::Value)], removed: &[&str]| {
        let mut claims = serde_json::json!({
            "iss": "nds-test", "aud": "nds-test-api", "sub": user_id, "exp": now + 300, "iat": now,
            "jti": "j", "token_use": "access", "kind": "user", "memberships": [{"role": "PLATFORM_ADMIN"}], "scopes": []
        });
        for (name, value) in changes {
            claims[*name] = value.clone();
        }
        for name in removed {
            claims.as_object_mut().unwrap().remove(*name);
        }
        claims
    };
    let b64 = |value: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string());
    let kid = stored_key.kid.as_str();
    let cases = vec![
        ("garbage", "not.a.token".to_string()),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(serde_json::json!({"alg": "none", "typ": "at+jwt", "kid": kid})),
                b64(claims(&[], &[]))
            ),
        ),
        ("foreign key under our kid", sign(&foreign_key, kid, TOKEN_TYPE_HEADER, &claims(&[], &[]))),
        ("expired", sign(&real_key, kid, TOKEN_TYPE_HEADER, &claims(&[("exp", (now - 120).into())], &[]))),
        ("wrong audience", sign(&real_key, kid, TOKEN_TYPE_HEADER, &claims(&[("aud", "someone-else".into())], &[]))),
        ("no audience", sign(&real_key, kid, TOKEN_TYPE_HEADER, &claims(&[], &["aud"]))),
        ("wrong issuer", sign(&real_key, kid, TOKEN_TYPE_HEADER, &claims(&[("iss", "evil".into())], &[]))),
        (
            "refresh token_use",
            sign(&real_key, kid, TOKEN_TYPE_HEADER, &claims(&[("token_use", "refresh".into())], &[])),
        ),
        ("plain JWT type", sign(&real_key, kid, "JWT", &claims(&[], &[]))),
        ("a refresh token as bearer", session.refresh_token.clone()),
    ];
    for (what, token) in cases {
        let status = identity.client.clone().get_me(authed(proto::GetMeRequest {}, &token)).await.unwrap_err();
        assert_eq!(code_of(&status), ErrorCode::Unauthenticated, "{what}");
        // Nor may any of them act as the platform admin they claim to be.
        let status = identity
            .client
            .clone()
            .list_agency_applications(authed(proto::ListAgencyApplicationsRequest::default(), &token))
            .await
            .unwrap_err();
        assert_eq!(code_of(&status), ErrorCode::Unauthenticated, "{what}");
    }
    // Control: the real key with honest claims works, and claims are not trusted
    // for roles (the database says BUYER, so admin-only calls stay forbidden).
    let honest = sign(&real_key, kid, TOKEN_TYPE_HEADER, &claims(&[], &[]));
    identity.client.clone().get_me(authed(proto::GetMeRequest {}, &honest)).await.unwrap();
    let status = identity
        .client
        .clone()
        .list_agency_applications(authed(proto::ListAgencyApplicationsRequest::default(), &honest))
        .await
        .unwrap_err();
    assert_eq!(code_of(&status), ErrorCode::Forbidden);
}

#[tokio::test]
async fn service_accounts_get_scoped_tokens_with_their_secret_only() {
    let identity = start().await;
    let secret = svc_identity::ensure_service_account(&identity.runtime, "billing-jobs", &["internal"]).await.unwrap();
    let mut client = identity.client.clone();
    let issued = client
        .issue_service_token(proto::IssueServiceTokenRequest {
            client_id: "billing-jobs".into(),
            client_secret: secret.expose().clone(),
            scopes: vec![],
        })
        .await
        .unwrap()
        .into_inner();
    assert!(issued.refresh_token.is_empty());
    let principal = verifier_for(&identity).verify(&issued.access_token).await.unwrap();
    assert!(principal.is_platform_admin(), "scope internal acts as the platform");
    assert_eq!(principal.subject, "service:billing-jobs");
    // An internal tool can do platform work directly over gRPC.
    client
        .list_agency_applications(authed(proto::ListAgencyApplicationsRequest::default(), &issued.access_token))
        .await
        .unwrap();

    let wrong = client
        .issue_service_token(proto::IssueServiceTokenRequest {
            client_id: "billing-jobs".into(),
            client_secret: "wrong".into(),
            scopes: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(code_of(&wrong), ErrorCode::Unauthenticated);
    let greedy = client
        .issue_service_token(proto::IssueServiceTokenRequest {
            client_id: "billing-jobs".into(),
            client_secret: secret.expose().clone(),
            scopes: vec!["internal".into(), "superpowers".into()],
        })
        .await
        .unwrap_err();
    assert_eq!(code_of(&greedy), ErrorCode::Forbidden);
    // A new secret replaces the old one.
    let rotated = svc_identity::ensure_service_account(&identity.runtime, "billing-jobs", &["internal"]).await.unwrap();
    assert_ne!(rotated.expose(), secret.expose());
    let old = client
        .issue_service_token(proto::IssueServiceTokenRequest {
            client_id: "billing-jobs".into(),
            client_secret: secret.expose().clone(),
            scopes: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(code_of(&old), ErrorCode::Unauthenticated);
}
