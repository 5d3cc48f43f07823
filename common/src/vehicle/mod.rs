//! The vehicle vocabulary every service shares: the filter enums of the public
//! contract (`contract.graphql`), the domain [`SearchFilters`], and the
//! catalogue of makes, models, colours and cities with their aliases.
//!
//! Everything here is pure and allocation-light: static tables plus one lazily
//! built index, so svc-catalog can normalise listings on write and svc-chat
//! can interpret queries without touching the network.

mod catalogue;
mod cities;
mod filters;
mod text;

pub use catalogue::{
    COLORS, ColorInfo, MAKES, MakeInfo, ModelInfo, canonical_color, canonical_make, canonical_model, colors, makes,
    models_of,
};
pub use cities::{CITIES, CityInfo, canonical_city};
pub use filters::SearchFilters;
pub use text::{compact_key, fold};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A value that is not part of one of the vocabulary enums.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} value {value:?}")]
pub struct UnknownValue {
    /// Which vocabulary was asked ("BodyType", "Fuel", ...).
    pub kind: &'static str,
    /// The offending input, as given.
    pub value: String,
}

/// Declares one closed vocabulary enum with its GraphQL (SCREAMING_SNAKE_CASE)
/// names, so `as_str`, `FromStr`, `Display` and serde can never disagree.
macro_rules! vocabulary_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The contract name, e.g. `"PLUG_IN_HYBRID"`.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;

            /// Parses the contract name exactly (`"SUV"`, not `"suv"`).
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($text => Ok(Self::$variant),)+
                    other => Err(UnknownValue { kind: stringify!($name), value: other.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(self.as_str())
            }
        }
    };
}

vocabulary_enum! {
    /// Body style of a car.
    BodyType {
        Sedan => "SEDAN",
        Suv => "SUV",
        Pickup => "PICKUP",
        Hatchback => "HATCHBACK",
        Coupe => "COUPE",
        Convertible => "CONVERTIBLE",
        Van => "VAN",
        Minivan => "MINIVAN",
        Wagon => "WAGON",
    }
}

vocabulary_enum! {
    /// Energy source.
    Fuel {
        Gasoline => "GASOLINE",
        Diesel => "DIESEL",
        Hybrid => "HYBRID",
        PlugInHybrid => "PLUG_IN_HYBRID",
        Electric => "ELECTRIC",
    }
}

vocabulary_enum! {
    /// Gearbox.
    Transmission {
        Automatic => "AUTOMATIC",
        Manual => "MANUAL",
    }
}

vocabulary_enum! {
    /// New, used, or used and certified by the maker's programme.
    Condition {
        New => "NEW",
        Used => "USED",
        Certified => "CERTIFIED",
    }
}

vocabulary_enum! {
    /// Result ordering. `YearDesc` is the car's model year, `Newest` the listing date.
    SearchSort {
        Relevance => "RELEVANCE",
        PriceAsc => "PRICE_ASC",
        PriceDesc => "PRICE_DESC",
        YearDesc => "YEAR_DESC",
        MileageAsc => "MILEAGE_ASC",
        Newest => "NEWEST",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_round_trips<T>(all: &[T])
    where
        T: Copy + fmt::Debug + PartialEq + FromStr<Err = UnknownValue> + Serialize + fmt::Display,
    {
        for value in all {
            let text = value.to_string();
            assert_eq!(text.parse::<T>().as_ref(), Ok(value));
            assert_eq!(serde_json::to_string(value).unwrap(), format!("\"{text}\""));
        }
    }

    #[test]
    fn enum_names_agree_between_as_str_from_str_and_serde() {
        assert_round_trips(BodyType::ALL);
        assert_round_trips(Fuel::ALL);
        assert_round_trips(Transmission::ALL);
        assert_round_trips(Condition::ALL);
        assert_round_trips(SearchSort::ALL);
        assert_eq!(Fuel::PlugInHybrid.as_str(), "PLUG_IN_HYBRID");
        assert_eq!(SearchSort::MileageAsc.as_str(), "MILEAGE_ASC");
    }

    #[test]
    fn from_str_rejects_other_spellings_and_names_the_value() {
        let error = "suv".parse::<BodyType>().unwrap_err();
        assert_eq!(error.kind, "BodyType");
        assert_eq!(error.value, "suv");
        assert!("PLUG-IN-HYBRID".parse::<Fuel>().is_err());
        assert_eq!(BodyType::ALL.len(), 9);
        assert_eq!(SearchSort::ALL.len(), 6);
    }
}
