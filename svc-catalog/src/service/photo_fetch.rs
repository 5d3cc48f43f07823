//! Fetches integrator-supplied photo URLs once, with hard limits and SSRF protection.
//!
//! The URL is typed by a third party, so every hop is treated as hostile:
//! - only `http`/`https`, no userinfo;
//! - IP-literal hosts are checked here (reqwest never sends them through a resolver);
//! - host names go through [`CheckedResolver`], which checks every address *and* is what reqwest
//!   connects with, so there is no window for DNS rebinding between check and connect;
//! - redirects are followed by hand so each `Location` gets the same checks;
//! - size and total time are bounded, including the body stream.

use std::error::Error as StdError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ipnet::{Ipv4Net, Ipv6Net};
use reqwest::StatusCode;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

const USER_AGENT: &str = "NDS-photo-fetch/1";

/// Bounds for one [`PhotoFetcher::fetch`] call.
#[derive(Debug, Clone, Copy)]
pub struct FetchLimits {
    /// Largest accepted body, checked against Content-Length and against the bytes actually streamed.
    pub max_bytes: usize,
    /// Whole fetch: every redirect hop plus the body.
    pub timeout: Duration,
    /// Per TCP/TLS connection attempt.
    pub connect_timeout: Duration,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
}

impl Default for FetchLimits {
    fn default() -> Self {
        Self {
            max_bytes: 15 * 1024 * 1024,
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(5),
            max_redirects: 3,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("invalid url: {0}")]
    InvalidUrl(String),
    #[error("url scheme not allowed: {0}")]
    SchemeNotAllowed(String),
    #[error("host {host} is at a forbidden address {address}")]
    ForbiddenAddress { host: String, address: IpAddr },
    #[error("too many redirects")]
    TooManyRedirects,
    #[error("response larger than {limit_bytes} bytes")]
    TooLarge { limit_bytes: usize },
    #[error("timed out")]
    Timeout,
    #[error("http status {0}")]
    Status(u16),
    #[error("transport error: {0}")]
    Transport(String),
    /// The HTTP client could not be built (a setup problem, not the URL's fault).
    #[error("http client setup failed: {0}")]
    Client(String),
}

impl FetchError {
    /// Stable machine-readable code, safe to store and to show to integrators.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidUrl(_) => "invalid_url",
            Self::SchemeNotAllowed(_) => "scheme_not_allowed",
            Self::ForbiddenAddress { .. } => "forbidden_address",
            Self::TooManyRedirects => "too_many_redirects",
            Self::TooLarge { .. } => "too_large",
            Self::Timeout => "timeout",
            Self::Status(_) => "http_status",
            Self::Transport(_) => "transport",
            Self::Client(_) => "client",
        }
    }
}

/// Loopback targets a test build may reach. Plain fields (not an enum) so production builds, which
/// never set them, have no dead code.
#[derive(Debug, Clone, Copy)]
struct LoopbackAllowance {
    enabled: bool,
    /// `None` = any port.
    port: Option<u16>,
}

impl LoopbackAllowance {
    const NONE: Self = Self { enabled: false, port: None };

    fn permits(&self, ip: IpAddr, port: Option<u16>) -> bool {
        self.enabled && ip.is_loopback() && self.port.is_none_or(|allowed| port == Some(allowed))
    }
}

/// Holds one `reqwest::Client` (connection pool, TLS config) for all fetches. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PhotoFetcher {
    client: reqwest::Client,
    limits: FetchLimits,
    loopback: LoopbackAllowance,
}

impl PhotoFetcher {
    pub fn new(limits: FetchLimits) -> Result<Self, FetchError> {
        Self::build(limits, LoopbackAllowance::NONE)
    }

    /// Tests only: lets loopback through so a local test server can serve a photo; every other rule
    /// still applies. Only IP-literal URLs (`http://127.0.0.1:PORT/`) are let through: the resolver
    /// stays strict, so `http://localhost/` is refused exactly as in production.
    #[cfg(any(test, feature = "testing"))]
    pub fn allowing_loopback_for_tests(limits: FetchLimits) -> Result<Self, FetchError> {
        Self::build(limits, LoopbackAllowance { enabled: true, port: None })
    }

    /// Tests only: like [`Self::allowing_loopback_for_tests`] but for one port, so a test can show
    /// that a redirect to another loopback port (another local service) is still refused.
    #[cfg(any(test, feature = "testing"))]
    pub fn allowing_loopback_port_for_tests(limits: FetchLimits, port: u16) -> Result<Self, FetchError> {
        Self::build(limits, LoopbackAllowance { enabled: true, port: Some(port) })
    }

    fn build(limits: FetchLimits, loopback: LoopbackAllowance) -> Result<Self, FetchError> {
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            // We follow redirects ourselves so every hop is re-checked.
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            // A proxy would resolve and connect on our behalf, bypassing the resolver's checks
            // (and reqwest reads HTTP(S)_PROXY from the environment by default).
            .no_proxy()
            .connect_timeout(limits.connect_timeout)
            .dns_resolver(Arc::new(CheckedResolver))
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        // No cookie store and no default headers: nothing is carried from one hop to the next.
        Ok(Self { client, limits, loopback })
    }

    /// Fetches `url`, following up to `max_redirects` redirects, and returns the body.
    pub async fn fetch(&self, url: &str) -> Result<Bytes, FetchError> {
        // One deadline over all hops and the body: a slow-drip server can't stretch it per read.
        tokio::time::timeout(self.limits.timeout, self.fetch_unbounded(url)).await.unwrap_or(Err(FetchError::Timeout))
    }

    async fn fetch_unbounded(&self, raw: &str) -> Result<Bytes, FetchError> {
        let mut url = Url::parse(raw.trim()).map_err(|e| FetchError::InvalidUrl(e.to_string()))?;
        let mut redirects = 0;
        loop {
            self.check_url(&url)?;
            let response = self.client.get(url.clone()).send().await.map_err(classify)?;
            let status = response.status();
            if is_followed_redirect(status) {
                let Some(location) = response.headers().get(reqwest::header::LOCATION) else {
                    return Err(FetchError::Status(status.as_u16()));
                };
                if redirects >= self.limits.max_redirects {
                    return Err(FetchError::TooManyRedirects);
                }
                let location =
                    location.to_str().map_err(|_| FetchError::InvalidUrl("non-ASCII redirect location".into()))?;
                // Relative locations resolve against the current hop.
                url = url.join(location).map_err(|e| FetchError::InvalidUrl(e.to_string()))?;
                redirects += 1;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Status(status.as_u16()));
            }
            return self.read_body(response).await;
        }
    }

    /// Rules that can be decided from the URL alone; run for the first URL and every redirect.
    fn check_url(&self, url: &Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::SchemeNotAllowed(url.scheme().to_owned()));
        }
        // Userinfo would become an Authorization header; an integrator has no business sending one.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(FetchError::InvalidUrl("credentials in url are not allowed".into()));
        }
        let ip = match url.host() {
            None => return Err(FetchError::InvalidUrl("url has no host".into())),
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
            // `url` already turned decimal/hex/octal IPv4 spellings into Host::Ipv4; a domain that
            // still parses as an IP would skip our resolver in hyper, so check it here too.
            Some(Host::Domain(domain)) => match domain.parse::<IpAddr>() {
                Ok(ip) => ip,
                Err(_) => return Ok(()), // CheckedResolver checks what it resolves to.
            },
        };
        if is_forbidden(ip) && !self.loopback.permits(ip, url.port_or_known_default()) {
            return Err(FetchError::ForbiddenAddress {
                host: url.host_str().unwrap_or_default().to_owned(),
                address: ip,
            });
        }
        Ok(())
    }

    async fn read_body(&self, mut response: reqwest::Response) -> Result<Bytes, FetchError> {
        let limit = self.limits.max_bytes;
        let too_large = FetchError::TooLarge { limit_bytes: limit };
        let declared = response.content_length();
        // Refuse up front when the server says it's too big, before reading anything.
        if declared.is_some_and(|len| len > u64::try_from(limit).unwrap_or(u64::MAX)) {
            return Err(too_large);
        }
        // Pre-size from Content-Length, but never beyond the limit.
        let capacity = declared.and_then(|len| usize::try_from(len).ok()).unwrap_or(0).min(limit);
        let mut body = BytesMut::with_capacity(capacity);
        // Count what actually arrives: chunked bodies have no Content-Length.
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if chunk.len() > limit - body.len() {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }
}

fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Maps a reqwest error, recovering our resolver's refusal from the error chain.
fn classify(err: reqwest::Error) -> FetchError {
    // reqwest's own message is terse ("error sending request"); the cause chain says why.
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(current) = source {
        if let Some(refused) = current.downcast_ref::<ResolvedToForbidden>() {
            return FetchError::ForbiddenAddress { host: refused.host.clone(), address: refused.address };
        }
        message.push_str(": ");
        message.push_str(&current.to_string());
        source = current.source();
    }
    if err.is_timeout() { FetchError::Timeout } else { FetchError::Transport(message) }
}

/// Resolver error carrying the refused address back through reqwest's error chain.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to forbidden address {address}")]
struct ResolvedToForbidden {
    host: String,
    address: IpAddr,
}

/// Resolves with the system resolver and hands reqwest only checked addresses, so reqwest connects
/// to exactly what was checked. If ANY address is forbidden the whole name is refused: a public
/// name has no reason to also point inside the network, and mixing them is the classic rebinding /
/// fallback trick. Filtering would also be safe, but refusing gives a clear, deterministic error
/// instead of a fetch that works or not depending on which address came first.
/// Test builds use this same resolver unchanged (the loopback allowance is for IP literals only).
struct CheckedResolver;

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(bad) = addrs.iter().find(|addr| is_forbidden(addr.ip())) {
                return Err(Box::new(ResolvedToForbidden { host, address: bad.ip() }) as _);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), prefix)
}

const fn v6(segments: [u16; 8], prefix: u8) -> Ipv6Net {
    let [a, b, c, d, e, f, g, h] = segments;
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), prefix)
}

/// IPv4 special-purpose ranges (IANA registry) that a public photo host can't legitimately be on.
const FORBIDDEN_V4: [Ipv4Net; 15] = [
    v4(0, 0, 0, 0, 8),       // "this network", includes 0.0.0.0
    v4(10, 0, 0, 0, 8),      // private
    v4(100, 64, 0, 0, 10),   // CGNAT
    v4(127, 0, 0, 0, 8),     // loopback
    v4(169, 254, 0, 0, 16),  // link-local, cloud metadata 169.254.169.254
    v4(172, 16, 0, 0, 12),   // private
    v4(192, 0, 0, 0, 24),    // IETF protocol assignments
    v4(192, 0, 2, 0, 24),    // TEST-NET-1
    v4(192, 88, 99, 0, 24),  // 6to4 relay anycast
    v4(192, 168, 0, 0, 16),  // private
    v4(198, 18, 0, 0, 15),   // benchmarking
    v4(198, 51, 100, 0, 24), // TEST-NET-2
    v4(203, 0, 113, 0, 24),  // TEST-NET-3
    v4(224, 0, 0, 0, 4),     // multicast
    v4(240, 0, 0, 0, 4),     // reserved, includes broadcast 255.255.255.255
];

/// IPv6: only global unicast (2000::/3) is allowed at all, which already excludes ::, ::1,
/// IPv4-compatible ::/96, fc00::/7, fe80::/10, ff00::/8, 64:ff9b:1::/48, ...
const GLOBAL_UNICAST_V6: Ipv6Net = v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3);

/// Special-purpose ranges inside 2000::/3.
const FORBIDDEN_V6: [Ipv6Net; 3] = [
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), // IETF protocol assignments (Teredo, benchmarking, ORCHID)
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), // documentation (RFC 9637)
];

const NAT64_V6: Ipv6Net = v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96);
const SIX_TO_FOUR_V6: Ipv6Net = v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16);

fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_forbidden_v4(ip),
        IpAddr::V6(ip) => is_forbidden_v6(ip),
    }
}

fn is_forbidden_v4(ip: Ipv4Addr) -> bool {
    FORBIDDEN_V4.iter().any(|net| net.contains(&ip))
}

fn is_forbidden_v6(ip: Ipv6Addr) -> bool {
    // Forms that carry an IPv4 address are judged by that address: ::ffff:127.0.0.1 is loopback.
    // NAT64 is judged rather than refused because IPv6-only clusters reach IPv4 sites through it.
    if let Some(embedded) = embedded_v4(ip) {
        return is_forbidden_v4(embedded);
    }
    !GLOBAL_UNICAST_V6.contains(&ip) || FORBIDDEN_V6.iter().any(|net| net.contains(&ip))
}

fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return Some(mapped);
    }
    let o = ip.octets();
    if NAT64_V6.contains(&ip) {
        return Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if SIX_TO_FOUR_V6.contains(&ip) {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(s: &str) -> bool {
        is_forbidden(s.parse().unwrap())
    }

    #[test]
    fn classifies_range_boundaries() {
        for ip in [
            "0.0.0.0",
            "10.255.255.255",
            "100.64.0.0",
            "100.127.255.255",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.0",
            "172.31.255.255",
            "192.168.0.1",
            "198.19.255.255",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::1",
            "2002:a9fe:a9fe::1",
            "2001::1",
            "2001:db8::1",
            "3fff::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(forbidden(ip), "{ip} should be forbidden");
        }
        for ip in [
            "1.1.1.1",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "169.253.255.255",
            "192.169.0.0",
            "223.255.255.255",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:808:808::1",
            "2606:4700::1111",
            "2a00:1450:4001::1",
        ] {
            assert!(!forbidden(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn loopback_allowance_is_port_exact() {
        let any = LoopbackAllowance { enabled: true, port: None };
        let one = LoopbackAllowance { enabled: true, port: Some(8080) };
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(any.permits(lo, Some(1)));
        assert!(one.permits(lo, Some(8080)));
        assert!(!one.permits(lo, Some(8081)));
        assert!(!one.permits("10.0.0.1".parse().unwrap(), Some(8080)));
        assert!(!LoopbackAllowance::NONE.permits(lo, Some(8080)));
    }
}
