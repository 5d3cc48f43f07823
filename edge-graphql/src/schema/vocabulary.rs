//! The contract's vehicle vocabulary as GraphQL types, mirrored from the domain
//! enums in `nds_common::vehicle` (remote enums: one definition, no drift).

use async_graphql::{Enum, InputObject, SimpleObject};
use nds_common::vehicle;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "nds_common::vehicle::BodyType")]
pub enum BodyType {
    Sedan,
    Suv,
    Pickup,
    Hatchback,
    Coupe,
    Convertible,
    Van,
    Minivan,
    Wagon,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "nds_common::vehicle::Fuel")]
pub enum Fuel {
    Gasoline,
    Diesel,
    Hybrid,
    PlugInHybrid,
    Electric,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "nds_common::vehicle::Transmission")]
pub enum Transmission {
    Automatic,
    Manual,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "nds_common::vehicle::Condition")]
pub enum Condition {
    New,
    Used,
    Certified,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "nds_common::vehicle::SearchSort")]
pub enum SearchSort {
    /// Best match first (promoted listings are always shown apart).
    Relevance,
    PriceAsc,
    PriceDesc,
    YearDesc,
    MileageAsc,
    /// Most recently published first.
    Newest,
}

/// Search filters in the canonical vocabulary: makes, models and colours are
/// lower-case canonical names; prices in minor units; mileage in km.
#[derive(SimpleObject, Clone, Default)]
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
    /// What the interpreter could not place.
    pub keywords: Vec<String>,
    pub sort: Option<SearchSort>,
}

/// Forced search filters: each one set wins over what the text says.
#[derive(InputObject, Clone, Default)]
pub struct SearchFiltersInput {
    pub makes: Option<Vec<String>>,
    pub models: Option<Vec<String>>,
    pub year_min: Option<i32>,
    pub year_max: Option<i32>,
    /// Minor units (centavos).
    pub price_min: Option<i64>,
    /// Minor units (centavos).
    pub price_max: Option<i64>,
    /// Kilometres.
    pub mileage_max: Option<i64>,
    pub body_types: Option<Vec<BodyType>>,
    pub fuels: Option<Vec<Fuel>>,
    pub transmissions: Option<Vec<Transmission>>,
    pub colors: Option<Vec<String>>,
    pub conditions: Option<Vec<Condition>>,
    pub city: Option<String>,
    pub keywords: Option<Vec<String>>,
}

impl From<vehicle::SearchFilters> for SearchFilters {
    fn from(filters: vehicle::SearchFilters) -> Self {
        Self {
            makes: filters.makes,
            models: filters.models,
            year_min: filters.year_min,
            year_max: filters.year_max,
            price_min: filters.price_min,
            price_max: filters.price_max,
            mileage_max: filters.mileage_max,
            body_types: filters.body_types.into_iter().map(Into::into).collect(),
            fuels: filters.fuels.into_iter().map(Into::into).collect(),
            transmissions: filters.transmissions.into_iter().map(Into::into).collect(),
            colors: filters.colors,
            conditions: filters.conditions.into_iter().map(Into::into).collect(),
            city: filters.city,
            keywords: filters.keywords,
            sort: filters.sort.map(Into::into),
        }
    }
}

impl SearchFiltersInput {
    pub fn into_domain(self) -> vehicle::SearchFilters {
        fn list<T, U: From<T>>(values: Option<Vec<T>>) -> Vec<U> {
            values.unwrap_or_default().into_iter().map(Into::into).collect()
        }
        vehicle::SearchFilters {
            makes: self.makes.unwrap_or_default(),
            models: self.models.unwrap_or_default(),
            year_min: self.year_min,
            year_max: self.year_max,
            price_min: self.price_min,
            price_max: self.price_max,
            mileage_max: self.mileage_max,
            body_types: list(self.body_types),
            fuels: list(self.fuels),
            transmissions: list(self.transmissions),
            colors: self.colors.unwrap_or_default(),
            conditions: list(self.conditions),
            city: self.city,
            keywords: self.keywords.unwrap_or_default(),
            sort: None,
        }
    }
}
