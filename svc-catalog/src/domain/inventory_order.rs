//! The orders of an agency's inventory table and their keyset cursors. Newest
//! first is the default and keeps the id cursors every list uses; a sorted order
//! (price, year, mileage) pages on the sorted column with the id breaking ties,
//! so its cursor carries both and names its order: a cursor of another order is
//! refused, not misread.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use nds_common::vehicle::SearchSort;
use uuid::Uuid;

use super::paging::{self, Page};
use super::validation::FieldError;

const CURSOR_PREFIX: &str = "s1:";

/// Search's sorts, less relevance: an inventory is filtered, never ranked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InventoryOrder {
    #[default]
    Newest,
    PriceAsc,
    PriceDesc,
    YearDesc,
    MileageAsc,
}

/// The column a sorted order reads (prices in minor units, whatever the currency:
/// an agency lists in one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortColumn {
    Price,
    Year,
    Mileage,
}

impl InventoryOrder {
    /// No sort asked for is newest first.
    pub fn from_sort(sort: Option<SearchSort>) -> Result<Self, FieldError> {
        Ok(match sort {
            None | Some(SearchSort::Newest) => Self::Newest,
            Some(SearchSort::PriceAsc) => Self::PriceAsc,
            Some(SearchSort::PriceDesc) => Self::PriceDesc,
            Some(SearchSort::YearDesc) => Self::YearDesc,
            Some(SearchSort::MileageAsc) => Self::MileageAsc,
            Some(SearchSort::Relevance) => {
                return Err(FieldError::new("sort", "an inventory sorts by newest, price, year or mileage"));
            }
        })
    }

    /// The sorted column and its direction; `None` for newest first.
    pub fn sorted(self) -> Option<SortedOrder> {
        let (column, ascending) = match self {
            Self::Newest => return None,
            Self::PriceAsc => (SortColumn::Price, true),
            Self::PriceDesc => (SortColumn::Price, false),
            Self::YearDesc => (SortColumn::Year, false),
            Self::MileageAsc => (SortColumn::Mileage, true),
        };
        Some(SortedOrder { column, ascending })
    }
}

/// An order on a column; the id breaks ties in the same direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortedOrder {
    pub column: SortColumn,
    pub ascending: bool,
}

impl SortedOrder {
    /// How a cursor names its order.
    fn tag(self) -> String {
        let column = match self.column {
            SortColumn::Price => "price",
            SortColumn::Year => "year",
            SortColumn::Mileage => "mileage",
        };
        format!("{column}{}", if self.ascending { '+' } else { '-' })
    }
}

/// Where a sorted page ended: the last row's sort key, and its id for ties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortedAfter {
    pub key: i64,
    pub id: Uuid,
}

/// The page an inventory call asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InventoryPage {
    Newest(Page),
    Sorted { order: SortedOrder, first: u64, after: Option<SortedAfter> },
}

pub fn inventory_page(order: InventoryOrder, first: u32, after: &str) -> Result<InventoryPage, FieldError> {
    let Some(order) = order.sorted() else {
        return paging::page(first, after).map(InventoryPage::Newest);
    };
    let first = paging::page(first, "")?.first;
    let after = if after.trim().is_empty() { None } else { Some(decode_sorted_cursor(order, after)?) };
    Ok(InventoryPage::Sorted { order, first, after })
}

pub fn encode_sorted_cursor(order: SortedOrder, after: SortedAfter) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{}:{}:{}", order.tag(), after.key, after.id))
}

fn decode_sorted_cursor(order: SortedOrder, cursor: &str) -> Result<SortedAfter, FieldError> {
    let invalid = || FieldError::new("after", "invalid cursor for this sort");
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let rest = text.strip_prefix(CURSOR_PREFIX).ok_or_else(invalid)?;
    let mut parts = rest.splitn(3, ':');
    let (Some(tag), Some(key), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    if tag != order.tag().as_str() {
        return Err(invalid());
    }
    let key = key.parse().map_err(|_| invalid())?;
    let id = Uuid::parse_str(id).map_err(|_| invalid())?;
    Ok(SortedAfter { key, id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relevance_is_not_an_inventory_order_and_no_sort_is_newest() {
        assert_eq!(InventoryOrder::from_sort(None).unwrap(), InventoryOrder::Newest);
        assert_eq!(InventoryOrder::from_sort(Some(SearchSort::PriceDesc)).unwrap(), InventoryOrder::PriceDesc);
        assert_eq!(InventoryOrder::from_sort(Some(SearchSort::Relevance)).unwrap_err().field, "sort");
    }

    #[test]
    fn sorted_cursors_round_trip_and_belong_to_their_order() {
        let after = SortedAfter { key: 35_900_000, id: Uuid::now_v7() };
        let price_asc = InventoryOrder::PriceAsc.sorted().unwrap();
        let cursor = encode_sorted_cursor(price_asc, after);
        let page = inventory_page(InventoryOrder::PriceAsc, 50, &cursor).unwrap();
        assert_eq!(page, InventoryPage::Sorted { order: price_asc, first: 50, after: Some(after) });
        // The same cursor under another order, or a newest-first cursor, is refused.
        assert_eq!(inventory_page(InventoryOrder::PriceDesc, 50, &cursor).unwrap_err().field, "after");
        assert_eq!(inventory_page(InventoryOrder::Newest, 50, &cursor).unwrap_err().field, "after");
        let newest = paging::encode_cursor(after.id);
        assert_eq!(inventory_page(InventoryOrder::YearDesc, 50, &newest).unwrap_err().field, "after");
        assert_eq!(
            inventory_page(InventoryOrder::Newest, 50, &newest).unwrap(),
            InventoryPage::Newest(Page { first: 50, after: Some(after.id) })
        );
        for garbage in ["x", &URL_SAFE_NO_PAD.encode("s1:price+:cheap:id"), &URL_SAFE_NO_PAD.encode("s1:price+")] {
            assert!(inventory_page(InventoryOrder::PriceAsc, 50, garbage).is_err(), "{garbage}");
        }
    }
}
