//! The optional language-model path: any OpenAI-compatible chat-completions
//! endpoint (OpenAI, Ollama, vLLM, llama.cpp) asked for the same filters,
//! with an answer validated against the vocabulary.

use nds_common::vehicle::{
    BodyType, COLORS, Condition, Fuel, SearchFilters, SearchSort, Transmission, canonical_city, canonical_color,
    canonical_make, canonical_model,
};
use openai_api_rs::v1::api::OpenAIClient;
use openai_api_rs::v1::chat_completion::chat_completion::ChatCompletionRequest;
use openai_api_rs::v1::chat_completion::{ChatCompletionMessage, Content, MessageRole};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Where and how to reach the model. Passed in by the service config; this
/// module reads no environment.
#[derive(Clone)]
pub struct LanguageModelConfig {
    /// OpenAI-compatible API base, e.g. `https://api.openai.com/v1` or
    /// `http://127.0.0.1:11434/v1` (the client appends `/chat/completions`).
    pub base_url: String,
    pub api_key: String,
    pub model: String,
    /// Whole-request deadline; past it the rules answer alone.
    pub timeout: Duration,
}

impl fmt::Debug for LanguageModelConfig {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("LanguageModelConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &"***")
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why the model gave no usable answer. Every one of them means "rules only".
#[derive(Debug, thiserror::Error)]
pub enum LanguageModelError {
    #[error("cannot build the language model client: {0}")]
    Client(String),
    #[error("language model request failed: {0}")]
    Request(String),
    #[error("language model timed out after {0:?}")]
    Timeout(Duration),
    #[error("language model answer has no content")]
    EmptyAnswer,
    #[error("language model answer is not a JSON object: {0}")]
    InvalidAnswer(String),
}

/// A configured model client.
pub struct LanguageModel {
    client: OpenAIClient,
    model: String,
    timeout: Duration,
}

impl LanguageModel {
    pub fn new(config: &LanguageModelConfig) -> Result<Self, LanguageModelError> {
        // The client's own timeout (whole seconds) is only a backstop for the
        // connection; the strict deadline is `tokio::time::timeout` below.
        let backstop_seconds = config.timeout.as_secs().saturating_add(1);
        let client = OpenAIClient::builder()
            .with_endpoint(config.base_url.trim_end_matches('/'))
            .with_api_key(config.api_key.clone())
            .with_timeout(backstop_seconds)
            .build()
            .map_err(|error| LanguageModelError::Client(error.to_string()))?;
        Ok(LanguageModel { client, model: config.model.clone(), timeout: config.timeout })
    }

    /// Asks the model, within the timeout, and validates its answer;
    /// `max_year` is the latest model year accepted (next year, read from
    /// the interpreter's clock per query so it moves at New Year).
    #[tracing::instrument(
        target = "nds_trace",
        name = "llm.chat_completion",
        skip_all,
        fields(otel.kind = "client", gen_ai.operation.name = "chat", gen_ai.request.model = %self.model)
    )]
    pub async fn interpret(
        &self,
        text: &str,
        locale: Option<&str>,
        max_year: i32,
    ) -> Result<SearchFilters, LanguageModelError> {
        let user_message = match locale {
            Some(locale) => format!("locale: {locale}\nquery: {text}"),
            None => format!("query: {text}"),
        };
        let request = ChatCompletionRequest::new(
            self.model.clone(),
            vec![message(MessageRole::system, system_prompt(max_year)), message(MessageRole::user, user_message)],
        )
        .temperature(0.0)
        .max_tokens(400);
        let response = tokio::time::timeout(self.timeout, self.client.chat_completion(request))
            .await
            .map_err(|_| LanguageModelError::Timeout(self.timeout))?
            .map_err(|error| LanguageModelError::Request(error.to_string()))?;
        let content = response
            .inner
            .choices
            .into_iter()
            .next()
            .and_then(|choice| choice.message.content)
            .ok_or(LanguageModelError::EmptyAnswer)?;
        parse_answer(&content, max_year)
    }
}

fn message(role: MessageRole, text: String) -> ChatCompletionMessage {
    ChatCompletionMessage { role, content: Content::Text(text), name: None, tool_calls: None, tool_call_id: None }
}

fn names<T: Copy>(all: &[T], name: fn(&T) -> &'static str) -> String {
    all.iter().map(name).collect::<Vec<_>>().join(", ")
}

/// The instructions: every field, its unit and its allowed values.
pub fn system_prompt(max_year: i32) -> String {
    let colors = COLORS.iter().map(|color| color.name).collect::<Vec<_>>().join(", ");
    format!(
        "You turn a buyer's car search (Spanish or English, Mexico) into search filters.\n\
         Answer with ONE JSON object and nothing else. Leave out any field the text does not state.\n\
         Fields:\n\
         - makes: array of lower-case car makes (e.g. \"toyota\", \"mercedes-benz\")\n\
         - models: array of lower-case model names (e.g. \"corolla\", \"cr-v\")\n\
         - year_min, year_max: integers from 1950 to {max_year}\n\
         - price_min, price_max: integers, whole Mexican pesos\n\
         - mileage_max: integer, kilometres\n\
         - body_types: array of {bodies}\n\
         - fuels: array of {fuels}\n\
         - transmissions: array of {transmissions}\n\
         - conditions: array of {conditions}\n\
         - colors: array of {colors}\n\
         - city: a Mexican city name\n\
         - sort: one of {sorts}\n\
         Example: {{\"makes\":[\"honda\"],\"body_types\":[\"SUV\"],\"price_max\":350000}}",
        bodies = names(BodyType::ALL, BodyType::as_str),
        fuels = names(Fuel::ALL, Fuel::as_str),
        transmissions = names(Transmission::ALL, Transmission::as_str),
        conditions = names(Condition::ALL, Condition::as_str),
        sorts = names(SearchSort::ALL, SearchSort::as_str),
    )
}

/// Reads the model's answer: the outermost JSON object in the content
/// (tolerating code fences or a sentence around it), every value checked
/// against the vocabulary; anything unknown or out of range is dropped.
/// Prices come in whole pesos and leave in centavos. Keywords are not taken
/// from the model: they stay the rules' own.
pub fn parse_answer(content: &str, max_year: i32) -> Result<SearchFilters, LanguageModelError> {
    let object = match (content.find('{'), content.rfind('}')) {
        (Some(start), Some(end)) if start < end => &content[start..=end],
        _ => return Err(LanguageModelError::InvalidAnswer(truncate(content))),
    };
    let value: Value =
        serde_json::from_str(object).map_err(|error| LanguageModelError::InvalidAnswer(error.to_string()))?;
    let Value::Object(fields) = value else {
        return Err(LanguageModelError::InvalidAnswer(truncate(content)));
    };
    let mut filters = SearchFilters::default();
    for make in strings(&fields, "makes") {
        if let Some(canonical) = canonical_make(&make) {
            push_unique(&mut filters.makes, canonical.to_owned());
        }
    }
    for model in strings(&fields, "models") {
        let resolved = filters
            .makes
            .iter()
            .find_map(|make| canonical_model(Some(make), &model))
            .or_else(|| canonical_model(None, &model));
        if let Some((make, model)) = resolved {
            push_unique(&mut filters.models, model.to_owned());
            push_unique(&mut filters.makes, make.to_owned());
        }
    }
    let valid_year = |year: i64| (1950..=i64::from(max_year)).contains(&year);
    filters.year_min =
        integer(&fields, "year_min").filter(|year| valid_year(*year)).and_then(|year| i32::try_from(year).ok());
    filters.year_max =
        integer(&fields, "year_max").filter(|year| valid_year(*year)).and_then(|year| i32::try_from(year).ok());
    if let (Some(min), Some(max)) = (filters.year_min, filters.year_max)
        && min > max
    {
        filters.year_min = None;
        filters.year_max = None;
    }
    let pesos_to_centavos = |pesos: i64| pesos.checked_mul(100).filter(|centavos| *centavos > 0);
    filters.price_min = integer(&fields, "price_min").and_then(pesos_to_centavos);
    filters.price_max = integer(&fields, "price_max").and_then(pesos_to_centavos);
    if let (Some(min), Some(max)) = (filters.price_min, filters.price_max)
        && min > max
    {
        filters.price_min = None;
        filters.price_max = None;
    }
    filters.mileage_max = integer(&fields, "mileage_max").filter(|km| *km > 0);
    filters.body_types = enums(&fields, "body_types");
    filters.fuels = enums(&fields, "fuels");
    filters.transmissions = enums(&fields, "transmissions");
    filters.conditions = enums(&fields, "conditions");
    for color in strings(&fields, "colors") {
        if let Some(canonical) = canonical_color(&color) {
            push_unique(&mut filters.colors, canonical.to_owned());
        }
    }
    filters.city =
        strings(&fields, "city").first().and_then(|city| canonical_city(city)).map(|(city, _state)| city.to_owned());
    filters.sort = strings(&fields, "sort").first().and_then(|sort| SearchSort::from_str(&enum_name(sort)).ok());
    Ok(filters)
}

/// The field under its snake_case name, or the camelCase one of the GraphQL
/// contract, which models tend to copy.
fn field<'a>(fields: &'a Map<String, Value>, snake_case: &str) -> Option<&'a Value> {
    fields.get(snake_case).or_else(|| fields.get(&nds_common::error::graphql_field_name(snake_case)))
}

/// A string or an array of strings; anything else is ignored.
fn strings(fields: &Map<String, Value>, name: &str) -> Vec<String> {
    match field(fields, name) {
        Some(Value::String(text)) => vec![text.clone()],
        Some(Value::Array(items)) => {
            items.iter().filter_map(|item| item.as_str().map(str::to_owned)).take(20).collect()
        }
        _ => Vec::new(),
    }
}

/// An integer, also when written as a float or a numeric string.
fn integer(fields: &Map<String, Value>, name: &str) -> Option<i64> {
    match field(fields, name)? {
        Value::Number(number) => number.as_i64().or_else(|| {
            number.as_f64().filter(|value| value.is_finite() && value.abs() < 1e15).map(|value| value.round() as i64)
        }),
        Value::String(text) => text.trim().replace([',', '_'], "").parse::<i64>().ok(),
        _ => None,
    }
}

fn enum_name(text: &str) -> String {
    text.trim().to_ascii_uppercase().replace(['-', ' '], "_")
}

fn enums<T: FromStr + PartialEq>(fields: &Map<String, Value>, name: &str) -> Vec<T> {
    let mut values = Vec::new();
    for text in strings(fields, name) {
        if let Ok(value) = enum_name(&text).parse::<T>() {
            push_unique(&mut values, value);
        }
    }
    values
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, value: T) {
    if !list.contains(&value) {
        list.push(value);
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_is_validated_against_the_vocabulary() {
        let answer = r#"Sure! ```json
        {"makes":["Toyota","tatra"],"models":["rav4"],"body_types":["suv","SPACESHIP"],
         "fuels":["plug-in hybrid"],"colors":["Rojo","octarine"],"price_max":350000,
         "yearMin":2019,"year_max":3000,"city":"gdl","sort":"price_asc","keywords":["x"]}
        ```"#;
        let filters = parse_answer(answer, 2027).unwrap();
        assert_eq!(filters.makes, vec!["toyota".to_owned()]);
        assert_eq!(filters.models, vec!["rav4".to_owned()]);
        assert_eq!(filters.body_types, vec![BodyType::Suv]);
        assert_eq!(filters.fuels, vec![Fuel::PlugInHybrid]);
        assert_eq!(filters.colors, vec!["red".to_owned()]);
        assert_eq!(filters.price_max, Some(35_000_000));
        assert_eq!(filters.year_min, Some(2019));
        assert_eq!(filters.year_max, None);
        assert_eq!(filters.city.as_deref(), Some("Guadalajara"));
        assert_eq!(filters.sort, Some(SearchSort::PriceAsc));
        assert!(filters.keywords.is_empty());
    }

    #[test]
    fn non_json_answers_are_errors() {
        assert!(parse_answer("I think you want a Honda.", 2027).is_err());
        assert!(parse_answer("{not json}", 2027).is_err());
        assert!(parse_answer("", 2027).is_err());
    }

    #[test]
    fn inverted_ranges_are_dropped() {
        let filters =
            parse_answer(r#"{"price_min":500000,"price_max":100000,"year_min":2020,"year_max":2010}"#, 2027).unwrap();
        assert_eq!(filters, SearchFilters::default());
    }

    #[test]
    fn prompt_lists_every_allowed_value() {
        let prompt = system_prompt(2027);
        for name in ["PLUG_IN_HYBRID", "MINIVAN", "CERTIFIED", "MILEAGE_ASC", "burgundy", "2027"] {
            assert!(prompt.contains(name), "{name}");
        }
    }

    #[test]
    fn config_debug_masks_the_key() {
        let config = LanguageModelConfig {
            base_url: "http://127.0.0.1:1/v1".into(),
            api_key: "sk-secret".into(),
            model: "m".into(),
            timeout: Duration::from_millis(10),
        };
        assert!(!format!("{config:?}").contains("sk-secret"));
    }
}
