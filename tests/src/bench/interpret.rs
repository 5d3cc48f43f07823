//! Benchmark of the rule-based query interpreter over its labelled set,
//! against a baseline measured in the same run: lower-casing the same texts
//! and splitting them on whitespace (the least any interpreter must do).

use nds_interpreter::Interpreter;
use nds_interpreter::evaluation::{LABELLED_SET_YEAR, labelled_set};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Interprets every labelled query `iterations` times (after one warm-up
/// pass) and reports per-query p50/p99 in µs and queries per second, for the
/// interpreter and the baseline, with their ratio.
pub fn run(iterations: usize) -> String {
    let queries = match labelled_set() {
        Ok(set) => set,
        Err(error) => return format!("interpret benchmark: cannot read the labelled set: {error}\n"),
    };
    let texts: Vec<(String, Option<String>)> = queries.into_iter().map(|query| (query.text, query.locale)).collect();
    let iterations = iterations.max(1);

    let build_started = Instant::now();
    let interpreter = Interpreter::with_current_year(LABELLED_SET_YEAR);
    let build_time = build_started.elapsed();

    let interpret = |text: &str, locale: Option<&str>| {
        black_box(interpreter.interpret(black_box(text), locale));
    };
    let baseline = |text: &str, _locale: Option<&str>| {
        let words: Vec<String> = black_box(text).to_lowercase().split_whitespace().map(str::to_owned).collect();
        black_box(words);
    };

    let subject = measure(&texts, iterations, interpret);
    let reference = measure(&texts, iterations, baseline);
    let ratio = |left: f64, right: f64| if right > 0.0 { left / right } else { f64::NAN };

    let mut report = String::new();
    report.push_str(&format!(
        "interpret: {} labelled queries x {} iterations (tables built in {:.1} ms)\n",
        texts.len(),
        iterations,
        build_time.as_secs_f64() * 1e3
    ));
    for (name, stats) in [("rules interpreter", &subject), ("baseline lowercase+split", &reference)] {
        report.push_str(&format!(
            "  {name:<26} p50 {:>8.2} µs  p99 {:>8.2} µs  {:>10.0} queries/s\n",
            stats.p50_micros, stats.p99_micros, stats.queries_per_second
        ));
    }
    report.push_str(&format!(
        "  ratio interpreter/baseline: p50 x{:.1}, p99 x{:.1}, throughput x{:.2}\n",
        ratio(subject.p50_micros, reference.p50_micros),
        ratio(subject.p99_micros, reference.p99_micros),
        ratio(subject.queries_per_second, reference.queries_per_second),
    ));
    report.push_str(&format!(
        "  target: p50 under 100 µs per query: {}\n",
        if subject.p50_micros < 100.0 { "met" } else { "NOT met" }
    ));
    report
}

struct Stats {
    p50_micros: f64,
    p99_micros: f64,
    queries_per_second: f64,
}

fn measure(texts: &[(String, Option<String>)], iterations: usize, work: impl Fn(&str, Option<&str>)) -> Stats {
    // Warm-up: caches, lazily built indexes, branch predictors.
    for (text, locale) in texts {
        work(text, locale.as_deref());
    }
    let mut samples: Vec<Duration> = Vec::with_capacity(texts.len() * iterations);
    let started = Instant::now();
    for _ in 0..iterations {
        for (text, locale) in texts {
            let query_started = Instant::now();
            work(text, locale.as_deref());
            samples.push(query_started.elapsed());
        }
    }
    let total = started.elapsed();
    samples.sort_unstable();
    let percentile = |fraction: f64| {
        let index = ((samples.len() as f64 - 1.0) * fraction).round() as usize;
        samples.get(index).map_or(0.0, |sample| sample.as_secs_f64() * 1e6)
    };
    Stats {
        p50_micros: percentile(0.50),
        p99_micros: percentile(0.99),
        queries_per_second: if total.is_zero() { 0.0 } else { samples.len() as f64 / total.as_secs_f64() },
    }
}
