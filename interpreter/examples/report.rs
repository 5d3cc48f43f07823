//! Prints exact-match and per-field precision/recall/F1 of the rule-based
//! interpreter over the labelled set (`interpreter/testdata/interpret_labelled.jsonl`).
//!
//! `cargo run -p nds-interpreter --example report` for the report;
//! `cargo run -p nds-interpreter --example report -- "rav4 roja 2019"` to
//! see how single queries are understood.

use nds_interpreter::Interpreter;
use nds_interpreter::evaluation::{LABELLED_SET_YEAR, evaluate, labelled_set};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let interpreter = Interpreter::with_current_year(LABELLED_SET_YEAR);
    let queries: Vec<String> = std::env::args().skip(1).collect();
    if !queries.is_empty() {
        for query in queries {
            let filters = interpreter.interpret(&query, None);
            println!("{query}\n  {}", serde_json::to_string(&filters)?);
        }
        return Ok(());
    }
    let set = labelled_set()?;
    print!("{}", evaluate(&interpreter, &set).render());
    Ok(())
}
