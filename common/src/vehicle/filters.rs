//! The domain search filters: what a client forces and what a text means.

use super::{BodyType, Condition, Fuel, SearchSort, Transmission};
use serde::{Deserialize, Serialize};

/// Structured search filters in the canonical vocabulary.
///
/// Makes, models and colours are lower-case canonical names (see
/// [`super::canonical_make`]); prices are minor units (MXN centavos unless the
/// caller says otherwise); mileage is in km. Missing fields deserialise as
/// empty, so a partial JSON object is a valid `SearchFilters`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchFilters {
    pub makes: Vec<String>,
    pub models: Vec<String>,
    pub year_min: Option<i32>,
    pub year_max: Option<i32>,
    /// Minor units (centavos).
    pub price_min: Option<i64>,
    /// Minor units (centavos).
    pub price_max: Option<i64>,
    /// Kilometres.
    pub mileage_max: Option<i64>,
    pub body_types: Vec<BodyType>,
    pub fuels: Vec<Fuel>,
    pub transmissions: Vec<Transmission>,
    pub colors: Vec<String>,
    pub conditions: Vec<Condition>,
    pub city: Option<String>,
    /// Words the interpreter could not place.
    pub keywords: Vec<String>,
    pub sort: Option<SearchSort>,
}

/// Applies `$action!(field)` to every field, so a new field cannot be
/// forgotten by one of the merge policies.
macro_rules! for_each_field {
    ($action:ident) => {
        $action!(makes);
        $action!(models);
        $action!(year_min);
        $action!(year_max);
        $action!(price_min);
        $action!(price_max);
        $action!(mileage_max);
        $action!(body_types);
        $action!(fuels);
        $action!(transmissions);
        $action!(colors);
        $action!(conditions);
        $action!(city);
        $action!(keywords);
        $action!(sort);
    };
}

/// "Set" means `Some` for options and non-empty for lists.
trait FieldIsSet {
    fn is_set(&self) -> bool;
}

impl<T> FieldIsSet for Option<T> {
    fn is_set(&self) -> bool {
        self.is_some()
    }
}

impl<T> FieldIsSet for Vec<T> {
    fn is_set(&self) -> bool {
        !self.is_empty()
    }
}

impl SearchFilters {
    /// Forced filters win: every field that is set in `forced` replaces the
    /// interpreted one; the others keep what was interpreted.
    pub fn merge_forced(mut self, forced: &SearchFilters) -> SearchFilters {
        macro_rules! take_forced {
            ($field:ident) => {
                if forced.$field.is_set() {
                    self.$field = forced.$field.clone();
                }
            };
        }
        for_each_field!(take_forced);
        self
    }

    /// Fills only the fields that are empty in `self` from `other` (the
    /// language model completes what the rules left empty).
    pub fn fill_empty_from(mut self, other: SearchFilters) -> SearchFilters {
        macro_rules! fill_if_empty {
            ($field:ident) => {
                if !self.$field.is_set() && other.$field.is_set() {
                    self.$field = other.$field;
                }
            };
        }
        for_each_field!(fill_if_empty);
        self
    }

    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        let mut any_set = false;
        macro_rules! check_set {
            ($field:ident) => {
                any_set |= self.$field.is_set();
            };
        }
        for_each_field!(check_set);
        !any_set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interpreted() -> SearchFilters {
        SearchFilters {
            makes: vec!["toyota".into()],
            year_min: Some(2018),
            colors: vec!["red".into()],
            keywords: vec!["quemacocos".into()],
            ..SearchFilters::default()
        }
    }

    #[test]
    fn merge_forced_replaces_only_the_fields_forced() {
        let forced =
            SearchFilters { makes: vec!["honda".into()], price_max: Some(30_000_000), ..SearchFilters::default() };
        let merged = interpreted().merge_forced(&forced);
        assert_eq!(merged.makes, vec!["honda".to_owned()]);
        assert_eq!(merged.price_max, Some(30_000_000));
        assert_eq!(merged.year_min, Some(2018));
        assert_eq!(merged.colors, vec!["red".to_owned()]);
    }

    #[test]
    fn merge_forced_with_empty_forced_is_identity() {
        assert_eq!(interpreted().merge_forced(&SearchFilters::default()), interpreted());
    }

    #[test]
    fn fill_empty_from_never_overrides_a_set_field() {
        let model = SearchFilters {
            makes: vec!["nissan".into()],
            year_min: Some(2000),
            body_types: vec![BodyType::Suv],
            sort: Some(SearchSort::PriceAsc),
            ..SearchFilters::default()
        };
        let filled = interpreted().fill_empty_from(model);
        assert_eq!(filled.makes, vec!["toyota".to_owned()]);
        assert_eq!(filled.year_min, Some(2018));
        assert_eq!(filled.body_types, vec![BodyType::Suv]);
        assert_eq!(filled.sort, Some(SearchSort::PriceAsc));
    }

    #[test]
    fn partial_json_deserialises_with_defaults() {
        let filters: SearchFilters = serde_json::from_str(r#"{"fuels":["PLUG_IN_HYBRID"],"price_max":100}"#).unwrap();
        assert_eq!(filters.fuels, vec![Fuel::PlugInHybrid]);
        assert_eq!(filters.price_max, Some(100));
        assert!(filters.makes.is_empty());
        assert!(SearchFilters::default().is_empty());
        assert!(!filters.is_empty());
    }
}
