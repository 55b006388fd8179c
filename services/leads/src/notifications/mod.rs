//! Notifications to every side, through one stream per organization, on the
//! same delivery backends as leads ([`crate::delivery`]: embedded, or Redis
//! Streams), at least once with acknowledgment:
//!
//! - an enterprise hears of new strong partners for its needs, of interest in
//!   its needs and of agencies' answers to leads for its needs;
//! - a university, lab or institute hears of new needs that fit its
//!   capabilities and of approvals of its interests;
//! - an agency hears of new leads.
//!
//! Producers (interests, leads, matching) hand over a [`NoticeDraft`]; this
//! service reads no catalog store. **De-duplication:** the id comes from
//! organization × kind × need × subject ([`model::notification_id`]), so the
//! same need notifies the same organization of the same thing once, however
//! often a producer repeats itself (a replayed change feed, a retry).
//! **Rate limit:** at most [`NotificationPolicy::burst`] notifications per
//! organization in each window of [`NotificationPolicy::window`]; the rest
//! are stored but folded into one digest per window, delivered when the
//! window ends (the digest lists them; `ListNotifications` shows them all).
//!
//! | file | what lives there |
//! |---|---|
//! | `model.rs` | kinds, the notification, the draft, ids |
//! | `store.rs` | the [`store::NotificationStore`] contract |
//! | `sqlite.rs`, `postgres.rs` | the contract in each database |
//! | `error.rs` | [`NotificationError`] and its mapping to gRPC statuses |
//! | `grpc.rs` | the `NotificationService` adapter |

pub mod error;
pub mod grpc;
pub mod model;
pub mod postgres;
pub mod sqlite;
pub mod store;

use std::{collections::HashSet, path::Path, pin::Pin, sync::Arc, time::Duration};

use futures::{Stream, StreamExt, stream};
use innomatch_core::{
    auth::Principal,
    config::LeadsSettings,
    edge::{FOREIGN_PAGE_TOKEN, PagePolicy, PageTokens},
    validation::Violations,
};
use tokio::sync::watch;

pub use self::error::NotificationError;
use self::{
    model::{NoticeDraft, Notification, NotificationKind, digest_id, notification_id},
    sqlite::SqliteNotificationStore,
    store::{NotificationQuery, NotificationStore},
};
use crate::{
    clock::{Clock, SystemClock},
    delivery::{
        Candidates, DeliveryBackend,
        embedded::EmbeddedDelivery,
        redis::{NOTIFICATION_STREAMS, RedisDelivery},
    },
    store::StoreError,
    tasks::TaskSet,
};

/// How often a versioned write is retried when another writer got there first.
const WRITE_ATTEMPTS: usize = 8;

/// Digests made per sweep round at most.
const DIGEST_BATCH: u32 = 100;

/// Page tokens of notification lists.
const PAGE_TOKENS: PageTokens = PageTokens::new("n1");

/// How many notifications an organization gets before they are folded into digests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationPolicy {
    /// Notifications delivered one by one per organization and window.
    pub burst: u32,
    /// The rate-limit window; its digest is delivered when it ends.
    pub window: Duration,
    /// How often due digests are made.
    pub digest_sweep: Duration,
}

impl Default for NotificationPolicy {
    fn default() -> Self {
        Self { burst: 20, window: Duration::from_secs(600), digest_sweep: Duration::from_secs(5) }
    }
}

impl From<&LeadsSettings> for NotificationPolicy {
    fn from(s: &LeadsSettings) -> Self {
        Self {
            burst: s.notify_burst,
            window: Duration::from_secs(s.notify_window_secs.max(1)),
            digest_sweep: Duration::from_millis(s.notify_digest_sweep_ms.max(10)),
        }
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX).max(1)
}

/// One delivery of a notification; `attempt` counts from 1.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationDelivery {
    pub notification: Notification,
    pub attempt: u32,
}

/// Filters of a list call. `page_size` 0 means the default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NotificationFilter {
    pub unacknowledged_only: bool,
    pub kinds: Vec<NotificationKind>,
    pub page_size: u32,
    pub page_token: String,
}

/// One page, newest first, and the token of the next (empty at the end).
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationList {
    pub notifications: Vec<Notification>,
    pub next_page_token: String,
}

/// An organization's notifications, as a stream; ends when the service closes.
pub type NotificationStream = Pin<Box<dyn Stream<Item = Result<NotificationDelivery, NotificationError>> + Send>>;

/// The notification service. Cheap to clone; its digest sweeper and
/// delivery backend stop when the last clone is dropped.
#[derive(Clone)]
pub struct Notifications {
    core: Arc<Core>,
    _tasks: Arc<TaskSet>,
}

impl std::fmt::Debug for Notifications {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifications").field("delivery", &self.core.delivery.name()).finish_non_exhaustive()
    }
}

struct Core {
    store: Arc<dyn NotificationStore>,
    delivery: Arc<dyn DeliveryBackend<Notification>>,
    clock: Arc<dyn Clock>,
    policy: NotificationPolicy,
    closed: watch::Sender<bool>,
}

/// The organization whose notifications the principal receives.
fn recipient_of(principal: &Principal) -> Result<String, NotificationError> {
    principal.organization_id.clone().ok_or_else(|| {
        NotificationError::PermissionDenied(
            "this admin token acts for no organization; notifications belong to organizations".into(),
        )
    })
}

impl Notifications {
    /// A service over the store and backend; starts the digest sweeper.
    pub fn new(
        store: Arc<dyn NotificationStore>,
        delivery: Arc<dyn DeliveryBackend<Notification>>,
        clock: Arc<dyn Clock>,
        policy: NotificationPolicy,
    ) -> Self {
        let core = Arc::new(Core { store, delivery, clock, policy, closed: watch::channel(false).0 });
        let tasks = TaskSet::default();
        let sweeper = Arc::clone(&core);
        tasks.spawn(async move {
            let mut ticker = tokio::time::interval(policy.digest_sweep.max(Duration::from_millis(10)));
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                match sweeper.make_due_digests().await {
                    Ok(0) => {}
                    Ok(made) => tracing::info!(made, "notification digests made"),
                    Err(error) => tracing::warn!(%error, "making notification digests failed; retrying"),
                }
            }
        });
        Self { core, _tasks: Arc::new(tasks) }
    }

    /// The standard wiring: `notifications.sqlite3` in `data_dir`, delivered
    /// through Redis when `redis_url` is set and in-process otherwise.
    pub fn open(
        data_dir: &Path,
        redis_url: Option<&str>,
        settings: &LeadsSettings,
        policy: NotificationPolicy,
    ) -> Result<Self, NotificationError> {
        Self::with_store(Arc::new(SqliteNotificationStore::open(data_dir)?), redis_url, settings, policy)
    }

    /// The service over `store`, delivered like leads (Redis when `redis_url` is given).
    pub fn with_store(
        store: Arc<dyn NotificationStore>,
        redis_url: Option<&str>,
        settings: &LeadsSettings,
        policy: NotificationPolicy,
    ) -> Result<Self, NotificationError> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let outbox: Arc<dyn crate::delivery::Outbox<Notification>> = store.clone();
        let delivery: Arc<dyn DeliveryBackend<Notification>> = match redis_url {
            Some(url) => {
                Arc::new(RedisDelivery::over(url, outbox, Arc::clone(&clock), settings.into(), NOTIFICATION_STREAMS)?)
            }
            None => Arc::new(EmbeddedDelivery::over(outbox, Arc::clone(&clock))),
        };
        Ok(Self::new(store, delivery, clock, policy))
    }

    /// "embedded" or "redis".
    pub fn backend_name(&self) -> &'static str {
        self.core.delivery.name()
    }

    /// True while notifications can be delivered (Redis answers, when configured).
    pub fn readiness(&self) -> watch::Receiver<bool> {
        self.core.delivery.readiness()
    }

    /// Ends every open subscription (for shutdown).
    pub fn close(&self) {
        self.core.closed.send_replace(true);
    }

    /// Stores a notification unless the same one exists (see the module
    /// documentation); returns it and whether it is new. Beyond the rate
    /// limit it is folded into its window's digest.
    pub async fn notify(&self, draft: NoticeDraft) -> Result<(Notification, bool), NotificationError> {
        let mut v = Violations::new();
        v.id("organization_id", &draft.organization_id);
        if !draft.need_id.is_empty() {
            v.id("need_id", &draft.need_id);
        }
        if draft.kind == NotificationKind::Digest {
            v.add("kind", "digests are made by the service");
        }
        v.into_result(())?;
        let core = &self.core;
        let id = notification_id(&draft.organization_id, draft.kind, &draft.need_id, &draft.subject_id);
        if let Some(existing) = core.store.get(&id).await? {
            return Ok((existing, false));
        }
        let now = core.clock.now_ms();
        let window = millis(core.policy.window);
        let window_start = now - now.rem_euclid(window);
        let sent = core.store.count_standalone_since(&draft.organization_id, window_start).await?;
        let (digest, due) = if sent >= u64::from(core.policy.burst) {
            (digest_id(&draft.organization_id, window_start), window_start + window)
        } else {
            (String::new(), 0)
        };
        let notification = Notification {
            id,
            organization_id: draft.organization_id,
            kind: draft.kind,
            need_id: draft.need_id,
            subject_id: draft.subject_id,
            title: draft.title,
            body: draft.body,
            score: draft.score,
            created_at_ms: now,
            acked_at_ms: None,
            delivery_attempts: 0,
            digest_id: digest,
            digest_due_ms: due,
            items: Vec::new(),
            version: 0,
        };
        let (stored, created) = core.store.insert_if_absent(notification).await?;
        if created {
            tracing::debug!(id = %stored.id, kind = %stored.kind, organization = %stored.organization_id, digested = !stored.digest_id.is_empty(), "notification stored");
            core.delivery.stored(&stored);
        }
        Ok((stored, created))
    }

    /// Makes the digests of windows that ended; returns how many. The sweeper calls this.
    pub async fn make_due_digests(&self) -> Result<usize, NotificationError> {
        self.core.make_due_digests().await
    }

    /// Streams the organization's unacknowledged notifications, then new
    /// ones. Each delivery counts an attempt; one comes once per subscription.
    pub async fn subscribe(&self, principal: &Principal) -> Result<NotificationStream, NotificationError> {
        let organization = recipient_of(principal)?;
        let closed = self.core.closed.subscribe();
        if *closed.borrow() {
            return Err(NotificationError::ShuttingDown);
        }
        let candidates = self.core.delivery.subscribe(&organization, &principal.token_id).await?;
        tracing::info!(%organization, token_id = %principal.token_id, "notification subscription opened");
        let subscription =
            Subscription { core: Arc::clone(&self.core), organization, candidates, sent: HashSet::new(), closed };
        Ok(Box::pin(stream::unfold(subscription, Subscription::next)))
    }

    /// Acknowledges a notification: it is not delivered again. Repeating it is harmless.
    pub async fn ack(&self, principal: &Principal, id: &str) -> Result<Notification, NotificationError> {
        let organization = recipient_of(principal)?;
        let mut v = Violations::new();
        v.id("id", id);
        v.into_result(())?;
        self.core
            .modify(&organization, id, |n, now| {
                if n.acked_at_ms.is_some() {
                    return false;
                }
                n.acked_at_ms = Some(now);
                true
            })
            .await
    }

    /// The organization's notifications, newest first.
    pub async fn list(
        &self,
        principal: &Principal,
        filter: NotificationFilter,
    ) -> Result<NotificationList, NotificationError> {
        let organization = recipient_of(principal)?;
        let before_cursor = match PAGE_TOKENS.decode(&filter.page_token)? {
            None => None,
            Some(0) => return Err(Violations::single("page_token", FOREIGN_PAGE_TOKEN).into()),
            Some(cursor) => Some(cursor as i64),
        };
        let page = self
            .core
            .store
            .list(&NotificationQuery {
                organization_id: organization,
                unacknowledged_only: filter.unacknowledged_only,
                kinds: filter.kinds,
                before_cursor,
                limit: PagePolicy::LISTS.clamp(filter.page_size),
            })
            .await?;
        Ok(NotificationList {
            notifications: page.notifications,
            next_page_token: page.next_cursor.map(|c| PAGE_TOKENS.encode(c.max(0) as u64)).unwrap_or_default(),
        })
    }
}

impl Core {
    /// Read, change, write with a version check, retried on conflicts; the
    /// backend is told when the notification needs no more delivery.
    async fn modify(
        &self,
        organization: &str,
        id: &str,
        mut change: impl FnMut(&mut Notification, i64) -> bool,
    ) -> Result<Notification, NotificationError> {
        let mut last_conflict = None;
        for _ in 0..WRITE_ATTEMPTS {
            let current = self
                .store
                .get(id)
                .await?
                .filter(|n| n.organization_id == organization)
                .ok_or_else(|| NotificationError::NotFound(id.to_owned()))?;
            let mut next = current.clone();
            if !change(&mut next, self.clock.now_ms()) {
                return Ok(current);
            }
            match self.store.update(next).await {
                Ok(saved) => {
                    if current.acked_at_ms.is_none() && saved.acked_at_ms.is_some() {
                        self.delivery.settle(&saved).await;
                    }
                    return Ok(saved);
                }
                Err(conflict @ StoreError::VersionConflict { .. }) => last_conflict = Some(conflict),
                Err(e) => return Err(e.into()),
            }
        }
        Err(last_conflict.unwrap_or(StoreError::VersionConflict { actual: 0 }).into())
    }

    /// Counts a delivery: `None` when it must not be delivered (not the
    /// organization's, acknowledged meanwhile, or folded into a digest).
    async fn record_delivery(
        &self,
        organization: &str,
        id: &str,
    ) -> Result<Option<NotificationDelivery>, NotificationError> {
        let mut deliverable = true;
        let result = self
            .modify(organization, id, |n, _| {
                deliverable = n.acked_at_ms.is_none() && n.digest_id.is_empty();
                if deliverable {
                    n.delivery_attempts = n.delivery_attempts.saturating_add(1);
                }
                deliverable
            })
            .await;
        match result {
            Ok(n) if deliverable => Ok(Some(NotificationDelivery { attempt: n.delivery_attempts, notification: n })),
            Ok(n) => {
                self.delivery.settle(&n).await;
                Ok(None)
            }
            Err(NotificationError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn make_due_digests(&self) -> Result<usize, NotificationError> {
        let due = self.store.due_digests(self.clock.now_ms(), DIGEST_BATCH).await?;
        let mut made = 0;
        for digest in due {
            let minutes = (millis(self.policy.window) / 60_000).max(1);
            let notification = Notification {
                id: digest.digest_id,
                organization_id: digest.organization_id,
                kind: NotificationKind::Digest,
                need_id: String::new(),
                subject_id: String::new(),
                title: format!("另有 {} 条通知", digest.items.len()),
                body: format!("{minutes} 分钟内通知较多，另有 {} 条已汇总，可在通知列表中查看", digest.items.len()),
                score: 0.0,
                created_at_ms: digest.due_ms,
                acked_at_ms: None,
                delivery_attempts: 0,
                digest_id: String::new(),
                digest_due_ms: 0,
                items: digest.items,
                version: 0,
            };
            let (stored, created) = self.store.insert_if_absent(notification).await?;
            if created {
                self.delivery.stored(&stored);
                made += 1;
            }
        }
        Ok(made)
    }
}

/// One open subscription: candidates from the backend, filtered and counted.
struct Subscription {
    core: Arc<Core>,
    organization: String,
    candidates: Candidates,
    /// Sent on this subscription already: a backend may offer one twice.
    sent: HashSet<String>,
    closed: watch::Receiver<bool>,
}

impl Subscription {
    async fn next(mut self) -> Option<(Result<NotificationDelivery, NotificationError>, Self)> {
        loop {
            let id = tokio::select! {
                biased;
                _ = self.closed.wait_for(|closed| *closed) => return None,
                id = self.candidates.next() => id?,
            };
            if self.sent.contains(&id) {
                continue;
            }
            match self.core.record_delivery(&self.organization, &id).await {
                Ok(Some(delivery)) => {
                    self.sent.insert(id);
                    return Some((Ok(delivery), self));
                }
                Ok(None) => {}
                Err(error) => return Some((Err(error), self)),
            }
        }
    }
}
