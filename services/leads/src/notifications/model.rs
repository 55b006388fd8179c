//! Notifications as the domain knows them: the kinds, the record with its
//! delivery state, the draft a producer hands over and the deterministic id
//! that de-duplicates. No transport types here.

use innomatch_proto::v1 as pb;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::delivery::Deliverable;

innomatch_core::code_enum!(
    /// What a notification is about, and to whom it goes.
    NotificationKind => pb::NotificationKind {
        NewPartner = "new_partner",
        InterestReceived = "interest_received",
        InterestApproved = "interest_approved",
        InterestDeclined = "interest_declined",
        LeadAnswered = "lead_answered",
        FittingNeed = "fitting_need",
        NewLead = "new_lead",
        Digest = "digest",
        PolicyEligible = "policy_eligible",
    }
);

impl NotificationKind {
    /// The Simplified Chinese label shown to people.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::NewPartner => "新的合作伙伴",
            Self::InterestReceived => "收到合作意向",
            Self::InterestApproved => "意向已同意",
            Self::InterestDeclined => "意向已谢绝",
            Self::LeadAnswered => "服务机构已答复",
            Self::FittingNeed => "新的匹配需求",
            Self::NewLead => "新线索",
            Self::Digest => "汇总",
            Self::PolicyEligible => "可申报政策",
        }
    }
}

/// What a producer (interests, leads, matching) asks to notify.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeDraft {
    pub organization_id: String,
    pub kind: NotificationKind,
    pub need_id: String,
    /// The other organization, interest or lead; part of the de-duplication
    /// key where one need may concern several (partners, interested parties).
    pub subject_id: String,
    pub title: String,
    pub body: String,
    pub score: f32,
}

/// One notification and its delivery state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// `ntf_` + 24 hex digits of SHA-256 of organization × kind × need × subject.
    pub id: String,
    pub organization_id: String,
    pub kind: NotificationKind,
    pub need_id: String,
    pub subject_id: String,
    pub title: String,
    pub body: String,
    pub score: f32,
    pub created_at_ms: i64,
    #[serde(default)]
    pub acked_at_ms: Option<i64>,
    #[serde(default)]
    pub delivery_attempts: u32,
    /// Folded into this digest by the rate limit: delivered only through it.
    #[serde(default)]
    pub digest_id: String,
    /// When the digest it was folded into is due (its window's end).
    #[serde(default)]
    pub digest_due_ms: i64,
    /// For a digest: the notifications it folds, oldest first.
    #[serde(default)]
    pub items: Vec<String>,
    /// Optimistic-concurrency version kept by the store (1 after insert).
    #[serde(skip)]
    pub version: i64,
}

impl Deliverable for Notification {
    fn delivery_id(&self) -> &str {
        &self.id
    }

    fn recipient(&self) -> &str {
        &self.organization_id
    }

    fn is_deliverable(&self, _now_ms: i64) -> bool {
        self.acked_at_ms.is_none() && self.digest_id.is_empty()
    }
}

fn hashed(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    format!("ntf_{}", &hex::encode(hasher.finalize())[..24])
}

/// The id of a notification: the same organization × kind × need × subject
/// always gives the same id, so it is stored (and delivered) once.
pub fn notification_id(organization_id: &str, kind: NotificationKind, need_id: &str, subject_id: &str) -> String {
    hashed(&[organization_id, kind.code(), need_id, subject_id])
}

/// The id of the digest of one organization's rate-limit window.
pub fn digest_id(organization_id: &str, window_start_ms: i64) -> String {
    hashed(&[organization_id, NotificationKind::Digest.code(), &window_start_ms.to_string()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_tell_subjects_apart() {
        let a = notification_id("org_1", NotificationKind::FittingNeed, "need_1", "");
        assert_eq!(a, notification_id("org_1", NotificationKind::FittingNeed, "need_1", ""));
        assert_ne!(a, notification_id("org_1", NotificationKind::NewPartner, "need_1", ""));
        assert_ne!(a, notification_id("org_2", NotificationKind::FittingNeed, "need_1", ""));
        // The separator keeps "ab" + "c" apart from "a" + "bc".
        assert_ne!(
            notification_id("org_1", NotificationKind::NewPartner, "ab", "c"),
            notification_id("org_1", NotificationKind::NewPartner, "a", "bc")
        );
        assert!(a.starts_with("ntf_") && a.len() == 28);
    }
}
