//! Saved searches: the structured filters a buyer searched with, plus their text.

use nds_common::vehicle::SearchFilters;
use uuid::Uuid;

use super::validation::FieldError;

pub const MAX_SAVED_SEARCHES_PER_USER: u64 = 50;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_TEXT_CHARS: usize = 500;
const MAX_LIST_VALUES: usize = 50;

#[derive(Clone, Debug, PartialEq)]
pub struct SavedSearch {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub text: String,
    pub filters: SearchFilters,
    pub created_at_unix: i64,
}

/// Checks a saved search before it is stored: a name, bounded sizes, sane ranges.
pub fn validate_saved_search(name: &str, text: &str, filters: &SearchFilters) -> Result<(String, String), FieldError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(FieldError::new("name", "name is required"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(FieldError::new("name", format!("at most {MAX_NAME_CHARS} characters")));
    }
    let text = text.trim();
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(FieldError::new("text", format!("at most {MAX_TEXT_CHARS} characters")));
    }
    if text.is_empty() && filters.is_empty() {
        return Err(FieldError::new("filters", "a saved search needs a text or at least one filter"));
    }
    let lists = [filters.makes.len(), filters.models.len(), filters.colors.len(), filters.keywords.len()];
    if lists.into_iter().any(|length| length > MAX_LIST_VALUES) {
        return Err(FieldError::new("filters", format!("at most {MAX_LIST_VALUES} values per filter")));
    }
    if let (Some(low), Some(high)) = (filters.year_min, filters.year_max)
        && low > high
    {
        return Err(FieldError::new("filters", "yearMin is after yearMax"));
    }
    if let (Some(low), Some(high)) = (filters.price_min, filters.price_max)
        && low > high
    {
        return Err(FieldError::new("filters", "priceMin is above priceMax"));
    }
    if filters.price_min.is_some_and(|price| price < 0) || filters.mileage_max.is_some_and(|mileage| mileage < 0) {
        return Err(FieldError::new("filters", "prices and mileage cannot be negative"));
    }
    Ok((name.to_string(), text.to_string()))
}
