//! Mounting: every service behind the auth interceptor with the same message
//! limits ([`guarded`]), one tracing span per call ([`RpcSpanLayer`]) and
//! reflection for exactly what is mounted.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use innomatch_core::{auth::AuthInterceptor, config::ServerLimits};
use innomatch_proto::v1::{
    account_service_server::{AccountService, AccountServiceServer},
    admin_service_server::{AdminService, AdminServiceServer},
    catalog_service_server::{CatalogService, CatalogServiceServer},
    leads_service_server::{LeadsService, LeadsServiceServer},
    matcher_service_server::{MatcherService, MatcherServiceServer},
    search_service_server::{SearchService, SearchServiceServer},
    stats_service_server::{StatsService, StatsServiceServer},
};
use tonic::{codegen::http, service::interceptor::InterceptedService};
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
    StatsServiceServer: StatsService,
    SearchServiceServer: SearchService,
    MatcherServiceServer: MatcherService,
    LeadsServiceServer: LeadsService,
    AccountServiceServer: AccountService,
);

/// A service as it is mounted: message limits, then the auth interceptor.
pub fn guarded<S: MessageLimits>(
    server: S,
    limits: &ServerLimits,
    auth: &AuthInterceptor,
) -> InterceptedService<S, AuthInterceptor> {
    InterceptedService::new(server.with_message_limit(limits.max_message_bytes), auth.clone())
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
        // Entered while calling too: the interceptor may run here rather than in the future.
        let future = span.in_scope(|| self.inner.call(request));
        Box::pin(future.instrument(span))
    }
}
