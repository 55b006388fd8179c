//! An agency's lead inbox: its leads newest first with their status, the
//! need they come from and why they matched; accept or decline what awaits
//! an answer, record the outcome of what was accepted. The forms become the
//! API's requests and go through its converters and the leads domain.

use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use innomatch_leads::{
    Lead, LeadStatus,
    convert::{LeadAnswer, OutcomeUpdate},
    model::DeclineReason,
    service::ListFilter,
};
use innomatch_proto::v1 as pb;
use maud::{Markup, html};
use serde::Deserialize;

use crate::{
    WebConsole,
    form::FormData,
    i18n::Lang,
    layout::{PageError, csrf_field, page},
    session::SignedIn,
};

#[derive(Debug, Default, Deserialize)]
pub struct InboxParams {
    /// One status code to show (empty: all).
    #[serde(default)]
    status: String,
}

fn status_label(lang: Lang, status: LeadStatus) -> &'static str {
    match lang {
        Lang::Zh => status.label_zh(),
        Lang::En => match status {
            LeadStatus::New => "new",
            LeadStatus::Delivered => "delivered",
            LeadStatus::Accepted => "accepted",
            LeadStatus::Declined => "declined",
            LeadStatus::Contacted => "contacted",
            LeadStatus::Won => "won",
            LeadStatus::Lost => "lost",
            LeadStatus::Expired => "expired",
            LeadStatus::Closed => "closed",
        },
    }
}

fn decline_label(lang: Lang, reason: DeclineReason) -> &'static str {
    match lang {
        Lang::Zh => reason.label_zh(),
        Lang::En => match reason {
            DeclineReason::OutOfScope => "out of scope",
            DeclineReason::NoCapacity => "no capacity",
            DeclineReason::RegionNotServed => "region not served",
            DeclineReason::BudgetTooLow => "budget too low",
            DeclineReason::Duplicate => "duplicate",
            DeclineReason::Other => "other",
        },
    }
}

fn lead_card(lang: Lang, csrf: &str, lead: &Lead) -> Markup {
    html! {
        article.lead data-lead=(lead.id) data-status=(lead.status.code()) {
            h3 { a href={ "/needs/" (lead.need_id) } { (lead.need_title) } " " span.status { (status_label(lang, lead.status)) } }
            @if !lead.need_summary.is_empty() { p.summary { (lead.need_summary) } }
            p { span.label { (lang.t("服务类别：", "Category: ")) } (lang.service_category(lead.category)) }
            @if !lead.reasons.is_empty() { ul.reasons { @for reason in &lead.reasons { li { (reason) } } } }
            @if lead.status.awaits_response() {
                form.inline method="post" action={ "/leads/" (lead.id) "/respond" } {
                    (csrf_field(csrf))
                    input type="hidden" name="answer" value="accept";
                    button type="submit" class="accept" { (lang.t("接受", "Accept")) }
                }
                form.inline method="post" action={ "/leads/" (lead.id) "/respond" } {
                    (csrf_field(csrf))
                    input type="hidden" name="answer" value="decline";
                    select name="decline_reason" {
                        @for reason in DeclineReason::ALL { option value=(reason.code()) { (decline_label(lang, *reason)) } }
                    }
                    input type="text" name="note" placeholder=(lang.t("说明（可选）", "note (optional)"));
                    button type="submit" class="decline" { (lang.t("谢绝", "Decline")) }
                }
            }
            @if matches!(lead.status, LeadStatus::Accepted | LeadStatus::Contacted) {
                form.inline method="post" action={ "/leads/" (lead.id) "/outcome" } {
                    (csrf_field(csrf))
                    select name="status" {
                        @if lead.status == LeadStatus::Accepted { option value="contacted" { (status_label(lang, LeadStatus::Contacted)) } }
                        option value="won" { (status_label(lang, LeadStatus::Won)) }
                        option value="lost" { (status_label(lang, LeadStatus::Lost)) }
                    }
                    input type="text" name="note" placeholder=(lang.t("说明（可选）", "note (optional)"));
                    button type="submit" class="outcome" { (lang.t("记录进展", "Record")) }
                }
            }
        }
    }
}

pub async fn inbox(
    State(console): State<WebConsole>,
    signed_in: SignedIn,
    Query(params): Query<InboxParams>,
) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    let Some(leads) = &console.leads else { return PageError::Unavailable("leads").render(&viewer) };
    let statuses = LeadStatus::from_code(&params.status).into_iter().collect();
    let filter = ListFilter { statuses, page_size: 100, ..ListFilter::default() };
    let page_of_leads = match leads.list(&signed_in.principal(), filter).await {
        Ok(page) => page,
        Err(error) => return PageError::from(error).render(&viewer),
    };
    let body = html! {
        nav.filters {
            a href="/leads" { (lang.t("全部", "All")) }
            @for status in LeadStatus::ALL { a href={ "/leads?status=" (status.code()) } { (status_label(lang, *status)) } }
        }
        @if page_of_leads.leads.is_empty() { p.empty id="no-leads" { (lang.t("暂无线索。", "No leads.")) } }
        div id="leads" {
            @for lead in &page_of_leads.leads { (lead_card(lang, signed_in.csrf(), lead)) }
        }
    };
    page(&viewer, lang.t("线索收件箱", "Lead inbox"), body).into_response()
}

pub async fn respond(
    State(console): State<WebConsole>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    let viewer = signed_in.viewer();
    if let Err(refused) = signed_in.check_csrf(&form) {
        return refused.render(&viewer);
    }
    let Some(leads) = &console.leads else { return PageError::Unavailable("leads").render(&viewer) };
    let accept = form.get("answer") == "accept";
    let decline_reason = if accept {
        0
    } else {
        DeclineReason::from_code(form.get("decline_reason")).map(DeclineReason::to_proto).unwrap_or(0)
    };
    let request = pb::RespondToLeadRequest { lead_id: id, accept, decline_reason, note: form.get("note").into() };
    let answer = match LeadAnswer::try_from(request) {
        Ok(answer) => answer,
        Err(violations) => return PageError::from(violations).render(&viewer),
    };
    match leads.respond(&signed_in.principal(), &answer.lead_id, answer.response).await {
        Ok(_) => Redirect::to("/leads").into_response(),
        Err(error) => PageError::from(error).render(&viewer),
    }
}

pub async fn outcome(
    State(console): State<WebConsole>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    let viewer = signed_in.viewer();
    if let Err(refused) = signed_in.check_csrf(&form) {
        return refused.render(&viewer);
    }
    let Some(leads) = &console.leads else { return PageError::Unavailable("leads").render(&viewer) };
    let status = LeadStatus::from_code(form.get("status")).map(LeadStatus::to_proto).unwrap_or(0);
    let request = pb::UpdateLeadOutcomeRequest { lead_id: id, status, note: form.get("note").into() };
    let update = match OutcomeUpdate::try_from(request) {
        Ok(update) => update,
        Err(violations) => return PageError::from(violations).render(&viewer),
    };
    match leads.update_outcome(&signed_in.principal(), &update.lead_id, update.outcome, &update.note).await {
        Ok(_) => Redirect::to("/leads").into_response(),
        Err(error) => PageError::from(error).render(&viewer),
    }
}
