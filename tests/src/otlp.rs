//! An OpenTelemetry collector in the test process: it serves OTLP/gRPC's
//! `TraceService` on loopback and keeps every span it receives, and the process's
//! subscriber exports to it through NDS's own set-up (`telemetry::install`), so a
//! test reads the traces an operator's collector would get.
//!
//! One per process (the subscriber is global), on a runtime of its own, so it
//! outlives each test's runtime.

// Test support: a failed expectation here is a failed test, said loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use nds_common::config::LogFormat;
use nds_common::trace::TraceExport;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};

/// One received span, flattened for assertions.
#[derive(Clone, Debug)]
pub struct ReceivedSpan {
    /// The exporting process's `service.name`.
    pub service: String,
    pub trace_id: String,
    pub span_id: String,
    /// Empty for a trace's root.
    pub parent_span_id: String,
    pub name: String,
    pub attributes: HashMap<String, String>,
    /// Trace ids this span links to.
    pub linked_traces: Vec<String>,
}

impl ReceivedSpan {
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<ReceivedSpan>>>,
}

fn text(value: Option<&AnyValue>) -> String {
    match value.and_then(|value| value.value.as_ref()) {
        Some(Value::StringValue(text)) => text.clone(),
        Some(Value::BoolValue(flag)) => flag.to_string(),
        Some(Value::IntValue(number)) => number.to_string(),
        Some(Value::DoubleValue(number)) => number.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

fn attributes(pairs: &[KeyValue]) -> HashMap<String, String> {
    pairs.iter().map(|pair| (pair.key.clone(), text(pair.value.as_ref()))).collect()
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut received = Vec::new();
        for resource_spans in request.into_inner().resource_spans {
            let resource = resource_spans.resource.map(|resource| attributes(&resource.attributes)).unwrap_or_default();
            let service = resource.get("service.name").cloned().unwrap_or_default();
            for scope_spans in resource_spans.scope_spans {
                for span in scope_spans.spans {
                    received.push(ReceivedSpan {
                        service: service.clone(),
                        trace_id: hex::encode(&span.trace_id),
                        span_id: hex::encode(&span.span_id),
                        parent_span_id: hex::encode(&span.parent_span_id),
                        name: span.name.clone(),
                        attributes: attributes(&span.attributes),
                        linked_traces: span.links.iter().map(|link| hex::encode(&link.trace_id)).collect(),
                    });
                }
            }
        }
        self.spans.lock().unwrap().extend(received);
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

pub struct Collector {
    receiver: Receiver,
    export: TraceExport,
    /// Serves the receiver and holds the exporter's channel.
    _runtime: tokio::runtime::Runtime,
}

static COLLECTOR: OnceLock<Collector> = OnceLock::new();

impl Collector {
    /// The process's collector, started and installed as the exporting subscriber on first use.
    pub fn installed() -> &'static Collector {
        COLLECTOR.get_or_init(|| Collector::start(false))
    }

    /// The same, with export switched by `nds_common::trace::set_enabled` (benchmarks of
    /// tracing on and off in one process).
    pub fn installed_switchable() -> &'static Collector {
        COLLECTOR.get_or_init(|| Collector::start(true))
    }

    fn start(switchable: bool) -> Collector {
        // Built on a thread of its own: the caller may be inside a test's runtime,
        // where another runtime can be neither started nor blocked on.
        let (runtime, receiver, export) = std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
            let receiver = Receiver::default();
            let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
            let endpoint = format!("http://{}", listener.local_addr().unwrap());
            runtime.spawn(
                tonic::transport::Server::builder()
                    .add_service(TraceServiceServer::new(receiver.clone()))
                    .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
            );
            let export = {
                let _inside = runtime.enter();
                TraceExport::otlp(&endpoint, "nds-test").unwrap()
            };
            (runtime, receiver, export)
        })
        .join()
        .unwrap();
        // The same layers `nds` installs; logs at warn keep the output readable.
        let export = if switchable {
            nds_common::telemetry::install_switchable(
                &std::env::var("NDS_TEST_LOG").unwrap_or_else(|_| "warn".into()),
                LogFormat::Text,
                export,
            )
        } else {
            nds_common::telemetry::install(
                &std::env::var("NDS_TEST_LOG").unwrap_or_else(|_| "warn".into()),
                LogFormat::Text,
                Some(export),
            )
        }
        .expect("the export is handed back");
        Collector { receiver, export, _runtime: runtime }
    }

    /// How many spans arrived so far (without flushing).
    pub fn received(&self) -> usize {
        self.receiver.spans.lock().unwrap().len()
    }

    /// Every span received so far, after sending what is buffered.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        self.export.flush();
        self.receiver.spans.lock().unwrap().clone()
    }

    /// Waits (flushing) until `ready` holds for the received spans; panics after `budget`.
    pub async fn wait_for(
        &self,
        budget: Duration,
        what: &str,
        ready: impl Fn(&[ReceivedSpan]) -> bool,
    ) -> Vec<ReceivedSpan> {
        let started = std::time::Instant::now();
        loop {
            let spans = self.spans();
            if ready(&spans) {
                return spans;
            }
            if started.elapsed() > budget {
                let names: Vec<String> =
                    spans.iter().map(|span| format!("{} {} ({})", span.trace_id, span.name, span.service)).collect();
                panic!("never received {what}; got:\n{}", names.join("\n"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The spans of one trace.
pub fn trace_of<'a>(spans: &'a [ReceivedSpan], trace_id: &str) -> Vec<&'a ReceivedSpan> {
    spans.iter().filter(|span| span.trace_id == trace_id).collect()
}
