//! How leads reach agencies: one trait, two backends.
//!
//! The store is the source of truth for every lead and its lifecycle; a
//! backend only decides *which lead ids* a subscriber of an agency is handed
//! and *when*. The domain service then re-reads each lead, skips what is no
//! longer deliverable, counts the attempt and writes it to the stream.
//!
//! - [`embedded::EmbeddedDelivery`] (default): reads deliverable leads from
//!   the store and wakes subscribers in-process when a lead is stored.
//! - [`redis::RedisDelivery`]: one Redis Stream per agency with a consumer
//!   group; an outbox publisher, acknowledgment by XACK, reclaiming of
//!   entries from consumers that went away (XAUTOCLAIM).
//!
//! Both guarantee at-least-once delivery of every open lead to a subscriber
//! of its agency; lead ids are stable, so a redelivery is recognizable.

pub mod embedded;
pub mod redis;

use std::pin::Pin;

use async_trait::async_trait;
use futures::Stream;
use tokio::sync::watch;

use crate::model::Lead;

/// Lead ids for one subscriber, in the order they should be delivered. Ends
/// only when the backend shuts down; dropping it ends the subscription.
pub type Candidates = Pin<Box<dyn Stream<Item = String> + Send>>;

/// Why a backend cannot serve a call.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Misconfigured or unreachable.
    #[error("the delivery backend is unavailable: {0}")]
    Unavailable(String),
}

/// A way of getting leads to agencies; see the module documentation.
#[async_trait]
pub trait DeliveryBackend: Send + Sync + std::fmt::Debug + 'static {
    /// A short name for logs and benchmarks ("embedded", "redis").
    fn name(&self) -> &'static str;

    /// A new lead was committed to the store: make it deliverable.
    fn lead_stored(&self, lead: &Lead);

    /// Opens a subscription for one consumer of an agency: first the leads
    /// delivered to that consumer before and never acknowledged, then new
    /// ones. `consumer` identifies the subscriber across reconnects (the
    /// token id), so a restarted client gets its unacknowledged leads first.
    async fn subscribe(&self, agency_organization_id: &str, consumer: &str) -> Result<Candidates, DeliveryError>;

    /// The lead needs no more delivery (acknowledged, answered, expired).
    /// Best effort: a backend that cannot settle now catches up later.
    async fn settle(&self, lead: &Lead);

    /// True while the backend can deliver; health follows it.
    fn readiness(&self) -> watch::Receiver<bool>;

    /// Leads handed to subscribers of the agency and not acknowledged yet,
    /// as the backend counts them (Redis: the consumer group's XPENDING).
    async fn pending(&self, agency_organization_id: &str) -> Result<u64, DeliveryError>;
}
