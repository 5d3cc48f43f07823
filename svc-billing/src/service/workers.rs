//! Billing's background workers (the Stripe event worker, the catalog feed
//! consumer) run under a supervisor: a worker that panics or returns before
//! shutdown is marked dead and restarted after a pause. While any worker is dead
//! the billing service's gRPC health says NOT_SERVING (see [`WorkerHealth::health_signal`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use nds_common::Shutdown;
use tokio::sync::watch;

/// The longest pause between restarts of a worker that keeps dying.
const MAX_RESTART_PAUSE: Duration = Duration::from_secs(60);

/// Which workers are running. Cheap to clone; every clone sees the same state.
#[derive(Clone)]
pub struct WorkerHealth {
    running: Arc<Mutex<BTreeMap<&'static str, bool>>>,
    serving: watch::Sender<bool>,
}

impl Default for WorkerHealth {
    fn default() -> Self {
        WorkerHealth { running: Arc::default(), serving: watch::Sender::new(true) }
    }
}

impl WorkerHealth {
    fn set(&self, worker: &'static str, running: bool) {
        let mut workers = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        workers.insert(worker, running);
        self.serving.send_replace(workers.values().all(|running| *running));
    }

    /// `true` while every supervised worker runs.
    pub fn is_serving(&self) -> bool {
        *self.serving.borrow()
    }

    /// The workers that are down now, for the health answer and logs.
    pub fn dead_workers(&self) -> Vec<&'static str> {
        let workers = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        workers.iter().filter(|(_, running)| !**running).map(|(name, _)| *name).collect()
    }

    /// Changes of [`is_serving`](Self::is_serving).
    pub fn watch(&self) -> watch::Receiver<bool> {
        self.serving.subscribe()
    }

    /// What the gRPC server reports for `service_name` (`GrpcServeOptions::health_signals`).
    pub fn health_signal(&self, service_name: &'static str) -> nds_common::grpc::HealthSignal {
        nds_common::grpc::HealthSignal { service_name, serving: self.watch() }
    }
}

/// Runs the worker `start()` makes until shutdown. A panic (or a return before
/// shutdown) marks it dead; it is restarted after `first_pause`, doubling up to a
/// minute while it keeps dying.
pub async fn supervise<F, Fut>(
    worker: &'static str,
    health: WorkerHealth,
    shutdown: Shutdown,
    first_pause: Duration,
    start: F,
) where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut pause = first_pause;
    loop {
        health.set(worker, true);
        let outcome = tokio::spawn(start()).await;
        if shutdown.is_triggered() {
            return;
        }
        match outcome {
            Err(error) if error.is_panic() => tracing::error!(worker, "billing worker panicked; restarting it"),
            _ => tracing::error!(worker, "billing worker stopped before shutdown; restarting it"),
        }
        health.set(worker, false);
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = tokio::time::sleep(pause) => {}
        }
        pause = std::cmp::min(pause * 2, MAX_RESTART_PAUSE);
    }
}
