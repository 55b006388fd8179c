//! The shared lead store: PostgreSQL, for several server processes serving
//! one set of leads. Same contract as the embedded store (see [`crate::store`]).
//!
//! Positions (`pos`) order leads for delivery: the embedded delivery hands
//! out an agency's leads after the last position it delivered, so a
//! position must never become visible after a higher one. An identity column
//! alone does not promise that with concurrent writers (numbers are drawn at
//! insert, not at commit), so an insert first takes a transaction-level
//! advisory lock keyed on this `leads` table: new leads are numbered one
//! writer at a time, in commit order (updates do not take it). Several
//! processes sharing the store should still deliver through Redis, since
//! in-process delivery only wakes on leads stored by its own process.

use async_trait::async_trait;
use innomatch_core::{
    config::DatabaseSettings,
    postgres::{self, IsolationLevel, PgError, PgPool, PooledClient, Row, ToSql},
};

use crate::{
    delivery::{Outbox, Published},
    model::{Lead, LeadStatus},
    store::{LeadPage, LeadQuery, LeadStore, StoreError},
};

/// Statuses in which a lead still waits for an answer, as stored codes; the
/// partial indexes below repeat this list literally so the planner can use them.
const OPEN_STATUSES: &str = "('new', 'delivered')";

/// The first key of the advisory lock that numbers new leads (the second
/// is the table's oid, so each schema has its own lock).
const POSITION_LOCK: i32 = 0x6c65_6164; // "lead"

/// Schema migrations, applied in order (`schema_version`, component
/// `leads`). Append only: a released migration never changes.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE leads (
    pos                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                     TEXT NOT NULL UNIQUE,
    agency_organization_id TEXT NOT NULL,
    status                 TEXT NOT NULL,
    category               TEXT NOT NULL,
    created_at_ms          BIGINT NOT NULL,
    respond_by_ms          BIGINT NOT NULL,
    acked_at_ms            BIGINT,
    delivered              BOOLEAN NOT NULL DEFAULT FALSE,
    version                BIGINT NOT NULL,
    body                   TEXT NOT NULL,
    -- Outbox bookkeeping of an external delivery log (Redis Streams).
    entry_id               TEXT,
    settled_at_ms          BIGINT
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
UPDATE leads SET need_id = COALESCE(body::jsonb ->> 'need_id', '');
CREATE INDEX leads_by_need ON leads (need_id, pos);
ALTER TABLE leads ADD COLUMN pass_on_pending BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX leads_pass_on ON leads (pos) WHERE pass_on_pending;
"#,
];

/// Leads in PostgreSQL, behind a connection pool.
pub struct PostgresLeadStore {
    pool: PgPool,
}

impl std::fmt::Debug for PostgresLeadStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresLeadStore").finish_non_exhaustive()
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn db(e: PgError) -> StoreError {
    StoreError::Backend(postgres::describe(&e))
}

fn encode(lead: &Lead) -> Result<String, StoreError> {
    serde_json::to_string(lead).map_err(backend)
}

fn decode(body: &str, version: i64) -> Result<Lead, StoreError> {
    let mut lead: Lead = serde_json::from_str(body).map_err(|e| backend(format!("corrupt lead body: {e}")))?;
    lead.version = version;
    Ok(lead)
}

/// Rows of `pos, body, version`.
fn read_leads(rows: &[Row]) -> Result<Vec<(i64, Lead)>, StoreError> {
    rows.iter().map(|row| Ok((row.get(0), decode(row.get(1), row.get(2))?))).collect()
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl PostgresLeadStore {
    /// Connects to `url` (tables in `schema`, or the URL's `search_path`) and migrates.
    pub async fn connect(url: &str, schema: Option<&str>, settings: &DatabaseSettings) -> Result<Self, StoreError> {
        let pool = postgres::connect(url, schema, settings).await.map_err(StoreError::Backend)?;
        Self::from_pool(pool).await
    }

    /// A store over an existing pool; migrates the leads table.
    pub async fn from_pool(pool: PgPool) -> Result<Self, StoreError> {
        postgres::migrate(&pool, "leads", MIGRATIONS).await.map_err(StoreError::Backend)?;
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
impl LeadStore for PostgresLeadStore {
    async fn insert_if_absent(&self, mut lead: Lead) -> Result<(Lead, bool), StoreError> {
        lead.version = 1;
        let body = encode(&lead)?;
        let mut client = self.client().await?;
        let tx = client.build_transaction().isolation_level(IsolationLevel::ReadCommitted).start().await.map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1, 'leads'::regclass::oid::int)", &[&POSITION_LOCK])
            .await
            .map_err(db)?;
        let inserted = tx
            .execute(
                "INSERT INTO leads (id, agency_organization_id, status, category, created_at_ms, respond_by_ms,
                                    acked_at_ms, delivered, version, body, need_id, pass_on_pending)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11) ON CONFLICT (id) DO NOTHING",
                &[
                    &lead.id,
                    &lead.agency_organization_id,
                    &lead.status.code(),
                    &lead.category.code(),
                    &lead.created_at_ms,
                    &lead.respond_by_ms,
                    &lead.acked_at_ms,
                    &(lead.delivery_attempts > 0),
                    &body,
                    &lead.need_id,
                    &lead.awaits_pass_on(),
                ],
            )
            .await
            .map_err(db)?;
        if inserted == 1 {
            tx.commit().await.map_err(db)?;
            return Ok((lead, true));
        }
        let row = tx.query_one("SELECT body, version FROM leads WHERE id = $1", &[&lead.id]).await.map_err(db)?;
        let stored = decode(row.get(0), row.get(1))?;
        tx.commit().await.map_err(db)?;
        Ok((stored, false))
    }

    async fn get(&self, id: &str) -> Result<Option<Lead>, StoreError> {
        let rows = self.query("SELECT body, version FROM leads WHERE id = $1", &[&id]).await?;
        rows.first().map(|row| decode(row.get(0), row.get(1))).transpose()
    }

    async fn update(&self, mut lead: Lead) -> Result<Lead, StoreError> {
        let expected = lead.version;
        lead.version = expected + 1;
        let body = encode(&lead)?;
        let updated = self
            .execute(
                "UPDATE leads SET status = $2, respond_by_ms = $3, acked_at_ms = $4, delivered = $5, version = $6, body = $7,
                                  pass_on_pending = $9
                 WHERE id = $1 AND version = $8",
                &[
                    &lead.id,
                    &lead.status.code(),
                    &lead.respond_by_ms,
                    &lead.acked_at_ms,
                    &(lead.delivery_attempts > 0),
                    &lead.version,
                    &body,
                    &expected,
                    &lead.awaits_pass_on(),
                ],
            )
            .await?;
        if updated == 1 {
            return Ok(lead);
        }
        let rows = self.query("SELECT version FROM leads WHERE id = $1", &[&lead.id]).await?;
        Err(rows.first().map_or(StoreError::NotFound, |row| StoreError::VersionConflict { actual: row.get(0) }))
    }

    async fn list(&self, query: &LeadQuery) -> Result<LeadPage, StoreError> {
        let statuses: Vec<&str> = query.statuses.iter().map(|s| s.code()).collect();
        let category = query.category.map(|c| c.code());
        let limit = i64::from(query.limit) + 1;
        // NULL filters match everything: one statement, prepared once.
        let rows = self
            .query(
                "SELECT pos, body, version FROM leads
                 WHERE agency_organization_id = $1
                   AND ($2::bigint IS NULL OR pos < $2)
                   AND (cardinality($3::text[]) = 0 OR status = ANY($3))
                   AND ($4::text IS NULL OR category = $4)
                 ORDER BY pos DESC LIMIT $5",
                &[&query.agency_organization_id, &query.before_cursor, &statuses, &category, &limit],
            )
            .await?;
        let mut leads = read_leads(&rows)?;
        let more = leads.len() > query.limit as usize;
        leads.truncate(query.limit as usize);
        let next_cursor = if more { leads.last().map(|(pos, _)| *pos) } else { None };
        Ok(LeadPage { leads: leads.into_iter().map(|(_, lead)| lead).collect(), next_cursor })
    }

    async fn for_need(&self, need_id: &str) -> Result<Vec<Lead>, StoreError> {
        let rows =
            self.query("SELECT pos, body, version FROM leads WHERE need_id = $1 ORDER BY pos", &[&need_id]).await?;
        Ok(read_leads(&rows)?.into_iter().map(|(_, lead)| lead).collect())
    }

    async fn awaiting_pass_on(&self, limit: u32) -> Result<Vec<Lead>, StoreError> {
        let rows = self
            .query(
                "SELECT pos, body, version FROM leads WHERE pass_on_pending ORDER BY pos LIMIT $1",
                &[&i64::from(limit)],
            )
            .await?;
        Ok(read_leads(&rows)?.into_iter().map(|(_, lead)| lead).collect())
    }

    async fn due_for_expiry(&self, now_ms: i64, limit: u32) -> Result<Vec<Lead>, StoreError> {
        let rows = self
            .query(
                &format!(
                    "SELECT pos, body, version FROM leads WHERE status IN {OPEN_STATUSES} AND respond_by_ms <= $1
                     ORDER BY respond_by_ms LIMIT $2"
                ),
                &[&now_ms, &i64::from(limit)],
            )
            .await?;
        Ok(read_leads(&rows)?.into_iter().map(|(_, lead)| lead).collect())
    }

    async fn count_by_status(&self) -> Result<Vec<(LeadStatus, u64)>, StoreError> {
        let rows = self.query("SELECT status, COUNT(*) FROM leads GROUP BY status ORDER BY status", &[]).await?;
        rows.iter()
            .map(|row| {
                let code: &str = row.get(0);
                let status =
                    LeadStatus::from_code(code).ok_or_else(|| backend(format!("unknown stored status {code:?}")))?;
                Ok((status, count(row.get(1))))
            })
            .collect()
    }

    async fn backlog_by_agency(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows = self
            .query(
                &format!(
                    "SELECT agency_organization_id, COUNT(*) FROM leads
                     WHERE acked_at_ms IS NULL AND status IN {OPEN_STATUSES}
                     GROUP BY agency_organization_id ORDER BY agency_organization_id"
                ),
                &[],
            )
            .await?;
        Ok(rows.iter().map(|row| (row.get(0), count(row.get(1)))).collect())
    }
}

#[async_trait]
impl Outbox<Lead> for PostgresLeadStore {
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
        let rows = self
            .query(
                &format!(
                    "SELECT pos, body, version FROM leads
                     WHERE agency_organization_id = $1 AND pos > $2 AND acked_at_ms IS NULL
                       AND status IN {OPEN_STATUSES} AND respond_by_ms > $3
                     ORDER BY pos LIMIT $4"
                ),
                &[&agency_organization_id, &after, &now_ms, &i64::from(limit)],
            )
            .await?;
        read_leads(&rows)
    }

    async fn count_unacknowledged(&self, agency_organization_id: &str) -> Result<u64, StoreError> {
        let rows = self
            .query(
                &format!(
                    "SELECT COUNT(*) FROM leads WHERE agency_organization_id = $1 AND acked_at_ms IS NULL
                       AND status IN {OPEN_STATUSES} AND delivered"
                ),
                &[&agency_organization_id],
            )
            .await?;
        Ok(rows.first().map_or(0, |row| count(row.get(0))))
    }

    async fn unpublished(&self, now_ms: i64, limit: u32) -> Result<Vec<Lead>, StoreError> {
        let rows = self
            .query(
                &format!(
                    "SELECT pos, body, version FROM leads
                     WHERE entry_id IS NULL AND acked_at_ms IS NULL AND status IN {OPEN_STATUSES} AND respond_by_ms > $1
                     ORDER BY pos LIMIT $2"
                ),
                &[&now_ms, &i64::from(limit)],
            )
            .await?;
        Ok(read_leads(&rows)?.into_iter().map(|(_, lead)| lead).collect())
    }

    async fn mark_published(&self, entries: &[(String, String)]) -> Result<Vec<bool>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        // Recording the same entry twice is a success: the publisher and a
        // subscriber that read the entry first may both record it.
        let statement = tx
            .prepare_cached("UPDATE leads SET entry_id = $2 WHERE id = $1 AND (entry_id IS NULL OR entry_id = $2)")
            .await
            .map_err(db)?;
        let mut won = Vec::with_capacity(entries.len());
        for (id, entry) in entries {
            won.push(tx.execute(&statement, &[id, entry]).await.map_err(db)? == 1);
        }
        tx.commit().await.map_err(db)?;
        Ok(won)
    }

    async fn published_entry(&self, id: &str) -> Result<Option<String>, StoreError> {
        let rows = self.query("SELECT entry_id FROM leads WHERE id = $1", &[&id]).await?;
        Ok(rows.first().and_then(|row| row.get(0)))
    }

    async fn published_open(&self, after: i64, limit: u32) -> Result<Vec<(i64, Published<Lead>)>, StoreError> {
        let rows = self
            .query(
                &format!(
                    "SELECT pos, body, version, entry_id FROM leads
                     WHERE pos > $1 AND entry_id IS NOT NULL AND acked_at_ms IS NULL AND status IN {OPEN_STATUSES}
                     ORDER BY pos LIMIT $2"
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
            "UPDATE leads SET entry_id = NULL, settled_at_ms = NULL WHERE id = $1 AND entry_id = $2",
            &[&id, &entry_id],
        )
        .await?;
        Ok(())
    }

    async fn unsettled(&self, limit: u32) -> Result<Vec<Published<Lead>>, StoreError> {
        let rows = self
            .query(
                &format!(
                    "SELECT body, version, entry_id FROM leads
                     WHERE entry_id IS NOT NULL AND settled_at_ms IS NULL
                       AND (acked_at_ms IS NOT NULL OR status NOT IN {OPEN_STATUSES})
                     ORDER BY pos LIMIT $1"
                ),
                &[&i64::from(limit)],
            )
            .await?;
        rows.iter().map(|row| Ok(Published { item: decode(row.get(0), row.get(1))?, entry_id: row.get(2) })).collect()
    }

    async fn mark_settled(&self, id: &str, entry_id: &str) -> Result<(), StoreError> {
        self.execute(
            "UPDATE leads SET settled_at_ms = $3 WHERE id = $1 AND entry_id = $2",
            &[&id, &entry_id, &innomatch_core::model::now_ms()],
        )
        .await?;
        Ok(())
    }
}
