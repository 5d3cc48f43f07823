//! Starts a gRPC server the same way for every service: `grpc.health.v1` with a
//! status per service name, reflection v1 and v1alpha (PyPI's grpcurl speaks only
//! v1alpha), deadlines from `grpc-timeout` (or a default), load shedding under a
//! concurrency cap, and a graceful shutdown that first reports NOT_SERVING for a
//! drain window, then lets in-flight calls finish within a grace period.

use std::time::Duration;

use tokio::net::TcpListener;
use tonic::service::Routes;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::shutdown::Shutdown;

#[derive(Clone, Debug)]
pub struct GrpcServeOptions {
    /// How long health says NOT_SERVING before the listener closes, so load
    /// balancers stop sending new calls first.
    pub drain: Duration,
    /// How long in-flight calls get to finish once the listener closed.
    pub grace: Duration,
    /// Deadline for calls that arrive without `grpc-timeout`.
    pub default_deadline: Duration,
    /// Concurrent calls per connection before new ones are shed with UNAVAILABLE.
    pub concurrency_per_connection: usize,
    /// Parts of a service that can die while the process lives (a background
    /// worker): while one says false, health answers NOT_SERVING for its service.
    pub health_signals: Vec<HealthSignal>,
}

/// Whether a service's background parts run, as health should report it.
#[derive(Clone, Debug)]
pub struct HealthSignal {
    /// The fully-qualified service name health reports for.
    pub service_name: &'static str,
    pub serving: tokio::sync::watch::Receiver<bool>,
}

/// Mirrors `signal` into `reporter` until shutdown, when the server's own drain
/// takes over (so a late signal cannot turn a draining server back to SERVING).
pub async fn mirror_health_signal(mut signal: HealthSignal, reporter: HealthReporter, shutdown: Shutdown) {
    loop {
        let status =
            if *signal.serving.borrow_and_update() { ServingStatus::Serving } else { ServingStatus::NotServing };
        if shutdown.is_triggered() {
            return;
        }
        reporter.set_service_status(signal.service_name, status).await;
        tokio::select! {
            _ = shutdown.wait() => return,
            changed = signal.serving.changed() => if changed.is_err() { return },
        }
    }
}

impl Default for GrpcServeOptions {
    fn default() -> Self {
        Self {
            drain: Duration::from_secs(5),
            grace: Duration::from_secs(20),
            default_deadline: Duration::from_secs(5),
            concurrency_per_connection: 256,
            health_signals: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("reflection: {0}")]
    Reflection(String),
    #[error("transport: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Marks every named service (and the whole server, "") with one status.
pub async fn set_all(reporter: &HealthReporter, service_names: &[&str], status: ServingStatus) {
    reporter.set_service_status("", status).await;
    for name in service_names {
        reporter.set_service_status(*name, status).await;
    }
}

/// Serves `routes` on `listener` until `shutdown` triggers, then drains.
/// `service_names` are the fully-qualified names health reports SERVING for.
pub async fn serve_grpc(
    listener: TcpListener,
    routes: Routes,
    service_names: &[&str],
    options: GrpcServeOptions,
    shutdown: Shutdown,
) -> Result<(), ServeError> {
    let (reporter, health_service) = tonic_health::server::health_reporter();
    set_all(&reporter, service_names, ServingStatus::Serving).await;
    for signal in &options.health_signals {
        tokio::spawn(mirror_health_signal(signal.clone(), reporter.clone(), shutdown.clone()));
    }

    // Advertise only what this process serves: the descriptor set describes every NDS service.
    let reflection = || {
        let mut builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(nds_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name("grpc.health.v1.Health");
        for name in service_names {
            builder = builder.with_service_name(*name);
        }
        builder
    };
    let reflection_v1 = reflection().build_v1().map_err(|error| ServeError::Reflection(error.to_string()))?;
    let reflection_v1alpha = reflection().build_v1alpha().map_err(|error| ServeError::Reflection(error.to_string()))?;

    let routes = routes.add_service(health_service).add_service(reflection_v1).add_service(reflection_v1alpha);

    let address = listener.local_addr().ok();
    tracing::info!(address = ?address, services = ?service_names, "grpc serving");

    // Phase 1 of shutdown: NOT_SERVING for the drain window; phase 2: stop accepting.
    let stop_accepting = {
        let reporter = reporter.clone();
        let names: Vec<String> = service_names.iter().map(|name| name.to_string()).collect();
        let drain = options.drain;
        let shutdown = shutdown.clone();
        async move {
            shutdown.wait().await;
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            set_all(&reporter, &names, ServingStatus::NotServing).await;
            tracing::info!(drain_secs = drain.as_secs(), "grpc draining");
            tokio::time::sleep(drain).await;
        }
    };

    // Without TCP_NODELAY every small unary answer waits on Nagle + delayed ACK (~40 ms).
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let server = tonic::transport::Server::builder()
        .layer(crate::telemetry::RequestMetricsLayer::new("grpc"))
        .layer(crate::trace::TraceLayer::grpc())
        .timeout(options.default_deadline)
        .concurrency_limit_per_connection(options.concurrency_per_connection)
        .load_shed(true)
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, stop_accepting);

    // Phase 3: in-flight calls (and open streams) get `grace`, then the process moves on.
    let grace = options.grace;
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => result?,
        _ = async { shutdown.wait().await; tokio::time::sleep(options.drain + grace).await } => {
            tracing::warn!("grpc grace period over; abandoning calls still in flight");
        }
    }
    Ok(())
}
