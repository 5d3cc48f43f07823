//! Test support shared by every crate: a fresh PostgreSQL database per test (dropped
//! afterwards), an SQLite file per test, a unique Redis key prefix per test, and the
//! [`storage_suite!`](crate::storage_suite) macro that runs one behaviour suite
//! against both database backends.
//!
//! The servers come from the machine: `NDS_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and `NDS_TEST_REDIS_URL` (default
//! `redis://127.0.0.1:6379`).

// Test support: failing loudly when the test servers are missing is the point.
#![allow(clippy::panic)]

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

pub fn postgres_admin_url() -> String {
    std::env::var("NDS_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("NDS_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A key prefix no other test uses.
/// Waits, when needed, until the current fixed `window` (aligned to the epoch, as
/// the edge's rate limits count) has at least `room` left: a test that counts
/// requests up to a limit would see the count restart if the window turned over
/// in the middle of it.
pub async fn leave_room_in_window(window: std::time::Duration, room: std::time::Duration) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let into = std::time::Duration::from_millis((now.as_millis() % window.as_millis().max(1)) as u64);
    let left = window.saturating_sub(into);
    if left < room {
        // Just past the turn, so the whole window is ahead.
        tokio::time::sleep(left + std::time::Duration::from_millis(50)).await;
    }
}

pub fn redis_prefix() -> String {
    format!("test:{}:", uuid::Uuid::new_v4().simple())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A database that exists for one test. Dropping it removes the database.
pub struct TestDatabase {
    url: String,
    backend: Backend,
    name: String,
    sqlite_dir: Option<std::path::PathBuf>,
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Postgres => TestDatabase::postgres().await,
            Backend::Sqlite => TestDatabase::sqlite(),
        }
    }

    /// `CREATE DATABASE test_<uuid>` on the machine's PostgreSQL.
    pub async fn postgres() -> TestDatabase {
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let admin_url = postgres_admin_url();
        let admin = Database::connect(&admin_url).await.unwrap_or_else(|error| {
            panic!("PostgreSQL must run for tests ({admin_url}): {error}. `tests/run` starts it.")
        });
        admin
            .execute_raw(Statement::from_string(DbBackend::Postgres, format!("CREATE DATABASE {name}")))
            .await
            .unwrap_or_else(|error| panic!("create test database: {error}"));
        admin.close().await.ok();
        let base = admin_url.rsplit_once('/').map(|(base, _)| base.to_string()).unwrap_or(admin_url);
        TestDatabase { url: format!("{base}/{name}"), backend: Backend::Postgres, name, sqlite_dir: None }
    }

    /// A fresh SQLite file in a temporary directory.
    pub fn sqlite() -> TestDatabase {
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let directory = std::env::temp_dir().join(&name);
        let url = format!("sqlite://{}?mode=rwc", directory.join("db.sqlite").display());
        TestDatabase { url, backend: Backend::Sqlite, name, sqlite_dir: Some(directory) }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(directory) = self.sqlite_dir.take() {
            std::fs::remove_dir_all(directory).ok();
            return;
        }
        // Drop runs outside any runtime guarantee: use a short-lived one on its own thread.
        let name = self.name.clone();
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(admin) = Database::connect(postgres_admin_url()).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    admin.execute_raw(Statement::from_string(DbBackend::Postgres, sql)).await.ok();
                    admin.close().await.ok();
                }
            });
        });
        dropper.join().ok();
    }
}

/// Runs each named `async fn(&TestDatabase)` once against PostgreSQL and once against SQLite:
///
/// ```ignore
/// async fn stores_and_reads(db: &TestDatabase) { ... }
/// nds_common::storage_suite!(stores_and_reads, rejects_duplicates);
/// ```
#[macro_export]
macro_rules! storage_suite {
    ($($test:ident),+ $(,)?) => {
        mod postgres_backend {
            $(
                #[tokio::test]
                async fn $test() {
                    let database = $crate::testing::TestDatabase::new($crate::testing::Backend::Postgres).await;
                    super::$test(&database).await;
                }
            )+
        }
        mod sqlite_backend {
            $(
                #[tokio::test]
                async fn $test() {
                    let database = $crate::testing::TestDatabase::new($crate::testing::Backend::Sqlite).await;
                    super::$test(&database).await;
                }
            )+
        }
    };
}

/// Access tokens for tests, signed with a throw-away Ed25519 key, and an
/// authenticator that trusts exactly that key (services under test verify real
/// signatures; only the issuer is left out).
pub mod tokens {
    use std::sync::Arc;

    use jsonwebtoken::{Algorithm, EncodingKey, Header};

    use crate::auth::{AccessClaims, Authenticator, JwtVerifier, MembershipClaim, StaticJwks, TOKEN_TYPE_HEADER};

    /// Generated with `openssl genpkey -algorithm ed25519`; used only by tests.
    pub const TEST_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIII492je9j7PJVtoqdFjd9AoUPPRjfwAuRmdYI/BdGfC\n-----END PRIVATE KEY-----\n";
    /// Its public key (JWK `x`).
    pub const TEST_KEY_X: &str = "5vYO9rV2aWSQ-l5Sv3kbT3UWrvO9y8qVrn5zje5KC-E";
    pub const TEST_KID: &str = "test";

    /// The JWKS holding the test key.
    pub fn test_jwks() -> String {
        serde_json::json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": TEST_KEY_X, "kid": TEST_KID, "alg": "EdDSA", "use": "sig"}]})
            .to_string()
    }

    /// Verifies tokens of the test key for issuer "nds" and audience "nds-api" (the config defaults).
    pub fn test_authenticator() -> Authenticator {
        Authenticator::new(Arc::new(JwtVerifier::new(Arc::new(StaticJwks(test_jwks())), "nds", "nds-api")))
    }

    /// An access token valid for ten minutes.
    pub fn sign_access_token(
        kind: &str,
        subject: String,
        memberships: Vec<MembershipClaim>,
        scopes: Vec<String>,
    ) -> String {
        sign_access_token_expiring_in(kind, subject, memberships, scopes, crate::auth::ACCESS_TOKEN_TTL_SECONDS)
    }

    /// An access token that expires `seconds` from now: issued as long before as
    /// makes a normal ten-minute life, so verifiers accept it as identity's own.
    pub fn sign_access_token_expiring_in(
        kind: &str,
        subject: String,
        memberships: Vec<MembershipClaim>,
        scopes: Vec<String>,
        seconds: i64,
    ) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = AccessClaims {
            iss: "nds".into(),
            aud: "nds-api".into(),
            sub: subject,
            exp: now + seconds,
            iat: now + seconds - crate::auth::ACCESS_TOKEN_TTL_SECONDS,
            jti: uuid::Uuid::new_v4().to_string(),
            token_use: crate::auth::TOKEN_USE_ACCESS.into(),
            kind: kind.into(),
            memberships,
            scopes,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(TEST_KID.into());
        header.typ = Some(TOKEN_TYPE_HEADER.into());
        let key = EncodingKey::from_ed_pem(TEST_KEY_PEM.as_bytes()).unwrap_or_else(|error| panic!("test key: {error}"));
        jsonwebtoken::encode(&header, &claims, &key).unwrap_or_else(|error| panic!("signing a test token: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn a_fresh_database_is_empty_and_writable(database: &TestDatabase) {
        let connection = crate::db::connect(database.url()).await.unwrap();
        let backend = connection.get_database_backend();
        connection
            .execute_raw(Statement::from_string(backend, "CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
            .await
            .unwrap();
        connection.execute_raw(Statement::from_string(backend, "INSERT INTO probe (id) VALUES (1)")).await.unwrap();
        let row = connection
            .query_one_raw(Statement::from_string(backend, "SELECT COUNT(*) AS n FROM probe"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);
    }

    crate::storage_suite!(a_fresh_database_is_empty_and_writable);

    #[tokio::test]
    async fn each_postgres_test_database_is_distinct_and_dropped() {
        let first = TestDatabase::postgres().await;
        let second = TestDatabase::postgres().await;
        assert_ne!(first.url(), second.url());
        let name = first.name().to_string();
        drop(first);
        let admin = Database::connect(postgres_admin_url()).await.unwrap();
        let row = admin
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT COUNT(*) AS n FROM pg_database WHERE datname = '{name}'"),
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<i64>("", "n").unwrap(), 0);
    }
}
