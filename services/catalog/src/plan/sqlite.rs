//! The plan board's daily snapshots in the embedded SQLite store.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{
    PlanBoard,
    store::{PlanSnapshotStore, decode, encode},
};
use crate::{sqlite::SqliteStore, store::StoreError};

/// The snapshots' table, one migration appended to the catalog's list: one
/// row per day (the primary key makes a second snapshot of a day a no-op).
pub(crate) const MIGRATION: &str = r#"
CREATE TABLE plan_snapshots (
    day          TEXT PRIMARY KEY,
    taken_at_ms  INTEGER NOT NULL,
    body         TEXT NOT NULL
);
"#;

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

#[async_trait]
impl PlanSnapshotStore for SqliteStore {
    async fn save_plan_snapshot(&self, board: &PlanBoard) -> Result<bool, StoreError> {
        let (day, taken_at_ms, body) = (board.day.clone(), board.computed_at_ms, encode(board)?);
        self.with_conn(move |conn| {
            let kept = conn
                .execute(
                    "INSERT INTO plan_snapshots (day, taken_at_ms, body) VALUES (?1, ?2, ?3) ON CONFLICT (day) DO NOTHING",
                    params![day, taken_at_ms, body],
                )
                .map_err(backend)?;
            Ok(kept == 1)
        })
        .await
    }

    async fn has_plan_snapshot(&self, day: &str) -> Result<bool, StoreError> {
        let day = day.to_owned();
        self.with_conn(move |conn| {
            let found: Option<i64> = conn
                .query_row("SELECT 1 FROM plan_snapshots WHERE day = ?1", params![day], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            Ok(found.is_some())
        })
        .await
    }

    async fn plan_snapshots(&self, since_day: &str, limit: u32) -> Result<Vec<PlanBoard>, StoreError> {
        let since_day = since_day.to_owned();
        self.with_conn(move |conn| {
            let mut statement = conn
                .prepare("SELECT body FROM plan_snapshots WHERE day >= ?1 ORDER BY day DESC LIMIT ?2")
                .map_err(backend)?;
            let bodies = statement
                .query_map(params![since_day, limit], |r| r.get::<_, String>(0))
                .map_err(backend)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(backend)?;
            bodies.iter().rev().map(|body| decode(body)).collect()
        })
        .await
    }
}
