//! How items reach their recipients: one trait, two backends, for every kind
//! of delivered item — leads to agencies and notifications to organizations.
//!
//! The store is the source of truth for every item and its state; a backend
//! only decides *which item ids* a subscriber of a recipient is handed and
//! *when*. The domain service then re-reads each item, skips what is no
//! longer deliverable, counts the attempt and writes it to the stream.
//!
//! - [`embedded::EmbeddedDelivery`] (default): reads deliverable items from
//!   the store and wakes subscribers in-process when an item is stored.
//! - [`redis::RedisDelivery`]: one Redis Stream per recipient with a consumer
//!   group; an outbox publisher, acknowledgment by XACK, reclaiming of
//!   entries from consumers that went away (XAUTOCLAIM).
//!
//! Both guarantee at-least-once delivery of every open item to a subscriber
//! of its recipient; ids are stable, so a redelivery is recognizable. What a
//! backend needs of an item is [`Deliverable`]; of its store, [`Outbox`].

pub mod embedded;
pub mod redis;

use std::pin::Pin;

use async_trait::async_trait;
use futures::Stream;
use tokio::sync::watch;

use crate::{model::Lead, store::StoreError};

/// Item ids for one subscriber, in the order they should be delivered. Ends
/// only when the backend shuts down; dropping it ends the subscription.
pub type Candidates = Pin<Box<dyn Stream<Item = String> + Send>>;

/// Why a backend cannot serve a call.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Misconfigured or unreachable.
    #[error("the delivery backend is unavailable: {0}")]
    Unavailable(String),
}

/// What a backend needs to know of a delivered item.
pub trait Deliverable: Clone + Send + Sync + std::fmt::Debug + 'static {
    /// The stable id: a redelivery carries the same one.
    fn delivery_id(&self) -> &str;
    /// The organization whose subscribers receive it.
    fn recipient(&self) -> &str;
    /// True while the item should (still) be sent at `now_ms`.
    fn is_deliverable(&self, now_ms: i64) -> bool;
}

impl Deliverable for Lead {
    fn delivery_id(&self) -> &str {
        &self.id
    }

    fn recipient(&self) -> &str {
        &self.agency_organization_id
    }

    fn is_deliverable(&self, now_ms: i64) -> bool {
        Lead::is_deliverable(self, now_ms)
    }
}

/// An item and the external log entry it was published as.
#[derive(Debug, Clone, PartialEq)]
pub struct Published<T = Lead> {
    pub item: T,
    pub entry_id: String,
}

/// The delivery bookkeeping a store of items keeps for the backends: which
/// items are deliverable, and for backends with an external log (Redis
/// Streams) which items still need publishing and which published entries
/// still need settling (XACK) once an item needs no more delivery.
#[async_trait]
pub trait Outbox<T: Deliverable>: Send + Sync + std::fmt::Debug + 'static {
    async fn item(&self, id: &str) -> Result<Option<T>, StoreError>;

    /// The recipient's deliverable items stored after position `after`,
    /// oldest first, with their positions.
    async fn deliverable(
        &self,
        recipient: &str,
        after: i64,
        now_ms: i64,
        limit: u32,
    ) -> Result<Vec<(i64, T)>, StoreError>;

    /// Items delivered at least once and not yet acknowledged.
    async fn count_unacknowledged(&self, recipient: &str) -> Result<u64, StoreError>;

    /// Deliverable items not yet published to the external log, oldest first.
    async fn unpublished(&self, now_ms: i64, limit: u32) -> Result<Vec<T>, StoreError>;

    /// Records that each item was published as the entry; only the first
    /// publication of an item counts (false: another entry was recorded
    /// first; recording the same entry again is true).
    async fn mark_published(&self, entries: &[(String, String)]) -> Result<Vec<bool>, StoreError>;

    /// The entry the item was published as, if any.
    async fn published_entry(&self, id: &str) -> Result<Option<String>, StoreError>;

    /// Published items that are still open, after position `after`, oldest
    /// first: what an external log must still hold.
    async fn published_open(&self, after: i64, limit: u32) -> Result<Vec<(i64, Published<T>)>, StoreError>;

    /// Forgets the publication (the log lost the entry) so the item is published again.
    async fn clear_published(&self, id: &str, entry_id: &str) -> Result<(), StoreError>;

    /// Published items that need no more delivery whose entry was not settled yet.
    async fn unsettled(&self, limit: u32) -> Result<Vec<Published<T>>, StoreError>;

    /// Records that the entry was settled (acknowledged in the log).
    async fn mark_settled(&self, id: &str, entry_id: &str) -> Result<(), StoreError>;
}

/// A way of getting items to their recipients; see the module documentation.
#[async_trait]
pub trait DeliveryBackend<T: Deliverable = Lead>: Send + Sync + std::fmt::Debug + 'static {
    /// A short name for logs and benchmarks ("embedded", "redis").
    fn name(&self) -> &'static str;

    /// A new item was committed to the store: make it deliverable.
    fn stored(&self, item: &T);

    /// Opens a subscription for one consumer of a recipient: first the items
    /// delivered to that consumer before and never acknowledged, then new
    /// ones. `consumer` identifies the subscriber across reconnects (the
    /// token id), so a restarted client gets its unacknowledged items first.
    async fn subscribe(&self, recipient: &str, consumer: &str) -> Result<Candidates, DeliveryError>;

    /// The item needs no more delivery (acknowledged, answered, expired).
    /// Best effort: a backend that cannot settle now catches up later.
    async fn settle(&self, item: &T);

    /// True while the backend can deliver; health follows it.
    fn readiness(&self) -> watch::Receiver<bool>;

    /// Items handed to subscribers of the recipient and not acknowledged yet,
    /// as the backend counts them (Redis: the consumer group's XPENDING).
    async fn pending(&self, recipient: &str) -> Result<u64, DeliveryError>;
}
