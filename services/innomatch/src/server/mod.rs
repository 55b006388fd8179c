//! The server wing: [`start`] opens the stores, mounts the chosen services
//! behind the auth interceptor with the same limits, reports health, and
//! serves until shut down gracefully.
//!
//! | file | what lives there |
//! |---|---|
//! | `settings.rs` | `innomatch serve` flags and environment over the settings file |
//! | `mount.rs` | message limits, the per-call span, reflection |
//! | `health.rs` | gRPC health of the mounted services |
//! | `deadline.rs` | the per-call deadline (client streams exempt) |
//! | `connections.rs` | connection cap, handshake and idle timeouts |
//! | `metrics.rs`, `gauges.rs` | Prometheus counters, timings and gauges |
//! | `sample.rs` | the built-in sample catalog and demo tokens |
//! | `stats.rs` | `StatsService`: the registry against the plan's targets |
//! | `notices.rs` | interests ↔ leads, and both into notifications |
//! | `replica.rs` | the feed's head (here or at a followed catalog), a replica's readiness |
//!
//! Policy push (`innomatch_matcher::policy_push`) runs where the leads and
//! notification services run over the record store (all in one, or each
//! leads process of a split), with its checkpoint in
//! `data/policy-push.checkpoint`.

pub mod connections;
pub mod deadline;
pub mod gauges;
pub mod health;
pub mod metrics;
pub mod mount;
pub mod notices;
pub mod replica;
pub mod sample;
pub mod settings;
pub mod stats;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use futures::StreamExt;
use innomatch_catalog::{
    Catalog, Interests, Policies,
    accounts::{Accounts, grpc::AccountGrpc},
    grpc::CatalogGrpc,
    interest::grpc::InterestGrpc,
    policy::grpc::PolicyGrpc,
    postgres::PostgresStore,
    reader::CatalogReader,
    remote::RemoteCatalog,
    sqlite::SqliteStore,
    store::RecordStore,
    tokens::{AuthSource, TokenRegistry},
};
use innomatch_core::{
    auth::AuthInterceptor,
    config::{ServiceKind, Settings},
    model::Role,
};
use innomatch_embed::{E5Embedder, E5Options, Embedder};
use innomatch_leads::{
    Leads, Notifications,
    grpc::LeadsGrpc,
    notifications::{grpc::NotificationGrpc, postgres::PostgresNotificationStore},
    postgres::PostgresLeadStore,
};
use innomatch_matcher::{
    Matcher,
    auto::{self, Checkpoint, LeadSink, RemoteLeads},
    grpc::MatcherGrpc,
    lease::{self, Lease},
    notices::{NoticeSink, RemoteNotices},
    policy_push::{self, PolicyPushSettings, PolicyPusher},
};
use innomatch_proto::v1::{
    account_service_server::AccountServiceServer, admin_service_server::AdminServiceServer,
    catalog_service_server::CatalogServiceServer, interest_service_server::InterestServiceServer,
    leads_service_server::LeadsServiceServer, matcher_service_server::MatcherServiceServer,
    notification_service_server::NotificationServiceServer, policy_service_server::PolicyServiceServer,
    search_service_server::SearchServiceServer, stats_service_server::StatsServiceServer,
};
use innomatch_search::{
    embedding::{self, EmbeddingProgress},
    follower::{self, CatalogChanges},
    grpc::SearchGrpc,
    index::SearchIndex,
    vectors::VectorStore,
};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::transport::{Server, server::TcpIncoming};

use self::{
    deadline::DeadlineLayer,
    health::ServerHealth,
    metrics::RpcMetricsLayer,
    mount::{MessageLimits, RpcSpanLayer, guarded},
    replica::FeedHead,
    sample::DemoTokens,
    stats::StatsGrpc,
};

/// How often API tokens are re-read from the store (for other processes' changes).
const TOKEN_REFRESH: Duration = Duration::from_secs(2);

/// HTTP/2 flow-control windows (see where the server is built).
const STREAM_WINDOW: u32 = 256 * 1024;
const CONNECTION_WINDOW: u32 = 8 * 1024 * 1024;

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
    /// How far the embedding follower has come, when semantic matching runs here.
    pub embedding_progress: Option<Arc<EmbeddingProgress>>,
    /// The leads domain API, when the leads service runs here: the matcher
    /// (and tests) offer leads through it in-process.
    pub leads: Option<Leads>,
    /// Where the web console is served, when `web_listen` is set.
    pub web_addr: Option<SocketAddr>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
    web: Option<WebTask>,
}

/// The web console's server: told to stop with the gRPC server.
#[derive(Debug)]
struct WebTask {
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight calls finish for up to [`SHUTDOWN_GRACE`]
    /// (streams such as the change feed never finish by themselves), then stops.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(web) = self.web.take() {
            let _ = web.shutdown.send(());
            // The console's event streams end when it is told to stop; pages in flight finish.
            match tokio::time::timeout(SHUTDOWN_GRACE, web.task).await {
                Ok(joined) => joined.context("web console task panicked")?.context("web console failed")?,
                Err(_) => {
                    tracing::warn!(grace = ?SHUTDOWN_GRACE, "web console requests still open after the grace period")
                }
            }
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
    refuse_weak_admin_token(settings)?;
    // Bind first: a taken port is the likeliest start-up failure, and failing
    // here leaves no store open and no background task behind.
    let listener = TcpListener::bind(settings.listen).await.with_context(|| format!("binding {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let web_listener = match settings.web_listen {
        Some(web_addr) if runs(settings, ServiceKind::Catalog) => Some(
            innomatch_web::bind(web_addr).await.with_context(|| format!("binding the web console on {web_addr}"))?,
        ),
        Some(_) => anyhow::bail!("the web console (--web-listen) runs where the catalog service runs"),
        None => None,
    };
    let (health, health_service) = ServerHealth::not_serving(&settings.services).await;

    let records = open_records(settings).await?;
    let catalog = records.local.clone();
    let search = open_index(settings, &records.reader)?;
    let leads = open_leads(settings).await?;
    let notifications = open_notifications(settings).await?;
    let deal_notices = notifications.clone().zip(catalog.clone()).map(|(notifications, catalog)| {
        notices::DealNotices { notifications, catalog, wake: Arc::new(tokio::sync::Notify::new()) }
    });
    if let (Some(leads), Some(deal_notices)) = (&leads, &deal_notices)
        && leads.observe(Arc::new(deal_notices.clone())).is_err()
    {
        tracing::warn!("the leads service had an observer already");
    }
    let matcher = runs(settings, ServiceKind::Matcher).then_some(search.as_ref()).flatten().map(|index| {
        let matcher = Matcher::over(Arc::clone(&records.reader), Arc::clone(&index.index));
        match &index.vectors {
            Some(vectors) => matcher.with_vectors(Arc::clone(vectors)),
            None => matcher,
        }
    });
    let auto_matcher = spawn_auto_matching(settings, matcher.as_ref(), leads.as_ref())?;
    let interest_notices = deal_notices.clone().filter(|_| runs(settings, ServiceKind::Catalog)).map(|notices| {
        notices.follow_interests(Checkpoint::new(Some(settings.data_dir.join("interest-notices.checkpoint"))))
    });
    let match_notices = spawn_match_notices(settings, matcher.as_ref(), notifications.as_ref())?;
    // Wherever leads and notifications run over the record store (the
    // leads processes of a split too); the push ledger in the store keeps
    // each organization × policy to one push however many run it.
    let policy_push = match (&catalog, &leads, &notifications) {
        (Some(catalog), Some(leads), Some(notifications)) => {
            let pusher = PolicyPusher::new(
                Policies::new(catalog.clone()),
                Arc::new(notifications.clone()),
                Arc::new(leads.clone()),
            );
            Some(policy_push::spawn(
                pusher,
                Checkpoint::new(Some(settings.data_dir.join("policy-push.checkpoint"))),
                PolicyPushSettings::default(),
            ))
        }
        _ => None,
    };
    let accounts = catalog.clone().map(Accounts::new);
    let (demo_tokens, generated_admin_token) = match &catalog {
        Some(catalog) => (load_sample(settings, catalog).await?, first_admin_token(settings, catalog).await?),
        None => (None, None),
    };

    let fair_use = Arc::new(innomatch_core::fair_use::FairUse::new(&settings.limits));
    let auth =
        AuthInterceptor::new(Arc::clone(&records.tokens) as _, settings.admin_token.as_ref().map(|s| s.expose()))
            .with_fair_use(fair_use);
    let limits = &settings.limits;
    let catalog_here = runs(settings, ServiceKind::Catalog);
    // The catalog's own services, where it runs here (never in a replica).
    let served_catalog = catalog.clone().filter(|_| catalog_here);
    let search_here = search.as_ref().filter(|_| runs(settings, ServiceKind::Search));
    let router = with_tls(Server::builder(), settings)?
        .layer(connections::CallTrackingLayer)
        .layer(RpcSpanLayer)
        .layer(RpcMetricsLayer)
        .layer(DeadlineLayer { deadline: Duration::from_secs(limits.request_timeout_secs) })
        .concurrency_limit_per_connection(limits.concurrency_per_connection)
        .tcp_nodelay(true)
        // h2 closes a connection whose small DATA frames outrun its framing
        // budget (half the connection window); a stream window far below the
        // connection window keeps one client stream of tiny rows (grpcio
        // sends a frame per row) within it even before the rows are read.
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        // gRPC-Web (HTTP/1.1 or HTTP/2, binary or base64 text) on the same
        // port for browsers and scripts without HTTP/2; plain gRPC passes through.
        .accept_http1(true)
        .layer(tonic_web::GrpcWebLayer::new())
        .add_service(health_service)
        .add_service(mount::reflection(health.mounted()).context("building the reflection service")?)
        .add_service(mount::reflection_v1alpha(health.mounted()).context("building the v1alpha reflection service")?)
        .add_optional_service(
            served_catalog
                .clone()
                .map(|catalog| guarded(CatalogServiceServer::new(CatalogGrpc::new(catalog)), limits, &auth)),
        )
        .add_optional_service(
            served_catalog
                .clone()
                .map(|catalog| guarded(AdminServiceServer::new(CatalogGrpc::new(catalog)), limits, &auth)),
        )
        .add_optional_service(served_catalog.clone().map(|catalog| {
            let mut interests = Interests::new(catalog);
            if let Some(leads) = &leads {
                interests = interests.with_leads(Arc::new(notices::LeadsDirectory(leads.clone())));
            }
            if let Some(deal_notices) = &deal_notices {
                interests = interests.with_observer(Arc::new(deal_notices.clone()));
            }
            guarded(InterestServiceServer::new(InterestGrpc::new(interests)), limits, &auth)
        }))
        .add_optional_service(accounts.clone().filter(|_| catalog_here).map(|accounts| {
            // Not behind the interceptor: accepting an invitation and changing a
            // password are proven by what they carry; the other calls
            // authenticate with the same interceptor inside the adapter.
            AccountServiceServer::new(AccountGrpc::new(accounts, auth.clone()))
                .with_message_limit(limits.max_message_bytes)
        }))
        .add_optional_service(served_catalog.clone().map(|catalog| {
            guarded(
                StatsServiceServer::new(StatsGrpc::new(catalog, leads.clone(), notifications.clone())),
                limits,
                &auth,
            )
        }))
        .add_optional_service(
            served_catalog.clone().map(|catalog| {
                guarded(PolicyServiceServer::new(PolicyGrpc::new(Policies::new(catalog))), limits, &auth)
            }),
        )
        .add_optional_service(search_here.map(|search| {
            let grpc = match &catalog {
                Some(catalog) => SearchGrpc::new(Arc::clone(&search.index), catalog.clone()),
                None => {
                    SearchGrpc::replica(Arc::clone(&search.index), settings.catalog_url.clone().unwrap_or_default())
                }
            };
            guarded(SearchServiceServer::new(grpc), limits, &auth)
        }))
        .add_optional_service(
            matcher.clone().map(|matcher| guarded(MatcherServiceServer::new(MatcherGrpc::new(matcher)), limits, &auth)),
        )
        .add_optional_service(
            leads.clone().map(|leads| guarded(LeadsServiceServer::new(LeadsGrpc::new(leads)), limits, &auth)),
        )
        .add_optional_service(notifications.clone().map(|notifications| {
            guarded(NotificationServiceServer::new(NotificationGrpc::new(notifications)), limits, &auth)
        }));

    let (metrics_addr, metrics_task) = metrics::serve(settings.metrics_listen, settings.metrics_token.as_ref())
        .await
        .with_context(|| format!("serving metrics on {}", settings.metrics_listen))?;
    let search_index = search.as_ref().map(|s| Arc::clone(&s.index));
    let embedding_progress = search.as_ref().and_then(|s| s.progress.clone());
    let gauges = gauges::spawn(records.head.clone(), search_index.clone(), leads.clone());
    let need_expiry = served_catalog.clone().map(|catalog| {
        innomatch_catalog::expiry::spawn(catalog, Duration::from_millis(settings.catalog.need_expiry_sweep_ms))
    });
    let plan_snapshots = served_catalog.clone().map(|catalog| {
        innomatch_catalog::plan::daily::spawn(catalog, innomatch_catalog::plan::daily::DEFAULT_CHECK_EVERY)
    });

    let web = match web_listener.zip(served_catalog.clone()).zip(accounts.clone()) {
        Some(((listener, catalog), accounts)) => {
            let console = innomatch_web::WebConsole::new(catalog, accounts)
                .with_search(search_index.clone())
                .with_matcher(matcher.clone())
                .with_leads(leads.clone())
                .with_notifications(notifications.clone());
            let web_addr = listener.local_addr()?;
            let (shutdown, stop) = oneshot::channel::<()>();
            let task = tokio::spawn(console.serve(listener, async {
                let _ = stop.await;
            }));
            tracing::info!(addr = %web_addr, "web console listening");
            Some((web_addr, WebTask { shutdown, task }))
        }
        None => None,
    };
    // The store is open and the tokens are loaded: the mounted services are
    // ready. A replica is ready once its index has caught up with the feed.
    let (leads_health, replica_health) = match (&records.head, &search_index) {
        (FeedHead::Remote(_), Some(index)) => {
            let caught_up =
                records.head.clone().caught_up(index.subscribe_applied(), settings.search.replica_ready_lag);
            (None, Some(health.serving_when(caught_up)))
        }
        _ => (health.serving(leads.as_ref()).await, None),
    };
    let services: Vec<&str> = settings.services.iter().map(|k| k.name()).collect();
    tracing::info!(%addr, services = ?services, data_dir = %settings.data_dir.display(), "innomatch listening");

    let (follower, settled_upkeep, embedding) = match search {
        Some(s) => (Some(s.follower), Some(s.settled_upkeep), s.embedding),
        None => (None, None, None),
    };
    let background = [
        follower,
        settled_upkeep,
        embedding,
        auto_matcher,
        match_notices,
        interest_notices,
        policy_push,
        need_expiry,
        plan_snapshots,
        replica_health,
        records.position_poll,
        Some(metrics_task),
        Some(gauges),
        Some(records.token_refresh),
    ]
    .into_iter()
    .flatten()
    .collect();
    let connection_limits = *limits;
    let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
    let stopping = Stopping {
        health,
        leads_health,
        leads: leads.clone(),
        notifications: notifications.clone(),
        background,
        catalog,
    };
    let task = tokio::spawn(async move {
        // `Server::tcp_nodelay` does not reach a listener we bound ourselves:
        // set it on the incoming stream, or Nagle + delayed ACKs add ~40 ms
        // to small streamed messages (lead deliveries, change events).
        let incoming =
            connections::limit(TcpIncoming::from(listener).with_nodelay(Some(true)), connection_limits).boxed();
        let result = router
            .serve_with_incoming_shutdown(incoming, async {
                let _ = shutdown_rx.await;
                stopping.begin().await;
            })
            .await;
        stopping.finish();
        result
    });
    Ok(RunningServer {
        addr,
        metrics_addr,
        generated_admin_token,
        demo_tokens,
        search_index,
        embedding_progress,
        leads,
        web_addr: web.as_ref().map(|(addr, _)| *addr),
        shutdown: Some(shutdown_tx),
        task,
        web: web.map(|(_, task)| task),
    })
}

/// TLS (rustls) when a certificate and key are configured; client
/// certificates are required when a client CA is configured too.
fn with_tls(builder: Server, settings: &Settings) -> anyhow::Result<Server> {
    use tonic::transport::{Certificate, Identity, ServerTlsConfig};
    let read = |path: &std::path::Path| std::fs::read(path).with_context(|| format!("reading {}", path.display()));
    let (cert, key) = match (&settings.tls_cert, &settings.tls_key) {
        (Some(cert), Some(key)) => (read(cert)?, read(key)?),
        (None, None) if settings.tls_client_ca.is_some() => {
            anyhow::bail!("--tls-client-ca needs --tls-cert and --tls-key")
        }
        (None, None) => return Ok(builder),
        _ => anyhow::bail!("--tls-cert and --tls-key go together"),
    };
    let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(cert, key));
    if let Some(ca) = &settings.tls_client_ca {
        tls = tls.client_ca_root(Certificate::from_pem(read(ca)?));
    }
    builder.tls_config(tls).context("configuring TLS (is the key the certificate's, both PEM?)")
}

/// A weak bootstrap admin token would make every tenant's data reachable by guessing.
fn refuse_weak_admin_token(settings: &Settings) -> anyhow::Result<()> {
    match &settings.admin_token {
        Some(token) => innomatch_core::config::check_admin_token(token.expose()).map_err(anyhow::Error::msg),
        None => Ok(()),
    }
}

fn runs(settings: &Settings, kind: ServiceKind) -> bool {
    settings.services.contains(&kind)
}

/// Where this process's records come from.
struct Records {
    /// The catalog over the record store, where this process opens one.
    local: Option<Catalog>,
    /// What search and the matcher read through: the local catalog, or the
    /// one a replica follows over gRPC.
    reader: Arc<dyn CatalogReader>,
    /// The feed's newest sequence, for the lag gauges and a replica's readiness.
    head: FeedHead,
    /// Polls the followed catalog's feed position (replicas only).
    position_poll: Option<JoinHandle<()>>,
    tokens: Arc<TokenRegistry>,
    /// Re-reads the tokens for other processes' changes.
    token_refresh: JoinHandle<()>,
}

/// The record store (PostgreSQL when a database URL is set, else SQLite in
/// the data directory), its tokens (refreshed in the background for other
/// processes' changes) and the catalog over both; or, with a catalog URL,
/// that catalog followed over gRPC, tokens included.
async fn open_records(settings: &Settings) -> anyhow::Result<Records> {
    if let Some(url) = &settings.catalog_url {
        return follow_catalog(settings, url).await;
    }
    let store: Arc<dyn RecordStore> = match &settings.database_url {
        Some(url) => Arc::new(
            PostgresStore::connect(url.expose(), None, &settings.database)
                .await
                .context("opening the record store in PostgreSQL")?,
        ),
        None => Arc::new(
            SqliteStore::open(&settings.data_dir)
                .with_context(|| format!("opening the record store in {}", settings.data_dir.display()))?,
        ),
    };
    let tokens = TokenRegistry::load(store.as_ref()).await.context("loading api tokens")?;
    let token_refresh = tokens.spawn_refresh(Arc::new(Arc::clone(&store)), TOKEN_REFRESH);
    let catalog = Catalog::new(store, Arc::clone(&tokens));
    Ok(Records {
        reader: Arc::new(catalog.clone()),
        head: FeedHead::local(&catalog),
        local: Some(catalog),
        position_poll: None,
        tokens,
        token_refresh,
    })
}

/// A replica: search and/or the matcher over the catalog at `url`, with no
/// record store. Its tokens come from the catalog too (`GetAuthSnapshot`).
async fn follow_catalog(settings: &Settings, url: &str) -> anyhow::Result<Records> {
    if let Some(kind) = settings.services.iter().find(|k| !matches!(k, ServiceKind::Search | ServiceKind::Matcher)) {
        anyhow::bail!(
            "--catalog-url makes this process a search/matcher replica; the {} service runs where the catalog's store is",
            kind.name()
        );
    }
    if settings.database_url.is_some() {
        anyhow::bail!("a replica (--catalog-url) keeps no record store: leave out --database-url");
    }
    let token = settings.admin_token.as_ref().context("--catalog-url needs INNOMATCH_ADMIN_TOKEN")?;
    let remote = RemoteCatalog::new(url, token.expose(), &settings.internal_tls).map_err(anyhow::Error::msg)?;
    // The catalog may start after its replicas: until its tokens arrive,
    // callers are refused (and health says NOT_SERVING anyway).
    let tokens = match remote.auth_snapshot().await {
        Ok(snapshot) => TokenRegistry::from_snapshot(snapshot),
        Err(error) => {
            tracing::warn!(%error, catalog = url, "cannot read the catalog's tokens yet; retrying in the background");
            Arc::new(TokenRegistry::default())
        }
    };
    let token_refresh = tokens.spawn_refresh(Arc::new(remote.clone()), TOKEN_REFRESH);
    let (head, position_poll) = FeedHead::follow(remote.clone());
    tracing::info!(catalog = url, "following the catalog as a replica");
    Ok(Records {
        local: None,
        reader: Arc::new(remote.clone()),
        head,
        position_poll: Some(position_poll),
        tokens,
        token_refresh,
    })
}

/// The search index and the follower that keeps it in step with the change
/// feed; with semantic matching, the vectors and their embedding follower.
struct OpenIndex {
    index: Arc<SearchIndex>,
    follower: JoinHandle<()>,
    /// Merges the index segments and fits the organization discriminants as the index settles.
    settled_upkeep: JoinHandle<()>,
    vectors: Option<Arc<VectorStore>>,
    embedding: Option<JoinHandle<()>>,
    progress: Option<Arc<EmbeddingProgress>>,
}

/// The matcher retrieves candidates from the index, so either service opens it.
fn open_index(settings: &Settings, catalog: &Arc<dyn CatalogReader>) -> anyhow::Result<Option<OpenIndex>> {
    if !runs(settings, ServiceKind::Search) && !runs(settings, ServiceKind::Matcher) {
        return Ok(None);
    }
    let dir = settings.data_dir.join("index");
    let index = Arc::new(SearchIndex::open(&dir).with_context(|| format!("opening the index in {}", dir.display()))?);
    let refresh = Duration::from_millis(settings.search.refresh_ms);
    let source = Arc::new(CatalogChanges::new(Arc::clone(catalog)));
    let follower = follower::spawn(Arc::clone(&index), Arc::clone(&source) as _, refresh);
    let settled_upkeep = follower::spawn_settled_upkeep(Arc::clone(&index));
    let (vectors, embedding) = match open_embedder(settings) {
        Some(embedder) => {
            let dir = settings.data_dir.join("vectors");
            let store = Arc::new(
                VectorStore::open(&dir, embedder.model_id(), embedder.dimension())
                    .with_context(|| format!("opening the vectors in {}", dir.display()))?,
            );
            let progress = Arc::new(EmbeddingProgress::default());
            let task = embedding::spawn(embedder, Arc::clone(&store), source, Arc::clone(&progress));
            (Some(store), Some((task, progress)))
        }
        None => (None, None),
    };
    let (embedding, progress) = embedding.unzip();
    Ok(Some(OpenIndex { index, follower, settled_upkeep, vectors, embedding, progress }))
}

/// The embedding model when semantic matching is on and the model is
/// installed; otherwise matching runs lexical-only, and the log says why.
fn open_embedder(settings: &Settings) -> Option<Arc<dyn Embedder>> {
    if !settings.search.semantic {
        tracing::info!("semantic matching off by configuration; matching is lexical-only");
        return None;
    }
    match E5Embedder::open(&E5Options::default()) {
        Ok(embedder) => {
            tracing::info!(model = embedder.model_id(), "semantic matching on");
            Some(Arc::new(embedder))
        }
        Err(error) => {
            tracing::warn!(%error, "embedding model unavailable; matching is lexical-only (run `make models`)");
            None
        }
    }
}

/// Leads: in PostgreSQL when a database URL is set, else `leads.sqlite3` in
/// the data directory; delivered through Redis when a Redis URL is
/// configured, in-process otherwise.
async fn open_leads(settings: &Settings) -> anyhow::Result<Option<Leads>> {
    if !runs(settings, ServiceKind::Leads) {
        return Ok(None);
    }
    let redis_url = settings.redis_url.as_ref().map(|url| url.expose());
    let leads = match &settings.database_url {
        Some(url) => {
            let store = PostgresLeadStore::connect(url.expose(), None, &settings.database)
                .await
                .context("opening the lead store in PostgreSQL")?;
            Leads::with_store(Arc::new(store), redis_url, &settings.leads)
        }
        None => Leads::open(&settings.data_dir, redis_url, &settings.leads),
    };
    Ok(Some(leads.context("opening the leads service")?))
}

/// The notification service, where the leads service runs: on the same
/// store kind and delivery backend (Redis when configured) as the leads.
async fn open_notifications(settings: &Settings) -> anyhow::Result<Option<Notifications>> {
    if !runs(settings, ServiceKind::Leads) {
        return Ok(None);
    }
    let redis_url = settings.redis_url.as_ref().map(|url| url.expose());
    let policy = (&settings.leads).into();
    let notifications = match &settings.database_url {
        Some(url) => {
            let store = PostgresNotificationStore::connect(url.expose(), None, &settings.database)
                .await
                .context("opening the notification store in PostgreSQL")?;
            Notifications::with_store(Arc::new(store), redis_url, &settings.leads, policy)
        }
        None => Notifications::open(&settings.data_dir, redis_url, &settings.leads, policy),
    };
    Ok(Some(notifications.context("opening the notification service")?))
}

/// Auto-matching of new needs into leads, when the matcher runs here and a
/// leads service is reachable (here, or at `--leads-url`).
fn spawn_auto_matching(
    settings: &Settings,
    matcher: Option<&Matcher>,
    leads: Option<&Leads>,
) -> anyhow::Result<Option<JoinHandle<()>>> {
    let Some(matcher) = matcher else { return Ok(None) };
    let sink: Arc<dyn LeadSink> = match (leads, &settings.leads_url) {
        (Some(leads), _) => Arc::new(leads.clone()),
        (None, Some(url)) => {
            let token = settings.admin_token.as_ref().context("INNOMATCH_LEADS_URL needs INNOMATCH_ADMIN_TOKEN")?;
            Arc::new(RemoteLeads::new(url, token.expose(), &settings.internal_tls).map_err(anyhow::Error::msg)?)
        }
        (None, None) => return Ok(None),
    };
    let checkpoint = Checkpoint::new(Some(settings.data_dir.join("matcher.checkpoint")));
    let pass_on_every = Duration::from_secs(settings.leads.expiry_sweep_secs.max(1));
    let matcher = matcher.clone();
    let start = move || auto::spawn(matcher.clone(), Arc::clone(&sink), checkpoint.clone(), pass_on_every);
    let Some(redis_url) = &settings.redis_url else {
        if settings.catalog_url.is_some() {
            tracing::warn!(
                "auto-matching without Redis: every matcher replica offers every lead (lead ids keep them single); \
                 configure Redis so one replica at a time does it"
            );
        }
        return Ok(Some(start()));
    };
    // With Redis, one matcher process at a time auto-matches, however many run.
    Ok(Some(under_lease(settings, redis_url.expose(), "auto-match", start)?))
}

/// `start`'s job, run by one process at a time among those sharing Redis.
fn under_lease(
    settings: &Settings,
    redis_url: &str,
    job: &str,
    start: impl Fn() -> JoinHandle<()> + Send + 'static,
) -> anyhow::Result<JoinHandle<()>> {
    let holder = lease::holder_id(&settings.data_dir).context("the replica's holder id")?;
    let lease = Lease::new(redis_url, &settings.leads.redis_key_prefix, job, holder).map_err(anyhow::Error::msg)?;
    Ok(lease.run_while_held(start))
}

/// Match notices, where the matcher runs: into the notification service
/// here, or the one at `--leads-url` (its process runs it with the leads);
/// with Redis, one matcher process at a time sends them (notification ids
/// keep repeats single anyway).
fn spawn_match_notices(
    settings: &Settings,
    matcher: Option<&Matcher>,
    notifications: Option<&Notifications>,
) -> anyhow::Result<Option<JoinHandle<()>>> {
    let Some(matcher) = matcher else { return Ok(None) };
    let sink: Arc<dyn NoticeSink> = match (notifications, &settings.leads_url) {
        (Some(notifications), _) => Arc::new(notifications.clone()),
        (None, Some(url)) => {
            let token = settings.admin_token.as_ref().context("INNOMATCH_LEADS_URL needs INNOMATCH_ADMIN_TOKEN")?;
            Arc::new(RemoteNotices::new(url, token.expose(), &settings.internal_tls).map_err(anyhow::Error::msg)?)
        }
        (None, None) => return Ok(None),
    };
    let checkpoint = Checkpoint::new(Some(settings.data_dir.join("match-notices.checkpoint")));
    let matcher = matcher.clone();
    let start = move || innomatch_matcher::notices::spawn(matcher.clone(), Arc::clone(&sink), checkpoint.clone());
    match &settings.redis_url {
        Some(redis_url) => Ok(Some(under_lease(settings, redis_url.expose(), "match-notices", start)?)),
        None => Ok(Some(start())),
    }
}

async fn load_sample(settings: &Settings, catalog: &Catalog) -> anyhow::Result<Option<DemoTokens>> {
    if !settings.sample_data {
        return Ok(None);
    }
    sample::load_if_empty(catalog).await.context("loading the sample data")
}

/// A first admin token when none is configured and none is stored yet.
async fn first_admin_token(settings: &Settings, catalog: &Catalog) -> anyhow::Result<Option<String>> {
    if settings.admin_token.is_some() || catalog.has_admin_token().await? {
        return Ok(None);
    }
    let issued = catalog
        .issue_token_unchecked(None, Role::Admin, "generated at first start".into())
        .await
        .context("issuing the first admin token")?;
    Ok(Some(issued.secret))
}

/// What a shutdown stops, besides the listener.
struct Stopping {
    health: ServerHealth,
    leads_health: Option<JoinHandle<()>>,
    leads: Option<Leads>,
    notifications: Option<Notifications>,
    background: Vec<JoinHandle<()>>,
    catalog: Option<Catalog>,
}

impl Stopping {
    /// Shutdown asked for: stop following readiness, end the lead streams
    /// (they never end by themselves, and the grace period should not be
    /// spent waiting for them) and report NOT_SERVING.
    async fn begin(&self) {
        if let Some(task) = &self.leads_health {
            task.abort();
        }
        if let Some(leads) = &self.leads {
            leads.close();
        }
        if let Some(notifications) = &self.notifications {
            notifications.close();
        }
        self.health.stopping().await;
        tracing::info!("shutting down");
    }

    /// The listener has stopped: stop the background tasks and close the store.
    fn finish(self) {
        for task in self.background {
            task.abort();
        }
        drop(self.catalog);
    }
}
