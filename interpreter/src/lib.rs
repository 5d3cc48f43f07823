//! Understanding a buyer's words: free text (English or Spanish) to
//! [`SearchFilters`](nds_common::vehicle::SearchFilters).
//!
//! - [`Interpreter`]: the deterministic rule-based interpreter, always
//!   available and the fallback (its rules are documented on the type).
//! - [`LanguageModel`]: the optional OpenAI-compatible model path, validated
//!   against the vocabulary.
//! - [`QueryInterpreter`]: rules + model + cache, what `InterpretQuery` calls.
//! - [`evaluation`]: the labelled set and its scoring.
//!
//! Domain logic only: no transport types here.

mod cache;
mod clock;
pub mod evaluation;
mod lexicon;
mod model;
mod query;
mod rules;
mod tokens;
mod typo;

pub use cache::{InProcessInterpretCache, InterpretCache, NoInterpretCache};
pub use clock::{Clock, FixedClock, SystemClock};
pub use model::{LanguageModel, LanguageModelConfig, LanguageModelError, parse_answer, system_prompt};
pub use query::{Interpretation, InterpretationSource, MAX_QUERY_CHARS, QueryInterpreter, cache_key};
pub use rules::Interpreter;

#[cfg(test)]
mod tests;
