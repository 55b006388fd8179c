//! The harness every end-to-end test uses: a real server on `127.0.0.1:0`
//! with its own temporary data directory, and authenticated gRPC clients.
//! `TEST_LOG=1` shows the server's logs.

use std::{net::SocketAddr, path::PathBuf};

use innomatch::server::{self, RunningServer};
use innomatch_core::{
    auth::BearerToken,
    config::{LogFormat, Secret, Settings},
    model::{OrganizationKind, Role},
};
use innomatch_proto::v1::leads_service_client::LeadsServiceClient;
use innomatch_proto::v1::{
    self as pb, admin_service_client::AdminServiceClient, catalog_service_client::CatalogServiceClient,
    matcher_service_client::MatcherServiceClient, search_service_client::SearchServiceClient,
};
use tonic::{Status, service::interceptor::InterceptedService, transport::Channel};

/// Adds `authorization: Bearer <token>` to every call (or nothing, to test that).
pub type Auth = BearerToken;

/// Test tokens are ASCII; `None` sends no header at all.
fn auth(token: Option<&str>) -> Auth {
    BearerToken::new(token).expect("test tokens fit in a header")
}

pub type CatalogClient = CatalogServiceClient<InterceptedService<Channel, Auth>>;
pub type SearchClient = SearchServiceClient<InterceptedService<Channel, Auth>>;
pub type MatcherClient = MatcherServiceClient<InterceptedService<Channel, Auth>>;
pub type AdminClient = AdminServiceClient<InterceptedService<Channel, Auth>>;
pub type LeadsClient = LeadsServiceClient<InterceptedService<Channel, Auth>>;
pub type StatsClient = pb::stats_service_client::StatsServiceClient<InterceptedService<Channel, Auth>>;
pub type InterestClient = pb::interest_service_client::InterestServiceClient<InterceptedService<Channel, Auth>>;
pub type PolicyClient = pb::policy_service_client::PolicyServiceClient<InterceptedService<Channel, Auth>>;

/// A running server for one test.
pub struct TestApp {
    pub addr: SocketAddr,
    /// Where the server serves `/metrics`.
    pub metrics_addr: SocketAddr,
    /// The bootstrap admin token the server was configured with.
    pub admin_token: String,
    pub data_dir: PathBuf,
    // Held so the directory lives as long as the app (and across restarts).
    _dir: std::sync::Arc<tempfile::TempDir>,
    server: Option<RunningServer>,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp").field("addr", &self.addr).finish_non_exhaustive()
    }
}

fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = innomatch_core::telemetry::init(LogFormat::Text, None);
    }
}

/// Starts a server on a fresh data directory.
pub async fn spawn_app() -> TestApp {
    let dir = std::sync::Arc::new(tempfile::tempdir().expect("temp dir"));
    start(dir).await
}

/// Starts a server on a fresh data directory with settings adjusted by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = std::sync::Arc::new(tempfile::tempdir().expect("temp dir"));
    start_with(dir, configure).await
}

/// Tries to start a server with the settings adjusted by `configure`; the
/// start-up error when the server refuses them.
pub async fn try_spawn_app_with(configure: impl FnOnce(&mut Settings)) -> anyhow::Result<RunningServer> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: dir.path().to_path_buf(),
        ..Settings::default()
    };
    configure(&mut settings);
    server::start(&settings).await
}

async fn start(dir: std::sync::Arc<tempfile::TempDir>) -> TestApp {
    start_with(dir, |_| {}).await
}

async fn start_with(dir: std::sync::Arc<tempfile::TempDir>, configure: impl FnOnce(&mut Settings)) -> TestApp {
    init_logs();
    let admin_token = "imt_test_admin_token_0123456789abcdef".to_owned();
    let mut settings = Settings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: dir.path().to_path_buf(),
        admin_token: Some(Secret::new(admin_token.clone())),
        ..Settings::default()
    };
    // Semantic matching embeds in the background: tests that want it turn it
    // on and wait for it (`wait_for_vectors`), so no other test depends on
    // how far embedding has come.
    settings.search.semantic = false;
    configure(&mut settings);
    let server = server::start(&settings).await.expect("server starts");
    TestApp {
        addr: server.addr,
        metrics_addr: server.metrics_addr,
        admin_token,
        data_dir: dir.path().to_path_buf(),
        _dir: dir,
        server: Some(server),
    }
}

impl TestApp {
    /// Shuts the server down gracefully and starts it again on the same data.
    pub async fn restart(mut self) -> TestApp {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
        start(std::sync::Arc::clone(&self._dir)).await
    }

    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }

    /// Where the web console listens (the settings set `web_listen`).
    pub fn web_addr(&self) -> SocketAddr {
        self.server.as_ref().and_then(|s| s.web_addr).expect("the web console runs in this app")
    }

    /// The demo sign-ins the sample data created at this start.
    pub fn demo_logins(&self) -> Vec<innomatch::server::sample::DemoLogin> {
        self.server.as_ref().and_then(|s| s.demo_tokens.as_ref()).map(|d| d.logins.clone()).unwrap_or_default()
    }

    /// The in-process leads service (to offer leads as the matcher does).
    pub fn leads(&self) -> innomatch_leads::Leads {
        self.server.as_ref().and_then(|s| s.leads.clone()).expect("the leads service runs in this app")
    }

    pub async fn leads_client(&self, token: Option<&str>) -> LeadsClient {
        LeadsServiceClient::with_interceptor(self.channel().await, auth(token))
    }

    pub async fn channel(&self) -> Channel {
        channel_to(self.addr).await
    }

    pub async fn stats(&self, token: Option<&str>) -> StatsClient {
        pb::stats_service_client::StatsServiceClient::with_interceptor(self.channel().await, auth(token))
    }

    pub async fn interests(&self, token: Option<&str>) -> InterestClient {
        pb::interest_service_client::InterestServiceClient::with_interceptor(self.channel().await, auth(token))
    }

    pub async fn policies(&self, token: Option<&str>) -> PolicyClient {
        pb::policy_service_client::PolicyServiceClient::with_interceptor(self.channel().await, auth(token))
    }

    pub async fn catalog(&self, token: Option<&str>) -> CatalogClient {
        catalog_client(self.addr, token).await
    }

    pub async fn admin(&self, token: Option<&str>) -> AdminClient {
        AdminServiceClient::with_interceptor(self.channel().await, auth(token))
    }

    pub async fn search(&self, token: Option<&str>) -> SearchClient {
        search_client(self.addr, token).await
    }

    pub async fn matcher(&self, token: Option<&str>) -> MatcherClient {
        MatcherServiceClient::with_interceptor(self.channel().await, auth(token))
    }

    /// Waits until the search index has applied every change committed so far
    /// (the matcher retrieves from it), by indexing a marker and finding it.
    pub async fn wait_for_index(&self) {
        let marker = format!("索引标记{}", self.unique_number());
        self.create_org(&marker, OrganizationKind::Incubator, "440800").await;
        let mut search = self.search(Some(&self.admin_token.clone())).await;
        let found = search_until(&mut search, query(&format!("\"{marker}\"")), |r| r.total_hits > 0).await;
        assert!(found.total_hits > 0, "the index caught up");
    }

    /// Lists a capability for `owner` as the admin; returns its id.
    pub async fn add_capability(&self, owner: &str, title: &str, description: &str) -> String {
        let capability = pb::Capability {
            meta: Some(pb::RecordMeta { organization_id: owner.into(), ..Default::default() }),
            kind: pb::CapabilityKind::Achievement as i32,
            title: title.into(),
            description: description.into(),
            ..Default::default()
        };
        self.admin_catalog()
            .await
            .create_capability(pb::CreateCapabilityRequest { capability: Some(capability) })
            .await
            .expect("capability")
            .into_inner()
            .meta
            .expect("meta")
            .id
    }

    /// Posts a need with the tenant's token; returns its id.
    pub async fn post_need(&self, token: &str, need: pb::TechNeed) -> String {
        self.catalog(Some(token))
            .await
            .create_need(pb::CreateNeedRequest { need: Some(need) })
            .await
            .expect("need")
            .into_inner()
            .meta
            .expect("meta")
            .id
    }

    /// Publishes a service offer with an agency's token; returns its id.
    pub async fn publish_offer(&self, token: &str, offer: pb::ServiceOffer) -> String {
        self.catalog(Some(token))
            .await
            .create_service_offer(pb::CreateServiceOfferRequest { offer: Some(offer) })
            .await
            .expect("offer")
            .into_inner()
            .meta
            .expect("meta")
            .id
    }

    /// Waits until every change the index has applied also has its vector
    /// (semantic matching on; see `wait_for_index` first). Embedding runs at
    /// a few texts per second, so this allows five minutes (the sample catalog).
    pub async fn wait_for_vectors(&self) {
        let server = self.server.as_ref().expect("running");
        let progress = server.embedding_progress.as_ref().expect("semantic matching is on and the model installed");
        let target = server.search_index.as_ref().expect("index").applied_sequence();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(300);
        while progress.applied() < target {
            assert!(tokio::time::Instant::now() < deadline, "embedding did not catch up with sequence {target}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// A number no other call in this test process got (for unique names:
    /// a second organization of the same name is refused).
    pub fn unique_number(&self) -> u64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        COUNTER.fetch_add(1, Ordering::Relaxed)
    }

    pub async fn admin_catalog(&self) -> CatalogClient {
        self.catalog(Some(&self.admin_token.clone())).await
    }

    /// Registers an organization as the admin and returns its id.
    pub async fn create_org(&self, name: &str, kind: OrganizationKind, region_code: &str) -> String {
        self.register_org(pb::Organization {
            name: name.into(),
            kind: kind.to_proto(),
            region_code: region_code.into(),
            ..Default::default()
        })
        .await
    }

    /// Registers `organization` (certificates and all) as the admin and returns its id.
    pub async fn register_org(&self, organization: pb::Organization) -> String {
        let org = self
            .admin_catalog()
            .await
            .create_organization(pb::CreateOrganizationRequest {
                organization: Some(organization),
                ..Default::default()
            })
            .await
            .expect("create organization")
            .into_inner();
        org.meta.expect("meta").id
    }

    /// Issues a token for the organization.
    pub async fn token_for(&self, organization_id: &str, role: Role) -> String {
        self.admin(Some(&self.admin_token.clone()))
            .await
            .issue_token(pb::IssueTokenRequest {
                organization_id: organization_id.into(),
                role: role.to_proto(),
                label: "test".into(),
            })
            .await
            .expect("issue token")
            .into_inner()
            .token
    }

    /// An organization of the kind with a member token: (org id, token).
    pub async fn tenant(&self, name: &str, kind: OrganizationKind) -> (String, String) {
        let id = self.create_org(name, kind, "440802").await;
        let role = if kind == OrganizationKind::IntermediaryAgency { Role::Agency } else { Role::Member };
        let token = self.token_for(&id, role).await;
        (id, token)
    }
}

/// A verified qualification certificate valid from `from_ms` to `until_ms`.
pub fn certificate(
    qualification: pb::Qualification,
    number: &str,
    from_ms: i64,
    until_ms: i64,
) -> pb::QualificationCertificate {
    pb::QualificationCertificate {
        qualification: qualification as i32,
        certificate_number: number.into(),
        valid_from: Some(innomatch_core::convert::timestamp(from_ms)),
        valid_until: Some(innomatch_core::convert::timestamp(until_ms)),
        recommended_by_bureau: false,
    }
}

/// The Prometheus text the server's `/metrics` endpoint returns.
pub async fn scrape_metrics(app: &TestApp) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.metrics_addr).await.expect("connect to /metrics");
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("response");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}

/// The status and body of `GET /metrics`, with `Authorization: Bearer <token>` when given.
pub async fn get_metrics(app: &TestApp, token: Option<&str>) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.metrics_addr).await.expect("connect to /metrics");
    let authorization = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let request = format!("GET /metrics HTTP/1.1\r\nHost: localhost\r\n{authorization}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("response");
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, response)
}

/// The value of the first sample line starting with `prefix`, 0 when absent.
pub fn metric_value(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// A connection to the server at `addr`, driven by the calling runtime (a
/// test that runs clients on a runtime of its own connects from there).
pub async fn channel_to(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}")).expect("address").connect().await.expect("connect to test server")
}

/// A catalog client of the server at `addr`, on the calling runtime.
pub async fn catalog_client(addr: SocketAddr, token: Option<&str>) -> CatalogClient {
    CatalogServiceClient::with_interceptor(channel_to(addr).await, auth(token))
}

/// A search client of the server at `addr`, on the calling runtime.
pub async fn search_client(addr: SocketAddr, token: Option<&str>) -> SearchClient {
    SearchServiceClient::with_interceptor(channel_to(addr).await, auth(token))
}

/// Searches until `done` accepts the response or 10 s pass (the index follows
/// the change feed asynchronously); returns the last response.
pub async fn search_until(
    client: &mut SearchClient,
    request: pb::SearchRequest,
    done: impl Fn(&pb::SearchResponse) -> bool,
) -> pb::SearchResponse {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let response = client.search(request.clone()).await.expect("search").into_inner();
        if done(&response) || tokio::time::Instant::now() > deadline {
            return response;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// A plain text search request.
pub fn query(text: &str) -> pb::SearchRequest {
    pb::SearchRequest { query: text.into(), ..Default::default() }
}

/// The field names of the `BadRequest` violations in an INVALID_ARGUMENT status.
pub fn violated_fields(status: &Status) -> Vec<String> {
    use tonic_types::StatusExt;
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// A need about green steel (绿色钢铁) with a hydrogen metallurgy focus.
pub fn steel_need() -> pb::TechNeed {
    pb::TechNeed {
        title: "氢冶金低碳炼钢中试".into(),
        description: "面向绿色钢铁转型，寻求高校院所合作开展氢基竖炉直接还原中试，降低吨钢碳排放".into(),
        keywords: vec!["氢冶金".into(), "低碳炼钢".into()],
        competencies: vec![pb::RequiredCompetency { name: "氢冶金".into(), weight: 5 }],
        high_tech_fields: vec!["new_materials.metal".into()],
        industries: vec!["green_steel".into()],
        cooperation_modes: vec![pb::CooperationMode::JointDevelopment as i32],
        target_trl: 6,
        budget: Some(pb::MoneyRange { min_yuan: 500_000, max_yuan: 3_000_000 }),
        visibility: pb::Visibility::Public as i32,
        ..Default::default()
    }
}

pub fn shrimp_capability() -> pb::Capability {
    pb::Capability {
        kind: pb::CapabilityKind::Achievement as i32,
        title: "对虾养殖病害快速检测技术".into(),
        description: "基于环介导等温扩增的对虾白斑综合征病毒现场快速检测，30分钟出结果".into(),
        keywords: vec!["对虾养殖".into(), "病害检测".into()],
        high_tech_fields: vec!["biomedicine.agricultural_biotech".into()],
        industries: vec!["shrimp".into()],
        trl: 7,
        ..Default::default()
    }
}

pub fn testing_offer() -> pb::ServiceOffer {
    pb::ServiceOffer {
        category: pb::ServiceCategory::TestingInspection as i32,
        title: "预制菜冷链食品安全检验检测".into(),
        description: "CMA资质实验室，提供预制菜微生物、农残、兽残检测".into(),
        keywords: vec!["预制菜".into(), "检验检测".into()],
        regions_served: vec!["440800".into()],
        industries_served: vec!["prepared_dishes".into()],
        terms: "常规项目5个工作日出具报告".into(),
        monthly_capacity: 40,
        ..Default::default()
    }
}

/// A need for machine-vision inspection of galvanized steel sheet: it calls
/// for testing (检测) but is about steel, not food.
pub fn galvanized_inspection_need() -> pb::TechNeed {
    pb::TechNeed {
        title: "镀锌钢板表面缺陷视觉检测".into(),
        description: "冷轧镀锌钢板生产线需要基于机器视觉的表面缺陷在线检测，识别划伤、锌渣和漏镀".into(),
        industries: vec!["green_steel".into()],
        region_code: "440803".into(),
        ..Default::default()
    }
}

/// A testing offer about shrimp products (对虾产品检验检测), serving the city.
pub fn shrimp_testing_offer() -> pb::ServiceOffer {
    pb::ServiceOffer {
        category: pb::ServiceCategory::TestingInspection as i32,
        title: "对虾产品检验检测服务".into(),
        description: "对虾及水产品药物残留、重金属和微生物检测，出具CMA检测报告".into(),
        keywords: vec!["对虾".into(), "水产品检测".into()],
        regions_served: vec!["440800".into()],
        monthly_capacity: 40,
        ..Default::default()
    }
}

/// A testing offer about steel sheet surfaces, the one a galvanized-steel
/// inspection need calls for.
pub fn metal_testing_offer() -> pb::ServiceOffer {
    pb::ServiceOffer {
        category: pb::ServiceCategory::TestingInspection as i32,
        title: "金属板材表面质量检验检测".into(),
        description: "提供冷轧板、镀锌钢板表面缺陷检验与镀锌层厚度、附着力检测，CNAS认可实验室，\
                      可为机器视觉检测系统提供缺陷标准样板与比对检测"
            .into(),
        keywords: vec!["镀锌钢板".into(), "表面缺陷".into(), "金属材料检测".into()],
        regions_served: vec!["440800".into()],
        monthly_capacity: 10,
        ..Default::default()
    }
}
