//! The benchmark harness: each benchmark measures its subject and a baseline in the
//! same run and reports ratios, because absolute times on shared machines mean little.
//! Run with `tests/run --bench` or `cargo run --release -p nds-tests --bin nds-bench -- <name>`.

pub mod edge;
pub mod interpret;
pub mod isolated;
pub mod load;
pub mod panel;
pub mod search;
pub mod site;
pub mod webhook;

use std::time::Duration;

/// Latency percentiles and throughput of one measured series.
#[derive(Clone, Copy, Debug)]
pub struct Stats {
    pub p50_micros: f64,
    pub p99_micros: f64,
    pub per_second: f64,
}

impl Stats {
    /// From per-operation samples and the wall time of the whole series.
    pub fn from_samples(mut samples: Vec<Duration>, wall: Duration) -> Stats {
        samples.sort_unstable();
        let percentile = |fraction: f64| -> f64 {
            if samples.is_empty() {
                return f64::NAN;
            }
            let index = ((samples.len() - 1) as f64 * fraction).round() as usize;
            samples[index].as_secs_f64() * 1e6
        };
        let per_second = if wall.is_zero() { f64::NAN } else { samples.len() as f64 / wall.as_secs_f64() };
        Stats { p50_micros: percentile(0.50), p99_micros: percentile(0.99), per_second }
    }
}

/// One measured series of calls: their latencies, the wall time of the blocks they
/// ran in, and the CPU a server spent on them.
#[derive(Default)]
pub struct Series {
    pub samples: Vec<Duration>,
    pub wall: Duration,
    pub cpu: Duration,
}

impl Series {
    pub fn stats(&self) -> Stats {
        Stats::from_samples(self.samples.clone(), self.wall)
    }

    pub fn cpu_per_call_micros(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.samples.len().max(1) as f64
    }
}

/// Process CPU time (user + system) so far, from /proc (Linux).
pub fn process_cpu_time() -> Option<Duration> {
    cpu_time_from_stat(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// CPU time (user + system) of another process of this machine, by pid.
pub fn pid_cpu_time(pid: u32) -> Option<Duration> {
    cpu_time_from_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// The user + system time in a `/proc/<pid>/stat` line.
fn cpu_time_from_stat(stat: &str) -> Option<Duration> {
    // Fields after the command name (which may contain spaces) start after ") ".
    let after_name = stat.rsplit_once(") ")?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let user_ticks: u64 = fields.get(11)?.parse().ok()?;
    let system_ticks: u64 = fields.get(12)?.parse().ok()?;
    // Linux reports clock ticks of 1/100 s (USER_HZ) on every architecture we run on.
    Some(Duration::from_millis((user_ticks + system_ticks) * 10))
}

/// CPU time of every process of this machine whose command name is `name`
/// (PostgreSQL's backends are each a `postgres` process).
pub fn named_processes_cpu_time(name: &str) -> Duration {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Duration::ZERO;
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str().and_then(|pid| pid.parse::<u32>().ok()))
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|comm| comm.trim_end() == name))
        .filter_map(pid_cpu_time)
        .sum()
}

pub fn ratio(subject: f64, baseline: f64) -> f64 {
    if baseline > 0.0 { subject / baseline } else { f64::NAN }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_sorted_samples() {
        let samples = (1..=100).map(Duration::from_micros).collect();
        let stats = Stats::from_samples(samples, Duration::from_secs(1));
        assert_eq!(stats.p50_micros.round(), 51.0);
        assert_eq!(stats.p99_micros.round(), 99.0);
        assert_eq!(stats.per_second, 100.0);
    }

    #[test]
    fn process_cpu_time_is_readable_and_grows() {
        let before = process_cpu_time().unwrap();
        let mut spin = 0u64;
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_millis(60) {
            spin = std::hint::black_box(spin.wrapping_add(1));
        }
        assert!(process_cpu_time().unwrap() > before);
        // The same counter, read by pid: between the two readings, never outside them.
        let by_pid = pid_cpu_time(std::process::id()).unwrap();
        assert!(by_pid >= before && by_pid <= process_cpu_time().unwrap());
        assert!(named_processes_cpu_time("nds-no-such-process").is_zero());
    }
}
