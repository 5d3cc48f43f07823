//! Private signing keys at rest: a database dump alone cannot mint tokens, a wrong
//! key-encryption key stops identity at start with a message that says so, and
//! keys stored before sealing (or under a previous key-encryption key) are sealed
//! at start and keep signing under their kid.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use nds_common::cache::MemoryCache;
use nds_common::clock::now_unix;
use nds_common::config::Config;
use nds_common::mail::FileMailer;
use nds_common::runtime::Runtime;
use nds_common::testing::TestDatabase;
use nds_common::{HasErrorCode, Shutdown};
use ring::signature::{Ed25519KeyPair, KeyPair};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use svc_identity::IdentityService;
use svc_identity::domain::key_sealing::{self, KeyEncryptionKey};
use svc_identity::service::sessions::SignUp;
use svc_identity::store::keys;

fn runtime(database: &TestDatabase, current: &str, previous: &[&str]) -> Runtime {
    let vars = [
        ("NDS_IDENTITY_DATABASE_URL".to_string(), database.url().to_string()),
        ("NDS_KEY_ENCRYPTION_KEY".to_string(), current.to_string()),
        ("NDS_KEY_ENCRYPTION_KEY_PREVIOUS".to_string(), previous.join(",")),
    ];
    let config = Config::from_vars(vars).unwrap();
    let mail_dir = std::env::temp_dir().join("nds-identity-storage-mail");
    let mailer = Arc::new(FileMailer::new(mail_dir, "no-reply@nds.test").unwrap());
    Runtime::new(Arc::new(config), MemoryCache::shared(100), mailer, "http://127.0.0.1:1", Shutdown::new()).unwrap()
}

async fn migrated(database: &TestDatabase) -> DatabaseConnection {
    svc_identity::migrate(database.url()).await.unwrap();
    nds_common::db::connect(database.url()).await.unwrap()
}

fn new_kek() -> String {
    KeyEncryptionKey::generate_base64().unwrap()
}

/// The kid an access token names in its header.
fn kid_of(access_token: &str) -> String {
    jsonwebtoken::decode_header(access_token).unwrap().kid.unwrap()
}

async fn sign_up(service: &IdentityService, email: &str) -> String {
    let input = SignUp { email: email.into(), password: "a long enough password".into(), name: "Ana".into() };
    service.sign_up(input).await.unwrap().access_token
}

/// Whether a text, in any base64 alphabet, is an Ed25519 private key: what an
/// attacker holding the dump would try on every column.
fn is_usable_private_key(text: &str) -> bool {
    let decoded = [STANDARD.decode(text), URL_SAFE_NO_PAD.decode(text)];
    decoded.into_iter().flatten().any(|der| Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).is_ok())
}

/// Every string value of every row of `signing_keys`, as a dump would hold them.
async fn dumped_values(db: &DatabaseConnection) -> Vec<String> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT to_jsonb(s)::text AS row FROM signing_keys s",
        ))
        .await
        .unwrap();
    let mut values = Vec::new();
    for row in rows {
        let row: serde_json::Value = serde_json::from_str(&row.try_get::<String>("", "row").unwrap()).unwrap();
        for value in row.as_object().unwrap().values() {
            if let Some(text) = value.as_str() {
                values.push(text.to_string());
            }
        }
    }
    values
}

fn generated_key() -> (Vec<u8>, String) {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let public = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap().public_key().as_ref().to_vec();
    (pkcs8.as_ref().to_vec(), URL_SAFE_NO_PAD.encode(public))
}

#[tokio::test]
async fn a_database_dump_alone_cannot_mint_tokens() {
    // The detector itself must be able to fire: a stored plaintext key is found.
    let (pkcs8, _) = generated_key();
    assert!(is_usable_private_key(&STANDARD.encode(&pkcs8)));

    let database = TestDatabase::postgres().await;
    let db = migrated(&database).await;
    let runtime = runtime(&database, &new_kek(), &[]);
    let service = svc_identity::connect_service(&runtime).await.unwrap();
    sign_up(&service, "ana@example.com").await;
    svc_identity::rotate_signing_key(&runtime).await.unwrap();
    sign_up(&service, "bea@example.com").await;

    let values = dumped_values(&db).await;
    assert!(values.len() >= 4, "two keys, each with a kid, a public key and a private part: {values:?}");
    let usable: Vec<&String> = values.iter().filter(|value| is_usable_private_key(value)).collect();
    assert!(usable.is_empty(), "the dump holds usable private keys: {usable:?}");
}

#[tokio::test]
async fn a_wrong_key_encryption_key_stops_identity_at_start_and_says_which_variable() {
    let database = TestDatabase::postgres().await;
    let _db = migrated(&database).await;
    let right = new_kek();
    svc_identity::connect_service(&runtime(&database, &right, &[])).await.unwrap();

    let error = svc_identity::connect_service(&runtime(&database, &new_kek(), &[])).await.err().unwrap();
    assert_eq!(error.error_code(), nds_common::ErrorCode::Internal);
    let message = error.to_string();
    assert!(message.contains("NDS_KEY_ENCRYPTION_KEY"), "{message}");
    assert!(message.contains(KeyEncryptionKey::from_base64(&right).unwrap().id()), "names the key it needs: {message}");
    // The right key still starts it: nothing was rewritten by the failed start.
    svc_identity::connect_service(&runtime(&database, &right, &[])).await.unwrap();
}

#[tokio::test]
async fn keys_stored_in_plaintext_are_sealed_at_start_and_keep_signing_under_their_kid() {
    let database = TestDatabase::postgres().await;
    let db = migrated(&database).await;
    let (pkcs8, public_x) = generated_key();
    keys::insert(&db, "legacy", &STANDARD.encode(&pkcs8), &public_x, now_unix()).await.unwrap();

    let service = svc_identity::connect_service(&runtime(&database, &new_kek(), &[])).await.unwrap();
    let stored = keys::active(&db).await.unwrap().unwrap();
    assert_eq!(stored.kid, "legacy");
    assert!(key_sealing::is_sealed(&stored.private_key_sealed), "{}", stored.private_key_sealed);
    assert!(!is_usable_private_key(&stored.private_key_sealed));
    assert_eq!(kid_of(&sign_up(&service, "ana@example.com").await), "legacy");
}

#[tokio::test]
async fn a_key_encryption_key_change_reseals_with_the_new_key_without_rotating() {
    let database = TestDatabase::postgres().await;
    let db = migrated(&database).await;
    let (old, new) = (new_kek(), new_kek());
    let before = svc_identity::connect_service(&runtime(&database, &old, &[])).await.unwrap();
    let kid = kid_of(&sign_up(&before, "ana@example.com").await);

    let changing = svc_identity::connect_service(&runtime(&database, &new, &[&old])).await.unwrap();
    assert_eq!(kid_of(&sign_up(&changing, "bea@example.com").await), kid, "no rotation: tokens keep verifying");
    assert_eq!(keys::all(&db).await.unwrap().len(), 1);

    // Once resealed, the old key is no longer needed.
    let after = svc_identity::connect_service(&runtime(&database, &new, &[])).await.unwrap();
    assert_eq!(kid_of(&sign_up(&after, "carla@example.com").await), kid);
}
