//! Search, import and index commands: `innomatch search`, `innomatch import`
//! (JSONL or CSV, streamed through the catalog with a progress bar) and
//! `innomatch index rebuild`.

use std::{
    io::{BufRead, BufReader},
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

use crate::cli::{ClientArgs, status_error};

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
    /// A .jsonl file (one record per line, with "type") or a .csv file (a "type" column).
    pub file: PathBuf,
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

/// Fields that hold lists in a CSV cell, separated by `;`.
const CSV_LIST_FIELDS: &[&str] = &[
    "keywords",
    "industries",
    "high_tech_fields",
    "qualifications",
    "cooperation_modes",
    "regions_served",
    "industries_served",
];
const CSV_NUMBER_FIELDS: &[&str] = &["target_trl", "trl", "monthly_capacity"];

/// One CSV row as the JSON object a JSONL line would hold.
fn csv_row_to_json(headers: &csv::StringRecord, row: &csv::StringRecord) -> Result<Value, String> {
    let mut object = Map::new();
    let mut budget = Map::new();
    for (name, cell) in headers.iter().zip(row.iter()) {
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        let value = if CSV_LIST_FIELDS.contains(&name) {
            json!(cell.split([';', '；']).map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>())
        } else if CSV_NUMBER_FIELDS.contains(&name) {
            json!(cell.parse::<u64>().map_err(|_| format!("{name}: {cell:?} is not a whole number"))?)
        } else if name == "available_for_sharing" {
            json!(matches!(cell, "true" | "yes" | "1" | "是"))
        } else if let Some(bound) = name.strip_prefix("budget_") {
            let amount = cell.parse::<i64>().map_err(|_| format!("{name}: {cell:?} is not an amount in yuan"))?;
            budget.insert(bound.to_owned(), json!(amount));
            continue;
        } else if name == "competencies" {
            let list: Result<Vec<Value>, String> = cell
                .split([';', '；'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|item| match item.rsplit_once(':') {
                    Some((competency, weight)) => weight
                        .parse::<u32>()
                        .map(|w| json!({"name": competency, "weight": w}))
                        .map_err(|_| format!("competencies: bad weight in {item:?}")),
                    None => Ok(json!({"name": item, "weight": 1})),
                })
                .collect();
            json!(list?)
        } else {
            json!(cell)
        };
        object.insert(name.to_owned(), value);
    }
    if !budget.is_empty() {
        object.insert("budget".into(), Value::Object(budget));
    }
    Ok(Value::Object(object))
}

/// A JSON object (a JSONL line or a converted CSV row) as an import message.
fn to_import_record(value: Value) -> Result<pb::ImportRecord, String> {
    let object = value.as_object().ok_or("a row must be a JSON object")?;
    let text = |key: &str| object.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let reference = text("ref");
    let organization_ref = text("organization");
    let organization_id = text("organization_id");
    let record: Record = serde_json::from_value(value).map_err(|e| e.to_string())?;
    let mut record: pb::import_record::Record = record.into();
    if !organization_id.is_empty() {
        let meta = match &mut record {
            pb::import_record::Record::Need(n) => &mut n.meta,
            pb::import_record::Record::Capability(c) => &mut c.meta,
            pb::import_record::Record::Offer(o) => &mut o.meta,
            pb::import_record::Record::Organization(o) => &mut o.meta,
        };
        meta.get_or_insert_with(Default::default).organization_id = organization_id;
    }
    Ok(pb::ImportRecord { record: Some(record), r#ref: reference, organization_ref })
}

/// Reads the file into (line number, message or local error) pairs.
fn read_rows(path: &Path) -> anyhow::Result<Vec<(u64, Result<pb::ImportRecord, String>)>> {
    let is_csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut rows = Vec::new();
    if is_csv {
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(file);
        let headers = reader.headers().context("reading the CSV header")?.clone();
        for (i, row) in reader.records().enumerate() {
            // Line 1 is the header.
            let line = i as u64 + 2;
            let parsed = row
                .map_err(|e| e.to_string())
                .and_then(|row| csv_row_to_json(&headers, &row))
                .and_then(to_import_record);
            rows.push((line, parsed));
        }
    } else {
        for (i, line) in BufReader::new(file).lines().enumerate() {
            let line_text = line.with_context(|| format!("reading {}", path.display()))?;
            if line_text.trim().is_empty() {
                continue;
            }
            let parsed =
                serde_json::from_str::<Value>(&line_text).map_err(|e| e.to_string()).and_then(to_import_record);
            rows.push((i as u64 + 1, parsed));
        }
    }
    Ok(rows)
}

pub async fn import(client: &ClientArgs, args: ImportArgs) -> anyhow::Result<()> {
    let rows = read_rows(&args.file)?;
    let mut local_rejections = Vec::new();
    let mut lines_sent = Vec::new();
    let mut messages = Vec::new();
    for (line, parsed) in rows {
        match parsed {
            Ok(message) => {
                lines_sent.push(line);
                messages.push(message);
            }
            Err(reason) => local_rejections.push((line, String::new(), reason)),
        }
    }
    let progress = ProgressBar::new(messages.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let tick = progress.clone();
    let stream = tokio_stream::iter(messages.into_iter().inspect(move |_| tick.inc(1)));
    let (channel, auth) = client.channel(true).await?;
    let summary =
        SearchServiceClient::with_interceptor(channel, auth).import(stream).await.map_err(status_error)?.into_inner();
    progress.finish_and_clear();
    let rejected_rows = summary.rejected_rows + local_rejections.len() as u64;
    let mut rejections = local_rejections;
    for rejected in summary.rejected {
        let line = lines_sent.get(rejected.row.saturating_sub(1) as usize).copied().unwrap_or(rejected.row);
        rejections.push((line, rejected.field, rejected.reason));
    }
    rejections.sort();
    if client.json {
        let out = json!({
            "imported": summary.imported,
            "rejected_rows": rejected_rows,
            "rejected": rejections.iter().map(|(line, field, reason)| json!({"line": line, "field": field, "reason": reason})).collect::<Vec<_>>(),
            "organization_ids": summary.organization_ids,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("imported {} records; {} rows rejected", summary.imported, rejected_rows);
        for (line, field, reason) in &rejections {
            let field = if field.is_empty() { String::new() } else { format!("{field}: ") };
            println!("  line {line}: {field}{reason}");
        }
    }
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
