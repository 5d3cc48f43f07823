//! Compiles and runs the interpreter benchmark of the harness
//! (`tests/src/bench/interpret.rs`) from here, so it is checked with the interpreter.
//! Timings are printed, never asserted: a shared machine makes them noise.

#[path = "../../tests/src/bench/interpret.rs"]
mod bench;

#[test]
fn benchmark_runs_and_reports_both_subjects() {
    let report =
        bench::run(std::env::var("INTERPRET_BENCH_ITERATIONS").ok().and_then(|value| value.parse().ok()).unwrap_or(2));
    println!("{report}");
    assert!(report.contains("rules interpreter"), "{report}");
    assert!(report.contains("baseline lowercase+split"), "{report}");
    assert!(report.contains("ratio interpreter/baseline"), "{report}");
}
