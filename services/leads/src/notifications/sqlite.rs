//! The embedded notification store: `notifications.sqlite3` in the data
//! directory (WAL mode), with its own migrations (`PRAGMA user_version`).

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::{
    model::Notification,
    store::{DueDigest, NotificationPage, NotificationQuery, NotificationStore},
};
use crate::{
    delivery::{Outbox, Published},
    store::StoreError,
};

/// The file the store lives in, inside the data directory.
pub const FILE_NAME: &str = "notifications.sqlite3";

/// Schema migrations, applied in order. Append only.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE notifications (
    pos              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    organization_id  TEXT NOT NULL,
    kind             TEXT NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    acked_at_ms      INTEGER,
    delivered        INTEGER NOT NULL DEFAULT 0,
    digest_id        TEXT NOT NULL DEFAULT '',
    digest_due_ms    INTEGER NOT NULL DEFAULT 0,
    version          INTEGER NOT NULL,
    body             TEXT NOT NULL,
    -- Outbox bookkeeping of an external delivery log (Redis Streams).
    entry_id         TEXT,
    settled_at_ms    INTEGER
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

/// SQLite behind one connection; calls run on tokio's blocking pool.
pub struct SqliteNotificationStore {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteNotificationStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteNotificationStore").finish_non_exhaustive()
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
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

fn read(
    stmt: &mut rusqlite::Statement<'_>,
    args: impl rusqlite::Params,
) -> Result<Vec<(i64, Notification)>, StoreError> {
    let rows = stmt
        .query_map(args, |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))
        .map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (pos, body, version) = row.map_err(backend)?;
        out.push((pos, decode(&body, version)?));
    }
    Ok(out)
}

impl SqliteNotificationStore {
    /// Opens (creating if needed) [`FILE_NAME`] in `data_dir` and migrates it.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| backend(format!("{}: {e}", data_dir.display())))?;
        Self::from_connection(Connection::open(data_dir.join(FILE_NAME)).map_err(backend)?)
    }

    /// A private in-memory store, for tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::from_connection(Connection::open_in_memory().map_err(backend)?)
    }

    fn from_connection(mut conn: Connection) -> Result<Self, StoreError> {
        // WAL with NORMAL sync survives a process crash (SIGKILL).
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;")
            .map_err(backend)?;
        innomatch_core::sqlite::migrate(&mut conn, "notification database", MIGRATIONS).map_err(backend)?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    async fn with_conn<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| backend("notification store connection poisoned"))?;
            f(&mut guard)
        })
        .await
        .map_err(backend)?
    }
}

#[async_trait]
impl NotificationStore for SqliteNotificationStore {
    async fn insert_if_absent(&self, mut n: Notification) -> Result<(Notification, bool), StoreError> {
        self.with_conn(move |conn| {
            n.version = 1;
            let body = encode(&n)?;
            let inserted = conn
                .execute(
                    "INSERT INTO notifications (id, organization_id, kind, created_at_ms, acked_at_ms, delivered, digest_id, digest_due_ms, version, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9) ON CONFLICT (id) DO NOTHING",
                    params![
                        n.id,
                        n.organization_id,
                        n.kind.code(),
                        n.created_at_ms,
                        n.acked_at_ms,
                        n.delivery_attempts > 0,
                        n.digest_id,
                        n.digest_due_ms,
                        body
                    ],
                )
                .map_err(backend)?;
            if inserted == 1 {
                return Ok((n, true));
            }
            let (body, version): (String, i64) = conn
                .query_row("SELECT body, version FROM notifications WHERE id = ?1", [&n.id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .map_err(backend)?;
            Ok((decode(&body, version)?, false))
        })
        .await
    }

    async fn get(&self, id: &str) -> Result<Option<Notification>, StoreError> {
        let id = id.to_owned();
        self.with_conn(move |conn| {
            let row: Option<(String, i64)> = conn
                .query_row("SELECT body, version FROM notifications WHERE id = ?1", [&id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(backend)?;
            row.map(|(body, version)| decode(&body, version)).transpose()
        })
        .await
    }

    async fn update(&self, mut n: Notification) -> Result<Notification, StoreError> {
        self.with_conn(move |conn| {
            let expected = n.version;
            n.version = expected + 1;
            let body = encode(&n)?;
            let updated = conn
                .execute(
                    "UPDATE notifications SET acked_at_ms = ?2, delivered = ?3, version = ?4, body = ?5
                     WHERE id = ?1 AND version = ?6",
                    params![n.id, n.acked_at_ms, n.delivery_attempts > 0, n.version, body, expected],
                )
                .map_err(backend)?;
            if updated == 1 {
                return Ok(n);
            }
            let actual: Option<i64> = conn
                .query_row("SELECT version FROM notifications WHERE id = ?1", [&n.id], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            Err(actual.map_or(StoreError::NotFound, |actual| StoreError::VersionConflict { actual }))
        })
        .await
    }

    async fn list(&self, query: &NotificationQuery) -> Result<NotificationPage, StoreError> {
        let query = query.clone();
        self.with_conn(move |conn| {
            let mut sql = String::from("SELECT pos, body, version FROM notifications WHERE organization_id = ?");
            let mut args: Vec<rusqlite::types::Value> = vec![query.organization_id.clone().into()];
            if let Some(cursor) = query.before_cursor {
                sql.push_str(" AND pos < ?");
                args.push(cursor.into());
            }
            if query.unacknowledged_only {
                sql.push_str(" AND acked_at_ms IS NULL");
            }
            if !query.kinds.is_empty() {
                let marks = vec!["?"; query.kinds.len()].join(", ");
                sql.push_str(&format!(" AND kind IN ({marks})"));
                args.extend(query.kinds.iter().map(|k| k.code().to_owned().into()));
            }
            sql.push_str(" ORDER BY pos DESC LIMIT ?");
            args.push(i64::from(query.limit.saturating_add(1)).into());
            let mut stmt = conn.prepare(&sql).map_err(backend)?;
            let mut rows = read(&mut stmt, rusqlite::params_from_iter(args))?;
            let more = rows.len() > query.limit as usize;
            rows.truncate(query.limit as usize);
            let next_cursor = if more { rows.last().map(|(pos, _)| *pos) } else { None };
            Ok(NotificationPage { notifications: rows.into_iter().map(|(_, n)| n).collect(), next_cursor })
        })
        .await
    }

    async fn count_standalone_since(&self, organization_id: &str, since_ms: i64) -> Result<u64, StoreError> {
        let organization_id = organization_id.to_owned();
        self.with_conn(move |conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM notifications WHERE organization_id = ?1 AND created_at_ms >= ?2 AND digest_id = ''",
                params![organization_id, since_ms],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(backend)
        })
        .await
    }

    async fn due_digests(&self, now_ms: i64, limit: u32) -> Result<Vec<DueDigest>, StoreError> {
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT n.organization_id, n.digest_id, n.digest_due_ms, n.id FROM notifications n
                     WHERE n.digest_id != '' AND n.digest_due_ms <= ?1
                       AND NOT EXISTS (SELECT 1 FROM notifications d WHERE d.id = n.digest_id)
                     ORDER BY n.digest_due_ms, n.digest_id, n.pos",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map([now_ms], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, String>(3)?))
                })
                .map_err(backend)?;
            let mut due: Vec<DueDigest> = Vec::new();
            for row in rows {
                let (organization_id, digest_id, due_ms, item) = row.map_err(backend)?;
                if let Some(last) = due.last_mut().filter(|last| last.digest_id == digest_id) {
                    last.items.push(item);
                } else if due.len() == limit as usize {
                    break;
                } else {
                    due.push(DueDigest { organization_id, digest_id, due_ms, items: vec![item] });
                }
            }
            Ok(due)
        })
        .await
    }
}

#[async_trait]
impl Outbox<Notification> for SqliteNotificationStore {
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
        let recipient = recipient.to_owned();
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT pos, body, version FROM notifications WHERE organization_id = ?1 AND pos > ?2 AND {OPEN}
                     ORDER BY pos LIMIT ?3"
                ))
                .map_err(backend)?;
            read(&mut stmt, params![recipient, after, limit])
        })
        .await
    }

    async fn count_unacknowledged(&self, recipient: &str) -> Result<u64, StoreError> {
        let recipient = recipient.to_owned();
        self.with_conn(move |conn| {
            conn.query_row(
                &format!("SELECT COUNT(*) FROM notifications WHERE organization_id = ?1 AND {OPEN} AND delivered = 1"),
                [recipient],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(backend)
        })
        .await
    }

    async fn unpublished(&self, _now_ms: i64, limit: u32) -> Result<Vec<Notification>, StoreError> {
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT pos, body, version FROM notifications WHERE entry_id IS NULL AND {OPEN} ORDER BY pos LIMIT ?1"
                ))
                .map_err(backend)?;
            Ok(read(&mut stmt, [limit])?.into_iter().map(|(_, n)| n).collect())
        })
        .await
    }

    async fn mark_published(&self, entries: &[(String, String)]) -> Result<Vec<bool>, StoreError> {
        let entries = entries.to_vec();
        self.with_conn(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            let mut won = Vec::with_capacity(entries.len());
            {
                // Recording the same entry twice is a success (see the lead store).
                let mut stmt = tx
                    .prepare_cached(
                        "UPDATE notifications SET entry_id = ?2 WHERE id = ?1 AND (entry_id IS NULL OR entry_id = ?2)",
                    )
                    .map_err(backend)?;
                for (id, entry) in &entries {
                    won.push(stmt.execute(params![id, entry]).map_err(backend)? == 1);
                }
            }
            tx.commit().map_err(backend)?;
            Ok(won)
        })
        .await
    }

    async fn published_entry(&self, id: &str) -> Result<Option<String>, StoreError> {
        let id = id.to_owned();
        self.with_conn(move |conn| {
            conn.query_row("SELECT entry_id FROM notifications WHERE id = ?1", [id], |r| r.get::<_, Option<String>>(0))
                .optional()
                .map(Option::flatten)
                .map_err(backend)
        })
        .await
    }

    async fn published_open(&self, after: i64, limit: u32) -> Result<Vec<(i64, Published<Notification>)>, StoreError> {
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT pos, body, version, entry_id FROM notifications
                     WHERE pos > ?1 AND entry_id IS NOT NULL AND {OPEN} ORDER BY pos LIMIT ?2"
                ))
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![after, limit], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, String>(3)?))
                })
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let (pos, body, version, entry_id) = row.map_err(backend)?;
                out.push((pos, Published { item: decode(&body, version)?, entry_id }));
            }
            Ok(out)
        })
        .await
    }

    async fn clear_published(&self, id: &str, entry_id: &str) -> Result<(), StoreError> {
        let (id, entry_id) = (id.to_owned(), entry_id.to_owned());
        self.with_conn(move |conn| {
            conn.execute(
                "UPDATE notifications SET entry_id = NULL, settled_at_ms = NULL WHERE id = ?1 AND entry_id = ?2",
                params![id, entry_id],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn unsettled(&self, limit: u32) -> Result<Vec<Published<Notification>>, StoreError> {
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT body, version, entry_id FROM notifications
                     WHERE entry_id IS NOT NULL AND settled_at_ms IS NULL AND acked_at_ms IS NOT NULL
                     ORDER BY pos LIMIT ?1",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map([limit], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let (body, version, entry_id) = row.map_err(backend)?;
                out.push(Published { item: decode(&body, version)?, entry_id });
            }
            Ok(out)
        })
        .await
    }

    async fn mark_settled(&self, id: &str, entry_id: &str) -> Result<(), StoreError> {
        let (id, entry_id) = (id.to_owned(), entry_id.to_owned());
        self.with_conn(move |conn| {
            conn.execute(
                "UPDATE notifications SET settled_at_ms = ?3 WHERE id = ?1 AND entry_id = ?2",
                params![id, entry_id, innomatch_core::model::now_ms()],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }
}
