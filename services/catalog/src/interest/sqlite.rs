//! Interests in the embedded SQLite store, beside the records they concern.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::store::{
    InterestAction, InterestEventRecord, InterestPage, InterestQuery, InterestRecord, InterestStatus, InterestStore,
};
use crate::{sqlite::SqliteStore, store::StoreError};

/// The interests' tables, one migration appended to the catalog's list. The
/// partial unique index keeps one live interest per need and organization.
pub(crate) const MIGRATION: &str = r#"
CREATE TABLE interests (
    pos                    INTEGER PRIMARY KEY AUTOINCREMENT,
    id                     TEXT NOT NULL UNIQUE,
    need_id                TEXT NOT NULL,
    owner_organization_id  TEXT NOT NULL,
    party_organization_id  TEXT NOT NULL,
    lead_id                TEXT NOT NULL,
    message                TEXT NOT NULL,
    reply                  TEXT NOT NULL,
    status                 TEXT NOT NULL,
    created_at_ms          INTEGER NOT NULL,
    updated_at_ms          INTEGER NOT NULL,
    version                INTEGER NOT NULL
);
CREATE UNIQUE INDEX interests_live ON interests (need_id, party_organization_id)
    WHERE status IN ('pending', 'approved');
CREATE INDEX interests_by_owner ON interests (owner_organization_id, pos);
CREATE INDEX interests_by_party ON interests (party_organization_id, pos);
CREATE INDEX interests_by_need ON interests (need_id, pos);
CREATE TABLE interest_events (
    sequence               INTEGER PRIMARY KEY AUTOINCREMENT,
    interest_id            TEXT NOT NULL,
    need_id                TEXT NOT NULL,
    action                 TEXT NOT NULL,
    actor                  TEXT NOT NULL,
    actor_organization_id  TEXT NOT NULL,
    note                   TEXT NOT NULL,
    at_ms                  INTEGER NOT NULL
);
CREATE INDEX interest_events_by_interest ON interest_events (interest_id, sequence);
CREATE INDEX interest_events_by_need ON interest_events (need_id, sequence);
"#;

const COLUMNS: &str = "pos, id, need_id, owner_organization_id, party_organization_id, lead_id, message, reply, status, created_at_ms, updated_at_ms, version";

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::ConstraintViolation)
}

/// A row of [`COLUMNS`]: its position and the interest, the status still a code.
fn interest_row(r: &Row<'_>) -> rusqlite::Result<(i64, InterestRecord, String)> {
    Ok((
        r.get(0)?,
        InterestRecord {
            id: r.get(1)?,
            need_id: r.get(2)?,
            owner_organization_id: r.get(3)?,
            party_organization_id: r.get(4)?,
            lead_id: r.get(5)?,
            message: r.get(6)?,
            reply: r.get(7)?,
            status: InterestStatus::Pending,
            created_at_ms: r.get(9)?,
            updated_at_ms: r.get(10)?,
            version: r.get(11)?,
        },
        r.get(8)?,
    ))
}

fn with_status((pos, mut interest, code): (i64, InterestRecord, String)) -> Result<(i64, InterestRecord), StoreError> {
    interest.status =
        InterestStatus::from_code(&code).ok_or_else(|| backend(format!("unknown stored interest status {code:?}")))?;
    Ok((pos, interest))
}

fn append_event(conn: &Connection, event: &InterestEventRecord) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO interest_events (interest_id, need_id, action, actor, actor_organization_id, note, at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            event.interest_id,
            event.need_id,
            event.action.code(),
            event.actor,
            event.actor_organization_id,
            event.note,
            event.at_ms
        ],
    )
    .map_err(backend)?;
    Ok(())
}

fn select(
    conn: &Connection,
    sql: &str,
    args: Vec<rusqlite::types::Value>,
) -> Result<Vec<(i64, InterestRecord)>, StoreError> {
    let mut stmt = conn.prepare(sql).map_err(backend)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), interest_row).map_err(backend)?;
    rows.map(|row| with_status(row.map_err(backend)?)).collect()
}

/// Audit events of a query whose columns are those of `interest_events`.
fn read_events(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<InterestEventRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let rows = stmt
        .query_map(args, |r| {
            Ok((
                InterestEventRecord {
                    sequence: r.get(0)?,
                    interest_id: r.get(1)?,
                    need_id: r.get(2)?,
                    action: InterestAction::Expressed,
                    actor: r.get(4)?,
                    actor_organization_id: r.get(5)?,
                    note: r.get(6)?,
                    at_ms: r.get(7)?,
                },
                r.get::<_, String>(3)?,
            ))
        })
        .map_err(backend)?;
    rows.map(|row| {
        let (mut event, code) = row.map_err(backend)?;
        event.action = InterestAction::from_code(&code)
            .ok_or_else(|| backend(format!("unknown stored interest action {code:?}")))?;
        Ok(event)
    })
    .collect()
}

#[async_trait]
impl InterestStore for SqliteStore {
    async fn insert_interest(&self, interest: InterestRecord, event: InterestEventRecord) -> Result<(), StoreError> {
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
            tx.execute(
                "INSERT INTO interests (id, need_id, owner_organization_id, party_organization_id, lead_id, message, reply, status, created_at_ms, updated_at_ms, version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1)",
                params![
                    interest.id,
                    interest.need_id,
                    interest.owner_organization_id,
                    interest.party_organization_id,
                    interest.lead_id,
                    interest.message,
                    interest.reply,
                    interest.status.code(),
                    interest.created_at_ms,
                    interest.updated_at_ms
                ],
            )
            .map_err(|e| if is_unique_violation(&e) { StoreError::AlreadyExists } else { backend(e) })?;
            append_event(&tx, &event)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn interest(&self, id: &str) -> Result<Option<InterestRecord>, StoreError> {
        let id = id.to_owned();
        self.with_conn(move |conn| {
            conn.query_row(&format!("SELECT {COLUMNS} FROM interests WHERE id = ?1"), [id], interest_row)
                .optional()
                .map_err(backend)?
                .map(|row| with_status(row).map(|(_, interest)| interest))
                .transpose()
        })
        .await
    }

    async fn move_interest(
        &self,
        interest: InterestRecord,
        event: InterestEventRecord,
    ) -> Result<InterestRecord, StoreError> {
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
            let stored: Option<i64> = tx
                .query_row("SELECT version FROM interests WHERE id = ?1", [&interest.id], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            match stored {
                None => return Err(StoreError::NotFound),
                Some(actual) if actual != interest.version => return Err(StoreError::VersionConflict { actual }),
                Some(_) => {}
            }
            tx.execute(
                "UPDATE interests SET status = ?2, reply = ?3, updated_at_ms = ?4, version = version + 1
                 WHERE id = ?1 AND version = ?5",
                params![interest.id, interest.status.code(), interest.reply, interest.updated_at_ms, interest.version],
            )
            .map_err(|e| if is_unique_violation(&e) { StoreError::AlreadyExists } else { backend(e) })?;
            append_event(&tx, &event)?;
            tx.commit().map_err(backend)?;
            Ok(InterestRecord { version: interest.version + 1, ..interest })
        })
        .await
    }

    async fn list_interests(&self, query: &InterestQuery) -> Result<InterestPage, StoreError> {
        let query = query.clone();
        self.with_conn(move |conn| {
            let mut sql = format!("SELECT {COLUMNS} FROM interests WHERE pos > ?");
            let mut args: Vec<rusqlite::types::Value> = vec![query.after_cursor.into()];
            for (column, value) in [
                ("owner_organization_id", &query.owner_organization_id),
                ("party_organization_id", &query.party_organization_id),
                ("need_id", &query.need_id),
            ] {
                if let Some(value) = value {
                    sql.push_str(&format!(" AND {column} = ?"));
                    args.push(value.clone().into());
                }
            }
            if !query.statuses.is_empty() {
                let marks = vec!["?"; query.statuses.len()].join(", ");
                sql.push_str(&format!(" AND status IN ({marks})"));
                args.extend(query.statuses.iter().map(|s| s.code().to_owned().into()));
            }
            sql.push_str(" ORDER BY pos LIMIT ?");
            args.push(i64::from(query.limit + 1).into());
            let mut rows = select(conn, &sql, args)?;
            let more = rows.len() > query.limit as usize;
            rows.truncate(query.limit as usize);
            let next_cursor = if more { rows.last().map(|(pos, _)| *pos) } else { None };
            Ok(InterestPage { interests: rows.into_iter().map(|(_, interest)| interest).collect(), next_cursor })
        })
        .await
    }

    async fn interest_events(
        &self,
        interest_id: Option<&str>,
        need_id: Option<&str>,
    ) -> Result<Vec<InterestEventRecord>, StoreError> {
        let (interest_id, need_id) = (interest_id.map(str::to_owned), need_id.map(str::to_owned));
        self.with_conn(move |conn| {
            read_events(
                conn,
                "SELECT sequence, interest_id, need_id, action, actor, actor_organization_id, note, at_ms FROM interest_events
                 WHERE (?1 IS NULL OR interest_id = ?1) AND (?2 IS NULL OR need_id = ?2) ORDER BY sequence",
                params![interest_id, need_id],
            )
        })
        .await
    }

    async fn interest_events_after(
        &self,
        after_sequence: i64,
        limit: u32,
    ) -> Result<Vec<InterestEventRecord>, StoreError> {
        self.with_conn(move |conn| {
            read_events(
                conn,
                "SELECT sequence, interest_id, need_id, action, actor, actor_organization_id, note, at_ms FROM interest_events
                 WHERE sequence > ?1 ORDER BY sequence LIMIT ?2",
                params![after_sequence, limit],
            )
        })
        .await
    }

    async fn disclosed_between(&self, organization_a: &str, organization_b: &str) -> Result<bool, StoreError> {
        let (a, b) = (organization_a.to_owned(), organization_b.to_owned());
        self.with_conn(move |conn| {
            conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM interests WHERE status = 'approved' AND
                   ((owner_organization_id = ?1 AND party_organization_id = ?2) OR
                    (owner_organization_id = ?2 AND party_organization_id = ?1)))",
                params![a, b],
                |r| r.get::<_, bool>(0),
            )
            .map_err(backend)
        })
        .await
    }

    async fn pending_of_inactive_needs(&self, limit: u32) -> Result<Vec<InterestRecord>, StoreError> {
        self.with_conn(move |conn| {
            let sql = format!(
                "SELECT {} FROM interests i JOIN records r ON r.id = i.need_id
                 WHERE i.status = 'pending' AND r.status != 'active' ORDER BY i.pos LIMIT ?",
                COLUMNS.split(", ").map(|c| format!("i.{c}")).collect::<Vec<_>>().join(", ")
            );
            let rows = select(conn, &sql, vec![i64::from(limit).into()])?;
            Ok(rows.into_iter().map(|(_, interest)| interest).collect())
        })
        .await
    }
}
