//! Keeps the index in step with the catalog's change feed: reads changes
//! after the index's last applied sequence, applies them in batches (one
//! commit per refresh interval), and reconnects after failures.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use futures::{StreamExt, stream::BoxStream};
use innomatch_catalog::{Catalog, store::Change};
use innomatch_core::{auth::Principal, model::Role};
use tokio::{task::JoinHandle, time::Instant};

use crate::index::SearchIndex;

/// Most changes applied in one commit; bounds memory while catching up.
const MAX_BATCH: usize = 5_000;
const RETRY_DELAY: Duration = Duration::from_secs(1);

/// Where the follower reads changes from.
#[async_trait]
pub trait ChangeSource: Send + Sync + 'static {
    /// Every change after `after`, then new ones as they commit.
    async fn changes(&self, after: i64) -> Result<BoxStream<'static, Result<Change, String>>, String>;
}

/// The catalog in this process.
#[derive(Debug, Clone)]
pub struct LocalChanges {
    catalog: Catalog,
}

impl LocalChanges {
    pub fn new(catalog: Catalog) -> Self {
        Self { catalog }
    }
}

/// The follower reads every record, private ones included: it is the system.
fn system_principal() -> Principal {
    Principal { token_id: "system:search-follower".into(), organization_id: None, role: Role::Admin }
}

#[async_trait]
impl ChangeSource for LocalChanges {
    async fn changes(&self, after: i64) -> Result<BoxStream<'static, Result<Change, String>>, String> {
        Ok(self.catalog.watch(system_principal(), after, Vec::new()).map(|r| r.map_err(|e| e.to_string())).boxed())
    }
}

/// Applies the change feed to the index until the task is aborted.
pub fn spawn(index: Arc<SearchIndex>, source: Arc<dyn ChangeSource>, refresh: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
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
            tokio::time::sleep(RETRY_DELAY).await;
        }
    })
}

async fn follow(
    index: &Arc<SearchIndex>,
    mut stream: BoxStream<'static, Result<Change, String>>,
    refresh: Duration,
) -> Result<(), String> {
    loop {
        let first = match stream.next().await {
            Some(change) => change?,
            None => return Ok(()),
        };
        // Gather what else arrives within the refresh interval: one commit
        // per interval keeps bulk loads fast and single writes visible soon.
        let deadline = Instant::now() + refresh;
        let mut batch = vec![first];
        let mut end: Option<Result<(), String>> = None;
        while batch.len() < MAX_BATCH {
            match tokio::time::timeout_at(deadline, stream.next()).await {
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
        let count = batch.len();
        let last = batch.last().map(|c| c.sequence).unwrap_or_default();
        let target = Arc::clone(index);
        tokio::task::spawn_blocking(move || target.apply(&batch))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        tracing::debug!(count, sequence = last, "index committed");
        if let Some(end) = end {
            return end;
        }
    }
}
