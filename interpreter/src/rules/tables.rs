//! The phrase tables and the match of a query's tokens to them: what each
//! phrase can mean, longest match first, then the plural and typo fallbacks.

use super::Interpreter;
use super::state::{Span, count_work};
use crate::clock::Clock;
use crate::lexicon::{self, AMBIGUOUS_MAKES, AMBIGUOUS_MODELS, BLOCKED_BY_NEIGHBOURS, Comparator, SortDirection};
use crate::tokens::{Token, TokenKind};
use crate::typo::{allowed_edits, bounded_distance};
use nds_common::vehicle::{BodyType, CITIES, Condition, Fuel, MAKES, SearchSort, Transmission, compact_key, fold};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What a phrase of the query can mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Meaning {
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

    pub(super) fn is_vehicle(&self) -> bool {
        matches!(self, Meaning::Make { .. } | Meaning::Model { .. } | Meaning::Body(_))
    }
}

pub(super) struct TypoTarget {
    key: Vec<u8>,
    meanings: [Meaning; 1],
}

/// The shortest word compared with the models of a make written in the same
/// query ("nissan kiks"): one edit from four letters, like `allowed_edits`
/// from five.
const MIN_MODEL_TYPO_LEN: usize = 4;

impl Interpreter {
    /// The body of `with_clock`: every table, built once.
    pub(super) fn build_tables(clock: Arc<dyn Clock>) -> Self {
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

    /// Greedy longest match, left to right; then plural and typo fallbacks
    /// for single words that matched nothing.
    pub(super) fn match_phrases<'a>(&'a self, tokens: &[Token]) -> Vec<Span<'a>> {
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
    pub(super) fn match_models_of_written_makes<'a>(&'a self, tokens: &[Token], spans: &mut Vec<Span<'a>>) {
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
