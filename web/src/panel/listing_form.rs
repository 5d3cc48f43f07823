//! The panel's listing form: what a person typed (kept as typed, to show back), the
//! checks made before calling the edge (every mistake at once, in words, next to its
//! field), the input for `createListing` and `updateListing`, the API's own refusals
//! next to their fields, and the fields where two versions differ (the conflict).
//!
//! The VIN's check digit is catalog's rule (`svc-catalog/src/domain/vin.rs`); the web
//! links no service crate, so the panel checks only the length here and puts
//! catalog's refusal next to the VIN in its own words.

use maud::{Markup, html};
use nds_common::error::ErrorCode;
use nds_common::vehicle::{BodyType, Condition, Fuel, Transmission, canonical_make, makes};
use serde_json::{Map, Value};

use crate::edge::EdgeError;
use crate::edge::operations::panel_listing_editor;
use crate::edge::wire_name;
use crate::i18n::{Lang, VocabText, format};
use crate::names::display_name;
use crate::validate;
use crate::views::components::data_table;
use crate::views::form::{Field, FormErrors, InputKind, Select, csrf_field, form_summary};
use crate::visitor::Visitor;

/// Catalog's oldest model year (its newest is next year's).
pub const MIN_YEAR: i64 = 1950;
/// Catalog's limits: 100 million pesos, 3 million km, 30 photo links, 50 extras.
const MAX_PRICE_MINOR: i64 = 10_000_000_000;
const MAX_MILEAGE_KM: i64 = 3_000_000;
const MAX_PHOTOS: usize = 30;
const MAX_ATTRIBUTES: usize = 50;
const MAX_SHORT_TEXT: usize = 100;
const MAX_DESCRIPTION: usize = 5_000;
const VIN_LENGTH: usize = 17;
const CURRENCIES: [&str; 2] = ["MXN", "USD"];

pub type Listing = panel_listing_editor::PanelListingEditorListing;

/// The form as posted: every value as typed. Names are the schema's, so the API's
/// `extensions.field` names the input it concerns.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ListingForm {
    pub agency_id: String,
    /// The version the person started from (sent as `expectedVersion`).
    pub version: String,
    pub make: String,
    pub model: String,
    pub year: String,
    pub trim: String,
    pub vin: String,
    /// In pesos (or dollars), as typed: "459,900".
    pub price: String,
    pub currency: String,
    pub mileage_km: String,
    pub body_type: String,
    pub fuel: String,
    pub transmission: String,
    pub color: String,
    pub condition: String,
    pub city: String,
    pub state: String,
    pub description: String,
    /// One URL a line.
    pub photos: String,
    /// One "name: value" a line.
    pub attributes: String,
}

impl ListingForm {
    /// An empty form for a new car of `agency_id`, priced in pesos.
    pub fn blank(agency_id: String) -> ListingForm {
        ListingForm { agency_id, currency: "MXN".into(), ..ListingForm::default() }
    }

    /// The saved listing as the form shows it (labels in the person's language).
    pub fn from_listing(listing: &Listing, lang: Lang) -> ListingForm {
        let vocab = &lang.text().vocab;
        ListingForm {
            agency_id: listing.agency.id.clone(),
            version: listing.version.to_string(),
            make: listing.make.clone(),
            model: display_name(&listing.model),
            year: listing.year.to_string(),
            trim: listing.trim.clone().unwrap_or_default(),
            vin: listing.vin.clone().unwrap_or_default(),
            price: pesos_text(listing.price),
            currency: listing.currency.clone(),
            mileage_km: format::grouped(listing.mileage_km),
            body_type: wire_name(&listing.body_type),
            fuel: wire_name(&listing.fuel),
            transmission: wire_name(&listing.transmission),
            color: VocabText::label(vocab.colors, &listing.color).to_string(),
            condition: wire_name(&listing.condition),
            city: listing.city.clone(),
            state: listing.state.clone().unwrap_or_default(),
            description: listing.description.clone().unwrap_or_default(),
            photos: listing.photos.join("\n"),
            attributes: attributes_text(&listing.attributes),
        }
    }

    /// Checks what can be checked here and builds the fields `ListingInput` and
    /// `ListingPatch` share. Optional texts go as "" when empty, so an edit clears them.
    pub fn check(&self, lang: Lang, current_year: i64) -> (Map<String, Value>, FormErrors) {
        let text = &lang.text().panel.editor;
        let mut errors = FormErrors::default();
        let mut input = Map::new();
        let mut put = |name: &str, value: Value| {
            input.insert(name.to_string(), value);
        };

        let make = canonical_make(self.make.trim());
        if make.is_none() {
            errors.field("make", text.unknown_make);
        }
        put("make", make.unwrap_or_default().into());
        put("model", validate::required(&mut errors, lang, "model", &self.model, MAX_SHORT_TEXT).into());
        let newest = current_year + 1;
        let year = validate::integer(&mut errors, lang, "year", &self.year, i64::MIN..=i64::MAX);
        if year.is_some_and(|year| !(MIN_YEAR..=newest).contains(&year)) {
            errors.field("year", (text.year_range)(MIN_YEAR, newest));
        }
        put("year", year.unwrap_or_default().into());
        put(
            "trim",
            validate::optional(&mut errors, lang, "trim", &self.trim, MAX_SHORT_TEXT).unwrap_or_default().into(),
        );
        let vin = self.vin.trim().to_ascii_uppercase();
        let vin_length = vin.chars().count();
        if vin_length != 0 && vin_length != VIN_LENGTH {
            errors.field("vin", (text.vin_length)(vin_length));
        }
        put("vin", vin.into());
        let price = match parse_minor_units(&self.price) {
            _ if self.price.trim().is_empty() => {
                errors.field("price", lang.text().fields.required);
                0
            }
            None => {
                errors.field("price", text.price_format);
                0
            }
            Some(minor) if minor <= 0 => {
                errors.field("price", text.price_positive);
                0
            }
            Some(minor) if minor > MAX_PRICE_MINOR => {
                errors.field("price", text.price_too_high);
                0
            }
            Some(minor) => minor,
        };
        put("price", price.into());
        let currency = self.currency.trim().to_ascii_uppercase();
        if !CURRENCIES.contains(&currency.as_str()) {
            errors.field("currency", text.choose_option);
        }
        put("currency", currency.into());
        let mileage = validate::integer(&mut errors, lang, "mileageKm", &self.mileage_km, 0..=MAX_MILEAGE_KM);
        put("mileageKm", mileage.unwrap_or_default().into());
        put("bodyType", choice::<BodyType>(&mut errors, text.choose_option, "bodyType", &self.body_type));
        put("fuel", choice::<Fuel>(&mut errors, text.choose_option, "fuel", &self.fuel));
        put(
            "transmission",
            choice::<Transmission>(&mut errors, text.choose_option, "transmission", &self.transmission),
        );
        put("condition", choice::<Condition>(&mut errors, text.choose_option, "condition", &self.condition));
        put("color", validate::required(&mut errors, lang, "color", &self.color, MAX_SHORT_TEXT).into());
        put("city", validate::required(&mut errors, lang, "city", &self.city, MAX_SHORT_TEXT).into());
        put(
            "state",
            validate::optional(&mut errors, lang, "state", &self.state, MAX_SHORT_TEXT).unwrap_or_default().into(),
        );
        let description = validate::optional(&mut errors, lang, "description", &self.description, MAX_DESCRIPTION);
        put("description", description.unwrap_or_default().into());
        put("photos", photo_links(&mut errors, lang, &self.photos).into());
        put("attributes", Value::Object(attributes(&mut errors, lang, &self.attributes)));
        (input, errors)
    }
}

/// A vocabulary value by its schema name, or the "choose one" error.
fn choice<T: std::str::FromStr>(errors: &mut FormErrors, words: &str, field: &str, raw: &str) -> Value {
    if raw.trim().parse::<T>().is_err() {
        errors.field(field, words);
    }
    raw.trim().into()
}

/// Minor units from what a person types for a price: "459,900", "$459,900.50".
/// `None` when it is not an amount.
pub fn parse_minor_units(raw: &str) -> Option<i64> {
    let cleaned: String = raw.trim().chars().filter(|character| !matches!(character, ',' | '$' | ' ')).collect();
    let (whole, cents) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let digits = |part: &str| part.chars().all(|character| character.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(cents) || cents.len() > 2 {
        return None;
    }
    let cents: i64 = format!("{cents:0<2}").parse().ok()?;
    whole.parse::<i64>().ok()?.checked_mul(100)?.checked_add(cents)
}

/// Minor units as the form shows them: whole pesos grouped, cents only when there are.
pub fn pesos_text(minor: i64) -> String {
    let (whole, cents) = (minor / 100, minor % 100);
    if cents == 0 { format::grouped(whole) } else { format!("{}.{cents:02}", format::grouped(whole)) }
}

/// The photo links, one a line; blank lines are ignored.
fn photo_links(errors: &mut FormErrors, lang: Lang, raw: &str) -> Vec<String> {
    let text = &lang.text().panel.editor;
    let lines: Vec<(usize, &str)> =
        raw.lines().map(str::trim).enumerate().filter(|(_, line)| !line.is_empty()).collect();
    if lines.len() > MAX_PHOTOS {
        errors.field("photos", (text.too_many_photos)(MAX_PHOTOS, lines.len()));
    }
    if let Some((number, _)) =
        lines.iter().find(|(_, line)| line.strip_prefix("https://").is_none_or(|rest| rest.len() < 3))
    {
        errors.field("photos", (text.photo_line)(number + 1));
    }
    lines.into_iter().map(|(_, line)| line.to_string()).collect()
}

/// "name: value" lines as a JSON object. A value that reads as JSON other than a
/// string (a number, true, a list) keeps that type, so what was saved as a number
/// comes back as one.
fn attributes(errors: &mut FormErrors, lang: Lang, raw: &str) -> Map<String, Value> {
    let text = &lang.text().panel.editor;
    let mut object = Map::new();
    for (number, line) in raw.lines().map(str::trim).enumerate().filter(|(_, line)| !line.is_empty()) {
        let Some((name, value)) = line.split_once(':').filter(|(name, _)| !name.trim().is_empty()) else {
            errors.field("attributes", (text.attribute_line)(number + 1));
            continue;
        };
        let value = value.trim();
        let value = match serde_json::from_str::<Value>(value) {
            Ok(parsed) if !parsed.is_string() => parsed,
            _ => Value::String(value.to_string()),
        };
        object.insert(name.trim().to_string(), value);
    }
    if object.len() > MAX_ATTRIBUTES {
        errors.field("attributes", text.attributes_refused);
    }
    object
}

/// The saved extras as the form's lines.
fn attributes_text(attributes: &Value) -> String {
    let Value::Object(object) = attributes else { return String::new() };
    object
        .iter()
        .map(|(name, value)| match value {
            Value::String(text) => format!("{name}: {text}"),
            other => format!("{name}: {other}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The API refused fields: each goes next to its input, in the panel's words where
/// the rule is catalog's (the VIN's check digit, the makes it knows).
pub fn api_errors(error: &EdgeError, lang: Lang, current_year: i64, errors: &mut FormErrors) {
    let text = &lang.text().panel.editor;
    let year = (text.year_range)(MIN_YEAR, current_year + 1);
    let choose = Some(text.choose_option);
    let fields: [(&str, &str, Option<&str>); 18] = [
        ("make", "make", Some(text.unknown_make)),
        ("model", "model", None),
        ("year", "year", Some(&year)),
        ("trim", "trim", None),
        ("vin", "vin", Some(text.vin_invalid)),
        ("price", "price", None),
        ("currency", "currency", choose),
        ("mileageKm", "mileageKm", None),
        ("bodyType", "bodyType", choose),
        ("fuel", "fuel", choose),
        ("transmission", "transmission", choose),
        ("color", "color", None),
        ("condition", "condition", choose),
        ("city", "city", None),
        ("state", "state", None),
        ("description", "description", None),
        ("photos", "photos", Some(text.photos_refused)),
        ("attributes", "attributes", Some(text.attributes_refused)),
    ];
    validate::field_errors_worded(error, lang, &fields, errors);
}

/// Catalog's CONFLICT for a VIN another published car already carries.
pub fn is_duplicate_vin(error: &EdgeError) -> bool {
    error.failures().iter().any(|failure| {
        failure.code == ErrorCode::Conflict && failure.field.as_deref().is_some_and(|field| field.ends_with("vin"))
    })
}

/// Where the form posts, what its button says, and whether it can still be changed.
pub struct FormView<'a> {
    pub action: &'a str,
    pub submit: &'a str,
    pub editable: bool,
}

fn vocabulary<'a>(
    all: impl Iterator<Item = &'static str>,
    table: &'static [(&'static str, &'static str)],
) -> Vec<(&'a str, &'a str)> {
    all.map(|value| (value, VocabText::label(table, value))).collect()
}

pub fn render(visitor: &Visitor, form: &ListingForm, errors: &FormErrors, view: &FormView) -> Markup {
    let lang = visitor.lang;
    let text = &lang.text().panel.editor;
    let vocab = &lang.text().vocab;
    let mut make_names: Vec<(&str, String)> = makes().map(|make| (make, display_name(make))).collect();
    make_names.sort_by(|left, right| left.1.cmp(&right.1));
    let make_options = make_names.iter().map(|(value, name)| (*value, name.as_str())).collect();
    let select = |name, label, options, selected| Select::new(name, label, options, selected).placeholder(text.choose);
    let body_types = vocabulary(BodyType::ALL.iter().map(BodyType::as_str), vocab.body_types);
    let fuels = vocabulary(Fuel::ALL.iter().map(Fuel::as_str), vocab.fuels);
    let transmissions = vocabulary(Transmission::ALL.iter().map(Transmission::as_str), vocab.transmissions);
    let conditions = vocabulary(Condition::ALL.iter().map(Condition::as_str), vocab.conditions);
    let currencies = text.currencies.to_vec();
    html! {
        form.listing-form method="post" action=(view.action) novalidate {
            (csrf_field(&visitor.csrf))
            @if !form.agency_id.is_empty() { input type="hidden" name="agencyId" value=(form.agency_id); }
            @if !form.version.is_empty() { input type="hidden" name="version" value=(form.version); }
            (form_summary(errors, lang.text().errors.form_has_errors))
            fieldset.plain disabled[!view.editable] {
                fieldset.group {
                    legend { (text.section_car) }
                    (select("make", text.make, make_options, &form.make).render(errors))
                    (Field::new("model", text.model, InputKind::Text, &form.model).hint(text.model_hint).max_length(MAX_SHORT_TEXT).render(errors))
                    div.pair {
                        (Field::new("year", text.year, InputKind::Number, &form.year).render(errors))
                        (select("condition", text.condition, conditions, &form.condition).render(errors))
                    }
                    (Field::new("trim", text.trim, InputKind::Text, &form.trim).optional().max_length(MAX_SHORT_TEXT).render(errors))
                    (Field::new("vin", text.vin, InputKind::Text, &form.vin).optional().hint(text.vin_hint).autocomplete("off").render(errors))
                    div.pair {
                        (select("bodyType", text.body_type, body_types, &form.body_type).render(errors))
                        (select("transmission", text.transmission, transmissions, &form.transmission).render(errors))
                    }
                    div.pair {
                        (select("fuel", text.fuel, fuels, &form.fuel).render(errors))
                        (Field::new("color", text.color, InputKind::Text, &form.color).hint(text.color_hint).max_length(MAX_SHORT_TEXT).render(errors))
                    }
                }
                fieldset.group {
                    legend { (text.section_price) }
                    div.pair {
                        (Field::new("price", text.price, InputKind::Text, &form.price).hint(text.price_hint).inputmode("decimal").render(errors))
                        (Select::new("currency", text.currency, currencies, &form.currency).render(errors))
                    }
                    (Field::new("mileageKm", text.mileage, InputKind::Text, &form.mileage_km).hint(text.mileage_hint).inputmode("numeric").render(errors))
                }
                fieldset.group {
                    legend { (text.section_place) }
                    div.pair {
                        (Field::new("city", text.city, InputKind::Text, &form.city).max_length(MAX_SHORT_TEXT).autocomplete("address-level2").render(errors))
                        (Field::new("state", text.state, InputKind::Text, &form.state).optional().max_length(MAX_SHORT_TEXT).autocomplete("address-level1").render(errors))
                    }
                }
                fieldset.group {
                    legend { (text.section_more) }
                    (Field::new("description", text.description, InputKind::TextArea, &form.description).optional().max_length(MAX_DESCRIPTION).render(errors))
                    (Field::new("photos", text.photos, InputKind::TextArea, &form.photos).optional().hint(text.photos_hint).render(errors))
                    (Field::new("attributes", text.attributes, InputKind::TextArea, &form.attributes).optional().hint(text.attributes_hint).render(errors))
                }
                @if view.editable { button type="submit" { (view.submit) } }
            }
        }
    }
}

/// One field whose two versions differ, as people read them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    pub label: &'static str,
    pub yours: String,
    pub saved: String,
}

/// How a field's values are compared and shown.
enum Kind {
    /// Case and spacing do not matter.
    Text,
    /// Digits (and the decimal point) only: "459,900" is "459900".
    Number,
    /// A vocabulary value, shown by its label.
    Choice(&'static [(&'static str, &'static str)]),
    Make,
}

/// The fields where what the person typed and what is saved now differ.
pub fn differences(yours: &ListingForm, saved: &ListingForm, lang: Lang) -> Vec<Difference> {
    let text = &lang.text().panel.editor;
    let vocab = &lang.text().vocab;
    let fields: [(&'static str, &str, &str, Kind); 18] = [
        (text.make, &yours.make, &saved.make, Kind::Make),
        (text.model, &yours.model, &saved.model, Kind::Text),
        (text.year, &yours.year, &saved.year, Kind::Number),
        (text.trim, &yours.trim, &saved.trim, Kind::Text),
        (text.vin, &yours.vin, &saved.vin, Kind::Text),
        (text.price, &yours.price, &saved.price, Kind::Number),
        (text.currency, &yours.currency, &saved.currency, Kind::Choice(text.currencies)),
        (text.mileage, &yours.mileage_km, &saved.mileage_km, Kind::Number),
        (text.body_type, &yours.body_type, &saved.body_type, Kind::Choice(vocab.body_types)),
        (text.fuel, &yours.fuel, &saved.fuel, Kind::Choice(vocab.fuels)),
        (text.transmission, &yours.transmission, &saved.transmission, Kind::Choice(vocab.transmissions)),
        (text.color, &yours.color, &saved.color, Kind::Text),
        (text.condition, &yours.condition, &saved.condition, Kind::Choice(vocab.conditions)),
        (text.city, &yours.city, &saved.city, Kind::Text),
        (text.state, &yours.state, &saved.state, Kind::Text),
        (text.description, &yours.description, &saved.description, Kind::Text),
        (text.photos, &yours.photos, &saved.photos, Kind::Text),
        (text.attributes, &yours.attributes, &saved.attributes, Kind::Text),
    ];
    fields
        .into_iter()
        .filter(|(_, left, right, kind)| comparable(left, kind) != comparable(right, kind))
        .map(|(label, left, right, kind)| Difference {
            label,
            yours: shown(left, &kind, text.conflict_empty),
            saved: shown(right, &kind, text.conflict_empty),
        })
        .collect()
}

fn comparable(value: &str, kind: &Kind) -> String {
    match kind {
        Kind::Text => value.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase(),
        Kind::Number => value.chars().filter(|character| character.is_ascii_digit() || *character == '.').collect(),
        Kind::Choice(_) => value.trim().to_string(),
        Kind::Make => canonical_make(value.trim()).map(str::to_string).unwrap_or_else(|| value.trim().to_lowercase()),
    }
}

fn shown(value: &str, kind: &Kind, empty: &str) -> String {
    if value.trim().is_empty() {
        return empty.to_string();
    }
    match kind {
        Kind::Choice(table) => VocabText::label(table, value.trim()).to_string(),
        Kind::Make => display_name(value.trim()),
        Kind::Text | Kind::Number => value.trim().to_string(),
    }
}

/// The two versions side by side, for the fields that differ.
pub fn render_differences(visitor: &Visitor, differences: &[Difference], saved_version: i64) -> Markup {
    let text = &visitor.text().panel.editor;
    let saved_heading = (text.conflict_saved)(saved_version);
    let headings = [text.conflict_field, text.conflict_yours, saved_heading.as_str()];
    html! {
        @if differences.is_empty() {
            p { (text.conflict_same) }
        } @else {
            (data_table(text.conflict_title, &headings, html! {
                @for difference in differences {
                    tr {
                        th scope="row" { (difference.label) }
                        td.yours.prewrap data-label=(text.conflict_yours) { (difference.yours) }
                        td.saved.prewrap data-label=(saved_heading) { (difference.saved) }
                    }
                }
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> ListingForm {
        ListingForm {
            make: "toyota".into(),
            model: "RAV4".into(),
            year: "2021".into(),
            price: "459,900".into(),
            currency: "MXN".into(),
            mileage_km: "32,000".into(),
            body_type: "SUV".into(),
            fuel: "HYBRID".into(),
            transmission: "AUTOMATIC".into(),
            color: "Blanco".into(),
            condition: "USED".into(),
            city: "Monterrey".into(),
            ..ListingForm::default()
        }
    }

    #[test]
    fn a_complete_form_becomes_the_input_with_the_price_in_centavos() {
        let (input, errors) = filled().check(Lang::Es, 2026);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(input["price"], 45_990_000);
        assert_eq!(input["mileageKm"], 32_000);
        assert_eq!(input["make"], "toyota");
        assert_eq!(input["trim"], "", "an emptied field is sent empty, so an edit clears it");
        assert_eq!(input["photos"], serde_json::json!([]));
    }

    #[test]
    fn every_mistake_shows_at_once_next_to_its_field() {
        let form = ListingForm {
            make: "Tesla Roadster".into(),
            year: "1930".into(),
            vin: "1HGCM82633A00435".into(),
            price: "0".into(),
            body_type: "TANK".into(),
            ..filled()
        };
        let (_, errors) = form.check(Lang::Es, 2026);
        assert_eq!(errors.get("vin"), Some("El VIN debe tener 17 caracteres (tiene 16)."));
        assert_eq!(errors.get("year"), Some("El año debe estar entre 1950 y 2027."));
        assert_eq!(errors.get("price"), Some("El precio debe ser mayor que cero."));
        assert_eq!(errors.get("make"), Some("Elige una marca de la lista."));
        assert_eq!(errors.get("bodyType"), Some("Elige una opción de la lista."));
    }

    #[test]
    fn prices_are_read_as_people_type_them() {
        assert_eq!(parse_minor_units("459,900"), Some(45_990_000));
        assert_eq!(parse_minor_units("$459,900.5"), Some(45_990_050));
        assert_eq!(parse_minor_units(" 1 200 "), Some(120_000));
        assert_eq!(parse_minor_units("12.345"), None);
        assert_eq!(parse_minor_units("-5"), None);
        assert_eq!(parse_minor_units("mil"), None);
        assert_eq!(pesos_text(45_990_000), "459,900");
        assert_eq!(pesos_text(45_990_050), "459,900.50");
    }

    #[test]
    fn photo_links_and_extras_are_lines() {
        let form = ListingForm {
            photos: "https://fotos.mx/1.jpg\n\nhttp://fotos.mx/2.jpg".into(),
            attributes: "duenos: 2\nfactura: original\nsin dos puntos".into(),
            ..filled()
        };
        let (input, errors) = form.check(Lang::Es, 2026);
        assert_eq!(errors.get("photos"), Some("La línea 3 no es un enlace https:// completo."));
        assert_eq!(errors.get("attributes"), Some("Escribe la línea 3 como «nombre: valor»."));
        assert_eq!(input["attributes"]["duenos"], 2, "a number stays a number");
        assert_eq!(input["attributes"]["factura"], "original");
        let saved = serde_json::json!({ "duenos": 2, "factura": "original" });
        assert_eq!(attributes_text(&saved), "duenos: 2\nfactura: original");
    }

    #[test]
    fn the_conflict_names_only_the_fields_that_differ() {
        let yours = ListingForm { price: "459,900".into(), model: "rav4".into(), ..filled() };
        let saved = ListingForm { price: "439900".into(), model: "RAV4".into(), color: "Rojo".into(), ..filled() };
        let found = differences(&yours, &saved, Lang::Es);
        let labels: Vec<&str> = found.iter().map(|difference| difference.label).collect();
        assert_eq!(labels, ["Precio", "Color"]);
        assert_eq!(found[0].yours, "459,900");
        assert_eq!(found[0].saved, "439900");
        let body = ListingForm { body_type: "SEDAN".into(), ..filled() };
        assert_eq!(differences(&body, &filled(), Lang::Es)[0].saved, "SUV / Camioneta");
    }
}
