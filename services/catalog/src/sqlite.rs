//! The embedded record store: SQLite in the data directory (WAL mode), with
//! schema migrations keyed on `PRAGMA user_version`.

use std::{path::Path, sync::Arc};

use async_trait::async_trait;
use innomatch_core::{
    model::{ChangeOperation, Record, RecordKind, RecordStatus, Role, now_ms},
    tag::Tag,
    taxonomy::Taxonomy,
};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use tokio::sync::{broadcast, watch};

use crate::store::{
    COMMITTED_CHANNEL_CAPACITY, Change, CommittedChanges, ListQuery, PrivateNeeds, RecordPage, RecordStore, StoreError,
    TokenRecord, Write, unique_tag,
};

/// Schema migrations, applied in order; `user_version` counts the applied ones.
/// Append only: a released migration never changes.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE records (
    pos            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    status         TEXT NOT NULL,
    visibility     TEXT NOT NULL,
    version        INTEGER NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL,
    body           TEXT NOT NULL
);
CREATE INDEX records_by_kind ON records (kind, pos);
CREATE INDEX records_by_owner ON records (organization_id, kind, pos);
CREATE TABLE record_tags (
    tag TEXT NOT NULL,
    pos INTEGER NOT NULL REFERENCES records (pos) ON DELETE CASCADE,
    PRIMARY KEY (tag, pos)
) WITHOUT ROWID;
CREATE INDEX record_tags_by_pos ON record_tags (pos);
CREATE TABLE changes (
    sequence        INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id       TEXT NOT NULL,
    operation       TEXT NOT NULL,
    committed_at_ms INTEGER NOT NULL,
    body            TEXT NOT NULL
);
CREATE TABLE api_tokens (
    id              TEXT PRIMARY KEY,
    hash            TEXT NOT NULL UNIQUE,
    organization_id TEXT,
    role            TEXT NOT NULL,
    label           TEXT NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    revoked_at_ms   INTEGER
);
"#,
    // Organizations gain credit-code and name tags, needs their lifecycle
    // tag: their tags are written
    // again at open (see `retag_pending`).
    r#"
CREATE TABLE retag_pending (pos INTEGER PRIMARY KEY);
INSERT INTO retag_pending (pos) SELECT pos FROM records WHERE kind IN ('organization', 'need');
"#,
    crate::accounts::sqlite::MIGRATION,
    // The stable id an import gave a record (see `Write::Insert`), and each
    // body stored once (see `append_change`).
    r#"
ALTER TABLE records ADD COLUMN external_key TEXT;
CREATE UNIQUE INDEX records_by_external_key ON records (external_key);
ALTER TABLE records ADD COLUMN last_sequence INTEGER;
"#,
    crate::interest::sqlite::MIGRATION,
    // The plan board's daily snapshots.
    crate::plan::sqlite::MIGRATION,
    // The policy-push ledger.
    crate::policy::sqlite::MIGRATION,
];

/// SQLite behind one connection. Calls run on tokio's blocking pool so a slow
/// disk never stalls the async workers, and take the connection in the order
/// they asked for it (a FIFO lock): a stream of feed replays cannot keep a
/// write waiting behind reads that keep barging in.
pub struct SqliteStore {
    conn: Arc<tokio::sync::Mutex<Connection>>,
    sequence: watch::Sender<i64>,
    committed: broadcast::Sender<CommittedChanges>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) `catalog.sqlite3` in `data_dir` and migrates it.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| backend(format!("{}: {e}", data_dir.display())))?;
        let conn = Connection::open(data_dir.join("catalog.sqlite3")).map_err(backend)?;
        Self::from_connection(conn)
    }

    /// A private in-memory store, for tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::from_connection(Connection::open_in_memory().map_err(backend)?)
    }

    fn from_connection(mut conn: Connection) -> Result<Self, StoreError> {
        // WAL keeps readers off the writer's back; NORMAL sync is durable
        // against a process crash (SIGKILL), which is what a server must
        // survive. A bulk write takes a savepoint per row: in memory, their
        // sub-journals cost no file writes (the WAL still makes the commit durable).
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
             PRAGMA busy_timeout = 5000; PRAGMA temp_store = MEMORY;",
        )
        .map_err(backend)?;
        migrate(&mut conn)?;
        retag_pending(&mut conn)?;
        let latest: i64 =
            conn.query_row("SELECT COALESCE(MAX(sequence), 0) FROM changes", [], |r| r.get(0)).map_err(backend)?;
        let (sequence, _) = watch::channel(latest);
        let (committed, _) = broadcast::channel(COMMITTED_CHANNEL_CAPACITY);
        Ok(Self { conn: Arc::new(tokio::sync::Mutex::new(conn)), sequence, committed })
    }

    pub(crate) async fn with_conn<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let mut conn = Arc::clone(&self.conn).lock_owned().await;
        tokio::task::spawn_blocking(move || f(&mut conn)).await.map_err(backend)?
    }

    /// Announces a commit: the changes first, then the sequence (see [`RecordStore::committed`]).
    fn publish(&self, changes: Vec<Change>) {
        let Some(sequence) = changes.iter().map(|c| c.sequence).max() else { return };
        let _ = self.committed.send(Arc::new(changes));
        self.sequence.send_if_modified(|current| {
            let newer = sequence > *current;
            if newer {
                *current = sequence;
            }
            newer
        });
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    innomatch_core::sqlite::migrate(conn, "database", MIGRATIONS).map_err(backend)
}

/// Writes the tags of the records a migration marked again (tags the
/// taxonomy added since they were written), then forgets the marks. The tag
/// rows are derived data: no change-log entry. A credit code two old
/// organizations share is kept as it is; the next write of either refuses.
fn retag_pending(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = write_transaction(conn)?;
    let pending: Vec<(i64, String)> = {
        let mut stmt =
            tx.prepare("SELECT r.pos, r.body FROM retag_pending p JOIN records r ON r.pos = p.pos").map_err(backend)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)?
    };
    for (pos, body) in pending {
        let record = decode(&body)?;
        tx.execute("DELETE FROM record_tags WHERE pos = ?1", [pos]).map_err(backend)?;
        for tag in Taxonomy::get().filter_tags(&record) {
            tx.execute("INSERT INTO record_tags (tag, pos) VALUES (?1, ?2)", params![tag.to_string(), pos])
                .map_err(backend)?;
        }
    }
    tx.execute("DELETE FROM retag_pending", []).map_err(backend)?;
    tx.commit().map_err(backend)
}

fn encode(record: &Record) -> Result<String, StoreError> {
    serde_json::to_string(record).map_err(backend)
}

fn decode(body: &str) -> Result<Record, StoreError> {
    serde_json::from_str(body).map_err(|e| backend(format!("corrupt record body: {e}")))
}

/// Takes the write lock up front: a deferred transaction that reads first
/// fails at once ("database is locked") when another connection to the same
/// file wrote in between, instead of waiting out the busy timeout.
fn write_transaction(conn: &mut Connection) -> Result<Transaction<'_>, StoreError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)
}

fn write_tags(tx: &Connection, pos: i64, record: &Record) -> Result<(), StoreError> {
    // The write transaction holds the database's write lock, so no other
    // writer can take the key between this check and the commit.
    if let Some(tag) = unique_tag(record) {
        let holder: Option<String> = tx
            .query_row(
                "SELECT r.id FROM record_tags t JOIN records r ON r.pos = t.pos
                 WHERE t.tag = ?1 AND r.pos != ?2 AND r.status != 'archived' LIMIT 1",
                params![tag.to_string(), pos],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
        if let Some(existing_id) = holder {
            return Err(StoreError::Duplicate { key: tag.to_string(), existing_id });
        }
    }
    tx.prepare_cached("DELETE FROM record_tags WHERE pos = ?1")
        .and_then(|mut delete| delete.execute([pos]))
        .map_err(backend)?;
    let mut insert = tx.prepare_cached("INSERT INTO record_tags (tag, pos) VALUES (?1, ?2)").map_err(backend)?;
    for tag in Taxonomy::get().filter_tags(record) {
        insert.execute(params![tag.to_string(), pos]).map_err(backend)?;
    }
    Ok(())
}

/// Appends a change whose body is the record's, stored once: a change with
/// an empty body is its record's latest (`records.last_sequence`) and reads
/// the body from the record; when the record changes again, the change gets
/// its body back (see `update_in`).
fn append_change(tx: &Connection, record: &Record, operation: ChangeOperation, at: i64) -> Result<i64, StoreError> {
    tx.prepare_cached("INSERT INTO changes (record_id, operation, committed_at_ms, body) VALUES (?1, ?2, ?3, '')")
        .and_then(|mut insert| insert.execute(params![record.meta().id, operation.code(), at]))
        .map_err(backend)?;
    Ok(tx.last_insert_rowid())
}

fn parse_code<T>(code: &str, from_code: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    from_code(code).ok_or_else(|| backend(format!("unknown stored code {code:?}")))
}

/// Inserts a new record at version 1 inside the caller's transaction.
fn insert_in(conn: &Connection, mut record: Record, external_key: Option<String>) -> Result<Change, StoreError> {
    let now = now_ms();
    let meta = record.meta_mut();
    meta.version = 1;
    meta.created_at_ms = now;
    meta.updated_at_ms = now;
    let status = meta.status();
    meta.status = Some(status);
    let body = encode(&record)?;
    let meta = record.meta();
    let sequence = append_change(conn, &record, ChangeOperation::Created, now)?;
    // No conflict target: a taken id and a taken external key both mean "exists".
    let inserted = conn
        .prepare_cached(
            "INSERT INTO records (id, kind, organization_id, status, visibility, version, created_at_ms, updated_at_ms, body, external_key, last_sequence)
             VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
        )
        .and_then(|mut insert| {
            insert.execute(params![
                meta.id,
                record.kind().code(),
                meta.organization_id,
                status.code(),
                record.visibility().code(),
                now,
                body,
                external_key,
                sequence
            ])
        })
        .map_err(backend)?;
    if inserted == 0 {
        return Err(StoreError::AlreadyExists); // the caller rolls the change back
    }
    let pos = conn.last_insert_rowid();
    write_tags(conn, pos, &record)?;
    Ok(Change { sequence, operation: ChangeOperation::Created, committed_at_ms: now, record })
}

/// Replaces a record inside the caller's transaction (see [`RecordStore::update`]).
fn update_in(
    conn: &Connection,
    mut record: Record,
    expected_version: Option<i64>,
    operation: ChangeOperation,
) -> Result<Change, StoreError> {
    let current: Option<(i64, i64, i64, String)> = conn
        .prepare_cached("SELECT pos, version, created_at_ms, kind FROM records WHERE id = ?1")
        .and_then(|mut select| {
            select.query_row([&record.meta().id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).optional()
        })
        .map_err(backend)?;
    let Some((pos, version, created_at_ms, kind)) = current else {
        return Err(StoreError::NotFound);
    };
    if kind != record.kind().code() {
        return Err(StoreError::NotFound);
    }
    if expected_version.is_some_and(|expected| expected != version) {
        return Err(StoreError::VersionConflict { actual: version });
    }
    let now = now_ms();
    let meta = record.meta_mut();
    meta.version = version + 1;
    meta.created_at_ms = created_at_ms;
    meta.updated_at_ms = now;
    let status = meta.status();
    meta.status = Some(status);
    let body = encode(&record)?;
    // The record's previous change read its body from the record: it keeps
    // that body now that the record moves on.
    conn.prepare_cached(
        "UPDATE changes SET body = (SELECT body FROM records WHERE pos = ?1)
         WHERE sequence = (SELECT last_sequence FROM records WHERE pos = ?1) AND body = ''",
    )
    .and_then(|mut keep| keep.execute([pos]))
    .map_err(backend)?;
    let sequence = append_change(conn, &record, operation, now)?;
    // The version check in WHERE makes the write conditional even if
    // another writer slipped in between (it cannot with one connection,
    // but a shared database must behave the same).
    let updated = conn
        .prepare_cached(
            "UPDATE records SET organization_id = ?2, status = ?3, visibility = ?4, version = ?5, updated_at_ms = ?6, body = ?7, last_sequence = ?9
             WHERE pos = ?1 AND version = ?8",
        )
        .and_then(|mut update| {
            update.execute(params![
                pos,
                record.meta().organization_id,
                status.code(),
                record.visibility().code(),
                version + 1,
                now,
                body,
                version,
                sequence
            ])
        })
        .map_err(backend)?;
    if updated == 0 {
        return Err(StoreError::VersionConflict { actual: version });
    }
    write_tags(conn, pos, &record)?;
    Ok(Change { sequence, operation, committed_at_ms: now, record })
}

#[async_trait]
impl RecordStore for SqliteStore {
    async fn insert(&self, record: Record) -> Result<Change, StoreError> {
        let change = self
            .with_conn(move |conn| {
                let tx = write_transaction(conn)?;
                let change = insert_in(&tx, record, None)?;
                tx.commit().map_err(backend)?;
                Ok(change)
            })
            .await?;
        self.publish(vec![change.clone()]);
        Ok(change)
    }

    async fn update(
        &self,
        record: Record,
        expected_version: Option<i64>,
        operation: ChangeOperation,
    ) -> Result<Change, StoreError> {
        let change = self
            .with_conn(move |conn| {
                let tx = write_transaction(conn)?;
                let change = update_in(&tx, record, expected_version, operation)?;
                tx.commit().map_err(backend)?;
                Ok(change)
            })
            .await?;
        self.publish(vec![change.clone()]);
        Ok(change)
    }

    async fn write_batch(&self, writes: Vec<Write>) -> Result<Vec<Result<Change, StoreError>>, StoreError> {
        let outcomes = self
            .with_conn(move |conn| {
                let tx = write_transaction(conn)?;
                let mut outcomes = Vec::with_capacity(writes.len());
                for write in writes {
                    tx.execute_batch("SAVEPOINT batch_row").map_err(backend)?;
                    let outcome = match write {
                        Write::Insert { record, external_key } => insert_in(&tx, record, external_key),
                        Write::Update { record, expected_version, operation } => {
                            update_in(&tx, record, expected_version, operation)
                        }
                    };
                    if outcome.is_err() {
                        tx.execute_batch("ROLLBACK TO batch_row").map_err(backend)?;
                    }
                    tx.execute_batch("RELEASE batch_row").map_err(backend)?;
                    outcomes.push(outcome);
                }
                tx.commit().map_err(backend)?;
                Ok(outcomes)
            })
            .await?;
        self.publish(outcomes.iter().filter_map(|o| o.as_ref().ok()).cloned().collect());
        Ok(outcomes)
    }

    async fn get(&self, kind: RecordKind, id: &str) -> Result<Option<Record>, StoreError> {
        let id = id.to_owned();
        self.with_conn(move |conn| {
            let body: Option<String> = conn
                .query_row("SELECT body FROM records WHERE id = ?1 AND kind = ?2", params![id, kind.code()], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(backend)?;
            body.as_deref().map(decode).transpose()
        })
        .await
    }

    async fn get_many(&self, kind: RecordKind, ids: &[String]) -> Result<Vec<Record>, StoreError> {
        let ids = ids.to_vec();
        self.with_conn(move |conn| {
            let mut select =
                conn.prepare_cached("SELECT body FROM records WHERE id = ?1 AND kind = ?2").map_err(backend)?;
            let mut records = Vec::with_capacity(ids.len());
            for id in &ids {
                let body: Option<String> =
                    select.query_row(params![id, kind.code()], |r| r.get(0)).optional().map_err(backend)?;
                if let Some(body) = body {
                    records.push(decode(&body)?);
                }
            }
            Ok(records)
        })
        .await
    }

    async fn find_external(&self, keys: &[String]) -> Result<Vec<(String, Record)>, StoreError> {
        let keys = keys.to_vec();
        self.with_conn(move |conn| {
            let mut select =
                conn.prepare_cached("SELECT body FROM records WHERE external_key = ?1").map_err(backend)?;
            let mut found = Vec::new();
            for key in keys {
                let body: Option<String> = select.query_row([&key], |r| r.get(0)).optional().map_err(backend)?;
                if let Some(body) = body {
                    found.push((key, decode(&body)?));
                }
            }
            Ok(found)
        })
        .await
    }

    async fn list(&self, query: &ListQuery) -> Result<RecordPage, StoreError> {
        let query = query.clone();
        self.with_conn(move |conn| {
            let mut sql = String::from("SELECT pos, body FROM records WHERE kind = ? AND pos > ?");
            let mut args: Vec<rusqlite::types::Value> =
                vec![query.kind.code().to_owned().into(), query.after_cursor.into()];
            if let Some(org) = &query.organization_id {
                sql.push_str(" AND organization_id = ?");
                args.push(org.clone().into());
            }
            match query.status {
                Some(status) => {
                    sql.push_str(" AND status = ?");
                    args.push(status.code().to_owned().into());
                }
                None if !query.include_archived => {
                    sql.push_str(" AND status != ?");
                    args.push(RecordStatus::Archived.code().to_owned().into());
                }
                None => {}
            }
            match &query.private_needs {
                PrivateNeeds::All => {}
                PrivateNeeds::OwnedBy(org) => {
                    sql.push_str(" AND (visibility != 'private' OR organization_id = ?)");
                    args.push(org.clone().into());
                }
                PrivateNeeds::None => sql.push_str(" AND visibility != 'private'"),
            }
            if query.hide_anonymous {
                sql.push_str(" AND visibility != 'anonymous'");
            }
            for tag in &query.tags {
                sql.push_str(" AND pos IN (SELECT pos FROM record_tags WHERE tag = ?)");
                args.push(tag.to_string().into());
            }
            // One extra row tells whether another page follows.
            sql.push_str(" ORDER BY pos LIMIT ?");
            args.push(i64::from(query.limit + 1).into());
            let mut stmt = conn.prepare(&sql).map_err(backend)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(args), |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
                .map_err(backend)?;
            let mut records = Vec::new();
            let mut last_pos = None;
            let mut more = false;
            for row in rows {
                let (pos, body) = row.map_err(backend)?;
                if records.len() == query.limit as usize {
                    more = true;
                    break;
                }
                records.push(decode(&body)?);
                last_pos = Some(pos);
            }
            Ok(RecordPage { records, next_cursor: if more { last_pos } else { None } })
        })
        .await
    }

    async fn changes_after(&self, after: i64, limit: usize) -> Result<Vec<Change>, StoreError> {
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT c.sequence, c.operation, c.committed_at_ms, CASE WHEN c.body = '' THEN COALESCE(r.body, '') ELSE c.body END
                     FROM changes c LEFT JOIN records r ON r.id = c.record_id
                     WHERE c.sequence > ?1 ORDER BY c.sequence LIMIT ?2",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![after, limit as i64], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, String>(3)?))
                })
                .map_err(backend)?;
            let mut changes = Vec::new();
            for row in rows {
                let (sequence, operation, committed_at_ms, body) = row.map_err(backend)?;
                changes.push(Change {
                    sequence,
                    operation: parse_code(&operation, ChangeOperation::from_code)?,
                    committed_at_ms,
                    record: decode(&body)?,
                });
            }
            Ok(changes)
        })
        .await
    }

    fn sequence(&self) -> watch::Receiver<i64> {
        self.sequence.subscribe()
    }

    fn committed(&self) -> broadcast::Receiver<CommittedChanges> {
        self.committed.subscribe()
    }

    async fn insert_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO api_tokens (id, hash, organization_id, role, label, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![token.id, token.hash, token.organization_id, token.role.code(), token.label, token.created_at_ms],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn revoke_token(&self, token_id: &str) -> Result<bool, StoreError> {
        let token_id = token_id.to_owned();
        self.with_conn(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE api_tokens SET revoked_at_ms = COALESCE(revoked_at_ms, ?2) WHERE id = ?1",
                    params![token_id, now_ms()],
                )
                .map_err(backend)?;
            Ok(changed > 0)
        })
        .await
    }

    async fn list_tokens(&self, organization_id: Option<&str>) -> Result<Vec<TokenRecord>, StoreError> {
        let organization_id = organization_id.map(str::to_owned);
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT id, hash, organization_id, role, label, created_at_ms, revoked_at_ms IS NOT NULL FROM api_tokens
                     WHERE ?1 IS NULL OR organization_id = ?1 ORDER BY created_at_ms, id",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map([organization_id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, i64>(5)?,
                        r.get::<_, bool>(6)?,
                    ))
                })
                .map_err(backend)?;
            let mut tokens = Vec::new();
            for row in rows {
                let (id, hash, organization_id, role, label, created_at_ms, revoked) = row.map_err(backend)?;
                tokens.push(TokenRecord {
                    id,
                    hash,
                    organization_id,
                    role: parse_code(&role, Role::from_code)?,
                    label,
                    created_at_ms,
                    revoked,
                });
            }
            Ok(tokens)
        })
        .await
    }

    async fn count_tagged(&self, kind: RecordKind, tags: &[Tag]) -> Result<u64, StoreError> {
        let tags: Vec<String> = tags.iter().map(Tag::to_string).collect();
        self.with_conn(move |conn| {
            let mut sql = String::from("SELECT COUNT(*) FROM records WHERE kind = ? AND status = 'active'");
            let mut args: Vec<rusqlite::types::Value> = vec![kind.code().to_owned().into()];
            for tag in tags {
                sql.push_str(" AND pos IN (SELECT pos FROM record_tags WHERE tag = ?)");
                args.push(tag.into());
            }
            conn.query_row(&sql, rusqlite::params_from_iter(args), |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(backend)
        })
        .await
    }

    async fn count_visible(
        &self,
        kind: RecordKind,
        tags: &[Tag],
        private_needs: &PrivateNeeds,
    ) -> Result<u64, StoreError> {
        let tags: Vec<String> = tags.iter().map(Tag::to_string).collect();
        let private_needs = private_needs.clone();
        self.with_conn(move |conn| {
            let mut sql = String::from("SELECT COUNT(*) FROM records WHERE kind = ? AND status = 'active'");
            let mut args: Vec<rusqlite::types::Value> = vec![kind.code().to_owned().into()];
            match private_needs {
                PrivateNeeds::All => {}
                PrivateNeeds::OwnedBy(org) => {
                    sql.push_str(" AND (visibility != 'private' OR organization_id = ?)");
                    args.push(org.into());
                }
                PrivateNeeds::None => sql.push_str(" AND visibility != 'private'"),
            }
            for tag in tags {
                sql.push_str(" AND pos IN (SELECT pos FROM record_tags WHERE tag = ?)");
                args.push(tag.into());
            }
            conn.query_row(&sql, rusqlite::params_from_iter(args), |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(backend)
        })
        .await
    }

    async fn count(&self, kind: RecordKind) -> Result<u64, StoreError> {
        self.with_conn(move |conn| {
            conn.query_row("SELECT COUNT(*) FROM records WHERE kind = ?1", [kind.code()], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(backend)
        })
        .await
    }
}
