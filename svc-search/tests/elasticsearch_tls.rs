//! Reaching Elasticsearch as ECK serves it: over TLS from the cluster's own CA,
//! with a user and password. A stand-in cluster answers over real TLS with a
//! certificate of the test CA (`tests/fixtures/tls/`) and checks the credentials.

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use nds_common::Secret;
use nds_common::config::ElasticsearchAccess;
use svc_search::error::SearchError;
use svc_search::index::SearchIndex;
use svc_search::index::elasticsearch::{DEFAULT_ALIAS, ElasticsearchIndex};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

const USER: &str = "elastic";
const PASSWORD: &str = "ZpQ7x2Lk9s";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls").join(name)
}

/// A TLS listener for axum: accepts TCP, then the handshake with the fixture
/// certificate (a failed handshake is the client's problem: the next one is awaited).
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, peer)) = self.tcp.accept().await else { continue };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, peer);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

/// Answers `_count` with 7 documents for the right credentials, 401 otherwise.
async fn count(headers: HeaderMap) -> axum::response::Response {
    use base64::Engine;
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}")));
    if headers.get("authorization").and_then(|value| value.to_str().ok()) != Some(expected.as_str()) {
        let body = serde_json::json!({"error": {"reason": "missing authentication credentials"}, "status": 401});
        return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    }
    axum::Json(serde_json::json!({"count": 7, "_shards": {"total": 1, "successful": 1, "failed": 0}})).into_response()
}

/// The stand-in cluster's `https://localhost:<port>` URL.
async fn start_cluster() -> String {
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    let certificates = vec![CertificateDer::from_pem_file(fixture("server.crt")).unwrap()];
    let key = PrivateKeyDer::from_pem_file(fixture("server.key")).unwrap();
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .unwrap();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = tcp.local_addr().unwrap().port();
    let listener = TlsListener { tcp, acceptor: TlsAcceptor::from(Arc::new(config)) };
    let router = axum::Router::new().route(&format!("/{DEFAULT_ALIAS}/_count"), axum::routing::post(count));
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    format!("https://localhost:{port}")
}

fn access(ca: Option<&str>, password: &str) -> ElasticsearchAccess {
    ElasticsearchAccess {
        ca_file: ca.map(fixture),
        credentials: Some((USER.to_string(), Secret::new(password.to_string()))),
    }
}

async fn count_with(url: &str, access: &ElasticsearchAccess) -> Result<u64, SearchError> {
    let index = ElasticsearchIndex::connect_with(url, access, DEFAULT_ALIAS)?;
    tokio::time::timeout(Duration::from_secs(15), index.count()).await.expect("an answer, not a hang")
}

#[tokio::test]
async fn the_clusters_ca_and_credentials_reach_it_over_tls() {
    let url = start_cluster().await;
    assert_eq!(count_with(&url, &access(Some("ca.crt"), PASSWORD)).await.unwrap(), 7);
}

#[tokio::test]
async fn without_the_clusters_ca_the_handshake_fails_and_says_so() {
    let url = start_cluster().await;
    for ca in [None, Some("other-ca.crt")] {
        let error = count_with(&url, &access(ca, PASSWORD)).await.unwrap_err();
        assert!(
            matches!(&error, SearchError::Index(message) if message.contains("NDS_ELASTICSEARCH_CA_FILE")),
            "trusting {ca:?}: {error:?}"
        );
    }
}

#[tokio::test]
async fn a_wrong_password_is_refused_not_retried_as_an_outage() {
    let url = start_cluster().await;
    let error = count_with(&url, &access(Some("ca.crt"), "wrong")).await.unwrap_err();
    assert!(matches!(&error, SearchError::Index(message) if message.contains("401")), "{error:?}");
}

#[test]
fn an_unreadable_or_malformed_ca_file_is_named_at_connect() {
    for file in ["missing.crt", "README.md"] {
        let error = ElasticsearchIndex::connect_with("https://localhost:9200", &access(Some(file), PASSWORD), "a")
            .err()
            .expect("refused");
        assert!(
            matches!(&error, SearchError::Index(message) if message.contains("NDS_ELASTICSEARCH_CA_FILE")),
            "{file}: {error:?}"
        );
    }
}
