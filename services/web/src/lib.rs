//! innomatch web console: server-rendered HTML pages for the people who use
//! innomatch (enterprises, universities, agencies, the bureau), Simplified
//! Chinese first with an English toggle, over the same domain services the
//! gRPC API calls in-process ([`Catalog`], [`SearchIndex`], [`Matcher`],
//! [`Leads`], [`Accounts`]). No rule lives here: requests are converted with
//! the API's own converters and checked by the domain.
//!
//! | file | what lives there |
//! |---|---|
//! | `session.rs` | cookies, the signed-in extractor, CSRF checks |
//! | `i18n.rs` | the language of a page (中文 / English) |
//! | `form.rs` | posted forms as ordered name/value pairs |
//! | `layout.rs` | the page shell, navigation, field errors, error pages |
//! | `live.rs` | server-sent events that update parts of pages without a reload |
//! | `pages/` | one module per area: sign-in, search, records, needs, capabilities, offers, leads, admin (users), registry (organizations, import, export), plan board |

pub mod form;
pub mod i18n;
pub mod layout;
pub mod live;
pub mod pages;
pub mod session;

use std::{future::Future, net::SocketAddr, sync::Arc};

use axum::{
    Router,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use innomatch_catalog::{Accounts, Catalog};
use innomatch_leads::{Leads, notifications::Notifications};
use innomatch_matcher::Matcher;
use innomatch_search::index::SearchIndex;
use tokio::{net::TcpListener, sync::watch};

/// Everything the pages call: the domain services of this process.
#[derive(Clone)]
pub struct WebConsole {
    pub catalog: Catalog,
    pub accounts: Accounts,
    /// The search index, when search runs in this process.
    pub search: Option<Arc<SearchIndex>>,
    /// The matcher, when it runs in this process.
    pub matcher: Option<Matcher>,
    /// The leads service, when it runs in this process.
    pub leads: Option<Leads>,
    /// The notification service, when it runs in this process (the
    /// enterprise lookup lists what an organization received).
    pub notifications: Option<Notifications>,
    /// Mark cookies `Secure` (when the console is reached over HTTPS).
    pub secure_cookies: bool,
    /// Turns true when the console stops: event streams end then, so a
    /// graceful shutdown is not held open by a browser's live page.
    closing: Arc<watch::Sender<bool>>,
}

impl std::fmt::Debug for WebConsole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConsole").finish_non_exhaustive()
    }
}

/// The stylesheet, embedded in the binary: no CDN, nothing fetched at run time.
const STYLE_CSS: &str = include_str!("../assets/style.css");
/// The one script: live parts of pages (the CSP allows scripts from here only, none inline).
const LIVE_JS: &str = include_str!("../assets/live.js");

async fn live_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        LIVE_JS,
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        STYLE_CSS,
    )
        .into_response()
}

/// Headers every answer carries: no framing, no sniffing, no script or
/// style from anywhere but here, no referrer leaving the site.
async fn security_headers(response: Response) -> Response {
    let mut response = response;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

impl WebConsole {
    /// A console over the catalog and accounts; the other services are added
    /// with the `with_…` methods when they run in this process.
    pub fn new(catalog: Catalog, accounts: Accounts) -> Self {
        Self {
            catalog,
            accounts,
            search: None,
            matcher: None,
            leads: None,
            notifications: None,
            secure_cookies: false,
            closing: Arc::new(watch::channel(false).0),
        }
    }

    pub fn with_search(mut self, search: Option<Arc<SearchIndex>>) -> Self {
        self.search = search;
        self
    }

    pub fn with_matcher(mut self, matcher: Option<Matcher>) -> Self {
        self.matcher = matcher;
        self
    }

    pub fn with_leads(mut self, leads: Option<Leads>) -> Self {
        self.leads = leads;
        self
    }

    pub fn with_notifications(mut self, notifications: Option<Notifications>) -> Self {
        self.notifications = notifications;
        self
    }

    /// Turns true when the console is stopping (see [`WebConsole::serve`]).
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Every page and form of the console.
    pub fn router(self) -> Router {
        use pages::{admin, auth, capabilities, leads, lookup, needs, offers, plan, records, registry, search};
        Router::new()
            .route("/", get(pages::home))
            .route("/assets/style.css", get(stylesheet))
            .route("/assets/live.js", get(live_script))
            .route("/events/leads", get(live::lead_events))
            .route("/events/needs/{id}", get(live::need_events))
            .route("/leads/export", get(leads::export))
            .route("/lang/{lang}", get(auth::set_language))
            .route("/login", get(auth::login_page).post(auth::login))
            .route("/logout", post(auth::logout))
            .route("/invite/{code}", get(auth::invitation_page).post(auth::accept_invitation))
            .route("/account/password", get(auth::password_page).post(auth::change_password))
            .route("/search", get(search::search_page))
            .route("/organizations/{id}", get(records::organization_page))
            .route("/capabilities", get(capabilities::capabilities_page).post(capabilities::create_capability))
            .route("/capabilities/{id}", get(records::capability_page))
            .route("/offers", get(offers::offers_page).post(offers::create_offer))
            .route("/offers/{id}", get(records::offer_page))
            .route("/policies/{id}", get(records::policy_page))
            .route("/needs", get(needs::my_needs).post(needs::post_need))
            .route("/needs/new", get(needs::new_need_page))
            .route("/needs/{id}", get(needs::need_page))
            .route("/needs/{id}/edit", get(needs::edit_need_page).post(needs::update_need))
            .route("/leads", get(leads::inbox))
            .route("/leads/{id}/respond", post(leads::respond))
            .route("/leads/{id}/outcome", post(leads::outcome))
            .route("/admin/users", get(admin::users_page).post(admin::create_user))
            .route("/admin/invitations", post(admin::issue_invitation))
            .route("/admin/plan", get(plan::plan_page))
            .route("/admin/plan/export", get(plan::export))
            .route("/admin/lookup", get(lookup::lookup_page))
            .route("/admin/organizations", get(registry::organizations_page))
            .route("/admin/export", get(registry::export))
            .route(
                "/admin/import",
                post(registry::import).layer(axum::extract::DefaultBodyLimit::max(registry::IMPORT_MAX_BYTES)),
            )
            .fallback(pages::not_found)
            .layer(axum::extract::DefaultBodyLimit::max(form::FORM_MAX_BYTES))
            .layer(axum::middleware::map_response(security_headers))
            .with_state(self)
    }

    /// Serves the console on `listener` until `shutdown` resolves.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let closing = Arc::clone(&self.closing);
        axum::serve(listener, self.router())
            .with_graceful_shutdown(async move {
                shutdown.await;
                // Live pages' streams end first; then the server waits for the rest.
                closing.send_replace(true);
            })
            .await
    }
}

/// Binds `addr` for the console (port 0 picks a free port).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}
