//! Bulk import through the catalog: every row is validated and committed on
//! its own (a rejected row writes nothing), organizations can be referred to
//! by a name local to the import, and the summary lists each rejection.

use std::collections::HashMap;

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
