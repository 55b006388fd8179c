//! The admin's (the bureau's) users page: every user, a form to create one
//! and a form to issue an invitation link. The accounts domain decides who
//! may do this (admins only) and what is valid.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use innomatch_catalog::accounts::{AccountError, NewUser};
use innomatch_core::model::Role;
use maud::{Markup, html};

use crate::{
    WebConsole,
    form::FormData,
    i18n::Lang,
    layout::{FieldErrors, PageError, csrf_field, page},
    session::SignedIn,
};

fn role_select(lang: Lang, chosen: &str) -> Markup {
    html! {
        select name="role" {
            @for role in Role::ALL { option value=(role.code()) selected[chosen == role.code()] { (lang.role(*role)) } }
        }
    }
}

async fn users_view(
    console: &WebConsole,
    signed_in: &SignedIn,
    form: &FormData,
    errors: &FieldErrors,
    invitation: Option<&str>,
) -> Result<Markup, PageError> {
    let lang = signed_in.lang;
    let users = console.accounts.list_users(&signed_in.principal(), None).await?;
    Ok(html! {
        @if let Some(code) = invitation {
            p.notice id="invitation-link" { (lang.t("邀请链接（仅显示一次）：", "Invitation link (shown once): ")) code { "/invite/" (code) } }
        }
        table.users id="users" {
            thead { tr { th { (lang.t("登录名", "Login")) } th { (lang.t("姓名", "Name")) } th { (lang.t("机构", "Organization")) } th { (lang.t("角色", "Role")) } } }
            tbody {
                @for user in &users {
                    tr { td { (user.login) } td { (user.display_name) } td { (user.organization_id.as_deref().unwrap_or("—")) } td { (lang.role(user.role)) } }
                }
            }
        }
        h2 { (lang.t("新建用户", "Create a user")) }
        form.card method="post" action="/admin/users" id="create-user-form" {
            (csrf_field(signed_in.csrf()))
            label { (lang.t("登录名", "Login")) input type="text" name="login" value=(form.get("login")); }
            (errors.show(lang, "login"))
            label { (lang.t("姓名", "Name")) input type="text" name="display_name" value=(form.get("display_name")); }
            label { (lang.t("初始密码", "Initial password")) input type="password" name="password"; }
            (errors.show(lang, "password"))
            label { (lang.t("机构编号", "Organization id")) input type="text" name="organization_id" value=(form.get("organization_id")); }
            (errors.show(lang, "organization_id"))
            label { (lang.t("角色", "Role")) (role_select(lang, form.get("role"))) }
            (errors.show_others(lang, &["login", "password", "organization_id"]))
            button type="submit" { (lang.t("创建", "Create")) }
        }
        h2 { (lang.t("发出邀请", "Issue an invitation")) }
        form.card method="post" action="/admin/invitations" id="invitation-issue-form" {
            (csrf_field(signed_in.csrf()))
            label { (lang.t("机构编号", "Organization id")) input type="text" name="organization_id"; }
            label { (lang.t("角色", "Role")) (role_select(lang, "member")) }
            button type="submit" { (lang.t("生成邀请链接", "Create the link")) }
        }
    })
}

fn render(console_result: Result<Markup, PageError>, signed_in: &SignedIn, status: StatusCode) -> Response {
    let viewer = signed_in.viewer();
    match console_result {
        Ok(body) => (status, page(&viewer, signed_in.lang.t("用户管理", "Users"), body)).into_response(),
        Err(error) => error.render(&viewer),
    }
}

pub async fn users_page(State(console): State<WebConsole>, signed_in: SignedIn) -> Response {
    let view = users_view(&console, &signed_in, &FormData::default(), &FieldErrors::default(), None).await;
    render(view, &signed_in, StatusCode::OK)
}

fn organization(form: &FormData) -> Option<String> {
    let id = form.get("organization_id").trim();
    (!id.is_empty()).then(|| id.to_owned())
}

pub async fn create_user(State(console): State<WebConsole>, signed_in: SignedIn, form: FormData) -> Response {
    if let Err(refused) = signed_in.check_csrf(&form) {
        return refused.render(&signed_in.viewer());
    }
    let new = NewUser {
        login: form.get("login").into(),
        display_name: form.get("display_name").into(),
        password: form.get("password").into(),
        organization_id: organization(&form),
        role: Role::from_code(form.get("role")),
    };
    let (errors, status) = match console.accounts.create_user(&signed_in.principal(), new).await {
        Ok(_) => (FieldErrors::default(), StatusCode::OK),
        Err(AccountError::Invalid(violations)) => {
            (FieldErrors::from_violations(&violations, |f| f.to_owned()), StatusCode::BAD_REQUEST)
        }
        Err(error) => return PageError::from(error).render(&signed_in.viewer()),
    };
    let shown = if errors.is_empty() { FormData::default() } else { form };
    render(users_view(&console, &signed_in, &shown, &errors, None).await, &signed_in, status)
}

pub async fn issue_invitation(State(console): State<WebConsole>, signed_in: SignedIn, form: FormData) -> Response {
    if let Err(refused) = signed_in.check_csrf(&form) {
        return refused.render(&signed_in.viewer());
    }
    let issued = console
        .accounts
        .issue_invitation(&signed_in.principal(), organization(&form), Role::from_code(form.get("role")), None)
        .await;
    match issued {
        Ok(invitation) => {
            let view =
                users_view(&console, &signed_in, &FormData::default(), &FieldErrors::default(), Some(&invitation.code))
                    .await;
            render(view, &signed_in, StatusCode::OK)
        }
        Err(error) => PageError::from(error).render(&signed_in.viewer()),
    }
}
