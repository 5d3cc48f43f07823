//! Pages of conversations and messages: how many a page holds, and the opaque
//! cursors that continue them. Conversations page by last activity then id
//! (`<unix>:<uuid>`); messages page backwards by their per-conversation sequence.

use crate::error::ChatError;

/// Page size when the caller does not say, and the most one page holds.
pub const DEFAULT_PAGE: u64 = 20;
pub const MAX_PAGE: u64 = 100;

/// `first` as the caller sent it (0 = not said).
pub fn page_size(first: u32) -> Result<u64, ChatError> {
    match u64::from(first) {
        0 => Ok(DEFAULT_PAGE),
        first @ 1..=MAX_PAGE => Ok(first),
        _ => Err(ChatError::InvalidInput { field: "first", message: format!("at most {MAX_PAGE}") }),
    }
}

fn bad_cursor() -> ChatError {
    ChatError::InvalidInput { field: "after", message: "not a cursor".to_string() }
}

/// The cursor after a conversation: its last activity and its id.
pub fn conversation_cursor(last_message_at_unix: i64, id: &str) -> String {
    format!("{last_message_at_unix}:{id}")
}

/// `after` of a conversations page (empty: from the start).
pub fn parse_conversation_cursor(after: &str) -> Result<Option<(i64, String)>, ChatError> {
    if after.is_empty() {
        return Ok(None);
    }
    let (at, id) = after.split_once(':').ok_or_else(bad_cursor)?;
    let at = at.parse::<i64>().map_err(|_| bad_cursor())?;
    let id = uuid::Uuid::parse_str(id).map_err(|_| bad_cursor())?;
    Ok(Some((at, id.to_string())))
}

/// The cursor after a message: its sequence.
pub fn message_cursor(sequence: i64) -> String {
    sequence.to_string()
}

/// `after` of a messages page (empty: from the newest).
pub fn parse_message_cursor(after: &str) -> Result<Option<i64>, ChatError> {
    if after.is_empty() {
        return Ok(None);
    }
    after.parse::<i64>().map(Some).map_err(|_| bad_cursor())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_default_and_cap() {
        assert_eq!(page_size(0).unwrap(), DEFAULT_PAGE);
        assert_eq!(page_size(100).unwrap(), 100);
        assert!(page_size(101).is_err());
    }

    #[test]
    fn cursors_read_back_what_they_write_and_refuse_anything_else() {
        let id = uuid::Uuid::new_v4().to_string();
        let written = conversation_cursor(1_765_000_000, &id);
        assert_eq!(parse_conversation_cursor(&written).unwrap(), Some((1_765_000_000, id)));
        assert_eq!(parse_conversation_cursor("").unwrap(), None);
        for bad in ["nope", "12:not-a-uuid", "x:00000000-0000-0000-0000-000000000000"] {
            assert!(parse_conversation_cursor(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_message_cursor(&message_cursor(42)).unwrap(), Some(42));
        assert!(parse_message_cursor("4x").is_err());
    }
}
