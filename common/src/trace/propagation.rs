//! W3C trace context in and out: gRPC metadata and HTTP headers, and the one-line
//! `traceparent` a stored row carries (catalog's change feed, billing's webhook events).

use std::collections::HashMap;
use std::sync::LazyLock;

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::enabled;
use super::layer::record_trace_id;

static PROPAGATOR: LazyLock<TraceContextPropagator> = LazyLock::new(TraceContextPropagator::new);

struct MetadataInjector<'a>(&'a mut MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (MetadataKey::from_bytes(key.as_bytes()), MetadataValue::try_from(value)) {
            self.0.insert(key, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Adds the current span's `traceparent` to an outgoing gRPC call (nothing when off).
pub fn inject_current(metadata: &mut MetadataMap) {
    if !enabled() {
        return;
    }
    let context = tracing::Span::current().context();
    PROPAGATOR.inject_context(&context, &mut MetadataInjector(metadata));
}

/// Adds the current span's `traceparent` to outgoing HTTP headers (nothing when off).
pub fn inject_current_headers(headers: &mut http::HeaderMap) {
    for (name, value) in current_fields() {
        if let (Ok(name), Ok(value)) = (http::HeaderName::try_from(name), http::HeaderValue::try_from(value)) {
            headers.insert(name, value);
        }
    }
}

/// The current span's `traceparent`, to store beside work that runs later.
pub fn current_traceparent() -> Option<String> {
    current_fields().remove("traceparent")
}

/// The current span's trace context as W3C fields (none when off).
fn current_fields() -> HashMap<String, String> {
    let mut fields = HashMap::new();
    if enabled() {
        PROPAGATOR.inject_context(&tracing::Span::current().context(), &mut fields);
    }
    fields
}

/// Makes `span` continue the trace of incoming headers (a new trace when they carry
/// none or a malformed one), and puts the trace id on the span for log lines.
pub fn continue_trace(span: &tracing::Span, headers: &http::HeaderMap) {
    if !enabled() {
        return;
    }
    set_parent(span, PROPAGATOR.extract(&HeaderExtractor(headers)));
}

/// Makes `span` continue the trace of the first stored `traceparent` (a new trace
/// when there is none) and links the traces of the rest: work done later for several
/// requests at once, such as an indexed batch or a pass over webhook events.
pub fn continue_stored_traces<'a>(span: &tracing::Span, traceparents: impl IntoIterator<Item = &'a str>) {
    if !enabled() {
        return;
    }
    let mut traceparents = traceparents.into_iter();
    let parent = traceparents.next().map(stored_context).unwrap_or_default();
    set_parent(span, parent);
    for traceparent in traceparents {
        let linked = stored_context(traceparent).span().span_context().clone();
        if linked.is_valid() {
            span.add_link(linked);
        }
    }
}

fn stored_context(traceparent: &str) -> Context {
    let fields = HashMap::from([("traceparent".to_string(), traceparent.to_string())]);
    PROPAGATOR.extract(&fields)
}

fn set_parent(span: &tracing::Span, parent: Context) {
    // Only fails when the span is disabled or already started: it then keeps its own trace.
    let _ = span.set_parent(parent);
    record_trace_id(span);
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;
    use crate::trace::set_enabled;

    const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const CALLER: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn trace_id_of(traceparent: &str) -> &str {
        traceparent.split('-').nth(1).unwrap_or_default()
    }

    /// One test: the on/off switch is process-wide.
    #[test]
    fn the_callers_trace_continues_into_outgoing_calls_and_stored_rows_and_stops_when_off() {
        let provider = SdkTracerProvider::builder().build();
        let subscriber =
            tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, || {
            set_enabled(true);
            let mut headers = http::HeaderMap::new();
            headers.insert("traceparent", CALLER.parse().unwrap());
            let span = tracing::info_span!("incoming", trace_id = tracing::field::Empty);
            continue_trace(&span, &headers);
            span.in_scope(|| {
                let stored = current_traceparent().expect("a traceparent while on");
                assert_eq!(trace_id_of(&stored), TRACE_ID, "{stored}");
                assert_ne!(stored, CALLER, "the stored one names this span, not the caller's");
                let mut metadata = MetadataMap::new();
                inject_current(&mut metadata);
                let sent = metadata.get("traceparent").unwrap().to_str().unwrap().to_string();
                assert_eq!(trace_id_of(&sent), TRACE_ID);

                let later = tracing::info_span!("later", trace_id = tracing::field::Empty);
                continue_stored_traces(&later, [stored.as_str()]);
                let continued = later.in_scope(current_traceparent).unwrap();
                assert_eq!(trace_id_of(&continued), TRACE_ID, "work done later joins the trace");
            });

            // A malformed caller's header starts a trace of its own.
            headers.insert("traceparent", "00-not-a-trace-01".parse().unwrap());
            let fresh = tracing::info_span!("incoming", trace_id = tracing::field::Empty);
            continue_trace(&fresh, &headers);
            let own = fresh.in_scope(current_traceparent).unwrap();
            assert_ne!(trace_id_of(&own), TRACE_ID);
            assert_eq!(trace_id_of(&own).len(), 32);

            set_enabled(false);
            span.in_scope(|| {
                assert_eq!(current_traceparent(), None);
                let mut metadata = MetadataMap::new();
                inject_current(&mut metadata);
                assert!(metadata.get("traceparent").is_none(), "nothing is sent while off");
            });
        });
    }
}
