//! Search, import, export and index commands: `innomatch search`,
//! `innomatch import` (JSONL, CSV or XLSX, streamed through the catalog with a
//! progress bar, or checked with `--dry-run`), `innomatch export` (CSV or
//! XLSX) and `innomatch index rebuild`.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use innomatch_catalog::{sqlite::SqliteStore, store::RecordStore};
use innomatch_core::{
    model::{OrganizationKind, Record, RecordKind, ServiceCategory},
    taxonomy::Taxonomy,
};
use innomatch_proto::v1::{self as pb, search_service_client::SearchServiceClient};
use innomatch_search::index::SearchIndex;
use serde_json::{Map, Value, json};

use crate::{
    cli::{ClientArgs, status_error},
    table,
};

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words, "phrases", -exclusions, field:word (title, keywords, description, organization, tag).
    pub query: String,
    /// need, capability, offer or organization (repeatable).
    #[arg(long = "kind")]
    pub kinds: Vec<String>,
    /// Region code or name, e.g. 440800 or 湛江 (repeatable).
    #[arg(long = "region")]
    pub regions: Vec<String>,
    #[arg(long = "industry")]
    pub industries: Vec<String>,
    #[arg(long = "field")]
    pub high_tech_fields: Vec<String>,
    /// enterprise, university, laboratory, research_institute, … (repeatable).
    #[arg(long = "org-kind")]
    pub organization_kinds: Vec<String>,
    /// A service category code, e.g. testing_inspection (repeatable).
    #[arg(long = "category")]
    pub categories: Vec<String>,
    #[arg(long)]
    pub min_trl: Option<u32>,
    #[arg(long)]
    pub max_trl: Option<u32>,
    /// Newest first instead of most relevant first.
    #[arg(long)]
    pub recent: bool,
    /// Count values of these facets (record_kind, organization_kind, high_tech_field, industry, region, service_category).
    #[arg(long = "facet")]
    pub facets: Vec<String>,
    #[arg(long, default_value_t = 10)]
    pub page_size: u32,
    #[arg(long, default_value = "")]
    pub page_token: String,
}

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

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Rebuild the search index from the record store (the server must be stopped).
    Rebuild {
        #[arg(long, env = "INNOMATCH_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
    },
}

fn codes<T: Copy>(
    what: &str,
    values: &[String],
    parse: impl Fn(&str) -> Option<T>,
    to_proto: fn(T) -> i32,
) -> anyhow::Result<Vec<i32>> {
    values.iter().map(|v| parse(v).map(to_proto).with_context(|| format!("unknown {what} {v:?}"))).collect()
}

pub async fn search(client: &ClientArgs, args: SearchArgs) -> anyhow::Result<()> {
    let regions = args
        .regions
        .iter()
        .map(|r| {
            Taxonomy::get().find_region(r).map(|r| r.code.clone()).with_context(|| format!("unknown region {r:?}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let request = pb::SearchRequest {
        query: args.query,
        filters: Some(pb::SearchFilters {
            record_kinds: codes("kind", &args.kinds, RecordKind::from_code, RecordKind::to_proto)?,
            organization_kinds: codes(
                "organization kind",
                &args.organization_kinds,
                OrganizationKind::from_code,
                OrganizationKind::to_proto,
            )?,
            high_tech_fields: args.high_tech_fields,
            industries: args.industries,
            regions,
            min_trl: args.min_trl.unwrap_or_default(),
            max_trl: args.max_trl.unwrap_or_default(),
            service_categories: codes(
                "category",
                &args.categories,
                ServiceCategory::from_code,
                ServiceCategory::to_proto,
            )?,
            organization_id: String::new(),
        }),
        facets: args.facets,
        order: if args.recent { pb::SearchOrder::Recency } else { pb::SearchOrder::Relevance } as i32,
        page_size: args.page_size,
        page_token: args.page_token,
    };
    let (channel, auth) = client.channel(false).await?;
    let response =
        SearchServiceClient::with_interceptor(channel, auth).search(request).await.map_err(status_error)?.into_inner();
    if client.json {
        let hits: Vec<Value> = response
            .hits
            .iter()
            .map(|h| {
                json!({
                    "kind": RecordKind::from_proto(h.kind).ok().flatten().map(RecordKind::code),
                    "id": h.id,
                    "organization_id": h.organization_id,
                    "organization_name": h.organization_name,
                    "title": h.title,
                    "score": h.score,
                    "matched_terms": h.matched_terms,
                    "highlights": h.highlights.iter().map(|x| json!({"field": x.field, "snippet": x.snippet})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let facets: Map<String, Value> = response
            .facets
            .iter()
            .map(|f| {
                (
                    f.field.clone(),
                    json!(
                        f.values
                            .iter()
                            .map(|v| json!({"value": v.value, "label": v.label, "count": v.count}))
                            .collect::<Vec<_>>()
                    ),
                )
            })
            .collect();
        let out = json!({ "total_hits": response.total_hits, "hits": hits, "facets": facets, "next_page_token": response.next_page_token });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("{} hits", response.total_hits);
    for (rank, hit) in response.hits.iter().enumerate() {
        let kind = RecordKind::from_proto(hit.kind).ok().flatten().map(RecordKind::code).unwrap_or("?");
        let owner = if hit.organization_name.is_empty() { "(anonymous)" } else { hit.organization_name.as_str() };
        println!("{:>3}. [{kind}] {}  — {owner}  score {:.2}", rank + 1, hit.title, hit.score);
        println!("     {}", hit.id);
        if !hit.matched_terms.is_empty() {
            println!("     matched: {}", hit.matched_terms.join(" "));
        }
        for highlight in hit.highlights.iter().filter(|h| h.field == "description") {
            println!("     {}", highlight.snippet.replace("<em>", "【").replace("</em>", "】"));
        }
    }
    for facet in &response.facets {
        let values: Vec<String> = facet.values.iter().map(|v| format!("{} {}", v.label, v.count)).collect();
        println!("{}: {}", facet.field, values.join(", "));
    }
    if !response.next_page_token.is_empty() {
        println!("(more: --page-token {})", response.next_page_token);
    }
    Ok(())
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
            Err(reason) => {
                unreadable += 1;
                rejections.push((ordinal, row.location, String::new(), reason));
            }
        }
    }
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
        let (channel, auth) = client.channel(true).await?;
        let summary = SearchServiceClient::with_interceptor(channel, auth)
            .import(stream)
            .await
            .map_err(status_error)?
            .into_inner();
        progress.finish_and_clear();
        for rejected in summary.rejected {
            let (ordinal, location) = sent.get(rejected.row.saturating_sub(1) as usize).cloned().unwrap_or_default();
            rejections.push((ordinal, location, rejected.field, rejected.reason));
        }
        (summary.imported, summary.rejected_rows + unreadable, summary.organization_ids)
    };
    rejections.sort_by_key(|r| r.0);
    if client.json {
        let out = json!({
            "dry_run": args.dry_run,
            "imported": imported,
            "rejected_rows": rejected_rows,
            "rejected": rejections.iter().map(|(_, at, field, reason)| json!({"at": at, "field": field, "reason": reason})).collect::<Vec<_>>(),
            "organization_ids": organization_ids,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let verb = if args.dry_run { "would import" } else { "imported" };
        println!("{verb} {imported} records; {rejected_rows} rows rejected");
        for (_, at, field, reason) in &rejections {
            let field = if field.is_empty() { String::new() } else { format!("{field}: ") };
            println!("  {at}: {field}{reason}");
        }
    }
    Ok(())
}

/// Writes every record of a kind the token may see to a CSV or XLSX file.
pub async fn export(client: &ClientArgs, args: ExportArgs) -> anyhow::Result<()> {
    let kind = RecordKind::from_code(&args.kind).with_context(|| format!("unknown kind {:?}", args.kind))?;
    let (channel, auth) = client.channel(false).await?;
    let mut catalog = pb::catalog_service_client::CatalogServiceClient::with_interceptor(channel, auth);
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
        };
        for proto in page {
            let meta = match &proto {
                pb::import_record::Record::Organization(o) => o.meta.clone(),
                pb::import_record::Record::Need(n) => n.meta.clone(),
                pb::import_record::Record::Capability(c) => c.meta.clone(),
                pb::import_record::Record::Offer(o) => o.meta.clone(),
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
    println!("exported {} {} records to {}", records.len(), kind, args.out.display());
    Ok(())
}

/// Rebuilds the index from the store's change log; refuses while a server holds the index.
pub async fn rebuild_index(data_dir: &Path) -> anyhow::Result<()> {
    let store = SqliteStore::open(data_dir).context("opening the record store")?;
    let index = Arc::new(
        SearchIndex::open(&data_dir.join("index"))
            .context("opening the index (is a server running on this data directory? stop it first)")?,
    );
    index.clear()?;
    let mut after = 0;
    loop {
        let batch = store.changes_after(after, 5_000).await?;
        let Some(last) = batch.last() else { break };
        after = last.sequence;
        let target = Arc::clone(&index);
        tokio::task::spawn_blocking(move || target.apply(&batch)).await??;
    }
    if after == 0 && store.count(RecordKind::Organization).await? > 0 {
        bail!("the store has records but no change log");
    }
    println!("index rebuilt: {} documents, change sequence {after}", index.num_docs());
    Ok(())
}
