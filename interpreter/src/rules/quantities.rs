//! Numbers with their multipliers and units (rule 3), and how they bound
//! the filters: ranges, comparators, ages (rule 4).

use super::Interpreter;
use super::state::{State, push_unique};
use crate::lexicon::{self, Bound, Comparator, Hint};
use crate::tokens::{Number, Token, TokenKind, Unit};
use nds_common::vehicle::Condition;

const KILOMETRES_PER_MILE: f64 = 1.609_344;
/// Longest accepted amount, in major units: beyond it a number is noise.
const MAX_AMOUNT: f64 = 1e11;
/// The oldest age in years read as one ("2018 años" is no age).
const MAX_AGE: f64 = 100.0;

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
pub(super) struct Quantity {
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

impl Interpreter {
    fn multiplier(&self, token: &Token) -> Option<f64> {
        self.multipliers.get(token.key.as_str()).copied()
    }

    /// Step 3: numbers with their multipliers and units.
    pub(super) fn read_quantities(&self, state: &mut State<'_, '_>) -> Vec<Quantity> {
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
    pub(super) fn apply_quantities(&self, state: &mut State<'_, '_>, quantities: &[Quantity]) {
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
