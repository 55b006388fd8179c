//! The page shell (header, navigation by role, language toggle), the
//! helpers forms share (field errors beside their field), and error pages.
//! A domain error becomes an HTTP status through the API's own mapping to
//! gRPC codes, so a refusal means the same in the browser as over gRPC.

use std::collections::BTreeMap;

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use innomatch_core::{model::Role, validation::Violations};
use innomatch_search::highlight::push_escaped;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use tonic::Code;

use crate::{
    i18n::Lang,
    session::{CSRF_FIELD, Viewer},
};

/// A whole page: `title`, then `body` inside the shell.
pub fn page(viewer: &Viewer, title: &str, body: Markup) -> Markup {
    let lang = viewer.lang;
    html! {
        (DOCTYPE)
        html lang=(lang.html_lang()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (lang.t("湛江科技创新供需对接平台", "innomatch Zhanjiang")) }
                link rel="stylesheet" href="/assets/style.css";
                script src="/assets/live.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { (lang.t("湛江科技创新供需对接平台", "innomatch · Zhanjiang")) }
                    nav { (navigation(viewer)) }
                    div.tools {
                        a.lang href={ "/lang/" (lang.other().code()) "?back=" (encode_path(&viewer.path)) } {
                            (lang.t("English", "中文"))
                        }
                        @if let Some(session) = &viewer.session {
                            span.who { (session.user.display_name) " · " (lang.role(session.user.role)) }
                            form.inline method="post" action="/logout" {
                                input type="hidden" name=(CSRF_FIELD) value=(session.csrf_token);
                                button.link type="submit" id="logout" { (lang.t("退出", "Sign out")) }
                            }
                        } @else {
                            a href="/login" { (lang.t("登录", "Sign in")) }
                        }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

fn navigation(viewer: &Viewer) -> Markup {
    let lang = viewer.lang;
    let role = viewer.session.as_ref().map(|s| s.user.role);
    html! {
        a href="/search" { (lang.t("检索", "Search")) }
        @if role.is_some() {
            a href="/needs" { (lang.t("我的需求", "My needs")) }
            a href="/needs/new" { (lang.t("发布需求", "Post a need")) }
        }
        @if role == Some(Role::Member) {
            a href="/capabilities" { (lang.t("科技能力", "Capabilities")) }
        }
        @if role == Some(Role::Agency) {
            a href="/leads" { (lang.t("线索收件箱", "Lead inbox")) }
            a href="/offers" { (lang.t("服务管理", "Offers")) }
        }
        @if role == Some(Role::Admin) {
            a href="/admin/users" { (lang.t("用户管理", "Users")) }
            a href="/admin/plan" { (lang.t("规划看板", "Plan board")) }
            a href="/admin/organizations" { (lang.t("机构名录", "Organizations")) }
        }
        @if role.is_some() {
            a href="/account/password" { (lang.t("修改密码", "Password")) }
        }
    }
}

/// Percent-encodes a path for a query parameter.
pub fn encode_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The hidden CSRF field of a signed-in form.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(token); }
}

/// Violations by the form field they belong to.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    /// Groups violations under the form field that `field_of` names for each path.
    pub fn from_violations(violations: &Violations, field_of: impl Fn(&str) -> String) -> Self {
        let mut errors = FieldErrors::default();
        for v in &violations.0 {
            errors.add(&field_of(&v.field), &v.description);
        }
        errors
    }

    pub fn add(&mut self, field: &str, message: &str) {
        self.0.entry(field.to_owned()).or_default().push(message.to_owned());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The messages for `field`, shown right below it (nothing when none).
    pub fn show(&self, lang: Lang, field: &str) -> Markup {
        html! {
            @if let Some(messages) = self.0.get(field) {
                @for message in messages {
                    p.field-error data-field=(field) { (lang.violation(message)) }
                }
            }
        }
    }

    /// Messages for fields the form does not show, listed together.
    pub fn show_others(&self, lang: Lang, shown: &[&str]) -> Markup {
        html! {
            @for (field, messages) in &self.0 {
                @if !shown.contains(&field.as_str()) {
                    @for message in messages {
                        p.field-error data-field=(field) { (field) ": " (lang.violation(message)) }
                    }
                }
            }
        }
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }
}

/// A snippet whose matched words are wrapped in `<em>`: everything else is
/// escaped, so only those marks reach the page as markup.
pub fn highlighted(snippet: &str) -> Markup {
    let mut out = String::new();
    let mut rest = snippet;
    while let Some(start) = rest.find("<em>") {
        push_escaped(&mut out, &unescape(&rest[..start]));
        let after = &rest[start + 4..];
        let end = after.find("</em>").unwrap_or(after.len());
        out.push_str("<em>");
        push_escaped(&mut out, &unescape(&after[..end]));
        out.push_str("</em>");
        rest = after.get(end + 5..).unwrap_or("");
    }
    push_escaped(&mut out, &unescape(rest));
    PreEscaped(out)
}

/// Snippets arrive escaped (`innomatch_search::highlight`); undo that before escaping once.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// What a page could not do, shown as an error page with its status.
#[derive(Debug)]
pub enum PageError {
    /// A refusal from a domain service, as its gRPC status says it.
    Domain(tonic::Status),
    BadRequest(String),
    /// The form's CSRF token did not match the session's.
    Csrf,
    /// A form posted without a session.
    SignedOut,
    NotFound,
    /// The service this page needs does not run in this process.
    Unavailable(&'static str),
}

/// Every domain error reaches the page through its service's one mapping to a gRPC status.
macro_rules! domain_errors {
    ($($error:ty),+ $(,)?) => {
        $(impl From<$error> for PageError {
            fn from(error: $error) -> Self {
                PageError::Domain(error.into())
            }
        })+
    };
}

domain_errors!(
    tonic::Status,
    innomatch_catalog::CatalogError,
    innomatch_catalog::accounts::AccountError,
    innomatch_matcher::MatcherError,
    innomatch_leads::LeadsError,
    innomatch_search::error::SearchError,
    innomatch_bureau::LookupError,
    Violations,
);

/// The HTTP status of a gRPC code, as gRPC-HTTP mappings use it.
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::InvalidArgument | Code::OutOfRange => StatusCode::BAD_REQUEST,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::FailedPrecondition => StatusCode::PRECONDITION_FAILED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Cancelled | Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl PageError {
    fn status_and_message(&self, lang: Lang) -> (StatusCode, String) {
        match self {
            PageError::Domain(status) => (http_status(status.code()), status.message().to_owned()),
            PageError::BadRequest(message) => (StatusCode::BAD_REQUEST, message.clone()),
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                lang.t(
                    "表单已失效（CSRF 校验未通过），请刷新页面后重试。",
                    "The form expired (CSRF check failed): reload the page and try again.",
                )
                .into(),
            ),
            PageError::SignedOut => (StatusCode::UNAUTHORIZED, lang.t("请先登录。", "Please sign in first.").into()),
            PageError::NotFound => (StatusCode::NOT_FOUND, lang.t("页面不存在。", "No such page.").into()),
            PageError::Unavailable(what) => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("{what} {}", lang.t("未在本进程中运行。", "does not run in this process.")),
            ),
        }
    }

    /// The error page in the viewer's language.
    pub fn render(&self, viewer: &Viewer) -> Response {
        let (status, message) = self.status_and_message(viewer.lang);
        let title = viewer.lang.t("无法完成", "Could not be done");
        (status, page(viewer, title, html! { p.error id="error-message" { (message) } p { a href="/" { (viewer.lang.t("返回首页", "Home")) } } }))
            .into_response()
    }
}

impl IntoResponse for PageError {
    /// Without the viewer at hand: a Chinese page, signed out.
    fn into_response(self) -> Response {
        let viewer = Viewer { lang: Lang::Zh, session: None, path: "/".into() };
        self.render(&viewer)
    }
}
