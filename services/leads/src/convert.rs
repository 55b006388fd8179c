//! The leads service's edge: every `LeadsService` request becomes a
//! validated domain value by `TryFrom` (all problems reported at once, as
//! field violations), and leads become replies by `From`.

use innomatch_core::{
    convert::timestamp,
    edge::{PagePolicy, optional_enum, required_enum},
    model::ServiceCategory,
    validation::{Violations, limits},
};
use innomatch_proto::v1 as pb;

use crate::{
    model::{DeclineReason, Lead, LeadDraft, LeadStatus, NOTE_MAX_CHARS, Outcome, Response, Transition},
    service::{ExportFormat, ListFilter},
};

impl From<Transition> for pb::LeadTransition {
    fn from(t: Transition) -> Self {
        pb::LeadTransition {
            from: t.from.to_proto(),
            to: t.to.to_proto(),
            actor: t.actor,
            at: Some(timestamp(t.at_ms)),
            note: t.note,
        }
    }
}

impl From<Lead> for pb::Lead {
    fn from(l: Lead) -> Self {
        pb::Lead {
            id: l.id,
            agency_organization_id: l.agency_organization_id,
            offer_id: l.offer_id,
            need_id: l.need_id,
            need_organization_id: l.need_organization_id,
            need_title: l.need_title,
            need_summary: l.need_summary,
            category: l.category.to_proto(),
            score: l.score,
            reasons: l.reasons,
            status: l.status.to_proto(),
            created_at: Some(timestamp(l.created_at_ms)),
            respond_by: Some(timestamp(l.respond_by_ms)),
            decline_reason: l.decline_reason.map(DeclineReason::to_proto).unwrap_or_default(),
            note: l.note,
            history: l.history.into_iter().map(Into::into).collect(),
            acked_at: l.acked_at_ms.map(timestamp),
            delivery_attempts: l.delivery_attempts,
            passed_on: l.passed_on,
            replaces_lead_id: l.replaces_lead_id,
            policy_id: l.policy_id,
        }
    }
}

fn statuses(v: &mut Violations, field: &str, values: &[i32]) -> Vec<LeadStatus> {
    if values.len() > limits::LIST_MAX_ITEMS {
        v.add(field, format!("has {} items; the limit is {}", values.len(), limits::LIST_MAX_ITEMS));
        return Vec::new();
    }
    values
        .iter()
        .enumerate()
        .filter_map(|(i, value)| required_enum(v, &format!("{field}[{i}]"), *value, LeadStatus::from_proto))
        .collect()
}

/// A lead named by a request, its id checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadId(pub String);

impl TryFrom<pb::AckLeadRequest> for LeadId {
    type Error = Violations;

    fn try_from(r: pb::AckLeadRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        v.id("lead_id", &r.lead_id);
        v.into_result(LeadId(r.lead_id))
    }
}

impl TryFrom<pb::MarkLeadPassedOnRequest> for LeadId {
    type Error = Violations;

    fn try_from(r: pb::MarkLeadPassedOnRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        v.id("lead_id", &r.lead_id);
        v.into_result(LeadId(r.lead_id))
    }
}

/// A need named by a request (closing or listing its leads), its id checked,
/// and the note recorded with a closing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedLeads {
    pub need_id: String,
    pub note: String,
}

impl TryFrom<pb::CloseLeadsForNeedRequest> for NeedLeads {
    type Error = Violations;

    fn try_from(r: pb::CloseLeadsForNeedRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        v.id("need_id", &r.need_id);
        v.text("note", &r.note, NOTE_MAX_CHARS, false);
        v.into_result(NeedLeads { need_id: r.need_id, note: r.note })
    }
}

impl TryFrom<pb::ListLeadsOfNeedRequest> for NeedLeads {
    type Error = Violations;

    fn try_from(r: pb::ListLeadsOfNeedRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        v.id("need_id", &r.need_id);
        v.into_result(NeedLeads { need_id: r.need_id, note: String::new() })
    }
}

/// An agency's answer to a lead.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadAnswer {
    pub lead_id: String,
    pub response: Response,
}

impl TryFrom<pb::RespondToLeadRequest> for LeadAnswer {
    type Error = Violations;

    fn try_from(r: pb::RespondToLeadRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        v.id("lead_id", &r.lead_id);
        let response = if r.accept {
            if r.decline_reason != 0 {
                v.add("decline_reason", "must be unset when accepting");
            }
            Some(Response::Accept { note: r.note })
        } else {
            required_enum(&mut v, "decline_reason", r.decline_reason, DeclineReason::from_proto)
                .map(|reason| Response::Decline { reason, note: r.note })
        };
        match response {
            Some(response) if v.is_empty() => Ok(LeadAnswer { lead_id: r.lead_id, response }),
            _ => Err(v),
        }
    }
}

/// What became of an accepted lead.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeUpdate {
    pub lead_id: String,
    pub outcome: Outcome,
    pub note: String,
}

impl TryFrom<pb::UpdateLeadOutcomeRequest> for OutcomeUpdate {
    type Error = Violations;

    fn try_from(r: pb::UpdateLeadOutcomeRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        v.id("lead_id", &r.lead_id);
        let outcome = required_enum(&mut v, "status", r.status, LeadStatus::from_proto).and_then(|status| {
            let outcome = Outcome::from_status(status);
            if outcome.is_none() {
                v.add("status", "an outcome is CONTACTED, WON or LOST");
            }
            outcome
        });
        match outcome {
            Some(outcome) if v.is_empty() => Ok(OutcomeUpdate { lead_id: r.lead_id, outcome, note: r.note }),
            _ => Err(v),
        }
    }
}

impl TryFrom<pb::ListLeadsRequest> for ListFilter {
    type Error = Violations;

    fn try_from(r: pb::ListLeadsRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        let page_size = PagePolicy::LISTS.size(&mut v, "page_size", r.page_size);
        let statuses = statuses(&mut v, "statuses", &r.statuses);
        let category = optional_enum(&mut v, "category", r.category, ServiceCategory::from_proto);
        v.into_result(ListFilter { statuses, category, page_size, page_token: r.page_token })
    }
}

/// An export: the file format and which statuses (empty: all).
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRequest {
    pub format: ExportFormat,
    pub statuses: Vec<LeadStatus>,
}

impl TryFrom<pb::ExportLeadsRequest> for ExportRequest {
    type Error = Violations;

    fn try_from(r: pb::ExportLeadsRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        let format = match pb::ExportFormat::try_from(r.format) {
            Ok(pb::ExportFormat::Csv) => Some(ExportFormat::Csv),
            Ok(pb::ExportFormat::Xlsx) => Some(ExportFormat::Xlsx),
            Ok(pb::ExportFormat::Unspecified) => {
                v.add("format", "must be set (CSV or XLSX)");
                None
            }
            Err(_) => {
                v.add("format", format!("unknown enum value {}", r.format));
                None
            }
        };
        let statuses = statuses(&mut v, "statuses", &r.statuses);
        match format {
            Some(format) if v.is_empty() => Ok(ExportRequest { format, statuses }),
            _ => Err(v),
        }
    }
}

/// Validates an OfferLead request into a draft.
impl TryFrom<pb::OfferLeadRequest> for LeadDraft {
    type Error = Violations;

    fn try_from(p: pb::OfferLeadRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        let category = required_enum(&mut v, "category", p.category, ServiceCategory::from_proto);
        let draft = LeadDraft {
            agency_organization_id: p.agency_organization_id,
            offer_id: p.offer_id,
            need_id: p.need_id,
            need_organization_id: p.need_organization_id,
            need_title: p.need_title,
            need_summary: p.need_summary,
            // Only used when `category` is valid; see below.
            category: category.unwrap_or(ServiceCategory::Consulting),
            score: p.score,
            reasons: p.reasons,
            replaces_lead_id: p.replaces_lead_id,
            policy_id: p.policy_id,
        };
        v.0.extend(draft.violations().0);
        v.into_result(draft)
    }
}
