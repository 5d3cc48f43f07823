//! `sitemap.xml` for search engines: an index of listing sitemaps, one per page
//! of catalog's keyset-paged `listingSitemap` (up to 50,000 URLs each, the
//! protocol's limit), so a million listings are 20 files and no page is read
//! with an offset. The index walks the pages' cursors once an hour.

use std::fmt::Write as _;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::header;

use crate::edge::operations;
use crate::error::PageError;
use crate::state::SharedState;
use crate::visitor::Visitor;

/// How long the index (and what proxies keep of each file) stays.
const SITEMAP_TTL: Duration = Duration::from_secs(3600);
const INDEX_CACHE_KEY: &str = "web:sitemap-index";
/// Far beyond any catalogue NDS expects (50 million listings): a guard against a
/// cursor that never ends, not a limit anyone should meet.
const MAX_SITEMAP_FILES: usize = 1_000;

fn xml_response(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/xml; charset=utf-8".to_string()),
            (header::CACHE_CONTROL, format!("public, max-age={}", SITEMAP_TTL.as_secs())),
        ],
        body,
    )
        .into_response()
}

/// Escapes the five XML specials (ids and cursors are URL-safe, but the public
/// URL is configuration).
fn xml_escape(value: &str) -> String {
    value.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

fn listings_file_url(public_url: &str, after: Option<&str>) -> String {
    match after {
        None => format!("{public_url}/sitemaps/listings.xml"),
        Some(cursor) => format!("{public_url}/sitemaps/listings.xml?after={}", crate::error::url_escape(cursor)),
    }
}

/// The cursor each listing file starts after (`None` for the first).
async fn file_cursors(state: &SharedState, visitor: &Visitor) -> Result<Vec<Option<String>>, PageError> {
    let mut cursors = vec![None];
    let mut after = None;
    while cursors.len() < MAX_SITEMAP_FILES {
        let variables = operations::sitemap_cursors::Variables { after: after.clone() };
        let page =
            state.edge.run::<operations::SitemapCursors>(visitor.anonymous_caller(), variables).await?.listing_sitemap;
        match page.page_info.end_cursor.filter(|_| page.page_info.has_next_page) {
            Some(cursor) => {
                cursors.push(Some(cursor.clone()));
                after = Some(cursor);
            }
            None => break,
        }
    }
    Ok(cursors)
}

pub async fn index(State(state): State<SharedState>, visitor: Visitor) -> Result<Response, PageError> {
    if let Some(cached) = state.cache.get(INDEX_CACHE_KEY).await
        && let Ok(body) = String::from_utf8(cached)
    {
        return Ok(xml_response(body));
    }
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for cursor in file_cursors(&state, &visitor).await? {
        let location = xml_escape(&listings_file_url(&state.settings.public_url, cursor.as_deref()));
        let _ = writeln!(body, "  <sitemap><loc>{location}</loc></sitemap>");
    }
    body.push_str("</sitemapindex>\n");
    state.cache.set(INDEX_CACHE_KEY, body.as_bytes(), SITEMAP_TTL).await;
    Ok(xml_response(body))
}

#[derive(serde::Deserialize)]
pub struct FileQuery {
    after: Option<String>,
}

/// One file of listing URLs; the first also names the home page.
pub async fn listings(
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<FileQuery>,
) -> Result<Response, PageError> {
    let variables = operations::sitemap_page::Variables { after: query.after.clone() };
    let page = state.edge.run::<operations::SitemapPage>(visitor.anonymous_caller(), variables).await?.listing_sitemap;
    let public_url = xml_escape(&state.settings.public_url);
    let mut body = String::with_capacity(120 * page.entries.len() + 200);
    body.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    if query.after.is_none() {
        let _ = writeln!(body, "  <url><loc>{public_url}/</loc></url>");
    }
    for entry in &page.entries {
        // W3C datetime: the date is enough for crawlers and keeps files small.
        let day = entry.last_modified.get(..10).unwrap_or(&entry.last_modified);
        let _ = writeln!(
            body,
            "  <url><loc>{public_url}/autos/{}</loc><lastmod>{}</lastmod></url>",
            xml_escape(&entry.id),
            xml_escape(day)
        );
    }
    body.push_str("</urlset>\n");
    Ok(xml_response(body))
}
