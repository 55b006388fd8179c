//! Interests in the shared PostgreSQL store, beside the records they concern.

use async_trait::async_trait;
use innomatch_core::postgres::{self, PgError, Row};

use super::store::{
    InterestAction, InterestEventRecord, InterestPage, InterestQuery, InterestRecord, InterestStatus, InterestStore,
};
use crate::{postgres::PostgresStore, store::StoreError};

/// The interests' tables, one migration appended to the catalog's list. The
/// partial unique index keeps one live interest per need and organization.
pub(crate) const MIGRATION: &str = r#"
CREATE TABLE interests (
    pos                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                     TEXT NOT NULL UNIQUE,
    need_id                TEXT NOT NULL,
    owner_organization_id  TEXT NOT NULL,
    party_organization_id  TEXT NOT NULL,
    lead_id                TEXT NOT NULL,
    message                TEXT NOT NULL,
    reply                  TEXT NOT NULL,
    status                 TEXT NOT NULL,
    created_at_ms          BIGINT NOT NULL,
    updated_at_ms          BIGINT NOT NULL,
    version                BIGINT NOT NULL
);
CREATE UNIQUE INDEX interests_live ON interests (need_id, party_organization_id)
    WHERE status IN ('pending', 'approved');
CREATE INDEX interests_by_owner ON interests (owner_organization_id, pos);
CREATE INDEX interests_by_party ON interests (party_organization_id, pos);
CREATE INDEX interests_by_need ON interests (need_id, pos);
CREATE TABLE interest_events (
    sequence               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    interest_id            TEXT NOT NULL,
    need_id                TEXT NOT NULL,
    action                 TEXT NOT NULL,
    actor                  TEXT NOT NULL,
    actor_organization_id  TEXT NOT NULL,
    note                   TEXT NOT NULL,
    at_ms                  BIGINT NOT NULL
);
CREATE INDEX interest_events_by_interest ON interest_events (interest_id, sequence);
CREATE INDEX interest_events_by_need ON interest_events (need_id, sequence);
"#;

const COLUMNS: &str = "i.pos, i.id, i.need_id, i.owner_organization_id, i.party_organization_id, i.lead_id, i.message, i.reply, i.status, i.created_at_ms, i.updated_at_ms, i.version";

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn db(e: PgError) -> StoreError {
    StoreError::Backend(postgres::describe(&e))
}

/// A unique-key violation (23505) is a live interest already there.
fn unique_or_db(e: PgError) -> StoreError {
    if e.code().is_some_and(|state| state.code() == "23505") { StoreError::AlreadyExists } else { db(e) }
}

fn interest(row: &Row) -> Result<(i64, InterestRecord), StoreError> {
    let code: &str = row.get(8);
    Ok((
        row.get(0),
        InterestRecord {
            id: row.get(1),
            need_id: row.get(2),
            owner_organization_id: row.get(3),
            party_organization_id: row.get(4),
            lead_id: row.get(5),
            message: row.get(6),
            reply: row.get(7),
            status: InterestStatus::from_code(code)
                .ok_or_else(|| backend(format!("unknown stored interest status {code:?}")))?,
            created_at_ms: row.get(9),
            updated_at_ms: row.get(10),
            version: row.get(11),
        },
    ))
}

fn event(row: &Row) -> Result<InterestEventRecord, StoreError> {
    let code: &str = row.get(3);
    Ok(InterestEventRecord {
        sequence: row.get(0),
        interest_id: row.get(1),
        need_id: row.get(2),
        action: InterestAction::from_code(code)
            .ok_or_else(|| backend(format!("unknown stored interest action {code:?}")))?,
        actor: row.get(4),
        actor_organization_id: row.get(5),
        note: row.get(6),
        at_ms: row.get(7),
    })
}

const INSERT_EVENT: &str =
    "INSERT INTO interest_events (interest_id, need_id, action, actor, actor_organization_id, note, at_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// The first key of the advisory lock that orders event appends (the second
/// is the table's oid, so each schema has its own lock).
const EVENT_LOCK: i32 = 0x696e_7473; // "ints"

/// Appends an audit event; events are numbered one writer at a time (a
/// transaction-level advisory lock held to the commit), so a follower reading
/// after a sequence never steps over one that commits later.
async fn append_event(tx: &postgres::PgTransaction<'_>, event: &InterestEventRecord) -> Result<(), StoreError> {
    tx.execute("SELECT pg_advisory_xact_lock($1, 'interest_events'::regclass::oid::int)", &[&EVENT_LOCK])
        .await
        .map_err(db)?;
    tx.execute(
        INSERT_EVENT,
        &[
            &event.interest_id,
            &event.need_id,
            &event.action.code(),
            &event.actor,
            &event.actor_organization_id,
            &event.note,
            &event.at_ms,
        ],
    )
    .await
    .map_err(db)?;
    Ok(())
}

#[async_trait]
impl InterestStore for PostgresStore {
    async fn insert_interest(&self, interest: InterestRecord, event: InterestEventRecord) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        tx.execute(
            "INSERT INTO interests (id, need_id, owner_organization_id, party_organization_id, lead_id, message, reply, status, created_at_ms, updated_at_ms, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)",
            &[
                &interest.id,
                &interest.need_id,
                &interest.owner_organization_id,
                &interest.party_organization_id,
                &interest.lead_id,
                &interest.message,
                &interest.reply,
                &interest.status.code(),
                &interest.created_at_ms,
                &interest.updated_at_ms,
            ],
        )
        .await
        .map_err(unique_or_db)?;
        append_event(&tx, &event).await?;
        tx.commit().await.map_err(db)
    }

    async fn interest(&self, id: &str) -> Result<Option<InterestRecord>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(&format!("SELECT {COLUMNS} FROM interests i WHERE i.id = $1"), &[&id])
            .await
            .map_err(db)?;
        row.as_ref().map(interest).transpose().map(|found| found.map(|(_, interest)| interest))
    }

    async fn move_interest(
        &self,
        moved: InterestRecord,
        event: InterestEventRecord,
    ) -> Result<InterestRecord, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        // The row lock makes a concurrent move wait, then see the new version.
        let stored = tx
            .query_opt("SELECT version FROM interests WHERE id = $1 FOR UPDATE", &[&moved.id])
            .await
            .map_err(db)?
            .map(|row| row.get::<_, i64>(0));
        match stored {
            None => return Err(StoreError::NotFound),
            Some(actual) if actual != moved.version => return Err(StoreError::VersionConflict { actual }),
            Some(_) => {}
        }
        tx.execute(
            "UPDATE interests SET status = $2, reply = $3, updated_at_ms = $4, version = version + 1 WHERE id = $1",
            &[&moved.id, &moved.status.code(), &moved.reply, &moved.updated_at_ms],
        )
        .await
        .map_err(unique_or_db)?;
        append_event(&tx, &event).await?;
        tx.commit().await.map_err(db)?;
        Ok(InterestRecord { version: moved.version + 1, ..moved })
    }

    async fn list_interests(&self, query: &InterestQuery) -> Result<InterestPage, StoreError> {
        let statuses: Vec<String> = query.statuses.iter().map(|s| s.code().to_owned()).collect();
        let limit = i64::from(query.limit) + 1;
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM interests i WHERE i.pos > $1
                       AND ($2::text IS NULL OR i.owner_organization_id = $2)
                       AND ($3::text IS NULL OR i.party_organization_id = $3)
                       AND ($4::text IS NULL OR i.need_id = $4)
                       AND (cardinality($5::text[]) = 0 OR i.status = ANY($5))
                     ORDER BY i.pos LIMIT $6"
                ),
                &[
                    &query.after_cursor,
                    &query.owner_organization_id,
                    &query.party_organization_id,
                    &query.need_id,
                    &statuses,
                    &limit,
                ],
            )
            .await
            .map_err(db)?;
        let mut found: Vec<(i64, InterestRecord)> = rows.iter().map(interest).collect::<Result<_, _>>()?;
        let more = found.len() > query.limit as usize;
        found.truncate(query.limit as usize);
        let next_cursor = if more { found.last().map(|(pos, _)| *pos) } else { None };
        Ok(InterestPage { interests: found.into_iter().map(|(_, interest)| interest).collect(), next_cursor })
    }

    async fn interest_events(
        &self,
        interest_id: Option<&str>,
        need_id: Option<&str>,
    ) -> Result<Vec<InterestEventRecord>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT sequence, interest_id, need_id, action, actor, actor_organization_id, note, at_ms FROM interest_events
                 WHERE ($1::text IS NULL OR interest_id = $1) AND ($2::text IS NULL OR need_id = $2) ORDER BY sequence",
                &[&interest_id, &need_id],
            )
            .await
            .map_err(db)?;
        rows.iter().map(event).collect()
    }

    async fn interest_events_after(
        &self,
        after_sequence: i64,
        limit: u32,
    ) -> Result<Vec<InterestEventRecord>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT sequence, interest_id, need_id, action, actor, actor_organization_id, note, at_ms FROM interest_events
                 WHERE sequence > $1 ORDER BY sequence LIMIT $2",
                &[&after_sequence, &i64::from(limit)],
            )
            .await
            .map_err(db)?;
        rows.iter().map(event).collect()
    }

    async fn disclosed_between(&self, organization_a: &str, organization_b: &str) -> Result<bool, StoreError> {
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM interests WHERE status = 'approved' AND
                   ((owner_organization_id = $1 AND party_organization_id = $2) OR
                    (owner_organization_id = $2 AND party_organization_id = $1)))",
                &[&organization_a, &organization_b],
            )
            .await
            .map_err(db)?;
        Ok(row.get(0))
    }

    async fn pending_of_inactive_needs(&self, limit: u32) -> Result<Vec<InterestRecord>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM interests i JOIN records r ON r.id = i.need_id
                     WHERE i.status = 'pending' AND r.status != 'active' ORDER BY i.pos LIMIT $1"
                ),
                &[&i64::from(limit)],
            )
            .await
            .map_err(db)?;
        rows.iter().map(|row| interest(row).map(|(_, interest)| interest)).collect()
    }
}
