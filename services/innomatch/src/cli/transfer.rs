//! Moving records in and out in bulk: `innomatch import` (JSONL, CSV or
//! XLSX, streamed through the catalog with a progress bar, or checked with
//! `--dry-run`; it exits non-zero when any row is rejected) and `innomatch
//! export` (CSV or XLSX, columns that import again: importing an export
//! leaves its records unchanged).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use innomatch_core::model::{Record, RecordKind};
use innomatch_proto::v1 as pb;
use serde_json::json;

use innomatch_search::table;

use super::client::{Calls, ClientArgs, outln, status_error};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A .jsonl file (one record per line, with "type"), a .csv file (a "type"
    /// column) or an .xlsx workbook (a "type" column, or sheets named needs,
    /// capabilities, organizations, offers).
    pub file: PathBuf,
    /// Check every row and report what would be rejected; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// organization, need, capability or offer.
    #[arg(long)]
    pub kind: String,
    /// csv or xlsx.
    #[arg(long, default_value = "xlsx")]
    pub format: String,
    #[arg(long)]
    pub out: PathBuf,
}

/// A rejected row: its place in the file (for order), where it is, field and reason.
type Rejection = (usize, String, String, String);

/// Checks every row without writing: field validation and references
/// between rows, exactly as the server would check them.
fn dry_run(rows: &[(usize, String, pb::ImportRecord)]) -> Vec<Rejection> {
    let mut known_refs = std::collections::HashSet::new();
    let mut rejections = Vec::new();
    for (ordinal, location, message) in rows {
        let is_organization = matches!(message.record, Some(pb::import_record::Record::Organization(_)));
        if !message.organization_ref.is_empty() && !known_refs.contains(&message.organization_ref) {
            rejections.push((
                *ordinal,
                location.clone(),
                "organization_ref".to_owned(),
                format!("no organization with ref {:?} comes before this row", message.organization_ref),
            ));
            continue;
        }
        match Record::try_from(message.clone()) {
            Ok(_) if is_organization && !message.r#ref.is_empty() => {
                known_refs.insert(message.r#ref.clone());
            }
            Ok(_) => {}
            Err(violations) => {
                for v in violations.0 {
                    rejections.push((*ordinal, location.clone(), v.field, v.description));
                }
            }
        }
    }
    rejections
}

pub async fn import(client: &ClientArgs, args: ImportArgs) -> anyhow::Result<()> {
    let mut rejections: Vec<Rejection> = Vec::new();
    let mut rows = Vec::new();
    let mut unreadable = 0u64;
    for (ordinal, row) in table::read(&args.file)?.into_iter().enumerate() {
        match row.parsed {
            Ok(message) => rows.push((ordinal, row.location, message)),
            Err(error) => {
                unreadable += 1;
                rejections.push((ordinal, row.location, error.field, error.reason));
            }
        }
    }
    let (mut updated, mut unchanged) = (0, 0);
    let (imported, rejected_rows, organization_ids) = if args.dry_run {
        let found = dry_run(&rows);
        let rejected: std::collections::BTreeSet<usize> = found.iter().map(|r| r.0).collect();
        let rejected_rows = rejected.len() as u64;
        let valid = rows.len() as u64 - rejected_rows;
        rejections.extend(found);
        (valid, rejected_rows + unreadable, Default::default())
    } else {
        let progress = ProgressBar::new(rows.len() as u64);
        progress.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let sent: Vec<(usize, String)> =
            rows.iter().map(|(ordinal, location, _)| (*ordinal, location.clone())).collect();
        let tick = progress.clone();
        let stream = tokio_stream::iter(rows.into_iter().map(|(_, _, message)| message).inspect(move |_| tick.inc(1)));
        let summary =
            client.connect(Calls::Streaming).await?.search().import(stream).await.map_err(status_error)?.into_inner();
        progress.finish_and_clear();
        for rejected in summary.rejected {
            let (ordinal, location) = sent.get(rejected.row.saturating_sub(1) as usize).cloned().unwrap_or_default();
            rejections.push((ordinal, location, rejected.field, rejected.reason));
        }
        (updated, unchanged) = (summary.updated, summary.unchanged);
        (summary.imported, summary.rejected_rows + unreadable, summary.organization_ids)
    };
    rejections.sort_by_key(|r| r.0);
    if client.json {
        let out = json!({
            "dry_run": args.dry_run,
            "imported": imported,
            "updated": updated,
            "unchanged": unchanged,
            "rejected_rows": rejected_rows,
            "rejected": rejections.iter().map(|(_, at, field, reason)| json!({"at": at, "field": field, "reason": reason})).collect::<Vec<_>>(),
            "organization_ids": organization_ids,
        });
        outln!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        if args.dry_run {
            outln!("would import {imported} records; {rejected_rows} rows rejected");
        } else {
            outln!(
                "imported {imported} records ({updated} of them updated); {unchanged} unchanged; {rejected_rows} rows rejected"
            );
        }
        for (_, at, field, reason) in &rejections {
            let field = if field.is_empty() { String::new() } else { format!("{field}: ") };
            outln!("  {at}: {field}{reason}");
        }
    }
    // Scripts and schedulers learn from the exit status that rows were left out.
    if rejected_rows > 0 {
        anyhow::bail!("{rejected_rows} rows rejected");
    }
    Ok(())
}

/// Writes every record of a kind the token may see to a CSV or XLSX file.
pub async fn export(client: &ClientArgs, args: ExportArgs) -> anyhow::Result<()> {
    let kind = RecordKind::from_code(&args.kind).with_context(|| format!("unknown kind {:?}", args.kind))?;
    let connection = client.connect(Calls::Unary).await?;
    let mut catalog = connection.catalog();
    let mut policies = connection.policies();
    let mut records: Vec<Record> = Vec::new();
    let mut page_token = String::new();
    loop {
        let (page, next): (Vec<pb::import_record::Record>, String) = match kind {
            RecordKind::Organization => {
                let r = catalog
                    .list_organizations(pb::ListOrganizationsRequest {
                        page_size: 500,
                        page_token,
                        ..Default::default()
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                (r.organizations.into_iter().map(pb::import_record::Record::Organization).collect(), r.next_page_token)
            }
            RecordKind::Need => {
                let r = catalog
                    .list_needs(pb::ListNeedsRequest { page_size: 500, page_token, ..Default::default() })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                (r.needs.into_iter().map(pb::import_record::Record::Need).collect(), r.next_page_token)
            }
            RecordKind::Capability => {
                let r = catalog
                    .list_capabilities(pb::ListCapabilitiesRequest { page_size: 500, page_token, ..Default::default() })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                (r.capabilities.into_iter().map(pb::import_record::Record::Capability).collect(), r.next_page_token)
            }
            RecordKind::ServiceOffer => {
                let r = catalog
                    .list_service_offers(pb::ListServiceOffersRequest {
                        page_size: 500,
                        page_token,
                        ..Default::default()
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                (r.offers.into_iter().map(pb::import_record::Record::Offer).collect(), r.next_page_token)
            }
            RecordKind::Policy => {
                let r = policies
                    .list_policies(pb::ListPoliciesRequest { page_size: 500, page_token, ..Default::default() })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                (r.policies.into_iter().map(pb::import_record::Record::Policy).collect(), r.next_page_token)
            }
        };
        for proto in page {
            let meta = match &proto {
                pb::import_record::Record::Organization(o) => o.meta.clone(),
                pb::import_record::Record::Need(n) => n.meta.clone(),
                pb::import_record::Record::Capability(c) => c.meta.clone(),
                pb::import_record::Record::Offer(o) => o.meta.clone(),
                pb::import_record::Record::Policy(p) => p.meta.clone(),
            }
            .unwrap_or_default();
            let mut record = Record::try_from(pb::ImportRecord { record: Some(proto), ..Default::default() })
                .map_err(|v| anyhow::anyhow!("the server sent a record this client cannot read: {v}"))?;
            let own = record.meta_mut();
            own.id = meta.id;
            own.organization_id = meta.organization_id;
            records.push(record);
        }
        if next.is_empty() {
            break;
        }
        page_token = next;
    }
    let bytes = match args.format.as_str() {
        "csv" => table::write_csv(kind, &records)?,
        "xlsx" => table::write_xlsx(kind, &records)?,
        other => anyhow::bail!("unknown format {other:?}; use csv or xlsx"),
    };
    std::fs::write(&args.out, bytes).with_context(|| format!("writing {}", args.out.display()))?;
    outln!("exported {} {} records to {}", records.len(), kind, args.out.display());
    Ok(())
}
