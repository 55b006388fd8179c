//! What the browser tests share: the one server of this test binary (with
//! the sample data, its demo logins and the web console, on 127.0.0.1:0),
//! a chromedriver per test on a free port, browser sessions at 1366×768
//! with helpers that wait on conditions with deadlines, screenshots, and
//! plain HTTP requests for what a browser would never send.

use std::{
    net::SocketAddr,
    path::PathBuf,
    process::Stdio,
    sync::OnceLock,
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder, Locator};
use innomatch::server::sample::DemoLogin;
use innomatch_core::auth::BearerToken;
use innomatch_proto::v1::{
    self as pb, account_service_client::AccountServiceClient, catalog_service_client::CatalogServiceClient,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    process::{Child, Command},
};
use tonic::transport::Channel;

/// How long any one condition may take to come true.
const DEADLINE: Duration = Duration::from_secs(20);
/// How often a condition is looked at again.
const POLL: Duration = Duration::from_millis(50);
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const WIDTH: u32 = 1366;
const HEIGHT: u32 = 768;

/// The server every test of this binary uses.
pub struct Shared {
    pub web: SocketAddr,
    pub grpc: SocketAddr,
    pub admin_token: String,
    pub logins: Vec<DemoLogin>,
}

/// Starts the shared server once, on a runtime of its own that outlives
/// every test's runtime.
pub fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let (started, start) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async move {
                let app = innomatch_tests::spawn_app_with(|settings| {
                    settings.sample_data = true;
                    settings.web_listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
                })
                .await;
                app.wait_for_index().await;
                let shared = Shared {
                    web: app.web_addr(),
                    grpc: app.addr,
                    admin_token: app.admin_token.clone(),
                    logins: app.demo_logins(),
                };
                let _ = started.send(shared);
                // The server lives as long as the test process.
                std::future::pending::<()>().await;
                drop(app);
            });
        });
        start.recv().expect("the shared server starts")
    })
}

/// A number no other call in this process got (unique names per test).
pub fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Percent-encodes a query value.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A console user of an agency made for one test.
pub struct AgencyUser {
    pub login: String,
    pub password: String,
    /// A keyword only this agency's offer carries.
    pub keyword: String,
}

impl Shared {
    pub fn login(&self, kind: &str) -> &DemoLogin {
        self.logins.iter().find(|l| l.kind == kind).unwrap_or_else(|| panic!("a demo login for {kind}"))
    }

    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.grpc)).expect("address").connect().await.expect("connect")
    }

    fn admin_auth(&self) -> BearerToken {
        BearerToken::new(Some(&self.admin_token)).expect("an ASCII token")
    }

    async fn catalog(
        &self,
    ) -> CatalogServiceClient<tonic::service::interceptor::InterceptedService<Channel, BearerToken>> {
        CatalogServiceClient::with_interceptor(self.channel().await, self.admin_auth())
    }

    /// An agency (registered by the admin) whose one offer is shrimp disease
    /// testing in the city, and a console user for it made over the
    /// AccountService API.
    pub async fn agency_with_offer(&self, number: u64) -> AgencyUser {
        let mut catalog = self.catalog().await;
        let organization = catalog
            .create_organization(pb::CreateOrganizationRequest {
                organization: Some(pb::Organization {
                    name: format!("湛江水产检验检测服务中心{number}"),
                    kind: pb::OrganizationKind::IntermediaryAgency as i32,
                    region_code: "440802".into(),
                    industries: vec!["shrimp".into()],
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await
            .expect("an agency")
            .into_inner();
        let organization_id = organization.meta.expect("meta").id;
        let keyword = format!("白斑快检{number}");
        catalog
            .create_service_offer(pb::CreateServiceOfferRequest {
                offer: Some(pb::ServiceOffer {
                    meta: Some(pb::RecordMeta { organization_id: organization_id.clone(), ..Default::default() }),
                    category: pb::ServiceCategory::TestingInspection as i32,
                    title: "对虾养殖白斑综合征病毒快速检测与检验检测服务".into(),
                    description: "CMA资质实验室，为对虾养殖基地提供白斑综合征病毒现场快速检测、病害检测与定期抽检"
                        .into(),
                    keywords: vec!["对虾养殖".into(), "病害检测".into(), "检验检测".into(), keyword.clone()],
                    regions_served: vec!["440800".into()],
                    industries_served: vec!["shrimp".into()],
                    terms: "常规项目3个工作日出具报告".into(),
                    monthly_capacity: 30,
                }),
            })
            .await
            .expect("an offer");
        let login = format!("agency-{number}");
        let password = format!("对虾检测-{number}-password");
        AccountServiceClient::with_interceptor(self.channel().await, self.admin_auth())
            .create_user(pb::CreateUserRequest {
                login: login.clone(),
                display_name: "检测中心业务员".into(),
                password: password.clone(),
                organization_id,
                role: pb::Role::Agency as i32,
            })
            .await
            .expect("a user made over the AccountService API");
        AgencyUser { login, password, keyword }
    }

    /// Posts a public need for `organization_id` as the admin.
    pub async fn post_need_as_admin(&self, organization_id: &str, title: &str) {
        self.catalog()
            .await
            .create_need(pb::CreateNeedRequest {
                need: Some(pb::TechNeed {
                    meta: Some(pb::RecordMeta { organization_id: organization_id.into(), ..Default::default() }),
                    title: title.into(),
                    description: "预制菜冷链运输中的保鲜与品质控制工艺".into(),
                    visibility: pb::Visibility::Public as i32,
                    ..Default::default()
                }),
            })
            .await
            .expect("a need");
    }

    /// How many needs the organization has (any visibility), as the admin reads them.
    pub async fn count_needs(&self, organization_id: &str) -> usize {
        let mut catalog = self.catalog().await;
        let (mut count, mut page_token) = (0, String::new());
        loop {
            let page = catalog
                .list_needs(pb::ListNeedsRequest {
                    organization_id: organization_id.into(),
                    page_size: 500,
                    page_token,
                    ..Default::default()
                })
                .await
                .expect("list needs")
                .into_inner();
            count += page.needs.len();
            if page.next_page_token.is_empty() {
                return count;
            }
            page_token = page.next_page_token;
        }
    }
}

/// A chromedriver of this test's own, on a free port; killed when dropped.
pub struct Driver {
    url: String,
    _process: Child,
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

impl Driver {
    /// `None` (the test is skipped, with a message) when chromedriver is not
    /// installed outside CI; in CI that fails the test.
    pub async fn start() -> Option<Driver> {
        if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
            assert!(
                !in_ci(),
                "CI=true: the browser tests need {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
            );
            eprintln!("skipped: {CHROMEDRIVER} or {CHROMIUM} is missing (apt-get install chromium chromium-driver)");
            return None;
        }
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            listener.local_addr().expect("address").port()
        };
        let process = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(started.elapsed() < DEADLINE, "chromedriver did not listen on {port}");
            tokio::time::sleep(POLL).await;
        }
        Some(Driver { url: format!("http://127.0.0.1:{port}"), _process: process })
    }

    /// A new headless Chromium session at 1366×768 with cookies of its own.
    pub async fn browser(&self, app: &Shared) -> Browser {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    format!("--window-size={WIDTH},{HEIGHT}"), "--lang=zh-CN", "--hide-scrollbars",
                ],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a browser session");
        Browser { client, base: format!("http://{}", app.web) }
    }
}

/// One browser session.
pub struct Browser {
    pub client: Client,
    base: String,
}

/// Where screenshots go: `screenshots/` in the workspace's target dir (the
/// test binary lives in `target/<profile>/deps/`).
fn screenshot_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let target = exe.ancestors().nth(3).map(PathBuf::from).unwrap_or_else(|| PathBuf::from("target"));
    target.join("screenshots")
}

impl Browser {
    pub async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The path of the page shown now.
    pub async fn path(&self) -> String {
        self.client.current_url().await.expect("current url").path().to_owned()
    }

    pub async fn source(&self) -> String {
        self.client.source().await.expect("page source")
    }

    /// Signs in on the sign-in page and waits until the console shows the home page.
    pub async fn login(&self, login: &str, password: &str) {
        self.goto("/login").await;
        self.fill("input[name='login']", login).await;
        self.fill("input[name='password']", password).await;
        self.click("#login-submit").await;
        self.wait_for_css("#logout").await;
    }

    /// Waits (up to the deadline) for an element matching `css`.
    pub async fn wait_for_css(&self, css: &str) {
        let started = Instant::now();
        loop {
            if self.client.find(Locator::Css(css)).await.is_ok() {
                return;
            }
            if started.elapsed() > DEADLINE {
                let source = self.source().await;
                panic!("no {css} within {DEADLINE:?} on {}:\n{source}", self.path().await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the HTML of the element matching `css` satisfies `done`.
    pub async fn wait_until(&self, what: &str, css: &str, done: impl Fn(&str) -> bool) {
        let started = Instant::now();
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(html) = element.html(false).await
                && done(&html)
            {
                return;
            }
            assert!(started.elapsed() < DEADLINE, "{what}: not within {DEADLINE:?} on {}", self.path().await);
            tokio::time::sleep(POLL).await;
        }
    }

    /// Opens `path` again and again until the element matching `css`
    /// satisfies `done` (for what a page shows only once a follower caught up).
    pub async fn goto_until(&self, what: &str, path: &str, css: &str, done: impl Fn(&str) -> bool) {
        let started = Instant::now();
        loop {
            self.goto(path).await;
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(html) = element.html(false).await
                && done(&html)
            {
                return;
            }
            assert!(started.elapsed() < DEADLINE, "{what}: not within {DEADLINE:?} on {path}");
            tokio::time::sleep(POLL).await;
        }
    }

    /// True when no element matches `css` now.
    pub async fn absent(&self, css: &str) -> bool {
        self.client.find_all(Locator::Css(css)).await.expect("find").is_empty()
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        element.clear().await.unwrap_or_else(|e| panic!("clear {css}: {e}"));
        element.send_keys(text).await.unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    pub async fn click(&self, css: &str) {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        element.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    pub async fn text(&self, css: &str) -> String {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        element.text().await.expect("text")
    }

    /// The outer HTML of the element matching `css`.
    pub async fn html(&self, css: &str) -> String {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        element.html(false).await.expect("html")
    }

    /// The current value of a form field.
    pub async fn value(&self, css: &str) -> String {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        element.prop("value").await.expect("value").unwrap_or_default()
    }

    /// Saves the page as `target/screenshots/<name>.png` (1366×768).
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("the screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("the screenshot is written");
    }

    pub async fn quit(self) {
        let _ = self.client.close().await;
    }
}

/// A raw HTTP/1.1 request to the console: the status and the response.
async fn http(web: SocketAddr, request: String) -> (u16, String) {
    let mut stream = TcpStream::connect(web).await.expect("connect to the console");
    stream.write_all(request.as_bytes()).await.expect("request");
    let mut response = Vec::new();
    let read = tokio::time::timeout(DEADLINE, stream.read_to_end(&mut response)).await;
    let response = String::from_utf8_lossy(&response).into_owned();
    assert!(read.is_ok(), "the console answered within {DEADLINE:?}: {response}");
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, response)
}

fn cookie_header(session: Option<&str>) -> String {
    session.map(|s| format!("Cookie: im_session={s}\r\n")).unwrap_or_default()
}

/// A form posted straight to the console, with the session cookie when given.
pub async fn http_post(web: SocketAddr, path: &str, session: Option<&str>, body: &str) -> (u16, String) {
    let cookie = cookie_header(session);
    http(
        web,
        format!(
            "POST {path} HTTP/1.1\r\nHost: {web}\r\n{cookie}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await
}

pub async fn http_get(web: SocketAddr, path: &str, session: Option<&str>) -> (u16, String) {
    let cookie = cookie_header(session);
    http(web, format!("GET {path} HTTP/1.1\r\nHost: {web}\r\n{cookie}Connection: close\r\n\r\n")).await
}
