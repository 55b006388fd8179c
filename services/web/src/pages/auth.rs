//! Signing in and out, accepting an invitation, changing a password, and
//! the language toggle. The rules (back-off, single-use invitations,
//! password strength) are the accounts domain's; these pages only ask.

use axum::{
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Redirect, Response},
};
use innomatch_catalog::accounts::{Acceptance, AccountError};
use maud::{Markup, html};
use serde::Deserialize;

use crate::{
    WebConsole,
    form::FormData,
    i18n::Lang,
    layout::{FieldErrors, PageError, csrf_field, page},
    session::{
        CSRF_FIELD, LANGUAGE_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE, SignedIn, Viewer, cookie, local_path,
        same_token, set_cookie,
    },
};

#[derive(Debug, Deserialize)]
pub struct Back {
    #[serde(default)]
    back: String,
}

/// `/lang/en` or `/lang/zh`: remembers the language and goes back.
pub async fn set_language(Path(code): Path<String>, Query(back): Query<Back>) -> Response {
    let lang = Lang::from_code(&code).unwrap_or_default();
    let mut response = Redirect::to(local_path(&back.back)).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(LANGUAGE_COOKIE, lang.code(), 365 * 86_400, false, false));
    response
}

#[derive(Debug, Deserialize, Default)]
pub struct Next {
    #[serde(default)]
    next: String,
}

fn random_token() -> String {
    // The session machinery's generator: 256 random bits, hex.
    innomatch_core::auth::generate_token().hash
}

fn login_form(lang: Lang, csrf: &str, next: &str, login: &str, error: Option<&str>) -> Markup {
    html! {
        form.card method="post" action="/login" id="login-form" {
            input type="hidden" name=(CSRF_FIELD) value=(csrf);
            input type="hidden" name="next" value=(next);
            @if let Some(error) = error { p.error id="login-error" { (error) } }
            label { (lang.t("登录名", "Login name")) input type="text" name="login" value=(login) autocomplete="username" required autofocus; }
            label { (lang.t("密码", "Password")) input type="password" name="password" autocomplete="current-password" required; }
            button type="submit" id="login-submit" { (lang.t("登录", "Sign in")) }
        }
    }
}

/// The sign-in page; its form carries a CSRF token bound to a cookie
/// (there is no session to bind it to yet).
pub async fn login_page(State(console): State<WebConsole>, viewer: Viewer, Query(next): Query<Next>) -> Response {
    let lang = viewer.lang;
    let csrf = random_token();
    let body = login_form(lang, &csrf, local_path(&next.next), "", None);
    let mut response = page(&viewer, lang.t("登录", "Sign in"), body).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600, true, console.secure_cookies));
    response
}

pub async fn login(
    State(console): State<WebConsole>,
    viewer: Viewer,
    headers: axum::http::HeaderMap,
    form: FormData,
) -> Response {
    let lang = viewer.lang;
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if !same_token(form.get(CSRF_FIELD), expected) {
        return PageError::Csrf.render(&viewer);
    }
    let next = local_path(form.get("next")).to_owned();
    match console.accounts.sign_in(form.get("login"), form.get("password")).await {
        Ok(session) => {
            let lifetime = console.accounts.policy().session_lifetime.as_secs();
            let mut response = Redirect::to(&next).into_response();
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &session.secret, lifetime, true, console.secure_cookies),
            );
            headers.append(header::SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, "", 0, true, console.secure_cookies));
            response
        }
        Err(error) => {
            let message = match &error {
                AccountError::InvalidCredentials => {
                    lang.t("登录名或密码错误。", "Wrong login name or password.").to_owned()
                }
                AccountError::Locked { retry_after_secs } => match lang {
                    Lang::Zh => format!("登录失败次数过多，请 {retry_after_secs} 秒后再试。"),
                    Lang::En => format!("Too many failed sign-ins: try again in {retry_after_secs} s."),
                },
                AccountError::PermissionDenied(why) => why.clone(),
                _ => return PageError::from(error).render(&viewer),
            };
            let status = crate::layout::http_status(tonic::Status::from(error).code());
            let body = login_form(lang, expected, &next, form.get("login"), Some(&message));
            (status, page(&viewer, lang.t("登录", "Sign in"), body)).into_response()
        }
    }
}

pub async fn logout(
    State(console): State<WebConsole>,
    signed_in: SignedIn,
    headers: axum::http::HeaderMap,
    form: FormData,
) -> Response {
    if let Err(refused) = signed_in.check_csrf(&form) {
        return refused.render(&signed_in.viewer());
    }
    if let Some(secret) = cookie(&headers, SESSION_COOKIE)
        && let Err(error) = console.accounts.sign_out(secret).await
    {
        return PageError::from(error).render(&signed_in.viewer());
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0, true, console.secure_cookies));
    response
}

fn invitation_form(lang: Lang, code: &str, csrf: &str, form: &FormData, errors: &FieldErrors) -> Markup {
    html! {
        form.card method="post" action={ "/invite/" (code) } id="invitation-form" {
            input type="hidden" name=(CSRF_FIELD) value=(csrf);
            label { (lang.t("登录名（小写字母、数字、. _ -）", "Login name (a–z, 0–9, . _ -)")) input type="text" name="login" value=(form.get("login")) required; }
            (errors.show(lang, "login"))
            label { (lang.t("姓名", "Name")) input type="text" name="display_name" value=(form.get("display_name")); }
            (errors.show(lang, "display_name"))
            label { (lang.t("密码（至少 10 个字符）", "Password (at least 10 characters)")) input type="password" name="password" required; }
            (errors.show(lang, "password"))
            (errors.show_others(lang, &["login", "display_name", "password"]))
            button type="submit" { (lang.t("创建账号", "Create the account")) }
        }
    }
}

/// `/invite/{code}`: whoever holds the link chooses a login and a password.
pub async fn invitation_page(State(console): State<WebConsole>, viewer: Viewer, Path(code): Path<String>) -> Response {
    let lang = viewer.lang;
    let invitation = match console.accounts.open_invitation(&code).await {
        Ok(invitation) => invitation,
        Err(error) => return PageError::from(error).render(&viewer),
    };
    let csrf = random_token();
    let role = lang.role(invitation.role);
    let body = html! {
        p { (lang.t("您受邀成为以下角色：", "You are invited as: ")) strong { (role) } }
        (invitation_form(lang, &code, &csrf, &FormData::default(), &FieldErrors::default()))
    };
    let mut response = page(&viewer, lang.t("接受邀请", "Accept the invitation"), body).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600, true, console.secure_cookies));
    response
}

pub async fn accept_invitation(
    State(console): State<WebConsole>,
    viewer: Viewer,
    Path(code): Path<String>,
    headers: axum::http::HeaderMap,
    form: FormData,
) -> Response {
    let lang = viewer.lang;
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if !same_token(form.get(CSRF_FIELD), expected) {
        return PageError::Csrf.render(&viewer);
    }
    let acceptance = Acceptance {
        code: code.clone(),
        login: form.get("login").into(),
        display_name: form.get("display_name").into(),
        password: form.get("password").into(),
    };
    match console.accounts.accept_invitation(acceptance).await {
        Ok(_) => Redirect::to("/login").into_response(),
        Err(AccountError::Invalid(violations)) => {
            let errors = FieldErrors::from_violations(&violations, |f| f.to_owned());
            let body = invitation_form(lang, &code, expected, &form, &errors);
            (axum::http::StatusCode::BAD_REQUEST, page(&viewer, lang.t("接受邀请", "Accept the invitation"), body))
                .into_response()
        }
        Err(AccountError::LoginTaken(login)) => {
            let mut errors = FieldErrors::default();
            errors.add("login", &format!("{login} is taken"));
            let body = invitation_form(lang, &code, expected, &form, &errors);
            (axum::http::StatusCode::CONFLICT, page(&viewer, lang.t("接受邀请", "Accept the invitation"), body))
                .into_response()
        }
        Err(error) => PageError::from(error).render(&viewer),
    }
}

fn password_form(lang: Lang, csrf: &str, errors: &FieldErrors, done: bool) -> Markup {
    html! {
        @if done { p.notice id="password-changed" { (lang.t("密码已修改；其他设备上的登录已退出。", "Password changed; other browsers were signed out.")) } }
        form.card method="post" action="/account/password" id="password-form" {
            (csrf_field(csrf))
            label { (lang.t("当前密码", "Current password")) input type="password" name="current_password" required; }
            (errors.show(lang, "current_password"))
            label { (lang.t("新密码（至少 10 个字符）", "New password (at least 10 characters)")) input type="password" name="new_password" required; }
            (errors.show(lang, "new_password"))
            button type="submit" { (lang.t("修改密码", "Change the password")) }
        }
    }
}

pub async fn password_page(signed_in: SignedIn) -> Response {
    let lang = signed_in.lang;
    let body = password_form(lang, signed_in.csrf(), &FieldErrors::default(), false);
    page(&signed_in.viewer(), lang.t("修改密码", "Change the password"), body).into_response()
}

pub async fn change_password(State(console): State<WebConsole>, signed_in: SignedIn, form: FormData) -> Response {
    let lang = signed_in.lang;
    let viewer = signed_in.viewer();
    if let Err(refused) = signed_in.check_csrf(&form) {
        return refused.render(&viewer);
    }
    let result = console
        .accounts
        .change_password(
            &signed_in.session.user.login,
            form.get("current_password"),
            form.get("new_password"),
            Some(&signed_in.session.session_key),
        )
        .await;
    let (status, errors, done) = match result {
        Ok(()) => (axum::http::StatusCode::OK, FieldErrors::default(), true),
        Err(AccountError::Invalid(violations)) => {
            (axum::http::StatusCode::BAD_REQUEST, FieldErrors::from_violations(&violations, |f| f.to_owned()), false)
        }
        Err(AccountError::InvalidCredentials) => {
            let mut errors = FieldErrors::default();
            errors.add("current_password", "is not the current password");
            (axum::http::StatusCode::UNAUTHORIZED, errors, false)
        }
        Err(error) => return PageError::from(error).render(&viewer),
    };
    (
        status,
        page(&viewer, lang.t("修改密码", "Change the password"), password_form(lang, signed_in.csrf(), &errors, done)),
    )
        .into_response()
}
