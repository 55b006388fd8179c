//! An enterprise's needs: the form to post one with every field (errors
//! beside the field that caused them, nothing stored on bad input), the
//! list of the organization's needs, and a need's page with its ranked
//! partners and their evidence, consortium proposals (who covers what) and
//! intermediary service offers with their reasons. The form becomes the
//! API's `CreateNeedRequest` and goes through its converter and the catalog.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use innomatch_catalog::{
    convert::{NewRecord, RecordUpdate},
    service::ListFilter,
};
use innomatch_core::{
    convert::timestamp,
    model::{CooperationMode, Record, RecordKind, TechNeed, Visibility},
    taxonomy::Taxonomy,
    validation::Violations,
};
use innomatch_matcher::{
    answers::{ConsortiaProposal, Covered, Evidence, PartnerMatches, Role as MemberRole, ServicesProposal},
    convert::{ConsortiumQuery, NeedQuery},
};
use innomatch_proto::v1 as pb;
use maud::{Markup, html};

use crate::{
    WebConsole,
    form::FormData,
    i18n::Lang,
    layout::{FieldErrors, PageError, csrf_field, highlighted, page},
    pages::records::{region_name, taxonomy_names},
    session::SignedIn,
};

/// Rows of competencies the form offers.
const COMPETENCY_ROWS: usize = 5;
/// Partners and offers a need's page lists.
const RESULTS: u32 = 8;

/// The form field a violation at `path` (`prefix` + field + …) belongs to.
pub fn form_field_of(prefix: &str, path: &str) -> String {
    let path = path.strip_prefix(prefix).unwrap_or(path);
    let end = path.find(['.', '[']).unwrap_or(path.len());
    path[..end].to_owned()
}

/// The form field a violation of `need.…` belongs to.
fn form_field(path: &str) -> String {
    form_field_of("need.", path)
}

/// Keywords as people type them: separated by commas, 、, semicolons or
/// lines (not spaces: an English keyword may have several words).
pub fn split_keywords(text: &str) -> Vec<String> {
    text.split([',', '，', '、', ';', '；', '\n']).map(str::trim).filter(|k| !k.is_empty()).map(str::to_owned).collect()
}

/// The end of `date` (YYYY-MM-DD) in the city's time zone, in epoch milliseconds.
fn end_of_day(date: &str) -> Option<i64> {
    let date: jiff::civil::Date = date.parse().ok()?;
    let zoned = date.at(23, 59, 59, 0).in_tz("Asia/Shanghai").ok()?;
    Some(zoned.timestamp().as_millisecond())
}

/// The API request the form asks for, and what the form itself could not
/// read (a weight or an amount that is not a number).
fn need_request(form: &FormData) -> (pb::CreateNeedRequest, Violations) {
    let mut unreadable = Violations::new();
    let mut number = |field: &str, text: &str| -> i64 {
        let text = text.trim();
        if text.is_empty() {
            return 0;
        }
        text.parse::<i64>().unwrap_or_else(|_| {
            unreadable.add(field, "must be a whole number");
            0
        })
    };
    let mut competencies = Vec::new();
    for row in 0..COMPETENCY_ROWS {
        let name = form.get(&format!("competency_name_{row}")).trim().to_owned();
        if name.is_empty() {
            continue;
        }
        let weight = number("competencies", form.get(&format!("competency_weight_{row}")));
        competencies.push(pb::RequiredCompetency { name, weight: u32::try_from(weight).unwrap_or(u32::MAX) });
    }
    let target_trl = u32::try_from(number("target_trl", form.get("target_trl"))).unwrap_or(u32::MAX);
    let budget = pb::MoneyRange {
        min_yuan: number("budget", form.get("budget_min_yuan")),
        max_yuan: number("budget", form.get("budget_max_yuan")),
    };
    let deadline = match form.get("deadline").trim() {
        "" => None,
        text => match end_of_day(text) {
            Some(ms) => Some(timestamp(ms)),
            None => {
                unreadable.add("deadline", "must be a date (YYYY-MM-DD)");
                None
            }
        },
    };
    let code = |text: &str, from_code: fn(&str) -> Option<i32>| from_code(text).unwrap_or(-1);
    let need = pb::TechNeed {
        title: form.get("title").into(),
        description: form.get("description").into(),
        keywords: split_keywords(form.get("keywords")),
        competencies,
        high_tech_fields: form.all("high_tech_fields"),
        industries: form.all("industries"),
        cooperation_modes: form
            .all("cooperation_modes")
            .iter()
            .map(|c| code(c, |c| CooperationMode::from_code(c).map(CooperationMode::to_proto)))
            .collect(),
        target_trl,
        budget: Some(budget),
        deadline,
        visibility: match form.get("visibility") {
            "" => 0,
            v => code(v, |v| Visibility::from_code(v).map(Visibility::to_proto)),
        },
        region_code: form.get("region_code").trim().into(),
        ..Default::default()
    };
    (pb::CreateNeedRequest { need: Some(need) }, unreadable)
}

fn text_input(lang: Lang, form: &FormData, errors: &FieldErrors, name: &str, label: &str) -> Markup {
    html! {
        label.field.invalid[errors.has(name)] { (label) input type="text" name=(name) id={ "need-" (name) } value=(form.get(name)); }
        (errors.show(lang, name))
    }
}

/// The need's form, posting to `action`; an edit carries the version it read.
fn need_form(lang: Lang, csrf: &str, action: &str, form: &FormData, errors: &FieldErrors) -> Markup {
    let taxonomy = Taxonomy::get();
    let chosen = |name: &str, value: &str| form.all(name).iter().any(|v| v == value);
    let visibility = if form.get("visibility").is_empty() { "public" } else { form.get("visibility") };
    html! {
        form.card.need-form method="post" action=(action) id="need-form" novalidate {
            (csrf_field(csrf))
            @if !form.get("expected_version").is_empty() {
                input type="hidden" name="expected_version" value=(form.get("expected_version"));
            }
            (text_input(lang, form, errors, "title", lang.t("需求名称", "Title")))
            label.field.invalid[errors.has("description")] { (lang.t("需求描述", "Description"))
                textarea name="description" id="need-description" rows="5" { (form.get("description")) } }
            (errors.show(lang, "description"))
            (text_input(lang, form, errors, "keywords", lang.t("关键词（用逗号或顿号分隔）", "Keywords (separated by commas)")))
            fieldset.invalid[errors.has("competencies")] {
                legend { (lang.t("所需能力及权重（1–10）", "Competencies needed and their weights (1–10)")) }
                @for row in 0..COMPETENCY_ROWS {
                    div.competency {
                        input type="text" name={ "competency_name_" (row) } id={ "need-competency-name-" (row) } value=(form.get(&format!("competency_name_{row}"))) placeholder=(lang.t("能力，例如：氢基竖炉工艺", "competency, e.g. 氢基竖炉工艺"));
                        input type="number" min="1" max="10" name={ "competency_weight_" (row) } id={ "need-competency-weight-" (row) } value=(form.get(&format!("competency_weight_{row}")));
                    }
                }
                (errors.show(lang, "competencies"))
            }
            label.field.invalid[errors.has("high_tech_fields")] { (lang.t("高新技术领域（可多选）", "High-tech fields (choose any)"))
                select name="high_tech_fields" id="need-high-tech-fields" multiple size="6" {
                    @for field in taxonomy.high_tech_fields() {
                        option value=(field.code) selected[chosen("high_tech_fields", &field.code)] {
                            @if field.code != field.top_level { "　" } (field.name)
                        }
                    }
                }
            }
            (errors.show(lang, "high_tech_fields"))
            label.field.invalid[errors.has("industries")] { (lang.t("所属产业链（可多选）", "Industry chains (choose any)"))
                select name="industries" id="need-industries" multiple size="6" {
                    @for industry in taxonomy.industries() {
                        option value=(industry.code) selected[chosen("industries", &industry.code)] { (industry.name) }
                    }
                }
            }
            (errors.show(lang, "industries"))
            fieldset.invalid[errors.has("cooperation_modes")] {
                legend { (lang.t("合作方式", "Cooperation modes")) }
                @for mode in CooperationMode::ALL {
                    label.check { input type="checkbox" name="cooperation_modes" value=(mode.code()) checked[chosen("cooperation_modes", mode.code())]; (lang.cooperation_mode(*mode)) }
                }
                (errors.show(lang, "cooperation_modes"))
            }
            label.field.invalid[errors.has("target_trl")] { (lang.t("目标技术成熟度（TRL 1–9，0 为不限）", "Target readiness level (TRL 1–9, 0: any)"))
                input type="number" min="0" max="9" name="target_trl" id="need-target-trl" value=(form.get("target_trl")); }
            (errors.show(lang, "target_trl"))
            div.budget.invalid[errors.has("budget")] {
                label { (lang.t("预算下限（元）", "Budget from (yuan)")) input type="number" min="0" name="budget_min_yuan" id="need-budget-min" value=(form.get("budget_min_yuan")); }
                label { (lang.t("预算上限（元，0 为不限）", "Budget up to (yuan, 0: open)")) input type="number" min="0" name="budget_max_yuan" id="need-budget-max" value=(form.get("budget_max_yuan")); }
            }
            (errors.show(lang, "budget"))
            label.field.invalid[errors.has("deadline")] { (lang.t("截止日期", "Deadline"))
                input type="date" name="deadline" id="need-deadline" value=(form.get("deadline")); }
            (errors.show(lang, "deadline"))
            label.field.invalid[errors.has("region_code")] { (lang.t("实施地区（默认为本单位所在地）", "Region (default: the organization's)"))
                select name="region_code" id="need-region" {
                    option value="" { (lang.t("本单位所在地", "the organization's region")) }
                    @for region in taxonomy.regions() {
                        option value=(region.code) selected[form.get("region_code") == region.code] { (region.name) }
                    }
                }
            }
            (errors.show(lang, "region_code"))
            fieldset.invalid[errors.has("visibility")] {
                legend { (lang.t("公开范围", "Visibility")) }
                @for choice in Visibility::ALL {
                    label.check { input type="radio" name="visibility" value=(choice.code()) checked[visibility == choice.code()]; (lang.visibility(*choice)) }
                }
                (errors.show(lang, "visibility"))
            }
            (errors.show_others(lang, &["title", "description", "keywords", "competencies", "high_tech_fields", "industries", "cooperation_modes", "target_trl", "budget", "deadline", "region_code", "visibility"]))
            button type="submit" id="need-submit" { (lang.t("发布需求", "Post the need")) }
        }
    }
}

pub async fn new_need_page(signed_in: SignedIn) -> Response {
    let lang = signed_in.lang;
    let body = need_form(lang, signed_in.csrf(), "/needs", &FormData::default(), &FieldErrors::default());
    page(&signed_in.viewer(), lang.t("发布技术需求", "Post a technology need"), body).into_response()
}

/// Posts a need for the user's organization; on bad input the form comes
/// back with each message beside its field and nothing is stored.
pub async fn post_need(State(console): State<WebConsole>, signed_in: SignedIn, form: FormData) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    if let Err(refused) = signed_in.check_csrf(&form) {
        return refused.render(&viewer);
    }
    let (request, unreadable) = need_request(&form);
    let converted = NewRecord::try_from(request);
    let violations = match (converted, unreadable.is_empty()) {
        (Ok(NewRecord { record, owner }), true) => {
            match console.catalog.create(&signed_in.principal(), record, &owner).await {
                Ok(created) => return Redirect::to(&format!("/needs/{}", created.meta().id)).into_response(),
                Err(innomatch_catalog::CatalogError::Invalid(violations)) => violations,
                Err(error) => return PageError::from(error).render(&viewer),
            }
        }
        (Ok(_), false) => unreadable,
        (Err(mut violations), _) => {
            violations.0.extend(unreadable.0);
            violations
        }
    };
    let errors = FieldErrors::from_violations(&violations, form_field);
    let body = need_form(lang, signed_in.csrf(), "/needs", &form, &errors);
    (StatusCode::BAD_REQUEST, page(&viewer, lang.t("发布技术需求", "Post a technology need"), body)).into_response()
}

/// A stored need as the form shows it, with the version it was read at.
fn need_as_form(need: &TechNeed) -> FormData {
    let mut pairs: Vec<(String, String)> = vec![
        ("expected_version".into(), need.meta.version.to_string()),
        ("title".into(), need.title.clone()),
        ("description".into(), need.description.clone()),
        ("keywords".into(), need.keywords.join("、")),
        ("target_trl".into(), if need.target_trl > 0 { need.target_trl.to_string() } else { String::new() }),
        (
            "budget_min_yuan".into(),
            if need.budget.min_yuan > 0 { need.budget.min_yuan.to_string() } else { String::new() },
        ),
        (
            "budget_max_yuan".into(),
            if need.budget.max_yuan > 0 { need.budget.max_yuan.to_string() } else { String::new() },
        ),
        ("region_code".into(), need.region_code.clone()),
        ("visibility".into(), need.visibility().code().to_owned()),
    ];
    if let Some(ms) = need.deadline_ms
        && let Ok(at) = jiff::Timestamp::from_millisecond(ms)
        && let Ok(zone) = jiff::tz::TimeZone::get("Asia/Shanghai")
    {
        pairs.push(("deadline".into(), at.to_zoned(zone).date().to_string()));
    }
    for (row, competency) in need.competencies.iter().take(COMPETENCY_ROWS).enumerate() {
        pairs.push((format!("competency_name_{row}"), competency.name.clone()));
        pairs.push((format!("competency_weight_{row}"), competency.weight.to_string()));
    }
    pairs.extend(need.high_tech_fields.iter().map(|f| ("high_tech_fields".to_owned(), f.clone())));
    pairs.extend(need.industries.iter().map(|i| ("industries".to_owned(), i.clone())));
    pairs.extend(need.cooperation_modes.iter().map(|m| ("cooperation_modes".to_owned(), m.code().to_owned())));
    FormData(pairs)
}

/// The need if the viewer's organization owns it (others may not edit it).
async fn own_need(console: &WebConsole, signed_in: &SignedIn, id: &str) -> Result<TechNeed, PageError> {
    let principal = signed_in.principal();
    match console.catalog.get(&principal, RecordKind::Need, id).await? {
        Record::Need(need) if principal.acts_for(&need.meta.organization_id) => Ok(need),
        Record::Need(_) => {
            Err(PageError::Domain(tonic::Status::permission_denied("only the need's organization edits it")))
        }
        _ => Err(PageError::NotFound),
    }
}

/// `/needs/{id}/edit`: the need's form filled with what is stored.
pub async fn edit_need_page(
    State(console): State<WebConsole>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    let need = match own_need(&console, &signed_in, &id).await {
        Ok(need) => need,
        Err(error) => return error.render(&viewer),
    };
    let action = format!("/needs/{id}/edit");
    let body = need_form(lang, signed_in.csrf(), &action, &need_as_form(&need), &FieldErrors::default());
    page(&viewer, lang.t("编辑技术需求", "Edit the need"), body).into_response()
}

/// Saves an edited need (the API's `UpdateNeedRequest`, with the version the
/// form was read at); on bad input the form comes back and nothing changes.
pub async fn update_need(
    State(console): State<WebConsole>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    if let Err(refused) = signed_in.check_csrf(&form) {
        return refused.render(&viewer);
    }
    let (request, mut unreadable) = need_request(&form);
    let expected_version = form.get("expected_version").trim().parse::<i64>().unwrap_or_else(|_| {
        unreadable.add("expected_version", "must be the version the form was read at");
        0
    });
    let mut need = request.need.unwrap_or_default();
    need.meta = Some(pb::RecordMeta { id: id.clone(), ..Default::default() });
    let update = RecordUpdate::try_from(pb::UpdateNeedRequest { need: Some(need), expected_version });
    let violations = match (update, unreadable.is_empty()) {
        (Ok(update), true) => {
            match console
                .catalog
                .update(&signed_in.principal(), &update.id, update.record, update.expected_version, &update.owner)
                .await
            {
                Ok(_) => return Redirect::to(&format!("/needs/{id}")).into_response(),
                Err(innomatch_catalog::CatalogError::Invalid(violations)) => violations,
                Err(error) => return PageError::from(error).render(&viewer),
            }
        }
        (Ok(_), false) => unreadable,
        (Err(mut violations), _) => {
            violations.0.extend(unreadable.0);
            violations
        }
    };
    let errors = FieldErrors::from_violations(&violations, form_field);
    let body = need_form(lang, signed_in.csrf(), &format!("/needs/{id}/edit"), &form, &errors);
    (StatusCode::BAD_REQUEST, page(&viewer, lang.t("编辑技术需求", "Edit the need"), body)).into_response()
}

/// The needs of the user's organization, newest last.
pub async fn my_needs(State(console): State<WebConsole>, signed_in: SignedIn) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    let principal = signed_in.principal();
    let needs = match &principal.organization_id {
        Some(org) => {
            let filter = ListFilter { organization_id: Some(org.clone()), page_size: 100, ..ListFilter::default() };
            match console.catalog.list(&principal, RecordKind::Need, filter).await {
                Ok(page) => page.records,
                Err(error) => return PageError::from(error).render(&viewer),
            }
        }
        None => Vec::new(),
    };
    let body = html! {
        p { a.button href="/needs/new" { (lang.t("发布新需求", "Post a new need")) } }
        @if needs.is_empty() { p.empty { (lang.t("还没有需求。", "No needs yet.")) } }
        ul.records id="my-needs" {
            @for record in &needs {
                @if let Record::Need(need) = record {
                    li { a href={ "/needs/" (need.meta.id) } { (need.title) } " " span.tag { (lang.visibility(need.visibility())) } }
                }
            }
        }
    };
    page(&viewer, lang.t("我的需求", "My needs"), body).into_response()
}

fn evidence(lang: Lang, evidence: &Evidence) -> Markup {
    html! {
        div.evidence {
            @if !evidence.matched_terms.is_empty() {
                p { span.label { (lang.t("匹配词：", "Matched terms: ")) } @for term in &evidence.matched_terms { span.term { (term) } } }
            }
            @for snippet in &evidence.snippets { p.snippet { (highlighted(snippet)) } }
            (taxonomy_names(lang, &evidence.shared_industries, &evidence.shared_high_tech_fields))
            @if !evidence.trl_fit.is_empty() { p { span.label { "TRL: " } (evidence.trl_fit) } }
            @if let Some(tier) = evidence.region_tier { p { span.label { (lang.t("地域：", "Region: ")) } (format!("{tier:?}")) } }
        }
    }
}

fn partners(lang: Lang, matches: &PartnerMatches) -> Markup {
    html! {
        section id="partners" {
            h2 { (lang.t("推荐合作伙伴", "Ranked partners")) }
            @if let Some(note) = &matches.note { p.note { (note) } }
            ol.partners {
                @for partner in &matches.organizations {
                    li.partner {
                        h3 { a href={ "/organizations/" (partner.organization_id) } { (partner.organization_name) } " " span.kind { (lang.organization_kind(partner.kind)) } " " span.score { (format!("{:.2}", partner.score)) } }
                        (evidence(lang, &partner.evidence))
                        @if !partner.top_capabilities.is_empty() {
                            ul.capabilities {
                                @for capability in &partner.top_capabilities {
                                    li { a href={ "/capabilities/" (capability.capability_id) } { (capability.title) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn member_role(lang: Lang, role: MemberRole) -> &'static str {
    match role {
        MemberRole::Lead => lang.t("牵头企业", "lead"),
        MemberRole::AcademicPartner => lang.t("学研伙伴", "academic partner"),
        MemberRole::ChainEnterprise => lang.t("产业链企业", "chain enterprise"),
    }
}

fn consortia(lang: Lang, proposal: &ConsortiaProposal) -> Markup {
    html! {
        section id="consortia" {
            h2 { (lang.t("创新联合体建议", "Consortium proposals")) }
            @if proposal.consortia.is_empty() { p.empty { (lang.t("暂无可组成的联合体。", "No consortium can be formed yet.")) } }
            @for (n, consortium) in proposal.consortia.iter().enumerate() {
                article.consortium {
                    h3 { (lang.t("方案 ", "Proposal ")) (n + 1) " · " (lang.t("覆盖率 ", "coverage ")) (format!("{:.0}%", consortium.coverage * 100.0)) }
                    table {
                        thead { tr { th { (lang.t("成员", "Member")) } th { (lang.t("角色", "Role")) } th { (lang.t("承担的能力", "Covers")) } } }
                        tbody {
                            @for member in &consortium.members {
                                tr {
                                    td { a href={ "/organizations/" (member.organization_id) } { (member.organization_name) } }
                                    td { (member_role(lang, member.role)) @if !member.chain_position.is_empty() { br; small { (member.chain_position) } } }
                                    td { @for covered in &member.covers { span.covers title=(cover_basis(covered)) { a href={ "/capabilities/" (covered.capability_id) } { (covered.competency) } } " " } }
                                }
                            }
                        }
                    }
                    @if !consortium.uncovered.is_empty() {
                        p.uncovered { (lang.t("尚未覆盖：", "Not yet covered: ")) @for name in &consortium.uncovered { span.tag { (name) } } }
                    }
                }
            }
        }
    }
}

/// How a member covers a competency: its semantic similarity, or the text
/// part (which says when the competency is covered by its words only).
fn cover_basis(covered: &Covered) -> &str {
    let parts = &covered.evidence.score_parts;
    parts
        .iter()
        .find(|p| p.name == "semantic")
        .or_else(|| parts.iter().find(|p| p.name == "text"))
        .map_or("", |p| &p.detail)
}

fn services(lang: Lang, proposal: &ServicesProposal) -> Markup {
    html! {
        section id="services" {
            h2 { (lang.t("中介服务推荐", "Intermediary services")) }
            @if proposal.proposals.is_empty() { p.empty { (lang.t("暂无匹配的服务。", "No matching service offers.")) } }
            ul.services {
                @for offer in &proposal.proposals {
                    li.service {
                        h3 { a href={ "/offers/" (offer.offer_id) } { (offer.title) } " " span.kind { (lang.service_category(offer.category)) } }
                        p.owner { (offer.organization_name) }
                        ul.reasons { @for reason in &offer.reasons { li { (reason) } } }
                    }
                }
            }
        }
    }
}

fn need_details(lang: Lang, need: &TechNeed) -> Markup {
    html! {
        section.need {
            p.tags { span.tag id="need-visibility" { (lang.visibility(need.visibility())) } @if !need.region_code.is_empty() { span.tag { (region_name(&need.region_code)) } } }
            @if !need.description.is_empty() { p.description { (need.description) } }
            @if !need.keywords.is_empty() { p { span.label { (lang.t("关键词：", "Keywords: ")) } (need.keywords.join("、")) } }
            @if !need.competencies.is_empty() {
                p { span.label { (lang.t("所需能力：", "Competencies: ")) }
                    @for c in &need.competencies { span.tag { (c.name) " ×" (c.weight) } } }
            }
            (taxonomy_names(lang, &need.industries, &need.high_tech_fields))
            @if !need.cooperation_modes.is_empty() {
                p { span.label { (lang.t("合作方式：", "Cooperation: ")) } @for mode in &need.cooperation_modes { span.tag { (lang.cooperation_mode(*mode)) } } }
            }
            @if need.target_trl > 0 { p { span.label { "TRL: " } (need.target_trl) } }
            @if need.budget.min_yuan > 0 || need.budget.max_yuan > 0 {
                p { span.label { (lang.t("预算：", "Budget: ")) } (need.budget.min_yuan) " – " @if need.budget.max_yuan > 0 { (need.budget.max_yuan) } @else { "∞" } (lang.t(" 元", " yuan")) }
            }
        }
    }
}

/// The leads the matcher made for one of the viewer's organization's needs:
/// which agency, which service, how far it came. Refused for a need the
/// viewer's organization does not own (another's private need reads as missing).
pub async fn lead_progress(console: &WebConsole, signed_in: &SignedIn, need_id: &str) -> Result<Markup, PageError> {
    let principal = signed_in.principal();
    let lang = signed_in.lang;
    let need = match console.catalog.get(&principal, RecordKind::Need, need_id).await? {
        Record::Need(need) => need,
        _ => return Err(PageError::NotFound),
    };
    if !principal.acts_for(&need.meta.organization_id) {
        return Err(PageError::Domain(tonic::Status::permission_denied(
            "only the need's organization follows its leads",
        )));
    }
    let Some(leads) = &console.leads else { return Err(PageError::Unavailable("leads")) };
    let found = leads.leads_of_need(need_id).await?;
    let mut rows = Vec::with_capacity(found.len());
    for lead in &found {
        // Agencies publish their offers publicly: their names are for everyone.
        let agency = match console.catalog.get(&principal, RecordKind::Organization, &lead.agency_organization_id).await
        {
            Ok(Record::Organization(org)) => org.name,
            _ => lead.agency_organization_id.clone(),
        };
        rows.push((agency, lead));
    }
    Ok(html! {
        @if rows.is_empty() { p.empty { (lang.t("尚未向中介机构推送线索。", "No lead has gone to an agency yet.")) } }
        @else {
            table.progress {
                thead { tr { th { (lang.t("中介机构", "Agency")) } th { (lang.t("服务类别", "Service")) } th { (lang.t("进展", "Progress")) } th { (lang.t("说明", "Note")) } } }
                tbody {
                    @for (agency, lead) in &rows {
                        tr data-lead=(lead.id) data-status=(lead.status.code()) {
                            td { a href={ "/offers/" (lead.offer_id) } { (agency) } }
                            td { (lang.service_category(lead.category)) }
                            td.status { (crate::pages::leads::status_label(lang, lead.status)) }
                            td { (lead.note) }
                        }
                    }
                }
            }
        }
    })
}

/// A need as the viewer may see it; for its own organization, the matches.
pub async fn need_page(State(console): State<WebConsole>, signed_in: SignedIn, Path(id): Path<String>) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    let principal = signed_in.principal();
    let need = match console.catalog.get(&principal, RecordKind::Need, &id).await {
        Ok(Record::Need(need)) => need,
        Ok(_) => return PageError::NotFound.render(&viewer),
        Err(error) => return PageError::from(error).render(&viewer),
    };
    let owner = principal.acts_for(&need.meta.organization_id);
    let matches = match (&console.matcher, owner) {
        (Some(matcher), true) => {
            let found = async {
                let query = NeedQuery::try_from(pb::MatchNeedRequest { need_id: id.clone(), limit: RESULTS })?;
                let partners = matcher.match_need(&principal, &query.need_id, query.limit).await?;
                let request = pb::ProposeConsortiaRequest {
                    need_id: id.clone(),
                    constraints: Some(pb::ConsortiumConstraints {
                        include_chain_enterprises: true,
                        ..Default::default()
                    }),
                };
                let query = ConsortiumQuery::try_from(request)?;
                let consortia = matcher.propose_consortia(&principal, &query.need_id, query.constraints).await?;
                let query = NeedQuery::try_from(pb::ProposeServicesRequest { need_id: id.clone(), limit: RESULTS })?;
                let services = matcher.propose_services(&principal, &query.need_id, query.limit).await?;
                Ok::<_, PageError>((partners, consortia, services))
            };
            match found.await {
                Ok(found) => Some(found),
                Err(error) => return error.render(&viewer),
            }
        }
        _ => None,
    };
    let progress = match (&console.leads, owner) {
        (Some(_), true) => match lead_progress(&console, &signed_in, &id).await {
            Ok(progress) => Some(progress),
            Err(error) => return error.render(&viewer),
        },
        _ => None,
    };
    let body = html! {
        (need_details(lang, &need))
        @if owner {
            p { a.button href={ "/needs/" (need.meta.id) "/edit" } id="edit-need" { (lang.t("编辑需求", "Edit the need")) } }
        }
        @if let Some(progress) = progress {
            section id="leads-progress" {
                h2 { (lang.t("对接进展（中介机构）", "Leads' progress (agencies)")) }
                div id="lead-progress" data-live={ "/events/needs/" (need.meta.id) } { (progress) }
            }
        }
        @if let Some((found_partners, found_consortia, found_services)) = &matches {
            (partners(lang, found_partners))
            (consortia(lang, found_consortia))
            (services(lang, found_services))
        }
    };
    page(&viewer, &need.title, body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_land_on_the_form_field_that_caused_them() {
        assert_eq!(form_field("need.title"), "title");
        assert_eq!(form_field("need.competencies[2].weight"), "competencies");
        assert_eq!(form_field("need.budget.max_yuan"), "budget");
        assert_eq!(form_field("need.keywords[0]"), "keywords");
    }

    #[test]
    fn keywords_split_on_chinese_and_latin_separators() {
        assert_eq!(split_keywords("氢冶金、低碳，竖炉; green steel"), ["氢冶金", "低碳", "竖炉", "green steel"]);
    }

    #[test]
    fn a_deadline_is_the_end_of_its_day_in_the_city() {
        let ms = end_of_day("2026-03-01").expect("a date");
        // 2026-03-01T23:59:59+08:00
        assert_eq!(ms, 1_772_380_799_000);
        assert_eq!(end_of_day("明天"), None);
    }
}
