//! The rule-based interpreter: deterministic, offline, English and Spanish.
//!
//! `Interpreter::interpret` tokenizes the text (rule 1 of [`Interpreter`],
//! in `crate::tokens`), then runs the passes in this order:
//! 1. `tables`: the phrase tables, built once by `with_clock`, and the match
//!    of each query's tokens to their phrases, with the plural and typo
//!    fallbacks (rule 2).
//! 2. `quantities`: numbers with their multipliers and units, then ranges
//!    and lone quantities with their comparators (rules 3-4).
//! 3. `disambiguation`: everything else the tables know, with the guards
//!    against ordinary words (rule 5).
//! 4. `state`: the per-query parse state the passes share; its
//!    `collect_keywords` is the last pass (rule 6).

mod disambiguation;
mod quantities;
mod state;
mod tables;

#[cfg(test)]
pub(crate) use state::WORK;

use super::clock::{Clock, FixedClock, SystemClock};
use super::tokens::tokenize;
use chrono::Datelike;
use nds_common::vehicle::{SearchFilters, fold};
use state::State;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tables::{Meaning, TypoTarget};

/// The rule-based interpreter. Build it once (it precompiles its tables,
/// a few milliseconds) and share it: `interpret` takes `&self` and allocates
/// only per query.
///
/// The rules, in the order they apply:
/// 1. The text is folded (lower case, no accents) and split into tokens;
///    "cr-v", "f-150", "1.5", "40,000" stay whole, "2018-2021" is a range.
/// 2. The longest phrase of the tables starting at each token wins (up to
///    five tokens): "mini van" is MINIVAN before "mini" can be a make,
///    "mas barato que" is a comparator before "mas barato" is a sort,
///    "nuevo leon" is a place before "nuevo" is NEW. A word of five letters
///    or more that matches nothing is compared with the makes, models and
///    cities at edit distance 1 (2 from eight letters), unless it is a stop
///    word, a listed ordinary word ("audio" never becomes "audi") or a trim
///    or drivetrain word ("xdrive" never becomes "v-drive"); an ambiguous
///    best match is dropped. A word still unplaced is then compared with
///    every model of a make written in the query, ordinary-word models
///    included, from four letters ("nissan kiks", "nissan fronteir").
/// 3. Numbers are read with what follows them: `k`, `mil`, `thousand`,
///    `millones` multiply; `pesos`/`$` mark a price; `km` and `millas`/
///    `miles` a mileage (miles converted to km). A bare four-digit integer
///    from 1950 to next year is a model year; other numbers from 1000 up, or
///    with a multiplier, are prices; smaller bare numbers are keywords.
///    A number followed by "años"/"years" (and "old", "de antigüedad", "de
///    uso") is an age.
/// 4. Two quantities joined by "and/to/y/a/al/hasta/-" are a range (the
///    first borrows the second's multiplier: "entre 200 y 300 mil"). A lone
///    quantity takes the comparator written before or after it. Years:
///    "newer than 2018" → from 2019, "2018 or newer" → from 2018, "older
///    than 2010" → up to 2009, a single year → exactly that year. Prices:
///    "under/hasta/menos de X" → max X, "over/desde/más de X" → min X, a bare
///    amount is a budget (max), "around X" is ±10%. Mileage is a maximum;
///    "0 km" means NEW. Ages count back from the current year of the clock:
///    "less than N years" → from year − N + 1, "no more than N years" → from
///    year − N, "more than N years old" → up to year − N − 1; a bare age says
///    nothing.
/// 5. Makes, models, body types, fuels, transmissions, conditions, colours,
///    cities and sorts apply, with these guards against ordinary words:
///    a model implies its make; models that are ordinary words ("golf",
///    "escape", "fiesta", "leon") count only with their make in the query or
///    a model year or trim word next to them; the makes "seat", "ram", "mini"
///    are blocked by neighbours that show the ordinary word ("3rd row seat",
///    "16gb ram"); attribute words are blocked by theirs ("electric windows",
///    "clima automático", "like new"); weak colour words ("vino", "rosa",
///    "café", and "red" when the locale is Spanish, where it means network)
///    need "color" before them or a car word beside them. The first explicit
///    sort wins ("cheapest", "high to low"); "sorted by price" / "ordenar
///    por año" apply only without one, turned by "de mayor a menor".
/// 6. Every other token that is not a stop word becomes a keyword.
pub struct Interpreter {
    phrases: HashMap<String, Vec<Meaning>>,
    max_phrase_tokens: usize,
    typo_targets: Vec<TypoTarget>,
    not_typos: HashSet<&'static str>,
    multipliers: HashMap<&'static str, f64>,
    number_words: HashMap<&'static str, f64>,
    ambiguous_makes: HashMap<&'static str, (&'static [&'static str], &'static [&'static str])>,
    blocked: HashMap<&'static str, (&'static [&'static str], &'static [&'static str])>,
    trim_words: HashSet<&'static str>,
    /// Per make, its models as typo targets (ordinary-word models included).
    models_of_make: HashMap<&'static str, Vec<TypoTarget>>,
    clock: Arc<dyn Clock>,
}

impl Default for Interpreter {
    fn default() -> Self {
        Self::new()
    }
}

impl Interpreter {
    /// Builds the tables on the real clock; the latest accepted model year is
    /// next year.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }

    /// Builds the tables for a fixed current year (tests and replays).
    pub fn with_current_year(current_year: i32) -> Self {
        Self::with_clock(Arc::new(FixedClock::in_year(current_year)))
    }

    /// Builds the tables; every query reads the current year from `clock`.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self::build_tables(clock)
    }

    /// The current year of the clock.
    pub fn current_year(&self) -> i32 {
        self.clock.today().year()
    }

    /// The latest model year a bare number may mean (next year).
    pub fn max_year(&self) -> i32 {
        self.current_year() + 1
    }

    /// Interprets one query. `locale` ("es", "es-MX", "en") only breaks ties
    /// for words that mean different things in the two languages.
    pub fn interpret(&self, text: &str, locale: Option<&str>) -> SearchFilters {
        let spanish = locale.is_some_and(|locale| fold(locale).starts_with("es"));
        let tokens = tokenize(text);
        let mut spans = self.match_phrases(&tokens);
        self.match_models_of_written_makes(&tokens, &mut spans);
        let mut span_at: Vec<Option<usize>> = vec![None; tokens.len()];
        for (index, span) in spans.iter().enumerate() {
            for slot in &mut span_at[span.start..span.end()] {
                *slot = Some(index);
            }
        }
        let mut state = State {
            tokens: &tokens,
            spans: &spans,
            span_at,
            token_used: vec![false; tokens.len()],
            span_used: vec![false; spans.len()],
            filters: SearchFilters::default(),
            current_year: self.current_year(),
        };
        let quantities = self.read_quantities(&mut state);
        self.apply_quantities(&mut state, &quantities);
        self.apply_vocabulary(&mut state, spanish);
        state.collect_keywords();
        state.filters
    }
}
