//! The rule-based interpreter: deterministic, offline, English and Spanish.

use super::clock::{Clock, FixedClock, SystemClock};
use super::lexicon::{
    self, AMBIGUOUS_MAKES, AMBIGUOUS_MODELS, BLOCKED_BY_NEIGHBOURS, Bound, Comparator, Hint, SortDirection,
};
use super::tokens::{Number, Token, TokenKind, Unit, tokenize};
use super::typo::{allowed_edits, bounded_distance};
use chrono::Datelike;
use nds_common::vehicle::{
    BodyType, CITIES, Condition, Fuel, MAKES, SearchFilters, SearchSort, Transmission, compact_key, fold,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The earliest model year a bare number can mean.
const FIRST_YEAR: i32 = 1950;
const KILOMETRES_PER_MILE: f64 = 1.609_344;
/// Longest accepted amount, in major units: beyond it a number is noise.
const MAX_AMOUNT: f64 = 1e11;
/// The oldest age in years read as one ("2018 años" is no age).
const MAX_AGE: f64 = 100.0;

/// What a phrase of the query can mean.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Meaning {
    Make {
        make: &'static str,
        ambiguous: bool,
    },
    Model {
        make: &'static str,
        model: &'static str,
        ambiguous: bool,
    },
    Body(BodyType),
    Fuel(Fuel),
    Transmission(Transmission),
    Condition(Condition),
    Color {
        color: &'static str,
        weak: bool,
    },
    City(&'static str),
    Sort(SearchSort),
    /// "sorted by price", "ordenar por año": the field, in its usual
    /// direction, unless a direction word or an explicit sort says otherwise.
    SortBy(SearchSort),
    /// "de mayor a menor", "descending": turns a `SortBy`.
    SortDirection(SortDirection),
    Comparator(Comparator),
    Keyword(&'static str),
    Stop,
}

impl Meaning {
    /// Meanings a plural ("camionetas", "rojos", "usados") may carry.
    fn is_attribute(&self) -> bool {
        matches!(
            self,
            Meaning::Body(_)
                | Meaning::Fuel(_)
                | Meaning::Transmission(_)
                | Meaning::Condition(_)
                | Meaning::Color { .. }
                | Meaning::Sort(_)
        )
    }

    fn is_vehicle(&self) -> bool {
        matches!(self, Meaning::Make { .. } | Meaning::Model { .. } | Meaning::Body(_))
    }
}

/// A run of tokens matched to a phrase of the tables.
#[derive(Debug)]
struct Span<'a> {
    start: usize,
    len: usize,
    /// The table key matched (after plural folding), for neighbour rules.
    key: String,
    meanings: &'a [Meaning],
}

impl Span<'_> {
    fn end(&self) -> usize {
        self.start + self.len
    }

    fn only_stop(&self) -> bool {
        self.meanings.iter().all(|meaning| *meaning == Meaning::Stop)
    }

    fn comparator(&self) -> Option<Comparator> {
        self.meanings.iter().find_map(|meaning| match meaning {
            Meaning::Comparator(comparator) => Some(*comparator),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Year,
    Money,
    Mileage,
    /// An age in years ("menos de 5 años", "3 years old"), counted back from
    /// the current year.
    Age,
    Plain,
}

/// A number with its multiplier and unit, spanning tokens `start..end`.
#[derive(Debug, Clone, Copy)]
struct Quantity {
    /// As written before any multiplier or unit conversion.
    written: f64,
    /// Multiplier times unit conversion: `value = written * scale`.
    scale: f64,
    class: Class,
    start: usize,
    end: usize,
}

impl Quantity {
    fn value(&self) -> f64 {
        self.written * self.scale
    }
}

struct TypoTarget {
    key: Vec<u8>,
    meanings: [Meaning; 1],
}

/// The shortest word compared with the models of a make written in the same
/// query ("nissan kiks"): one edit from four letters, like `allowed_edits`
/// from five.
const MIN_MODEL_TYPO_LEN: usize = 4;

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
        let mut builder = TableBuilder::default();
        let ambiguous_models: HashSet<&str> = AMBIGUOUS_MODELS.iter().copied().collect();
        let ambiguous_make_names: HashSet<&str> = AMBIGUOUS_MAKES.iter().map(|(name, _, _)| *name).collect();
        let mut models_of_make: HashMap<&'static str, Vec<TypoTarget>> = HashMap::new();

        for make_info in MAKES {
            let make_meaning =
                Meaning::Make { make: make_info.name, ambiguous: ambiguous_make_names.contains(make_info.name) };
            for name in std::iter::once(&make_info.name).chain(make_info.aliases) {
                builder.add(name, make_meaning);
            }
            for model_info in make_info.models {
                // Ambiguity belongs to the name: "beetle" is an insect, "vocho" is the car.
                let model_meaning = |name: &str| Meaning::Model {
                    make: make_info.name,
                    model: model_info.name,
                    ambiguous: ambiguous_models.contains(name),
                };
                // Written after its make, no model is ambiguous ("ford escape").
                let with_make = Meaning::Model { make: make_info.name, model: model_info.name, ambiguous: false };
                for name in std::iter::once(&model_info.name).chain(model_info.aliases) {
                    let key = compact_key(name);
                    if key.len() >= MIN_MODEL_TYPO_LEN && key.bytes().any(|byte| byte.is_ascii_lowercase()) {
                        models_of_make
                            .entry(make_info.name)
                            .or_default()
                            .push(TypoTarget { key: key.into_bytes(), meanings: [with_make] });
                    }
                    if name.chars().all(|character| character.is_ascii_digit()) {
                        // "2008", "1500", "500": only right after the make, so
                        // they never eat a year or a price.
                        builder.add(&format!("{} {name}", make_info.name), with_make);
                        for make_alias in make_info.aliases {
                            builder.add(&format!("{make_alias} {name}"), with_make);
                        }
                    } else {
                        builder.add(name, model_meaning(name));
                        // "mazda 3" for "mazda3", "seat leon", "ford escape".
                        builder.add(&format!("{} {name}", make_info.name), with_make);
                    }
                }
            }
        }
        for city_info in CITIES {
            for name in std::iter::once(&city_info.name).chain(city_info.aliases) {
                builder.add(name, Meaning::City(city_info.name));
            }
        }
        for color in nds_common::vehicle::COLORS {
            for name in color.names {
                let weak = lexicon::WEAK_COLOR_WORDS.contains(name);
                builder.add(name, Meaning::Color { color: color.name, weak });
            }
        }
        for (phrase, keyword) in lexicon::FIXED_KEYWORDS {
            builder.add(phrase, Meaning::Keyword(keyword));
        }
        for (phrase, body) in lexicon::BODY_TYPES {
            builder.add(phrase, Meaning::Body(*body));
        }
        for (phrase, fuel) in lexicon::FUELS {
            builder.add(phrase, Meaning::Fuel(*fuel));
        }
        for (phrase, transmission) in lexicon::TRANSMISSIONS {
            builder.add(phrase, Meaning::Transmission(*transmission));
        }
        for (phrase, condition) in lexicon::CONDITIONS {
            builder.add(phrase, Meaning::Condition(*condition));
        }
        for (phrase, sort) in lexicon::SORTS {
            builder.add(phrase, Meaning::Sort(*sort));
        }
        for verb in lexicon::SORT_VERBS {
            for (field, sort) in lexicon::SORT_FIELDS {
                builder.add(&format!("{verb} {field}"), Meaning::SortBy(*sort));
            }
        }
        for (phrase, direction) in lexicon::SORT_DIRECTIONS {
            builder.add(phrase, Meaning::SortDirection(*direction));
        }
        for (phrase, comparator) in lexicon::COMPARATORS {
            builder.add(phrase, Meaning::Comparator(*comparator));
        }
        for word in lexicon::STOP_WORDS {
            builder.add(word, Meaning::Stop);
        }

        let mut typo_targets = Vec::new();
        let mut seen_targets = HashSet::new();
        for (key, meanings) in &builder.phrases {
            if key.contains(' ') || key.len() < 5 || !key.bytes().all(|byte| byte.is_ascii_lowercase()) {
                continue;
            }
            for meaning in meanings {
                let eligible = match meaning {
                    Meaning::Make { ambiguous, .. } | Meaning::Model { ambiguous, .. } => !ambiguous,
                    Meaning::City(_) => meanings.len() == 1,
                    _ => false,
                };
                if eligible && seen_targets.insert((key.clone(), format!("{meaning:?}"))) {
                    typo_targets.push(TypoTarget { key: key.as_bytes().to_vec(), meanings: [*meaning] });
                }
            }
        }
        typo_targets.sort_by(|left, right| left.key.cmp(&right.key));

        Interpreter {
            max_phrase_tokens: builder.max_tokens,
            phrases: builder.phrases,
            typo_targets,
            not_typos: lexicon::NOT_TYPOS.iter().copied().collect(),
            multipliers: lexicon::MULTIPLIERS.iter().copied().collect(),
            number_words: lexicon::NUMBER_WORDS.iter().copied().collect(),
            ambiguous_makes: AMBIGUOUS_MAKES.iter().map(|(name, before, after)| (*name, (*before, *after))).collect(),
            blocked: BLOCKED_BY_NEIGHBOURS.iter().map(|(name, before, after)| (*name, (*before, *after))).collect(),
            trim_words: lexicon::TRIM_WORDS.iter().copied().collect(),
            models_of_make,
            clock,
        }
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

    /// Greedy longest match, left to right; then plural and typo fallbacks
    /// for single words that matched nothing.
    fn match_phrases<'a>(&'a self, tokens: &[Token]) -> Vec<Span<'a>> {
        let mut spans = Vec::new();
        let mut key = String::with_capacity(64);
        let mut index = 0;
        while index < tokens.len() {
            if tokens[index].key.is_empty() {
                index += 1;
                continue;
            }
            key.clear();
            let mut best: Option<(usize, usize, &'a [Meaning])> = None;
            for length in 1..=self.max_phrase_tokens.min(tokens.len() - index) {
                let token = &tokens[index + length - 1];
                if token.key.is_empty() {
                    break;
                }
                if length > 1 {
                    key.push(' ');
                }
                key.push_str(&token.key);
                count_work(1);
                if let Some(meanings) = self.phrases.get(key.as_str()) {
                    best = Some((length, key.len(), meanings.as_slice()));
                }
            }
            if let Some((length, key_length, meanings)) = best {
                spans.push(Span { start: index, len: length, key: key[..key_length].to_owned(), meanings });
                index += length;
                continue;
            }
            let token = &tokens[index];
            if token.kind == TokenKind::Word {
                if let Some((singular, meanings)) = self.plural_of(&token.key) {
                    spans.push(Span { start: index, len: 1, key: singular, meanings });
                } else if let Some(meanings) = self.typo_of(&token.key) {
                    spans.push(Span { start: index, len: 1, key: token.key.clone(), meanings });
                }
            }
            index += 1;
        }
        spans
    }

    /// Words no table placed, compared with the models of the makes written in
    /// the query: with its make beside it a model is certainly meant, so
    /// ordinary-word models ("frontier", "tracker") and four-letter words
    /// ("kiks") may be corrected too. Trim words never are.
    fn match_models_of_written_makes<'a>(&'a self, tokens: &[Token], spans: &mut Vec<Span<'a>>) {
        let mut makes: Vec<&'static str> = Vec::new();
        for span in spans.iter() {
            for meaning in span.meanings {
                if let Meaning::Make { make, ambiguous: false } | Meaning::Model { make, ambiguous: false, .. } =
                    meaning
                    && !makes.contains(make)
                {
                    makes.push(*make);
                }
            }
        }
        if makes.is_empty() {
            return;
        }
        let mut covered = vec![false; tokens.len()];
        for span in spans.iter() {
            for slot in &mut covered[span.start..span.end()] {
                *slot = true;
            }
        }
        let mut added = false;
        for (index, token) in tokens.iter().enumerate() {
            if covered[index] || token.kind != TokenKind::Word || !self.may_be_corrected(&token.key) {
                continue;
            }
            let limit = allowed_edits(token.key.len()).max(1);
            let targets = makes.iter().filter_map(|make| self.models_of_make.get(make)).flatten();
            if let Some(meanings) = unique_nearest(token.key.as_bytes(), limit, targets) {
                spans.push(Span { start: index, len: 1, key: token.key.clone(), meanings });
                added = true;
            }
        }
        if added {
            spans.sort_by_key(|span| span.start);
        }
    }

    /// Not a word the tables keep as it is: a stop word, a listed ordinary
    /// word, a trim or drivetrain word ("xdrive", "quattro", "gli").
    fn may_be_corrected(&self, key: &str) -> bool {
        key.len() >= MIN_MODEL_TYPO_LEN
            && key.bytes().all(|byte| byte.is_ascii_alphanumeric())
            && key.bytes().any(|byte| byte.is_ascii_lowercase())
            && !self.not_typos.contains(key)
            && !self.trim_words.contains(key)
    }

    /// "camionetas" → "camioneta", "sedanes" → "sedan": attribute words only.
    fn plural_of(&self, key: &str) -> Option<(String, &[Meaning])> {
        for suffix in ["s", "es"] {
            let Some(singular) = key.strip_suffix(suffix) else {
                continue;
            };
            if singular.len() < 2 {
                continue;
            }
            if let Some(meanings) = self.phrases.get(singular)
                && meanings.iter().any(Meaning::is_attribute)
            {
                return Some((singular.to_owned(), meanings.as_slice()));
            }
        }
        None
    }

    /// The single make, model or city within the allowed edit distance.
    fn typo_of(&self, key: &str) -> Option<&[Meaning]> {
        let limit = allowed_edits(key.len());
        if limit == 0 || !key.bytes().all(|byte| byte.is_ascii_lowercase()) || !self.may_be_corrected(key) {
            return None;
        }
        unique_nearest(key.as_bytes(), limit, &self.typo_targets)
    }

    fn multiplier(&self, token: &Token) -> Option<f64> {
        self.multipliers.get(token.key.as_str()).copied()
    }

    /// Step 3: numbers with their multipliers and units.
    fn read_quantities(&self, state: &mut State<'_, '_>) -> Vec<Quantity> {
        let tokens = state.tokens;
        let mut quantities = Vec::new();
        let mut index = 0;
        while index < tokens.len() {
            if !state.is_free(index) {
                index += 1;
                continue;
            }
            let token = &tokens[index];
            let next_is_multiplier =
                tokens.get(index + 1).is_some_and(|next| state.is_free(index + 1) && self.multiplier(next).is_some());
            let next_is_age = age_words_end(state, index + 1).is_some();
            let (written, number) = match token.number() {
                Some(number) => (number.value, Some(number)),
                None => match self.number_words.get(token.key.as_str()) {
                    // "cinco años", "a year old": spelled-out ages.
                    Some(value) if next_is_multiplier || next_is_age => (*value, None),
                    _ => {
                        index += 1;
                        continue;
                    }
                },
            };
            let mut scale = number.and_then(|number| number.multiplier).unwrap_or(1.0);
            let mut multiplied = number.is_some_and(|number| number.multiplier.is_some());
            let mut unit = number.and_then(|number| number.unit);
            let dollar = number.is_some_and(|number| number.dollar);
            let mut end = index + 1;
            if number.is_none_or(|number| number.is_bare_integer() && number.value <= MAX_AGE)
                && let Some(age_end) = age_words_end(state, end)
            {
                quantities.push(Quantity { written, scale: 1.0, class: Class::Age, start: index, end: age_end });
                index = age_end;
                continue;
            }
            while end < tokens.len() && state.is_free(end) {
                let Some(multiplier) = self.multiplier(&tokens[end]) else {
                    break;
                };
                // "1.5 m" is a million, but "m" alone after a year is not.
                if tokens[end].key == "m" && multiplied {
                    break;
                }
                scale *= multiplier;
                multiplied = true;
                end += 1;
                // "un millón y medio"
                if multiplier >= 1e6
                    && tokens.get(end).is_some_and(|token| token.key == "y")
                    && tokens.get(end + 1).is_some_and(|token| token.key == "medio")
                {
                    scale *= (written + 0.5) / written.max(f64::MIN_POSITIVE);
                    end += 2;
                }
            }
            if unit.is_none() {
                let mut probe = end;
                if tokens.get(probe).is_some_and(|token| token.key == "de") {
                    probe += 1;
                }
                if let Some(word) = tokens.get(probe).filter(|_| state.is_free(probe)) {
                    let word_key = word.key.as_str();
                    let found = if lexicon::CURRENCY_WORDS.contains(&word_key) {
                        Some(Unit::Currency)
                    } else if lexicon::KILOMETRE_WORDS.contains(&word_key) {
                        Some(Unit::Kilometres)
                    } else if lexicon::MILE_WORDS.contains(&word_key) {
                        Some(Unit::Miles)
                    } else {
                        None
                    };
                    if found.is_some() {
                        unit = found;
                        end = probe + 1;
                    }
                }
            }
            if unit == Some(Unit::Miles) {
                scale *= KILOMETRES_PER_MILE;
            }
            let class = self.classify(state, index, written, number, multiplied, unit, dollar);
            quantities.push(Quantity { written, scale, class, start: index, end });
            index = end;
        }
        quantities
    }

    #[allow(clippy::too_many_arguments)] // one call site; a struct would only rename the arguments
    fn classify(
        &self,
        state: &State<'_, '_>,
        start: usize,
        written: f64,
        number: Option<Number>,
        multiplied: bool,
        unit: Option<Unit>,
        dollar: bool,
    ) -> Class {
        match unit {
            Some(Unit::Kilometres | Unit::Miles) => return Class::Mileage,
            Some(Unit::Currency) => return Class::Money,
            None => {}
        }
        let mileage_context = (start.saturating_sub(4)..start)
            .any(|index| lexicon::MILEAGE_WORDS.contains(&state.tokens[index].key.as_str()));
        if dollar {
            return Class::Money;
        }
        if multiplied {
            return if mileage_context { Class::Mileage } else { Class::Money };
        }
        if let Some(number) = number
            && number.is_bare_integer()
            && number.plain_digits == 4
            && state.is_year(written)
        {
            return Class::Year;
        }
        if written >= 1000.0 {
            return if mileage_context { Class::Mileage } else { Class::Money };
        }
        Class::Plain
    }

    /// Step 4: ranges first, then lone quantities with their comparators.
    fn apply_quantities(&self, state: &mut State<'_, '_>, quantities: &[Quantity]) {
        let mut in_range = vec![false; quantities.len()];
        for pair in 0..quantities.len().saturating_sub(1) {
            if in_range[pair] {
                continue;
            }
            let (first, second) = (quantities[pair], quantities[pair + 1]);
            let Some((low, high, class)) = self.as_range(state, first, second) else {
                continue;
            };
            in_range[pair] = true;
            in_range[pair + 1] = true;
            state.use_tokens(first.start, second.end);
            if first.start > 0 {
                let opener = &state.tokens[first.start - 1];
                if lexicon::RANGE_OPENERS.contains(&opener.key.as_str()) {
                    state.use_tokens(first.start - 1, first.start);
                }
            }
            let (low, high) = if low <= high { (low, high) } else { (high, low) };
            match class {
                Class::Year => {
                    state.filters.year_min = Some(low as i32);
                    state.filters.year_max = Some(high as i32);
                }
                Class::Money => {
                    state.filters.price_min = to_minor_units(low);
                    state.filters.price_max = to_minor_units(high);
                }
                Class::Mileage => state.filters.mileage_max = to_kilometres(high),
                Class::Age => {
                    // "de 2 a 4 años": the older end bounds the year from below.
                    let current_year = state.current_year;
                    state.filters.year_min = whole_years(high).map(|age| current_year - age);
                    state.filters.year_max = whole_years(low).map(|age| current_year - age);
                }
                Class::Plain => {}
            }
        }
        for (index, quantity) in quantities.iter().enumerate() {
            if !in_range[index] {
                self.apply_single(state, *quantity);
            }
        }
    }

    /// Two quantities joined by one range word ("and", "y", "a", "al", "to",
    /// "hasta", "-"), with compatible classes.
    fn as_range(&self, state: &State<'_, '_>, first: Quantity, second: Quantity) -> Option<(f64, f64, Class)> {
        let between: Vec<&Token> = state.tokens[first.end..second.start]
            .iter()
            .filter(|token| !matches!(token.key.as_str(), "el" | "la" | "los" | "the" | "de"))
            .collect();
        let [joiner] = between.as_slice() else {
            return None;
        };
        let joins = joiner.kind == TokenKind::Dash || lexicon::RANGE_JOINERS.contains(&joiner.key.as_str());
        if !joins {
            return None;
        }
        match (first.class, second.class) {
            (Class::Year, Class::Year) => Some((first.written, second.written, Class::Year)),
            (Class::Plain | Class::Age, Class::Age) if whole_years(first.written).is_some() => {
                Some((first.written, second.written, Class::Age))
            }
            (Class::Money, Class::Money) | (Class::Mileage, Class::Mileage) => {
                Some((first.value(), second.value(), first.class))
            }
            (Class::Plain | Class::Year, Class::Money | Class::Mileage)
                if second.scale > 1.0 && first.written * second.scale <= second.value() =>
            {
                // "entre 200 y 300 mil", "20 to 40k km": the first end borrows
                // the multiplier, but "2018 a 300 mil" is no range.
                Some((first.written * second.scale, second.value(), second.class))
            }
            (Class::Money | Class::Mileage, Class::Plain)
                if first.scale > 1.0 && second.written * first.scale >= first.value() =>
            {
                // "200 mil a 300".
                Some((first.value(), second.written * first.scale, first.class))
            }
            _ => None,
        }
    }

    fn apply_single(&self, state: &mut State<'_, '_>, quantity: Quantity) {
        let prefix = state.prefix_comparator(quantity.start);
        let postfix = state.postfix_comparator(quantity.end);
        let comparator = prefix.or(postfix).map(|(comparator, _)| comparator);
        let class = match (quantity.class, comparator.and_then(|comparator| comparator.hint)) {
            (Class::Money | Class::Plain, Some(Hint::Year)) if state.is_year(quantity.written) => Class::Year,
            (Class::Year, Some(Hint::Money)) => Class::Money,
            (Class::Plain, Some(Hint::Money)) if quantity.written >= 1000.0 || quantity.scale > 1.0 => Class::Money,
            (class, _) => class,
        };
        if class == Class::Plain {
            return;
        }
        if class == Class::Age {
            if !self.apply_age(state, quantity, comparator) {
                return;
            }
        } else {
            self.apply_amount(state, quantity, class, comparator);
        }
        state.use_tokens(quantity.start, quantity.end);
        for (_, span) in [prefix, postfix].into_iter().flatten() {
            state.use_span_or_symbol(span);
        }
    }

    /// An age bounds the model year from the current year: "less than 5
    /// years" is model year > year − 5. A comparator worded about the car
    /// ("older than", "or newer") speaks in years, so it turns around for
    /// an age. A bare age, or one beside a money word, says nothing (false).
    fn apply_age(&self, state: &mut State<'_, '_>, quantity: Quantity, comparator: Option<Comparator>) -> bool {
        let (Some(age), Some(comparator)) = (whole_years(quantity.written), comparator) else {
            return false;
        };
        let bound = match comparator.hint {
            Some(Hint::Money) => return false,
            Some(Hint::Year) => comparator.bound.reversed(),
            None => comparator.bound,
        };
        let year = state.current_year - age;
        let filters = &mut state.filters;
        match bound {
            Bound::Below => filters.year_min = Some(year + 1),
            Bound::AtMost => filters.year_min = Some(year),
            Bound::Above => filters.year_max = Some(year - 1),
            Bound::AtLeast => filters.year_max = Some(year),
            Bound::Around => {
                filters.year_min = Some(year - 1);
                filters.year_max = Some(year + 1);
            }
        }
        true
    }

    fn apply_amount(
        &self,
        state: &mut State<'_, '_>,
        quantity: Quantity,
        class: Class,
        comparator: Option<Comparator>,
    ) {
        let value = quantity.value();
        let bound = comparator.map(|comparator| comparator.bound);
        let filters = &mut state.filters;
        match class {
            Class::Year => {
                let year = quantity.written as i32;
                match bound {
                    Some(Bound::Below) => filters.year_max = Some(year - 1),
                    Some(Bound::AtMost) => filters.year_max = Some(year),
                    Some(Bound::Above) => filters.year_min = Some(year + 1),
                    Some(Bound::AtLeast) => filters.year_min = Some(year),
                    Some(Bound::Around) => {
                        filters.year_min = Some(year - 1);
                        filters.year_max = Some(year + 1);
                    }
                    None => {
                        // Several single years widen the span: "2018 o 2019".
                        filters.year_min = Some(filters.year_min.map_or(year, |min| min.min(year)));
                        filters.year_max = Some(filters.year_max.map_or(year, |max| max.max(year)));
                    }
                }
            }
            Class::Money => match bound {
                Some(Bound::Below | Bound::AtMost) | None => filters.price_max = to_minor_units(value),
                Some(Bound::Above | Bound::AtLeast) => filters.price_min = to_minor_units(value),
                Some(Bound::Around) => {
                    filters.price_min = to_minor_units(value * 0.9);
                    filters.price_max = to_minor_units(value * 1.1);
                }
            },
            Class::Mileage => match bound {
                Some(Bound::Above | Bound::AtLeast) => {}
                _ if value == 0.0 => push_unique(&mut filters.conditions, Condition::New),
                _ => filters.mileage_max = to_kilometres(value),
            },
            Class::Age | Class::Plain => {}
        }
    }

    /// Step 5: everything the tables know, with the ordinary-word guards.
    fn apply_vocabulary(&self, state: &mut State<'_, '_>, spanish: bool) {
        let spans = state.spans;
        // Makes first, so models and ambiguous words can look at them.
        let mut makes_present: HashSet<&'static str> = HashSet::new();
        for (index, span) in spans.iter().enumerate() {
            if state.span_used[index] {
                continue;
            }
            for meaning in span.meanings {
                match meaning {
                    Meaning::Make { make, ambiguous: false } => {
                        makes_present.insert(make);
                    }
                    Meaning::Make { make, ambiguous: true } if self.ambiguous_make_fires(state, index, make) => {
                        makes_present.insert(make);
                    }
                    _ => {}
                }
            }
        }
        let mut sort_by: Option<SearchSort> = None;
        let mut direction: Option<SortDirection> = None;
        for (index, span) in spans.iter().enumerate() {
            if state.span_used[index] {
                continue;
            }
            let chosen = span
                .meanings
                .iter()
                .copied()
                .find(|meaning| self.meaning_fires(state, index, *meaning, &makes_present, spanish));
            let filters = &mut state.filters;
            match chosen {
                Some(Meaning::Make { make, .. }) => push_unique(&mut filters.makes, make.to_owned()),
                Some(Meaning::Model { make, model, .. }) => {
                    push_unique(&mut filters.makes, make.to_owned());
                    push_unique(&mut filters.models, model.to_owned());
                }
                Some(Meaning::Body(body)) => push_unique(&mut filters.body_types, body),
                Some(Meaning::Fuel(fuel)) => push_unique(&mut filters.fuels, fuel),
                Some(Meaning::Transmission(transmission)) => push_unique(&mut filters.transmissions, transmission),
                Some(Meaning::Condition(condition)) => push_unique(&mut filters.conditions, condition),
                Some(Meaning::Color { color, .. }) => push_unique(&mut filters.colors, color.to_owned()),
                Some(Meaning::City(city)) => {
                    if filters.city.is_none() {
                        filters.city = Some(city.to_owned());
                    }
                }
                Some(Meaning::Sort(sort)) => {
                    if filters.sort.is_none() {
                        filters.sort = Some(sort);
                    }
                }
                Some(Meaning::SortBy(sort)) => {
                    sort_by.get_or_insert(sort);
                }
                Some(Meaning::SortDirection(turn)) => {
                    direction.get_or_insert(turn);
                }
                Some(Meaning::Keyword(keyword)) => push_unique(&mut filters.keywords, keyword.to_owned()),
                // An unattached comparator ("under", "desde") says nothing.
                Some(Meaning::Comparator(_) | Meaning::Stop) => {}
                None => continue,
            }
            state.span_used[index] = true;
            state.use_tokens(span.start, span.end());
        }
        if state.filters.sort.is_none() {
            state.filters.sort = sort_by.and_then(|sort| lexicon::turn_sort(sort, direction));
        }
    }

    fn meaning_fires(
        &self,
        state: &State<'_, '_>,
        span_index: usize,
        meaning: Meaning,
        makes_present: &HashSet<&'static str>,
        spanish: bool,
    ) -> bool {
        let span = &state.spans[span_index];
        match meaning {
            Meaning::Make { make, ambiguous: true } => makes_present.contains(make),
            Meaning::Model { make, ambiguous: true, .. } => {
                makes_present.contains(make) || self.model_context(state, span)
            }
            Meaning::Color { weak, .. } => {
                let weak = weak || (spanish && span.key == "red");
                !self.blocked_by_neighbours(state, span) && (!weak || self.color_context(state, span_index))
            }
            Meaning::Body(_) | Meaning::Fuel(_) | Meaning::Transmission(_) | Meaning::Condition(_) => {
                !self.blocked_by_neighbours(state, span)
            }
            _ => true,
        }
    }

    fn ambiguous_make_fires(&self, state: &State<'_, '_>, span_index: usize, make: &str) -> bool {
        let span = &state.spans[span_index];
        // Followed by one of its own models: certainly the make ("seat ibiza").
        if let Some(next) = state.spans.get(span_index + 1)
            && next.start == span.end()
            && next
                .meanings
                .iter()
                .any(|meaning| matches!(meaning, Meaning::Model { make: owner, .. } if *owner == make))
        {
            return true;
        }
        let Some((before, after)) = self.ambiguous_makes.get(make) else {
            return true;
        };
        let previous = span.start.checked_sub(1).map(|index| &state.tokens[index]);
        let previous_two = span.start.checked_sub(2).map(|index| &state.tokens[index]);
        let next = state.tokens.get(span.end());
        let ordinary_before = [previous, previous_two].into_iter().flatten().enumerate().any(|(distance, token)| {
            is_memory_size(&token.key) || (distance == 0 && (before.contains(&token.key.as_str()) || is_ordinal(token)))
        });
        let ordinary_after = next.is_some_and(|token| after.contains(&token.key.as_str()));
        !(ordinary_before || ordinary_after)
    }

    /// An ambiguous model is the car when a model year or trim word is next to it.
    fn model_context(&self, state: &State<'_, '_>, span: &Span<'_>) -> bool {
        let neighbours = [span.start.checked_sub(1).map(|index| &state.tokens[index]), state.tokens.get(span.end())];
        neighbours.into_iter().flatten().any(|token| {
            self.trim_words.contains(token.key.as_str())
                || token.number().is_some_and(|number| {
                    number.is_bare_integer() && number.plain_digits == 4 && state.is_year(number.value)
                })
        })
    }

    fn color_context(&self, state: &State<'_, '_>, span_index: usize) -> bool {
        let span = &state.spans[span_index];
        if span.start.checked_sub(1).is_some_and(|index| matches!(state.tokens[index].key.as_str(), "color" | "colour"))
        {
            return true;
        }
        let previous = span_index
            .checked_sub(1)
            .and_then(|index| state.spans.get(index))
            .filter(|previous| previous.end() == span.start);
        let next = state.spans.get(span_index + 1).filter(|next| next.start == span.end());
        // A car word or another colour ("azul marino") beside it.
        [previous, next].into_iter().flatten().any(|neighbour| {
            neighbour
                .meanings
                .iter()
                .any(|meaning| meaning.is_vehicle() || matches!(meaning, Meaning::Color { weak: false, .. }))
        })
    }

    fn blocked_by_neighbours(&self, state: &State<'_, '_>, span: &Span<'_>) -> bool {
        let Some((before, after)) = self.blocked.get(span.key.as_str()) else {
            return false;
        };
        let previous = span.start.checked_sub(1).map(|index| state.tokens[index].key.as_str());
        let next = state.tokens.get(span.end()).map(|token| token.key.as_str());
        previous.is_some_and(|word| before.contains(&word)) || next.is_some_and(|word| after.contains(&word))
    }
}

/// Per-query working state.
struct State<'a, 's> {
    tokens: &'a [Token],
    spans: &'a [Span<'s>],
    span_at: Vec<Option<usize>>,
    token_used: Vec<bool>,
    span_used: Vec<bool>,
    filters: SearchFilters,
    /// Read once per query from the interpreter's clock.
    current_year: i32,
}

impl State<'_, '_> {
    /// A model year: from 1950 to next year.
    fn is_year(&self, value: f64) -> bool {
        value.fract() == 0.0 && value >= f64::from(FIRST_YEAR) && value <= f64::from(self.current_year + 1)
    }

    /// Not yet used and not inside a meaningful phrase (stop words are free:
    /// "mil", "k", "pesos", "km" are stop words when alone).
    fn is_free(&self, index: usize) -> bool {
        if self.token_used[index] {
            return false;
        }
        match self.span_at[index] {
            None => true,
            Some(span) => self.spans[span].only_stop(),
        }
    }

    fn use_tokens(&mut self, start: usize, end: usize) {
        for index in start..end.min(self.tokens.len()) {
            self.token_used[index] = true;
            if let Some(span) = self.span_at[index] {
                let span_info = &self.spans[span];
                if span_info.only_stop() || (span_info.start >= start && span_info.end() <= end) {
                    self.span_used[span] = true;
                }
            }
        }
    }

    fn use_span_or_symbol(&mut self, location: Location) {
        match location {
            Location::Span(span) => {
                self.span_used[span] = true;
                let (start, end) = (self.spans[span].start, self.spans[span].end());
                for used in &mut self.token_used[start..end] {
                    *used = true;
                }
            }
            Location::Token(index) => self.token_used[index] = true,
        }
    }

    /// The comparator right before `start`, skipping articles ("hasta el 2018").
    fn prefix_comparator(&self, start: usize) -> Option<(Comparator, Location)> {
        let mut index = start;
        while index > 0 {
            count_work(1);
            let previous = index - 1;
            if self.token_used[previous] {
                return None;
            }
            let token = &self.tokens[previous];
            match token.kind {
                TokenKind::Less => {
                    return Some((symbol_comparator(Bound::Below), Location::Token(previous)));
                }
                TokenKind::Greater => {
                    return Some((symbol_comparator(Bound::Above), Location::Token(previous)));
                }
                _ => {}
            }
            if let Some(span_index) = self.span_at[previous] {
                let span = &self.spans[span_index];
                if let Some(comparator) = span.comparator()
                    && comparator.prefix
                    && span.end() == index
                {
                    return Some((comparator, Location::Span(span_index)));
                }
            }
            if matches!(token.key.as_str(), "de" | "del" | "el" | "la" | "los" | "the" | "a" | "un" | "una") {
                index = previous;
                continue;
            }
            return None;
        }
        None
    }

    /// The comparator right after `end` ("2018 or newer", "2018+").
    fn postfix_comparator(&self, end: usize) -> Option<(Comparator, Location)> {
        let token = self.tokens.get(end)?;
        if self.token_used[end] {
            return None;
        }
        if token.kind == TokenKind::Plus {
            return Some((symbol_comparator(Bound::AtLeast), Location::Token(end)));
        }
        let span_index = self.span_at[end]?;
        let span = &self.spans[span_index];
        let comparator = span.comparator()?;
        (comparator.postfix && span.start == end).then_some((comparator, Location::Span(span_index)))
    }

    /// Step 6: every unused token that is not a stop word.
    fn collect_keywords(&mut self) {
        for (index, token) in self.tokens.iter().enumerate() {
            if self.token_used[index] || token.key.is_empty() {
                continue;
            }
            if let Some(span) = self.span_at[index] {
                let meanings = self.spans[span].meanings;
                let silent = meanings.iter().any(|meaning| matches!(meaning, Meaning::Stop | Meaning::Comparator(_)));
                if silent && self.spans[span].len == 1 {
                    continue;
                }
            }
            push_unique(&mut self.filters.keywords, token.text.clone());
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Location {
    Span(usize),
    Token(usize),
}

fn symbol_comparator(bound: Bound) -> Comparator {
    Comparator { bound, hint: None, prefix: true, postfix: true }
}

#[derive(Default)]
struct TableBuilder {
    phrases: HashMap<String, Vec<Meaning>>,
    max_tokens: usize,
}

impl TableBuilder {
    /// Registers a phrase under every way it can be tokenized: words as
    /// written ("plugin hybrid"), split at every hyphen or dot ("plug in
    /// hybrid", "d f"), and glued ("pluginhybrid", "crv").
    fn add(&mut self, phrase: &str, meaning: Meaning) {
        let folded = fold(phrase);
        let as_written: Vec<String> =
            folded.split_whitespace().map(compact_key).filter(|word| !word.is_empty()).collect();
        let split: Vec<String> = folded
            .split(|character: char| !character.is_ascii_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(str::to_owned)
            .collect();
        let glued = vec![compact_key(&folded)];
        for words in [as_written, split, glued] {
            if words.is_empty() || words.iter().all(String::is_empty) {
                continue;
            }
            self.max_tokens = self.max_tokens.max(words.len());
            let entry = self.phrases.entry(words.join(" ")).or_default();
            if !entry.contains(&meaning) {
                entry.push(meaning);
            }
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Phrase look-ups, edit-distance comparisons and comparator steps of this
    /// thread's interpretations: tests bound the cost of a query by counting
    /// its work, never by timing it.
    pub(crate) static WORK: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

#[inline]
fn count_work(units: u64) {
    #[cfg(test)]
    WORK.with(|work| work.set(work.get() + units));
    #[cfg(not(test))]
    let _ = units;
}

/// The meaning of the nearest target within `limit` edits, unless two
/// different meanings are equally near.
fn unique_nearest<'a>(
    key: &[u8],
    limit: usize,
    targets: impl IntoIterator<Item = &'a TypoTarget>,
) -> Option<&'a [Meaning]> {
    let mut best: Option<(usize, &TypoTarget)> = None;
    let mut tied = false;
    for target in targets {
        count_work(1);
        let Some(distance) = bounded_distance(key, &target.key, limit) else {
            continue;
        };
        match best {
            Some((best_distance, best_target)) if distance == best_distance => {
                if best_target.meanings != target.meanings {
                    tied = true;
                }
            }
            Some((best_distance, _)) if distance > best_distance => {}
            _ => {
                best = Some((distance, target));
                tied = false;
            }
        }
    }
    match best {
        Some((_, target)) if !tied => Some(&target.meanings),
        _ => None,
    }
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, value: T) {
    if !list.contains(&value) {
        list.push(value);
    }
}

fn to_minor_units(amount: f64) -> Option<i64> {
    (amount > 0.0 && amount < MAX_AMOUNT).then(|| (amount * 100.0).round() as i64)
}

/// A whole number of years from one up ("medio año" is no bound).
fn whole_years(age: f64) -> Option<i32> {
    ((1.0..=MAX_AGE).contains(&age) && age.fract() == 0.0).then_some(age as i32)
}

fn to_kilometres(distance: f64) -> Option<i64> {
    (distance > 0.0 && distance < MAX_AMOUNT).then(|| distance.round() as i64)
}

/// The end of "años" / "years" at `start`, with what may follow it ("old",
/// "de antigüedad", "de uso"), when those words are free.
fn age_words_end(state: &State<'_, '_>, start: usize) -> Option<usize> {
    let tokens = state.tokens;
    let is_free_word = |index: usize, words: &[&str]| {
        tokens.get(index).is_some_and(|token| state.is_free(index) && words.contains(&token.key.as_str()))
    };
    if !is_free_word(start, lexicon::AGE_WORDS) {
        return None;
    }
    let end = start + 1;
    if is_free_word(end, lexicon::AGE_SUFFIXES) {
        return Some(end + 1);
    }
    if is_free_word(end, &["de", "of"]) && is_free_word(end + 1, lexicon::AGE_NOUNS) {
        return Some(end + 2);
    }
    Some(end)
}

/// "16gb", "8 gb" handled by the blockers; this is the glued form.
fn is_memory_size(key: &str) -> bool {
    ["gb", "mb", "tb"].iter().any(|unit| {
        key.strip_suffix(unit)
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()))
    })
}

/// "3rd", "2nd", "1st", "4th", or any number: "3rd row seat", "7 seat".
fn is_ordinal(token: &Token) -> bool {
    if token.number().is_some() {
        return true;
    }
    ["st", "nd", "rd", "th"].iter().any(|suffix| {
        token
            .key
            .strip_suffix(suffix)
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()))
    })
}
