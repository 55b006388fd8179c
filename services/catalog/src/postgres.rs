//! The shared record store: PostgreSQL, for several server processes writing
//! one catalog. Same contract as the embedded store (see [`crate::store`]).
//!
//! # The change sequence
//!
//! Followers read `changes_after(cursor)` and move their cursor to the last
//! sequence they saw, so a sequence number must never become visible after a
//! higher one: a follower would step over it for good. A PostgreSQL
//! `SEQUENCE` hands numbers out when a transaction asks, not when it commits,
//! so with concurrent writers 8 can commit before 7. Here a write
//! takes `LOCK TABLE changes IN EXCLUSIVE MODE` when it appends its change
//! (it excludes other writers of the change log but not its readers; a batch
//! takes it at its first row and holds it to its commit), reads
//! `MAX(sequence) + 1`, appends, and commits, which releases the lock. PostgreSQL makes a commit visible before it releases the
//! transaction's locks, so the next writer's number is assigned after the
//! previous one is visible: numbers are handed out in commit order, without
//! gaps (a writer that rolls back leaves no number behind), and a reader that
//! sees sequence N sees every sequence below it. The cost is that appends to
//! the change log (not the rest of a write) run one at a time; the
//! idle-in-transaction timeout ends a stalled writer that holds the lock.
//!
//! Each append also sends `NOTIFY innomatch_changes` (schema and sequence,
//! delivered at commit); a store opened with [`PostgresStore::connect`]
//! listens on a connection of its own and moves its [`RecordStore::sequence`]
//! watch, so change-feed subscribers in every process wake at once rather
//! than at their next poll. Notifications only wake: readers still read the
//! log, so a lost one costs latency, never a change.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use innomatch_core::{
    config::DatabaseSettings,
    model::{ChangeOperation, Record, RecordKind, RecordStatus, Role, now_ms},
    postgres::{self, IsolationLevel, PgConfig, PgError, PgPool, PgTransaction, PooledClient, ToSql},
    tag::Tag,
    taxonomy::Taxonomy,
};
use tokio::sync::{broadcast, watch};

use crate::store::{
    COMMITTED_CHANNEL_CAPACITY, Change, CommittedChanges, ListQuery, PrivateNeeds, RecordPage, RecordStore, StoreError,
    TokenRecord, Write, unique_tag,
};

/// Schema migrations, applied in order (`schema_version`, component
/// `catalog`). Append only: a released migration never changes.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE records (
    pos             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    status          TEXT NOT NULL,
    visibility      TEXT NOT NULL,
    version         BIGINT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    updated_at_ms   BIGINT NOT NULL,
    body            TEXT NOT NULL
);
CREATE INDEX records_by_kind ON records (kind, pos);
CREATE INDEX records_by_owner ON records (organization_id, kind, pos);
CREATE TABLE record_tags (
    tag TEXT NOT NULL,
    pos BIGINT NOT NULL REFERENCES records (pos) ON DELETE CASCADE,
    PRIMARY KEY (tag, pos)
);
CREATE INDEX record_tags_by_pos ON record_tags (pos);
-- No default for sequence: it is assigned under the table lock (see the module docs).
CREATE TABLE changes (
    sequence        BIGINT PRIMARY KEY,
    record_id       TEXT NOT NULL,
    operation       TEXT NOT NULL,
    committed_at_ms BIGINT NOT NULL,
    body            TEXT NOT NULL
);
CREATE TABLE api_tokens (
    id              TEXT PRIMARY KEY,
    hash            TEXT NOT NULL UNIQUE,
    organization_id TEXT,
    role            TEXT NOT NULL,
    label           TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    revoked_at_ms   BIGINT
);
"#,
    // Organizations gain credit-code and name tags, needs their lifecycle
    // tag: their tags are written
    // again at open (see `retag_pending`).
    r#"
CREATE TABLE retag_pending (pos BIGINT PRIMARY KEY);
INSERT INTO retag_pending (pos) SELECT pos FROM records WHERE kind IN ('organization', 'need');
"#,
    crate::accounts::postgres::MIGRATION,
    // The stable id an import gave a record (see `Write::Insert`), and each
    // body stored once (see `append_change`).
    r#"
ALTER TABLE records ADD COLUMN external_key TEXT;
CREATE UNIQUE INDEX records_by_external_key ON records (external_key);
ALTER TABLE records ADD COLUMN last_sequence BIGINT;
"#,
    crate::interest::postgres::MIGRATION,
    // The plan board's daily snapshots.
    crate::plan::postgres::MIGRATION,
    // The policy-push ledger.
    crate::policy::postgres::MIGRATION,
];

/// Where appends are announced (see the module docs; `append_change` spells it out in SQL).
const CHANNEL: &str = "innomatch_changes";

/// How long the listener waits before connecting again after losing its connection.
const LISTEN_RETRY: Duration = Duration::from_secs(1);

/// The record store in PostgreSQL, behind a connection pool.
pub struct PostgresStore {
    pool: PgPool,
    sequence: Arc<watch::Sender<i64>>,
    committed: broadcast::Sender<CommittedChanges>,
    listener: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        if let Some(listener) = &self.listener {
            listener.abort();
        }
    }
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn db(e: PgError) -> StoreError {
    StoreError::Backend(postgres::describe(&e))
}

fn encode(record: &Record) -> Result<String, StoreError> {
    serde_json::to_string(record).map_err(backend)
}

fn decode(body: &str) -> Result<Record, StoreError> {
    serde_json::from_str(body).map_err(|e| backend(format!("corrupt record body: {e}")))
}

fn parse_code<T>(code: &str, from_code: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    from_code(code).ok_or_else(|| backend(format!("unknown stored code {code:?}")))
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl PostgresStore {
    /// Connects to `url` (tables in `schema`, or the URL's `search_path`),
    /// migrates, and listens for other processes' commits.
    pub async fn connect(url: &str, schema: Option<&str>, settings: &DatabaseSettings) -> Result<Self, StoreError> {
        let config = postgres::connection_config(url, schema, settings).map_err(StoreError::Backend)?;
        let pool = postgres::connect(url, schema, settings).await.map_err(StoreError::Backend)?;
        let mut store = Self::from_pool(pool).await?;
        let schema: Option<String> =
            store.client().await?.query_one("SELECT current_schema()", &[]).await.map_err(db)?.get(0);
        let schema = schema.ok_or_else(|| backend("the search_path names no existing schema"))?;
        store.listener =
            Some(tokio::spawn(follow_commits(config, schema, store.pool.clone(), Arc::clone(&store.sequence))));
        Ok(store)
    }

    /// A store over an existing pool; migrates the catalog's tables. Its
    /// sequence watch moves on this store's own commits only.
    pub async fn from_pool(pool: PgPool) -> Result<Self, StoreError> {
        postgres::migrate(&pool, "catalog", MIGRATIONS).await.map_err(StoreError::Backend)?;
        let (committed, _) = broadcast::channel(COMMITTED_CHANNEL_CAPACITY);
        let store = Self { pool, sequence: Arc::new(watch::channel(0).0), committed, listener: None };
        store.retag_pending().await?;
        let latest = latest_sequence(&store.pool).await?;
        publish(&store.sequence, latest);
        Ok(store)
    }

    /// Writes the tags of the records a migration marked again (see the
    /// SQLite store's `retag_pending`); replicas starting together each
    /// take the rows they find, under a row lock, once.
    async fn retag_pending(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = begin(&mut client).await?;
        let rows = tx
            .query(
                "SELECT r.pos, r.body FROM retag_pending p JOIN records r ON r.pos = p.pos FOR UPDATE OF p SKIP LOCKED",
                &[],
            )
            .await
            .map_err(db)?;
        for row in rows {
            let pos: i64 = row.get(0);
            let record = decode(row.get(1))?;
            tx.execute("DELETE FROM record_tags WHERE pos = $1", &[&pos]).await.map_err(db)?;
            let tags: Vec<String> = Taxonomy::get().filter_tags(&record).iter().map(Tag::to_string).collect();
            tx.execute(
                "INSERT INTO record_tags (tag, pos) SELECT DISTINCT tag, $2::bigint FROM unnest($1::text[]) AS tag",
                &[&tags, &pos],
            )
            .await
            .map_err(db)?;
            tx.execute("DELETE FROM retag_pending WHERE pos = $1", &[&pos]).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    pub(crate) async fn client(&self) -> Result<PooledClient, StoreError> {
        self.pool.get().await.map_err(|e| backend(format!("no database connection: {e}")))
    }

    /// Announces this store's commit: the changes first, then the sequence
    /// (see [`RecordStore::committed`]).
    fn publish(&self, changes: Vec<Change>) {
        let Some(sequence) = changes.iter().map(|c| c.sequence).max() else { return };
        let _ = self.committed.send(Arc::new(changes));
        publish(&self.sequence, sequence);
    }
}

/// Moves the watch forward (never back) to `sequence`.
fn publish(watch: &watch::Sender<i64>, sequence: i64) {
    watch.send_if_modified(|current| {
        let newer = sequence > *current;
        if newer {
            *current = sequence;
        }
        newer
    });
}

async fn latest_sequence(pool: &PgPool) -> Result<i64, StoreError> {
    let client = pool.get().await.map_err(|e| backend(format!("no database connection: {e}")))?;
    Ok(client.query_one("SELECT COALESCE(MAX(sequence), 0) FROM changes", &[]).await.map_err(db)?.get(0))
}

/// Listens for appends in `schema` by any process and publishes their
/// sequences; after a lost connection it reconnects and catches up.
async fn follow_commits(config: PgConfig, schema: String, pool: PgPool, sequence: Arc<watch::Sender<i64>>) {
    loop {
        match postgres::listen(&config, CHANNEL).await {
            Ok((_client, mut payloads)) => {
                // Commits made while nobody listened.
                match latest_sequence(&pool).await {
                    Ok(latest) => publish(&sequence, latest),
                    Err(error) => tracing::warn!(%error, "reading the change-log head failed"),
                }
                while let Some(payload) = payloads.recv().await {
                    if let Some((from, number)) = payload.rsplit_once(':')
                        && from == schema
                        && let Ok(number) = number.parse()
                    {
                        publish(&sequence, number);
                    }
                }
                tracing::warn!("lost the change notification connection; reconnecting");
            }
            Err(error) => tracing::warn!(%error, "cannot listen for change notifications; retrying"),
        }
        tokio::time::sleep(LISTEN_RETRY).await;
    }
}

/// A READ COMMITTED transaction, whatever the session default: the change
/// sequence relies on each statement seeing what committed before it.
async fn begin(client: &mut PooledClient) -> Result<PgTransaction<'_>, StoreError> {
    client.build_transaction().isolation_level(IsolationLevel::ReadCommitted).start().await.map_err(db)
}

/// Replaces the record's filter tags (see `Taxonomy::filter_tags`).
async fn write_tags(tx: &PgTransaction<'_>, pos: i64, record: &Record) -> Result<(), StoreError> {
    if let Some(tag) = unique_tag(record) {
        // Writers of the same key wait here for each other's commit, so the
        // check below sees a key another process has just taken.
        let key = tag.to_string();
        tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&key]).await.map_err(db)?;
        let holder = tx
            .query_opt(
                "SELECT r.id FROM record_tags t JOIN records r ON r.pos = t.pos
                 WHERE t.tag = $1 AND r.pos <> $2 AND r.status <> 'archived' LIMIT 1",
                &[&key, &pos],
            )
            .await
            .map_err(db)?;
        if let Some(row) = holder {
            return Err(StoreError::Duplicate { key, existing_id: row.get(0) });
        }
    }
    tx.execute("DELETE FROM record_tags WHERE pos = $1", &[&pos]).await.map_err(db)?;
    let tags: Vec<String> = Taxonomy::get().filter_tags(record).iter().map(Tag::to_string).collect();
    if !tags.is_empty() {
        tx.execute(
            "INSERT INTO record_tags (tag, pos) SELECT DISTINCT tag, $2::bigint FROM unnest($1::text[]) AS tag",
            &[&tags, &pos],
        )
        .await
        .map_err(db)?;
    }
    Ok(())
}

/// Appends the change under the change-log lock (see the module docs); the
/// caller commits soon after, which releases the lock. The body is stored
/// once: a change with an empty body is its record's latest
/// (`records.last_sequence`) and reads the body from the record; when the
/// record changes again, the change gets its body back (see `update_in`).
async fn append_change(
    tx: &PgTransaction<'_>,
    record: &Record,
    operation: ChangeOperation,
    at: i64,
) -> Result<i64, StoreError> {
    tx.batch_execute("LOCK TABLE changes IN EXCLUSIVE MODE").await.map_err(db)?;
    // The notification is delivered when the transaction commits, not before.
    let row = tx
        .query_one(
            "WITH appended AS (
                 INSERT INTO changes (sequence, record_id, operation, committed_at_ms, body)
                 SELECT COALESCE(MAX(sequence), 0) + 1, $1, $2, $3, '' FROM changes
                 RETURNING sequence)
             SELECT sequence, pg_notify('innomatch_changes', current_schema() || ':' || sequence) FROM appended",
            &[&record.meta().id, &operation.code(), &at],
        )
        .await
        .map_err(db)?;
    Ok(row.get(0))
}

/// Inserts a new record at version 1 inside the caller's transaction.
async fn insert_in(
    tx: &PgTransaction<'_>,
    mut record: Record,
    external_key: Option<String>,
) -> Result<Change, StoreError> {
    let now = now_ms();
    let meta = record.meta_mut();
    meta.version = 1;
    meta.created_at_ms = now;
    meta.updated_at_ms = now;
    let status = meta.status();
    meta.status = Some(status);
    let body = encode(&record)?;
    let meta = record.meta();
    let sequence = append_change(tx, &record, ChangeOperation::Created, now).await?;
    // No conflict target: a taken id and a taken external key both mean "exists".
    let inserted = tx
        .query_opt(
            "INSERT INTO records (id, kind, organization_id, status, visibility, version, created_at_ms, updated_at_ms, body, external_key, last_sequence)
             VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING pos",
            &[
                &meta.id,
                &record.kind().code(),
                &meta.organization_id,
                &status.code(),
                &record.visibility().code(),
                &now,
                &body,
                &external_key,
                &sequence,
            ],
        )
        .await
        .map_err(db)?;
    // The caller rolls the appended change back.
    let Some(row) = inserted else { return Err(StoreError::AlreadyExists) };
    let pos: i64 = row.get(0);
    write_tags(tx, pos, &record).await?;
    Ok(Change { sequence, operation: ChangeOperation::Created, committed_at_ms: now, record })
}

/// Replaces a record inside the caller's transaction (see [`RecordStore::update`]).
async fn update_in(
    tx: &PgTransaction<'_>,
    mut record: Record,
    expected_version: Option<i64>,
    operation: ChangeOperation,
) -> Result<Change, StoreError> {
    // FOR UPDATE: a concurrent writer of the same record waits here, then
    // sees the version this one wrote.
    let current = tx
        .query_opt(
            "SELECT pos, version, created_at_ms, kind FROM records WHERE id = $1 FOR UPDATE",
            &[&record.meta().id],
        )
        .await
        .map_err(db)?;
    let Some(current) = current else { return Err(StoreError::NotFound) };
    let (pos, version, created_at_ms, kind): (i64, i64, i64, String) =
        (current.get(0), current.get(1), current.get(2), current.get(3));
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
    // that body now that the record moves on. The change-log lock comes
    // first: a row lock on the log taken before it would deadlock with
    // another writer waiting for the lock while holding its own row lock.
    tx.batch_execute("LOCK TABLE changes IN EXCLUSIVE MODE").await.map_err(db)?;
    tx.execute(
        "UPDATE changes SET body = r.body FROM records r
         WHERE r.pos = $1 AND changes.sequence = r.last_sequence AND changes.body = ''",
        &[&pos],
    )
    .await
    .map_err(db)?;
    let sequence = append_change(tx, &record, operation, now).await?;
    tx.execute(
        "UPDATE records SET organization_id = $2, status = $3, visibility = $4, version = $5, updated_at_ms = $6, body = $7, last_sequence = $8
         WHERE pos = $1",
        &[
            &pos,
            &record.meta().organization_id,
            &status.code(),
            &record.visibility().code(),
            &(version + 1),
            &now,
            &body,
            &sequence,
        ],
    )
    .await
    .map_err(db)?;
    write_tags(tx, pos, &record).await?;
    Ok(Change { sequence, operation, committed_at_ms: now, record })
}

#[async_trait]
impl RecordStore for PostgresStore {
    async fn insert(&self, record: Record) -> Result<Change, StoreError> {
        let mut client = self.client().await?;
        let tx = begin(&mut client).await?;
        let change = insert_in(&tx, record, None).await?;
        tx.commit().await.map_err(db)?;
        self.publish(vec![change.clone()]);
        Ok(change)
    }

    async fn update(
        &self,
        record: Record,
        expected_version: Option<i64>,
        operation: ChangeOperation,
    ) -> Result<Change, StoreError> {
        let mut client = self.client().await?;
        let tx = begin(&mut client).await?;
        let change = update_in(&tx, record, expected_version, operation).await?;
        tx.commit().await.map_err(db)?;
        self.publish(vec![change.clone()]);
        Ok(change)
    }

    async fn write_batch(&self, writes: Vec<Write>) -> Result<Vec<Result<Change, StoreError>>, StoreError> {
        let mut client = self.client().await?;
        let tx = begin(&mut client).await?;
        let mut outcomes = Vec::with_capacity(writes.len());
        for write in writes {
            tx.batch_execute("SAVEPOINT batch_row").await.map_err(db)?;
            let outcome = match write {
                Write::Insert { record, external_key } => insert_in(&tx, record, external_key).await,
                Write::Update { record, expected_version, operation } => {
                    update_in(&tx, record, expected_version, operation).await
                }
            };
            // A failed statement aborts the transaction until it rolls back to the savepoint.
            let end = if outcome.is_err() { "ROLLBACK TO SAVEPOINT batch_row" } else { "RELEASE SAVEPOINT batch_row" };
            tx.batch_execute(end).await.map_err(db)?;
            outcomes.push(outcome);
        }
        tx.commit().await.map_err(db)?;
        self.publish(outcomes.iter().filter_map(|o| o.as_ref().ok()).cloned().collect());
        Ok(outcomes)
    }

    async fn get(&self, kind: RecordKind, id: &str) -> Result<Option<Record>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt("SELECT body FROM records WHERE id = $1 AND kind = $2", &[&id, &kind.code()])
            .await
            .map_err(db)?;
        row.map(|row| decode(row.get(0))).transpose()
    }

    async fn get_many(&self, kind: RecordKind, ids: &[String]) -> Result<Vec<Record>, StoreError> {
        let rows = self
            .client()
            .await?
            .query("SELECT body FROM records WHERE id = ANY($1) AND kind = $2", &[&ids, &kind.code()])
            .await
            .map_err(db)?;
        rows.iter().map(|row| decode(row.get(0))).collect()
    }

    async fn find_external(&self, keys: &[String]) -> Result<Vec<(String, Record)>, StoreError> {
        let rows = self
            .client()
            .await?
            .query("SELECT external_key, body FROM records WHERE external_key = ANY($1)", &[&keys])
            .await
            .map_err(db)?;
        rows.iter().map(|row| Ok((row.get(0), decode(row.get(1))?))).collect()
    }

    async fn list(&self, query: &ListQuery) -> Result<RecordPage, StoreError> {
        let mut sql = String::from("SELECT pos, body FROM records WHERE kind = $1 AND pos > $2");
        let kind = query.kind.code();
        let archived = RecordStatus::Archived.code();
        let status = query.status.map(RecordStatus::code);
        let tags: Vec<String> = query.tags.iter().map(Tag::to_string).collect();
        let limit = i64::from(query.limit) + 1;
        let mut args: Vec<&(dyn ToSql + Sync)> = vec![&kind, &query.after_cursor];
        if let Some(org) = &query.organization_id {
            args.push(org);
            sql.push_str(&format!(" AND organization_id = ${}", args.len()));
        }
        match &status {
            Some(status) => {
                args.push(status);
                sql.push_str(&format!(" AND status = ${}", args.len()));
            }
            None if !query.include_archived => {
                args.push(&archived);
                sql.push_str(&format!(" AND status <> ${}", args.len()));
            }
            None => {}
        }
        match &query.private_needs {
            PrivateNeeds::All => {}
            PrivateNeeds::OwnedBy(org) => {
                args.push(org);
                sql.push_str(&format!(" AND (visibility <> 'private' OR organization_id = ${})", args.len()));
            }
            PrivateNeeds::None => sql.push_str(" AND visibility <> 'private'"),
        }
        if query.hide_anonymous {
            sql.push_str(" AND visibility <> 'anonymous'");
        }
        for tag in &tags {
            args.push(tag);
            sql.push_str(&format!(" AND pos IN (SELECT pos FROM record_tags WHERE tag = ${})", args.len()));
        }
        // One extra row tells whether another page follows.
        args.push(&limit);
        sql.push_str(&format!(" ORDER BY pos LIMIT ${}", args.len()));
        let rows = self.client().await?.query(&sql, &args).await.map_err(db)?;
        let mut records = Vec::new();
        let mut last_pos = None;
        let mut more = false;
        for row in rows {
            if records.len() == query.limit as usize {
                more = true;
                break;
            }
            records.push(decode(row.get(1))?);
            last_pos = Some(row.get::<_, i64>(0));
        }
        Ok(RecordPage { records, next_cursor: if more { last_pos } else { None } })
    }

    async fn changes_after(&self, after: i64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .client()
            .await?
            .query(
                "SELECT c.sequence, c.operation, c.committed_at_ms, CASE WHEN c.body = '' THEN COALESCE(r.body, '') ELSE c.body END
                 FROM changes c LEFT JOIN records r ON r.id = c.record_id
                 WHERE c.sequence > $1 ORDER BY c.sequence LIMIT $2",
                &[&after, &limit],
            )
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok(Change {
                    sequence: row.get(0),
                    operation: parse_code(row.get(1), ChangeOperation::from_code)?,
                    committed_at_ms: row.get(2),
                    record: decode(row.get(3))?,
                })
            })
            .collect()
    }

    fn sequence(&self) -> watch::Receiver<i64> {
        self.sequence.subscribe()
    }

    fn committed(&self) -> broadcast::Receiver<CommittedChanges> {
        self.committed.subscribe()
    }

    async fn insert_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                "INSERT INTO api_tokens (id, hash, organization_id, role, label, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&token.id, &token.hash, &token.organization_id, &token.role.code(), &token.label, &token.created_at_ms],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn revoke_token(&self, token_id: &str) -> Result<bool, StoreError> {
        let changed = self
            .client()
            .await?
            .execute(
                "UPDATE api_tokens SET revoked_at_ms = COALESCE(revoked_at_ms, $2) WHERE id = $1",
                &[&token_id, &now_ms()],
            )
            .await
            .map_err(db)?;
        Ok(changed > 0)
    }

    async fn list_tokens(&self, organization_id: Option<&str>) -> Result<Vec<TokenRecord>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT id, hash, organization_id, role, label, created_at_ms, revoked_at_ms IS NOT NULL FROM api_tokens
                 WHERE $1::text IS NULL OR organization_id = $1 ORDER BY created_at_ms, id",
                &[&organization_id],
            )
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok(TokenRecord {
                    id: row.get(0),
                    hash: row.get(1),
                    organization_id: row.get(2),
                    role: parse_code(row.get(3), Role::from_code)?,
                    label: row.get(4),
                    created_at_ms: row.get(5),
                    revoked: row.get(6),
                })
            })
            .collect()
    }

    async fn count(&self, kind: RecordKind) -> Result<u64, StoreError> {
        let row = self
            .client()
            .await?
            .query_one("SELECT COUNT(*) FROM records WHERE kind = $1", &[&kind.code()])
            .await
            .map_err(db)?;
        Ok(count(row.get(0)))
    }

    async fn count_tagged(&self, kind: RecordKind, tags: &[Tag]) -> Result<u64, StoreError> {
        let tags: Vec<String> = tags.iter().map(Tag::to_string).collect();
        // Records carrying every tag: as many distinct matching tags as asked for.
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT COUNT(*) FROM records r WHERE r.kind = $1 AND r.status = 'active'
                 AND (SELECT COUNT(DISTINCT t.tag) FROM record_tags t WHERE t.pos = r.pos AND t.tag = ANY($2::text[]))
                     = cardinality(ARRAY(SELECT DISTINCT unnest($2::text[])))",
                &[&kind.code(), &tags],
            )
            .await
            .map_err(db)?;
        Ok(count(row.get(0)))
    }
}
