//! Bulk import through the catalog: rows are validated, gathered into
//! batches and written with [`Catalog::write_bulk`] (one store transaction
//! per batch, a savepoint per row, so a rejected row writes nothing);
//! organizations can be referred to by their `ref`, and the summary lists
//! each rejection. A row's `ref` (or an organization's unified social credit
//! code, or the id of an exported record) is its stable external id: the same
//! file imported again leaves every row unchanged, and a changed row updates
//! its record. An [`ImportLedger`] makes a retried import with the same
//! idempotency key skip the rows the first attempt already handled.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use innomatch_catalog::{
    Catalog, CatalogError,
    bulk::{BulkOutcome, BulkOwner, BulkRow},
};
use innomatch_core::{
    auth::Principal,
    model::{Record, RecordKind},
    validation::Violations,
};

/// At most this many rejections are listed; all are counted.
pub const MAX_LISTED_REJECTIONS: usize = 1_000;

/// One row as received: the record (or why it is invalid) and its references.
#[derive(Debug)]
pub struct ImportRow {
    pub record: Result<Record, Violations>,
    /// This row's stable name: later rows refer to an organization by it
    /// (`organization_ref`), and a later import finds the record by it.
    pub reference: String,
    /// The owner by reference to an organization's `ref`.
    pub organization_ref: String,
    /// The owner by id (meta.organization_id).
    pub organization_id: String,
    /// The id the row came with (meta.id, e.g. from an export).
    pub record_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub row: u64,
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub received: u64,
    /// Rows that wrote a record: created, or updated ([`Self::updated`]).
    pub imported: u64,
    /// Of the imported rows, those that replaced an existing record with a new version.
    pub updated: u64,
    /// Rows that matched an existing record exactly and wrote nothing.
    pub unchanged: u64,
    pub rejected: Vec<Rejection>,
    pub rejected_rows: u64,
    pub organization_ids: HashMap<String, String>,
}

/// A row waiting for its batch, with its place in the stream.
struct Pending {
    number: u64,
    row: BulkRow,
    reference: String,
}

/// One import session (one stream of rows).
pub struct Importer {
    catalog: Catalog,
    principal: Principal,
    summary: ImportSummary,
    pending: Vec<Pending>,
    /// Refs used so far, by kind: a ref names one row of its kind per import.
    references: HashSet<(RecordKind, String)>,
}

impl std::fmt::Debug for Importer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Importer").field("summary", &self.summary).finish_non_exhaustive()
    }
}

fn violations_to_rejections(v: Violations) -> Vec<(String, String)> {
    v.0.into_iter().map(|v| (v.field, v.description)).collect()
}

impl Importer {
    pub fn new(catalog: Catalog, principal: Principal) -> Self {
        Self::resume(catalog, principal, ImportSummary::default())
    }

    /// Goes on from an earlier attempt's summary (see [`ImportLedger`]).
    pub fn resume(catalog: Catalog, principal: Principal, summary: ImportSummary) -> Self {
        Self { catalog, principal, summary, pending: Vec::new(), references: HashSet::new() }
    }

    /// The summary of the rows written so far.
    pub fn summary(&self) -> &ImportSummary {
        &self.summary
    }

    /// Queues one row; call [`Self::flush`] to write the queued rows.
    pub fn add(&mut self, row: ImportRow) {
        self.summary.received += 1;
        let number = self.summary.received;
        let record = match row.record {
            Ok(record) => record,
            Err(violations) => return self.reject(number, violations_to_rejections(violations)),
        };
        let kind = record.kind();
        if !row.reference.is_empty() && !self.references.insert((kind, row.reference.clone())) {
            let reason = format!("ref {:?} is used by an earlier row", row.reference);
            return self.reject(number, vec![("ref".into(), reason)]);
        }
        let external_id = match &record {
            Record::Organization(org) if row.reference.is_empty() && !org.credit_code.is_empty() => {
                format!("uscc:{}", org.credit_code)
            }
            _ => row.reference.clone(),
        };
        let owner = if !row.organization_ref.is_empty() {
            BulkOwner::Ref(row.organization_ref)
        } else if !row.organization_id.is_empty() {
            BulkOwner::Id(row.organization_id)
        } else {
            BulkOwner::Caller
        };
        let reference = row.reference;
        let row = BulkRow { record, owner, external_id, record_id: row.record_id };
        self.pending.push(Pending { number, row, reference });
    }

    /// Writes the queued rows in one batch. A storage failure rejects every
    /// row of the batch (nothing of it was written).
    pub async fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let (places, rows): (Vec<(u64, String)>, Vec<BulkRow>) =
            pending.into_iter().map(|p| ((p.number, p.reference), p.row)).unzip();
        match self.catalog.write_bulk(&self.principal, rows).await {
            Ok(results) => {
                for ((number, reference), result) in places.into_iter().zip(results) {
                    match result {
                        Ok(written) => {
                            match written.outcome {
                                BulkOutcome::Created => self.summary.imported += 1,
                                BulkOutcome::Updated => {
                                    self.summary.imported += 1;
                                    self.summary.updated += 1;
                                }
                                BulkOutcome::Unchanged => self.summary.unchanged += 1,
                            }
                            if matches!(written.record, Record::Organization(_)) && !reference.is_empty() {
                                self.summary.organization_ids.insert(reference, written.record.meta().id.clone());
                            }
                        }
                        Err(e) => self.reject(number, rejections_of(e)),
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "import batch failed");
                for (number, _) in places {
                    self.reject(number, vec![(String::new(), e.to_string())]);
                }
            }
        }
    }

    fn reject(&mut self, number: u64, rejections: Vec<(String, String)>) {
        self.summary.rejected_rows += 1;
        for (field, reason) in rejections {
            if self.summary.rejected.len() < MAX_LISTED_REJECTIONS {
                self.summary.rejected.push(Rejection { row: number, field, reason });
            }
        }
    }

    /// Writes what is still queued and ends the import.
    pub async fn finish(mut self) -> ImportSummary {
        self.flush().await;
        tracing::info!(
            received = self.summary.received,
            imported = self.summary.imported,
            updated = self.summary.updated,
            unchanged = self.summary.unchanged,
            rejected = self.summary.rejected_rows,
            "import finished"
        );
        self.summary
    }
}

fn rejections_of(error: CatalogError) -> Vec<(String, String)> {
    match error {
        CatalogError::Invalid(v) => violations_to_rejections(v),
        other => vec![(String::new(), other.to_string())],
    }
}

/// Keys of imports this process has run: a retry with the same key (and the
/// same token) skips the rows an earlier attempt already handled and ends with
/// the combined summary, so a client may resend a whole file after a dropped
/// connection without duplicating records. Kept in memory for the life of the
/// process, at most [`ImportLedger::CAPACITY`] keys (the oldest go first).
#[derive(Debug, Default)]
pub struct ImportLedger {
    entries: Mutex<LedgerEntries>,
}

#[derive(Debug, Default)]
struct LedgerEntries {
    by_key: HashMap<(String, String), LedgerEntry>,
    order: std::collections::VecDeque<(String, String)>,
}

#[derive(Debug)]
struct LedgerEntry {
    running: bool,
    summary: ImportSummary,
}

/// An import holding its key; dropping it (finished or cancelled) lets a retry in.
#[derive(Debug)]
pub struct LedgerClaim {
    ledger: Arc<ImportLedger>,
    key: (String, String),
}

/// Another attempt with the same key is still running.
#[derive(Debug, thiserror::Error)]
#[error("an import with this idempotency key is still running")]
pub struct ImportInProgress;

impl ImportLedger {
    pub const CAPACITY: usize = 10_000;

    /// Claims `key` for `token_id`; the summary of earlier attempts (empty for a new key).
    pub fn claim(
        self: &Arc<Self>,
        token_id: &str,
        key: &str,
    ) -> Result<(LedgerClaim, ImportSummary), ImportInProgress> {
        let key = (token_id.to_owned(), key.to_owned());
        let mut entries = self.entries.lock().map_err(|_| ImportInProgress)?;
        let entries = &mut *entries;
        if let Some(entry) = entries.by_key.get_mut(&key) {
            if entry.running {
                return Err(ImportInProgress);
            }
            entry.running = true;
            let summary = entry.summary.clone();
            return Ok((LedgerClaim { ledger: Arc::clone(self), key }, summary));
        }
        if entries.order.len() >= Self::CAPACITY
            && let Some(oldest) = entries.order.pop_front()
        {
            entries.by_key.remove(&oldest);
        }
        entries.order.push_back(key.clone());
        entries.by_key.insert(key.clone(), LedgerEntry { running: true, summary: ImportSummary::default() });
        Ok((LedgerClaim { ledger: Arc::clone(self), key }, ImportSummary::default()))
    }
}

impl LedgerClaim {
    /// Records how far the import got (after every batch of committed rows).
    pub fn progress(&self, summary: &ImportSummary) {
        if let Ok(mut entries) = self.ledger.entries.lock()
            && let Some(entry) = entries.by_key.get_mut(&self.key)
        {
            entry.summary = summary.clone();
        }
    }
}

impl Drop for LedgerClaim {
    fn drop(&mut self) {
        if let Ok(mut entries) = self.ledger.entries.lock()
            && let Some(entry) = entries.by_key.get_mut(&self.key)
        {
            entry.running = false;
        }
    }
}
