//! Keeps the index in step with the catalog's change feed: reads changes
//! after the index's last applied sequence, applies them in batches (one
//! commit per refresh interval), and reconnects after failures with growing,
//! jittered delays. Beside it, once the index's changes settle, its segments
//! are merged and the organization discriminants refitted.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use futures::{StreamExt, stream::BoxStream};
use innomatch_catalog::{reader::CatalogReader, store::Change};
use innomatch_core::{auth::Principal, model::Role, retry::RetryDelays};
use tokio::{task::JoinHandle, time::Instant};

use crate::index::SearchIndex;

/// Most changes applied in one commit; bounds memory while catching up.
const MAX_BATCH: usize = 5_000;
/// Waits before reconnecting to the feed: from the floor, doubling to the cap.
const RETRY_MIN: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// Where the follower reads changes from.
#[async_trait]
pub trait ChangeSource: Send + Sync + 'static {
    /// Every change after `after`, then new ones as they commit.
    async fn changes(&self, after: i64) -> Result<BoxStream<'static, Result<Change, String>>, String>;
}

/// The catalog's feed: the catalog in this process, or the one a replica
/// follows over gRPC (`--catalog-url`); either way through its reader.
#[derive(Debug, Clone)]
pub struct CatalogChanges {
    catalog: Arc<dyn CatalogReader>,
}

impl CatalogChanges {
    pub fn new(catalog: Arc<dyn CatalogReader>) -> Self {
        Self { catalog }
    }
}

/// The follower reads every record, private ones included: it is the system.
fn system_principal() -> Principal {
    Principal { token_id: "system:search-follower".into(), organization_id: None, role: Role::Admin }
}

#[async_trait]
impl ChangeSource for CatalogChanges {
    async fn changes(&self, after: i64) -> Result<BoxStream<'static, Result<Change, String>>, String> {
        Ok(self.catalog.watch(system_principal(), after, Vec::new()).map(|r| r.map_err(|e| e.to_string())).boxed())
    }
}

/// Applies the change feed to the index until the task is aborted.
pub fn spawn(index: Arc<SearchIndex>, source: Arc<dyn ChangeSource>, refresh: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut retry = RetryDelays::new(RETRY_MIN, RETRY_MAX);
        loop {
            let after = index.applied_sequence();
            let outcome = match source.changes(after).await {
                Ok(stream) => follow(&index, stream, refresh).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(()) => tracing::info!("change feed ended; reconnecting"),
                Err(error) => tracing::warn!(%error, "search follower failed; retrying"),
            }
            if index.applied_sequence() > after {
                retry.reset(); // it got somewhere before failing: no reason to wait long
            }
            tokio::time::sleep(retry.next_delay()).await;
        }
    })
}

/// How long the index must go without a new commit before the settled
/// upkeep runs: a bulk import is merged and fitted once at its end, not at
/// every tenth of its way.
const SETTLE: Duration = Duration::from_secs(2);
/// A steady trickle of changes postpones the upkeep at most this long.
const SETTLE_AT_MOST: Duration = Duration::from_secs(60);

/// Upkeep whenever the index has settled after changes (and once at
/// start-up), on a blocking thread, until the task is aborted: the index's
/// segments are merged when a bulk load has left many (see
/// [`SearchIndex::compact`]), and the relevance model's organization
/// discriminants are refitted (see
/// [`crate::relevance::RelevanceModel::refit_discriminants_if_due`]).
pub fn spawn_settled_upkeep(index: Arc<SearchIndex>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut applied = index.subscribe_applied();
        let mut indexing = index.subscribe_indexing();
        loop {
            let target = Arc::clone(&index);
            let started = Instant::now();
            let merged = tokio::task::spawn_blocking(move || target.compact().map_err(|e| e.to_string()))
                .await
                .map_err(|e| e.to_string())
                .and_then(|merged| merged);
            match merged {
                Ok(Some(segments)) => {
                    tracing::info!(segments, seconds = started.elapsed().as_secs_f64(), "index segments merged")
                }
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "merging the index segments failed"),
            }
            let target = Arc::clone(&index);
            let started = Instant::now();
            match tokio::task::spawn_blocking(move || target.relevance().refit_discriminants_if_due()).await {
                Ok(true) => match index.relevance().discriminants() {
                    Some(fitted) => {
                        metrics::gauge!("innomatch_discriminant_capabilities").set(fitted.fitted_on() as f64);
                        tracing::info!(
                            capabilities = fitted.fitted_on(),
                            organizations = fitted.organizations(),
                            seconds = started.elapsed().as_secs_f64(),
                            "organization discriminants fitted"
                        )
                    }
                    None => {
                        metrics::gauge!("innomatch_discriminant_capabilities").set(0.0);
                        tracing::info!("organization discriminants dropped: the catalog is below their minimum")
                    }
                },
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, "fitting the organization discriminants failed"),
            }
            if applied.changed().await.is_err() {
                return;
            }
            if !settled(&mut applied, &mut indexing, Instant::now() + SETTLE_AT_MOST).await {
                return;
            }
        }
    })
}

/// Waits until the index has gone [`SETTLE`] without indexing or applying
/// anything, or until `deadline`; false when the index is gone. Time spent
/// indexing a batch does not count: one batch of a bulk import can take
/// longer than `SETTLE`, and a fit then would compete with the import for
/// the cores, on a catalog about to change.
async fn settled(
    applied: &mut tokio::sync::watch::Receiver<i64>,
    indexing: &mut tokio::sync::watch::Receiver<usize>,
    deadline: Instant,
) -> bool {
    loop {
        match tokio::time::timeout_at(deadline, indexing.wait_for(|running| *running == 0)).await {
            Ok(Ok(_)) => {}
            Ok(Err(_)) => return false,
            Err(_) => return true,
        }
        let changed = tokio::select! {
            changed = applied.changed() => changed.is_ok(),
            changed = indexing.changed() => changed.is_ok(),
            () = tokio::time::sleep(SETTLE) => return true,
        };
        if !changed {
            return false;
        }
        if Instant::now() >= deadline {
            return true;
        }
    }
}

async fn follow(
    index: &Arc<SearchIndex>,
    mut stream: BoxStream<'static, Result<Change, String>>,
    refresh: Duration,
) -> Result<(), String> {
    let mut indexing = None;
    let outcome = follow_pipelined(index, &mut stream, refresh, &mut indexing).await;
    // Never return with a batch still being indexed: the next connection
    // starts after the index's applied sequence, which that batch moves.
    if let Some(batch) = indexing {
        indexed(batch.await)?;
    }
    outcome
}

/// A batch being indexed on a blocking thread.
type IndexingBatch = JoinHandle<Result<(), String>>;

/// Gathers the next batch while the previous one is being indexed, so
/// reading the feed and indexing overlap; leaves the last batch it started
/// in `indexing`.
async fn follow_pipelined(
    index: &Arc<SearchIndex>,
    stream: &mut BoxStream<'static, Result<Change, String>>,
    refresh: Duration,
    indexing: &mut Option<IndexingBatch>,
) -> Result<(), String> {
    loop {
        let first = loop {
            let Some(batch) = indexing.as_mut() else { break stream.next().await };
            tokio::select! {
                done = batch => {
                    *indexing = None;
                    indexed(done)?;
                }
                change = stream.next() => break change,
            }
        };
        let first = match first {
            Some(change) => change?,
            None => return Ok(()),
        };
        // Gather what else arrives within the refresh interval, and for as
        // long as the previous batch is still being indexed: one commit per
        // interval keeps single writes visible soon, and a bulk load commits
        // whatever arrived while the last commit was made.
        let deadline = Instant::now() + refresh;
        let mut batch = vec![first];
        let mut end: Option<Result<(), String>> = None;
        while batch.len() < MAX_BATCH {
            let next = match indexing.as_mut() {
                Some(previous) => tokio::select! {
                    biased;
                    done = previous => {
                        *indexing = None;
                        indexed(done)?;
                        continue;
                    }
                    change = stream.next() => Ok(change),
                },
                None => tokio::time::timeout_at(deadline, stream.next()).await,
            };
            match next {
                Ok(Some(Ok(change))) => batch.push(change),
                Ok(Some(Err(e))) => {
                    end = Some(Err(e));
                    break;
                }
                Ok(None) => {
                    end = Some(Ok(()));
                    break;
                }
                Err(_) => break,
            }
        }
        if let Some(previous) = indexing.take() {
            indexed(previous.await)?;
        }
        let target = Arc::clone(index);
        *indexing = Some(tokio::task::spawn_blocking(move || {
            let count = batch.len();
            let last = batch.last().map(|c| c.sequence).unwrap_or_default();
            target.apply(&batch).map_err(|e| e.to_string())?;
            tracing::debug!(count, sequence = last, "index committed");
            Ok(())
        }));
        if let Some(end) = end {
            return end;
        }
    }
}

/// The outcome of an indexed batch.
fn indexed(done: Result<Result<(), String>, tokio::task::JoinError>) -> Result<(), String> {
    done.map_err(|e| e.to_string())?
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use futures::stream;
    use innomatch_core::model::{Capability, ChangeOperation, Record, RecordMeta, RecordStatus};

    use super::*;

    fn capability(sequence: i64, title: &str) -> Change {
        capability_of(sequence, "org_1", title)
    }

    fn capability_of(sequence: i64, organization_id: &str, title: &str) -> Change {
        let record = Record::Capability(Capability {
            meta: RecordMeta {
                id: format!("cap_{sequence}"),
                organization_id: organization_id.into(),
                version: 1,
                status: Some(RecordStatus::Active),
                ..Default::default()
            },
            title: title.into(),
            ..Default::default()
        });
        Change { sequence, operation: ChangeOperation::Created, committed_at_ms: 0, record }
    }

    /// Refuses the first `failures` connections, then serves two changes and
    /// stays open; remembers when each connection was asked for.
    struct FlakySource {
        failures: usize,
        attempts: Mutex<Vec<Instant>>,
    }

    #[async_trait]
    impl ChangeSource for FlakySource {
        async fn changes(&self, _after: i64) -> Result<BoxStream<'static, Result<Change, String>>, String> {
            let attempt = {
                let mut attempts = self.attempts.lock().expect("attempts");
                attempts.push(Instant::now());
                attempts.len()
            };
            if attempt <= self.failures {
                return Err("catalog unreachable".into());
            }
            let changes = vec![Ok(capability(1, "绿色钢铁 氢冶金")), Ok(capability(2, "对虾养殖"))];
            Ok(stream::iter(changes).chain(stream::pending()).boxed())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn reconnects_with_growing_delays_until_the_feed_answers_then_catches_up() {
        let index = Arc::new(SearchIndex::in_ram().expect("index"));
        let source = Arc::new(FlakySource { failures: 3, attempts: Mutex::new(Vec::new()) });
        let task = spawn(Arc::clone(&index), source.clone(), Duration::from_millis(10));
        for _ in 0..1_000 {
            if index.applied_sequence() == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        task.abort();
        assert_eq!(index.applied_sequence(), 2, "the follower caught up once the feed answered");
        let attempts = source.attempts.lock().expect("attempts").clone();
        assert_eq!(attempts.len(), 4, "one connection per failure, then one that stays");
        let waits: Vec<Duration> = attempts.windows(2).map(|w| w[1] - w[0]).collect();
        for (i, wait) in waits.iter().enumerate() {
            // Doubling from the floor, each wait stretched by jitter up to twice its base.
            let base = RETRY_MIN * (1 << i);
            assert!(*wait >= base && *wait <= base * 2, "wait {i}: {wait:?} vs base {base:?}");
        }
    }

    /// Capabilities `from..to` (by sequence) of eleven organizations, each
    /// with a subject word of its own among words they all use.
    fn catalog(from: i64, to: i64) -> Vec<Change> {
        let subjects = [
            "氢冶金",
            "对虾养殖",
            "预制菜",
            "工业互联网",
            "绿色钢铁",
            "海洋牧场",
            "红树林",
            "菠萝",
            "港口物流",
            "新能源汽车",
            "芯片封装",
        ];
        (from..to)
            .map(|sequence| {
                let o = sequence as usize % subjects.len();
                capability_of(
                    sequence,
                    &format!("org_{o}"),
                    &format!("{} 模型 实验 数据 第{}批", subjects[o], sequence % 7),
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn a_feed_that_ends_returns_only_once_its_last_batch_is_indexed() {
        let index = Arc::new(SearchIndex::in_ram().expect("index"));
        let changes = catalog(1, 2 * MAX_BATCH as i64 + 1).into_iter().map(Ok);
        follow(&index, stream::iter(changes).boxed(), Duration::from_millis(10)).await.expect("the feed ended");
        assert_eq!(index.applied_sequence(), 2 * MAX_BATCH as i64, "both batches indexed before returning");
    }

    #[tokio::test]
    async fn a_feed_that_fails_returns_its_error_once_what_came_before_is_indexed() {
        let index = Arc::new(SearchIndex::in_ram().expect("index"));
        let changes = catalog(1, MAX_BATCH as i64 + 1_001).into_iter().map(Ok).chain([Err("feed broke".to_owned())]);
        let outcome = follow(&index, stream::iter(changes).boxed(), Duration::from_millis(10)).await;
        assert_eq!(outcome, Err("feed broke".to_owned()));
        assert_eq!(index.applied_sequence(), MAX_BATCH as i64 + 1_000, "every change before the failure indexed");
    }

    async fn fitted_on(index: &SearchIndex, capabilities: usize) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while index.relevance().discriminants().map(|d| d.fitted_on()) != Some(capabilities) {
            assert!(Instant::now() < deadline, "no fit on {capabilities} capabilities");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_index_settles_after_a_quiet_spell_with_no_batch_being_indexed() {
        let (applied_tx, mut applied) = tokio::sync::watch::channel(0i64);
        let (indexing_tx, mut indexing) = tokio::sync::watch::channel(1usize);
        let deadline = Instant::now() + SETTLE_AT_MOST;
        let waiting = tokio::spawn(async move { settled(&mut applied, &mut indexing, deadline).await });
        tokio::time::sleep(SETTLE * 5).await;
        assert!(!waiting.is_finished(), "a batch indexed for longer than SETTLE is not a quiet spell");
        indexing_tx.send_replace(0);
        applied_tx.send_replace(1);
        tokio::time::sleep(SETTLE / 2).await;
        assert!(!waiting.is_finished(), "the quiet spell starts when the batch is applied");
        tokio::time::sleep(SETTLE).await;
        assert!(waiting.is_finished() && waiting.await.expect("task"), "settled after SETTLE without indexing");
    }

    #[tokio::test(start_paused = true)]
    async fn indexing_that_never_pauses_postpones_settling_only_until_the_deadline() {
        let (_applied_tx, mut applied) = tokio::sync::watch::channel(0i64);
        let (_indexing_tx, mut indexing) = tokio::sync::watch::channel(1usize);
        let started = Instant::now();
        assert!(settled(&mut applied, &mut indexing, started + SETTLE_AT_MOST).await);
        assert_eq!(started.elapsed(), SETTLE_AT_MOST);
    }

    #[tokio::test]
    async fn discriminants_are_fitted_once_the_index_settles_and_again_as_the_catalog_grows() {
        let index = Arc::new(SearchIndex::in_ram().expect("index"));
        index.apply(&catalog(1, 1_101)).expect("apply");
        let task = spawn_settled_upkeep(Arc::clone(&index));
        fitted_on(&index, 1_100).await;
        let text = index
            .relevance()
            .vector(&crate::relevance::features(&crate::analysis::Analyzer::shared(), "对虾养殖 模型 实验"));
        let own = index.relevance().discriminant(&text, "org_1").expect("org_1 has one").decision;
        let other = index.relevance().discriminant(&text, "org_2").expect("org_2 has one").decision;
        assert!(own > other, "对虾养殖 is org_1's subject: {own} vs {other}");

        index.apply(&catalog(1_101, 1_221)).expect("apply");
        fitted_on(&index, 1_220).await;
        task.abort();
    }
}
