//! Traces: one trace per request across the mesh, exported over OTLP.
//!
//! Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is
//! set. Off, each request costs a relaxed atomic load (and the boxed future the server
//! layer shares with the metrics layer's shape): no span is created, nothing is
//! injected into outgoing calls, and the trace-only spans (sea-orm's statements,
//! outbound calls) are filtered out at their call sites (`telemetry::init_tracing`).
//!
//! On, the W3C `traceparent` travels edge → services and service → service in gRPC
//! metadata ([`propagation`]), and through catalog's change feed and billing's stored
//! webhook events as a column, so the work done later still joins the request's trace.
//! Spans carry names, methods and ids only: never tokens, passwords, card data, query
//! text or variables.

pub mod layer;
pub mod propagation;

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

pub use layer::{TraceLayer, record_trace_id};
pub use propagation::{continue_trace, current_traceparent, inject_current};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Whether spans are exported: every span NDS creates for tracing checks this first.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Turns span creation and export on or off at run time (benchmarks, with
/// `telemetry::install_switchable`); a process's export turns it on when installed.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// The collector to export to, from OpenTelemetry's standard variables; `None` = off.
pub fn otlp_endpoint_from_env() -> Option<String> {
    ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .map(|value| value.trim().to_string())
        .find(|value| !value.is_empty())
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the OTLP exporter: {0}")]
pub struct ExportError(String);

/// The exporting side: spans batch in memory and leave on OpenTelemetry's own thread.
/// Dropping it flushes what is buffered (the end of a job, a drained server).
pub struct TraceExport {
    provider: SdkTracerProvider,
}

impl TraceExport {
    /// An OTLP/gRPC exporter to `endpoint` for a process named `service_name`
    /// (`OTEL_SERVICE_NAME` wins when set). Needs a Tokio runtime: tonic's channel lives on it.
    pub fn otlp(endpoint: &str, service_name: &str) -> Result<Self, ExportError> {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()
            .map_err(|error| ExportError(error.to_string()))?;
        let name = std::env::var("OTEL_SERVICE_NAME")
            .ok()
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| service_name.to_string());
        let resource = Resource::builder()
            .with_service_name(name)
            .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
            .build();
        let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build();
        Ok(Self { provider })
    }

    /// The tracer the `tracing` bridge writes through; marks tracing as on.
    pub fn tracer(&self) -> SdkTracer {
        ENABLED.store(true, Ordering::Relaxed);
        self.provider.tracer("nds")
    }

    /// Sends every finished span now (tests, before reading what the collector got).
    pub fn flush(&self) {
        if let Err(error) = self.provider.force_flush() {
            tracing::warn!(error = %error, "flushing spans failed");
        }
    }
}

impl Drop for TraceExport {
    fn drop(&mut self) {
        if let Err(error) = self.provider.shutdown() {
            tracing::debug!(error = %error, "span exporter shutdown");
        }
    }
}
