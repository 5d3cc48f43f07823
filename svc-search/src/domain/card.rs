//! The listing card a hit carries: the listing as the public sees it, in catalog's
//! wire encoding. It is stored with the document and returned with each hit, so a
//! results page needs no catalog call after the search. Search never reads inside
//! it; the indexer writes it (convert.rs) and the gRPC adapter hands it on.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Default, PartialEq, Eq)]
pub struct ListingCard(Vec<u8>);

impl ListingCard {
    pub fn from_bytes(bytes: Vec<u8>) -> ListingCard {
        ListingCard(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Documents indexed before cards existed, and tombstones, have none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Base64, as Elasticsearch's `binary` field and the JSON result cache keep it.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.0)
    }

    pub fn from_base64(text: &str) -> Option<ListingCard> {
        STANDARD.decode(text).ok().map(ListingCard)
    }
}

impl std::fmt::Debug for ListingCard {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "ListingCard({} bytes)", self.0.len())
    }
}

impl Serialize for ListingCard {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for ListingCard {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ListingCard::from_base64(&text).ok_or_else(|| serde::de::Error::custom("a listing card is not base64"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_survives_the_json_cache_and_refuses_garbage() {
        let card = ListingCard::from_bytes(vec![0, 1, 2, 250, 255]);
        let json = serde_json::to_string(&card).unwrap_or_default();
        assert_eq!(json, "\"AAEC+v8=\"");
        assert_eq!(serde_json::from_str::<ListingCard>(&json).ok(), Some(card));
        assert!(serde_json::from_str::<ListingCard>("\"not base64!\"").is_err());
    }
}
