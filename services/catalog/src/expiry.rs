//! The need-expiry sweeper: every so often, needs whose deadline has passed
//! move from open or in talks to expired (see `Catalog::expire_overdue_needs`).
//! Several servers may sweep one shared store: a need moved by another is
//! skipped, never moved twice. The same sweep expires pending interests
//! whose need closed (normally expired as the need closes).

use std::time::Duration;

use innomatch_core::model::now_ms;
use tokio::task::JoinHandle;

use crate::Catalog;

/// Ticks every `every` (10 ms at least), the first tick at once; a late
/// tick delays the next ones instead of bunching them up. The catalog's
/// background tasks (this sweep, the plan board's daily snapshot) run on it.
pub(crate) fn ticks(every: Duration) -> tokio::time::Interval {
    let mut ticks = tokio::time::interval(every.max(Duration::from_millis(10)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks
}

/// Sweeps every `every` until the task is aborted; the first sweep runs at once.
pub fn spawn(catalog: Catalog, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = ticks(every);
        loop {
            ticks.tick().await;
            match catalog.expire_overdue_needs(now_ms()).await {
                Ok(0) => {}
                Ok(expired) => tracing::info!(expired, "needs past their deadline expired"),
                Err(error) => tracing::warn!(%error, "need expiry sweep failed"),
            }
            match catalog.expire_interests_of_inactive_needs().await {
                Ok(0) => {}
                Ok(expired) => tracing::info!(expired, "pending interests of closed needs expired"),
                Err(error) => tracing::warn!(%error, "interest expiry sweep failed"),
            }
        }
    })
}
