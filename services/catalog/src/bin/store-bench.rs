//! Record-store benchmark (`make bench`): single writes (one need at a time
//! through `Catalog::create`, each its own transaction with its change-log
//! entry: p50/p99 latency and writes/s) and bulk import (records through
//! `Catalog::create_in_bulk` from several importers at once, as concurrent
//! import streams or replicas would: records/s) against one import stream
//! committed in batches (`Catalog::write_bulk`, 512 rows per transaction, as
//! `SearchService/Import` commits them: records/s), on the embedded SQLite
//! store and on PostgreSQL (a throwaway schema in
//! `INNOMATCH_TEST_DATABASE_URL`, default 127.0.0.1:5432/test, when reachable).
//!
//! Prints a table and writes `target/bench/store.json`.
//! Options: `--single-writes N` (default 1000), `--bulk-records N` (default 4000),
//! `--importers N` (default 4).

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use innomatch_catalog::{
    Catalog,
    bulk::{BulkOwner, BulkRow},
    postgres::PostgresStore,
    sqlite::SqliteStore,
    store::RecordStore,
    tokens::TokenRegistry,
};
use innomatch_core::{
    auth::Principal,
    model::{Organization, OrganizationKind, Record, Role, TechNeed, Visibility},
    postgres::TestSchema,
};

type BenchError = Box<dyn std::error::Error + Send + Sync>;

const TITLES: [&str; 4] = ["氢冶金低碳炼钢中试", "预制菜冷链保鲜", "对虾养殖尾水处理", "工业互联网平台建设"];

fn admin() -> Principal {
    Principal { token_id: "tok_bench".into(), organization_id: None, role: Role::Admin }
}

fn need(n: usize) -> Record {
    Record::Need(TechNeed {
        title: format!("{}（{n}）", TITLES[n % TITLES.len()]),
        description: "湛江企业寻求高校院所合作开展工艺攻关与中试验证，降低能耗与排放，提升产品附加值".into(),
        keywords: vec!["绿色钢铁".into(), "氢冶金".into()],
        industries: vec!["green_steel".into()],
        visibility: Some(Visibility::Public),
        ..TechNeed::default()
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[derive(Debug, Clone, serde::Serialize)]
struct Report {
    backend: &'static str,
    single_writes: usize,
    single_p50_ms: f64,
    single_p99_ms: f64,
    single_writes_per_sec: f64,
    bulk_records: usize,
    importers: usize,
    bulk_records_per_sec: f64,
    batched_records: usize,
    batched_records_per_sec: f64,
}

/// Rows per transaction in the batched import, as `SearchService/Import` commits them.
const IMPORT_BATCH: usize = 512;

struct Options {
    single_writes: usize,
    bulk_records: usize,
    importers: usize,
}

fn options() -> Result<Options, BenchError> {
    let mut options = Options { single_writes: 1000, bulk_records: 4000, importers: 4 };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value: usize = args.next().ok_or_else(|| format!("{flag} needs a number"))?.parse()?;
        match flag.as_str() {
            "--single-writes" => options.single_writes = value,
            "--bulk-records" => options.bulk_records = value,
            "--importers" => options.importers = value.max(1),
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    Ok(options)
}

async fn run(backend: &'static str, store: Arc<dyn RecordStore>, options: &Options) -> Result<Report, BenchError> {
    let tokens = TokenRegistry::load(store.as_ref()).await?;
    let catalog = Catalog::new(store, tokens);
    let org = Organization {
        name: "湛江绿色钢铁有限公司".into(),
        kind: Some(OrganizationKind::Enterprise),
        region_code: "440802".into(),
        ..Organization::default()
    };
    let owner = catalog.create(&admin(), Record::Organization(org), "").await?.meta().id.clone();

    let mut latencies = Vec::with_capacity(options.single_writes);
    let started = Instant::now();
    for n in 0..options.single_writes {
        let one = Instant::now();
        catalog.create_in_bulk(&admin(), need(n), &owner).await?;
        latencies.push(one.elapsed().as_secs_f64() * 1000.0);
    }
    let single_elapsed = started.elapsed();
    latencies.sort_by(f64::total_cmp);

    let per_importer = options.bulk_records / options.importers;
    let started = Instant::now();
    let mut importers = Vec::new();
    for i in 0..options.importers {
        let (catalog, owner) = (catalog.clone(), owner.clone());
        importers.push(tokio::spawn(async move {
            for n in 0..per_importer {
                catalog.create_in_bulk(&admin(), need(i * per_importer + n), &owner).await?;
            }
            Ok::<_, innomatch_catalog::CatalogError>(())
        }));
    }
    for importer in importers {
        importer.await??;
    }
    let bulk_elapsed = started.elapsed();

    let batched = per_importer * options.importers;
    let started = Instant::now();
    for first in (0..batched).step_by(IMPORT_BATCH) {
        let rows = (first..(first + IMPORT_BATCH).min(batched))
            .map(|n| BulkRow {
                record: need(batched + n),
                owner: BulkOwner::Id(owner.clone()),
                external_id: format!("row-{n}"),
                record_id: String::new(),
            })
            .collect();
        for result in catalog.write_bulk(&admin(), rows).await? {
            result?;
        }
    }
    let batched_elapsed = started.elapsed();
    let rate = |n: usize, d: Duration| n as f64 / d.as_secs_f64().max(f64::EPSILON);
    Ok(Report {
        backend,
        single_writes: options.single_writes,
        single_p50_ms: percentile(&latencies, 50.0),
        single_p99_ms: percentile(&latencies, 99.0),
        single_writes_per_sec: rate(options.single_writes, single_elapsed),
        bulk_records: per_importer * options.importers,
        importers: options.importers,
        bulk_records_per_sec: rate(per_importer * options.importers, bulk_elapsed),
        batched_records: batched,
        batched_records_per_sec: rate(batched, batched_elapsed),
    })
}

#[tokio::main]
async fn main() -> Result<(), BenchError> {
    let options = options()?;
    let mut reports = Vec::new();

    let dir = std::env::temp_dir().join(format!("innomatch-store-bench-{}", uuid::Uuid::now_v7().simple()));
    let sqlite: Arc<dyn RecordStore> = Arc::new(SqliteStore::open(&dir)?);
    let measured = run("sqlite", sqlite, &options).await;
    let _ = std::fs::remove_dir_all(&dir);
    reports.push(measured?);

    // Skipped (with a line saying so) when no PostgreSQL answers.
    if let Some(schema) = TestSchema::create().await {
        let mut settings = TestSchema::settings();
        settings.max_connections = options.importers.max(1) + 1;
        let store = PostgresStore::connect(&schema.url, Some(&schema.name), &settings).await?;
        reports.push(run("postgres", Arc::new(store), &options).await?);
    }

    println!(
        "{:<10} {:>8} {:>10} {:>10} {:>12} {:>8} {:>10} {:>14} {:>17}",
        "store", "writes", "p50 ms", "p99 ms", "writes/s", "bulk", "importers", "bulk rec/s", "batched rec/s"
    );
    for r in &reports {
        println!(
            "{:<10} {:>8} {:>10.3} {:>10.3} {:>12.0} {:>8} {:>10} {:>14.0} {:>17.0}",
            r.backend,
            r.single_writes,
            r.single_p50_ms,
            r.single_p99_ms,
            r.single_writes_per_sec,
            r.bulk_records,
            r.importers,
            r.bulk_records_per_sec,
            r.batched_records_per_sec
        );
    }
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("store.json"), serde_json::to_string_pretty(&serde_json::json!({ "runs": reports }))?)?;
    println!("  written to target/bench/store.json");
    Ok(())
}
