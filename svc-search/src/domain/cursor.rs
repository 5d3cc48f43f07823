//! The opaque page cursor: an offset into the result list, base64url-encoded
//! with a version tag so the format can change without confusing old clients.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Deep pages cost the engine as much as all pages before them: stop there.
pub const MAX_OFFSET: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCursor {
    pub offset: usize,
}

impl PageCursor {
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("s1:{}", self.offset))
    }

    /// `None` for anything that is not a cursor this service made.
    pub fn decode(cursor: &str) -> Option<PageCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let offset: usize = text.strip_prefix("s1:")?.parse().ok()?;
        (offset <= MAX_OFFSET).then_some(PageCursor { offset })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_rejected() {
        let cursor = PageCursor { offset: 40 };
        assert_eq!(PageCursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(PageCursor::decode("not-a-cursor"), None);
        assert_eq!(PageCursor::decode(&URL_SAFE_NO_PAD.encode("s1:-3")), None);
        assert_eq!(PageCursor::decode(&URL_SAFE_NO_PAD.encode("s1:99999999")), None);
    }
}
