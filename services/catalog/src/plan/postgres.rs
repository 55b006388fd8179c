//! The plan board's daily snapshots in the shared PostgreSQL store.

use async_trait::async_trait;
use innomatch_core::postgres::{self, PgError};

use super::{
    PlanBoard,
    store::{PlanSnapshotStore, decode, encode},
};
use crate::{postgres::PostgresStore, store::StoreError};

/// The snapshots' table, one migration appended to the catalog's list: one
/// row per day, so replicas racing to take a day's snapshot keep one.
pub(crate) const MIGRATION: &str = r#"
CREATE TABLE plan_snapshots (
    day          TEXT PRIMARY KEY,
    taken_at_ms  BIGINT NOT NULL,
    body         TEXT NOT NULL
);
"#;

fn db(e: PgError) -> StoreError {
    StoreError::Backend(postgres::describe(&e))
}

#[async_trait]
impl PlanSnapshotStore for PostgresStore {
    async fn save_plan_snapshot(&self, board: &PlanBoard) -> Result<bool, StoreError> {
        let body = encode(board)?;
        let kept = self
            .client()
            .await?
            .execute(
                "INSERT INTO plan_snapshots (day, taken_at_ms, body) VALUES ($1, $2, $3) ON CONFLICT (day) DO NOTHING",
                &[&board.day, &board.computed_at_ms, &body],
            )
            .await
            .map_err(db)?;
        Ok(kept == 1)
    }

    async fn has_plan_snapshot(&self, day: &str) -> Result<bool, StoreError> {
        let row =
            self.client().await?.query_opt("SELECT 1 FROM plan_snapshots WHERE day = $1", &[&day]).await.map_err(db)?;
        Ok(row.is_some())
    }

    async fn plan_snapshots(&self, since_day: &str, limit: u32) -> Result<Vec<PlanBoard>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT body FROM plan_snapshots WHERE day >= $1 ORDER BY day DESC LIMIT $2",
                &[&since_day, &i64::from(limit)],
            )
            .await
            .map_err(db)?;
        rows.iter().rev().map(|row| decode(row.get(0))).collect()
    }
}
