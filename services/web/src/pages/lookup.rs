//! The bureau's enterprise lookup (企业查询): one organization, named by id,
//! credit code or name, with its whole picture — qualifications and their
//! standing today, needs, capabilities, offers, leads and their outcomes,
//! interests, notifications, and the support policies it is eligible or
//! nearly eligible for and those pushed to it — from the same domain call the
//! `LookupOrganization` RPC makes (`innomatch_bureau::Bureau::lookup`).

use axum::{
    extract::{Query, State},
    response::{IntoResponse, Response},
};
use innomatch_bureau::{
    Bureau,
    lookup::{OrganizationLookup, Standing},
};
use innomatch_core::model::now_ms;
use innomatch_leads::export::shanghai_date;
use maud::{Markup, html};
use serde::Deserialize;

use crate::{
    WebConsole,
    i18n::Lang,
    layout::{PageError, page},
    pages::records::region_name,
    session::SignedIn,
};

#[derive(Debug, Default, Deserialize)]
pub struct LookupParams {
    #[serde(default)]
    q: String,
}

fn standing_class(standing: Standing) -> &'static str {
    match standing {
        Standing::Valid => "valid",
        Standing::ExpiringSoon => "expiring-soon",
        Standing::Expired => "expired",
        Standing::NotYetValid => "not-yet-valid",
    }
}

fn picture(lang: Lang, found: &OrganizationLookup) -> Markup {
    let org = &found.organization;
    html! {
        section id="lookup-result" data-org=(org.meta.id) {
            h2 { (org.name) }
            p {
                (lang.organization_kind(org.kind())) " · " (region_name(&org.region_code))
                @if !org.credit_code.is_empty() { " · " (lang.t("统一社会信用代码 ", "Credit code ")) (org.credit_code) }
                " · " a href={ "/organizations/" (org.meta.id) } { (org.meta.id) }
            }
            @if !org.contact.is_empty() {
                p { (lang.t("联系人：", "Contact: ")) (org.contact.person) " " (org.contact.phone) " " (org.contact.email) }
            }
            h3 { (lang.t("资质证书", "Qualifications")) }
            table id="lookup-qualifications" {
                thead { tr { th { (lang.t("资质", "Qualification")) } th { (lang.t("证书编号", "Certificate")) } th { (lang.t("有效期", "Valid")) } th { (lang.t("状态", "Standing")) } } }
                tbody {
                    @for q in &found.qualifications {
                        tr class=(standing_class(q.standing)) data-standing=(q.standing.code()) {
                            td { (q.certificate.qualification.label_zh()) }
                            td { (q.certificate.certificate_number) }
                            td { (shanghai_date(q.certificate.valid_from_ms)) " — " (shanghai_date(q.certificate.valid_until_ms)) }
                            td { (q.standing.label_zh()) @if q.standing == Standing::ExpiringSoon { "（" (q.days_left) " 天）" } }
                        }
                    }
                }
            }
            h3 { (lang.t("技术需求", "Needs")) " (" (found.needs.len()) ")" }
            ul id="lookup-needs" {
                @for need in &found.needs {
                    li { a href={ "/needs/" (need.meta.id) } { (need.title) } " · " (need.need_status().label_zh()) }
                }
            }
            h3 { (lang.t("科技能力", "Capabilities")) " (" (found.capabilities.len()) ")" }
            ul id="lookup-capabilities" {
                @for capability in &found.capabilities {
                    li { a href={ "/capabilities/" (capability.meta.id) } { (capability.title) } }
                }
            }
            h3 { (lang.t("中介服务", "Service offers")) " (" (found.offers.len()) ")" }
            ul id="lookup-offers" {
                @for offer in &found.offers {
                    li { a href={ "/offers/" (offer.meta.id) } { (offer.title) } }
                }
            }
            h3 { (lang.t("对接线索与结果", "Leads and outcomes")) }
            @match &found.leads {
                Some(leads) => table id="lookup-leads" {
                    thead { tr { th { (lang.t("需求", "Need")) } th { (lang.t("服务类别", "Category")) } th { (lang.t("状态", "Status")) } th { (lang.t("创建", "Created")) } } }
                    tbody {
                        @for lead in leads {
                            tr data-status=(lead.status.code()) {
                                td { (lead.need_title) }
                                td { (lang.service_category(lead.category)) }
                                td { (lead.status.label_zh()) @if let Some(reason) = lead.decline_reason { "（" (reason.label_zh()) "）" } }
                                td { (shanghai_date(lead.created_at_ms)) }
                            }
                        }
                    }
                },
                None => p { (lang.t("线索服务未在本进程中运行。", "The leads service does not run in this process.")) },
            }
            h3 { (lang.t("合作意向", "Expressions of interest")) }
            p id="lookup-interests" {
                (lang.t("收到 ", "Received ")) (found.interests_received.len()) (lang.t(" 条，发出 ", ", sent ")) (found.interests_sent.len())
            }
            ul {
                @for view in found.interests_received.iter().chain(&found.interests_sent) {
                    li { (view.need_title) " · " (view.interest.message) }
                }
            }
            @if let Some(notifications) = &found.notifications {
                h3 { (lang.t("收到的通知", "Notifications received")) " (" (notifications.len()) ")" }
                ul id="lookup-notifications" {
                    @for notification in notifications {
                        li { (shanghai_date(notification.created_at_ms)) " · " (notification.title) }
                    }
                }
            }
            h3 { (lang.t("可享受的扶持政策", "Support policies it qualifies for")) }
            ul id="lookup-policies" {
                @for assessment in found.policies.eligible.iter().chain(&found.policies.nearly_eligible) {
                    li {
                        strong { (assessment.verdict.label_zh()) } " · "
                        a href={ "/policies/" (assessment.policy.meta.id) } { (assessment.policy.title) }
                        @for check in assessment.missing() {
                            " · " (lang.t("尚缺：", "missing: ")) (check.label) " (" (check.field) ")"
                        }
                    }
                }
            }
            h3 { (lang.t("已推送的政策", "Policies pushed to it")) " (" (found.policies_received.len()) ")" }
            ul id="lookup-policies-received" {
                @for pushed in &found.policies_received {
                    li { (shanghai_date(pushed.push.pushed_at_ms)) " · " (pushed.policy_title) }
                }
            }
        }
    }
}

pub async fn lookup_page(
    State(console): State<WebConsole>,
    signed_in: SignedIn,
    Query(params): Query<LookupParams>,
) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    let principal = signed_in.principal();
    if !principal.is_admin() {
        return PageError::Domain(tonic::Status::permission_denied("the enterprise lookup is for the bureau's admins"))
            .render(&viewer);
    }
    let found = if params.q.trim().is_empty() {
        None
    } else {
        let bureau = Bureau::new(console.catalog.clone())
            .with_leads(console.leads.clone())
            .with_notifications(console.notifications.clone());
        match bureau.lookup(&principal, &params.q, now_ms()).await {
            Ok(found) => Some(found),
            Err(error) => return PageError::from(error).render(&viewer),
        }
    };
    let body = html! {
        form id="lookup" method="get" action="/admin/lookup" {
            label for="q" { (lang.t("机构编号、统一社会信用代码或名称", "Organization id, credit code or name")) }
            input id="q" name="q" type="search" value=(params.q) required;
            button type="submit" { (lang.t("查询", "Look up")) }
        }
        @if let Some(found) = &found { (picture(lang, found)) }
    };
    page(&viewer, lang.t("企业查询", "Enterprise lookup"), body).into_response()
}
