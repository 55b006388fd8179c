//! Prometheus metrics: a tower layer that counts every RPC by method and
//! status code and times it, gauges for the index and the lead backlog, and
//! the `/metrics` HTTP endpoint.

use std::{
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::OnceLock,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::{net::TcpListener, task::JoinHandle};
use tonic::codegen::http;
use tower::{Layer, Service};

/// The process-wide recorder (metrics are global; every server in the
/// process reports into it).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (e.g. by an embedding
        // program); then ours still renders, it only receives nothing.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Serves `GET /metrics` on `addr`; returns the bound address and the task.
pub async fn serve(addr: SocketAddr) -> anyhow::Result<(SocketAddr, JoinHandle<()>)> {
    let handle = handle().clone();
    let router = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let handle = handle.clone();
            async move { handle.render() }
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
        let method = request.uri().path().to_owned();
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
