//! Conversions between the wire types of `nds.common.v1` and the domain vocabulary
//! in [`crate::vehicle`], written once for every service and the edge.
//!
//! Unknown or UNSPECIFIED enum values coming from a caller are input errors, not
//! silently dropped filters: a client that sends a value we don't know must hear so.

use nds_proto::common::v1 as wire;

use crate::auth::MetricsScope;
use crate::error::ApiError;
use crate::metrics_series::{Interval, Series};
use crate::vehicle::{BodyType, Condition, Fuel, SearchFilters, SearchSort, Transmission};

/// An id a caller sent: a UUID, else BAD_USER_INPUT naming the field (the GraphQL
/// argument's name, as clients know it).
pub fn parse_id(raw: &str, field: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| ApiError::invalid(field, format!("{field} is not a valid id")))
}

/// The scope of a metrics call. A missing scope is an input error everywhere, never
/// "the whole platform" by default; a malformed id names the field `scope`.
pub fn metrics_scope_from_wire(scope: Option<wire::MetricsScope>) -> Result<MetricsScope, ApiError> {
    use wire::metrics_scope::Scope;
    match scope.and_then(|scope| scope.scope) {
        Some(Scope::Platform(_)) => Ok(MetricsScope::Platform),
        Some(Scope::GroupId(id)) => parse_id(&id, "scope").map(MetricsScope::Group),
        Some(Scope::AgencyId(id)) => parse_id(&id, "scope").map(MetricsScope::Agency),
        None => Err(ApiError::invalid("scope", "a metrics scope is required")),
    }
}

/// The interval of a metrics series: none when unspecified (no series).
pub fn metrics_interval_from_wire(interval: i32) -> Result<Option<Interval>, ApiError> {
    match wire::MetricsInterval::try_from(interval) {
        Ok(wire::MetricsInterval::Unspecified) => Ok(None),
        Ok(wire::MetricsInterval::Day) => Ok(Some(Interval::Day)),
        Ok(wire::MetricsInterval::Week) => Ok(Some(Interval::Week)),
        Ok(wire::MetricsInterval::Month) => Ok(Some(Interval::Month)),
        Err(_) => Err(ApiError::invalid("interval", "unknown metrics interval")),
    }
}

/// Chat's three numbers under the names `metrics` gives them, for its totals (at
/// the edge) and its buckets (in chat) alike.
pub fn conversation_metrics(started: u64, answered: u64, median_first_response_seconds: i64) -> [wire::Metric; 3] {
    let metric = |name: &str, value: f64| wire::Metric { name: name.into(), value, label: String::new() };
    [
        metric("conversations_started", started as f64),
        metric("conversations_answered", answered as f64),
        metric("median_first_response_seconds", median_first_response_seconds as f64),
    ]
}

/// Per-bucket metrics on the wire, in the buckets' order; none without a series.
pub fn metrics_series_to_wire(series: Option<Series<wire::Metric>>) -> Vec<wire::MetricsBucket> {
    let Some(series) = series else {
        return Vec::new();
    };
    series
        .buckets
        .ranges()
        .zip(series.values)
        .map(|((from_unix, to_unix), metrics)| wire::MetricsBucket { from_unix, to_unix, metrics })
        .collect()
}

pub fn body_type_to_wire(value: BodyType) -> wire::BodyType {
    match value {
        BodyType::Sedan => wire::BodyType::Sedan,
        BodyType::Suv => wire::BodyType::Suv,
        BodyType::Pickup => wire::BodyType::Pickup,
        BodyType::Hatchback => wire::BodyType::Hatchback,
        BodyType::Coupe => wire::BodyType::Coupe,
        BodyType::Convertible => wire::BodyType::Convertible,
        BodyType::Van => wire::BodyType::Van,
        BodyType::Minivan => wire::BodyType::Minivan,
        BodyType::Wagon => wire::BodyType::Wagon,
    }
}

pub fn body_type_from_wire(raw: i32, field: &str) -> Result<BodyType, ApiError> {
    match wire::BodyType::try_from(raw) {
        Ok(wire::BodyType::Sedan) => Ok(BodyType::Sedan),
        Ok(wire::BodyType::Suv) => Ok(BodyType::Suv),
        Ok(wire::BodyType::Pickup) => Ok(BodyType::Pickup),
        Ok(wire::BodyType::Hatchback) => Ok(BodyType::Hatchback),
        Ok(wire::BodyType::Coupe) => Ok(BodyType::Coupe),
        Ok(wire::BodyType::Convertible) => Ok(BodyType::Convertible),
        Ok(wire::BodyType::Van) => Ok(BodyType::Van),
        Ok(wire::BodyType::Minivan) => Ok(BodyType::Minivan),
        Ok(wire::BodyType::Wagon) => Ok(BodyType::Wagon),
        Ok(wire::BodyType::Unspecified) | Err(_) => Err(ApiError::invalid(field, format!("unknown body type {raw}"))),
    }
}

pub fn fuel_to_wire(value: Fuel) -> wire::Fuel {
    match value {
        Fuel::Gasoline => wire::Fuel::Gasoline,
        Fuel::Diesel => wire::Fuel::Diesel,
        Fuel::Hybrid => wire::Fuel::Hybrid,
        Fuel::PlugInHybrid => wire::Fuel::PlugInHybrid,
        Fuel::Electric => wire::Fuel::Electric,
    }
}

pub fn fuel_from_wire(raw: i32, field: &str) -> Result<Fuel, ApiError> {
    match wire::Fuel::try_from(raw) {
        Ok(wire::Fuel::Gasoline) => Ok(Fuel::Gasoline),
        Ok(wire::Fuel::Diesel) => Ok(Fuel::Diesel),
        Ok(wire::Fuel::Hybrid) => Ok(Fuel::Hybrid),
        Ok(wire::Fuel::PlugInHybrid) => Ok(Fuel::PlugInHybrid),
        Ok(wire::Fuel::Electric) => Ok(Fuel::Electric),
        Ok(wire::Fuel::Unspecified) | Err(_) => Err(ApiError::invalid(field, format!("unknown fuel {raw}"))),
    }
}

pub fn transmission_to_wire(value: Transmission) -> wire::Transmission {
    match value {
        Transmission::Automatic => wire::Transmission::Automatic,
        Transmission::Manual => wire::Transmission::Manual,
    }
}

pub fn transmission_from_wire(raw: i32, field: &str) -> Result<Transmission, ApiError> {
    match wire::Transmission::try_from(raw) {
        Ok(wire::Transmission::Automatic) => Ok(Transmission::Automatic),
        Ok(wire::Transmission::Manual) => Ok(Transmission::Manual),
        Ok(wire::Transmission::Unspecified) | Err(_) => {
            Err(ApiError::invalid(field, format!("unknown transmission {raw}")))
        }
    }
}

pub fn condition_to_wire(value: Condition) -> wire::Condition {
    match value {
        Condition::New => wire::Condition::New,
        Condition::Used => wire::Condition::Used,
        Condition::Certified => wire::Condition::Certified,
    }
}

pub fn condition_from_wire(raw: i32, field: &str) -> Result<Condition, ApiError> {
    match wire::Condition::try_from(raw) {
        Ok(wire::Condition::New) => Ok(Condition::New),
        Ok(wire::Condition::Used) => Ok(Condition::Used),
        Ok(wire::Condition::Certified) => Ok(Condition::Certified),
        Ok(wire::Condition::Unspecified) | Err(_) => Err(ApiError::invalid(field, format!("unknown condition {raw}"))),
    }
}

pub fn sort_to_wire(value: Option<SearchSort>) -> wire::SearchSort {
    match value {
        None => wire::SearchSort::Unspecified,
        Some(SearchSort::Relevance) => wire::SearchSort::Relevance,
        Some(SearchSort::PriceAsc) => wire::SearchSort::PriceAsc,
        Some(SearchSort::PriceDesc) => wire::SearchSort::PriceDesc,
        Some(SearchSort::YearDesc) => wire::SearchSort::YearDesc,
        Some(SearchSort::MileageAsc) => wire::SearchSort::MileageAsc,
        Some(SearchSort::Newest) => wire::SearchSort::Newest,
    }
}

/// UNSPECIFIED means "no sort asked for".
pub fn sort_from_wire(raw: i32, field: &str) -> Result<Option<SearchSort>, ApiError> {
    match wire::SearchSort::try_from(raw) {
        Ok(wire::SearchSort::Unspecified) => Ok(None),
        Ok(wire::SearchSort::Relevance) => Ok(Some(SearchSort::Relevance)),
        Ok(wire::SearchSort::PriceAsc) => Ok(Some(SearchSort::PriceAsc)),
        Ok(wire::SearchSort::PriceDesc) => Ok(Some(SearchSort::PriceDesc)),
        Ok(wire::SearchSort::YearDesc) => Ok(Some(SearchSort::YearDesc)),
        Ok(wire::SearchSort::MileageAsc) => Ok(Some(SearchSort::MileageAsc)),
        Ok(wire::SearchSort::Newest) => Ok(Some(SearchSort::Newest)),
        Err(_) => Err(ApiError::invalid(field, format!("unknown sort {raw}"))),
    }
}

pub fn filters_to_wire(filters: &SearchFilters) -> wire::SearchFilters {
    wire::SearchFilters {
        makes: filters.makes.clone(),
        models: filters.models.clone(),
        year_min: filters.year_min,
        year_max: filters.year_max,
        price_min: filters.price_min,
        price_max: filters.price_max,
        mileage_max: filters.mileage_max,
        body_types: filters.body_types.iter().map(|value| body_type_to_wire(*value) as i32).collect(),
        fuels: filters.fuels.iter().map(|value| fuel_to_wire(*value) as i32).collect(),
        transmissions: filters.transmissions.iter().map(|value| transmission_to_wire(*value) as i32).collect(),
        colors: filters.colors.clone(),
        conditions: filters.conditions.iter().map(|value| condition_to_wire(*value) as i32).collect(),
        city: filters.city.clone(),
        keywords: filters.keywords.clone(),
        sort: sort_to_wire(filters.sort) as i32,
    }
}

/// Converts caller-sent filters, naming the offending field on error.
pub fn filters_from_wire(filters: &wire::SearchFilters) -> Result<SearchFilters, ApiError> {
    fn each<T>(raw: &[i32], field: &str, convert: fn(i32, &str) -> Result<T, ApiError>) -> Result<Vec<T>, ApiError> {
        raw.iter().map(|value| convert(*value, field)).collect()
    }
    Ok(SearchFilters {
        makes: filters.makes.clone(),
        models: filters.models.clone(),
        year_min: filters.year_min,
        year_max: filters.year_max,
        price_min: filters.price_min,
        price_max: filters.price_max,
        mileage_max: filters.mileage_max,
        body_types: each(&filters.body_types, "filters.bodyTypes", body_type_from_wire)?,
        fuels: each(&filters.fuels, "filters.fuels", fuel_from_wire)?,
        transmissions: each(&filters.transmissions, "filters.transmissions", transmission_from_wire)?,
        colors: filters.colors.clone(),
        conditions: each(&filters.conditions, "filters.conditions", condition_from_wire)?,
        city: filters.city.clone(),
        keywords: filters.keywords.clone(),
        sort: sort_from_wire(filters.sort, "filters.sort")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn a_series_interval_is_known_or_refused() {
        assert_eq!(metrics_interval_from_wire(0).unwrap(), None, "no interval, no series");
        assert_eq!(metrics_interval_from_wire(wire::MetricsInterval::Week as i32).unwrap(), Some(Interval::Week));
        let error = metrics_interval_from_wire(9).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("interval"), "{error:?}");
    }

    #[test]
    fn a_metrics_scope_is_required_and_its_id_must_be_one() {
        use wire::metrics_scope::Scope;
        let scope = |scope| Some(wire::MetricsScope { scope: Some(scope) });
        let agency = uuid::Uuid::new_v4();
        assert_eq!(metrics_scope_from_wire(scope(Scope::Platform(true))).unwrap(), MetricsScope::Platform);
        assert_eq!(
            metrics_scope_from_wire(scope(Scope::AgencyId(agency.to_string()))).unwrap(),
            MetricsScope::Agency(agency)
        );
        for missing in [None, Some(wire::MetricsScope { scope: None })] {
            let error = metrics_scope_from_wire(missing).unwrap_err();
            assert_eq!((error.code, error.field.as_deref()), (ErrorCode::BadUserInput, Some("scope")));
        }
        let error = metrics_scope_from_wire(scope(Scope::GroupId("nope".into()))).unwrap_err();
        assert_eq!((error.code, error.field.as_deref()), (ErrorCode::BadUserInput, Some("scope")));
    }

    #[test]
    fn every_vocabulary_value_round_trips_through_the_wire() {
        for value in BodyType::ALL {
            assert_eq!(body_type_from_wire(body_type_to_wire(*value) as i32, "f").unwrap(), *value);
        }
        for value in Fuel::ALL {
            assert_eq!(fuel_from_wire(fuel_to_wire(*value) as i32, "f").unwrap(), *value);
        }
        for value in Transmission::ALL {
            assert_eq!(transmission_from_wire(transmission_to_wire(*value) as i32, "f").unwrap(), *value);
        }
        for value in Condition::ALL {
            assert_eq!(condition_from_wire(condition_to_wire(*value) as i32, "f").unwrap(), *value);
        }
        for value in SearchSort::ALL {
            assert_eq!(sort_from_wire(sort_to_wire(Some(*value)) as i32, "f").unwrap(), Some(*value));
        }
    }

    #[test]
    fn filters_round_trip_and_unknown_enums_name_their_field() {
        let filters = SearchFilters {
            makes: vec!["nissan".into()],
            year_min: Some(2018),
            price_max: Some(30_000_000),
            body_types: vec![BodyType::Suv],
            fuels: vec![Fuel::Hybrid],
            sort: Some(SearchSort::PriceAsc),
            ..SearchFilters::default()
        };
        assert_eq!(filters_from_wire(&filters_to_wire(&filters)).unwrap(), filters);

        let mut bad = filters_to_wire(&filters);
        bad.fuels.push(0);
        let error = filters_from_wire(&bad).unwrap_err();
        assert_eq!(error.code, ErrorCode::BadUserInput);
        assert_eq!(error.field.as_deref(), Some("filters.fuels"));
    }
}
