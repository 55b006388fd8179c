//! Who is looking: the session cookie (`im_session`: HttpOnly,
//! SameSite=Strict, a random id whose hash the store keeps), the language
//! cookie, and the CSRF check every form goes through. A signed-in page
//! takes [`SignedIn`]; one open to everyone takes [`Viewer`].

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, HeaderValue, Method, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use innomatch_catalog::accounts::ActiveSession;
use innomatch_core::auth::Principal;

use crate::{WebConsole, i18n::Lang, layout::PageError};

pub const SESSION_COOKIE: &str = "im_session";
pub const LANGUAGE_COOKIE: &str = "im_lang";
/// The CSRF token of the sign-in form, before any session exists (double submit).
pub const LOGIN_CSRF_COOKIE: &str = "im_login_csrf";
/// The form field every POST carries.
pub const CSRF_FIELD: &str = "csrf";

/// The value of cookie `name` in the request, if any.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value: always `Path=/`, `SameSite=Strict`; `HttpOnly` and
/// `Secure` as asked; `max_age_secs` 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age_secs: u64, http_only: bool, secure: bool) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path=/; SameSite=Strict; Max-Age={max_age_secs}");
    if http_only {
        cookie.push_str("; HttpOnly");
    }
    if secure {
        cookie.push_str("; Secure");
    }
    // Names and values here are hex, codes or fixed words: always a valid header.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// Compares two tokens in time that depends only on their lengths.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && !a.is_empty() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn language(headers: &HeaderMap) -> Lang {
    cookie(headers, LANGUAGE_COOKIE).and_then(Lang::from_code).unwrap_or_default()
}

/// Anyone: the language, and the session when signed in.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub lang: Lang,
    pub session: Option<ActiveSession>,
    /// Where the request went (path and query), for links back.
    pub path: String,
}

impl FromRequestParts<WebConsole> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, console: &WebConsole) -> Result<Self, Self::Rejection> {
        let lang = language(&parts.headers);
        let path = parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into());
        let session = match cookie(&parts.headers, SESSION_COOKIE) {
            Some(secret) => console.accounts.session(secret).await.map_err(|e| PageError::from(e).into_response())?,
            None => None,
        };
        Ok(Viewer { lang, session, path })
    }
}

/// A signed-in user. A page asked for without a session redirects to the
/// sign-in page (and back afterwards); a form posted without one is refused.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub lang: Lang,
    pub session: ActiveSession,
    pub path: String,
}

impl SignedIn {
    pub fn principal(&self) -> Principal {
        self.session.principal()
    }

    /// The form's CSRF token must be this session's; nothing is done otherwise.
    pub fn check_csrf(&self, form: &crate::form::FormData) -> Result<(), PageError> {
        if same_token(form.get(CSRF_FIELD), &self.session.csrf_token) { Ok(()) } else { Err(PageError::Csrf) }
    }

    pub fn csrf(&self) -> &str {
        &self.session.csrf_token
    }

    pub fn viewer(&self) -> Viewer {
        Viewer { lang: self.lang, session: Some(self.session.clone()), path: self.path.clone() }
    }
}

/// Where to send someone who must sign in first, coming back to `path`.
pub fn login_redirect(path: &str) -> Response {
    let next: String = path
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect();
    Redirect::to(&format!("/login?next={next}")).into_response()
}

impl FromRequestParts<WebConsole> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, console: &WebConsole) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, console).await?;
        match viewer.session {
            Some(session) => Ok(SignedIn { lang: viewer.lang, session, path: viewer.path }),
            None if parts.method == Method::GET || parts.method == Method::HEAD => Err(login_redirect(&viewer.path)),
            None => Err(PageError::SignedOut.into_response()),
        }
    }
}

/// A path on this site to return to: anything else (another host, a
/// scheme-relative `//host`) becomes the home page.
pub fn local_path(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") { next } else { "/" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("im_lang=en; im_session=abc123"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc123"));
        assert_eq!(cookie(&headers, LANGUAGE_COOKIE), Some("en"));
        assert_eq!(cookie(&headers, "session"), None);
    }

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(local_path("/needs/new"), "/needs/new");
        assert_eq!(local_path("//evil.example/"), "/");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
    }

    #[test]
    fn tokens_compare_whole_and_never_empty() {
        assert!(same_token("abcd", "abcd"));
        assert!(!same_token("abcd", "abce"));
        assert!(!same_token("abc", "abcd"));
        assert!(!same_token("", ""));
    }
}
