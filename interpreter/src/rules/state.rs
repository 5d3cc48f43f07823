//! The per-query parse state the passes share: the matched spans, which
//! tokens are used, the filters so far, and the comparator look-ups.

use super::tables::Meaning;
use crate::lexicon::{Bound, Comparator};
use crate::tokens::{Token, TokenKind};
use nds_common::vehicle::SearchFilters;

/// The earliest model year a bare number can mean.
const FIRST_YEAR: i32 = 1950;

/// A run of tokens matched to a phrase of the tables.
#[derive(Debug)]
pub(super) struct Span<'a> {
    pub(super) start: usize,
    pub(super) len: usize,
    /// The table key matched (after plural folding), for neighbour rules.
    pub(super) key: String,
    pub(super) meanings: &'a [Meaning],
}

impl Span<'_> {
    pub(super) fn end(&self) -> usize {
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

/// Per-query working state.
pub(super) struct State<'a, 's> {
    pub(super) tokens: &'a [Token],
    pub(super) spans: &'a [Span<'s>],
    pub(super) span_at: Vec<Option<usize>>,
    pub(super) token_used: Vec<bool>,
    pub(super) span_used: Vec<bool>,
    pub(super) filters: SearchFilters,
    /// Read once per query from the interpreter's clock.
    pub(super) current_year: i32,
}

impl State<'_, '_> {
    /// A model year: from 1950 to next year.
    pub(super) fn is_year(&self, value: f64) -> bool {
        value.fract() == 0.0 && value >= f64::from(FIRST_YEAR) && value <= f64::from(self.current_year + 1)
    }

    /// Not yet used and not inside a meaningful phrase (stop words are free:
    /// "mil", "k", "pesos", "km" are stop words when alone).
    pub(super) fn is_free(&self, index: usize) -> bool {
        if self.token_used[index] {
            return false;
        }
        match self.span_at[index] {
            None => true,
            Some(span) => self.spans[span].only_stop(),
        }
    }

    pub(super) fn use_tokens(&mut self, start: usize, end: usize) {
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

    pub(super) fn use_span_or_symbol(&mut self, location: Location) {
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
    pub(super) fn prefix_comparator(&self, start: usize) -> Option<(Comparator, Location)> {
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
    pub(super) fn postfix_comparator(&self, end: usize) -> Option<(Comparator, Location)> {
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
    pub(super) fn collect_keywords(&mut self) {
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
pub(super) enum Location {
    Span(usize),
    Token(usize),
}

fn symbol_comparator(bound: Bound) -> Comparator {
    Comparator { bound, hint: None, prefix: true, postfix: true }
}

#[cfg(test)]
thread_local! {
    /// Phrase look-ups, edit-distance comparisons and comparator steps of this
    /// thread's interpretations: tests bound the cost of a query by counting
    /// its work, never by timing it.
    pub(crate) static WORK: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

#[inline]
pub(super) fn count_work(units: u64) {
    #[cfg(test)]
    WORK.with(|work| work.set(work.get() + units));
    #[cfg(not(test))]
    let _ = units;
}

pub(super) fn push_unique<T: PartialEq>(list: &mut Vec<T>, value: T) {
    if !list.contains(&value) {
        list.push(value);
    }
}
