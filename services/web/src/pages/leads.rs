//! An agency's lead inbox: its leads newest first with their status, the
//! need they come from and why they matched, filtered by status (or those
//! whose answer is due soon), exported as CSV or XLSX; accept or decline
//! what awaits an answer, record the outcome of what was accepted. The list
//! updates live (see `live.rs`). The forms become the API's requests and go
//! through its converters and the leads domain.

use axum::{
    extract::{Path, Query, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Redirect, Response},
};
use innomatch_core::model::now_ms;
use innomatch_leads::{
    Lead, LeadStatus,
    convert::{LeadAnswer, OutcomeUpdate},
    model::DeclineReason,
    service::{ExportFormat, ListFilter},
};
use innomatch_proto::v1 as pb;
use maud::{Markup, html};
use serde::Deserialize;

use crate::{
    WebConsole,
    form::FormData,
    i18n::Lang,
    layout::{PageError, csrf_field, encode_path, page},
    session::SignedIn,
};

/// "Expiring soon": an answer is due within this long.
const EXPIRING_SOON_MS: i64 = 48 * 3600 * 1000;

/// The inbox's filter, `?status=`: a status code, `won_lost`, `expiring`, or empty for all.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InboxParams {
    #[serde(default)]
    pub status: String,
}

/// The filters the inbox offers, by their `?status=` value.
const FILTERS: &[&str] = &["", "new", "accepted", "declined", "contacted", "won_lost", "expiring"];

fn filter_label(lang: Lang, filter: &str) -> &'static str {
    match filter {
        "" => lang.t("全部", "All"),
        "won_lost" => lang.t("成交/未成交", "Won / lost"),
        "expiring" => lang.t("即将到期", "Expiring soon"),
        other => LeadStatus::from_code(other).map(|s| status_label(lang, s)).unwrap_or(""),
    }
}

/// The statuses a filter asks the leads service for. A new lead is offered
/// as NEW and reads DELIVERED once a subscriber received it: both are new to the agency.
fn statuses_of(filter: &str) -> Vec<LeadStatus> {
    match filter {
        "new" | "expiring" => vec![LeadStatus::New, LeadStatus::Delivered],
        "won_lost" => vec![LeadStatus::Won, LeadStatus::Lost],
        other => LeadStatus::from_code(other).into_iter().collect(),
    }
}

/// The agency's leads under `params`' filter, newest first.
pub async fn inbox_leads(
    console: &WebConsole,
    signed_in: &SignedIn,
    params: &InboxParams,
) -> Result<Vec<Lead>, PageError> {
    let Some(leads) = &console.leads else { return Err(PageError::Unavailable("leads")) };
    let filter = ListFilter { statuses: statuses_of(&params.status), page_size: 100, ..ListFilter::default() };
    let mut found = leads.list(&signed_in.principal(), filter).await?.leads;
    if params.status == "expiring" {
        let soon = now_ms().saturating_add(EXPIRING_SOON_MS);
        found.retain(|lead| lead.respond_by_ms <= soon);
    }
    Ok(found)
}

/// The cards of `leads`, or a line saying there are none: what the live stream sends too.
pub fn lead_list(lang: Lang, csrf: &str, leads: &[Lead]) -> Markup {
    html! {
        @if leads.is_empty() { p.empty id="no-leads" { (lang.t("暂无线索。", "No leads.")) } }
        @for lead in leads { (lead_card(lang, csrf, lead)) }
    }
}

pub fn status_label(lang: Lang, status: LeadStatus) -> &'static str {
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

/// The date (in the city) an answer is due by.
fn due_date(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC)))
        .map(|z| z.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn lead_card(lang: Lang, csrf: &str, lead: &Lead) -> Markup {
    html! {
        article.lead data-lead=(lead.id) data-need=(lead.need_id) data-status=(lead.status.code()) {
            h3 { a href={ "/needs/" (lead.need_id) } { (lead.need_title) } " " span.status { (status_label(lang, lead.status)) } }
            @if lead.status.awaits_response() {
                p.due { span.label { (lang.t("答复截止：", "Answer by: ")) } (due_date(lead.respond_by_ms)) }
            }
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
    let leads = match inbox_leads(&console, &signed_in, &params).await {
        Ok(leads) => leads,
        Err(error) => return error.render(&viewer),
    };
    let status = encode_path(&params.status);
    let body = html! {
        nav.filters id="lead-filters" {
            @for filter in FILTERS {
                a.current[params.status == *filter] href={ "/leads?status=" (filter) } data-filter=(filter) { (filter_label(lang, filter)) }
            }
        }
        p.exports {
            (lang.t("导出当前筛选：", "Export this view: "))
            a href={ "/leads/export?format=csv&status=" (status) } id="export-csv" { "CSV" } " · "
            a href={ "/leads/export?format=xlsx&status=" (status) } id="export-xlsx" { "XLSX" }
        }
        div id="leads" data-live={ "/events/leads?status=" (status) } {
            (lead_list(lang, signed_in.csrf(), &leads))
        }
    };
    page(&viewer, lang.t("线索收件箱", "Lead inbox"), body).into_response()
}

#[derive(Debug, Default, Deserialize)]
pub struct ExportParams {
    #[serde(default)]
    format: String,
    #[serde(default)]
    status: String,
}

/// The leads under a filter as a file, as the leads service exports them
/// (the `expiring` filter exports every lead awaiting an answer).
pub async fn export(
    State(console): State<WebConsole>,
    signed_in: SignedIn,
    Query(params): Query<ExportParams>,
) -> Response {
    let viewer = signed_in.viewer();
    let Some(leads) = &console.leads else { return PageError::Unavailable("leads").render(&viewer) };
    let format = match params.format.as_str() {
        "csv" => ExportFormat::Csv,
        "xlsx" => ExportFormat::Xlsx,
        _ => return PageError::BadRequest("format must be csv or xlsx".into()).render(&viewer),
    };
    match leads.export(&signed_in.principal(), format, statuses_of(&params.status)).await {
        Ok(file) => download(&file.file_name, content_type(format), file.bytes),
        Err(error) => PageError::from(error).render(&viewer),
    }
}

fn content_type(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Csv => "text/csv; charset=utf-8",
        ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
}

/// A file to save: its type, and its name in `Content-Disposition`.
pub fn download(file_name: &str, content_type: &'static str, bytes: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", file_name.replace(['"', '\\', '\r', '\n'], "_"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        bytes,
    )
        .into_response()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filter_asks_for_the_statuses_it_names() {
        assert_eq!(statuses_of(""), []);
        assert_eq!(statuses_of("new"), [LeadStatus::New, LeadStatus::Delivered]);
        assert_eq!(statuses_of("expiring"), [LeadStatus::New, LeadStatus::Delivered]);
        assert_eq!(statuses_of("won_lost"), [LeadStatus::Won, LeadStatus::Lost]);
        assert_eq!(statuses_of("accepted"), [LeadStatus::Accepted]);
        assert_eq!(statuses_of("declined"), [LeadStatus::Declined]);
        assert_eq!(statuses_of("contacted"), [LeadStatus::Contacted]);
        for filter in FILTERS {
            assert!(!filter_label(Lang::Zh, filter).is_empty(), "{filter:?} has a label");
        }
    }

    #[test]
    fn answers_are_due_by_a_date_in_the_city() {
        // 2026-03-01T00:00:00Z is 08:00 in Zhanjiang.
        assert_eq!(due_date(1_772_323_200_000), "2026-03-01 08:00");
    }
}
