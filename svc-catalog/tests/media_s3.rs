//! The media store against S3's wire protocol: moto's server (installed by
//! tests/tools/ensure-s3-standin.sh, which `tests/run` calls) stands in for AWS S3,
//! MinIO or GCS. What production configures through NDS_MEDIA_* (endpoint,
//! region, keys, path-style requests over plain HTTP) is exactly what runs here.

// A test crate: helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use nds_common::Secret;
use nds_common::config::{MediaSettings, MediaStorage, S3Settings};
use svc_catalog::store::media::MediaStore;

/// moto's server on a free port, stopped when dropped.
struct S3StandIn {
    process: tokio::process::Child,
    endpoint: String,
}

impl Drop for S3StandIn {
    fn drop(&mut self) {
        self.process.start_kill().ok();
    }
}

async fn s3_stand_in() -> S3StandIn {
    let binary = std::env::var("NDS_MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/s3-venv/bin/moto_server"));
    assert!(binary.exists(), "{} is missing: run tests/tools/ensure-s3-standin.sh", binary.display());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let process = tokio::process::Command::new(&binary)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let endpoint = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.get(format!("{endpoint}/moto-api/")).send().await.is_ok() {
            return S3StandIn { process, endpoint };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto's S3 server did not start on {endpoint}");
}

#[tokio::test]
async fn photos_go_to_an_s3_bucket_by_the_names_the_catalog_serves() {
    let s3 = s3_stand_in().await;
    let http = reqwest::Client::new();
    // Buckets are the operator's (the chart names one); here the test makes it.
    let created = http.put(format!("{}/listing-photos", s3.endpoint)).send().await.unwrap();
    assert!(created.status().is_success(), "{}", created.status());

    let settings = MediaSettings {
        storage: MediaStorage::S3(S3Settings {
            bucket: "listing-photos".into(),
            endpoint: Some(s3.endpoint.clone()),
            region: "us-east-1".into(),
            credentials: Some(("AKIDEXAMPLE".into(), Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into()))),
        }),
        public_url: "https://api.example.com/media".into(),
        public_url_configured: true,
    };
    let store = MediaStore::from_settings(&settings, std::path::Path::new("/nonexistent")).unwrap();

    store.put("p/0190a1b2-0000-7000-8000-000000000001/0123456789abcdef-640.webp", "webp bytes".into()).await.unwrap();
    store.put("p/0190a1b2-0000-7000-8000-000000000001/0123456789abcdef-640.jpg", "jpeg bytes".into()).await.unwrap();
    store.put("staging/0190a1b2-0000-7000-8000-000000000002", "original".into()).await.unwrap();

    // The objects are where S3 itself says they are (path-style: /bucket/key).
    let listed = http.get(format!("{}/listing-photos?list-type=2", s3.endpoint)).send().await.unwrap();
    let listing = listed.text().await.unwrap();
    assert!(
        listing.contains("<Key>p/0190a1b2-0000-7000-8000-000000000001/0123456789abcdef-640.webp</Key>"),
        "{listing}"
    );
    assert!(listing.contains("<Key>staging/0190a1b2-0000-7000-8000-000000000002</Key>"), "{listing}");

    let read = store.get("p/0190a1b2-0000-7000-8000-000000000001/0123456789abcdef-640.webp").await.unwrap();
    assert_eq!(read.as_deref(), Some(&b"webp bytes"[..]));
    assert_eq!(store.get("p/nothing-here").await.unwrap(), None, "a missing object is None, not an error");
    assert_eq!(store.list("p/0190a1b2-0000-7000-8000-000000000001/").await.unwrap().len(), 2);

    // Deleting a photo removes every variant under its prefix and nothing else.
    assert_eq!(store.delete_prefix("p/0190a1b2-0000-7000-8000-000000000001/").await.unwrap(), 2);
    assert!(store.list("p").await.unwrap().is_empty());
    assert_eq!(store.list("staging").await.unwrap().len(), 1);
    store.delete("staging/0190a1b2-0000-7000-8000-000000000002").await.unwrap();
    store.delete("staging/0190a1b2-0000-7000-8000-000000000002").await.unwrap(); // already gone: fine
    let after =
        http.get(format!("{}/listing-photos?list-type=2", s3.endpoint)).send().await.unwrap().text().await.unwrap();
    assert!(!after.contains("<Key>"), "the bucket is empty: {after}");
}

#[tokio::test]
async fn an_unreachable_bucket_is_unavailable_not_a_crash() {
    let settings = MediaSettings {
        storage: MediaStorage::S3(S3Settings {
            bucket: "listing-photos".into(),
            endpoint: Some("http://127.0.0.1:9".into()),
            region: "us-east-1".into(),
            credentials: Some(("AKIDEXAMPLE".into(), Secret::new("secret".into()))),
        }),
        public_url: "https://api.example.com/media".into(),
        public_url_configured: true,
    };
    let store = MediaStore::from_settings(&settings, std::path::Path::new("/nonexistent")).unwrap();
    let error = store.put("p/x/0123456789abcdef-640.webp", "bytes".into()).await.unwrap_err();
    assert_eq!(nds_common::error::HasErrorCode::error_code(&error), nds_common::ErrorCode::Unavailable, "{error}");
}
