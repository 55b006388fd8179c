//! Delivery through Redis Streams: one stream per recipient and topic
//! (`{prefix}:leads:{agency_organization_id}` read through the consumer group
//! [`GROUP`]; `{prefix}:notifications:{organization_id}` through
//! [`NOTIFICATION_STREAMS`]'s), one consumer per subscriber identity (the
//! token id). Leads are the example below; notifications go the same way.
//!
//! - **Outbox.** The store stays the source of truth. A publisher task
//!   XADDs every open lead the store has not recorded as published and then
//!   records the entry id; a lead stored while Redis is down waits in the
//!   store and is published when Redis answers again.
//! - **Reading.** A subscriber first drains its own pending list (XREADGROUP
//!   from id `0`: entries it was handed before and never acknowledged), then
//!   blocks for new entries (`>`). Entries are acknowledged (XACK) only when
//!   the agency acknowledges or answers the lead, never when written to the
//!   gRPC stream, so a crash anywhere redelivers.
//! - **Reclaiming.** Each subscriber periodically XAUTOCLAIMs entries idle
//!   longer than the configured minimum, taking over what consumers that
//!   went away were holding.
//! - **Idempotence.** Every entry is vetted against the store: an entry of a
//!   lead that needs no more delivery is acknowledged and skipped, and a
//!   second entry for the same lead (a publish retried after a crash) is
//!   acknowledged and deleted, so a redelivery never shows as two leads.
//! - **Losing Redis.** Health pings mark the backend not ready while Redis
//!   does not answer. When it answers again (or restarted, seen by a new
//!   `run_id`, or a group vanished), the publisher reconciles: every open
//!   published lead whose entry is gone is published again. Streams are never
//!   trimmed (no MAXLEN): trimming could drop entries still pending.

use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use innomatch_core::{config::LeadsSettings, retry::RetryDelays};
use redis::{
    AsyncConnectionConfig, Client, RedisError, Value,
    aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection},
};
use tokio::{
    sync::{Notify, mpsc, watch},
    time::Instant,
};
use tokio_stream::wrappers::ReceiverStream;

use super::{Candidates, DeliveryBackend, DeliveryError};
use crate::{
    clock::Clock,
    delivery::{Deliverable, Outbox},
    model::Lead,
    store::{LeadStore, StoreError},
    tasks::TaskSet,
};

/// The consumer group every agency stream is read through.
pub const GROUP: &str = "innomatch-leads";

/// The one field of a lead stream entry: the lead id (the store has the rest).
const LEAD_FIELD: &str = "lead";

/// Which streams, group and entry field a kind of item travels in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamNames {
    /// The middle part of the stream key: `{prefix}:{topic}:{recipient}`.
    pub topic: &'static str,
    pub group: &'static str,
    /// The entry's one field, holding the item id.
    pub field: &'static str,
}

/// The streams of leads.
pub const LEAD_STREAMS: StreamNames = StreamNames { topic: "leads", group: GROUP, field: LEAD_FIELD };

/// The streams of notifications.
pub const NOTIFICATION_STREAMS: StreamNames =
    StreamNames { topic: "notifications", group: "innomatch-notifications", field: "notification" };

/// Entries one read, claim or publish round handles at most.
const BATCH: usize = 100;

/// How often the publisher looks at the outbox without being nudged.
const OUTBOX_POLL: Duration = Duration::from_secs(1);

/// How long a health probe or a non-blocking command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// Added to the BLOCK time for a subscriber's response timeout: the client
/// must wait longer than the server blocks, or every idle read would fail.
const BLOCK_MARGIN: Duration = Duration::from_secs(5);

/// Reconnect back-off of a subscriber.
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// The stream key of an agency.
pub fn stream_key(prefix: &str, agency_organization_id: &str) -> String {
    format!("{prefix}:leads:{agency_organization_id}")
}

/// Timings of the Redis backend, from [`LeadsSettings`].
#[derive(Debug, Clone)]
pub struct RedisTimings {
    /// Stream keys are `{key_prefix}:leads:{agency}`.
    pub key_prefix: String,
    /// How long one XREADGROUP blocks.
    pub block: Duration,
    /// Entries idle this long are reclaimed from their consumer.
    pub claim_min_idle: Duration,
    /// How often a subscriber reclaims.
    pub claim_interval: Duration,
    /// How often Redis is probed.
    pub health_interval: Duration,
}

impl From<&LeadsSettings> for RedisTimings {
    fn from(s: &LeadsSettings) -> Self {
        Self {
            key_prefix: s.redis_key_prefix.clone(),
            block: Duration::from_millis(s.redis_block_ms.max(1)),
            claim_min_idle: Duration::from_millis(s.redis_claim_min_idle_ms),
            claim_interval: Duration::from_millis(s.redis_claim_interval_ms.max(1)),
            health_interval: Duration::from_millis(s.redis_health_interval_ms.max(1)),
        }
    }
}

/// Delivery through Redis Streams; see the module documentation.
pub struct RedisDelivery<T: Deliverable = Lead> {
    shared: Arc<Shared<T>>,
    _tasks: TaskSet,
}

impl<T: Deliverable> std::fmt::Debug for RedisDelivery<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisDelivery").field("key_prefix", &self.shared.timings.key_prefix).finish_non_exhaustive()
    }
}

struct Shared<T: Deliverable> {
    client: Client,
    /// For short commands (publish, ack, claim bookkeeping, health); never BLOCKs.
    conn: ConnectionManager,
    store: Arc<dyn Outbox<T>>,
    names: StreamNames,
    clock: Arc<dyn Clock>,
    timings: RedisTimings,
    ready: watch::Sender<bool>,
    /// Wakes the publisher: an item was stored or needs settling.
    outbox: Notify,
    /// Set when Redis may have lost entries (restart, outage, missing group).
    reconcile: AtomicBool,
}

/// Failures of one backend round: Redis or the store.
#[derive(Debug, thiserror::Error)]
enum RoundError {
    #[error("redis: {0}")]
    Redis(#[from] RedisError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
}

impl RoundError {
    fn is_missing_group(&self) -> bool {
        matches!(self, RoundError::Redis(e) if e.code() == Some("NOGROUP"))
    }
}

async fn timed<T>(
    limit: Duration,
    future: impl std::future::Future<Output = Result<T, RedisError>>,
) -> Result<T, RoundError> {
    tokio::time::timeout(limit, future).await.map_err(|_| RoundError::Timeout(limit))?.map_err(RoundError::from)
}

impl RedisDelivery<Lead> {
    /// Lead delivery; see [`RedisDelivery::over`].
    pub fn new(
        url: &str,
        store: Arc<dyn LeadStore>,
        clock: Arc<dyn Clock>,
        timings: RedisTimings,
    ) -> Result<Self, DeliveryError> {
        Self::over(url, store, clock, timings, LEAD_STREAMS)
    }
}

impl<T: Deliverable> RedisDelivery<T> {
    /// Connects lazily to `url` (a malformed URL is an error; an unreachable
    /// server is not: the backend reports not ready and catches up later)
    /// and starts the publisher and the health probe, for the items of
    /// `store` in the streams `names`.
    pub fn over(
        url: &str,
        store: Arc<dyn Outbox<T>>,
        clock: Arc<dyn Clock>,
        timings: RedisTimings,
        names: StreamNames,
    ) -> Result<Self, DeliveryError> {
        let client = Client::open(url).map_err(|e| DeliveryError::Unavailable(format!("invalid redis url: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)
            .map_err(|e| DeliveryError::Unavailable(e.to_string()))?;
        let shared = Arc::new(Shared {
            client,
            conn,
            store,
            names,
            clock,
            timings,
            ready: watch::channel(false).0,
            outbox: Notify::new(),
            reconcile: AtomicBool::new(true),
        });
        let tasks = TaskSet::default();
        tasks.spawn(probe_health(Arc::clone(&shared)));
        tasks.spawn(publish(Arc::clone(&shared)));
        Ok(Self { shared, _tasks: tasks })
    }
}

impl<T: Deliverable> Shared<T> {
    fn key(&self, recipient: &str) -> String {
        format!("{}:{}:{recipient}", self.timings.key_prefix, self.names.topic)
    }

    fn set_ready(&self, ready: bool) {
        let changed = self.ready.send_if_modified(|current| std::mem::replace(current, ready) != ready);
        if changed {
            if ready {
                tracing::info!(topic = self.names.topic, "redis answers again; delivery resumes");
                self.request_reconcile();
            } else {
                tracing::warn!(topic = self.names.topic, "redis does not answer; items wait in the store");
            }
        }
    }

    fn request_reconcile(&self) {
        self.reconcile.store(true, Ordering::SeqCst);
        self.outbox.notify_one();
    }

    /// Creates the agency's stream and group unless they exist. The group
    /// starts at `0` so entries added before it existed are read too.
    async fn ensure_group(&self, conn: &mut impl redis::aio::ConnectionLike, key: &str) -> Result<(), RoundError> {
        let created = timed(
            COMMAND_TIMEOUT,
            redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(key)
                .arg(self.names.group)
                .arg("0")
                .arg("MKSTREAM")
                .query_async::<()>(conn),
        )
        .await;
        match created {
            Err(RoundError::Redis(e)) if e.code() == Some("BUSYGROUP") => Ok(()),
            other => other,
        }
    }

    /// Publishes every open lead the store has not recorded as published.
    async fn publish_outbox(&self, groups: &mut HashSet<String>) -> Result<usize, RoundError> {
        let mut published = 0;
        loop {
            let batch = self.store.unpublished(self.clock.now_ms(), BATCH as u32).await?;
            if batch.is_empty() {
                return Ok(published);
            }
            let mut conn = self.conn.clone();
            let keys: Vec<String> = batch.iter().map(|item| self.key(item.recipient())).collect();
            for key in &keys {
                if !groups.contains(key) {
                    self.ensure_group(&mut conn, key).await?;
                    groups.insert(key.clone());
                }
            }
            let mut pipe = redis::pipe();
            for (item, key) in batch.iter().zip(&keys) {
                pipe.cmd("XADD").arg(key).arg("*").arg(self.names.field).arg(item.delivery_id());
            }
            let entry_ids: Vec<String> = timed(COMMAND_TIMEOUT, pipe.query_async(&mut conn)).await?;
            let pairs: Vec<(String, String)> =
                batch.iter().map(|item| item.delivery_id().to_owned()).zip(entry_ids).collect();
            let recorded = self.store.mark_published(&pairs).await?;
            for (((lead_id, entry_id), key), first) in pairs.iter().zip(&keys).zip(recorded) {
                if !first {
                    // A subscriber adopted an older entry of this lead (left by
                    // a publish that crashed before recording it): ours is a duplicate.
                    tracing::debug!(lead_id, entry_id, "dropping a duplicate stream entry");
                    timed(COMMAND_TIMEOUT, redis::cmd("XDEL").arg(key).arg(entry_id).query_async::<()>(&mut conn))
                        .await?;
                }
            }
            published += pairs.len();
            if batch.len() < BATCH {
                return Ok(published);
            }
        }
    }

    /// Acknowledges the entries of leads that need no more delivery.
    async fn settle_outbox(&self) -> Result<(), RoundError> {
        loop {
            let batch = self.store.unsettled(BATCH as u32).await?;
            if batch.is_empty() {
                return Ok(());
            }
            let mut pipe = redis::pipe();
            for p in &batch {
                pipe.cmd("XACK").arg(self.key(p.item.recipient())).arg(self.names.group).arg(&p.entry_id).ignore();
            }
            let mut conn = self.conn.clone();
            timed(COMMAND_TIMEOUT, pipe.query_async::<()>(&mut conn)).await?;
            for p in &batch {
                self.store.mark_settled(p.item.delivery_id(), &p.entry_id).await?;
            }
            if batch.len() < BATCH {
                return Ok(());
            }
        }
    }

    /// Finds open published leads whose entry Redis no longer has (it
    /// restarted without persistence, or the key was deleted) and forgets
    /// their publication so the outbox publishes them again.
    async fn reconcile(&self) -> Result<usize, RoundError> {
        let mut after = 0;
        let mut lost = 0;
        loop {
            let batch = self.store.published_open(after, BATCH as u32).await?;
            let Some((last, _)) = batch.last() else {
                return Ok(lost);
            };
            after = *last;
            let mut pipe = redis::pipe();
            for (_, p) in &batch {
                pipe.cmd("XRANGE").arg(self.key(p.item.recipient())).arg(&p.entry_id).arg(&p.entry_id);
            }
            let mut conn = self.conn.clone();
            let found: Vec<Value> = timed(COMMAND_TIMEOUT, pipe.query_async(&mut conn)).await?;
            for ((_, p), entries) in batch.iter().zip(found) {
                if parse_entries(&entries, self.names.field).is_empty() {
                    self.store.clear_published(p.item.delivery_id(), &p.entry_id).await?;
                    lost += 1;
                }
            }
            if batch.len() < BATCH {
                return Ok(lost);
            }
        }
    }

    /// Decides whether a stream entry should reach the subscriber: `Some`
    /// with the lead id, or `None` after acknowledging (and, for duplicates,
    /// deleting) an entry that must not be delivered.
    async fn vet(&self, agency: &str, key: &str, entry: Entry) -> Result<Option<String>, RoundError> {
        let mut conn = self.conn.clone();
        let Some(lead_id) = entry.lead_id else {
            // Deleted (a dropped duplicate still pending) or not ours.
            self.discard(&mut conn, key, &entry.id, true).await?;
            return Ok(None);
        };
        let lead = match self.store.item(&lead_id).await? {
            Some(item) if item.recipient() == agency => item,
            _ => {
                self.discard(&mut conn, key, &entry.id, false).await?;
                return Ok(None);
            }
        };
        if !lead.is_deliverable(self.clock.now_ms()) {
            self.discard(&mut conn, key, &entry.id, false).await?;
            self.store.mark_settled(lead.delivery_id(), &entry.id).await?;
            return Ok(None);
        }
        let canonical = match self.store.published_entry(lead.delivery_id()).await? {
            Some(recorded) => recorded == entry.id,
            // Published by a run that crashed before recording it: adopt it.
            None => {
                let entry = [(lead.delivery_id().to_owned(), entry.id.clone())];
                self.store.mark_published(&entry).await?.first() == Some(&true)
            }
        };
        if canonical {
            Ok(Some(lead_id))
        } else {
            self.discard(&mut conn, key, &entry.id, true).await?;
            Ok(None)
        }
    }

    async fn discard(
        &self,
        conn: &mut ConnectionManager,
        key: &str,
        entry_id: &str,
        delete: bool,
    ) -> Result<(), RoundError> {
        let mut pipe = redis::pipe();
        pipe.cmd("XACK").arg(key).arg(self.names.group).arg(entry_id).ignore();
        if delete {
            pipe.cmd("XDEL").arg(key).arg(entry_id).ignore();
        }
        timed(COMMAND_TIMEOUT, pipe.query_async::<()>(conn)).await
    }
}

/// Pings Redis (INFO, for its run id) and keeps readiness up to date; a new
/// run id means Redis restarted and may have lost everything.
async fn probe_health<T: Deliverable>(shared: Arc<Shared<T>>) {
    let mut run_id: Option<String> = None;
    loop {
        let mut conn = shared.conn.clone();
        let probe = timed(COMMAND_TIMEOUT, redis::cmd("INFO").arg("server").query_async::<String>(&mut conn)).await;
        match probe {
            Ok(info) => {
                let current = info.lines().find_map(|l| l.strip_prefix("run_id:")).map(|s| s.trim().to_owned());
                if run_id.is_some() && current.is_some() && run_id != current {
                    tracing::warn!("redis restarted; checking which leads it lost");
                    shared.request_reconcile();
                }
                if current.is_some() {
                    run_id = current;
                }
                shared.set_ready(true);
            }
            Err(error) => {
                tracing::debug!(%error, "redis health probe failed");
                shared.set_ready(false);
            }
        }
        tokio::time::sleep(shared.timings.health_interval).await;
    }
}

/// The outbox publisher: publishes stored leads, settles answered ones and
/// reconciles after Redis was away.
async fn publish<T: Deliverable>(shared: Arc<Shared<T>>) {
    let mut ready = shared.ready.subscribe();
    let mut groups = HashSet::new();
    loop {
        tokio::select! {
            _ = shared.outbox.notified() => {}
            _ = ready.changed() => {}
            _ = tokio::time::sleep(OUTBOX_POLL) => {}
        }
        if !*ready.borrow_and_update() {
            continue;
        }
        if shared.reconcile.swap(false, Ordering::SeqCst) {
            groups.clear();
            match shared.reconcile().await {
                Ok(0) => {}
                Ok(lost) => tracing::warn!(lost, "redis lost published leads; publishing them again"),
                Err(error) => {
                    tracing::warn!(%error, "reconciling lead streams failed; retrying");
                    shared.reconcile.store(true, Ordering::SeqCst);
                    continue;
                }
            }
        }
        let round = async {
            let published = shared.publish_outbox(&mut groups).await?;
            shared.settle_outbox().await?;
            Ok::<_, RoundError>(published)
        };
        match round.await {
            Ok(0) => {}
            Ok(published) => tracing::debug!(published, "leads published to redis"),
            Err(error) => {
                tracing::warn!(%error, "publishing leads failed; they stay in the outbox");
                if error.is_missing_group() {
                    groups.clear();
                }
                shared.reconcile.store(true, Ordering::SeqCst);
            }
        }
    }
}

/// One stream entry: its id and the lead it names (`None` when deleted).
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    id: String,
    lead_id: Option<String>,
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        _ => None,
    }
}

/// Entries of an XRANGE-style array: `[[id, [field, value, …] | nil], …]`,
/// naming an item in `field`.
fn parse_entries(value: &Value, field: &str) -> Vec<Entry> {
    let Value::Array(items) = value else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let Value::Array(pair) = item else {
                return None;
            };
            let id = text(pair.first()?)?;
            let lead_id = match pair.get(1) {
                Some(Value::Array(fields)) => fields
                    .chunks(2)
                    .find(|kv| text(&kv[0]).as_deref() == Some(field))
                    .and_then(|kv| kv.get(1))
                    .and_then(text),
                _ => None,
            };
            Some(Entry { id, lead_id })
        })
        .collect()
}

/// Entries of an XREADGROUP reply for one stream (nil when BLOCK timed out).
fn parse_read(value: &Value, field: &str) -> Vec<Entry> {
    match value {
        Value::Array(streams) => streams
            .iter()
            .flat_map(|stream| match stream {
                Value::Array(pair) => pair.get(1).map(|entries| parse_entries(entries, field)).unwrap_or_default(),
                _ => Vec::new(),
            })
            .collect(),
        Value::Map(streams) => streams.iter().flat_map(|(_, entries)| parse_entries(entries, field)).collect(),
        _ => Vec::new(),
    }
}

/// One subscriber's reading loop; ends when the receiver is dropped.
struct Reader<T: Deliverable> {
    shared: Arc<Shared<T>>,
    agency: String,
    consumer: String,
    key: String,
    tx: mpsc::Sender<String>,
    conn: Option<MultiplexedConnection>,
    /// `Some(id)`: draining our own pending list after `id`; `None`: new entries.
    pending_after: Option<String>,
    next_claim: Instant,
}

enum Step {
    Entries(Vec<Entry>),
    Closed,
}

/// Waits between reconnection attempts: doubling from [`MIN_BACKOFF`] to
/// [`MAX_BACKOFF`] with jitter, for as long as Redis stays away; a successful
/// read starts over.
fn reconnect_delays() -> RetryDelays {
    RetryDelays::new(MIN_BACKOFF, MAX_BACKOFF)
}

impl<T: Deliverable> Reader<T> {
    async fn connect(&self) -> Result<MultiplexedConnection, RoundError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(self.shared.timings.block + BLOCK_MARGIN));
        timed(COMMAND_TIMEOUT, self.shared.client.get_multiplexed_async_connection_with_config(&config)).await
    }

    async fn run(mut self) {
        let mut backoff = reconnect_delays();
        while !self.tx.is_closed() {
            match self.step().await {
                Ok(Step::Closed) => return,
                Ok(Step::Entries(entries)) => {
                    backoff.reset();
                    for entry in entries {
                        match self.shared.vet(&self.agency, &self.key, entry).await {
                            Ok(Some(lead_id)) => {
                                if self.tx.send(lead_id).await.is_err() {
                                    return;
                                }
                            }
                            Ok(None) => {}
                            // Left pending: the next drain of our pending list retries it.
                            Err(error) => tracing::warn!(%error, "checking a stream entry failed"),
                        }
                    }
                }
                Err(error) if error.is_missing_group() => {
                    // The stream or its group vanished (Redis restarted empty):
                    // recreate them and have the publisher re-publish what was lost.
                    tracing::warn!(key = %self.key, "lead stream group missing; recreating it");
                    if let Some(conn) = self.conn.as_mut()
                        && let Err(error) = self.shared.ensure_group(conn, &self.key).await
                    {
                        tracing::warn!(%error, "recreating the lead stream group failed");
                        self.conn = None;
                    }
                    self.shared.request_reconcile();
                    self.pending_after = Some("0".into());
                }
                Err(error) => {
                    tracing::debug!(%error, key = %self.key, "reading the lead stream failed; reconnecting");
                    self.conn = None;
                    self.pending_after = Some("0".into());
                    tokio::select! {
                        _ = tokio::time::sleep(backoff.next_delay()) => {}
                        _ = self.tx.closed() => return,
                    }
                }
            }
        }
    }

    async fn step(&mut self) -> Result<Step, RoundError> {
        if self.conn.is_none() {
            let mut conn = self.connect().await?;
            self.shared.ensure_group(&mut conn, &self.key).await?;
            self.conn = Some(conn);
        }
        let timings = &self.shared.timings;
        let StreamNames { group, field, .. } = self.shared.names;
        let Some(conn) = self.conn.as_mut() else {
            return Ok(Step::Entries(Vec::new()));
        };
        if Instant::now() >= self.next_claim {
            self.next_claim = Instant::now() + timings.claim_interval;
            let claimed = claim(conn, &self.key, self.shared.names, &self.consumer, timings.claim_min_idle).await?;
            if !claimed.is_empty() {
                return Ok(Step::Entries(claimed));
            }
        }
        if let Some(after) = &self.pending_after {
            let reply: Value = timed(
                COMMAND_TIMEOUT,
                redis::cmd("XREADGROUP")
                    .arg("GROUP")
                    .arg(group)
                    .arg(&self.consumer)
                    .arg("COUNT")
                    .arg(BATCH)
                    .arg("STREAMS")
                    .arg(&self.key)
                    .arg(after)
                    .query_async(conn),
            )
            .await?;
            let entries = parse_read(&reply, field);
            self.pending_after = entries.last().map(|e| e.id.clone());
            return Ok(Step::Entries(entries));
        }
        // Block at most until the next reclaim is due.
        let block =
            timings.block.min(self.next_claim.saturating_duration_since(Instant::now())).max(Duration::from_millis(1));
        let mut command = redis::cmd("XREADGROUP");
        command
            .arg("GROUP")
            .arg(group)
            .arg(&self.consumer)
            .arg("COUNT")
            .arg(BATCH)
            .arg("BLOCK")
            .arg(block.as_millis() as u64)
            .arg("STREAMS")
            .arg(&self.key)
            .arg(">");
        let read = command.query_async::<Value>(conn);
        tokio::select! {
            reply = timed(block + BLOCK_MARGIN, read) => Ok(Step::Entries(parse_read(&reply?, field))),
            // The subscriber went away while we were blocked.
            _ = self.tx.closed() => Ok(Step::Closed),
        }
    }
}

/// XAUTOCLAIMs entries idle longer than `min_idle` for `consumer`.
async fn claim(
    conn: &mut MultiplexedConnection,
    key: &str,
    names: StreamNames,
    consumer: &str,
    min_idle: Duration,
) -> Result<Vec<Entry>, RoundError> {
    let mut claimed = Vec::new();
    let mut start = "0-0".to_owned();
    // Bounded: a huge backlog is taken over a few rounds, not in one go.
    for _ in 0..10 {
        let reply: Value = timed(
            COMMAND_TIMEOUT,
            redis::cmd("XAUTOCLAIM")
                .arg(key)
                .arg(names.group)
                .arg(consumer)
                .arg(min_idle.as_millis() as u64)
                .arg(&start)
                .arg("COUNT")
                .arg(BATCH)
                .query_async(conn),
        )
        .await?;
        let Value::Array(parts) = reply else {
            break;
        };
        let next = parts.first().and_then(text).unwrap_or_else(|| "0-0".into());
        if let Some(entries) = parts.get(1) {
            claimed.extend(parse_entries(entries, names.field));
        }
        if next == "0-0" {
            break;
        }
        start = next;
    }
    if !claimed.is_empty() {
        tracing::info!(key, consumer, claimed = claimed.len(), "reclaimed idle lead entries");
    }
    Ok(claimed)
}

#[async_trait]
impl<T: Deliverable> DeliveryBackend<T> for RedisDelivery<T> {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn stored(&self, _item: &T) {
        self.shared.outbox.notify_one();
    }

    async fn subscribe(&self, agency_organization_id: &str, consumer: &str) -> Result<Candidates, DeliveryError> {
        let (tx, rx) = mpsc::channel(BATCH);
        let reader = Reader {
            shared: Arc::clone(&self.shared),
            agency: agency_organization_id.to_owned(),
            consumer: consumer.to_owned(),
            key: self.shared.key(agency_organization_id),
            tx,
            conn: None,
            pending_after: Some("0".into()),
            next_claim: Instant::now(),
        };
        // The reader ends by itself once the receiver (the subscription) is dropped.
        tokio::spawn(reader.run());
        Ok(Box::pin(ReceiverStream::new(rx)))
    }

    async fn settle(&self, lead: &T) {
        let shared = &self.shared;
        let settled = async {
            let Some(entry_id) = shared.store.published_entry(lead.delivery_id()).await? else {
                return Ok(());
            };
            let mut conn = shared.conn.clone();
            timed(
                COMMAND_TIMEOUT,
                redis::cmd("XACK")
                    .arg(shared.key(lead.recipient()))
                    .arg(shared.names.group)
                    .arg(&entry_id)
                    .query_async::<()>(&mut conn),
            )
            .await?;
            shared.store.mark_settled(lead.delivery_id(), &entry_id).await?;
            Ok::<_, RoundError>(())
        };
        if let Err(error) = settled.await {
            // The publisher's settle round retries from the store.
            tracing::debug!(%error, id = lead.delivery_id(), "acknowledging the stream entry failed; will retry");
            shared.outbox.notify_one();
        }
    }

    fn readiness(&self) -> watch::Receiver<bool> {
        self.shared.ready.subscribe()
    }

    async fn pending(&self, agency_organization_id: &str) -> Result<u64, DeliveryError> {
        let mut conn = self.shared.conn.clone();
        let reply = timed(
            COMMAND_TIMEOUT,
            redis::cmd("XPENDING")
                .arg(self.shared.key(agency_organization_id))
                .arg(self.shared.names.group)
                .query_async::<Value>(&mut conn),
        )
        .await;
        match reply {
            Ok(Value::Array(summary)) => match summary.first() {
                Some(Value::Int(n)) => Ok((*n).max(0) as u64),
                _ => Ok(0),
            },
            Ok(_) => Ok(0),
            Err(e) if e.is_missing_group() => Ok(0),
            Err(e) => Err(DeliveryError::Unavailable(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn stream_replies_parse_including_deleted_entries() {
        let reply = Value::Array(vec![Value::Array(vec![
            bulk("p:leads:org_1"),
            Value::Array(vec![
                Value::Array(vec![bulk("1-0"), Value::Array(vec![bulk("lead"), bulk("lead_abc")])]),
                Value::Array(vec![bulk("2-0"), Value::Nil]),
            ]),
        ])]);
        assert_eq!(
            parse_read(&reply, "lead"),
            [Entry { id: "1-0".into(), lead_id: Some("lead_abc".into()) }, Entry { id: "2-0".into(), lead_id: None }]
        );
        assert!(parse_read(&Value::Nil, "lead").is_empty(), "a BLOCK timeout is no entries");
    }

    #[test]
    fn keys_carry_the_prefix_and_the_agency() {
        assert_eq!(stream_key("innomatch", "org_42"), "innomatch:leads:org_42");
    }
}
