//! Bulk writes for imports: many rows checked against the catalog's rules
//! with a handful of store reads per batch (owners, references and earlier
//! imports looked up once for all rows), then committed in one store
//! transaction with a savepoint per row, so a rejected row writes nothing
//! and the others commit together.
//!
//! A row may carry an external id, the stable name its source gives it: a
//! row whose external id (or record id) names a record already in the
//! catalog updates that record when its content differs and is reported
//! [`BulkOutcome::Unchanged`] when it does not, so the same file imported
//! twice changes nothing the second time. External ids of organizations are
//! global (only admins register organizations); those of other records are
//! scoped to their owner, so one tenant can never reach another's rows.

use std::collections::{HashMap, HashSet};

use innomatch_core::{
    auth::Principal,
    model::{ChangeOperation, Organization, Record, RecordKind, RecordStatus},
    validation::Violations,
};

use crate::{
    error::CatalogError,
    service::{Catalog, check_owner_kind, describe, inherit_region, new_id},
    store::{StoreError, Write},
};

/// Who owns a row's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkOwner {
    /// The caller's organization.
    Caller,
    /// An organization by id.
    Id(String),
    /// An organization by its external id (imported earlier, in this batch or before).
    Ref(String),
}

/// One row of a bulk write, already validated field by field.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkRow {
    pub record: Record,
    /// Ignored for organizations (an organization owns itself).
    pub owner: BulkOwner,
    /// The row's stable external id; empty for none.
    pub external_id: String,
    /// The id of the record this row stands for (a re-imported export);
    /// empty for none. An id this catalog does not know serves as the
    /// row's external id instead.
    pub record_id: String,
}

/// What a row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkOutcome {
    Created,
    Updated,
    /// The row matched an existing record exactly: nothing was written.
    Unchanged,
}

/// A row's outcome and its record as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkWritten {
    pub outcome: BulkOutcome,
    pub record: Record,
}

/// The store key of an external id: organizations' are global, every other
/// kind's belong to the owner.
fn external_key(kind: RecordKind, owner: &str, external_id: &str) -> String {
    match kind {
        RecordKind::Organization => format!("organization:{external_id}"),
        other => format!("{other}:{owner}:{external_id}"),
    }
}

/// The row's external id: its own, or the unknown record id it came with.
fn external_id_of(row: &BulkRow, known_ids: &HashMap<String, Record>) -> String {
    if !row.external_id.is_empty() {
        row.external_id.clone()
    } else if !row.record_id.is_empty() && !known_ids.contains_key(&row.record_id) {
        format!("id:{}", row.record_id)
    } else {
        String::new()
    }
}

/// How one row is to be written, once planned.
enum Plan {
    Rejected(CatalogError),
    Unchanged(Box<Record>),
    /// The index of its write in the batch.
    Write(usize, BulkOutcome),
}

impl Catalog {
    /// Writes the rows in one store transaction (see the module docs); one
    /// result per row, in order. The outer error is a storage failure that
    /// wrote nothing.
    pub async fn write_bulk(
        &self,
        principal: &Principal,
        rows: Vec<BulkRow>,
    ) -> Result<Vec<Result<BulkWritten, CatalogError>>, CatalogError> {
        // One read per kind for the record ids rows came with.
        let mut known_ids: HashMap<String, Record> = HashMap::new();
        for kind in RecordKind::ALL.iter().copied() {
            let ids: Vec<String> = rows
                .iter()
                .filter(|r| r.record.kind() == kind && !r.record_id.is_empty())
                .map(|r| r.record_id.clone())
                .collect();
            if !ids.is_empty() {
                known_ids.extend(self.store.get_many(kind, &ids).await?.into_iter().map(|r| (r.meta().id.clone(), r)));
            }
        }
        // Owners by reference, and the organizations the rows name.
        let mut organization_keys: Vec<String> = rows
            .iter()
            .filter_map(|row| match (&row.record, &row.owner) {
                (Record::Organization(_), _) => {
                    let id = external_id_of(row, &known_ids);
                    (!id.is_empty()).then(|| external_key(RecordKind::Organization, "", &id))
                }
                (_, BulkOwner::Ref(reference)) => Some(external_key(RecordKind::Organization, "", reference)),
                _ => None,
            })
            .collect();
        organization_keys.sort();
        organization_keys.dedup();
        let mut by_key: HashMap<String, Record> =
            self.store.find_external(&organization_keys).await?.into_iter().collect();
        // Organizations created or changed by this batch, by id, for the rows after them.
        let mut batch_organizations: HashMap<String, Organization> = HashMap::new();
        // Which organization each organization external id stands for after this batch.
        let mut organization_refs: HashMap<String, String> = by_key
            .iter()
            .filter_map(|(key, record)| Some((key.strip_prefix("organization:")?.to_owned(), record.meta().id.clone())))
            .collect();

        // Owners of the other rows, where they can be known before planning
        // (by id, or by a reference to an organization already stored).
        let owner_of = |row: &BulkRow, refs: &HashMap<String, String>| -> Result<String, CatalogError> {
            if matches!(row.record, Record::Policy(_)) {
                // Policies belong to no organization (see `plan_policy`).
                return Ok(String::new());
            }
            match &row.owner {
                BulkOwner::Caller => principal.organization_id.clone().ok_or_else(|| {
                    Violations::single(
                        format!("{}.meta.organization_id", row.record.kind()),
                        "an admin token acts for no organization: name the owner",
                    )
                    .into()
                }),
                BulkOwner::Id(id) => Ok(id.clone()),
                BulkOwner::Ref(reference) => refs.get(reference).cloned().ok_or_else(|| {
                    Violations::single(
                        "organization_ref",
                        format!("no organization with ref {reference:?} was imported before this row"),
                    )
                    .into()
                }),
            }
        };
        let mut owner_ids: Vec<String> = rows
            .iter()
            .filter(|row| !matches!(row.record, Record::Organization(_) | Record::Policy(_)))
            .filter_map(|row| owner_of(row, &organization_refs).ok())
            .collect();
        owner_ids.sort();
        owner_ids.dedup();
        let stored_owners: HashMap<String, Record> = self
            .store
            .get_many(RecordKind::Organization, &owner_ids)
            .await?
            .into_iter()
            .map(|r| (r.meta().id.clone(), r))
            .collect();
        let mut record_keys: Vec<String> = rows
            .iter()
            .filter(|row| !matches!(row.record, Record::Organization(_)))
            .filter_map(|row| {
                let id = external_id_of(row, &known_ids);
                let owner = owner_of(row, &organization_refs).ok()?;
                (!id.is_empty()).then(|| external_key(row.record.kind(), &owner, &id))
            })
            .collect();
        record_keys.sort();
        record_keys.dedup();
        by_key.extend(self.store.find_external(&record_keys).await?);

        let mut plans = Vec::with_capacity(rows.len());
        let mut writes = Vec::new();
        let mut keys_in_batch = HashSet::new();
        for row in rows {
            let external_id = external_id_of(&row, &known_ids);
            let plan = match &row.record {
                Record::Organization(_) => self.plan_organization(
                    principal,
                    row,
                    &external_id,
                    &known_ids,
                    &by_key,
                    &mut keys_in_batch,
                    &mut organization_refs,
                    &mut batch_organizations,
                    &mut writes,
                ),
                Record::Policy(_) => {
                    plan_policy(principal, row, &external_id, &known_ids, &by_key, &mut keys_in_batch, &mut writes)
                }
                _ => {
                    let owner = owner_of(&row, &organization_refs);
                    let organization = owner.as_ref().ok().and_then(|id| {
                        batch_organizations.get(id).cloned().or_else(|| match stored_owners.get(id) {
                            Some(Record::Organization(org)) => Some(org.clone()),
                            _ => None,
                        })
                    });
                    match owner {
                        Err(e) => Plan::Rejected(e),
                        Ok(owner) => plan_record(
                            principal,
                            row,
                            &owner,
                            organization,
                            &external_id,
                            &known_ids,
                            &by_key,
                            &mut keys_in_batch,
                            &mut writes,
                        ),
                    }
                }
            };
            plans.push(plan);
        }

        let mut written: Vec<Option<Result<crate::store::Change, StoreError>>> =
            self.store.write_batch(writes).await?.into_iter().map(Some).collect();
        let results = plans
            .into_iter()
            .map(|plan| match plan {
                Plan::Rejected(e) => Err(e),
                Plan::Unchanged(record) => Ok(BulkWritten { outcome: BulkOutcome::Unchanged, record: *record }),
                Plan::Write(index, outcome) => match written.get_mut(index).and_then(Option::take) {
                    Some(Ok(change)) => {
                        tracing::debug!(kind = %change.record.kind(), id = %change.record.meta().id, sequence = change.sequence, ?outcome, "record imported");
                        Ok(BulkWritten { outcome, record: change.record })
                    }
                    Some(Err(StoreError::AlreadyExists)) => Err(CatalogError::FailedPrecondition(
                        "another record already has this external id".into(),
                    )),
                    Some(Err(StoreError::VersionConflict { actual })) => Err(CatalogError::VersionConflict {
                        what: "the imported record".into(),
                        expected: actual - 1,
                        actual,
                    }),
                    Some(Err(e)) => Err(e.into()),
                    None => Err(StoreError::Backend("a batch write went missing".into()).into()),
                },
            })
            .collect();
        Ok(results)
    }

    #[allow(clippy::too_many_arguments)]
    fn plan_organization(
        &self,
        principal: &Principal,
        row: BulkRow,
        external_id: &str,
        known_ids: &HashMap<String, Record>,
        by_key: &HashMap<String, Record>,
        keys_in_batch: &mut HashSet<String>,
        organization_refs: &mut HashMap<String, String>,
        batch_organizations: &mut HashMap<String, Organization>,
        writes: &mut Vec<Write>,
    ) -> Plan {
        if !principal.is_admin() {
            return Plan::Rejected(CatalogError::PermissionDenied("only an admin can register organizations".into()));
        }
        let key = (!external_id.is_empty()).then(|| external_key(RecordKind::Organization, "", external_id));
        if let Some(key) = &key
            && !keys_in_batch.insert(key.clone())
        {
            return duplicate(external_id);
        }
        let existing = key.as_ref().and_then(|k| by_key.get(k)).or_else(|| known_ids.get(&row.record_id));
        let plan = match existing {
            Some(existing) => replace(row.record, existing, writes),
            None => {
                let mut record = row.record;
                let id = new_id(RecordKind::Organization);
                let meta = record.meta_mut();
                meta.id = id.clone();
                meta.organization_id = id;
                meta.status = Some(RecordStatus::Active);
                writes.push(Write::Insert { record, external_key: key });
                Plan::Write(writes.len() - 1, BulkOutcome::Created)
            }
        };
        // Later rows may name this organization by its external id.
        let written = match &plan {
            Plan::Unchanged(record) => Some(record.as_ref()),
            Plan::Write(index, _) => match writes.get(*index) {
                Some(Write::Insert { record, .. } | Write::Update { record, .. }) => Some(record),
                None => None,
            },
            Plan::Rejected(_) => None,
        };
        if let Some(Record::Organization(org)) = written {
            if !external_id.is_empty() {
                organization_refs.insert(external_id.to_owned(), org.meta.id.clone());
            }
            batch_organizations.insert(org.meta.id.clone(), org.clone());
        }
        plan
    }
}

/// Plans a need, capability or offer owned by `owner` (whose record is
/// `organization`, when it exists).
#[allow(clippy::too_many_arguments)]
fn plan_record(
    principal: &Principal,
    row: BulkRow,
    owner: &str,
    organization: Option<Organization>,
    external_id: &str,
    known_ids: &HashMap<String, Record>,
    by_key: &HashMap<String, Record>,
    keys_in_batch: &mut HashSet<String>,
    writes: &mut Vec<Write>,
) -> Plan {
    let kind = row.record.kind();
    if !principal.acts_for(owner) {
        return Plan::Rejected(CatalogError::PermissionDenied(
            "the token may not create records for another organization".into(),
        ));
    }
    let organization = match organization {
        Some(org) if org.meta.status() != RecordStatus::Archived => org,
        Some(_) => {
            return Plan::Rejected(CatalogError::FailedPrecondition(format!("organization {owner} is archived")));
        }
        None => return Plan::Rejected(CatalogError::NotFound(format!("organization {owner}"))),
    };
    if let Err(e) = check_owner_kind(&row.record, organization.kind()) {
        return Plan::Rejected(e);
    }
    let key = (!external_id.is_empty()).then(|| external_key(kind, owner, external_id));
    if let Some(key) = &key
        && !keys_in_batch.insert(key.clone())
    {
        return duplicate(external_id);
    }
    let mut record = row.record;
    inherit_region(&mut record, &organization.region_code);
    let existing = key.as_ref().and_then(|k| by_key.get(k)).or_else(|| known_ids.get(&row.record_id));
    match existing {
        Some(existing) if !principal.can_see(existing) => {
            Plan::Rejected(CatalogError::NotFound(describe(kind, &existing.meta().id)))
        }
        Some(existing) if existing.meta().organization_id != owner => Plan::Rejected(CatalogError::PermissionDenied(
            format!("{} belongs to another organization", describe(kind, &existing.meta().id)),
        )),
        Some(existing) => replace(record, existing, writes),
        None => {
            let meta = record.meta_mut();
            meta.id = new_id(kind);
            meta.organization_id = owner.to_owned();
            meta.status = Some(RecordStatus::Active);
            writes.push(Write::Insert { record, external_key: key });
            Plan::Write(writes.len() - 1, BulkOutcome::Created)
        }
    }
}

/// Plans a support policy: admins only, owned by no organization.
fn plan_policy(
    principal: &Principal,
    row: BulkRow,
    external_id: &str,
    known_ids: &HashMap<String, Record>,
    by_key: &HashMap<String, Record>,
    keys_in_batch: &mut HashSet<String>,
    writes: &mut Vec<Write>,
) -> Plan {
    if !principal.is_admin() {
        return Plan::Rejected(CatalogError::PermissionDenied("only an admin (the bureau) can write policies".into()));
    }
    let key = (!external_id.is_empty()).then(|| external_key(RecordKind::Policy, "", external_id));
    if let Some(key) = &key
        && !keys_in_batch.insert(key.clone())
    {
        return duplicate(external_id);
    }
    match key.as_ref().and_then(|k| by_key.get(k)).or_else(|| known_ids.get(&row.record_id)) {
        Some(existing) => replace(row.record, existing, writes),
        None => {
            let mut record = row.record;
            let meta = record.meta_mut();
            meta.id = new_id(RecordKind::Policy);
            meta.organization_id = String::new();
            meta.status = Some(RecordStatus::Active);
            writes.push(Write::Insert { record, external_key: key });
            Plan::Write(writes.len() - 1, BulkOutcome::Created)
        }
    }
}

/// The row stands for `existing`: nothing to do when the content is the
/// same, a new version when it differs (refused when archived).
fn replace(mut record: Record, existing: &Record, writes: &mut Vec<Write>) -> Plan {
    *record.meta_mut() = existing.meta().clone();
    if &record == existing {
        return Plan::Unchanged(Box::new(record));
    }
    if existing.meta().status() == RecordStatus::Archived {
        return Plan::Rejected(CatalogError::FailedPrecondition(format!(
            "{} is archived",
            describe(existing.kind(), &existing.meta().id)
        )));
    }
    let expected_version = Some(existing.meta().version);
    writes.push(Write::Update { record, expected_version, operation: ChangeOperation::Updated });
    Plan::Write(writes.len() - 1, BulkOutcome::Updated)
}

fn duplicate(external_id: &str) -> Plan {
    Plan::Rejected(Violations::single("ref", format!("ref {external_id:?} is used by an earlier row")).into())
}
