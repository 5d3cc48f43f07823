//! A search as the URL holds it: the text, forced filters, sort and page. Pure:
//! parsed from and written to query strings, turned into the API's input, and
//! into chips that each remove one applied filter.
//!
//! The URL speaks pesos and short names (`q`, `make`, `price_max`…); the API speaks
//! centavos. Unknown or malformed values are dropped here rather than sent, so a
//! hand-edited URL still shows results instead of an error.

use std::str::FromStr;

use nds_common::vehicle::{BodyType, Condition, Fuel, Transmission};

/// Longest free text kept from a URL (the search box allows 200).
pub const MAX_TEXT_CHARS: usize = 200;
/// Values kept per list parameter.
const MAX_VALUES: usize = 10;
const MAX_VALUE_CHARS: usize = 40;
/// Highest price a URL may ask for, in pesos.
const MAX_PRICE_PESOS: i64 = 100_000_000;

pub const SORTS: [&str; 6] = ["RELEVANCE", "PRICE_ASC", "PRICE_DESC", "YEAR_DESC", "MILEAGE_ASC", "NEWEST"];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchParams {
    pub text: String,
    pub makes: Vec<String>,
    pub models: Vec<String>,
    pub body_types: Vec<String>,
    pub fuels: Vec<String>,
    pub transmissions: Vec<String>,
    pub colors: Vec<String>,
    pub conditions: Vec<String>,
    pub keywords: Vec<String>,
    /// Pesos.
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub year_min: Option<i64>,
    pub year_max: Option<i64>,
    pub mileage_max: Option<i64>,
    pub city: Option<String>,
    pub sort: Option<String>,
    pub after: Option<String>,
}

/// One applied filter, as a chip removes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    Make(String),
    Model(String),
    BodyType(String),
    Fuel(String),
    Transmission(String),
    Color(String),
    Condition(String),
    Keyword(String),
    PriceMin(i64),
    PriceMax(i64),
    YearMin(i64),
    YearMax(i64),
    MileageMax(i64),
    City(String),
}

fn clean_value(raw: &str) -> Option<String> {
    let value = raw.trim();
    (!value.is_empty() && value.chars().count() <= MAX_VALUE_CHARS).then(|| value.to_string())
}

fn push_unique(list: &mut Vec<String>, value: Option<String>) {
    if let Some(value) = value
        && list.len() < MAX_VALUES
        && !list.contains(&value)
    {
        list.push(value);
    }
}

fn vocabulary<T: FromStr>(raw: &str) -> Option<String> {
    let value = raw.trim().to_ascii_uppercase();
    T::from_str(&value).ok().map(|_| value)
}

fn number(raw: &str, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
    let digits: String = raw.chars().filter(|character| !matches!(character, ',' | ' ' | '$' | '_')).collect();
    digits.parse::<i64>().ok().filter(|value| range.contains(value))
}

impl SearchParams {
    /// From the query string's pairs, in any order; repeated keys add values.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
    ) -> Self {
        let mut params = SearchParams::default();
        for (key, value) in pairs {
            let value = value.as_ref();
            match key.as_ref() {
                "q" => params.text = value.trim().chars().take(MAX_TEXT_CHARS).collect(),
                "make" => push_unique(&mut params.makes, clean_value(value).map(|make| make.to_lowercase())),
                "model" => push_unique(&mut params.models, clean_value(value).map(|model| model.to_lowercase())),
                "body" => push_unique(&mut params.body_types, vocabulary::<BodyType>(value)),
                "fuel" => push_unique(&mut params.fuels, vocabulary::<Fuel>(value)),
                "trans" => push_unique(&mut params.transmissions, vocabulary::<Transmission>(value)),
                "cond" => push_unique(&mut params.conditions, vocabulary::<Condition>(value)),
                "color" => push_unique(&mut params.colors, clean_value(value).map(|color| color.to_lowercase())),
                "kw" => push_unique(&mut params.keywords, clean_value(value)),
                "price_min" => params.price_min = number(value, 0..=MAX_PRICE_PESOS),
                "price_max" => params.price_max = number(value, 0..=MAX_PRICE_PESOS),
                "year_min" => params.year_min = number(value, 1900..=2100),
                "year_max" => params.year_max = number(value, 1900..=2100),
                "km_max" => params.mileage_max = number(value, 0..=10_000_000),
                "city" => params.city = clean_value(value),
                "sort" => {
                    params.sort =
                        SORTS.iter().find(|sort| sort.eq_ignore_ascii_case(value.trim())).map(|sort| sort.to_string())
                }
                "after" => {
                    params.after =
                        Some(value.trim().to_string()).filter(|cursor| !cursor.is_empty() && cursor.len() <= 200)
                }
                _ => {}
            }
        }
        params
    }

    pub fn from_query(query: Option<&str>) -> Self {
        SearchParams::from_pairs(url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()))
    }

    pub fn is_empty(&self) -> bool {
        SearchParams { sort: None, after: None, ..self.clone() } == SearchParams::default()
    }

    /// The same search from its first page.
    pub fn first_page(&self) -> SearchParams {
        SearchParams { after: None, ..self.clone() }
    }

    /// The canonical query string (stable order), without the leading `?`.
    pub fn to_query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !self.text.is_empty() {
            query.append_pair("q", &self.text);
        }
        for (key, values) in [
            ("make", &self.makes),
            ("model", &self.models),
            ("body", &self.body_types),
            ("fuel", &self.fuels),
            ("trans", &self.transmissions),
            ("color", &self.colors),
            ("cond", &self.conditions),
            ("kw", &self.keywords),
        ] {
            for value in values {
                query.append_pair(key, value);
            }
        }
        for (key, value) in [
            ("price_min", self.price_min),
            ("price_max", self.price_max),
            ("year_min", self.year_min),
            ("year_max", self.year_max),
            ("km_max", self.mileage_max),
        ] {
            if let Some(value) = value {
                query.append_pair(key, &value.to_string());
            }
        }
        if let Some(city) = &self.city {
            query.append_pair("city", city);
        }
        if let Some(sort) = &self.sort {
            query.append_pair("sort", sort);
        }
        if let Some(after) = &self.after {
            query.append_pair("after", after);
        }
        query.finish()
    }

    /// `/` plus the query string.
    pub fn href(&self) -> String {
        let query = self.to_query();
        if query.is_empty() { "/".to_string() } else { format!("/?{query}") }
    }

    /// What was applied, as explicit filters without the text: removing a chip
    /// then widens exactly by that filter (the text would re-apply it).
    pub fn explicit(applied: &[Applied], sort: Option<String>) -> SearchParams {
        let mut params = SearchParams { sort, ..SearchParams::default() };
        for filter in applied {
            params.add(filter.clone());
        }
        params
    }

    pub fn add(&mut self, filter: Applied) {
        match filter {
            Applied::Make(value) => push_unique(&mut self.makes, Some(value)),
            Applied::Model(value) => push_unique(&mut self.models, Some(value)),
            Applied::BodyType(value) => push_unique(&mut self.body_types, Some(value)),
            Applied::Fuel(value) => push_unique(&mut self.fuels, Some(value)),
            Applied::Transmission(value) => push_unique(&mut self.transmissions, Some(value)),
            Applied::Color(value) => push_unique(&mut self.colors, Some(value)),
            Applied::Condition(value) => push_unique(&mut self.conditions, Some(value)),
            Applied::Keyword(value) => push_unique(&mut self.keywords, Some(value)),
            Applied::PriceMin(value) => self.price_min = Some(value),
            Applied::PriceMax(value) => self.price_max = Some(value),
            Applied::YearMin(value) => self.year_min = Some(value),
            Applied::YearMax(value) => self.year_max = Some(value),
            Applied::MileageMax(value) => self.mileage_max = Some(value),
            Applied::City(value) => self.city = Some(value),
        }
    }

    /// The explicit search of `applied` without one filter.
    pub fn without(applied: &[Applied], removed: &Applied, sort: Option<String>) -> SearchParams {
        let rest: Vec<Applied> = applied.iter().filter(|filter| *filter != removed).cloned().collect();
        SearchParams::explicit(&rest, sort)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_repeated_and_malformed_values_without_failing() {
        let params = SearchParams::from_query(Some(
            "q=camioneta+toyota&make=Toyota&make=honda&make=toyota&body=suv&body=spaceship&price_max=400,000&year_min=abc&sort=price_asc&after=xyz",
        ));
        assert_eq!(params.text, "camioneta toyota");
        assert_eq!(params.makes, vec!["toyota", "honda"]);
        assert_eq!(params.body_types, vec!["SUV"]);
        assert_eq!(params.price_max, Some(400_000));
        assert_eq!(params.year_min, None);
        assert_eq!(params.sort.as_deref(), Some("PRICE_ASC"));
        assert_eq!(params.after.as_deref(), Some("xyz"));
    }

    #[test]
    fn the_query_string_round_trips() {
        let params =
            SearchParams::from_query(Some("q=jetta+rojo&trans=AUTOMATIC&price_min=100000&city=Monterrey&kw=4x4"));
        let again = SearchParams::from_query(Some(&params.to_query()));
        assert_eq!(params, again);
        assert_eq!(SearchParams::default().href(), "/");
    }

    #[test]
    fn overlong_text_is_cut_and_values_are_capped() {
        let long = "a".repeat(10_000);
        let query = format!("q={long}&make={long}");
        let params = SearchParams::from_query(Some(&query));
        assert_eq!(params.text.chars().count(), MAX_TEXT_CHARS);
        assert!(params.makes.is_empty());
    }

    #[test]
    fn removing_a_chip_keeps_every_other_applied_filter_and_drops_the_text() {
        let applied = vec![
            Applied::Make("toyota".into()),
            Applied::BodyType("SUV".into()),
            Applied::Transmission("AUTOMATIC".into()),
            Applied::PriceMax(400_000),
        ];
        let widened = SearchParams::without(&applied, &Applied::Make("toyota".into()), None);
        assert!(widened.text.is_empty());
        assert!(widened.makes.is_empty());
        assert_eq!(widened.body_types, vec!["SUV"]);
        assert_eq!(widened.transmissions, vec!["AUTOMATIC"]);
        assert_eq!(widened.price_max, Some(400_000));
    }
}
