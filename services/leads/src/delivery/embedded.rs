//! In-process delivery: subscribers read deliverable items straight from the
//! store and sleep on a watch channel that every stored item bumps.
//!
//! Every live subscription of a recipient receives every open item (fan-out):
//! in one process there is no consumer that could die holding an item, so
//! there is nothing to reclaim, and a new subscription simply starts from
//! the recipient's oldest unacknowledged item.

use std::{collections::VecDeque, sync::Arc, time::Duration};

use async_trait::async_trait;
use futures::stream;
use tokio::sync::watch;

use super::{Candidates, Deliverable, DeliveryBackend, DeliveryError, Outbox};
use crate::{clock::Clock, model::Lead, store::LeadStore};

/// How many items one store read fetches for a subscriber.
const BATCH: u32 = 100;

/// How long a subscriber waits before retrying after a failed store read.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// In-process delivery straight from the store; see the module documentation.
#[derive(Debug)]
pub struct EmbeddedDelivery<T: Deliverable = Lead> {
    store: Arc<dyn Outbox<T>>,
    clock: Arc<dyn Clock>,
    /// Bumped whenever an item is stored; subscribers re-read when it moves.
    stored: watch::Sender<u64>,
    ready: watch::Sender<bool>,
}

impl EmbeddedDelivery<Lead> {
    /// Delivery of the leads in `store`; always ready.
    pub fn new(store: Arc<dyn LeadStore>, clock: Arc<dyn Clock>) -> Self {
        Self::over(store, clock)
    }
}

impl<T: Deliverable> EmbeddedDelivery<T> {
    /// Delivery of the items in `store`; always ready.
    pub fn over(store: Arc<dyn Outbox<T>>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock, stored: watch::channel(0).0, ready: watch::channel(true).0 }
    }
}

struct Subscriber<T: Deliverable> {
    store: Arc<dyn Outbox<T>>,
    clock: Arc<dyn Clock>,
    agency: String,
    wake: watch::Receiver<u64>,
    /// Items up to this store position were handed out already.
    cursor: i64,
    buffer: VecDeque<String>,
}

impl<T: Deliverable> Subscriber<T> {
    async fn next(mut self) -> Option<(String, Self)> {
        loop {
            if let Some(id) = self.buffer.pop_front() {
                return Some((id, self));
            }
            // Mark the current version seen *before* reading, so an item
            // stored during the read wakes us instead of being missed.
            self.wake.borrow_and_update();
            match self.store.deliverable(&self.agency, self.cursor, self.clock.now_ms(), BATCH).await {
                Ok(batch) if !batch.is_empty() => {
                    if let Some((pos, _)) = batch.last() {
                        self.cursor = *pos;
                    }
                    self.buffer.extend(batch.into_iter().map(|(_, item)| item.delivery_id().to_owned()));
                }
                Ok(_) => {
                    if self.wake.changed().await.is_err() {
                        return None;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, recipient = %self.agency, "reading deliverable items failed; retrying");
                    tokio::time::sleep(RETRY_AFTER).await;
                }
            }
        }
    }
}

#[async_trait]
impl<T: Deliverable> DeliveryBackend<T> for EmbeddedDelivery<T> {
    fn name(&self) -> &'static str {
        "embedded"
    }

    fn stored(&self, _item: &T) {
        self.stored.send_modify(|n| *n = n.wrapping_add(1));
    }

    async fn subscribe(&self, agency_organization_id: &str, _consumer: &str) -> Result<Candidates, DeliveryError> {
        let subscriber = Subscriber {
            store: Arc::clone(&self.store),
            clock: Arc::clone(&self.clock),
            agency: agency_organization_id.to_owned(),
            wake: self.stored.subscribe(),
            cursor: 0,
            buffer: VecDeque::new(),
        };
        Ok(Box::pin(stream::unfold(subscriber, Subscriber::next)))
    }

    async fn settle(&self, _item: &T) {
        // The store's acknowledgment and status are all the state there is.
    }

    fn readiness(&self) -> watch::Receiver<bool> {
        self.ready.subscribe()
    }

    async fn pending(&self, agency_organization_id: &str) -> Result<u64, DeliveryError> {
        self.store
            .count_unacknowledged(agency_organization_id)
            .await
            .map_err(|e| DeliveryError::Unavailable(e.to_string()))
    }
}
