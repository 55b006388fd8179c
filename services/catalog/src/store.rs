//! The record store contract: records, their change log and API tokens.
//!
//! Every write commits the record and its change-log entry in one
//! transaction, and the change log's sequence numbers only grow, so followers
//! (the search index, auto-matching) can resume from the last one they saw.
//! Implementations: [`crate::sqlite::SqliteStore`] (embedded, the default) and
//! [`crate::postgres::PostgresStore`] (shared by several processes).
//!
//! Bulk loads write through [`RecordStore::write_batch`]: many writes in one
//! transaction, each in a savepoint of its own, so one failing write leaves
//! no trace while the others commit together. A record may carry an external
//! key (the stable id an import gave it), unique across the store, by which a
//! later import finds it again.

use async_trait::async_trait;
use innomatch_core::{
    model::{ChangeOperation, Record, RecordKind, RecordStatus, Role},
    tag::Tag,
};
use tokio::sync::{broadcast, watch};

use crate::{
    accounts::store::AccountStore, interest::store::InterestStore, plan::store::PlanSnapshotStore,
    policy::store::PolicyPushStore,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("record not found")]
    NotFound,
    #[error("version conflict: the record is at version {actual}")]
    VersionConflict { actual: i64 },
    #[error("a record with this id already exists")]
    AlreadyExists,
    /// Another record (not archived) holds a key that must be unique, such
    /// as an organization's credit code (see [`unique_tag`]).
    #[error("{existing_id} already holds {key}")]
    Duplicate { key: String, existing_id: String },
    #[error("storage backend failed: {0}")]
    Backend(String),
}

/// The tag no two records that are not archived may share: an
/// organization's credit code. Stores check it inside the write's
/// transaction and refuse with [`StoreError::Duplicate`].
pub fn unique_tag(record: &Record) -> Option<Tag> {
    match record {
        Record::Organization(org) if !org.credit_code.is_empty() && org.meta.status() != RecordStatus::Archived => {
            Some(Tag::CreditCode(org.credit_code.clone()))
        }
        _ => None,
    }
}

/// One committed change, with the record as it was right after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub sequence: i64,
    pub operation: ChangeOperation,
    pub committed_at_ms: i64,
    pub record: Record,
}

/// What to list: one kind, optionally narrowed, in commit order after a cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub kind: RecordKind,
    pub organization_id: Option<String>,
    /// Every tag must be present (see `Taxonomy::filter_tags`).
    pub tags: Vec<Tag>,
    /// `None`: every status but archived (unless `include_archived`).
    pub status: Option<RecordStatus>,
    pub include_archived: bool,
    /// Which private needs the caller may list.
    pub private_needs: PrivateNeeds,
    /// Leave out anonymous needs: listing by owner must not reveal who posted them.
    pub hide_anonymous: bool,
    pub after_cursor: i64,
    pub limit: u32,
}

/// Private needs appear in a list only for their owner (or an admin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivateNeeds {
    All,
    OwnedBy(String),
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordPage {
    pub records: Vec<Record>,
    /// Present when more records may follow.
    pub next_cursor: Option<i64>,
}

/// A stored API token (the secret itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: String,
    pub hash: String,
    pub organization_id: Option<String>,
    pub role: Role,
    pub label: String,
    pub created_at_ms: i64,
    pub revoked: bool,
}

/// One write of a [`RecordStore::write_batch`].
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// [`RecordStore::insert`], optionally under an external key.
    Insert { record: Record, external_key: Option<String> },
    /// [`RecordStore::update`].
    Update { record: Record, expected_version: Option<i64>, operation: ChangeOperation },
}

/// Committed changes as the writing store announces them, in one batch per
/// transaction, before its [`RecordStore::sequence`] moves past them.
pub type CommittedChanges = std::sync::Arc<Vec<Change>>;

/// How many committed transactions a slow in-process follower may lag
/// before it reads the change log again instead.
pub const COMMITTED_CHANNEL_CAPACITY: usize = 64;

#[async_trait]
/// Every record store keeps the people's accounts (see [`AccountStore`]),
/// the expressions of interest in needs (see [`InterestStore`]), the plan
/// board's daily snapshots (see [`PlanSnapshotStore`]) and the policy-push
/// ledger (see [`PolicyPushStore`]) too.
pub trait RecordStore:
    AccountStore + InterestStore + PlanSnapshotStore + PolicyPushStore + Send + Sync + 'static
{
    /// Stores a new record (its id and owner already set) at version 1.
    async fn insert(&self, record: Record) -> Result<Change, StoreError>;

    /// Replaces a record if its stored version equals `expected_version`
    /// (`None`: whatever the version), bumping the version.
    async fn update(
        &self,
        record: Record,
        expected_version: Option<i64>,
        operation: ChangeOperation,
    ) -> Result<Change, StoreError>;

    /// Commits every write in one transaction, each in a savepoint: a write
    /// that fails is rolled back alone and reported in its place; the others
    /// commit. The outer error is for the transaction itself (nothing written).
    async fn write_batch(&self, writes: Vec<Write>) -> Result<Vec<Result<Change, StoreError>>, StoreError>;

    async fn get(&self, kind: RecordKind, id: &str) -> Result<Option<Record>, StoreError>;

    /// The records of a kind among `ids` (missing ones are left out), in one read.
    async fn get_many(&self, kind: RecordKind, ids: &[String]) -> Result<Vec<Record>, StoreError>;

    /// The records stored under any of these external keys, by key, in one read.
    async fn find_external(&self, keys: &[String]) -> Result<Vec<(String, Record)>, StoreError>;

    async fn list(&self, query: &ListQuery) -> Result<RecordPage, StoreError>;

    /// Changes with a sequence greater than `after`, oldest first, at most `limit`.
    async fn changes_after(&self, after: i64, limit: usize) -> Result<Vec<Change>, StoreError>;

    /// The newest committed sequence number, updated after every commit.
    fn sequence(&self) -> watch::Receiver<i64>;

    /// This store's own commits as they happen, each sent before
    /// [`RecordStore::sequence`] moves past it, so an in-process follower
    /// can take them without reading them back. Commits of other processes
    /// never come here: followers still read the change log when the
    /// sequence runs ahead of what this channel gave them.
    fn committed(&self) -> broadcast::Receiver<CommittedChanges>;

    async fn insert_token(&self, token: TokenRecord) -> Result<(), StoreError>;

    /// Marks a token revoked; false when no such token exists.
    async fn revoke_token(&self, token_id: &str) -> Result<bool, StoreError>;

    /// All tokens, or those of one organization.
    async fn list_tokens(&self, organization_id: Option<&str>) -> Result<Vec<TokenRecord>, StoreError>;

    /// Counts records of a kind, for readiness checks and statistics.
    async fn count(&self, kind: RecordKind) -> Result<u64, StoreError>;

    /// Counts active records of a kind that carry every tag (see `Taxonomy::filter_tags`).
    async fn count_tagged(&self, kind: RecordKind, tags: &[Tag]) -> Result<u64, StoreError>;

    /// Like [`RecordStore::count_tagged`], counting only the private needs
    /// `private_needs` lets through: the figure a non-admin may read. The
    /// default pages through [`RecordStore::list`]; stores override it with
    /// one counting query.
    async fn count_visible(
        &self,
        kind: RecordKind,
        tags: &[Tag],
        private_needs: &PrivateNeeds,
    ) -> Result<u64, StoreError> {
        let mut query = ListQuery {
            kind,
            organization_id: None,
            tags: tags.to_vec(),
            status: Some(RecordStatus::Active),
            include_archived: false,
            private_needs: private_needs.clone(),
            hide_anonymous: false,
            after_cursor: 0,
            limit: 500,
        };
        let mut total = 0u64;
        loop {
            let page = self.list(&query).await?;
            total += page.records.len() as u64;
            match page.next_cursor {
                Some(cursor) => query.after_cursor = cursor,
                None => return Ok(total),
            }
        }
    }
}
