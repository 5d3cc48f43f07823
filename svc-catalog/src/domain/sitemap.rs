//! sitemap.xml pages: every published listing's id and last change, in id order.
//! Keyset pages (the cursor is the last id, as everywhere in catalog), so the millionth
//! listing costs what the first does.

use uuid::Uuid;

use super::paging::{Page, decode_cursor};
use super::validation::FieldError;

/// One page is one sitemap file: at most the protocol's 50,000 URLs.
pub const MAX_SITEMAP_PAGE: u64 = nds_proto::catalog::v1::SITEMAP_PAGE_MAX_ENTRIES as u64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SitemapEntry {
    pub id: Uuid,
    pub updated_at_unix: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SitemapPage {
    pub entries: Vec<SitemapEntry>,
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
    /// Every published listing, when asked for.
    pub total_count: Option<u64>,
}

/// `first` 0 means a whole sitemap file; more than that is capped, not refused.
pub fn sitemap_page(first: u32, after: &str) -> Result<Page, FieldError> {
    let first = match u64::from(first) {
        0 => MAX_SITEMAP_PAGE,
        requested => requested.min(MAX_SITEMAP_PAGE),
    };
    let after = if after.trim().is_empty() { None } else { Some(decode_cursor(after)?) };
    Ok(Page { first, after })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::paging::encode_cursor;

    #[test]
    fn a_page_is_at_most_one_sitemap_file_and_cursors_are_catalogs() {
        assert_eq!(sitemap_page(0, "").unwrap().first, 50_000);
        assert_eq!(sitemap_page(1_000_000, "").unwrap().first, 50_000);
        assert_eq!(sitemap_page(7, "").unwrap(), Page { first: 7, after: None });
        let id = Uuid::now_v7();
        assert_eq!(sitemap_page(7, &encode_cursor(id)).unwrap().after, Some(id));
        assert_eq!(sitemap_page(7, "garbage").unwrap_err().field, "after");
    }
}
