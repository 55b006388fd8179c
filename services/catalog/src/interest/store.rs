//! The interest store contract: expressions of interest in needs and their
//! audit trail. Implemented by the record stores (SQLite and PostgreSQL)
//! beside the records, so an interest's need and its move are read and
//! written in one database.

use async_trait::async_trait;
use innomatch_proto::v1 as pb;

use crate::store::StoreError;

innomatch_core::code_enum!(
    /// Where an interest stands; see [`InterestStatus::can_move_to`].
    InterestStatus => pb::InterestStatus {
        Pending = "pending",
        Approved = "approved",
        Declined = "declined",
        Withdrawn = "withdrawn",
        Expired = "expired",
    }
);

impl InterestStatus {
    /// Pending and approved interests are live: one per need and organization.
    pub fn is_live(self) -> bool {
        matches!(self, Self::Pending | Self::Approved)
    }

    /// The moves of the lifecycle: pending → approved, declined, withdrawn,
    /// expired; approved → withdrawn. Everything else is final.
    pub fn can_move_to(self, next: Self) -> bool {
        matches!(
            (self, next),
            (Self::Pending, Self::Approved | Self::Declined | Self::Withdrawn | Self::Expired)
                | (Self::Approved, Self::Withdrawn)
        )
    }

    /// The Simplified Chinese label shown to people.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Pending => "待确认",
            Self::Approved => "已同意",
            Self::Declined => "已谢绝",
            Self::Withdrawn => "已撤回",
            Self::Expired => "已过期",
        }
    }
}

innomatch_core::code_enum!(
    /// One audited step of an interest.
    InterestAction => pb::InterestAction {
        Expressed = "expressed",
        Approved = "approved",
        Declined = "declined",
        Withdrawn = "withdrawn",
        Expired = "expired",
    }
);

impl InterestAction {
    /// The step that moves an interest into `status`.
    pub fn into_status(status: InterestStatus) -> Self {
        match status {
            InterestStatus::Pending => Self::Expressed,
            InterestStatus::Approved => Self::Approved,
            InterestStatus::Declined => Self::Declined,
            InterestStatus::Withdrawn => Self::Withdrawn,
            InterestStatus::Expired => Self::Expired,
        }
    }
}

/// One organization's interest in one need, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterestRecord {
    pub id: String,
    pub need_id: String,
    /// The need's owner when the interest was expressed (a need's owner never changes).
    pub owner_organization_id: String,
    pub party_organization_id: String,
    /// The lead an agency answered through (empty: none).
    pub lead_id: String,
    pub message: String,
    pub reply: String,
    pub status: InterestStatus,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// 1 after insert, one more on every move.
    pub version: i64,
}

/// One audited step, in the order the store committed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterestEventRecord {
    /// Assigned by the store.
    pub sequence: i64,
    pub interest_id: String,
    pub need_id: String,
    pub action: InterestAction,
    /// The token id (or `system`) that took the step.
    pub actor: String,
    /// The organization it acted for (empty: an admin or the system).
    pub actor_organization_id: String,
    pub note: String,
    pub at_ms: i64,
}

/// Which interests to list, oldest first, after a cursor. Every set field must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InterestQuery {
    pub owner_organization_id: Option<String>,
    pub party_organization_id: Option<String>,
    pub need_id: Option<String>,
    /// Empty: every status.
    pub statuses: Vec<InterestStatus>,
    pub after_cursor: i64,
    pub limit: u32,
}

/// One page of interests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterestPage {
    pub interests: Vec<InterestRecord>,
    /// Present when more may follow.
    pub next_cursor: Option<i64>,
}

#[async_trait]
pub trait InterestStore: Send + Sync + 'static {
    /// Stores a new interest (version 1) and its first audit event in one
    /// transaction. [`StoreError::AlreadyExists`] when the party already
    /// has a live (pending or approved) interest in the need; nothing is written.
    async fn insert_interest(&self, interest: InterestRecord, event: InterestEventRecord) -> Result<(), StoreError>;

    async fn interest(&self, id: &str) -> Result<Option<InterestRecord>, StoreError>;

    /// Writes the interest's new state if its stored version is still
    /// `interest.version`, with its audit event, in one transaction; returns
    /// it at the next version. [`StoreError::VersionConflict`] otherwise.
    async fn move_interest(
        &self,
        interest: InterestRecord,
        event: InterestEventRecord,
    ) -> Result<InterestRecord, StoreError>;

    async fn list_interests(&self, query: &InterestQuery) -> Result<InterestPage, StoreError>;

    /// The audit trail of one interest or of every interest in one need, oldest first.
    async fn interest_events(
        &self,
        interest_id: Option<&str>,
        need_id: Option<&str>,
    ) -> Result<Vec<InterestEventRecord>, StoreError>;

    /// Audit events with a sequence above `after_sequence`, oldest first, at
    /// most `limit`: what a follower (notifications) reads from a checkpoint.
    /// Sequences become visible in order (PostgreSQL appends one writer at a time).
    async fn interest_events_after(
        &self,
        after_sequence: i64,
        limit: u32,
    ) -> Result<Vec<InterestEventRecord>, StoreError>;

    /// True when an approved interest joins the two organizations, either
    /// way round (one owns the need, the other expressed the interest).
    async fn disclosed_between(&self, organization_a: &str, organization_b: &str) -> Result<bool, StoreError>;

    /// Pending interests whose need is no longer active (closed or
    /// archived), oldest first: what the expiry sweep moves to expired.
    async fn pending_of_inactive_needs(&self, limit: u32) -> Result<Vec<InterestRecord>, StoreError>;
}
