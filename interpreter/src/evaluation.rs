//! Scoring the rules against the labelled set in `testdata/`: exact match per
//! query and precision/recall/F1 per field. Used by the labelled-set test,
//! the report example and the benchmark.

use super::rules::Interpreter;
use nds_common::vehicle::SearchFilters;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt::Write;

/// The labelled queries, one JSON object a line.
pub const LABELLED_SET: &str = include_str!("../testdata/interpret_labelled.jsonl");

/// The "current year" the labels were written for (the latest bare year is
/// the next one), so the set does not rot as years pass.
pub const LABELLED_SET_YEAR: i32 = 2026;

/// One labelled query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelledQuery {
    pub text: String,
    #[serde(default)]
    pub locale: Option<String>,
    /// Missing fields are empty.
    pub expected: SearchFilters,
}

#[derive(Debug, thiserror::Error)]
#[error("labelled set line {line}: {message}")]
pub struct LabelledSetError {
    pub line: usize,
    pub message: String,
}

/// Parses JSON lines, skipping blank lines and `//` comments.
pub fn parse_labelled_set(jsonl: &str) -> Result<Vec<LabelledQuery>, LabelledSetError> {
    let mut queries = Vec::new();
    for (index, line) in jsonl.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        let query = serde_json::from_str(line)
            .map_err(|error| LabelledSetError { line: index + 1, message: error.to_string() })?;
        queries.push(query);
    }
    Ok(queries)
}

/// The set shipped in the repository.
pub fn labelled_set() -> Result<Vec<LabelledQuery>, LabelledSetError> {
    parse_labelled_set(LABELLED_SET)
}

/// True positives, false positives and false negatives of one field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldScore {
    pub field: &'static str,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

impl FieldScore {
    pub fn precision(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_positives)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_negatives)
    }

    pub fn f1(&self) -> f64 {
        let (precision, recall) = (self.precision(), self.recall());
        if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) }
    }
}

/// A 0/0 ratio is perfect: nothing expected and nothing produced.
fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 { 1.0 } else { numerator as f64 / denominator as f64 }
}

/// One query whose interpretation differs from its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub text: String,
    pub locale: Option<String>,
    /// One line per differing field: `field: expected [..] got [..]`.
    pub differences: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationReport {
    pub queries: usize,
    pub exact_matches: usize,
    /// Per field, in contract order.
    pub fields: Vec<FieldScore>,
    pub mismatches: Vec<Mismatch>,
}

impl EvaluationReport {
    pub fn exact_match_rate(&self) -> f64 {
        ratio(self.exact_matches, self.queries)
    }

    /// Micro-averaged over every field.
    pub fn overall(&self) -> FieldScore {
        self.fields.iter().fold(FieldScore { field: "all fields", ..FieldScore::default() }, |total, field| {
            FieldScore {
                true_positives: total.true_positives + field.true_positives,
                false_positives: total.false_positives + field.false_positives,
                false_negatives: total.false_negatives + field.false_negatives,
                ..total
            }
        })
    }

    /// A printable table, followed by the mismatches.
    pub fn render(&self) -> String {
        let mut text = String::new();
        let overall = self.overall();
        let _ = writeln!(
            text,
            "queries: {}  exact match: {} ({:.1}%)  field-level P {:.3} R {:.3} F1 {:.3}",
            self.queries,
            self.exact_matches,
            100.0 * self.exact_match_rate(),
            overall.precision(),
            overall.recall(),
            overall.f1()
        );
        let _ = writeln!(
            text,
            "{:<14} {:>5} {:>5} {:>5} {:>9} {:>7} {:>6}",
            "field", "tp", "fp", "fn", "precision", "recall", "f1"
        );
        for field in self.fields.iter().chain(std::iter::once(&overall)) {
            let _ = writeln!(
                text,
                "{:<14} {:>5} {:>5} {:>5} {:>9.3} {:>7.3} {:>6.3}",
                field.field,
                field.true_positives,
                field.false_positives,
                field.false_negatives,
                field.precision(),
                field.recall(),
                field.f1()
            );
        }
        if !self.mismatches.is_empty() {
            let _ = writeln!(text, "\nmismatches ({}):", self.mismatches.len());
            for mismatch in &self.mismatches {
                let _ = writeln!(text, "- {:?} (locale {:?})", mismatch.text, mismatch.locale);
                for difference in &mismatch.differences {
                    let _ = writeln!(text, "    {difference}");
                }
            }
        }
        text
    }
}

/// Each field of a `SearchFilters` as a set of strings, in contract order.
fn field_items(filters: &SearchFilters) -> [(&'static str, BTreeSet<String>); 15] {
    fn set<T: ToString>(values: impl IntoIterator<Item = T>) -> BTreeSet<String> {
        values.into_iter().map(|value| value.to_string()).collect()
    }
    [
        ("makes", set(&filters.makes)),
        ("models", set(&filters.models)),
        ("year_min", set(filters.year_min)),
        ("year_max", set(filters.year_max)),
        ("price_min", set(filters.price_min)),
        ("price_max", set(filters.price_max)),
        ("mileage_max", set(filters.mileage_max)),
        ("body_types", set(&filters.body_types)),
        ("fuels", set(&filters.fuels)),
        ("transmissions", set(&filters.transmissions)),
        ("colors", set(&filters.colors)),
        ("conditions", set(&filters.conditions)),
        ("city", set(&filters.city)),
        ("keywords", set(&filters.keywords)),
        ("sort", set(filters.sort)),
    ]
}

/// Interprets every query and scores it against its label. Lists compare as
/// sets (order is not meaning).
pub fn evaluate(interpreter: &Interpreter, set: &[LabelledQuery]) -> EvaluationReport {
    let mut fields: Vec<FieldScore> = field_items(&SearchFilters::default())
        .into_iter()
        .map(|(field, _)| FieldScore { field, ..FieldScore::default() })
        .collect();
    let mut exact_matches = 0;
    let mut mismatches = Vec::new();
    for query in set {
        let actual = interpreter.interpret(&query.text, query.locale.as_deref());
        let mut differences = Vec::new();
        let expected_items = field_items(&query.expected);
        let actual_items = field_items(&actual);
        for ((score, (name, expected)), (_, got)) in
            fields.iter_mut().zip(expected_items.iter()).zip(actual_items.iter())
        {
            let true_positives = expected.intersection(got).count();
            score.true_positives += true_positives;
            score.false_positives += got.len() - true_positives;
            score.false_negatives += expected.len() - true_positives;
            if expected != got {
                differences.push(format!("{name}: expected {expected:?} got {got:?}"));
            }
        }
        if differences.is_empty() {
            exact_matches += 1;
        } else {
            mismatches.push(Mismatch { text: query.text.clone(), locale: query.locale.clone(), differences });
        }
    }
    EvaluationReport { queries: set.len(), exact_matches, fields, mismatches }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoring_counts_items_per_field() {
        let set = parse_labelled_set(
            r#"// comment
            {"text":"toyota rojo","expected":{"makes":["toyota"],"colors":["red"]}}
            {"text":"honda","expected":{"makes":["nissan"]}}"#,
        )
        .unwrap();
        let report = evaluate(&Interpreter::with_current_year(LABELLED_SET_YEAR), &set);
        assert_eq!(report.queries, 2);
        assert_eq!(report.exact_matches, 1);
        let makes = report.fields[0];
        assert_eq!((makes.true_positives, makes.false_positives, makes.false_negatives), (1, 1, 1));
        assert_eq!(report.mismatches.len(), 1);
        assert!(report.render().contains("makes: expected"));
    }

    #[test]
    fn bad_lines_are_reported_with_their_number() {
        let error = parse_labelled_set("{\"text\":\"a\",\"expected\":{}}\nnot json").unwrap_err();
        assert_eq!(error.line, 2);
    }
}
