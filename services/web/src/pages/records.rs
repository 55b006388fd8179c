//! The pages of one organization, capability, service offer or support
//! policy, as the viewer may see them (the catalog's visibility and
//! redaction rules).

use axum::{
    extract::{Path, State},
    response::{IntoResponse, Response},
};
use innomatch_catalog::service::ListFilter;
use innomatch_core::{
    model::{Record, RecordKind},
    taxonomy::Taxonomy,
};
use maud::{Markup, html};

use crate::{
    WebConsole,
    i18n::Lang,
    layout::{PageError, page},
    session::SignedIn,
};

/// Industry and field codes as their names.
pub fn taxonomy_names(lang: Lang, industries: &[String], fields: &[String]) -> Markup {
    let taxonomy = Taxonomy::get();
    html! {
        @if !industries.is_empty() {
            p.tags { span.label { (lang.t("产业链：", "Industry chains: ")) }
                @for code in industries { span.tag { (taxonomy.industry(code).map(|i| i.name.as_str()).unwrap_or(code)) } } }
        }
        @if !fields.is_empty() {
            p.tags { span.label { (lang.t("高新技术领域：", "High-tech fields: ")) }
                @for code in fields { span.tag { (taxonomy.high_tech_field(code).map(|f| f.name.as_str()).unwrap_or(code)) } } }
        }
    }
}

pub fn region_name(code: &str) -> &str {
    Taxonomy::get().region(code).map(|r| r.name.as_str()).unwrap_or(code)
}

pub async fn organization_page(
    State(console): State<WebConsole>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    let principal = signed_in.principal();
    let organization = match console.catalog.get(&principal, RecordKind::Organization, &id).await {
        Ok(Record::Organization(organization)) => organization,
        Ok(_) => return PageError::NotFound.render(&viewer),
        Err(error) => return PageError::from(error).render(&viewer),
    };
    let filter = ListFilter { organization_id: Some(id.clone()), page_size: 50, ..ListFilter::default() };
    let capabilities = match console.catalog.list(&principal, RecordKind::Capability, filter).await {
        Ok(page) => page.records,
        Err(error) => return PageError::from(error).render(&viewer),
    };
    let body = html! {
        p.kind { (lang.organization_kind(organization.kind())) " · " (region_name(&organization.region_code)) }
        @if !organization.description.is_empty() { p.description { (organization.description) } }
        (taxonomy_names(lang, &organization.industries, &organization.high_tech_fields))
        @if !capabilities.is_empty() {
            h2 { (lang.t("科技能力", "Capabilities")) }
            ul.records {
                @for record in &capabilities {
                    @if let Record::Capability(capability) = record {
                        li { a href={ "/capabilities/" (capability.meta.id) } { (capability.title) } }
                    }
                }
            }
        }
    };
    page(&viewer, &organization.name, body).into_response()
}

pub async fn capability_page(
    State(console): State<WebConsole>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    let capability = match console.catalog.get(&signed_in.principal(), RecordKind::Capability, &id).await {
        Ok(Record::Capability(capability)) => capability,
        Ok(_) => return PageError::NotFound.render(&viewer),
        Err(error) => return PageError::from(error).render(&viewer),
    };
    // Its own organization sees the needs it fits.
    let fitting = if signed_in.principal().acts_for(&capability.meta.organization_id) {
        match crate::pages::capabilities::fitting_needs(&console, &signed_in, &id).await {
            Ok(fitting) => Some(fitting),
            Err(error) => return error.render(&viewer),
        }
    } else {
        None
    };
    let body = html! {
        p.kind {
            @if let Some(kind) = capability.kind { (lang.capability_kind(kind)) }
            @if capability.trl > 0 { " · TRL " (capability.trl) }
            @if capability.available_for_sharing { " · " (lang.t("可共享", "open for sharing")) }
        }
        p { a href={ "/organizations/" (capability.meta.organization_id) } { (lang.t("所属机构", "Organization")) } }
        p.description { (capability.description) }
        (taxonomy_names(lang, &capability.industries, &capability.high_tech_fields))
        @if !capability.reference.is_empty() { p { (lang.t("编号：", "Reference: ")) (capability.reference) } }
        @if let Some(fitting) = fitting { (fitting) }
    };
    page(&viewer, &capability.title, body).into_response()
}

pub async fn offer_page(State(console): State<WebConsole>, signed_in: SignedIn, Path(id): Path<String>) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    let offer = match console.catalog.get(&signed_in.principal(), RecordKind::ServiceOffer, &id).await {
        Ok(Record::Offer(offer)) => offer,
        Ok(_) => return PageError::NotFound.render(&viewer),
        Err(error) => return PageError::from(error).render(&viewer),
    };
    let body = html! {
        p.kind { @if let Some(category) = offer.category { (lang.service_category(category)) } }
        p { a href={ "/organizations/" (offer.meta.organization_id) } { (lang.t("服务机构", "Agency")) } }
        p.description { (offer.description) }
        @if !offer.terms.is_empty() { p { (lang.t("服务条款：", "Terms: ")) (offer.terms) } }
    };
    page(&viewer, &offer.title, body).into_response()
}

/// A support policy: the document, what it gives and who it is for.
pub async fn policy_page(State(console): State<WebConsole>, signed_in: SignedIn, Path(id): Path<String>) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    let policy = match console.catalog.get(&signed_in.principal(), RecordKind::Policy, &id).await {
        Ok(Record::Policy(policy)) => policy,
        Ok(_) => return PageError::NotFound.render(&viewer),
        Err(error) => return PageError::from(error).render(&viewer),
    };
    let e = &policy.eligibility;
    let body = html! {
        p.kind { (policy.issuing_department) " " (policy.document_number) }
        @if let Some(kind) = policy.benefit.kind {
            p { (lang.t("支持方式：", "Benefit: ")) (kind.label_zh())
                @if policy.benefit.amount_yuan > 0 { " " (policy.benefit.amount_yuan) (lang.t(" 元", " yuan")) } }
        }
        @if !policy.benefit.description.is_empty() { p { (policy.benefit.description) } }
        @if !e.qualifications.is_empty() {
            p.tags { span.label { (lang.t("所需资质：", "Qualifications: ")) }
                @for q in &e.qualifications { span.tag { (q.label_zh()) } } }
        }
        @if !e.conditions.is_empty() {
            p.tags { span.label { (lang.t("附加条件：", "Conditions: ")) }
                @for c in &e.conditions { span.tag { (c.label_zh()) } } }
        }
        (taxonomy_names(lang, &e.industries, &e.high_tech_fields))
        @if !policy.summary.is_empty() { p.description { (policy.summary) } }
        @if !policy.full_text.is_empty() { p.description { (policy.full_text) } }
    };
    page(&viewer, &policy.title, body).into_response()
}
