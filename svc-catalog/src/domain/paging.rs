//! Opaque page cursors. Rows are ordered by their UUIDv7 id (creation order), so a
//! cursor is the last id of a page, versioned and base64url-encoded; clients must
//! not build them, and a cursor that does not decode is BAD_USER_INPUT.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use super::validation::FieldError;

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;
const CURSOR_PREFIX: &str = "c1:";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub first: u64,
    pub after: Option<Uuid>,
}

pub fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{id}"))
}

pub fn decode_cursor(cursor: &str) -> Result<Uuid, FieldError> {
    let invalid = || FieldError::new("after", "invalid cursor");
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let id = text.strip_prefix(CURSOR_PREFIX).ok_or_else(invalid)?;
    Uuid::parse_str(id).map_err(|_| invalid())
}

/// `first` 0 means the default; more than the maximum is capped, not refused.
pub fn page(first: u32, after: &str) -> Result<Page, FieldError> {
    let first = match u64::from(first) {
        0 => DEFAULT_PAGE_SIZE,
        requested => requested.min(MAX_PAGE_SIZE),
    };
    let after = if after.trim().is_empty() { None } else { Some(decode_cursor(after)?) };
    Ok(Page { first, after })
}

/// A page of results plus what the client needs to ask for the next one.
#[derive(Clone, Debug, PartialEq)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
    pub total_count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_rejected() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(&encode_cursor(id)).unwrap(), id);
        for garbage in ["", "abc", "!!!", &URL_SAFE_NO_PAD.encode("c2:x"), &URL_SAFE_NO_PAD.encode(id.to_string())] {
            assert_eq!(decode_cursor(garbage).unwrap_err().field, "after", "{garbage}");
        }
    }

    #[test]
    fn page_sizes_default_and_cap() {
        assert_eq!(page(0, "").unwrap().first, DEFAULT_PAGE_SIZE);
        assert_eq!(page(1000, "").unwrap().first, MAX_PAGE_SIZE);
        assert_eq!(page(5, "").unwrap(), Page { first: 5, after: None });
    }
}
