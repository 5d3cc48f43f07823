//! The server span of every incoming call: one tower layer for the gRPC servers and
//! the HTTP routers (edge, site, panel, Stripe's webhook). It continues the caller's
//! trace from `traceparent` and runs the handler inside the span, so the handler's own
//! calls carry the trace onward (`CallContext::request` injects it).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use opentelemetry::trace::TraceContextExt;
use tracing::Instrument;
use tracing::instrument::Instrumented;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::enabled;
use super::propagation::continue_trace;

/// What the served surface is, which decides the span's name and attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Surface {
    Grpc,
    Http,
}

#[derive(Clone, Copy, Debug)]
pub struct TraceLayer {
    surface: Surface,
}

impl TraceLayer {
    /// Spans named `package.Service/Method`, with `rpc.*` attributes.
    pub fn grpc() -> Self {
        Self { surface: Surface::Grpc }
    }

    /// Spans named `METHOD /route/{template}`: the matched route, never the raw path
    /// (mailed links carry tokens in their paths).
    pub fn http() -> Self {
        Self { surface: Surface::Http }
    }
}

impl<S> tower::Layer<S> for TraceLayer {
    type Service = Traced<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Traced { inner, surface: self.surface }
    }
}

#[derive(Clone, Debug)]
pub struct Traced<S> {
    inner: S,
    surface: Surface,
}

/// Records the span's trace id as its `trace_id` field, which log lines inside it print.
pub fn record_trace_id(span: &tracing::Span) {
    let trace_id = span.context().span().span_context().trace_id();
    if trace_id != opentelemetry::trace::TraceId::INVALID {
        span.record("trace_id", tracing::field::display(trace_id));
    }
}

fn grpc_span(path: &str) -> tracing::Span {
    let name = path.trim_start_matches('/');
    let (service, method) = name.split_once('/').unwrap_or((name, ""));
    tracing::info_span!(
        "grpc.server",
        otel.name = name,
        otel.kind = "server",
        rpc.system = "grpc",
        rpc.service = service,
        rpc.method = method,
        trace_id = tracing::field::Empty,
    )
}

fn http_span<B>(request: &http::Request<B>) -> tracing::Span {
    let route = request.extensions().get::<axum::extract::MatchedPath>().map(|path| path.as_str().to_string());
    let method = request.method().as_str();
    let name = match &route {
        Some(route) => format!("{method} {route}"),
        None => method.to_string(),
    };
    tracing::info_span!(
        "http.server",
        otel.name = %name,
        otel.kind = "server",
        http.request.method = method,
        http.route = route.as_deref(),
        http.response.status_code = tracing::field::Empty,
        trace_id = tracing::field::Empty,
    )
}

impl<S, RequestBody, ResponseBody> tower::Service<http::Request<RequestBody>> for Traced<S>
where
    S: tower::Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, request: http::Request<RequestBody>) -> Self::Future {
        if !enabled() {
            return Box::pin(self.inner.call(request));
        }
        let span = match self.surface {
            Surface::Grpc => grpc_span(request.uri().path()),
            Surface::Http => http_span(&request),
        };
        continue_trace(&span, request.headers());
        let surface = self.surface;
        let future: Instrumented<S::Future> = {
            let _entered = span.enter();
            self.inner.call(request)
        }
        .instrument(span.clone());
        Box::pin(async move {
            let result = future.await;
            if let (Surface::Http, Ok(response)) = (surface, &result) {
                span.record("http.response.status_code", response.status().as_u16());
            }
            result
        })
    }
}
