//! Where the change feed stands, here or at the catalog a replica follows
//! (`--catalog-url`): the head the lag gauges compare the index with, and a
//! replica's readiness, which waits until its index has caught up.

use std::time::Duration;

use innomatch_catalog::{Catalog, remote::RemoteCatalog};
use tokio::{sync::watch, task::JoinHandle};

/// How often a replica asks the catalog where its feed stands.
const POSITION_POLL: Duration = Duration::from_secs(1);

/// The newest committed sequence of the feed this process follows.
#[derive(Debug, Clone)]
pub enum FeedHead {
    /// The store this process opened: moved by every commit.
    Local(watch::Receiver<i64>),
    /// The catalog elsewhere, polled; `None` until it first answers.
    Remote(watch::Receiver<Option<i64>>),
}

impl FeedHead {
    pub fn local(catalog: &Catalog) -> Self {
        Self::Local(catalog.sequence())
    }

    /// Polls `catalog` every [`POSITION_POLL`] until the task is aborted.
    pub fn follow(catalog: RemoteCatalog) -> (Self, JoinHandle<()>) {
        let (tx, rx) = watch::channel(None);
        let task = tokio::spawn(async move {
            let mut failing = false;
            loop {
                match catalog.feed_position().await {
                    Ok(latest) => {
                        if failing {
                            tracing::info!(catalog = catalog.url(), "the catalog answers again");
                        }
                        failing = false;
                        tx.send_replace(Some(latest));
                    }
                    Err(error) if !failing => {
                        failing = true;
                        tracing::warn!(%error, catalog = catalog.url(), "cannot read the catalog's feed position");
                    }
                    Err(_) => {}
                }
                tokio::time::sleep(POSITION_POLL).await;
            }
        });
        (Self::Remote(rx), task)
    }

    /// The newest sequence known, if any is known yet.
    pub fn latest(&self) -> Option<i64> {
        match self {
            Self::Local(rx) => Some(*rx.borrow()),
            Self::Remote(rx) => *rx.borrow(),
        }
    }

    /// Resolves once `applied` has reached the head first seen (everything
    /// committed before this process reached the feed is in the index) and
    /// is at most `max_lag` changes behind the head seen now.
    pub async fn caught_up(mut self, mut applied: watch::Receiver<i64>, max_lag: u64) {
        let backlog_end = loop {
            if let Some(latest) = self.latest() {
                break latest;
            }
            self.moved(&mut applied).await;
        };
        loop {
            let done = *applied.borrow_and_update();
            let latest = self.latest().unwrap_or(backlog_end);
            if done >= backlog_end && (latest - done).max(0) as u64 <= max_lag {
                return;
            }
            self.moved(&mut applied).await;
        }
    }

    /// Waits until the head or `applied` moves; forever once neither can.
    async fn moved(&mut self, applied: &mut watch::Receiver<i64>) {
        let moved = match self {
            Self::Local(rx) => tokio::select! { r = rx.changed() => r.is_ok(), r = applied.changed() => r.is_ok() },
            Self::Remote(rx) => tokio::select! { r = rx.changed() => r.is_ok(), r = applied.changed() => r.is_ok() },
        };
        if !moved {
            std::future::pending::<()>().await;
        }
    }
}
