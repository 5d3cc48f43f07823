//! Facets: counts per make, body type, fuel, transmission and price band.
//!
//! Both backends are asked for the same aggregations in Elasticsearch's request
//! language (tantivy's aggregation module speaks it too) and both answers are
//! read by [`facets_from_aggregations`], so their facets cannot drift apart.

use serde_json::{Value, json};

/// The facet names on the wire (`Facet.field`).
pub const FACET_FIELDS: [&str; 5] = ["make", "body_type", "fuel", "transmission", "price_band"];
/// How many values a terms facet returns at most.
pub const TERMS_FACET_SIZE: usize = 50;

/// A price band in minor units: `[from, to)`, open where `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceBand {
    pub key: &'static str,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// MXN bands in centavos: under 100k, 100–200k, 200–350k, 350–500k, 500–800k, 800k and up.
pub const PRICE_BANDS: [PriceBand; 6] = [
    PriceBand { key: "0-100000", from: None, to: Some(10_000_000) },
    PriceBand { key: "100000-200000", from: Some(10_000_000), to: Some(20_000_000) },
    PriceBand { key: "200000-350000", from: Some(20_000_000), to: Some(35_000_000) },
    PriceBand { key: "350000-500000", from: Some(35_000_000), to: Some(50_000_000) },
    PriceBand { key: "500000-800000", from: Some(50_000_000), to: Some(80_000_000) },
    PriceBand { key: "800000-", from: Some(80_000_000), to: None },
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facet {
    pub field: String,
    pub values: Vec<FacetValue>,
}

/// The aggregations request, in Elasticsearch's language.
pub fn aggregations_request() -> Value {
    let terms = |field: &str| json!({ "terms": { "field": field, "size": TERMS_FACET_SIZE } });
    let ranges: Vec<Value> = PRICE_BANDS
        .iter()
        .map(|band| {
            let mut range = json!({ "key": band.key });
            if let Some(from) = band.from {
                range["from"] = json!(from);
            }
            if let Some(to) = band.to {
                range["to"] = json!(to);
            }
            range
        })
        .collect();
    json!({
        "make": terms("make"),
        "body_type": terms("body_type"),
        "fuel": terms("fuel"),
        "transmission": terms("transmission"),
        "price_band": { "range": { "field": "price", "ranges": ranges } },
    })
}

/// Reads the `aggregations` object of a response into facets: terms ordered by
/// count then value, price bands in band order (empty bands included, so a
/// client can draw the full scale).
pub fn facets_from_aggregations(aggregations: &Value) -> Vec<Facet> {
    FACET_FIELDS
        .iter()
        .map(|field| {
            let buckets = bucket_list(&aggregations[*field]["buckets"]);
            let mut values: Vec<FacetValue> = buckets
                .iter()
                .filter_map(|bucket| {
                    let value = match &bucket["key"] {
                        Value::String(text) => text.clone(),
                        Value::Number(number) => number.to_string(),
                        _ => return None,
                    };
                    Some(FacetValue { value, count: bucket["doc_count"].as_u64().unwrap_or(0) })
                })
                .collect();
            if *field == "price_band" {
                values.sort_by_key(|value| {
                    PRICE_BANDS.iter().position(|band| band.key == value.value).unwrap_or(usize::MAX)
                });
            } else {
                values.retain(|value| value.count > 0);
                values.sort_by(|left, right| right.count.cmp(&left.count).then_with(|| left.value.cmp(&right.value)));
            }
            Facet { field: (*field).to_string(), values }
        })
        .collect()
}

/// Buckets come as a list, or as an object keyed by bucket key (`keyed: true`).
fn bucket_list(buckets: &Value) -> Vec<Value> {
    match buckets {
        Value::Array(items) => items.clone(),
        Value::Object(map) => map
            .iter()
            .map(|(key, bucket)| {
                let mut bucket = bucket.clone();
                if bucket.get("key").is_none() {
                    bucket["key"] = json!(key);
                }
                bucket
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_bands_cover_every_price_without_overlap() {
        for pair in PRICE_BANDS.windows(2) {
            assert_eq!(pair[0].to, pair[1].from);
        }
        assert_eq!(PRICE_BANDS[0].from, None);
        assert_eq!(PRICE_BANDS[PRICE_BANDS.len() - 1].to, None);
    }

    #[test]
    fn terms_are_ordered_by_count_then_value_and_bands_by_scale() {
        let aggregations = json!({
            "make": { "buckets": [
                { "key": "nissan", "doc_count": 1 },
                { "key": "toyota", "doc_count": 3 },
                { "key": "honda", "doc_count": 1 },
            ]},
            "price_band": { "buckets": [
                { "key": "800000-", "doc_count": 0 },
                { "key": "0-100000", "doc_count": 2 },
            ]},
        });
        let facets = facets_from_aggregations(&aggregations);
        let make = &facets[0];
        assert_eq!(make.field, "make");
        let names: Vec<&str> = make.values.iter().map(|value| value.value.as_str()).collect();
        assert_eq!(names, ["toyota", "honda", "nissan"]);
        let bands = &facets[4];
        assert_eq!(bands.values[0].value, "0-100000");
        assert_eq!(bands.values[1], FacetValue { value: "800000-".into(), count: 0 });
        // Missing aggregations give empty facets, not errors.
        assert!(facets[1].values.is_empty());
    }
}
