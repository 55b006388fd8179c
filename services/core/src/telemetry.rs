//! Logging and tracing: `RUST_LOG` (default `innomatch=info,tantivy=warn`) as
//! text or JSON on stderr and, when an OTLP endpoint is configured, the same
//! spans exported as OpenTelemetry traces. Trace context crosses processes as
//! W3C `traceparent`/`tracestate` gRPC metadata: [`adopt_remote_parent`] on
//! the way in, [`inject_current_context`] on the way out.

use std::io::IsTerminal;

use opentelemetry::{
    KeyValue,
    propagation::{Extractor, Injector, TextMapPropagator},
    trace::TracerProvider as _,
};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::{Resource, propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tonic::{
    codegen::http,
    metadata::{MetadataKey, MetadataMap, MetadataValue},
};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, Layer, fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::LogFormat;

pub const DEFAULT_LOG_FILTER: &str = "innomatch=info,tantivy=warn";

/// Where and as what this process exports its traces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceExport {
    /// The OTLP/gRPC endpoint of a collector, e.g. `http://127.0.0.1:4317`.
    pub endpoint: String,
    /// The services this process runs, as a resource attribute
    /// (`innomatch.services`), so split processes can be told apart.
    pub services: String,
}

/// What [`init`] installed; [`Telemetry::shutdown`] flushes the spans still
/// buffered, so the last calls before a stop are not lost.
#[derive(Debug, Default)]
#[must_use = "dropping it without shutdown loses the spans still buffered"]
pub struct Telemetry {
    tracer_provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are being exported.
    pub fn exports_traces(&self) -> bool {
        self.tracer_provider.is_some()
    }

    /// Exports what is buffered and stops the exporter.
    pub fn shutdown(self) {
        if let Some(provider) = self.tracer_provider
            && let Err(e) = provider.shutdown()
        {
            eprintln!("innomatch: flushing traces at shutdown failed: {e}");
        }
    }
}

/// Installs the global subscriber; later calls are ignored (tests call it
/// often). With `traces`, must run inside a tokio runtime (the OTLP exporter
/// is a tonic client); a collector that is down loses spans, never calls.
pub fn init(format: LogFormat, traces: Option<&TraceExport>) -> Result<Telemetry, String> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    // Colours only for a person at a terminal: a log file or a supervisor's
    // pipe gets plain text.
    let ansi = std::io::stderr().is_terminal() && std::io::stdout().is_terminal();
    let text = fmt::layer().with_writer(std::io::stderr).with_ansi(ansi);
    let log = match format {
        LogFormat::Text => text.boxed(),
        LogFormat::Json => text.json().flatten_event(true).boxed(),
    };
    let tracer_provider = traces.map(tracer_provider).transpose()?;
    let export = tracer_provider
        .as_ref()
        .map(|provider| tracing_opentelemetry::layer().with_tracer(provider.tracer("innomatch")));
    let installed = tracing_subscriber::registry().with(log).with(export).with(filter).try_init().is_ok();
    // A second init (tests) keeps the first subscriber; its exporter is the one in use.
    Ok(Telemetry { tracer_provider: tracer_provider.filter(|_| installed) })
}

fn tracer_provider(traces: &TraceExport) -> Result<SdkTracerProvider, String> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(traces.endpoint.clone())
        .build()
        .map_err(|e| format!("the OTLP endpoint {}: {e}", traces.endpoint))?;
    let resource = Resource::builder()
        .with_service_name("innomatch")
        .with_attribute(KeyValue::new("innomatch.services", traces.services.clone()))
        .build();
    Ok(SdkTracerProvider::builder().with_resource(resource).with_batch_exporter(exporter).build())
}

/// Makes `span` (not yet entered) a child of the trace the caller sent in
/// `headers`, if any. Without a tracing exporter this does nothing.
pub fn adopt_remote_parent(span: &tracing::Span, headers: &http::HeaderMap) {
    if headers.contains_key("traceparent") {
        let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
        // Fails only when no exporter is installed or the span is disabled: nothing to link then.
        let _ = span.set_parent(parent);
    }
}

/// Puts the current span's trace context into an outgoing call's metadata,
/// so the callee's spans join this trace.
pub fn inject_current_context(metadata: &mut MetadataMap) {
    let context = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&context, &mut MetadataInjector(metadata));
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

struct MetadataInjector<'a>(&'a mut MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (MetadataKey::from_bytes(key.as_bytes()), MetadataValue::try_from(value)) {
            self.0.insert(key, value);
        }
    }
}
