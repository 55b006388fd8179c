//! The policy-push ledger in the embedded SQLite store.

use async_trait::async_trait;
use rusqlite::params;

use super::store::{PolicyPush, PolicyPushStore};
use crate::{sqlite::SqliteStore, store::StoreError};

/// The ledger's table, one migration appended to the catalog's list.
pub(crate) const MIGRATION: &str = r#"
CREATE TABLE policy_pushes (
    organization_id TEXT NOT NULL,
    policy_id       TEXT NOT NULL,
    pushed_at_ms    INTEGER NOT NULL,
    PRIMARY KEY (organization_id, policy_id)
) WITHOUT ROWID;
CREATE INDEX policy_pushes_by_policy ON policy_pushes (policy_id, pushed_at_ms);
"#;

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn pushes(conn: &rusqlite::Connection, sql: &str, key: &str) -> Result<Vec<PolicyPush>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let rows = stmt
        .query_map([key], |r| {
            Ok(PolicyPush { organization_id: r.get(0)?, policy_id: r.get(1)?, pushed_at_ms: r.get(2)? })
        })
        .map_err(backend)?;
    rows.collect::<Result<_, _>>().map_err(backend)
}

#[async_trait]
impl PolicyPushStore for SqliteStore {
    async fn record_policy_push(&self, push: PolicyPush) -> Result<bool, StoreError> {
        self.with_conn(move |conn| {
            let inserted = conn
                .execute(
                    "INSERT INTO policy_pushes (organization_id, policy_id, pushed_at_ms) VALUES (?1, ?2, ?3)
                     ON CONFLICT (organization_id, policy_id) DO NOTHING",
                    params![push.organization_id, push.policy_id, push.pushed_at_ms],
                )
                .map_err(backend)?;
            Ok(inserted == 1)
        })
        .await
    }

    async fn policy_pushes_of(&self, organization_id: &str) -> Result<Vec<PolicyPush>, StoreError> {
        let key = organization_id.to_owned();
        self.with_conn(move |conn| {
            pushes(
                conn,
                "SELECT organization_id, policy_id, pushed_at_ms FROM policy_pushes
                 WHERE organization_id = ?1 ORDER BY pushed_at_ms, policy_id",
                &key,
            )
        })
        .await
    }

    async fn policy_pushes_for(&self, policy_id: &str) -> Result<Vec<PolicyPush>, StoreError> {
        let key = policy_id.to_owned();
        self.with_conn(move |conn| {
            pushes(
                conn,
                "SELECT organization_id, policy_id, pushed_at_ms FROM policy_pushes
                 WHERE policy_id = ?1 ORDER BY pushed_at_ms, organization_id",
                &key,
            )
        })
        .await
    }
}
