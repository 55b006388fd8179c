//! The lead store contract: the source of truth for lead records, their
//! lifecycle and their delivery bookkeeping, whatever backend delivers them.
//!
//! Writes are versioned (optimistic concurrency): the domain reads a lead,
//! applies a pure transition and writes it back only if nobody else wrote in
//! between. Delivery bookkeeping is the [`Outbox`] every store of delivered
//! items keeps (leads and notifications alike).
//! Implementations: [`crate::sqlite::SqliteLeadStore`] (embedded) and
//! [`crate::postgres::PostgresLeadStore`] (shared by several processes).

use async_trait::async_trait;
use innomatch_core::model::ServiceCategory;

pub use crate::delivery::Published;
use crate::{
    delivery::Outbox,
    model::{Lead, LeadStatus},
};

/// Failures of a lead store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("lead not found")]
    NotFound,
    #[error("the lead was changed concurrently; it is at version {actual}")]
    VersionConflict { actual: i64 },
    #[error("storage backend failed: {0}")]
    Backend(String),
}

/// Which of an agency's leads to list, newest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LeadQuery {
    pub agency_organization_id: String,
    /// Empty: every status.
    pub statuses: Vec<LeadStatus>,
    pub category: Option<ServiceCategory>,
    /// Only leads older than this cursor (from a previous page).
    pub before_cursor: Option<i64>,
    pub limit: u32,
}

/// One page of leads.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadPage {
    pub leads: Vec<Lead>,
    /// Present when more leads may follow.
    pub next_cursor: Option<i64>,
}

/// Where leads live; see the module documentation.
#[async_trait]
pub trait LeadStore: Outbox<Lead> + Send + Sync + std::fmt::Debug + 'static {
    /// Stores `lead` at version 1 unless a lead with its id exists; returns
    /// the stored lead and whether it was created.
    async fn insert_if_absent(&self, lead: Lead) -> Result<(Lead, bool), StoreError>;

    async fn get(&self, id: &str) -> Result<Option<Lead>, StoreError>;

    /// Writes `lead` if the stored version still equals `lead.version`;
    /// returns it at the next version.
    async fn update(&self, lead: Lead) -> Result<Lead, StoreError>;

    async fn list(&self, query: &LeadQuery) -> Result<LeadPage, StoreError>;

    /// Every lead made for one need, any agency, oldest first.
    async fn for_need(&self, need_id: &str) -> Result<Vec<Lead>, StoreError>;

    /// Declined or expired leads whose need was not passed on yet (see
    /// [`Lead::awaits_pass_on`]), oldest first.
    async fn awaiting_pass_on(&self, limit: u32) -> Result<Vec<Lead>, StoreError>;

    /// Leads still awaiting an answer whose deadline passed.
    async fn due_for_expiry(&self, now_ms: i64, limit: u32) -> Result<Vec<Lead>, StoreError>;

    /// How many leads are in each status, over all agencies (for statistics).
    async fn count_by_status(&self) -> Result<Vec<(LeadStatus, u64)>, StoreError>;

    /// Open leads (new or delivered) not yet acknowledged, per agency: the backlog.
    async fn backlog_by_agency(&self) -> Result<Vec<(String, u64)>, StoreError>;
}
