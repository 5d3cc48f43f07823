//! Relay paging: validated page arguments, and the `PageInfo` of the contract.

use async_graphql::SimpleObject;
use nds_proto::common::v1 as wire;

use crate::error::bad_input;
use crate::limits::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

#[derive(SimpleObject, Clone, Default)]
pub struct PageInfo {
    pub has_next_page: bool,
    /// Pass as `after` to get the next page.
    pub end_cursor: Option<String>,
}

/// Longer `after` values are not cursors any service hands out.
pub const MAX_CURSOR_LENGTH: usize = 512;

/// `first`/`after` as the services take them; `first` must be 1..=100.
pub fn page_request(first: Option<i32>, after: Option<String>) -> async_graphql::Result<wire::PageRequest> {
    let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&first) {
        return Err(bad_input("first", format!("must be between 1 and {MAX_PAGE_SIZE}")));
    }
    let after = after.unwrap_or_default();
    if after.len() > MAX_CURSOR_LENGTH {
        return Err(bad_input("after", "not a cursor"));
    }
    Ok(wire::PageRequest { first: first as u32, after })
}

pub fn page_info(info: Option<&wire::PageInfo>) -> (PageInfo, i64) {
    match info {
        None => (PageInfo::default(), 0),
        Some(info) => (
            PageInfo {
                has_next_page: info.has_next_page,
                end_cursor: (!info.end_cursor.is_empty()).then(|| info.end_cursor.clone()),
            },
            i64::try_from(info.total_count).unwrap_or(i64::MAX),
        ),
    }
}

/// Complexity of a connection field: nested pages multiply.
pub fn connection_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let first = first.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE) as usize;
    first.saturating_mul(child_complexity).saturating_add(1)
}

pub fn timestamp(unix: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    (unix > 0).then(|| chrono::DateTime::from_timestamp(unix, 0)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_outside_the_range_are_input_errors() {
        assert_eq!(page_request(None, None).unwrap().first, DEFAULT_PAGE_SIZE as u32);
        assert!(page_request(Some(0), None).is_err());
        assert!(page_request(Some(MAX_PAGE_SIZE + 1), None).is_err());
        assert!(page_request(Some(-5), None).is_err());
        assert!(page_request(Some(10), Some("x".repeat(600))).is_err());
    }

    #[test]
    fn nested_connection_costs_multiply() {
        let inner = connection_cost(Some(50), 3);
        let outer = connection_cost(Some(50), inner);
        assert!(outer > 50 * 50 * 3);
    }
}
