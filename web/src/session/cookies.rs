//! The three cookies the web sets, all HttpOnly and SameSite=Lax: the session id,
//! the CSRF token and the chosen language. `Secure` when the public address is https.

use std::time::Duration;

use cookie::{Cookie, SameSite};
use http::HeaderMap;
use http::header::COOKIE;

pub const SESSION: &str = "nds_session";
pub const CSRF: &str = "nds_csrf";
pub const LANG: &str = "nds_lang";

/// The value of one cookie of the request.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value.
pub fn set(name: &'static str, value: &str, max_age: Duration, secure: bool) -> String {
    Cookie::build((name, value.to_string()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age.as_secs() as i64))
        .build()
        .to_string()
}

/// A `Set-Cookie` value that removes the cookie.
pub fn clear(name: &'static str, secure: bool) -> String {
    set(name, "", Duration::ZERO, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_among_several_headers() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, "a=1; nds_lang=en".parse().unwrap_or_else(|_| unreachable!()));
        headers.append(COOKIE, "nds_session=abc".parse().unwrap_or_else(|_| unreachable!()));
        assert_eq!(read(&headers, LANG), Some("en"));
        assert_eq!(read(&headers, SESSION), Some("abc"));
        assert_eq!(read(&headers, CSRF), None);
    }

    #[test]
    fn cookies_are_http_only_and_same_site_lax() {
        let value = set(SESSION, "abc", Duration::from_secs(60), true);
        assert!(value.contains("HttpOnly"), "{value}");
        assert!(value.contains("SameSite=Lax"), "{value}");
        assert!(value.contains("Secure"), "{value}");
        assert!(value.contains("Max-Age=60"), "{value}");
        assert!(!set(CSRF, "x", Duration::from_secs(1), false).contains("Secure"));
        assert!(clear(SESSION, false).contains("Max-Age=0"));
    }
}
