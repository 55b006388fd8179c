//! `innomatch search` (words, phrases, filters, facets; a table or `--json`)
//! and `innomatch index rebuild` (the index again from the record store).

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use innomatch_catalog::{postgres::PostgresStore, sqlite::SqliteStore, store::RecordStore};
use innomatch_core::{
    config::DatabaseSettings,
    model::{CapabilityKind, OrganizationKind, RecordKind, ServiceCategory},
    taxonomy::Taxonomy,
};
use innomatch_proto::v1 as pb;
use innomatch_search::index::SearchIndex;
use serde_json::{Map, Value, json};

use super::client::{Calls, ClientArgs, outln, parse_codes as codes, status_error};

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
    /// Capabilities of a kind only: research_direction, achievement, patent,
    /// instrument, team, platform (repeatable).
    #[arg(long = "capability-kind")]
    pub capability_kinds: Vec<String>,
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

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Rebuild the search index from the record store (the server must be stopped).
    Rebuild {
        #[arg(long, env = "INNOMATCH_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        /// The PostgreSQL record store the server uses, if it uses one.
        #[arg(long, env = "INNOMATCH_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
    },
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
            capability_kinds: codes(
                "capability kind",
                &args.capability_kinds,
                CapabilityKind::from_code,
                CapabilityKind::to_proto,
            )?,
        }),
        facets: args.facets,
        order: if args.recent { pb::SearchOrder::Recency } else { pb::SearchOrder::Relevance } as i32,
        page_size: args.page_size,
        page_token: args.page_token,
        // The command prints the total: count every hit.
        estimate_total: false,
    };
    let response =
        client.connect(Calls::Unary).await?.search().search(request).await.map_err(status_error)?.into_inner();
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
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    outln!("{} hits", response.total_hits);
    for (rank, hit) in response.hits.iter().enumerate() {
        let kind = super::labels::record_kind(hit.kind);
        let owner = if hit.organization_name.is_empty() { "(anonymous)" } else { hit.organization_name.as_str() };
        outln!("{:>3}. [{kind}] {}  — {owner}  score {:.2}", rank + 1, hit.title, hit.score);
        outln!("     {}", hit.id);
        if !hit.matched_terms.is_empty() {
            outln!("     matched: {}", hit.matched_terms.join(" "));
        }
        for highlight in hit.highlights.iter().filter(|h| h.field == "description") {
            outln!("     {}", highlight.snippet.replace("<em>", "【").replace("</em>", "】"));
        }
    }
    for facet in &response.facets {
        let values: Vec<String> = facet.values.iter().map(|v| format!("{} {}", v.label, v.count)).collect();
        outln!("{}: {}", facet.field, values.join(", "));
    }
    if !response.next_page_token.is_empty() {
        outln!("(more: --page-token {})", response.next_page_token);
    }
    Ok(())
}

/// Rebuilds the index from the store's change log (PostgreSQL when a
/// database URL is given, else SQLite in `data_dir`); refuses while a server
/// holds the index.
pub async fn rebuild_index(data_dir: &Path, database_url: Option<&str>) -> anyhow::Result<()> {
    let store: Box<dyn RecordStore> = match database_url {
        Some(url) => Box::new(
            PostgresStore::connect(url, None, &DatabaseSettings::default())
                .await
                .context("opening the record store in PostgreSQL")?,
        ),
        None => Box::new(SqliteStore::open(data_dir).context("opening the record store")?),
    };
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
    outln!("index rebuilt: {} documents, change sequence {after}", index.num_docs());
    Ok(())
}
