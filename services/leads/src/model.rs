//! Leads as the domain knows them: the lead record with its audit history,
//! the draft the matcher hands over, the statuses and decline reasons, and
//! the deterministic lead id. No transport types here.

use innomatch_core::model::ServiceCategory;
use innomatch_core::validation::{Violations, limits};
use innomatch_proto::v1 as pb;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The actor recorded for transitions nobody asked for (delivery, expiry).
pub const SYSTEM_ACTOR: &str = "system";

/// Longest note an agency may attach to a response or an outcome.
pub const NOTE_MAX_CHARS: usize = 1_000;

/// Longest explanation line the matcher may attach to a lead.
pub const REASON_MAX_CHARS: usize = 200;

innomatch_core::code_enum!(
    /// Where a lead is in its lifecycle; see [`crate::lifecycle`] for the moves.
    LeadStatus => pb::LeadStatus {
        New = "new",
        Delivered = "delivered",
        Accepted = "accepted",
        Declined = "declined",
        Contacted = "contacted",
        Won = "won",
        Lost = "lost",
        Expired = "expired",
        Closed = "closed",
    }
);

impl LeadStatus {
    /// The Simplified Chinese label shown to people (exports, CLI).
    pub fn label_zh(self) -> &'static str {
        match self {
            LeadStatus::New => "新线索",
            LeadStatus::Delivered => "已送达",
            LeadStatus::Accepted => "已接受",
            LeadStatus::Declined => "已谢绝",
            LeadStatus::Contacted => "已联系",
            LeadStatus::Won => "已成交",
            LeadStatus::Lost => "未成交",
            LeadStatus::Expired => "已过期",
            LeadStatus::Closed => "需求已关闭",
        }
    }

    /// True while the agency still owes an answer (accept or decline).
    pub fn awaits_response(self) -> bool {
        matches!(self, LeadStatus::New | LeadStatus::Delivered)
    }

    /// True when no move leads out of this status.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            LeadStatus::Declined | LeadStatus::Won | LeadStatus::Lost | LeadStatus::Expired | LeadStatus::Closed
        )
    }
}

innomatch_core::code_enum!(
    /// Why an agency declined a lead.
    DeclineReason => pb::DeclineReason {
        OutOfScope = "out_of_scope",
        NoCapacity = "no_capacity",
        RegionNotServed = "region_not_served",
        BudgetTooLow = "budget_too_low",
        Duplicate = "duplicate",
        Other = "other",
    }
);

impl DeclineReason {
    /// The Simplified Chinese label shown to people (exports, CLI).
    pub fn label_zh(self) -> &'static str {
        match self {
            DeclineReason::OutOfScope => "超出服务范围",
            DeclineReason::NoCapacity => "服务能力已满",
            DeclineReason::RegionNotServed => "不服务该地区",
            DeclineReason::BudgetTooLow => "预算过低",
            DeclineReason::Duplicate => "重复线索",
            DeclineReason::Other => "其他",
        }
    }
}

/// One entry of a lead's audit history. `from == to` records an
/// acknowledgment rather than a status change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub from: LeadStatus,
    pub to: LeadStatus,
    /// The token id that caused it, or [`SYSTEM_ACTOR`].
    pub actor: String,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A matched need offered to an agency, and everything that happened to it since.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lead {
    /// `lead_` + 24 hex digits of SHA-256(need_id | offer_id); see [`lead_id`].
    pub id: String,
    pub agency_organization_id: String,
    pub offer_id: String,
    pub need_id: String,
    /// Empty when the need is anonymous.
    #[serde(default)]
    pub need_organization_id: String,
    pub need_title: String,
    #[serde(default)]
    pub need_summary: String,
    pub category: ServiceCategory,
    pub score: f32,
    #[serde(default)]
    pub reasons: Vec<String>,
    pub status: LeadStatus,
    pub created_at_ms: i64,
    /// After this instant an unanswered lead expires.
    pub respond_by_ms: i64,
    #[serde(default)]
    pub decline_reason: Option<DeclineReason>,
    /// The latest note from the agency (each note is also in `history`).
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub history: Vec<Transition>,
    /// Set once the agency acknowledged the lead; it is not redelivered after.
    #[serde(default)]
    pub acked_at_ms: Option<i64>,
    /// How many times the lead was written to one of the agency's streams.
    #[serde(default)]
    pub delivery_attempts: u32,
    /// A declined or expired lead whose need went to the next agency (or to none).
    #[serde(default)]
    pub passed_on: bool,
    /// The declined or expired lead this one took over; such a lead is not passed on again.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub replaces_lead_id: String,
    /// For a policy lead (政策服务): the support policy the firm
    /// `need_organization_id` is nearly eligible for; `need_id` then holds
    /// the policy's id too (see [`policy_lead_id`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub policy_id: String,
    /// Optimistic-concurrency version kept by the store (1 after insert).
    #[serde(skip)]
    pub version: i64,
}

impl Lead {
    /// True while the lead still waits for the agency to acknowledge and
    /// answer it, whatever the clock says.
    pub fn is_open(&self) -> bool {
        self.acked_at_ms.is_none() && self.status.awaits_response()
    }

    /// True when the lead ended without the agency (declined or expired),
    /// was not passed on yet and is no pass-on itself: its need is to be
    /// offered to the next fitting agency, once.
    pub fn awaits_pass_on(&self) -> bool {
        matches!(self.status, LeadStatus::Declined | LeadStatus::Expired)
            && !self.passed_on
            && self.replaces_lead_id.is_empty()
    }

    /// True when the lead should (still) be sent to the agency at `now_ms`.
    pub fn is_deliverable(&self, now_ms: i64) -> bool {
        self.is_open() && now_ms < self.respond_by_ms
    }
}

/// What the matcher knows when it offers a lead to an agency.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadDraft {
    pub agency_organization_id: String,
    pub offer_id: String,
    pub need_id: String,
    /// Empty when the need is anonymous: the agency must not learn who posted it.
    pub need_organization_id: String,
    pub need_title: String,
    pub need_summary: String,
    pub category: ServiceCategory,
    pub score: f32,
    /// Why the offer matches the need, one line each.
    pub reasons: Vec<String>,
    /// The declined or expired lead this one takes over (empty: none).
    pub replaces_lead_id: String,
    /// A policy lead: the policy (equal to `need_id`) the firm
    /// `need_organization_id` is nearly eligible for; empty for a need's lead.
    pub policy_id: String,
}

impl LeadDraft {
    /// Every problem with the draft, named by its proto field.
    pub fn violations(&self) -> Violations {
        let mut v = Violations::new();
        v.id("agency_organization_id", &self.agency_organization_id);
        v.id("offer_id", &self.offer_id);
        v.id("need_id", &self.need_id);
        if !self.need_organization_id.is_empty() {
            v.id("need_organization_id", &self.need_organization_id);
        }
        v.text("need_title", &self.need_title, limits::NAME_MAX_CHARS, true);
        v.text("need_summary", &self.need_summary, limits::DESCRIPTION_MAX_CHARS, false);
        if !self.replaces_lead_id.is_empty() {
            v.id("replaces_lead_id", &self.replaces_lead_id);
        }
        if !self.policy_id.is_empty() {
            if self.policy_id != self.need_id {
                v.add("policy_id", "a policy lead carries the policy's id in need_id too");
            }
            if self.need_organization_id.is_empty() {
                v.add("need_organization_id", "a policy lead names the firm it is for");
            }
        }
        if !self.score.is_finite() || self.score < 0.0 {
            v.add("score", "must be a finite number, 0 or more");
        }
        if self.reasons.len() > limits::LIST_MAX_ITEMS {
            v.add("reasons", format!("has {} items; the limit is {}", self.reasons.len(), limits::LIST_MAX_ITEMS));
        } else {
            for (i, reason) in self.reasons.iter().enumerate() {
                v.text(&format!("reasons[{i}]"), reason, REASON_MAX_CHARS, true);
            }
        }
        v
    }
}

/// The lead id for a need × offer pair. Deterministic, so offering the same
/// pair twice (or a redelivery) can never make two leads. 96 bits of the hash
/// keep collisions out of reach for any realistic number of pairs.
pub fn lead_id(need_id: &str, offer_id: &str) -> String {
    let digest = Sha256::digest(format!("{need_id}|{offer_id}").as_bytes());
    format!("lead_{}", hex::encode(&digest[..12]))
}

/// The lead id for a firm nearly eligible for a policy, offered to one
/// agency: one lead per policy × firm × agency, whichever of its offers it
/// came through.
pub fn policy_lead_id(policy_id: &str, firm_id: &str, agency_id: &str) -> String {
    lead_id(&format!("policy|{policy_id}|{firm_id}"), agency_id)
}

/// The id of the lead a draft makes.
pub fn draft_lead_id(draft: &LeadDraft) -> String {
    if draft.policy_id.is_empty() {
        lead_id(&draft.need_id, &draft.offer_id)
    } else {
        policy_lead_id(&draft.policy_id, &draft.need_organization_id, &draft.agency_organization_id)
    }
}

/// One lead written to an agency's stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub lead: Lead,
    /// 1 on the first delivery, then one more for every redelivery.
    pub attempt: u32,
}

/// How an agency answers a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// Take the lead on.
    Accept { note: String },
    /// Turn it down, saying why.
    Decline { reason: DeclineReason, note: String },
}

/// Where an accepted lead ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The agency got in touch with the enterprise.
    Contacted,
    /// The cooperation was agreed.
    Won,
    /// Nothing came of it.
    Lost,
}

impl Outcome {
    /// The status the outcome moves the lead to.
    pub fn status(self) -> LeadStatus {
        match self {
            Outcome::Contacted => LeadStatus::Contacted,
            Outcome::Won => LeadStatus::Won,
            Outcome::Lost => LeadStatus::Lost,
        }
    }

    /// The outcome that moves a lead to `status`, if any.
    pub fn from_status(status: LeadStatus) -> Option<Self> {
        match status {
            LeadStatus::Contacted => Some(Outcome::Contacted),
            LeadStatus::Won => Some(Outcome::Won),
            LeadStatus::Lost => Some(Outcome::Lost),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_ids_are_deterministic_and_distinguish_pairs() {
        let a = lead_id("need_1", "offer_1");
        assert_eq!(a, lead_id("need_1", "offer_1"));
        assert_ne!(a, lead_id("need_1", "offer_2"));
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(lead_id("ab", "c"), lead_id("a", "bc"));
        assert!(a.starts_with("lead_") && a.len() == 29);
        let mut v = Violations::new();
        v.id("lead_id", &a);
        assert!(v.is_empty(), "a lead id passes the id check clients are held to");
    }

    #[test]
    fn codes_and_proto_values_round_trip() {
        for status in LeadStatus::ALL {
            assert_eq!(LeadStatus::from_code(status.code()), Some(*status));
            assert_eq!(LeadStatus::from_proto(status.to_proto()), Ok(Some(*status)));
        }
        for reason in DeclineReason::ALL {
            assert_eq!(DeclineReason::from_proto(reason.to_proto()), Ok(Some(*reason)));
        }
        assert_eq!(LeadStatus::from_proto(0), Ok(None));
        assert_eq!(LeadStatus::from_proto(99), Err(99));
    }

    #[test]
    fn a_draft_names_each_bad_field() {
        let draft = LeadDraft {
            agency_organization_id: "org bad".into(),
            offer_id: "offer_1".into(),
            need_id: String::new(),
            need_organization_id: String::new(),
            need_title: "  ".into(),
            need_summary: String::new(),
            category: ServiceCategory::TestingInspection,
            score: f32::NAN,
            reasons: vec!["对虾养殖病害检测".into(), String::new()],
            replaces_lead_id: String::new(),
            policy_id: String::new(),
        };
        let fields: Vec<String> = draft.violations().0.into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["agency_organization_id", "need_id", "need_title", "score", "reasons[1]"]);
    }

    #[test]
    fn a_policy_lead_is_one_per_policy_firm_and_agency() {
        let a = policy_lead_id("pol_1", "org_firm", "org_agency");
        assert_eq!(a, policy_lead_id("pol_1", "org_firm", "org_agency"));
        assert_ne!(a, policy_lead_id("pol_1", "org_other_firm", "org_agency"));
        assert_ne!(a, policy_lead_id("pol_1", "org_firm", "org_other_agency"));
        assert_ne!(a, lead_id("pol_1", "org_agency"), "never a need's lead id");
        let draft = LeadDraft {
            agency_organization_id: "org_agency".into(),
            offer_id: "offer_2".into(),
            need_id: "pol_1".into(),
            need_organization_id: "org_firm".into(),
            need_title: "湛江预制菜科技有限公司：高新技术企业认定奖励".into(),
            need_summary: String::new(),
            category: ServiceCategory::PolicyServices,
            score: 0.75,
            reasons: vec![],
            replaces_lead_id: String::new(),
            policy_id: "pol_1".into(),
        };
        assert!(draft.violations().is_empty());
        assert_eq!(draft_lead_id(&draft), a, "whichever offer of the agency it came through");
        let anonymous = LeadDraft { need_organization_id: String::new(), ..draft };
        assert_eq!(anonymous.violations().0[0].field, "need_organization_id");
    }
}
