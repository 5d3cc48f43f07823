//! PhotoFetcher through its public API, against local servers only.
//!
//! Forbidden non-loopback targets (10.x, 169.254.169.254, ...) appear only in URLs that must be
//! refused before any connection; a test that fails there would have tried to connect.

// A test crate: helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use svc_catalog::service::photo_fetch::{FetchError, FetchLimits, PhotoFetcher};

const PHOTO: &[u8] = b"\xff\xd8\xff\xe0 not really a jpeg";
const METADATA: IpAddr = IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254));

async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// A server that writes `head` raw and then stalls (a liar or a slow drip); ends with the test runtime.
async fn serve_raw(head: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(head.as_bytes()).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    addr
}

fn photo_routes() -> Router {
    Router::new()
        .route("/photo", get(|| async { PHOTO }))
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .route("/broken", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
}

/// `/` redirects to `location`; `/photo` serves a photo.
fn redirecting_to(location: String) -> Router {
    photo_routes().route("/", get(move || async move { (StatusCode::FOUND, [(header::LOCATION, location)]) }))
}

fn loopback_fetcher() -> PhotoFetcher {
    PhotoFetcher::allowing_loopback_for_tests(FetchLimits::default()).unwrap()
}

#[track_caller]
fn assert_forbidden(result: Result<Bytes, FetchError>, expected: IpAddr) {
    match result {
        Err(FetchError::ForbiddenAddress { address, .. }) => assert_eq!(address, expected),
        other => panic!("expected ForbiddenAddress({expected}), got {other:?}"),
    }
}

#[tokio::test]
async fn fetches_a_photo_with_its_user_agent() {
    let router = Router::new().route(
        "/photo",
        get(|headers: HeaderMap| async move {
            let ua = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
            if ua == Some("NDS-photo-fetch/1") { (StatusCode::OK, PHOTO) } else { (StatusCode::BAD_REQUEST, &b""[..]) }
        }),
    );
    let addr = serve(router).await;
    let body = loopback_fetcher().fetch(&format!("http://{addr}/photo")).await.unwrap();
    assert_eq!(&body[..], PHOTO);
}

#[tokio::test]
async fn production_fetcher_refuses_loopback() {
    let addr = serve(photo_routes()).await;
    let fetcher = PhotoFetcher::new(FetchLimits::default()).unwrap();
    assert_forbidden(fetcher.fetch(&format!("http://{addr}/photo")).await, addr.ip());
}

#[tokio::test]
async fn refuses_non_http_schemes() {
    let fetcher = loopback_fetcher();
    for url in [
        "file:///etc/passwd",
        "ftp://127.0.0.1/photo.jpg",
        "data:image/jpeg;base64,/9j/4AAQ",
        "gopher://127.0.0.1:70/_",
        "javascript:alert(1)",
        "ws://127.0.0.1/",
    ] {
        let result = fetcher.fetch(url).await;
        assert!(matches!(result, Err(FetchError::SchemeNotAllowed(_))), "{url}: {result:?}");
    }
}

#[tokio::test]
async fn refuses_invalid_urls_and_userinfo() {
    let addr = serve(photo_routes()).await;
    let fetcher = loopback_fetcher();
    for url in [
        "not a url".to_owned(),
        "http://".to_owned(),
        "/photo".to_owned(),
        format!("http://user:secret@{addr}/photo"),
        format!("http://user@{addr}/photo"),
    ] {
        let result = fetcher.fetch(&url).await;
        assert!(matches!(result, Err(FetchError::InvalidUrl(_))), "{url}: {result:?}");
    }
}

/// Numeric spellings of 127.0.0.1 that `url` normalizes, aimed at a live server so that a missed
/// check would succeed instead of erroring.
#[tokio::test]
async fn refuses_odd_spellings_of_loopback() {
    let port = serve(photo_routes()).await.port();
    let fetcher = PhotoFetcher::new(FetchLimits::default()).unwrap();
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
    for (host, expected) in [
        ("2130706433", loopback),
        ("0x7f.1", loopback),
        ("0x7f000001", loopback),
        ("0177.0.0.1", loopback),
        ("127.1", loopback),
        ("127.0.0.1.", loopback),
        ("[::ffff:7f00:1]", mapped),
        ("[::ffff:127.0.0.1]", mapped),
    ] {
        assert_forbidden(fetcher.fetch(&format!("http://{host}:{port}/photo")).await, expected);
    }
}

#[tokio::test]
async fn refuses_forbidden_literals_without_connecting() {
    let fetcher = PhotoFetcher::new(FetchLimits::default()).unwrap();
    for url in [
        "http://0.0.0.0/",
        "http://10.0.0.1/",
        "http://100.64.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://172.16.0.1/",
        "http://172.31.255.255/",
        "http://192.168.1.1/",
        "http://192.0.2.1/",
        "http://198.18.0.1/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "https://[::]/",
        "https://[::1]/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://[ff02::1]/",
        "http://[2001:db8::1]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[2002:a00:1::]/",
    ] {
        let result = fetcher.fetch(url).await;
        assert!(matches!(result, Err(FetchError::ForbiddenAddress { .. })), "{url}: {result:?}");
    }
}

/// Names go through the resolver, which refuses loopback even in a loopback-allowing test fetcher.
#[tokio::test]
async fn refuses_names_that_resolve_to_loopback() {
    let port = serve(photo_routes()).await.port();
    // `url` lowercases the name; "localhost." is left out: whether it hits /etc/hosts depends on the libc.
    match loopback_fetcher().fetch(&format!("http://LocalHost:{port}/photo")).await {
        Err(FetchError::ForbiddenAddress { host, address }) => {
            assert!(address.is_loopback(), "{address}");
            assert_eq!(host, "localhost");
        }
        other => panic!("expected ForbiddenAddress, got {other:?}"),
    }
}

#[tokio::test]
async fn redirect_to_cloud_metadata_is_refused() {
    let addr = serve(redirecting_to("http://169.254.169.254/latest/meta-data/".into())).await;
    assert_forbidden(loopback_fetcher().fetch(&format!("http://{addr}/")).await, METADATA);
}

#[tokio::test]
async fn redirect_to_private_and_disguised_addresses_is_refused() {
    for (location, expected) in [
        ("http://10.0.0.1/", "10.0.0.1"),
        ("//169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://0xa9fea9fe/", "169.254.169.254"),
        ("http://[::ffff:a9fe:a9fe]/", "::ffff:169.254.169.254"),
    ] {
        let addr = serve(redirecting_to(location.into())).await;
        assert_forbidden(loopback_fetcher().fetch(&format!("http://{addr}/")).await, expected.parse().unwrap());
    }
}

#[tokio::test]
async fn redirect_to_bad_scheme_or_userinfo_is_refused() {
    let addr = serve(redirecting_to("file:///etc/passwd".into())).await;
    let result = loopback_fetcher().fetch(&format!("http://{addr}/")).await;
    assert!(matches!(result, Err(FetchError::SchemeNotAllowed(_))), "{result:?}");

    let target = serve(photo_routes()).await;
    let addr = serve(redirecting_to(format!("http://user:pw@{target}/photo"))).await;
    let result = loopback_fetcher().fetch(&format!("http://{addr}/")).await;
    assert!(matches!(result, Err(FetchError::InvalidUrl(_))), "{result:?}");
}

/// With the allowance pinned to the first server's port, another local service (other port, or the
/// same server reached by name) is refused, while a redirect within the allowed server works.
#[tokio::test]
async fn loopback_allowance_is_exactly_one_port() {
    let other = serve(photo_routes()).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let first = listener.local_addr().unwrap();
    let router = photo_routes()
        .route(
            "/to-other",
            get(move || async move { (StatusCode::FOUND, [(header::LOCATION, format!("http://{other}/photo"))]) }),
        )
        .route(
            "/to-name",
            get(move || async move {
                (StatusCode::FOUND, [(header::LOCATION, format!("http://localhost:{}/photo", first.port()))])
            }),
        )
        .route("/to-self", get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/photo")]) }));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let fetcher = PhotoFetcher::allowing_loopback_port_for_tests(FetchLimits::default(), first.port()).unwrap();

    assert_eq!(&fetcher.fetch(&format!("http://{first}/to-self")).await.unwrap()[..], PHOTO);
    assert_forbidden(fetcher.fetch(&format!("http://{other}/photo")).await, other.ip());
    assert_forbidden(fetcher.fetch(&format!("http://{first}/to-other")).await, other.ip());
    let result = fetcher.fetch(&format!("http://{first}/to-name")).await;
    assert!(matches!(result, Err(FetchError::ForbiddenAddress { .. })), "{result:?}");
}

#[tokio::test]
async fn follows_at_most_max_redirects() {
    let router = photo_routes().route(
        "/hops/{n}",
        get(|Path(n): Path<u32>| async move {
            let location = if n == 0 { "/photo".to_owned() } else { format!("/hops/{}", n - 1) };
            (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, location)])
        }),
    );
    let addr = serve(router).await;
    let fetcher =
        PhotoFetcher::allowing_loopback_for_tests(FetchLimits { max_redirects: 3, ..Default::default() }).unwrap();
    // /hops/2 -> /hops/1 -> /hops/0 -> /photo: three redirects.
    assert_eq!(&fetcher.fetch(&format!("http://{addr}/hops/2")).await.unwrap()[..], PHOTO);
    let result = fetcher.fetch(&format!("http://{addr}/hops/3")).await;
    assert!(matches!(result, Err(FetchError::TooManyRedirects)), "{result:?}");
}

#[tokio::test]
async fn carries_no_cookie_or_referer_across_redirects() {
    let router = photo_routes()
        .route(
            "/login",
            get(|| async { (StatusCode::FOUND, [(header::SET_COOKIE, "session=abc"), (header::LOCATION, "/check")]) }),
        )
        .route(
            "/check",
            get(|headers: HeaderMap| async move {
                let leaked =
                    [header::COOKIE, header::REFERER, header::AUTHORIZATION].iter().any(|h| headers.contains_key(h));
                let ua_ok = headers.get(header::USER_AGENT).is_some_and(|v| v == "NDS-photo-fetch/1");
                if leaked || !ua_ok { (StatusCode::BAD_REQUEST, &b""[..]) } else { (StatusCode::OK, PHOTO) }
            }),
        );
    let addr = serve(router).await;
    let body = loopback_fetcher().fetch(&format!("http://{addr}/login")).await.unwrap();
    assert_eq!(&body[..], PHOTO);
}

#[tokio::test]
async fn non_2xx_is_a_status_error() {
    let addr = serve(photo_routes()).await;
    let fetcher = loopback_fetcher();
    assert!(matches!(fetcher.fetch(&format!("http://{addr}/missing")).await, Err(FetchError::Status(404))));
    assert!(matches!(fetcher.fetch(&format!("http://{addr}/broken")).await, Err(FetchError::Status(500))));
    // A redirect status without Location can't be followed.
    let router = Router::new().route("/", get(|| async { StatusCode::FOUND }));
    let addr = serve(router).await;
    assert!(matches!(fetcher.fetch(&format!("http://{addr}/")).await, Err(FetchError::Status(302))));
}

fn small_limits(max_bytes: usize) -> FetchLimits {
    FetchLimits { max_bytes, ..Default::default() }
}

/// The server declares 100 MiB and then sends nothing: only the Content-Length check can end this
/// before the timeout.
#[tokio::test]
async fn refuses_declared_content_length_over_limit() {
    let addr = serve_raw("HTTP/1.1 200 OK\r\nContent-Length: 104857600\r\n\r\n").await;
    let fetcher = PhotoFetcher::allowing_loopback_for_tests(small_limits(1024)).unwrap();
    let result = fetcher.fetch(&format!("http://{addr}/")).await;
    assert!(matches!(result, Err(FetchError::TooLarge { limit_bytes: 1024 })), "{result:?}");
}

/// Chunked body with no Content-Length: only counting streamed bytes catches it.
#[tokio::test]
async fn refuses_streamed_body_over_limit() {
    let router = Router::new().route(
        "/chunked",
        get(|| async {
            let chunks = (0..16).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![0u8; 64 * 1024])));
            Body::from_stream(futures::stream::iter(chunks)).into_response()
        }),
    );
    let addr = serve(router).await;
    let fetcher = PhotoFetcher::allowing_loopback_for_tests(small_limits(100 * 1024)).unwrap();
    let result = fetcher.fetch(&format!("http://{addr}/chunked")).await;
    assert!(matches!(result, Err(FetchError::TooLarge { limit_bytes: 102_400 })), "{result:?}");
}

#[tokio::test]
async fn accepts_a_body_of_exactly_the_limit() {
    let router = Router::new().route("/exact", get(|| async { vec![7u8; 4096] }));
    let addr = serve(router).await;
    let fetcher = PhotoFetcher::allowing_loopback_for_tests(small_limits(4096)).unwrap();
    assert_eq!(fetcher.fetch(&format!("http://{addr}/exact")).await.unwrap().len(), 4096);
}

/// Headers arrive, then the body stalls: the total timeout must cut it (kind asserted, not duration).
#[tokio::test]
async fn stalled_body_hits_the_total_timeout() {
    let addr = serve_raw("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial").await;
    let limits = FetchLimits { timeout: Duration::from_millis(300), ..Default::default() };
    let fetcher = PhotoFetcher::allowing_loopback_for_tests(limits).unwrap();
    let result = fetcher.fetch(&format!("http://{addr}/")).await;
    assert!(matches!(result, Err(FetchError::Timeout)), "{result:?}");
}

#[tokio::test]
async fn transport_failures_are_reported() {
    // Bind then drop to get a port that (almost certainly) has no listener.
    let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let result = loopback_fetcher().fetch(&format!("http://127.0.0.1:{port}/")).await;
    assert!(matches!(result, Err(FetchError::Transport(_))), "{result:?}");
}

#[test]
fn error_codes_are_stable() {
    let cases = [
        (FetchError::InvalidUrl(String::new()), "invalid_url"),
        (FetchError::SchemeNotAllowed(String::new()), "scheme_not_allowed"),
        (FetchError::ForbiddenAddress { host: String::new(), address: METADATA }, "forbidden_address"),
        (FetchError::TooManyRedirects, "too_many_redirects"),
        (FetchError::TooLarge { limit_bytes: 1 }, "too_large"),
        (FetchError::Timeout, "timeout"),
        (FetchError::Status(404), "http_status"),
        (FetchError::Transport(String::new()), "transport"),
        (FetchError::Client(String::new()), "client"),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code);
    }
}
