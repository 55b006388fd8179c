//! The policy-push ledger in the shared PostgreSQL store.

use async_trait::async_trait;
use innomatch_core::postgres::{self, PgError, Row};

use super::store::{PolicyPush, PolicyPushStore};
use crate::{postgres::PostgresStore, store::StoreError};

/// The ledger's table, one migration appended to the catalog's list.
pub(crate) const MIGRATION: &str = r#"
CREATE TABLE policy_pushes (
    organization_id TEXT NOT NULL,
    policy_id       TEXT NOT NULL,
    pushed_at_ms    BIGINT NOT NULL,
    PRIMARY KEY (organization_id, policy_id)
);
CREATE INDEX policy_pushes_by_policy ON policy_pushes (policy_id, pushed_at_ms);
"#;

fn db(e: PgError) -> StoreError {
    StoreError::Backend(postgres::describe(&e))
}

fn push(row: &Row) -> PolicyPush {
    PolicyPush { organization_id: row.get(0), policy_id: row.get(1), pushed_at_ms: row.get(2) }
}

#[async_trait]
impl PolicyPushStore for PostgresStore {
    async fn record_policy_push(&self, push: PolicyPush) -> Result<bool, StoreError> {
        let inserted = self
            .client()
            .await?
            .execute(
                "INSERT INTO policy_pushes (organization_id, policy_id, pushed_at_ms) VALUES ($1, $2, $3)
                 ON CONFLICT (organization_id, policy_id) DO NOTHING",
                &[&push.organization_id, &push.policy_id, &push.pushed_at_ms],
            )
            .await
            .map_err(db)?;
        Ok(inserted == 1)
    }

    async fn policy_pushes_of(&self, organization_id: &str) -> Result<Vec<PolicyPush>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT organization_id, policy_id, pushed_at_ms FROM policy_pushes
                 WHERE organization_id = $1 ORDER BY pushed_at_ms, policy_id",
                &[&organization_id],
            )
            .await
            .map_err(db)?;
        Ok(rows.iter().map(push).collect())
    }

    async fn policy_pushes_for(&self, policy_id: &str) -> Result<Vec<PolicyPush>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT organization_id, policy_id, pushed_at_ms FROM policy_pushes
                 WHERE policy_id = $1 ORDER BY pushed_at_ms, organization_id",
                &[&policy_id],
            )
            .await
            .map_err(db)?;
        Ok(rows.iter().map(push).collect())
    }
}
