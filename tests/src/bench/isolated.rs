//! Servers on threads of their own, so a benchmark reads their CPU time apart from
//! the client's and the other services' (Linux keeps a CPU counter per thread).

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use nds::system::{self, RunningSystem, SystemOptions};
use nds_common::config::{Config, ServiceName};

use crate::TestSystem;

/// A tokio runtime whose threads all carry one name (at most 15 bytes: Linux
/// truncates thread names there).
pub struct IsolatedRuntime {
    runtime: Option<tokio::runtime::Runtime>,
    thread_name: &'static str,
}

impl IsolatedRuntime {
    pub fn new(thread_name: &'static str, workers: usize) -> anyhow::Result<Self> {
        anyhow::ensure!(thread_name.len() <= 15, "thread name {thread_name:?} is longer than Linux keeps");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name(thread_name)
            .enable_all()
            .build()?;
        Ok(Self { runtime: Some(runtime), thread_name })
    }

    /// Runs `future` on this runtime's threads and waits for it from the caller's.
    pub async fn run<F>(&self, future: F) -> anyhow::Result<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let runtime = self.runtime.as_ref().ok_or_else(|| anyhow::anyhow!("runtime gone"))?;
        Ok(runtime.spawn(future).await?)
    }

    /// CPU time (user + system) spent so far by this runtime's threads.
    pub fn cpu_time(&self) -> Duration {
        threads_cpu_time(self.thread_name)
    }
}

impl Drop for IsolatedRuntime {
    fn drop(&mut self) {
        // Dropping a runtime from inside another one's worker would panic.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Sum of the CPU time of this process's threads named `name`, from the
/// nanosecond counter in /proc/self/task/*/schedstat.
pub fn threads_cpu_time(name: &str) -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    tasks
        .flatten()
        .filter(|task| std::fs::read_to_string(task.path().join("comm")).is_ok_and(|comm| comm.trim_end() == name))
        .filter_map(|task| task_cpu_nanos(&task.path()))
        .map(Duration::from_nanos)
        .sum()
}

fn task_cpu_nanos(task: &Path) -> Option<u64> {
    let schedstat = std::fs::read_to_string(task.join("schedstat")).ok()?;
    schedstat.split_whitespace().next()?.parse().ok()
}

/// The edge alone (`nds serve edge`) on `runtime`, talking to the services behind
/// `services_grpc` as it would in Kubernetes, so its CPU is its own.
pub async fn start_edge(
    runtime: &IsolatedRuntime,
    services_grpc: SocketAddr,
    data_dir: &Path,
    extra: &[(&str, &str)],
) -> anyhow::Result<(RunningSystem, SocketAddr)> {
    let mut vars = vec![
        ("NDS_DATA_DIR".to_string(), data_dir.join("edge").display().to_string()),
        ("NDS_HTTP_ADDR".to_string(), "127.0.0.1:0".to_string()),
        ("NDS_SHUTDOWN_DRAIN_SECS".to_string(), "0".to_string()),
        ("NDS_SHUTDOWN_GRACE_SECS".to_string(), "2".to_string()),
    ];
    for service in ServiceName::ALL {
        vars.push((format!("NDS_{}_URL", service.as_str().to_uppercase()), format!("http://{services_grpc}")));
    }
    vars.extend(extra.iter().map(|(name, value)| (name.to_string(), value.to_string())));
    let config = Config::from_vars(vars)?;
    let options = SystemOptions { edge: true, ..SystemOptions::nothing() };
    let running = runtime.run(system::start(config, options)).await??;
    let http_addr = running.http_addr.ok_or_else(|| anyhow::anyhow!("the edge has no HTTP listener"))?;
    Ok((running, http_addr))
}

/// Stops a system started on `runtime` from that runtime's threads.
pub async fn stop(runtime: &IsolatedRuntime, running: RunningSystem) -> anyhow::Result<()> {
    runtime.run(running.stop()).await?
}

/// The services of a test system, and an edge of their own on separate threads.
pub struct SplitSystem {
    pub services: TestSystem,
    edge_runtime: IsolatedRuntime,
    edge: Option<nds::system::RunningSystem>,
    pub graphql_url: String,
}

impl SplitSystem {
    pub async fn start() -> anyhow::Result<SplitSystem> {
        // The benchmark is one client (and one person) hammering on purpose: lift the limits.
        let lifted = [("NDS_RATE_LIMIT_PER_CLIENT", "100000000"), ("NDS_RATE_LIMIT_PER_USER", "100000000")];
        let services = TestSystem::start(&lifted).await?;
        // One worker: the edge's CPU per request is what one core gives it.
        let edge_runtime = IsolatedRuntime::new("nds-edge", 1)?;
        let (edge, http_addr) = start_edge(&edge_runtime, services.grpc_addr, &services.data_dir, &lifted).await?;
        Ok(SplitSystem { services, edge_runtime, edge: Some(edge), graphql_url: format!("http://{http_addr}/graphql") })
    }

    pub fn edge_cpu(&self) -> Duration {
        self.edge_runtime.cpu_time()
    }

    /// The services' in-process runtime (channels, cache) for direct gRPC calls.
    pub fn services_runtime(&self) -> anyhow::Result<nds_common::runtime::Runtime> {
        self.services.running.as_ref().map(|running| running.runtime.clone()).ok_or_else(|| anyhow::anyhow!("stopped"))
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(edge) = self.edge.take() {
            stop(&self.edge_runtime, edge).await?;
        }
        self.services.stop().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cpu_time_counts_only_the_named_threads() {
        let busy = IsolatedRuntime::new("nds-test-busy", 1).unwrap();
        let before = busy.cpu_time();
        // Spin until the counter sees 20 ms of this thread's CPU: on a loaded machine
        // that takes longer in wall time, never less; a counter that misses the
        // named threads never gets there and the minute runs out.
        let reached = busy
            .run(async move {
                let started = std::time::Instant::now();
                let mut spin = 0u64;
                while started.elapsed() < Duration::from_secs(60) {
                    for _ in 0..100_000 {
                        spin = std::hint::black_box(spin.wrapping_add(1));
                    }
                    if threads_cpu_time("nds-test-busy").saturating_sub(before) >= Duration::from_millis(20) {
                        return true;
                    }
                }
                false
            })
            .await
            .unwrap();
        assert!(reached, "the busy thread's CPU time never reached 20 ms");
        assert!(busy.cpu_time().saturating_sub(before) >= Duration::from_millis(20));
        assert_eq!(threads_cpu_time("nds-no-such"), Duration::ZERO);
    }
}
