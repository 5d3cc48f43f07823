//! sitemap.xml of public listings, page by page: exactly what anyone can already
//! open (published, and the agency not suspended).

use super::CatalogService;
use crate::domain::paging::{Page, encode_cursor};
use crate::domain::sitemap::SitemapPage;
use crate::error::CatalogError;

impl CatalogService {
    /// Public listings after the page's cursor, in id order; the count of all of
    /// them only when asked (it reads the whole index, the page only its slice).
    pub async fn listing_sitemap(&self, page: Page, include_total: bool) -> Result<SitemapPage, CatalogError> {
        let mut entries = self.store.public_sitemap(page.after, page.first + 1).await?;
        let has_next_page = entries.len() as u64 > page.first;
        entries.truncate(page.first as usize);
        let end_cursor = entries.last().map(|entry| encode_cursor(entry.id));
        let total_count = if include_total { Some(self.store.count_public().await?) } else { None };
        Ok(SitemapPage { entries, has_next_page, end_cursor, total_count })
    }
}
