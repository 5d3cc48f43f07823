//! Structured logs (text for people, JSON for collectors) and Prometheus metrics.

use std::sync::LazyLock;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{DynFilterFn, FilterExt, filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;
use crate::trace::{TraceExport, otlp_endpoint_from_env};

type BoxedLayer = Box<dyn Layer<tracing_subscriber::Registry> + Send + Sync>;

/// Installs the global subscriber once; later calls (tests, `nds dev`) are no-ops.
///
/// Logs follow `filter` (`NDS_LOG`). When `OTEL_EXPORTER_OTLP_ENDPOINT` is set, spans
/// at info and above are also exported, whatever the log level, as `service_name`;
/// keep the returned export alive for the process's life (dropping it flushes).
pub fn init_tracing(filter: &str, format: LogFormat, service_name: &str) -> Option<TraceExport> {
    let export = match otlp_endpoint_from_env().map(|endpoint| TraceExport::otlp(&endpoint, service_name)) {
        Some(Ok(export)) => Some(export),
        Some(Err(error)) => {
            eprintln!("traces stay off: {error}");
            None
        }
        None => None,
    };
    install(filter, format, export)
}

/// Installs logs and, with `export`, span export (what `init_tracing` does once it
/// read the environment; tests pass their own collector's export).
pub fn install(filter: &str, format: LogFormat, export: Option<TraceExport>) -> Option<TraceExport> {
    install_layers(filter, format, export, SpanExport::Always)
}

/// [`install`] for benchmarks: spans leave only while [`crate::trace::enabled`], which
/// [`crate::trace::set_enabled`] flips, so one process measures tracing on and off in
/// alternating blocks. Off still asks this filter per span: a few nanoseconds more
/// than a process without the export.
pub fn install_switchable(filter: &str, format: LogFormat, export: TraceExport) -> Option<TraceExport> {
    install_layers(filter, format, Some(export), SpanExport::WhileEnabled)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SpanExport {
    Always,
    WhileEnabled,
}

fn install_layers(
    filter: &str,
    format: LogFormat,
    export: Option<TraceExport>,
    mode: SpanExport,
) -> Option<TraceExport> {
    let mut layers: Vec<BoxedLayer> = vec![log_layer(filter, format)];
    if let Some(export) = &export {
        layers.push(span_export_layer(export, mode));
    }
    // An error only means a subscriber is already installed.
    drop(tracing_subscriber::registry().with(layers).try_init());
    export
}

/// Log lines, with the fields of the spans they happen in (a request's `trace_id`).
/// Spans made for traces only (sea-orm's per statement, NDS's outbound calls under
/// [`TRACE_ONLY_TARGET`]) are not the log's: left in, each would be built for the
/// log layer even with tracing off.
fn log_layer(filter: &str, format: LogFormat) -> BoxedLayer {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let not_trace_only = filter_fn(|metadata| !(metadata.is_span() && is_trace_only(metadata.target())));
    let filter = filter.and(not_trace_only);
    match format {
        LogFormat::Text => tracing_subscriber::fmt::layer().with_target(true).with_filter(filter).boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer().json().flatten_event(true).with_filter(filter).boxed(),
    }
}

/// The target of spans that exist for traces only: `#[instrument(target = "nds_trace")]`
/// on outbound calls (Stripe, the language model, Elasticsearch). With tracing off no
/// layer wants them, so they cost nothing where they are declared.
pub const TRACE_ONLY_TARGET: &str = "nds_trace";

fn is_trace_only(target: &str) -> bool {
    target == TRACE_ONLY_TARGET || is_statement(target)
}

/// sea-orm's span per database statement.
fn is_statement(target: &str) -> bool {
    target.starts_with("sea_orm")
}

/// Whose spans leave: NDS's own (its crates and [`TRACE_ONLY_TARGET`]) and sea-orm's
/// statements. Other dependencies' spans (the GraphQL DataLoader's, HTTP clients')
/// stay out, and with them whatever they record.
const EXPORTED_TARGETS: [&str; 4] = ["nds", "svc_", "edge_graphql", "sea_orm"];

fn is_exported(metadata: &tracing::Metadata<'_>) -> bool {
    metadata.is_span()
        && *metadata.level() <= tracing::Level::INFO
        && EXPORTED_TARGETS.iter().any(|prefix| metadata.target().starts_with(prefix))
}

/// Spans only (events stay in the logs), at info and above. A statement is exported
/// only inside another exported span: background loops (the change feed's reads,
/// job polls) would otherwise send a one-span trace per statement.
fn span_export_layer(export: &TraceExport, mode: SpanExport) -> BoxedLayer {
    // No thread, source location or busy/idle timing on every span: the names say
    // what ran, and the timing costs two clock reads per poll.
    let layer = tracing_opentelemetry::layer()
        .with_tracer(export.tracer())
        .with_threads(false)
        .with_location(false)
        .with_tracked_inactivity(false);
    // Asked per span, not cached per call site: whether a statement runs inside a
    // request (and, switchable, whether tracing is on) changes from one to the next.
    let switchable = mode == SpanExport::WhileEnabled;
    let filter = DynFilterFn::new(move |metadata, context| {
        (!switchable || crate::trace::enabled())
            && is_exported(metadata)
            && (!is_statement(metadata.target()) || context.lookup_current().is_some())
    });
    layer.with_filter(filter).boxed()
}

/// The process-wide registry every metric of NDS registers in.
pub fn registry() -> &'static Registry {
    static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
        #[allow(clippy::expect_used)] // a constant, valid prefix: failure is a programming error
        Registry::new_custom(Some("nds".into()), None).expect("valid registry prefix")
    });
    &REGISTRY
}

fn register<T: prometheus::core::Collector + Clone + 'static>(collector: T) -> T {
    // Registering twice (two servers in one test process) keeps the first.
    let _ = registry().register(Box::new(collector.clone()));
    collector
}

/// Requests by API surface ("grpc", "graphql", "webhook"), operation and outcome.
pub fn requests_total() -> &'static IntCounterVec {
    static METRIC: LazyLock<IntCounterVec> = LazyLock::new(|| {
        let opts = Opts::new("requests_total", "Requests handled, by surface, operation and outcome code");
        #[allow(clippy::expect_used)] // a constant, valid definition: failure is a programming error
        register(IntCounterVec::new(opts, &["surface", "operation", "code"]).expect("valid metric definition"))
    });
    &METRIC
}

/// Request latency by surface and operation.
pub fn request_seconds() -> &'static HistogramVec {
    static METRIC: LazyLock<HistogramVec> = LazyLock::new(|| {
        let opts = HistogramOpts::new("request_seconds", "Request latency in seconds, by surface and operation")
            .buckets(vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]);
        #[allow(clippy::expect_used)] // a constant, valid definition: failure is a programming error
        register(HistogramVec::new(opts, &["surface", "operation"]).expect("valid metric definition"))
    });
    &METRIC
}

/// Renders the registry in Prometheus text format.
pub fn render_metrics() -> String {
    let mut buffer = Vec::new();
    let families = registry().gather();
    if TextEncoder::new().encode(&families, &mut buffer).is_err() {
        return String::new();
    }
    String::from_utf8(buffer).unwrap_or_default()
}

async fn metrics_handler() -> impl IntoResponse {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], render_metrics())
}

/// `GET /metrics`, to mount on any HTTP listener.
pub fn metrics_router() -> Router {
    Router::new().route("/metrics", get(metrics_handler))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_requests_appear_in_the_rendered_metrics() {
        requests_total().with_label_values(&["grpc", "/nds.test/Probe", "OK"]).inc();
        request_seconds().with_label_values(&["grpc", "/nds.test/Probe"]).observe(0.002);
        let text = render_metrics();
        assert!(text.contains("nds_requests_total"), "{text}");
        assert!(text.contains("/nds.test/Probe"));
        assert!(text.contains("nds_request_seconds_bucket"));
    }
}

/// A tower layer that counts requests and records their latency by surface,
/// path and outcome (HTTP status, or `grpc-status` when a gRPC call failed early).
#[derive(Clone, Copy, Debug)]
pub struct RequestMetricsLayer {
    surface: &'static str,
}

impl RequestMetricsLayer {
    pub fn new(surface: &'static str) -> Self {
        Self { surface }
    }
}

impl<S> tower::Layer<S> for RequestMetricsLayer {
    type Service = RequestMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestMetrics { inner, surface: self.surface }
    }
}

#[derive(Clone, Debug)]
pub struct RequestMetrics<S> {
    inner: S,
    surface: &'static str,
}

/// Paths become label values: keep them few (gRPC methods, fixed HTTP routes).
fn operation_label(path: &str) -> String {
    if path.len() > 100 { "other".to_string() } else { path.to_string() }
}

fn record_request(surface: &str, operation: &str, code: &str, seconds: f64) {
    requests_total().with_label_values(&[surface, operation, code]).inc();
    request_seconds().with_label_values(&[surface, operation]).observe(seconds);
}

impl<S, RequestBody, ResponseBody> tower::Service<http::Request<RequestBody>> for RequestMetrics<S>
where
    S: tower::Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, context: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, request: http::Request<RequestBody>) -> Self::Future {
        let operation = operation_label(request.uri().path());
        let surface = self.surface;
        let started = std::time::Instant::now();
        let future = self.inner.call(request);
        Box::pin(async move {
            let result = future.await;
            let elapsed = started.elapsed().as_secs_f64();
            // Borrowed from the response: no allocation for the label on every request.
            match &result {
                Ok(response) => {
                    let status = response.status();
                    let code = response.headers().get("grpc-status").and_then(|value| value.to_str().ok());
                    record_request(surface, &operation, code.unwrap_or(status.as_str()), elapsed);
                }
                Err(_) => record_request(surface, &operation, "error", elapsed),
            }
            result
        })
    }
}
