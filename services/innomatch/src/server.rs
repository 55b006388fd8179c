//! Starts the gRPC server: the chosen services behind the auth interceptor,
//! health (NOT_SERVING until the store is open), reflection for what is
//! mounted, explicit limits, and graceful shutdown.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use innomatch_catalog::{Catalog, grpc::CatalogGrpc, sqlite::SqliteStore, store::RecordStore, tokens::TokenRegistry};
use innomatch_core::{
    auth::AuthInterceptor,
    config::{ServiceKind, Settings},
    model::Role,
};
use innomatch_proto::v1::{
    admin_service_server::AdminServiceServer, catalog_service_server::CatalogServiceServer,
    search_service_server::SearchServiceServer,
};
use innomatch_search::{
    follower::{self, LocalChanges},
    grpc::SearchGrpc,
    index::SearchIndex,
};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{service::interceptor::InterceptedService, transport::Server};
use tonic_health::ServingStatus;

/// gRPC names of the services each [`ServiceKind`] mounts.
fn grpc_names(kind: ServiceKind) -> &'static [&'static str] {
    match kind {
        ServiceKind::Catalog => &["innomatch.v1.CatalogService", "innomatch.v1.AdminService"],
        ServiceKind::Search => &["innomatch.v1.SearchService"],
        ServiceKind::Leads => &["innomatch.v1.LeadsService"],
    }
}

/// How long a shutdown waits for open calls before cutting them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A server running in this process.
#[derive(Debug)]
pub struct RunningServer {
    /// The address actually bound (useful with port 0).
    pub addr: SocketAddr,
    /// An admin token generated because none existed yet; shown once.
    pub generated_admin_token: Option<String>,
    /// The search index, when the search service runs here.
    pub search_index: Option<Arc<SearchIndex>>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight calls finish for up to [`SHUTDOWN_GRACE`]
    /// (streams such as the change feed never finish by themselves), then stops.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut self.task).await {
            Ok(joined) => joined.context("server task panicked")?.context("server failed"),
            Err(_) => {
                tracing::warn!(grace = ?SHUTDOWN_GRACE, "calls still open after the grace period; closing them");
                self.task.abort();
                Ok(())
            }
        }
    }
}

/// Opens the stores, binds `settings.listen` and serves until shut down.
pub async fn start(settings: &Settings) -> anyhow::Result<RunningServer> {
    if settings.database_url.is_some() {
        anyhow::bail!(
            "a PostgreSQL record store is not part of this build; unset --database-url to use the embedded store"
        );
    }
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    let mounted: Vec<&str> = settings.services.iter().flat_map(|k| grpc_names(*k).iter().copied()).collect();
    for name in &mounted {
        health_reporter.set_service_status(*name, ServingStatus::NotServing).await;
    }
    health_reporter.set_service_status("", ServingStatus::NotServing).await;

    let store: Arc<dyn RecordStore> = Arc::new(
        SqliteStore::open(&settings.data_dir)
            .with_context(|| format!("opening the record store in {}", settings.data_dir.display()))?,
    );
    let tokens = TokenRegistry::load(store.as_ref()).await.context("loading api tokens")?;
    let catalog = Catalog::new(Arc::clone(&store), Arc::clone(&tokens) as _);
    let search = if settings.services.contains(&ServiceKind::Search) {
        let dir = settings.data_dir.join("index");
        let index =
            Arc::new(SearchIndex::open(&dir).with_context(|| format!("opening the index in {}", dir.display()))?);
        let refresh = Duration::from_millis(settings.search.refresh_ms);
        let follower = follower::spawn(Arc::clone(&index), Arc::new(LocalChanges::new(catalog.clone())), refresh);
        Some((index, follower))
    } else {
        None
    };

    let generated_admin_token = if settings.admin_token.is_none() && !catalog.has_admin_token().await? {
        let issued = catalog
            .issue_token_unchecked(None, Role::Admin, "generated at first start".into())
            .await
            .context("issuing the first admin token")?;
        Some(issued.secret)
    } else {
        None
    };
    let interceptor = AuthInterceptor::new(tokens, settings.admin_token.as_ref().map(|s| s.expose()));

    let limits = settings.limits;
    let listener = TcpListener::bind(settings.listen).await.with_context(|| format!("binding {}", settings.listen))?;
    let addr = listener.local_addr()?;

    let mut reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(innomatch_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .with_service_name("grpc.health.v1.Health")
        .with_service_name("grpc.reflection.v1.ServerReflection");
    for name in &mounted {
        reflection = reflection.with_service_name(*name);
    }
    let reflection = reflection.build_v1().context("building the reflection service")?;

    let catalog_services = settings.services.contains(&ServiceKind::Catalog).then(|| {
        let grpc = CatalogGrpc::new(catalog.clone());
        let catalog_server = CatalogServiceServer::new(grpc.clone())
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes);
        let admin_server = AdminServiceServer::new(grpc)
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes);
        (
            InterceptedService::new(catalog_server, interceptor.clone()),
            InterceptedService::new(admin_server, interceptor.clone()),
        )
    });
    let (catalog_server, admin_server) = catalog_services.unzip();
    let search_server = search.as_ref().map(|(index, _)| {
        let server = SearchServiceServer::new(SearchGrpc::new(Arc::clone(index), catalog.clone()))
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes);
        InterceptedService::new(server, interceptor.clone())
    });
    let (search_index, search_follower) = search.unzip();

    let router = Server::builder()
        .concurrency_limit_per_connection(limits.concurrency_per_connection)
        .timeout(Duration::from_secs(limits.request_timeout_secs))
        .tcp_nodelay(true)
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .add_service(health_service)
        .add_service(reflection)
        .add_optional_service(catalog_server)
        .add_optional_service(admin_server)
        .add_optional_service(search_server);

    // The store is open and the tokens are loaded: the mounted services are ready.
    for name in &mounted {
        health_reporter.set_service_status(*name, ServingStatus::Serving).await;
    }
    health_reporter.set_service_status("", ServingStatus::Serving).await;

    let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
    let services: Vec<&str> = settings.services.iter().map(|k| k.name()).collect();
    tracing::info!(%addr, services = ?services, data_dir = %settings.data_dir.display(), "innomatch listening");
    let task = tokio::spawn(async move {
        let result = router
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async move {
                let _ = shutdown_rx.await;
                for name in &mounted {
                    health_reporter.set_service_status(*name, ServingStatus::NotServing).await;
                }
                tracing::info!("shutting down");
            })
            .await;
        if let Some(follower) = search_follower {
            follower.abort();
        }
        drop(catalog);
        result
    });
    Ok(RunningServer { addr, generated_admin_token, search_index, shutdown: Some(shutdown_tx), task })
}
