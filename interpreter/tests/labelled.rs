//! The rule-based interpreter against its labelled set: at least 90% of the
//! queries exactly right and 97% field-level F1 (the targets).

use nds_interpreter::Interpreter;
use nds_interpreter::evaluation::{LABELLED_SET_YEAR, evaluate, labelled_set};

#[test]
fn labelled_set_meets_the_accuracy_targets() {
    let set = labelled_set().expect("the labelled set parses");
    assert!(set.len() >= 150, "the labelled set has {} queries, needs 150", set.len());
    let spanish =
        set.iter().filter(|query| query.locale.as_deref().is_some_and(|locale| locale.starts_with("es"))).count();
    assert!(spanish * 3 >= set.len(), "only {spanish} Spanish queries");

    let report = evaluate(&Interpreter::with_current_year(LABELLED_SET_YEAR), &set);
    let f1 = report.overall().f1();
    println!("{}", report.render());
    assert!(
        report.exact_match_rate() >= 0.90 && f1 >= 0.97,
        "exact match {:.1}% (needs 90%), field F1 {:.3} (needs 0.97)\n{}",
        100.0 * report.exact_match_rate(),
        f1,
        report.render()
    );
}
