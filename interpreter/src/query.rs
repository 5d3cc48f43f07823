//! Rules + optional language model + cache: what `InterpretQuery` calls.

use super::cache::InterpretCache;
use super::model::{LanguageModel, LanguageModelConfig, LanguageModelError};
use super::rules::Interpreter;
use nds_common::breaker::Breaker;
use nds_common::vehicle::{SearchFilters, fold};
use std::sync::Arc;
use std::time::Duration;

/// Characters of a query considered; the rest is cut before anything runs.
pub const MAX_QUERY_CHARS: usize = 500;

/// Bumped whenever the rules or the merge change, so old cache entries die.
const CACHE_KEY_VERSION: &str = "interpret:v2";

/// Where an interpretation came from (for logs and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterpretationSource {
    Cache,
    /// The rules alone: no model configured, or the rules placed every word.
    Rules,
    /// The rules, completed by the model.
    RulesAndModel,
    /// The model was asked but failed (timeout, error, garbage): rules only,
    /// and not cached, so the next request asks again.
    RulesAfterModelFailure,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Interpretation {
    pub filters: SearchFilters,
    pub source: InterpretationSource,
}

/// Rule-based interpretation, completed by a language model when one is
/// configured, cached per normalised text and locale.
///
/// The model is asked only when the rules left words unplaced (keywords) or
/// understood nothing: it is for what the rules cannot place. Its answer fills
/// only the fields the rules left empty.
pub struct QueryInterpreter {
    rules: Arc<Interpreter>,
    model: Option<LanguageModel>,
    /// Open after the model timed out: until it closes, queries get the rules at
    /// once instead of each waiting out the model's timeout.
    model_breaker: Breaker,
    cache: Arc<dyn InterpretCache>,
}

/// How long a model that timed out is left alone.
const MODEL_PAUSE_AFTER_TIMEOUT: Duration = Duration::from_secs(30);

impl QueryInterpreter {
    pub fn new(
        rules: Arc<Interpreter>,
        model: Option<LanguageModelConfig>,
        cache: Arc<dyn InterpretCache>,
    ) -> Result<Self, LanguageModelError> {
        let model = model.map(|config| LanguageModel::new(&config)).transpose()?;
        Ok(QueryInterpreter { rules, model, model_breaker: Breaker::new(MODEL_PAUSE_AFTER_TIMEOUT), cache })
    }

    pub fn rules(&self) -> &Interpreter {
        &self.rules
    }

    pub async fn interpret(&self, text: &str, locale: Option<&str>) -> Interpretation {
        let text = truncate_chars(text, MAX_QUERY_CHARS);
        // The rules read the current year (relative ages, the latest model
        // year), so an answer is cached for the year it was computed in.
        let key = cache_key(text, locale, self.rules.current_year());
        if let Some(cached) = self.cache.get(&key).await {
            match serde_json::from_str::<SearchFilters>(&cached) {
                Ok(filters) => {
                    return Interpretation { filters, source: InterpretationSource::Cache };
                }
                Err(error) => {
                    tracing::warn!(error = %error, "discarding unreadable interpreted-query cache entry");
                }
            }
        }
        let rules_filters = self.rules.interpret(text, locale);
        let wants_model = !rules_filters.keywords.is_empty() || rules_filters.is_empty();
        let interpretation = match &self.model {
            Some(_) if wants_model && self.model_breaker.is_open() => {
                Interpretation { filters: rules_filters, source: InterpretationSource::RulesAfterModelFailure }
            }
            Some(model) if wants_model && !text.trim().is_empty() => {
                match model.interpret(text, locale, self.rules.max_year()).await {
                    Ok(model_filters) => Interpretation {
                        filters: rules_filters.fill_empty_from(model_filters),
                        source: InterpretationSource::RulesAndModel,
                    },
                    Err(error) => {
                        // Only a timeout pauses the model: refusals and garbage answer
                        // fast, so asking again costs nothing.
                        if matches!(error, LanguageModelError::Timeout(_)) {
                            self.model_breaker.record_failure();
                        }
                        tracing::warn!(error = %error, "language model failed, answering with the rules alone");
                        Interpretation { filters: rules_filters, source: InterpretationSource::RulesAfterModelFailure }
                    }
                }
            }
            _ => Interpretation { filters: rules_filters, source: InterpretationSource::Rules },
        };
        if interpretation.source != InterpretationSource::RulesAfterModelFailure {
            match serde_json::to_string(&interpretation.filters) {
                Ok(json) => self.cache.put(&key, json).await,
                Err(error) => tracing::warn!(error = %error, "cannot serialise interpreted filters"),
            }
        }
        interpretation
    }
}

/// The cache key: version, current year, folded locale, and the folded text
/// with its whitespace collapsed, so "Toyota  ROJO" and "toyota rojo" share
/// an entry and "menos de 5 años" asked next year does not.
pub fn cache_key(text: &str, locale: Option<&str>, current_year: i32) -> String {
    let locale = locale.map(fold).unwrap_or_default();
    let normalised = fold(truncate_chars(text, MAX_QUERY_CHARS)).split_whitespace().collect::<Vec<_>>().join(" ");
    format!("{CACHE_KEY_VERSION}:{current_year}:{}:{normalised}", locale.trim())
}

fn truncate_chars(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((index, _)) => &text[..index],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_key_normalises_case_accents_and_spaces() {
        assert_eq!(
            cache_key("  Toyota   ROJO automático ", Some("es"), 2026),
            cache_key("toyota rojo automatico", Some("ES"), 2026)
        );
        assert_ne!(cache_key("toyota", Some("es"), 2026), cache_key("toyota", Some("en"), 2026));
        assert_ne!(cache_key("toyota", None, 2026), cache_key("honda", None, 2026));
    }

    #[test]
    fn cache_key_changes_with_the_year() {
        assert_ne!(cache_key("menos de 5 años", Some("es"), 2026), cache_key("menos de 5 años", Some("es"), 2027));
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate_chars("ñañaña", 3), "ñañ");
        assert_eq!(truncate_chars("abc", 10), "abc");
    }
}
