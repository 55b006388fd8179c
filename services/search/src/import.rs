//! Bulk import through the catalog: every row is validated and committed on
//! its own (a rejected row writes nothing), organizations can be referred to
//! by a name local to the import, and the summary lists each rejection.
//! An [`ImportLedger`] makes a retried import with the same idempotency key
//! skip the rows the first attempt already handled.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use innomatch_catalog::{Catalog, CatalogError};
use innomatch_core::{auth::Principal, model::Record, validation::Violations};

/// At most this many rejections are listed; all are counted.
pub const MAX_LISTED_REJECTIONS: usize = 1_000;

/// One row as received: the record (or why it is invalid) and its references.
#[derive(Debug)]
pub struct ImportRow {
    pub record: Result<Record, Violations>,
    /// This row's name for later rows (`organization_ref`).
    pub reference: String,
    /// The owner by reference to an earlier row.
    pub organization_ref: String,
    /// The owner by id (meta.organization_id).
    pub organization_id: String,
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
    pub imported: u64,
    pub rejected: Vec<Rejection>,
    pub rejected_rows: u64,
    pub organization_ids: HashMap<String, String>,
}

/// One import session (one stream of rows).
#[derive(Debug)]
pub struct Importer {
    catalog: Catalog,
    principal: Principal,
    summary: ImportSummary,
}

impl Importer {
    pub fn new(catalog: Catalog, principal: Principal) -> Self {
        Self { catalog, principal, summary: ImportSummary::default() }
    }

    /// Goes on from an earlier attempt's summary (see [`ImportLedger`]).
    pub fn resume(catalog: Catalog, principal: Principal, summary: ImportSummary) -> Self {
        Self { catalog, principal, summary }
    }

    /// The summary so far.
    pub fn summary(&self) -> &ImportSummary {
        &self.summary
    }

    pub async fn add(&mut self, row: ImportRow) {
        self.summary.received += 1;
        let number = self.summary.received;
        let result = self.create(row).await;
        match result {
            Ok(()) => self.summary.imported += 1,
            Err(rejections) => {
                self.summary.rejected_rows += 1;
                for (field, reason) in rejections {
                    if self.summary.rejected.len() < MAX_LISTED_REJECTIONS {
                        self.summary.rejected.push(Rejection { row: number, field, reason });
                    }
                }
            }
        }
    }

    async fn create(&mut self, row: ImportRow) -> Result<(), Vec<(String, String)>> {
        let violations_to_rejections =
            |v: Violations| v.0.into_iter().map(|v| (v.field, v.description)).collect::<Vec<_>>();
        let record = row.record.map_err(violations_to_rejections)?;
        let owner = if row.organization_ref.is_empty() {
            row.organization_id
        } else {
            self.summary.organization_ids.get(&row.organization_ref).cloned().ok_or_else(|| {
                vec![(
                    "organization_ref".to_owned(),
                    format!("no organization with ref {:?} was imported before this row", row.organization_ref),
                )]
            })?
        };
        if !row.reference.is_empty() && self.summary.organization_ids.contains_key(&row.reference) {
            return Err(vec![("ref".into(), format!("ref {:?} is used by an earlier row", row.reference))]);
        }
        let is_organization = matches!(record, Record::Organization(_));
        let created = self.catalog.create(&self.principal, record, &owner).await.map_err(|e| match e {
            CatalogError::Invalid(v) => violations_to_rejections(v),
            other => vec![(String::new(), other.to_string())],
        })?;
        if is_organization && !row.reference.is_empty() {
            self.summary.organization_ids.insert(row.reference, created.meta().id.clone());
        }
        Ok(())
    }

    pub fn finish(self) -> ImportSummary {
        tracing::info!(
            received = self.summary.received,
            imported = self.summary.imported,
            rejected = self.summary.rejected_rows,
            "import finished"
        );
        self.summary
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
