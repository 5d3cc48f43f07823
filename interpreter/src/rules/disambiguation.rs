//! Rule 5: makes, models, attributes, colours, cities and sorts apply,
//! guarded against the ordinary words they can also be.

use super::Interpreter;
use super::state::{Span, State, push_unique};
use super::tables::Meaning;
use crate::lexicon::{self, SortDirection};
use crate::tokens::Token;
use nds_common::vehicle::SearchSort;
use std::collections::HashSet;

impl Interpreter {
    /// Step 5: everything the tables know, with the ordinary-word guards.
    pub(super) fn apply_vocabulary(&self, state: &mut State<'_, '_>, spanish: bool) {
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
