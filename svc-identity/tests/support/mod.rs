//! A real identity gRPC server per test: its own PostgreSQL database, a file
//! mailer in a temporary directory, and a client over a real channel.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use nds_common::cache::{MemoryCache, SharedCache};
use nds_common::config::Config;
use nds_common::grpc::{GrpcServeOptions, serve_grpc};
use nds_common::mail::FileMailer;
use nds_common::runtime::Runtime;
use nds_common::testing::TestDatabase;
use nds_common::{ApiError, ErrorCode, Shutdown};
use nds_proto::identity::v1 as proto;
use nds_proto::identity::v1::identity_service_client::IdentityServiceClient;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tonic::transport::Channel;

static SERVICE_NAMES: [&str; 1] = [nds_proto::service_names::IDENTITY];

pub struct TestIdentity {
    pub runtime: Runtime,
    pub client: IdentityServiceClient<Channel>,
    pub mail_dir: PathBuf,
    pub address: SocketAddr,
    pub db: DatabaseConnection,
    /// The key-encryption key sealing this identity's signing keys (base64).
    pub key_encryption_key: String,
    shutdown: Shutdown,
    // Last: dropped after the server stopped using it.
    pub database: TestDatabase,
}

impl Drop for TestIdentity {
    fn drop(&mut self) {
        self.shutdown.trigger();
        std::fs::remove_dir_all(&self.mail_dir).ok();
    }
}

pub async fn start() -> TestIdentity {
    start_with_cache(MemoryCache::shared(1000)).await
}

pub async fn start_with_cache(cache: SharedCache) -> TestIdentity {
    let database = TestDatabase::postgres().await;
    svc_identity::migrate(database.url()).await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mail_dir = std::env::temp_dir().join(format!("nds-identity-mail-{}", uuid::Uuid::new_v4()));
    let key_encryption_key = svc_identity::domain::key_sealing::KeyEncryptionKey::generate_base64().unwrap();
    let vars = [
        ("NDS_IDENTITY_DATABASE_URL", database.url().to_string()),
        ("NDS_PUBLIC_URL", "https://nds.test".to_string()),
        ("NDS_JWT_ISSUER", "nds-test".to_string()),
        ("NDS_JWT_AUDIENCE", "nds-test-api".to_string()),
        ("NDS_KEY_ENCRYPTION_KEY", key_encryption_key.clone()),
    ];
    let config = Config::from_vars(vars.into_iter().map(|(name, value)| (name.to_string(), value))).unwrap();
    let mailer = Arc::new(FileMailer::new(&mail_dir, "NDS <no-reply@nds.test>").unwrap());
    let shutdown = Shutdown::new();
    let runtime =
        Runtime::new(Arc::new(config), cache, mailer, &format!("http://{address}"), shutdown.clone()).unwrap();
    let server = svc_identity::build(&runtime).await.unwrap();
    let options =
        GrpcServeOptions { drain: Duration::ZERO, grace: Duration::from_millis(100), ..GrpcServeOptions::default() };
    tokio::spawn(serve_grpc(listener, tonic::service::Routes::new(server), &SERVICE_NAMES, options, shutdown.clone()));
    let client = IdentityServiceClient::new(runtime.channels.identity.clone());
    let db = nds_common::db::connect(database.url()).await.unwrap();
    TestIdentity { runtime, client, mail_dir, address, db, key_encryption_key, shutdown, database }
}

pub fn authed<T>(message: T, access_token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {access_token}").parse().unwrap());
    request
}

pub fn code_of(status: &tonic::Status) -> ErrorCode {
    ApiError::from_status(status).code
}

pub fn field_of(status: &tonic::Status) -> Option<String> {
    ApiError::from_status(status).field
}

pub const PASSWORD: &str = "a long enough password";

impl TestIdentity {
    pub async fn sign_up(&self, email: &str) -> proto::AuthPayload {
        self.client
            .clone()
            .sign_up(proto::SignUpRequest { email: email.into(), password: PASSWORD.into(), name: "Ana López".into() })
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn log_in(&self, email: &str, password: &str) -> Result<proto::AuthPayload, tonic::Status> {
        self.log_in_from(email, password, "198.51.100.7").await
    }

    pub async fn log_in_from(
        &self,
        email: &str,
        password: &str,
        address: &str,
    ) -> Result<proto::AuthPayload, tonic::Status> {
        self.client
            .clone()
            .log_in(proto::LogInRequest {
                email: email.into(),
                password: password.into(),
                client_address: address.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// The edge's access token: a service account with the internal scope, as
    /// every deployment's edge has.
    pub async fn edge_token(&self) -> String {
        let secret = svc_identity::ensure_service_account(&self.runtime, "edge", &["internal"]).await.unwrap();
        let request = proto::IssueServiceTokenRequest {
            client_id: "edge".into(),
            client_secret: secret.expose().clone(),
            scopes: Vec::new(),
        };
        self.client.clone().issue_service_token(request).await.unwrap().into_inner().access_token
    }

    /// A log-in relayed for a client at `address` by whoever holds `relay_token`.
    pub async fn log_in_relayed(
        &self,
        relay_token: &str,
        email: &str,
        password: &str,
        address: &str,
    ) -> Result<proto::AuthPayload, tonic::Status> {
        let mut request = tonic::Request::new(proto::LogInRequest {
            email: email.into(),
            password: password.into(),
            client_address: address.into(),
        });
        request.metadata_mut().insert("x-nds-relay-authorization", format!("Bearer {relay_token}").parse().unwrap());
        self.client.clone().log_in(request).await.map(tonic::Response::into_inner)
    }

    /// A platform admin's access token.
    pub async fn admin_token(&self) -> String {
        svc_identity::bootstrap_platform_admin(&self.runtime, "root@nds.test", PASSWORD).await.unwrap();
        self.log_in("root@nds.test", PASSWORD).await.unwrap().access_token
    }

    pub fn mails(&self) -> Vec<String> {
        nds_common::mail::read_mailbox(&self.mail_dir).iter().map(|raw| decode_mail(raw)).collect()
    }

    pub fn mails_to(&self, address: &str) -> Vec<String> {
        self.mails().into_iter().filter(|mail| mail.contains(&format!("To: {address}"))).collect()
    }
}

/// Headers as written, body decoded from base64 or quoted-printable.
pub fn decode_mail(raw: &str) -> String {
    let normalised = raw.replace("\r\n", "\n");
    let (headers, body) = normalised.split_once("\n\n").unwrap_or((&normalised, ""));
    let lower = headers.to_ascii_lowercase();
    let decoded = if lower.contains("content-transfer-encoding: base64") {
        let compact: String = body.chars().filter(|character| !character.is_whitespace()).collect();
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(compact).unwrap()).unwrap()
    } else if lower.contains("content-transfer-encoding: quoted-printable") {
        decode_quoted_printable(body)
    } else {
        body.to_string()
    };
    format!("{headers}\n\n{decoded}")
}

fn decode_quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'='
            && index + 2 < bytes.len()
            && let Ok(value) = u8::from_str_radix(&joined[index + 1..index + 3], 16)
        {
            out.push(value);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8(out).unwrap()
}

/// The invitation token a mail carries.
pub fn token_in(mail: &str) -> String {
    mail.lines()
        .find_map(|line| line.trim().strip_prefix("Invitation token: "))
        .map(|token| token.trim().to_string())
        .unwrap_or_else(|| panic!("no invitation token in mail:\n{mail}"))
}

pub fn application(company: &str, group_name: &str) -> proto::AgencyApplication {
    proto::AgencyApplication {
        company_name: company.into(),
        contact_name: "Lucía Hernández".into(),
        contact_email: format!("contacto@{}.mx", company.to_lowercase().replace(' ', "")),
        contact_phone: "+52 55 1234 5678".into(),
        tax_id: "ARE010203AB1".into(),
        address: "Av. Reforma 100, Juárez".into(),
        city: "Ciudad de México".into(),
        state: "Ciudad de México".into(),
        group_name: group_name.into(),
        expected_listings: 40,
        ..Default::default()
    }
}
