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
use innomatch_leads::{Leads, grpc::LeadsGrpc};
use innomatch_matcher::{
    Matcher,
    auto::{self, Checkpoint, LeadSink, RemoteLeads},
    grpc::MatcherGrpc,
};

use crate::{
    deadline::DeadlineLayer,
    metrics::{self, GAUGE_INTERVAL, RpcMetricsLayer, gauge, labelled_gauge},
    sample::{self, DemoTokens},
    stats::StatsGrpc,
};

/// Refreshes the gauges: the change-feed head, index size and its lag behind
/// the feed, and the open lead backlog per agency.
fn spawn_gauges(store: Arc<dyn RecordStore>, index: Option<Arc<SearchIndex>>, leads: Option<Leads>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let sequence = store.sequence();
        let mut agencies_seen = std::collections::BTreeSet::new();
        loop {
            let latest = *sequence.borrow();
            gauge("innomatch_change_feed_sequence", latest as f64);
            if let Some(index) = &index {
                gauge("innomatch_index_documents", index.num_docs() as f64);
                gauge("innomatch_index_lag_changes", (latest - index.applied_sequence()).max(0) as f64);
            }
            if let Some(Ok(backlog)) = match &leads {
                Some(leads) => Some(leads.backlog_by_agency().await),
                None => None,
            } {
                // An agency that answered everything drops out of the query: report its 0.
                let current: std::collections::BTreeSet<String> = backlog.iter().map(|(a, _)| a.clone()).collect();
                for agency in agencies_seen.difference(&current) {
                    labelled_gauge("innomatch_lead_backlog", "agency", agency.clone(), 0.0);
                }
                for (agency, open) in backlog {
                    labelled_gauge("innomatch_lead_backlog", "agency", agency, open as f64);
                }
                agencies_seen = current;
            }
            tokio::time::sleep(GAUGE_INTERVAL).await;
        }
    })
}
use innomatch_proto::v1::leads_service_server::LeadsServiceServer;
use innomatch_proto::v1::{
    admin_service_server::AdminServiceServer, catalog_service_server::CatalogServiceServer,
    matcher_service_server::MatcherServiceServer, search_service_server::SearchServiceServer,
    stats_service_server::StatsServiceServer,
};
use innomatch_search::{
    follower::{self, LocalChanges},
    grpc::SearchGrpc,
    index::SearchIndex,
};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::{
    service::interceptor::InterceptedService,
    transport::{Server, server::TcpIncoming},
};
use tonic_health::ServingStatus;

/// gRPC names of the services each [`ServiceKind`] mounts.
fn grpc_names(kind: ServiceKind) -> &'static [&'static str] {
    match kind {
        ServiceKind::Catalog => {
            &["innomatch.v1.CatalogService", "innomatch.v1.AdminService", "innomatch.v1.StatsService"]
        }
        ServiceKind::Search => &["innomatch.v1.SearchService"],
        ServiceKind::Matcher => &["innomatch.v1.MatcherService"],
        ServiceKind::Leads => &["innomatch.v1.LeadsService"],
    }
}

/// How often API tokens are re-read from the store (for other processes' changes).
const TOKEN_REFRESH: Duration = Duration::from_secs(2);

/// How long a shutdown waits for open calls before cutting them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A server running in this process.
#[derive(Debug)]
pub struct RunningServer {
    /// The address actually bound (useful with port 0).
    pub addr: SocketAddr,
    /// Where `/metrics` is served.
    pub metrics_addr: SocketAddr,
    /// An admin token generated because none existed yet; shown once.
    pub generated_admin_token: Option<String>,
    /// Demo tokens, when this start loaded the sample data; shown once.
    pub demo_tokens: Option<DemoTokens>,
    /// The search index, when the search service runs here.
    pub search_index: Option<Arc<SearchIndex>>,
    /// The leads domain API, when the leads service runs here: the matcher
    /// (and tests) offer leads through it in-process.
    pub leads: Option<Leads>,
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
    // Bind first: a taken port is the likeliest start-up failure, and failing
    // here leaves no store open and no background task behind.
    let listener = TcpListener::bind(settings.listen).await.with_context(|| format!("binding {}", settings.listen))?;
    let addr = listener.local_addr()?;
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
    let token_refresh = tokens.spawn_refresh(Arc::clone(&store), TOKEN_REFRESH);
    // The matcher retrieves candidates from the index, so either service opens it.
    let needs_index = settings.services.iter().any(|k| matches!(k, ServiceKind::Search | ServiceKind::Matcher));
    let search = if needs_index {
        let dir = settings.data_dir.join("index");
        let index =
            Arc::new(SearchIndex::open(&dir).with_context(|| format!("opening the index in {}", dir.display()))?);
        let refresh = Duration::from_millis(settings.search.refresh_ms);
        let follower = follower::spawn(Arc::clone(&index), Arc::new(LocalChanges::new(catalog.clone())), refresh);
        Some((index, follower))
    } else {
        None
    };

    // Leads: `leads.sqlite3` in the data directory; delivered through Redis
    // when a Redis URL is configured, in-process otherwise.
    let leads = if settings.services.contains(&ServiceKind::Leads) {
        let redis_url = settings.redis_url.as_ref().map(|url| url.expose());
        Some(Leads::open(&settings.data_dir, redis_url, &settings.leads).context("opening the leads service")?)
    } else {
        None
    };

    // The matcher, with auto-matching of new needs into leads when both run here.
    let matcher = match (&search, settings.services.contains(&ServiceKind::Matcher)) {
        (Some((index, _)), true) => Some(Matcher::new(catalog.clone(), Arc::clone(index))),
        _ => None,
    };
    let lead_sink: Option<Arc<dyn LeadSink>> = match (&leads, &settings.leads_url) {
        (Some(leads), _) => Some(Arc::new(leads.clone())),
        (None, Some(url)) => {
            let token = settings.admin_token.as_ref().context("INNOMATCH_LEADS_URL needs INNOMATCH_ADMIN_TOKEN")?;
            Some(Arc::new(RemoteLeads::new(url, token.expose()).map_err(anyhow::Error::msg)?))
        }
        (None, None) => None,
    };
    let auto_matcher = match (&matcher, lead_sink) {
        (Some(matcher), Some(sink)) => {
            let checkpoint = Checkpoint::new(Some(settings.data_dir.join("matcher.checkpoint")));
            Some(auto::spawn(matcher.clone(), catalog.clone(), sink, checkpoint))
        }
        _ => None,
    };

    let demo_tokens = if settings.sample_data {
        sample::load_if_empty(&catalog).await.context("loading the sample data")?
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
    let stats_server = settings.services.contains(&ServiceKind::Catalog).then(|| {
        InterceptedService::new(
            StatsServiceServer::new(StatsGrpc::new(catalog.clone(), leads.clone())),
            interceptor.clone(),
        )
    });
    let matcher_server =
        (settings.services.contains(&ServiceKind::Matcher)).then_some(search.as_ref()).flatten().map(|(index, _)| {
            let server = MatcherServiceServer::new(MatcherGrpc::new(Matcher::new(catalog.clone(), Arc::clone(index))))
                .max_decoding_message_size(limits.max_message_bytes)
                .max_encoding_message_size(limits.max_message_bytes);
            InterceptedService::new(server, interceptor.clone())
        });
    let search_server =
        search.as_ref().filter(|_| settings.services.contains(&ServiceKind::Search)).map(|(index, _)| {
            let server = SearchServiceServer::new(SearchGrpc::new(Arc::clone(index), catalog.clone()))
                .max_decoding_message_size(limits.max_message_bytes)
                .max_encoding_message_size(limits.max_message_bytes);
            InterceptedService::new(server, interceptor.clone())
        });
    let (search_index, search_follower) = search.unzip();
    let leads_server = leads.as_ref().map(|leads| {
        let server = LeadsServiceServer::new(LeadsGrpc::new(leads.clone()))
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes);
        InterceptedService::new(server, interceptor.clone())
    });

    let (metrics_addr, metrics_task) = metrics::serve(settings.metrics_listen)
        .await
        .with_context(|| format!("serving metrics on {}", settings.metrics_listen))?;
    let gauges = spawn_gauges(Arc::clone(&store), search_index.clone(), leads.clone());

    let router = Server::builder()
        .layer(RpcMetricsLayer)
        .layer(DeadlineLayer { deadline: Duration::from_secs(limits.request_timeout_secs) })
        .concurrency_limit_per_connection(limits.concurrency_per_connection)
        .tcp_nodelay(true)
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .add_service(health_service)
        .add_service(reflection)
        .add_optional_service(catalog_server)
        .add_optional_service(admin_server)
        .add_optional_service(stats_server)
        .add_optional_service(search_server)
        .add_optional_service(matcher_server)
        .add_optional_service(leads_server);

    // The store is open and the tokens are loaded: the mounted services are ready.
    for name in &mounted {
        health_reporter.set_service_status(*name, ServingStatus::Serving).await;
    }
    health_reporter.set_service_status("", ServingStatus::Serving).await;
    // LeadsService follows its delivery backend: NOT_SERVING while Redis is unreachable.
    let leads_health = match &leads {
        Some(leads) => Some(follow_leads_readiness(leads, health_reporter.clone()).await),
        None => None,
    };
    let leads_on_shutdown = leads.clone();

    let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
    let services: Vec<&str> = settings.services.iter().map(|k| k.name()).collect();
    tracing::info!(%addr, services = ?services, data_dir = %settings.data_dir.display(), "innomatch listening");
    let task = tokio::spawn(async move {
        let result = router
            // `Server::tcp_nodelay` does not reach a listener we bound ourselves:
            // set it on the incoming stream, or Nagle + delayed ACKs add ~40 ms
            // to small streamed messages (lead deliveries, change events).
            .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), async move {
                let _ = shutdown_rx.await;
                if let Some(task) = leads_health {
                    task.abort();
                }
                // Lead streams never end by themselves: end them so the grace period is not spent waiting.
                if let Some(leads) = &leads_on_shutdown {
                    leads.close();
                }
                for name in &mounted {
                    health_reporter.set_service_status(*name, ServingStatus::NotServing).await;
                }
                tracing::info!("shutting down");
            })
            .await;
        for task in
            [search_follower, auto_matcher, Some(metrics_task), Some(gauges), Some(token_refresh)].into_iter().flatten()
        {
            task.abort();
        }
        drop(catalog);
        result
    });
    Ok(RunningServer {
        addr,
        metrics_addr,
        generated_admin_token,
        demo_tokens,
        search_index,
        leads,
        shutdown: Some(shutdown_tx),
        task,
    })
}

/// Sets LeadsService's health from the backend's readiness now, then keeps
/// it in step in a task (aborted at shutdown).
async fn follow_leads_readiness(leads: &Leads, reporter: tonic_health::server::HealthReporter) -> JoinHandle<()> {
    const NAME: &str = "innomatch.v1.LeadsService";
    let status = |ready: bool| if ready { ServingStatus::Serving } else { ServingStatus::NotServing };
    let mut ready = leads.readiness();
    reporter.set_service_status(NAME, status(*ready.borrow_and_update())).await;
    tokio::spawn(async move {
        while ready.changed().await.is_ok() {
            let now = *ready.borrow_and_update();
            tracing::info!(ready = now, "lead delivery readiness changed");
            reporter.set_service_status(NAME, status(now)).await;
        }
    })
}
