//! The document a listing becomes in the index, and the change that puts it there.

use nds_common::vehicle::{BodyType, Condition, Fuel, Transmission, fold};
use uuid::Uuid;

use super::ListingCard;

/// What search knows about one published listing.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingDoc {
    pub id: Uuid,
    /// Catalog's listing version: a document never goes back to an older one.
    pub version: i64,
    pub agency_id: Uuid,
    /// Canonical lower-case name ("mercedes-benz").
    pub make: String,
    pub model: String,
    pub year: i32,
    pub trim: String,
    pub description: String,
    /// The free-form attributes flattened to words ("quemacocos piel 7 asientos").
    pub attributes_text: String,
    pub price_minor: i64,
    pub currency: String,
    pub mileage_km: i64,
    pub body_type: Option<BodyType>,
    pub fuel: Option<Fuel>,
    pub transmission: Option<Transmission>,
    pub condition: Option<Condition>,
    pub color: String,
    pub city: String,
    pub promoted_until_unix: Option<i64>,
    pub promotion_rank: i32,
    pub published_at_unix: i64,
    /// Returned with hits; see [`ListingCard`].
    pub card: ListingCard,
}

impl ListingDoc {
    /// The text the keyword search runs over: make, model, trim, description, attributes.
    pub fn full_text(&self) -> String {
        [&self.make, &self.model, &self.trim, &self.description, &self.attributes_text]
            .into_iter()
            .filter(|part| !part.is_empty())
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Exact-match values are stored folded (lower-case, no accents), the way
    /// queries fold them, so "Querétaro" and "queretaro" are one city.
    pub fn normalised(mut self) -> Self {
        self.make = fold(self.make.trim());
        self.model = fold(self.model.trim());
        self.color = fold(self.color.trim());
        self.city = fold(self.city.trim());
        self
    }
}

/// One change to apply to the index, idempotent by (listing, version).
// Almost every change is an upsert, so boxing the document would add an
// allocation per change to save space only on the rare removals.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum IndexChange {
    /// The listing is public at this version: index it unless a newer version is there.
    Upsert(ListingDoc),
    /// The listing stopped being public at this version (sold, archived, unpublished):
    /// remove it, and remember the version so an older replay cannot bring it back.
    Remove { id: Uuid, version: i64 },
}

impl IndexChange {
    pub fn listing_id(&self) -> Uuid {
        match self {
            IndexChange::Upsert(doc) => doc.id,
            IndexChange::Remove { id, .. } => *id,
        }
    }

    pub fn version(&self) -> i64 {
        match self {
            IndexChange::Upsert(doc) => doc.version,
            IndexChange::Remove { version, .. } => *version,
        }
    }
}

/// Turns the free-form attributes JSON into searchable words: keys and values
/// of an object (`{"quemacocos": true, "asientos": "piel"}` → "quemacocos asientos piel").
pub fn attributes_to_text(attributes_json: &str) -> String {
    fn collect(value: &serde_json::Value, words: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, inner) in map {
                    words.push(key.replace('_', " "));
                    collect(inner, words);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|item| collect(item, words)),
            serde_json::Value::String(text) => words.push(text.clone()),
            serde_json::Value::Number(number) => words.push(number.to_string()),
            // `true` says "has the key"; the key is already in.
            serde_json::Value::Bool(_) | serde_json::Value::Null => {}
        }
    }
    let Ok(value) = serde_json::from_str::<serde_json::Value>(attributes_json) else {
        return String::new();
    };
    let mut words = Vec::new();
    collect(&value, &mut words);
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_become_their_keys_and_values() {
        let text = attributes_to_text(r#"{"quemacocos": true, "asientos": "piel", "extras": ["gps", 7]}"#);
        assert_eq!(text, "asientos piel extras gps 7 quemacocos");
        assert_eq!(attributes_to_text("not json"), "");
    }
}
