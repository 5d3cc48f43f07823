//! Turning what a caller sends into [`ListingFields`]: every rule of a valid
//! listing lives here, so create and update cannot disagree.
//!
//! Vocabulary decisions:
//! - Makes form a closed vocabulary: an unknown make is rejected (field "make")
//!   because search facets, the query interpreter and promotions all key on the
//!   canonical make, and a typo would make the car unfindable.
//! - Models and colours are open: the shared catalogue lists common ones only, new
//!   models appear every year and paint names vary. Known names are canonicalised
//!   ("crv" → "cr-v", "Roja" → "red"); unknown ones are stored folded to lower case
//!   with single spaces, so the same spelling always matches itself.
//! - Cities: a known city (or abbreviation, "cdmx") is canonicalised and fills the
//!   state when none is given; other towns are kept as written (trimmed).

use nds_common::vehicle::{
    BodyType, Condition, Fuel, Transmission, canonical_city, canonical_color, canonical_make, canonical_model, fold,
};

use super::listing::{DEFAULT_CURRENCY, ListingFields, Money};
use super::vin::Vin;

pub const MIN_YEAR: i32 = 1950;
pub const MAX_ATTRIBUTES_BYTES: usize = 8 * 1024;
pub const MAX_ATTRIBUTES_KEYS: usize = 50;
pub const MAX_PHOTOS: usize = 30;
pub const MAX_PHOTO_URL_LENGTH: usize = 2048;
pub const MAX_DESCRIPTION_CHARS: usize = 5_000;
pub const MAX_SHORT_TEXT_CHARS: usize = 100;
/// 100 million pesos in centavos: beyond any car, below any overflow.
pub const MAX_PRICE_MINOR: i64 = 10_000_000_000;
pub const MAX_MILEAGE_KM: i64 = 3_000_000;
pub const ACCEPTED_CURRENCIES: [&str; 2] = ["MXN", "USD"];

/// One invalid input field, with a sentence for the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> FieldError {
        FieldError { field, message: message.into() }
    }
}

/// A listing as a caller sends it, enums already decoded (unknown values are
/// rejected at the transport edge), everything else unchecked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListingInput {
    pub make: String,
    pub model: String,
    pub year: i32,
    pub trim: String,
    pub vin: String,
    pub price: Option<Money>,
    pub mileage_km: i64,
    pub body_type: Option<BodyType>,
    pub fuel: Option<Fuel>,
    pub transmission: Option<Transmission>,
    pub color: String,
    pub condition: Option<Condition>,
    pub city: String,
    pub state: String,
    pub description: String,
    pub photos: Vec<String>,
    /// A JSON object as text; empty means `{}`.
    pub attributes_json: String,
}

/// A partial update: `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListingPatch {
    pub make: Option<String>,
    pub model: Option<String>,
    pub year: Option<i32>,
    pub trim: Option<String>,
    pub vin: Option<String>,
    pub price: Option<Money>,
    pub mileage_km: Option<i64>,
    pub body_type: Option<BodyType>,
    pub fuel: Option<Fuel>,
    pub transmission: Option<Transmission>,
    pub color: Option<String>,
    pub condition: Option<Condition>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub description: Option<String>,
    pub photos: Option<Vec<String>>,
    pub attributes_json: Option<String>,
}

impl ListingPatch {
    pub fn is_empty(&self) -> bool {
        *self == ListingPatch::default()
    }
}

/// Collapses runs of whitespace and trims.
fn tidy(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn optional_text(raw: &str, field: &'static str, max_chars: usize) -> Result<Option<String>, FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > max_chars {
        return Err(FieldError::new(field, format!("at most {max_chars} characters")));
    }
    Ok(Some(text.to_string()))
}

fn required_short_text(raw: &str, field: &'static str) -> Result<String, FieldError> {
    let text = tidy(raw);
    if text.is_empty() {
        return Err(FieldError::new(field, format!("{field} is required")));
    }
    if text.chars().count() > MAX_SHORT_TEXT_CHARS {
        return Err(FieldError::new(field, format!("at most {MAX_SHORT_TEXT_CHARS} characters")));
    }
    Ok(text)
}

pub fn validate_make(raw: &str) -> Result<&'static str, FieldError> {
    let text = required_short_text(raw, "make")?;
    canonical_make(&text).ok_or_else(|| FieldError::new("make", format!("unknown make {text:?}")))
}

pub fn validate_model(make: &str, raw: &str) -> Result<String, FieldError> {
    let text = required_short_text(raw, "model")?;
    Ok(match canonical_model(Some(make), &text) {
        Some((_, model)) => model.to_string(),
        None => fold(&text),
    })
}

pub fn validate_color(raw: &str) -> Result<String, FieldError> {
    let text = required_short_text(raw, "color")?;
    Ok(canonical_color(&text).map(str::to_string).unwrap_or_else(|| fold(&text)))
}

pub fn validate_year(year: i32, current_year: i32) -> Result<i32, FieldError> {
    let newest = current_year + 1;
    if (MIN_YEAR..=newest).contains(&year) {
        Ok(year)
    } else {
        Err(FieldError::new("year", format!("year must be between {MIN_YEAR} and {newest}")))
    }
}

pub fn validate_price(price: Option<&Money>) -> Result<Money, FieldError> {
    let Some(price) = price else {
        return Err(FieldError::new("price", "price is required"));
    };
    if price.amount_minor <= 0 {
        return Err(FieldError::new("price", "price must be positive"));
    }
    if price.amount_minor > MAX_PRICE_MINOR {
        return Err(FieldError::new("price", "price is implausibly high"));
    }
    let currency = match price.currency.trim() {
        "" => DEFAULT_CURRENCY.to_string(),
        code => code.to_ascii_uppercase(),
    };
    if !ACCEPTED_CURRENCIES.contains(&currency.as_str()) {
        return Err(FieldError::new("currency", format!("currency must be one of {ACCEPTED_CURRENCIES:?}")));
    }
    Ok(Money { amount_minor: price.amount_minor, currency })
}

pub fn validate_mileage(mileage_km: i64) -> Result<i64, FieldError> {
    if mileage_km < 0 {
        return Err(FieldError::new("mileageKm", "mileage cannot be negative"));
    }
    if mileage_km > MAX_MILEAGE_KM {
        return Err(FieldError::new("mileageKm", "mileage is implausibly high"));
    }
    Ok(mileage_km)
}

pub fn validate_vin(raw: &str) -> Result<Option<Vin>, FieldError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    Vin::parse(raw).map(Some).map_err(|error| FieldError::new("vin", error.to_string()))
}

pub fn validate_photos(photos: &[String]) -> Result<Vec<String>, FieldError> {
    if photos.len() > MAX_PHOTOS {
        return Err(FieldError::new("photos", format!("at most {MAX_PHOTOS} photos")));
    }
    photos
        .iter()
        .map(|raw| {
            let text = raw.trim();
            if text.len() > MAX_PHOTO_URL_LENGTH {
                return Err(FieldError::new("photos", "photo URL too long"));
            }
            let parsed =
                url::Url::parse(text).map_err(|_| FieldError::new("photos", format!("not a URL: {text:?}")))?;
            if parsed.scheme() != "https" || parsed.host_str().is_none_or(str::is_empty) {
                return Err(FieldError::new("photos", "photos must be https URLs"));
            }
            Ok(parsed.to_string())
        })
        .collect()
}

pub fn validate_attributes(raw: &str) -> Result<serde_json::Map<String, serde_json::Value>, FieldError> {
    if raw.trim().is_empty() {
        return Ok(serde_json::Map::new());
    }
    if raw.len() > MAX_ATTRIBUTES_BYTES {
        return Err(FieldError::new("attributes", format!("attributes may use at most {MAX_ATTRIBUTES_BYTES} bytes")));
    }
    let value: serde_json::Value =
        serde_json::from_str(raw).map_err(|_| FieldError::new("attributes", "attributes must be valid JSON"))?;
    let serde_json::Value::Object(object) = value else {
        return Err(FieldError::new("attributes", "attributes must be a JSON object"));
    };
    if object.len() > MAX_ATTRIBUTES_KEYS {
        return Err(FieldError::new("attributes", format!("at most {MAX_ATTRIBUTES_KEYS} attributes")));
    }
    Ok(object)
}

fn required<T>(value: Option<T>, field: &'static str) -> Result<T, FieldError> {
    value.ok_or_else(|| FieldError::new(field, format!("{field} is required")))
}

/// Validates and canonicalises a whole listing. `current_year` bounds the model year
/// (next year's models are sold from mid-year).
pub fn validate_listing(input: &ListingInput, current_year: i32) -> Result<ListingFields, FieldError> {
    let make = validate_make(&input.make)?;
    let model = validate_model(make, &input.model)?;
    let city_text = required_short_text(&input.city, "city")?;
    let (city, known_state) = match canonical_city(&city_text) {
        Some((city, state)) => (city.to_string(), Some(state.to_string())),
        None => (city_text, None),
    };
    let state = optional_text(&input.state, "state", MAX_SHORT_TEXT_CHARS)?.or(known_state);
    Ok(ListingFields {
        make: make.to_string(),
        model,
        year: validate_year(input.year, current_year)?,
        trim: optional_text(&input.trim, "trim", MAX_SHORT_TEXT_CHARS)?,
        vin: validate_vin(&input.vin)?,
        price: validate_price(input.price.as_ref())?,
        mileage_km: validate_mileage(input.mileage_km)?,
        body_type: required(input.body_type, "bodyType")?,
        fuel: required(input.fuel, "fuel")?,
        transmission: required(input.transmission, "transmission")?,
        color: validate_color(&input.color)?,
        condition: required(input.condition, "condition")?,
        city,
        state,
        description: optional_text(&input.description, "description", MAX_DESCRIPTION_CHARS)?,
        photos: validate_photos(&input.photos)?,
        attributes: validate_attributes(&input.attributes_json)?,
    })
}

/// The input that reproduces `fields` (the base a patch is applied to).
pub fn input_of(fields: &ListingFields) -> ListingInput {
    ListingInput {
        make: fields.make.clone(),
        model: fields.model.clone(),
        year: fields.year,
        trim: fields.trim.clone().unwrap_or_default(),
        vin: fields.vin.as_ref().map(|vin| vin.as_str().to_string()).unwrap_or_default(),
        price: Some(fields.price.clone()),
        mileage_km: fields.mileage_km,
        body_type: Some(fields.body_type),
        fuel: Some(fields.fuel),
        transmission: Some(fields.transmission),
        color: fields.color.clone(),
        condition: Some(fields.condition),
        city: fields.city.clone(),
        state: fields.state.clone().unwrap_or_default(),
        description: fields.description.clone().unwrap_or_default(),
        photos: fields.photos.clone(),
        attributes_json: serde_json::Value::Object(fields.attributes.clone()).to_string(),
    }
}

/// Applies a patch and validates the result as a whole (a new make re-checks the model).
pub fn apply_patch(
    current: &ListingFields,
    patch: &ListingPatch,
    current_year: i32,
) -> Result<ListingFields, FieldError> {
    let mut input = input_of(current);
    macro_rules! overlay {
        ($($field:ident),+) => {
            $(if let Some(value) = &patch.$field { input.$field = value.clone(); })+
        };
    }
    overlay!(make, model, year, trim, vin, mileage_km, color, city, state, description, photos, attributes_json);
    if patch.price.is_some() {
        input.price = patch.price.clone();
    }
    if patch.body_type.is_some() {
        input.body_type = patch.body_type;
    }
    if patch.fuel.is_some() {
        input.fuel = patch.fuel;
    }
    if patch.transmission.is_some() {
        input.transmission = patch.transmission;
    }
    if patch.condition.is_some() {
        input.condition = patch.condition;
    }
    // A new city without a state takes the catalogue's state, not the old city's.
    if patch.city.is_some() && patch.state.is_none() {
        input.state = String::new();
    }
    validate_listing(&input, current_year)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn valid_input() -> ListingInput {
        ListingInput {
            make: "VW".into(),
            model: "Jetta".into(),
            year: 2021,
            trim: "Comfortline".into(),
            vin: "1M8GDM9AXKP042788".into(),
            price: Some(Money { amount_minor: 35_000_000, currency: String::new() }),
            mileage_km: 42_000,
            body_type: Some(BodyType::Sedan),
            fuel: Some(Fuel::Gasoline),
            transmission: Some(Transmission::Automatic),
            color: "Roja".into(),
            condition: Some(Condition::Used),
            city: "cdmx".into(),
            state: String::new(),
            description: "Único dueño".into(),
            photos: vec!["https://img.example.com/1.jpg".into()],
            attributes_json: r#"{"sunroof": true}"#.into(),
        }
    }

    #[test]
    fn a_valid_listing_is_canonicalised() {
        let fields = validate_listing(&valid_input(), 2026).unwrap();
        assert_eq!(fields.make, "volkswagen");
        assert_eq!(fields.model, "jetta");
        assert_eq!(fields.color, "red");
        assert_eq!(fields.city, "Ciudad de México");
        assert_eq!(fields.state.as_deref(), Some("Ciudad de México"));
        assert_eq!(fields.price.currency, "MXN");
        assert_eq!(fields.attributes.get("sunroof"), Some(&serde_json::Value::Bool(true)));
    }

    #[test]
    fn each_bad_field_is_named() {
        let too_many_keys: serde_json::Map<String, serde_json::Value> =
            (0..51).map(|index| (format!("k{index}"), serde_json::Value::from(index))).collect();
        type Mutation = Box<dyn Fn(&mut ListingInput)>;
        let cases: Vec<(&str, Mutation)> = vec![
            ("make", Box::new(|input| input.make = "tatra".into())),
            ("make", Box::new(|input| input.make = " ".into())),
            ("year", Box::new(|input| input.year = 1949)),
            ("year", Box::new(|input| input.year = 2028)),
            ("price", Box::new(|input| input.price = Some(Money { amount_minor: -1, currency: "MXN".into() }))),
            ("price", Box::new(|input| input.price = Some(Money { amount_minor: 0, currency: "MXN".into() }))),
            ("price", Box::new(|input| input.price = None)),
            ("currency", Box::new(|input| input.price = Some(Money { amount_minor: 1, currency: "EURO".into() }))),
            ("mileageKm", Box::new(|input| input.mileage_km = -5)),
            ("vin", Box::new(|input| input.vin = "1M8GDM9A1KP042788".into())),
            ("bodyType", Box::new(|input| input.body_type = None)),
            ("photos", Box::new(|input| input.photos = vec!["http://insecure.example.com/a.jpg".into()])),
            ("photos", Box::new(|input| input.photos = vec!["https://a.example.com/x.jpg".into(); 31])),
            ("attributes", Box::new(|input| input.attributes_json = "[1, 2]".into())),
            ("attributes", Box::new(|input| input.attributes_json = "{".into())),
            ("attributes", Box::new(|input| input.attributes_json = format!(r#"{{"notes": "{}"}}"#, "x".repeat(9000)))),
            (
                "attributes",
                Box::new(move |input| {
                    input.attributes_json = serde_json::Value::Object(too_many_keys.clone()).to_string()
                }),
            ),
            ("description", Box::new(|input| input.description = "x".repeat(5001))),
            ("city", Box::new(|input| input.city = String::new())),
        ];
        for (field, mutate) in cases {
            let mut input = valid_input();
            mutate(&mut input);
            let error = validate_listing(&input, 2026).unwrap_err();
            assert_eq!(error.field, field, "{}", error.message);
        }
    }

    #[test]
    fn year_accepts_next_years_models_only() {
        assert!(validate_year(2027, 2026).is_ok());
        assert!(validate_year(1950, 2026).is_ok());
        assert!(validate_year(2028, 2026).is_err());
    }

    #[test]
    fn unknown_models_and_colours_are_kept_folded() {
        let mut input = valid_input();
        input.model = "  Jetta   GLI Edición ".into();
        input.color = "Azul Cobalto".into();
        let fields = validate_listing(&input, 2026).unwrap();
        assert_eq!(fields.model, fold("Jetta GLI Edición"));
        assert_eq!(fields.color, fold("Azul Cobalto"));
    }

    #[test]
    fn a_patch_changes_only_what_it_names_and_revalidates() {
        let fields = validate_listing(&valid_input(), 2026).unwrap();
        let patch = ListingPatch {
            price: Some(Money { amount_minor: 33_000_000, currency: "MXN".into() }),
            ..ListingPatch::default()
        };
        let patched = apply_patch(&fields, &patch, 2026).unwrap();
        assert_eq!(patched.price.amount_minor, 33_000_000);
        assert_eq!(ListingFields { price: fields.price.clone(), ..patched.clone() }, fields);

        let moved =
            apply_patch(&fields, &ListingPatch { city: Some("gdl".into()), ..Default::default() }, 2026).unwrap();
        assert_eq!(moved.state.as_deref(), Some("Jalisco"));

        let bad = ListingPatch { mileage_km: Some(-1), ..Default::default() };
        assert_eq!(apply_patch(&fields, &bad, 2026).unwrap_err().field, "mileageKm");
    }
}
