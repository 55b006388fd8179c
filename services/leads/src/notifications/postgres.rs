//! The shared notification store: PostgreSQL, for several server processes
//! (component `notifications` in `schema_version`). New notifications are
//! numbered one writer at a time under an advisory lock, as leads are (see
//! [`crate::postgres`]), so embedded delivery never steps over a position.

use async_trait::async_trait;
use innomatch_core::{
    config::DatabaseSettings,
    postgres::{self, IsolationLevel, PgError, PgPool, PooledClient, Row, ToSql},
};

use super::{
    model::Notification,
    store::{DueDigest, NotificationPage, NotificationQuery, NotificationStore},
};
use crate::{
    delivery::{Outbox, Published},
    store::StoreError,
};

/// The first key of the advisory lock that numbers new notifications.
const POSITION_LOCK: i32 = 0x6e6f_7466; // "notf"

/// Schema migrations, applied in order. Append only.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE notifications (
    pos              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    organization_id  TEXT NOT NULL,
    kind             TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    acked_at_ms      BIGINT,
    delivered        BOOLEAN NOT NULL DEFAULT FALSE,
    digest_id        TEXT NOT NULL DEFAULT '',
    digest_due_ms    BIGINT NOT NULL DEFAULT 0,
    version          BIGINT NOT NULL,
    body             TEXT NOT NULL,
    -- Outbox bookkeeping of an external delivery log (Redis Streams).
    entry_id         TEXT,
    settled_at_ms    BIGINT
);
CREATE INDEX notifications_by_organization ON notifications (organization_id, pos);
CREATE INDEX notifications_open ON notifications (organization_id, pos) WHERE acked_at_ms IS NULL AND digest_id = '';
CREATE INDEX notifications_unpublished ON notifications (pos)
    WHERE entry_id IS NULL AND acked_at_ms IS NULL AND digest_id = '';
CREATE INDEX notifications_unsettled ON notifications (pos) WHERE entry_id IS NOT NULL AND settled_at_ms IS NULL;
CREATE INDEX notifications_digested ON notifications (digest_due_ms, digest_id) WHERE digest_id != '';
"#];

/// Deliverable: not acknowledged, not folded into a digest.
const OPEN: &str = "acked_at_ms IS NULL AND digest_id = ''";

/// Notifications in PostgreSQL, behind a connection pool.
pub struct PostgresNotificationStore {
    pool: PgPool,
}

impl std::fmt::Debug for PostgresNotificationStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresNotificationStore").finish_non_exhaustive()
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn db(e: PgError) -> StoreError {
    StoreError::Backend(postgres::describe(&e))
}

fn encode(n: &Notification) -> Result<String, StoreError> {
    serde_json::to_string(n).map_err(backend)
}

fn decode(body: &str, version: i64) -> Result<Notification, StoreError> {
    let mut n: Notification =
        serde_json::from_str(body).map_err(|e| backend(format!("corrupt notification body: {e}")))?;
    n.version = version;
    Ok(n)
}

/// Rows of `pos, body, version`.
fn read(rows: &[Row]) -> Result<Vec<(i64, Notification)>, StoreError> {
    rows.iter().map(|row| Ok((row.get(0), decode(row.get(1), row.get(2))?))).collect()
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl PostgresNotificationStore {
    /// Connects to `url` (tables in `schema`, or the URL's `search_path`) and migrates.
    pub async fn connect(url: &str, schema: Option<&str>, settings: &DatabaseSettings) -> Result<Self, StoreError> {
        let pool = postgres::connect(url, schema, settings).await.map_err(StoreError::Backend)?;
        postgres::migrate(&pool, "notifications", MIGRATIONS).await.map_err(StoreError::Backend)?;
        Ok(Self { pool })
    }

    async fn client(&self) -> Result<PooledClient, StoreError> {
        self.pool.get().await.map_err(|e| backend(format!("no database connection: {e}")))
    }

    async fn query(&self, sql: &str, args: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.map_err(db)?;
        client.query(&statement, args).await.map_err(db)
    }

    async fn execute(&self, sql: &str, args: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.map_err(db)?;
        client.execute(&statement, args).await.map_err(db)
    }
}

#[async_trait]
impl NotificationStore for PostgresNotificationStore {
    async fn insert_if_absent(&self, mut n: Notification) -> Result<(Notification, bool), StoreError> {
        n.version = 1;
        let body = encode(&n)?;
        let mut client = self.client().await?;
        let tx = client.build_transaction().isolation_level(IsolationLevel::ReadCommitted).start().await.map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1, 'notifications'::regclass::oid::int)", &[&POSITION_LOCK])
            .await
            .map_err(db)?;
        let inserted = tx
            .execute(
                "INSERT INTO notifications (id, organization_id, kind, created_at_ms, acked_at_ms, delivered, digest_id, digest_due_ms, version, body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9) ON CONFLICT (id) DO NOTHING",
                &[
                    &n.id,
                    &n.organization_id,
                    &n.kind.code(),
                    &n.created_at_ms,
                    &n.acked_at_ms,
                    &(n.delivery_attempts > 0),
                    &n.digest_id,
                    &n.digest_due_ms,
                    &body,
                ],
            )
            .await
            .map_err(db)?;
        if inserted == 1 {
            tx.commit().await.map_err(db)?;
            return Ok((n, true));
        }
        let row = tx.query_one("SELECT body, version FROM notifications WHERE id = $1", &[&n.id]).await.map_err(db)?;
        let stored = decode(row.get(0), row.get(1))?;
        tx.commit().await.map_err(db)?;
        Ok((stored, false))
    }

    async fn get(&self, id: &str) -> Result<Option<Notification>, StoreError> {
        let rows = self.query("SELECT body, version FROM notifications WHERE id = $1", &[&id]).await?;
        rows.first().map(|row| decode(row.get(0), row.get(1))).transpose()
    }

    async fn update(&self, mut n: Notification) -> Result<Notification, StoreError> {
        let expected = n.version;
        n.version = expected + 1;
        let body = encode(&n)?;
        let updated = self
            .execute(
                "UPDATE notifications SET acked_at_ms = $2, delivered = $3, version = $4, body = $5
                 WHERE id = $1 AND version = $6",
                &[&n.id, &n.acked_at_ms, &(n.delivery_attempts > 0), &n.version, &body, &expected],
            )
            .await?;
        if updated == 1 {
            return Ok(n);
        }
        let rows = self.query("SELECT version FROM notifications WHERE id = $1", &[&n.id]).await?;
        Err(rows.first().map_or(StoreError::NotFound, |row| StoreError::VersionConflict { actual: row.get(0) }))
    }

    async fn list(&self, query: &NotificationQuery) -> Result<NotificationPage, StoreError> {
        let kinds: Vec<String> = query.kinds.iter().map(|k| k.code().to_owned()).collect();
        let limit = i64::from(query.limit) + 1;
        let rows = self
            .query(
                "SELECT pos, body, version FROM notifications WHERE organization_id = $1
                   AND ($2::bigint IS NULL OR pos < $2)
                   AND (NOT $3 OR acked_at_ms IS NULL)
                   AND (cardinality($4::text[]) = 0 OR kind = ANY($4))
                 ORDER BY pos DESC LIMIT $5",
                &[&query.organization_id, &query.before_cursor, &query.unacknowledged_only, &kinds, &limit],
            )
            .await?;
        let mut found = read(&rows)?;
        let more = found.len() > query.limit as usize;
        found.truncate(query.limit as usize);
        let next_cursor = if more { found.last().map(|(pos, _)| *pos) } else { None };
        Ok(NotificationPage { notifications: found.into_iter().map(|(_, n)| n).collect(), next_cursor })
    }

    async fn count_standalone_since(&self, organization_id: &str, since_ms: i64) -> Result<u64, StoreError> {
        let rows = self
            .query(
                "SELECT COUNT(*) FROM notifications WHERE organization_id = $1 AND created_at_ms >= $2 AND digest_id = ''",
                &[&organization_id, &since_ms],
            )
            .await?;
        Ok(rows.first().map(|row| count(row.get(0))).unwrap_or(0))
    }

    async fn due_digests(&self, now_ms: i64, limit: u32) -> Result<Vec<DueDigest>, StoreError> {
        let rows = self
            .query(
                "SELECT n.organization_id, n.digest_id, n.digest_due_ms, n.id FROM notifications n
                 WHERE n.digest_id != '' AND n.digest_due_ms <= $1
                   AND NOT EXISTS (SELECT 1 FROM notifications d WHERE d.id = n.digest_id)
                 ORDER BY n.digest_due_ms, n.digest_id, n.pos",
                &[&now_ms],
            )
            .await?;
        let mut due: Vec<DueDigest> = Vec::new();
        for row in &rows {
            let (organization_id, digest_id, due_ms, item): (String, String, i64, String) =
                (row.get(0), row.get(1), row.get(2), row.get(3));
            if let Some(last) = due.last_mut().filter(|last| last.digest_id == digest_id) {
                last.items.push(item);
            } else if due.len() == limit as usize {
                break;
            } else {
                due.push(DueDigest { organization_id, digest_id, due_ms, items: vec![item] });
            }
        }
        Ok(due)
    }
}

#[async_trait]
impl Outbox<Notification> for PostgresNotificationStore {
    async fn item(&self, id: &str) -> Result<Option<Notification>, StoreError> {
        NotificationStore::get(self, id).await
    }

    async fn deliverable(
        &self,
        recipient: &str,
        after: i64,
        _now_ms: i64,
        limit: u32,
    ) -> Result<Vec<(i64, Notification)>, StoreError> {
        let rows = self
            .query(
                &format!(
                    "SELECT pos, body, version FROM notifications WHERE organization_id = $1 AND pos > $2 AND {OPEN}
                     ORDER BY pos LIMIT $3"
                ),
                &[&recipient, &after, &i64::from(limit)],
            )
            .await?;
        read(&rows)
    }

    async fn count_unacknowledged(&self, recipient: &str) -> Result<u64, StoreError> {
        let rows = self
            .query(
                &format!("SELECT COUNT(*) FROM notifications WHERE organization_id = $1 AND {OPEN} AND delivered"),
                &[&recipient],
            )
            .await?;
        Ok(rows.first().map(|row| count(row.get(0))).unwrap_or(0))
    }

    async fn unpublished(&self, _now_ms: i64, limit: u32) -> Result<Vec<Notification>, StoreError> {
        let rows = self
            .query(
                &format!(
                    "SELECT pos, body, version FROM notifications WHERE entry_id IS NULL AND {OPEN} ORDER BY pos LIMIT $1"
                ),
                &[&i64::from(limit)],
            )
            .await?;
        Ok(read(&rows)?.into_iter().map(|(_, n)| n).collect())
    }

    async fn mark_published(&self, entries: &[(String, String)]) -> Result<Vec<bool>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let mut won = Vec::with_capacity(entries.len());
        for (id, entry) in entries {
            let changed = tx
                .execute(
                    "UPDATE notifications SET entry_id = $2 WHERE id = $1 AND (entry_id IS NULL OR entry_id = $2)",
                    &[id, entry],
                )
                .await
                .map_err(db)?;
            won.push(changed == 1);
        }
        tx.commit().await.map_err(db)?;
        Ok(won)
    }

    async fn published_entry(&self, id: &str) -> Result<Option<String>, StoreError> {
        let rows = self.query("SELECT entry_id FROM notifications WHERE id = $1", &[&id]).await?;
        Ok(rows.first().and_then(|row| row.get::<_, Option<String>>(0)))
    }

    async fn published_open(&self, after: i64, limit: u32) -> Result<Vec<(i64, Published<Notification>)>, StoreError> {
        let rows = self
            .query(
                &format!(
                    "SELECT pos, body, version, entry_id FROM notifications
                     WHERE pos > $1 AND entry_id IS NOT NULL AND {OPEN} ORDER BY pos LIMIT $2"
                ),
                &[&after, &i64::from(limit)],
            )
            .await?;
        rows.iter()
            .map(|row| Ok((row.get(0), Published { item: decode(row.get(1), row.get(2))?, entry_id: row.get(3) })))
            .collect()
    }

    async fn clear_published(&self, id: &str, entry_id: &str) -> Result<(), StoreError> {
        self.execute(
            "UPDATE notifications SET entry_id = NULL, settled_at_ms = NULL WHERE id = $1 AND entry_id = $2",
            &[&id, &entry_id],
        )
        .await?;
        Ok(())
    }

    async fn unsettled(&self, limit: u32) -> Result<Vec<Published<Notification>>, StoreError> {
        let rows = self
            .query(
                "SELECT body, version, entry_id FROM notifications
                 WHERE entry_id IS NOT NULL AND settled_at_ms IS NULL AND acked_at_ms IS NOT NULL
                 ORDER BY pos LIMIT $1",
                &[&i64::from(limit)],
            )
            .await?;
        rows.iter().map(|row| Ok(Published { item: decode(row.get(0), row.get(1))?, entry_id: row.get(2) })).collect()
    }

    async fn mark_settled(&self, id: &str, entry_id: &str) -> Result<(), StoreError> {
        self.execute(
            "UPDATE notifications SET settled_at_ms = $3 WHERE id = $1 AND entry_id = $2",
            &[&id, &entry_id, &innomatch_core::model::now_ms()],
        )
        .await?;
        Ok(())
    }
}
