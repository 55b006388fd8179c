//! The notification store contract: the source of truth for notifications
//! and their delivery state, beside the [`Outbox`] every delivered item's
//! store keeps. Implementations: [`super::sqlite::SqliteNotificationStore`]
//! (embedded) and [`super::postgres::PostgresNotificationStore`] (shared).

use async_trait::async_trait;

use super::model::{Notification, NotificationKind};
use crate::{delivery::Outbox, store::StoreError};

/// Which of an organization's notifications to list, newest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NotificationQuery {
    pub organization_id: String,
    pub unacknowledged_only: bool,
    /// Empty: every kind.
    pub kinds: Vec<NotificationKind>,
    /// Only notifications older than this cursor (from a previous page).
    pub before_cursor: Option<i64>,
    pub limit: u32,
}

/// One page of notifications.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationPage {
    pub notifications: Vec<Notification>,
    /// Present when more may follow.
    pub next_cursor: Option<i64>,
}

/// A rate-limit window whose digest is due and not made yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDigest {
    pub organization_id: String,
    pub digest_id: String,
    pub due_ms: i64,
    /// The folded notifications, oldest first.
    pub items: Vec<String>,
}

#[async_trait]
pub trait NotificationStore: Outbox<Notification> + Send + Sync + std::fmt::Debug + 'static {
    /// Stores `notification` at version 1 unless one with its id exists;
    /// returns the stored one and whether it was created.
    async fn insert_if_absent(&self, notification: Notification) -> Result<(Notification, bool), StoreError>;

    async fn get(&self, id: &str) -> Result<Option<Notification>, StoreError>;

    /// Writes `notification` if the stored version still equals its
    /// `version`; returns it at the next version.
    async fn update(&self, notification: Notification) -> Result<Notification, StoreError>;

    async fn list(&self, query: &NotificationQuery) -> Result<NotificationPage, StoreError>;

    /// Notifications of the organization created at or after `since_ms` that
    /// were not folded into a digest: what the rate limit counts.
    async fn count_standalone_since(&self, organization_id: &str, since_ms: i64) -> Result<u64, StoreError>;

    /// Digests due at `now_ms` (their window ended) that were not stored yet.
    async fn due_digests(&self, now_ms: i64, limit: u32) -> Result<Vec<DueDigest>, StoreError>;
}
