//! Mounting: every service behind the auth interceptor with the same message
//! limits and per-token running cap ([`guarded`]), one tracing span per call
//! ([`RpcSpanLayer`]) and reflection for exactly what is mounted.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use innomatch_core::{
    auth::{AuthInterceptor, Principal},
    config::ServerLimits,
    fair_use::FairUse,
};
use innomatch_proto::v1::{
    account_service_server::{AccountService, AccountServiceServer},
    admin_service_server::{AdminService, AdminServiceServer},
    catalog_service_server::{CatalogService, CatalogServiceServer},
    interest_service_server::{InterestService, InterestServiceServer},
    leads_service_server::{LeadsService, LeadsServiceServer},
    matcher_service_server::{MatcherService, MatcherServiceServer},
    notification_service_server::{NotificationService, NotificationServiceServer},
    policy_service_server::{PolicyService, PolicyServiceServer},
    search_service_server::{SearchService, SearchServiceServer},
    stats_service_server::{StatsService, StatsServiceServer},
};
use tonic::{codegen::http, server::NamedService, service::interceptor::InterceptedService};
use tonic_types::StatusExt;
use tower::{Layer, Service};
use tracing::Instrument;

/// A generated service server whose message sizes can be capped.
pub trait MessageLimits: Sized {
    fn with_message_limit(self, bytes: usize) -> Self;
}

macro_rules! message_limits {
    ($($server:ident: $service:ident),+ $(,)?) => {
        $(impl<T: $service> MessageLimits for $server<T> {
            fn with_message_limit(self, bytes: usize) -> Self {
                self.max_decoding_message_size(bytes).max_encoding_message_size(bytes)
            }
        })+
    };
}

message_limits!(
    CatalogServiceServer: CatalogService,
    AdminServiceServer: AdminService,
    InterestServiceServer: InterestService,
    StatsServiceServer: StatsService,
    SearchServiceServer: SearchService,
    MatcherServiceServer: MatcherService,
    LeadsServiceServer: LeadsService,
    NotificationServiceServer: NotificationService,
    AccountServiceServer: AccountService,
    PolicyServiceServer: PolicyService,
);

/// A service as it is mounted: the auth interceptor (token, rate, streams),
/// then the per-token running cap, then message limits.
pub fn guarded<S: MessageLimits>(
    server: S,
    limits: &ServerLimits,
    auth: &AuthInterceptor,
) -> InterceptedService<RunningCap<S>, AuthInterceptor> {
    let capped =
        RunningCap { inner: server.with_message_limit(limits.max_message_bytes), fair_use: auth.fair_use().cloned() };
    InterceptedService::new(capped, auth.clone())
}

/// Fair use around every call, behind the auth interceptor (so the principal
/// is known): the token's call rate ([`FairUse::admit_call`]) and one of its
/// running-call permits ([`FairUse::running_call`]) held while the handler
/// runs. A refusal (RESOURCE_EXHAUSTED, here or from a stream cap) is
/// answered only after a pause, so a client that retries at once, ignoring
/// the hint, retries at about the rate it is allowed and not as fast as the
/// server can refuse.
#[derive(Debug, Clone)]
pub struct RunningCap<S> {
    inner: S,
    fair_use: Option<Arc<FairUse>>,
}

/// The longest pause before a refusal is answered.
const MAX_REFUSAL_PAUSE: Duration = Duration::from_secs(1);

impl<S: NamedService> NamedService for RunningCap<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for RunningCap<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        // The clone is ready only after its own poll_ready: call the one that
        // was polled and keep the clone for the next call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let principal = request.extensions().get::<Principal>().cloned();
        let Some((fair_use, principal)) = self.fair_use.clone().zip(principal) else {
            return Box::pin(inner.call(request));
        };
        Box::pin(async move {
            if let Err(refusal) = fair_use.admit_call(&principal) {
                pause_before_refusal(refusal.get_details_retry_info().and_then(|r| r.retry_delay)).await;
                return Ok(refusal.into_http());
            }
            let permit = fair_use.running_call(&principal).await;
            let response = inner.call(request).await?;
            drop(permit);
            if grpc_status(&response) == Some(tonic::Code::ResourceExhausted) {
                pause_before_refusal(None).await;
            }
            Ok(response)
        })
    }
}

async fn pause_before_refusal(retry_after: Option<Duration>) {
    tokio::time::sleep(retry_after.unwrap_or(MAX_REFUSAL_PAUSE).min(MAX_REFUSAL_PAUSE)).await;
}

/// The status of a trailers-only answer (how a handler's error goes out).
fn grpc_status<B>(response: &http::Response<B>) -> Option<tonic::Code> {
    let status = response.headers().get("grpc-status")?.to_str().ok()?.parse::<i32>().ok()?;
    Some(tonic::Code::from_i32(status))
}

/// What reflection lists: health, both reflection versions and the mounted services.
fn reflection_builder(mounted: &[&str]) -> tonic_reflection::server::Builder<'static> {
    let mut builder = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(innomatch_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET)
        .with_service_name("grpc.health.v1.Health")
        .with_service_name("grpc.reflection.v1.ServerReflection")
        .with_service_name("grpc.reflection.v1alpha.ServerReflection");
    for name in mounted {
        builder = builder.with_service_name(*name);
    }
    builder
}

/// The reflection service (`grpc.reflection.v1`).
pub fn reflection(
    mounted: &[&str],
) -> anyhow::Result<
    tonic_reflection::server::v1::ServerReflectionServer<impl tonic_reflection::server::v1::ServerReflection>,
> {
    Ok(reflection_builder(mounted).build_v1()?)
}

/// The same reflection as `grpc.reflection.v1alpha`, which older clients
/// (grpcurl before 1.9, many IDE plugins, grpcio's reflection helpers) speak.
pub fn reflection_v1alpha(
    mounted: &[&str],
) -> anyhow::Result<
    tonic_reflection::server::v1alpha::ServerReflectionServer<impl tonic_reflection::server::v1alpha::ServerReflection>,
> {
    Ok(reflection_builder(mounted).build_v1alpha()?)
}

/// Opens an `rpc` span for every call with the method (the gRPC path) and an
/// empty `principal` that the auth interceptor fills in, so every log line a
/// call causes says which call and which token.
#[derive(Debug, Clone, Copy, Default)]
pub struct RpcSpanLayer;

impl<S> Layer<S> for RpcSpanLayer {
    type Service = RpcSpan<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcSpan { inner }
    }
}

#[derive(Debug, Clone)]
pub struct RpcSpan<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for RpcSpan<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let span = tracing::info_span!("rpc", method = %request.uri().path(), principal = tracing::field::Empty);
        innomatch_core::telemetry::adopt_remote_parent(&span, request.headers());
        // Entered while calling too: the interceptor may run here rather than in the future.
        let future = span.in_scope(|| self.inner.call(request));
        Box::pin(future.instrument(span))
    }
}
