//! The embedded lead store: `leads.sqlite3` in the data directory (WAL mode),
//! separate from the catalog's database so each service migrates its own
//! schema (`PRAGMA user_version`) and could move to its own host.

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use crate::{
    delivery::{Outbox, Published},
    model::{Lead, LeadStatus},
    store::{LeadPage, LeadQuery, LeadStore, StoreError},
};

/// The file the store lives in, inside the data directory.
pub const FILE_NAME: &str = "leads.sqlite3";

/// Statuses in which a lead still waits for an answer, as stored codes; the
/// partial indexes below repeat this list literally so SQLite can use them.
const OPEN_STATUSES: &str = "('new', 'delivered')";

/// Schema migrations, applied in order; `user_version` counts the applied
/// ones. Append only: a released migration never changes.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE leads (
    pos                    INTEGER PRIMARY KEY AUTOINCREMENT,
    id                     TEXT NOT NULL UNIQUE,
    agency_organization_id TEXT NOT NULL,
    status                 TEXT NOT NULL,
    category               TEXT NOT NULL,
    created_at_ms          INTEGER NOT NULL,
    respond_by_ms          INTEGER NOT NULL,
    acked_at_ms            INTEGER,
    delivered              INTEGER NOT NULL DEFAULT 0,
    version                INTEGER NOT NULL,
    body                   TEXT NOT NULL,
    -- Outbox bookkeeping of an external delivery log (Redis Streams).
    entry_id               TEXT,
    settled_at_ms          INTEGER
);
CREATE INDEX leads_by_agency ON leads (agency_organization_id, pos);
CREATE INDEX leads_open ON leads (agency_organization_id, pos)
    WHERE acked_at_ms IS NULL AND status IN ('new', 'delivered');
CREATE INDEX leads_due ON leads (respond_by_ms) WHERE status IN ('new', 'delivered');
CREATE INDEX leads_unpublished ON leads (pos)
    WHERE entry_id IS NULL AND acked_at_ms IS NULL AND status IN ('new', 'delivered');
CREATE INDEX leads_unsettled ON leads (pos) WHERE entry_id IS NOT NULL AND settled_at_ms IS NULL;
"#,
    // Leads by need (closing with it) and the declined or expired leads
    // whose need is still to pass to the next agency.
    r#"
ALTER TABLE leads ADD COLUMN need_id TEXT NOT NULL DEFAULT '';
UPDATE leads SET need_id = json_extract(body, '$.need_id');
CREATE INDEX leads_by_need ON leads (need_id, pos);
ALTER TABLE leads ADD COLUMN pass_on_pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX leads_pass_on ON leads (pos) WHERE pass_on_pending = 1;
"#,
];

/// SQLite behind one connection; calls run on tokio's blocking pool.
pub struct SqliteLeadStore {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteLeadStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteLeadStore").finish_non_exhaustive()
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn encode(lead: &Lead) -> Result<String, StoreError> {
    serde_json::to_string(lead).map_err(backend)
}

fn decode(body: &str, version: i64) -> Result<Lead, StoreError> {
    let mut lead: Lead = serde_json::from_str(body).map_err(|e| backend(format!("corrupt lead body: {e}")))?;
    lead.version = version;
    Ok(lead)
}

fn read_leads(stmt: &mut rusqlite::Statement<'_>, args: impl rusqlite::Params) -> Result<Vec<(i64, Lead)>, StoreError> {
    let rows = stmt
        .query_map(args, |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))
        .map_err(backend)?;
    let mut leads = Vec::new();
    for row in rows {
        let (pos, body, version) = row.map_err(backend)?;
        leads.push((pos, decode(&body, version)?));
    }
    Ok(leads)
}

impl SqliteLeadStore {
    /// Opens (creating if needed) [`FILE_NAME`] in `data_dir` and migrates it.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| backend(format!("{}: {e}", data_dir.display())))?;
        let conn = Connection::open(data_dir.join(FILE_NAME)).map_err(backend)?;
        Self::from_connection(conn)
    }

    /// A private in-memory store, for tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::from_connection(Connection::open_in_memory().map_err(backend)?)
    }

    fn from_connection(mut conn: Connection) -> Result<Self, StoreError> {
        // WAL with NORMAL sync survives a process crash (SIGKILL), which is
        // what the lead outbox must survive; fsync per lead would cap throughput.
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;")
            .map_err(backend)?;
        migrate(&mut conn)?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    async fn with_conn<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| backend("lead store connection poisoned"))?;
            f(&mut guard)
        })
        .await
        .map_err(backend)?
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    innomatch_core::sqlite::migrate(conn, "lead database", MIGRATIONS).map_err(backend)
}

#[async_trait]
impl LeadStore for SqliteLeadStore {
    async fn insert_if_absent(&self, mut lead: Lead) -> Result<(Lead, bool), StoreError> {
        self.with_conn(move |conn| {
            lead.version = 1;
            let body = encode(&lead)?;
            let inserted = conn
                .execute(
                    "INSERT INTO leads (id, agency_organization_id, status, category, created_at_ms, respond_by_ms,
                                        acked_at_ms, delivered, version, body, need_id, pass_on_pending)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10, ?11) ON CONFLICT (id) DO NOTHING",
                    params![
                        lead.id,
                        lead.agency_organization_id,
                        lead.status.code(),
                        lead.category.code(),
                        lead.created_at_ms,
                        lead.respond_by_ms,
                        lead.acked_at_ms,
                        lead.delivery_attempts > 0,
                        body,
                        lead.need_id,
                        lead.awaits_pass_on(),
                    ],
                )
                .map_err(backend)?;
            if inserted == 1 {
                return Ok((lead, true));
            }
            let (body, version): (String, i64) = conn
                .query_row("SELECT body, version FROM leads WHERE id = ?1", [&lead.id], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(backend)?;
            Ok((decode(&body, version)?, false))
        })
        .await
    }

    async fn get(&self, id: &str) -> Result<Option<Lead>, StoreError> {
        let id = id.to_owned();
        self.with_conn(move |conn| {
            let row: Option<(String, i64)> = conn
                .query_row("SELECT body, version FROM leads WHERE id = ?1", [&id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(backend)?;
            row.map(|(body, version)| decode(&body, version)).transpose()
        })
        .await
    }

    async fn update(&self, mut lead: Lead) -> Result<Lead, StoreError> {
        self.with_conn(move |conn| {
            let expected = lead.version;
            lead.version = expected + 1;
            let body = encode(&lead)?;
            let updated = conn
                .execute(
                    "UPDATE leads SET status = ?2, respond_by_ms = ?3, acked_at_ms = ?4, delivered = ?5, version = ?6, body = ?7,
                                      pass_on_pending = ?9
                     WHERE id = ?1 AND version = ?8",
                    params![
                        lead.id,
                        lead.status.code(),
                        lead.respond_by_ms,
                        lead.acked_at_ms,
                        lead.delivery_attempts > 0,
                        lead.version,
                        body,
                        expected,
                        lead.awaits_pass_on(),
                    ],
                )
                .map_err(backend)?;
            if updated == 1 {
                return Ok(lead);
            }
            let actual: Option<i64> = conn
                .query_row("SELECT version FROM leads WHERE id = ?1", [&lead.id], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            Err(actual.map_or(StoreError::NotFound, |actual| StoreError::VersionConflict { actual }))
        })
        .await
    }

    async fn list(&self, query: &LeadQuery) -> Result<LeadPage, StoreError> {
        let query = query.clone();
        self.with_conn(move |conn| {
            let mut sql = String::from("SELECT pos, body, version FROM leads WHERE agency_organization_id = ?");
            let mut args: Vec<rusqlite::types::Value> = vec![query.agency_organization_id.clone().into()];
            if let Some(cursor) = query.before_cursor {
                sql.push_str(" AND pos < ?");
                args.push(cursor.into());
            }
            if !query.statuses.is_empty() {
                let marks = vec!["?"; query.statuses.len()].join(", ");
                sql.push_str(&format!(" AND status IN ({marks})"));
                args.extend(query.statuses.iter().map(|s| s.code().to_owned().into()));
            }
            if let Some(category) = query.category {
                sql.push_str(" AND category = ?");
                args.push(category.code().to_owned().into());
            }
            // One extra row tells whether another page follows.
            sql.push_str(" ORDER BY pos DESC LIMIT ?");
            args.push(i64::from(query.limit.saturating_add(1)).into());
            let mut stmt = conn.prepare(&sql).map_err(backend)?;
            let mut rows = read_leads(&mut stmt, rusqlite::params_from_iter(args))?;
            let more = rows.len() > query.limit as usize;
            rows.truncate(query.limit as usize);
            let next_cursor = if more { rows.last().map(|(pos, _)| *pos) } else { None };
            Ok(LeadPage { leads: rows.into_iter().map(|(_, lead)| lead).collect(), next_cursor })
        })
        .await
    }

    async fn for_need(&self, need_id: &str) -> Result<Vec<Lead>, StoreError> {
        let need_id = need_id.to_owned();
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT pos, body, version FROM leads WHERE need_id = ?1 ORDER BY pos")
                .map_err(backend)?;
            Ok(read_leads(&mut stmt, [need_id])?.into_iter().map(|(_, lead)| lead).collect())
        })
        .await
    }

    async fn awaiting_pass_on(&self, limit: u32) -> Result<Vec<Lead>, StoreError> {
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT pos, body, version FROM leads WHERE pass_on_pending = 1 ORDER BY pos LIMIT ?1")
                .map_err(backend)?;
            Ok(read_leads(&mut stmt, [limit])?.into_iter().map(|(_, lead)| lead).collect())
        })
        .await
    }

    async fn due_for_expiry(&self, now_ms: i64, limit: u32) -> Result<Vec<Lead>, StoreError> {
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT pos, body, version FROM leads WHERE status IN {OPEN_STATUSES} AND respond_by_ms <= ?1
                     ORDER BY respond_by_ms LIMIT ?2"
                ))
                .map_err(backend)?;
            Ok(read_leads(&mut stmt, params![now_ms, limit])?.into_iter().map(|(_, lead)| lead).collect())
        })
        .await
    }

    async fn count_by_status(&self) -> Result<Vec<(LeadStatus, u64)>, StoreError> {
        self.with_conn(|conn| {
            let mut stmt =
                conn.prepare("SELECT status, COUNT(*) FROM leads GROUP BY status ORDER BY status").map_err(backend)?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).map_err(backend)?;
            let mut counts = Vec::new();
            for row in rows {
                let (status, count) = row.map_err(backend)?;
                let status = LeadStatus::from_code(&status)
                    .ok_or_else(|| backend(format!("unknown stored status {status:?}")))?;
                counts.push((status, count.max(0) as u64));
            }
            Ok(counts)
        })
        .await
    }

    async fn backlog_by_agency(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.with_conn(|conn| {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT agency_organization_id, COUNT(*) FROM leads
                     WHERE acked_at_ms IS NULL AND status IN {OPEN_STATUSES}
                     GROUP BY agency_organization_id ORDER BY agency_organization_id"
                ))
                .map_err(backend)?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).map_err(backend)?;
            rows.map(|row| row.map(|(agency, n)| (agency, n.max(0) as u64)).map_err(backend)).collect()
        })
        .await
    }
}

#[async_trait]
impl Outbox<Lead> for SqliteLeadStore {
    async fn item(&self, id: &str) -> Result<Option<Lead>, StoreError> {
        LeadStore::get(self, id).await
    }

    async fn deliverable(
        &self,
        agency_organization_id: &str,
        after: i64,
        now_ms: i64,
        limit: u32,
    ) -> Result<Vec<(i64, Lead)>, StoreError> {
        let agency = agency_organization_id.to_owned();
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT pos, body, version FROM leads
                     WHERE agency_organization_id = ?1 AND pos > ?2 AND acked_at_ms IS NULL
                       AND status IN {OPEN_STATUSES} AND respond_by_ms > ?3
                     ORDER BY pos LIMIT ?4"
                ))
                .map_err(backend)?;
            read_leads(&mut stmt, params![agency, after, now_ms, limit])
        })
        .await
    }

    async fn count_unacknowledged(&self, agency_organization_id: &str) -> Result<u64, StoreError> {
        let agency = agency_organization_id.to_owned();
        self.with_conn(move |conn| {
            conn.query_row(
                &format!(
                    "SELECT COUNT(*) FROM leads WHERE agency_organization_id = ?1 AND acked_at_ms IS NULL
                       AND status IN {OPEN_STATUSES} AND delivered = 1"
                ),
                [agency],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(backend)
        })
        .await
    }

    async fn unpublished(&self, now_ms: i64, limit: u32) -> Result<Vec<Lead>, StoreError> {
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT pos, body, version FROM leads
                     WHERE entry_id IS NULL AND acked_at_ms IS NULL AND status IN {OPEN_STATUSES} AND respond_by_ms > ?1
                     ORDER BY pos LIMIT ?2"
                ))
                .map_err(backend)?;
            Ok(read_leads(&mut stmt, params![now_ms, limit])?.into_iter().map(|(_, lead)| lead).collect())
        })
        .await
    }

    async fn mark_published(&self, entries: &[(String, String)]) -> Result<Vec<bool>, StoreError> {
        let entries = entries.to_vec();
        self.with_conn(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            let mut won = Vec::with_capacity(entries.len());
            {
                // Recording the same entry twice is a success: the publisher and
                // a subscriber that read the entry first may both record it.
                let mut stmt = tx
                    .prepare_cached(
                        "UPDATE leads SET entry_id = ?2 WHERE id = ?1 AND (entry_id IS NULL OR entry_id = ?2)",
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
            conn.query_row("SELECT entry_id FROM leads WHERE id = ?1", [id], |r| r.get::<_, Option<String>>(0))
                .optional()
                .map(Option::flatten)
                .map_err(backend)
        })
        .await
    }

    async fn published_open(&self, after: i64, limit: u32) -> Result<Vec<(i64, Published<Lead>)>, StoreError> {
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT pos, body, version, entry_id FROM leads
                     WHERE pos > ?1 AND entry_id IS NOT NULL AND acked_at_ms IS NULL AND status IN {OPEN_STATUSES}
                     ORDER BY pos LIMIT ?2"
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
                "UPDATE leads SET entry_id = NULL, settled_at_ms = NULL WHERE id = ?1 AND entry_id = ?2",
                params![id, entry_id],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn unsettled(&self, limit: u32) -> Result<Vec<Published<Lead>>, StoreError> {
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT body, version, entry_id FROM leads
                     WHERE entry_id IS NOT NULL AND settled_at_ms IS NULL
                       AND (acked_at_ms IS NOT NULL OR status NOT IN {OPEN_STATUSES})
                     ORDER BY pos LIMIT ?1"
                ))
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
                "UPDATE leads SET settled_at_ms = ?3 WHERE id = ?1 AND entry_id = ?2",
                params![id, entry_id, innomatch_core::model::now_ms()],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }
}
