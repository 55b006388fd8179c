//! The console's pages, one module per area, and the home page that sends
//! each kind of user to their work.

pub mod admin;
pub mod auth;
pub mod capabilities;
pub mod leads;
pub mod lookup;
pub mod needs;
pub mod offers;
pub mod plan;
pub mod records;
pub mod registry;
pub mod search;

use axum::response::{IntoResponse, Redirect, Response};
use innomatch_core::model::Role;
use maud::html;

use crate::{
    layout::{PageError, page},
    session::Viewer,
};

/// Signed in: what each kind of user does here; signed out: the sign-in page.
pub async fn home(viewer: Viewer) -> Response {
    let Some(session) = &viewer.session else { return Redirect::to("/login").into_response() };
    let lang = viewer.lang;
    let role = session.user.role;
    let body = html! {
        p { (lang.t("欢迎，", "Welcome, ")) (session.user.display_name) }
        ul.tasks {
            li { a href="/search" { (lang.t("检索需求、科技能力与服务", "Search needs, capabilities and services")) } }
            li { a href="/needs/new" id="post-need" { (lang.t("发布技术需求", "Post a technology need")) } }
            li { a href="/needs" { (lang.t("我的需求：匹配伙伴、创新联合体与服务", "My needs: partners, consortia and services")) } }
            @if role == Role::Agency {
                li { a href="/leads" { (lang.t("线索收件箱", "Lead inbox")) } }
                li { a href="/offers" { (lang.t("管理本机构服务", "Manage our service offers")) } }
            }
            @if role == Role::Member {
                li { a href="/capabilities" { (lang.t("管理本单位科技能力（高校、院所、实验室）", "Manage our capabilities (universities, institutes, labs)")) } }
            }
            @if role == Role::Admin {
                li { a href="/admin/users" { (lang.t("用户与邀请", "Users and invitations")) } }
                li { a href="/admin/plan" { (lang.t("规划目标看板", "Plan board")) } }
                li { a href="/admin/lookup" { (lang.t("企业查询", "Enterprise lookup")) } }
                li { a href="/admin/organizations" { (lang.t("机构名录、导入与导出", "Organizations, import and export")) } }
            }
        }
    };
    page(&viewer, lang.t("工作台", "Home"), body).into_response()
}

pub async fn not_found(viewer: Viewer) -> Response {
    PageError::NotFound.render(&viewer)
}
