//! The daily snapshot of the plan board: taken at start when today has
//! none, then looked for every `every` (an hour by default), so each day
//! gets one even when a server is down at midnight. Several servers on one
//! shared store keep one per day (see `PlanSnapshotStore::save_plan_snapshot`).

use std::time::Duration;

use innomatch_core::model::now_ms;
use tokio::task::JoinHandle;

use crate::Catalog;

/// How often the task looks whether today has its snapshot.
pub const DEFAULT_CHECK_EVERY: Duration = Duration::from_secs(3_600);

/// Takes today's snapshot if missing, at once and then every `every`, until aborted.
pub fn spawn(catalog: Catalog, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = crate::expiry::ticks(every);
        loop {
            ticks.tick().await;
            let now = now_ms();
            match catalog.take_plan_snapshot(now).await {
                Ok(true) => tracing::info!(day = %super::china_day(now), "plan board snapshot kept"),
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, "plan board snapshot failed"),
            }
        }
    })
}
