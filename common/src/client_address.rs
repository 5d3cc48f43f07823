//! The client's address as the edge and the web front ends see it. Behind an ingress the TCP peer is the
//! ingress controller, so every client would share one address: one client's failed
//! log-ins would lock out everyone's, and the per-client rate limit would become the
//! platform's. A peer inside `NDS_TRUSTED_PROXIES` is a proxy: the client is then the
//! right-most `X-Forwarded-For` hop that is not a trusted proxy itself (each proxy
//! appends the address it saw, so everything left of that hop was written by the
//! client and proves nothing). Any other peer is the client, whatever it sends.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::http::HeaderMap;
use ipnet::IpNet;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The networks whose requests name their client in `X-Forwarded-For`.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    pub fn new(networks: &[IpNet]) -> Self {
        Self(networks.into())
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(&address))
    }

    /// The client behind a request from `peer`.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        // Several header lines read as one list joined by commas, in order: walk it
        // from the right, through trusted hops, to the first one that is not.
        for line in headers.get_all(X_FORWARDED_FOR).iter().rev() {
            let Ok(line) = line.to_str() else {
                return client;
            };
            for hop in line.rsplit(',') {
                // A hop that is not an address: whoever is beyond it is unknown, so the
                // last proxy that wrote it stands for the client.
                let Some(address) = hop_address(hop) else {
                    return client;
                };
                client = address;
                if !self.trusts(address) {
                    return client;
                }
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (some proxies add it).
fn hop_address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let address = hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|socket| socket.ip()))?;
    Some(address.to_canonical())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn proxies(networks: &[&str]) -> TrustedProxies {
        let networks: Vec<IpNet> = networks.iter().map(|network| network.parse().unwrap()).collect();
        TrustedProxies::new(&networks)
    }

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(X_FORWARDED_FOR, HeaderValue::from_str(line).unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let trusted = proxies(&["10.0.0.0/8"]);
        assert_eq!(trusted.client_address(ip("198.51.100.7"), &headers(&["203.0.113.1"])), ip("198.51.100.7"));
        let nobody = TrustedProxies::default();
        assert_eq!(nobody.client_address(ip("10.1.1.1"), &headers(&["203.0.113.1"])), ip("10.1.1.1"));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "fd00::/8"]);
        let peer = ip("10.0.0.5");
        assert_eq!(trusted.client_address(peer, &headers(&["203.0.113.1"])), ip("203.0.113.1"));
        assert_eq!(trusted.client_address(peer, &headers(&["6.6.6.6, 203.0.113.1"])), ip("203.0.113.1"));
        assert_eq!(trusted.client_address(peer, &headers(&["203.0.113.1, 10.2.3.4"])), ip("203.0.113.1"));
        assert_eq!(trusted.client_address(peer, &headers(&["6.6.6.6", "203.0.113.1,10.9.9.9"])), ip("203.0.113.1"));
        assert_eq!(trusted.client_address(peer, &headers(&["203.0.113.1", "10.9.9.9"])), ip("203.0.113.1"));
        assert_eq!(trusted.client_address(peer, &headers(&["2001:db8::1, fd00::2"])), ip("2001:db8::1"));
        assert_eq!(trusted.client_address(peer, &headers(&["203.0.113.1:4711"])), ip("203.0.113.1"));
        assert_eq!(trusted.client_address(peer, &headers(&["[2001:db8::1]:443"])), ip("2001:db8::1"));
    }

    #[test]
    fn without_a_usable_hop_the_last_trusted_proxy_stands_for_the_client() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let peer = ip("10.0.0.5");
        assert_eq!(trusted.client_address(peer, &HeaderMap::new()), peer);
        assert_eq!(trusted.client_address(peer, &headers(&["203.0.113.1, unknown, 10.2.3.4"])), ip("10.2.3.4"));
        assert_eq!(trusted.client_address(peer, &headers(&["10.7.7.7, 10.2.3.4"])), ip("10.7.7.7"));
        assert_eq!(trusted.client_address(peer, &headers(&[""])), peer);
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_networks() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let mapped = ip("::ffff:10.0.0.5");
        assert_eq!(trusted.client_address(mapped, &headers(&["203.0.113.1"])), ip("203.0.113.1"));
        assert_eq!(TrustedProxies::default().client_address(mapped, &HeaderMap::new()), ip("10.0.0.5"));
    }
}
