//! Prometheus metrics: a tower layer that counts every RPC by method and
//! status code and times it in a histogram, gauges for the index and the lead
//! backlog, and the `/metrics` HTTP endpoint (optionally behind a token).
//!
//! Method labels come only from the methods this build defines: any other
//! path is counted as `unknown`, so a client cannot create series at will.

use std::{
    collections::HashSet,
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::OnceLock,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use innomatch_core::{auth::hash_token, config::Secret};
use innomatch_proto::prost::Message;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::{net::TcpListener, task::JoinHandle};
use tonic::codegen::http;
use tower::{Layer, Service};

/// The process-wide recorder (metrics are global; every server in the
/// process reports into it).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        // Histograms (not summaries): buckets aggregate across replicas.
        // `set_buckets` fails only on an empty list.
        let builder =
            PrometheusBuilder::new().set_buckets(DURATION_BUCKETS).unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (e.g. by an embedding
        // program); then ours still renders, it only receives nothing.
        if metrics::set_global_recorder(recorder).is_ok() {
            describe();
        }
        handle
    })
}

/// Call durations from half a millisecond to a minute, in seconds.
const DURATION_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// The `# HELP` line of every series this process reports.
fn describe() {
    metrics::describe_counter!("innomatch_rpc_requests_total", "gRPC calls by method and status code");
    metrics::describe_histogram!(
        "innomatch_rpc_duration_seconds",
        metrics::Unit::Seconds,
        "gRPC call durations by method (until the response starts, for streams)"
    );
    metrics::describe_gauge!(
        "innomatch_change_feed_sequence",
        "newest committed change-feed sequence (a replica: at the catalog it follows)"
    );
    metrics::describe_gauge!(
        "innomatch_index_applied_sequence",
        "last change-feed sequence applied to the search index"
    );
    metrics::describe_gauge!("innomatch_index_documents", "documents in the search index");
    metrics::describe_gauge!("innomatch_index_lag_changes", "changes committed but not yet in the search index");
    metrics::describe_gauge!("innomatch_lead_backlog", "open, unacknowledged leads per agency");
}

/// Every gRPC method path this build serves (`/package.Service/Method`).
fn known_methods() -> &'static HashSet<String> {
    static KNOWN: OnceLock<HashSet<String>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let sets = [
            innomatch_proto::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
        ];
        let mut known = HashSet::new();
        for encoded in sets {
            let Ok(set) = innomatch_proto::prost_types::FileDescriptorSet::decode(encoded) else { continue };
            for file in set.file {
                for service in &file.service {
                    for method in &service.method {
                        known.insert(format!("/{}.{}/{}", file.package(), service.name(), method.name()));
                    }
                }
            }
        }
        known
    })
}

/// The method label of a request path: the path itself when this build
/// defines it, `unknown` otherwise.
pub fn method_label(path: &str) -> String {
    if known_methods().contains(path) { path.to_owned() } else { "unknown".to_owned() }
}

/// Serves `GET /metrics` on `addr`; returns the bound address and the task.
/// With a token, requests without `Authorization: Bearer <token>` get 401.
pub async fn serve(addr: SocketAddr, token: Option<&Secret>) -> anyhow::Result<(SocketAddr, JoinHandle<()>)> {
    let handle = handle().clone();
    if token.is_none() && !addr.ip().is_loopback() {
        tracing::warn!(%addr, "metrics are served on a non-loopback address without INNOMATCH_METRICS_TOKEN");
    }
    // Compared as hashes so the comparison takes the same time whatever the guess.
    let token_hash = token.map(|t| hash_token(t.expose()));
    let router = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move |headers: axum::http::HeaderMap| {
            let handle = handle.clone();
            let token_hash = token_hash.clone();
            async move {
                if let Some(expected) = token_hash {
                    let given = headers
                        .get(axum::http::header::AUTHORIZATION)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.strip_prefix("Bearer "))
                        .map(|t| hash_token(t.trim()));
                    if given.as_deref() != Some(expected.as_str()) {
                        return (axum::http::StatusCode::UNAUTHORIZED, "metrics need a bearer token\n".to_owned());
                    }
                }
                (axum::http::StatusCode::OK, handle.render())
            }
        }),
    );
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::warn!(%error, "metrics endpoint stopped");
        }
    });
    Ok((bound, task))
}

/// Counts and times every gRPC call (`innomatch_rpc_requests_total`,
/// `innomatch_rpc_duration_seconds`), labelled by method and status code.
#[derive(Debug, Clone, Copy, Default)]
pub struct RpcMetricsLayer;

impl<S> Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        handle(); // make sure the recorder exists before the first call
        RpcMetrics { inner }
    }
}

#[derive(Debug, Clone)]
pub struct RpcMetrics<S> {
    inner: S,
}

/// The status code of a response: errors come as trailers-only responses
/// with `grpc-status` in the headers; a response without it starts a
/// successful body (its status follows in the trailers).
fn status_code<B>(response: &http::Response<B>) -> String {
    let code = response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .unwrap_or(0);
    format!("{:?}", tonic::Code::from_i32(code))
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for RpcMetrics<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let method = method_label(request.uri().path());
        let started = Instant::now();
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await;
            let code = match &response {
                Ok(response) => status_code(response),
                Err(_) => "Internal".to_owned(),
            };
            metrics::counter!("innomatch_rpc_requests_total", "method" => method.clone(), "code" => code).increment(1);
            metrics::histogram!("innomatch_rpc_duration_seconds", "method" => method)
                .record(started.elapsed().as_secs_f64());
            response
        })
    }
}

/// How often the gauges are refreshed.
pub const GAUGE_INTERVAL: Duration = Duration::from_secs(2);

/// Sets a gauge (for callers that compute their own values).
pub fn gauge(name: &'static str, value: f64) {
    metrics::gauge!(name).set(value);
}

/// Sets a gauge with one label.
pub fn labelled_gauge(name: &'static str, label: &'static str, value_of_label: String, value: f64) {
    metrics::gauge!(name, label => value_of_label).set(value);
}
