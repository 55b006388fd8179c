//! A university's, laboratory's or institute's capabilities: the list of
//! its own, the form to list one of any kind (research direction,
//! achievement, patent, instrument with its sharing terms, team, platform),
//! and on a capability's page the open needs it fits (the matcher's
//! needs-for-capability, searched as the viewer: others' private needs never
//! show). The form becomes the API's `CreateCapabilityRequest` and goes
//! through its converter and the catalog; errors come back beside their field.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use innomatch_catalog::{convert::NewRecord, service::ListFilter};
use innomatch_core::{
    model::{CapabilityKind, Record, RecordKind},
    taxonomy::Taxonomy,
    validation::Violations,
};
use innomatch_matcher::convert::CapabilityQuery;
use innomatch_proto::v1 as pb;
use maud::{Markup, html};

use crate::{
    WebConsole,
    form::FormData,
    i18n::Lang,
    layout::{FieldErrors, PageError, csrf_field, page},
    pages::needs::{form_field_of, split_keywords},
    session::SignedIn,
};

/// Needs a capability's page lists.
const FITTING_NEEDS: u32 = 8;

/// The API request the form asks for, and what the form could not read.
fn capability_request(form: &FormData) -> (pb::CreateCapabilityRequest, Violations) {
    let mut unreadable = Violations::new();
    let trl = match form.get("trl").trim() {
        "" => 0,
        text => text.parse::<u32>().unwrap_or_else(|_| {
            unreadable.add("trl", "must be a whole number");
            0
        }),
    };
    let kind = match form.get("kind") {
        "" => 0,
        code => CapabilityKind::from_code(code).map(CapabilityKind::to_proto).unwrap_or(-1),
    };
    let capability = pb::Capability {
        kind,
        title: form.get("title").into(),
        description: form.get("description").into(),
        keywords: split_keywords(form.get("keywords")),
        high_tech_fields: form.all("high_tech_fields"),
        industries: form.all("industries"),
        trl,
        available_for_sharing: form.get("available_for_sharing") == "on",
        reference: form.get("reference").trim().into(),
        region_code: form.get("region_code").trim().into(),
        ..Default::default()
    };
    (pb::CreateCapabilityRequest { capability: Some(capability) }, unreadable)
}

const SHOWN: &[&str] =
    &["kind", "title", "description", "keywords", "high_tech_fields", "industries", "trl", "reference", "region_code"];

fn capability_form(lang: Lang, csrf: &str, form: &FormData, errors: &FieldErrors) -> Markup {
    let taxonomy = Taxonomy::get();
    let chosen = |name: &str, value: &str| form.all(name).iter().any(|v| v == value);
    html! {
        form.card method="post" action="/capabilities" id="capability-form" novalidate {
            (csrf_field(csrf))
            label.field.invalid[errors.has("kind")] { (lang.t("类型", "Kind"))
                select name="kind" id="capability-kind" {
                    option value="" { (lang.t("请选择", "choose")) }
                    @for kind in CapabilityKind::ALL {
                        option value=(kind.code()) selected[form.get("kind") == kind.code()] { (lang.capability_kind(*kind)) }
                    }
                }
            }
            (errors.show(lang, "kind"))
            label.field.invalid[errors.has("title")] { (lang.t("名称", "Title"))
                input type="text" name="title" id="capability-title" value=(form.get("title")); }
            (errors.show(lang, "title"))
            label.field.invalid[errors.has("description")] { (lang.t("简介（成果、专利要点、仪器用途、团队方向……）", "Description (results, claims, what an instrument does, a team's work …)"))
                textarea name="description" id="capability-description" rows="4" { (form.get("description")) } }
            (errors.show(lang, "description"))
            label.field.invalid[errors.has("keywords")] { (lang.t("关键词（用逗号或顿号分隔）", "Keywords (separated by commas)"))
                input type="text" name="keywords" id="capability-keywords" value=(form.get("keywords")); }
            (errors.show(lang, "keywords"))
            label.field.invalid[errors.has("high_tech_fields")] { (lang.t("高新技术领域（可多选）", "High-tech fields (choose any)"))
                select name="high_tech_fields" id="capability-high-tech-fields" multiple size="5" {
                    @for field in taxonomy.high_tech_fields() {
                        option value=(field.code) selected[chosen("high_tech_fields", &field.code)] { @if field.code != field.top_level { "　" } (field.name) }
                    }
                }
            }
            (errors.show(lang, "high_tech_fields"))
            label.field.invalid[errors.has("industries")] { (lang.t("服务的产业链（可多选）", "Industry chains served (choose any)"))
                select name="industries" id="capability-industries" multiple size="5" {
                    @for industry in taxonomy.industries() {
                        option value=(industry.code) selected[chosen("industries", &industry.code)] { (industry.name) }
                    }
                }
            }
            (errors.show(lang, "industries"))
            label.field.invalid[errors.has("trl")] { (lang.t("技术成熟度（TRL 1–9，0 为不适用）", "Readiness level (TRL 1–9, 0: not applicable)"))
                input type="number" min="0" max="9" name="trl" id="capability-trl" value=(form.get("trl")); }
            (errors.show(lang, "trl"))
            fieldset {
                legend { (lang.t("仪器设备共享", "Instrument sharing")) }
                label.check { input type="checkbox" name="available_for_sharing" id="capability-sharing" checked[form.get("available_for_sharing") == "on"];
                    (lang.t("对外开放共享（共享条件写在简介中：收费、预约方式、开放时间）", "open to others (state the terms in the description: fees, booking, hours)")) }
            }
            label.field.invalid[errors.has("reference")] { (lang.t("编号（专利号、仪器型号等，可选）", "Reference (patent number, instrument model …, optional)"))
                input type="text" name="reference" id="capability-reference" value=(form.get("reference")); }
            (errors.show(lang, "reference"))
            label.field.invalid[errors.has("region_code")] { (lang.t("所在地区（默认为本单位所在地）", "Region (default: the organization's)"))
                select name="region_code" id="capability-region" {
                    option value="" { (lang.t("本单位所在地", "the organization's region")) }
                    @for region in taxonomy.regions() {
                        option value=(region.code) selected[form.get("region_code") == region.code] { (region.name) }
                    }
                }
            }
            (errors.show(lang, "region_code"))
            (errors.show_others(lang, SHOWN))
            button type="submit" id="capability-submit" { (lang.t("登记能力", "List the capability")) }
        }
    }
}

async fn own_capabilities(console: &WebConsole, signed_in: &SignedIn) -> Result<Vec<Record>, PageError> {
    let principal = signed_in.principal();
    let Some(org) = &principal.organization_id else { return Ok(Vec::new()) };
    let filter = ListFilter { organization_id: Some(org.clone()), page_size: 200, ..ListFilter::default() };
    Ok(console.catalog.list(&principal, RecordKind::Capability, filter).await?.records)
}

async fn capabilities_view(
    console: &WebConsole,
    signed_in: &SignedIn,
    form: &FormData,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    let capabilities = match own_capabilities(console, signed_in).await {
        Ok(found) => found,
        Err(error) => return error.render(&viewer),
    };
    let body = html! {
        @if capabilities.is_empty() { p.empty { (lang.t("本单位还没有登记科技能力。", "No capability listed yet.")) } }
        table.records id="capabilities" {
            thead { tr { th { (lang.t("名称", "Title")) } th { (lang.t("类型", "Kind")) } th { "TRL" } th { (lang.t("共享", "Sharing")) } } }
            tbody {
                @for record in &capabilities {
                    @if let Record::Capability(capability) = record {
                        tr {
                            td { a href={ "/capabilities/" (capability.meta.id) } { (capability.title) } }
                            td { @if let Some(kind) = capability.kind { (lang.capability_kind(kind)) } }
                            td { @if capability.trl > 0 { (capability.trl) } }
                            td { @if capability.available_for_sharing { (lang.t("可共享", "open")) } }
                        }
                    }
                }
            }
        }
        h2 { (lang.t("登记新的科技能力", "List a new capability")) }
        (capability_form(lang, signed_in.csrf(), form, errors))
    };
    (status, page(&viewer, lang.t("本单位科技能力", "Our capabilities"), body)).into_response()
}

pub async fn capabilities_page(State(console): State<WebConsole>, signed_in: SignedIn) -> Response {
    capabilities_view(&console, &signed_in, &FormData::default(), &FieldErrors::default(), StatusCode::OK).await
}

/// Lists a capability for the user's organization; on bad input the form
/// comes back with each message beside its field and nothing is stored.
pub async fn create_capability(State(console): State<WebConsole>, signed_in: SignedIn, form: FormData) -> Response {
    if let Err(refused) = signed_in.check_csrf(&form) {
        return refused.render(&signed_in.viewer());
    }
    let (request, unreadable) = capability_request(&form);
    let violations = match (NewRecord::try_from(request), unreadable.is_empty()) {
        (Ok(NewRecord { record, owner }), true) => {
            match console.catalog.create(&signed_in.principal(), record, &owner).await {
                Ok(created) => return Redirect::to(&format!("/capabilities/{}", created.meta().id)).into_response(),
                Err(innomatch_catalog::CatalogError::Invalid(violations)) => violations,
                Err(error) => return PageError::from(error).render(&signed_in.viewer()),
            }
        }
        (Ok(_), false) => unreadable,
        (Err(mut violations), _) => {
            violations.0.extend(unreadable.0);
            violations
        }
    };
    let errors = FieldErrors::from_violations(&violations, |path| form_field_of("capability.", path));
    capabilities_view(&console, &signed_in, &form, &errors, StatusCode::BAD_REQUEST).await
}

/// The open needs a capability fits, with their evidence (empty when the
/// matcher does not run in this process).
pub async fn fitting_needs(
    console: &WebConsole,
    signed_in: &SignedIn,
    capability_id: &str,
) -> Result<Markup, PageError> {
    let lang = signed_in.lang;
    let Some(matcher) = &console.matcher else { return Ok(html! {}) };
    let query = CapabilityQuery::try_from(pb::MatchCapabilityRequest {
        capability_id: capability_id.to_owned(),
        limit: FITTING_NEEDS,
    })?;
    let needs = matcher.match_capability(&signed_in.principal(), &query.capability_id, query.limit).await?;
    Ok(html! {
        section id="fitting-needs" {
            h2 { (lang.t("适配的企业技术需求", "Needs this capability fits")) }
            @if needs.is_empty() { p.empty { (lang.t("暂无适配的需求。", "No fitting need yet.")) } }
            ol.partners {
                @for need in &needs {
                    li.partner {
                        h3 { a href={ "/needs/" (need.need_id) } { (need.title) } " " span.score { (format!("{:.2}", need.score)) } }
                        @if !need.evidence.matched_terms.is_empty() {
                            p { span.label { (lang.t("匹配词：", "Matched terms: ")) } @for term in &need.evidence.matched_terms { span.term { (term) } } }
                        }
                    }
                }
            }
        }
    })
}
