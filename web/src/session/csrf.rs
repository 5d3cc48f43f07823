//! Cross-site request forgery: every form carries the token that the visitor's
//! `nds_csrf` cookie holds (HttpOnly, SameSite=Lax; a new one at each sign-in),
//! and a POST is refused unless both agree and the browser does not say the
//! request came from another site (`Sec-Fetch-Site`, else `Origin`).

use http::HeaderMap;
use subtle::ConstantTimeEq;

/// True when the form's token matches the cookie's and the request is same-site.
pub fn accepts(headers: &HeaderMap, cookie_token: Option<&str>, form_token: &str, own_host: Option<&str>) -> bool {
    let Some(cookie_token) = cookie_token else { return false };
    if form_token.is_empty() || !bool::from(cookie_token.as_bytes().ct_eq(form_token.as_bytes())) {
        return false;
    }
    same_site(headers, own_host)
}

fn same_site(headers: &HeaderMap, own_host: Option<&str>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|value| value.to_str().ok()) {
        return matches!(site, "same-origin" | "same-site" | "none");
    }
    // Older browsers: an Origin from another host is refused; no Origin is allowed
    // (the token already matched).
    match (headers.get(http::header::ORIGIN).and_then(|value| value.to_str().ok()), own_host) {
        (Some(origin), Some(host)) => {
            let own_name = host.split(':').next().unwrap_or(host);
            url::Url::parse(origin).ok().and_then(|url| url.host_str().map(|name| name == own_name)).unwrap_or(false)
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap_or_else(|_| unreachable!()));
        }
        map
    }

    #[test]
    fn token_must_match_the_cookie() {
        assert!(accepts(&headers(&[]), Some("abc"), "abc", Some("nds.mx")));
        assert!(!accepts(&headers(&[]), Some("abc"), "abd", Some("nds.mx")));
        assert!(!accepts(&headers(&[]), None, "abc", Some("nds.mx")));
        assert!(!accepts(&headers(&[]), Some(""), "", Some("nds.mx")));
    }

    #[test]
    fn cross_site_posts_are_refused_even_with_the_token() {
        assert!(!accepts(&headers(&[("sec-fetch-site", "cross-site")]), Some("abc"), "abc", Some("nds.mx")));
        assert!(accepts(&headers(&[("sec-fetch-site", "same-origin")]), Some("abc"), "abc", Some("nds.mx")));
        assert!(!accepts(&headers(&[("origin", "https://evil.example")]), Some("abc"), "abc", Some("nds.mx")));
        assert!(accepts(&headers(&[("origin", "https://nds.mx")]), Some("abc"), "abc", Some("nds.mx:443")));
    }
}
