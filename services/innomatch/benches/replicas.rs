//! Replica benchmark (`make bench`): a catalog holding N capability records
//! of real Chinese text (the abstracts of `../shared/eval/csl-dev`, grown to
//! N by mixing sentences of three abstracts, see [`corpus`]) serves two
//! search/matcher replicas that follow it over gRPC (`--catalog-url`).
//! Measured: how fast a fresh replica catches up from the feed (docs/s, until
//! its index has applied the feed's head), the index's bytes per document,
//! and search QPS with p50/p99 at 1, 4 and 16 clients against one replica
//! and against both (clients split between them). All processes share this
//! machine's cores, so a second replica adds no cores: the figure shows the
//! cost of the split, not the gain of real scale-out.
//! Prints a table and writes `target/bench/replicas.json`.
//! `INNOMATCH_BENCH_RECORDS=N` (default 20000); `INNOMATCH_EVAL_DIR` (default
//! `../shared/eval/csl-dev`). Lexical only: embedding speed is `embed-bench`'s.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use innomatch::server::{self, RunningServer};
use innomatch_catalog::{
    Catalog,
    bulk::{BulkOwner, BulkRow},
    sqlite::SqliteStore,
    store::RecordStore,
    tokens::TokenRegistry,
};
use innomatch_core::{
    auth::Principal,
    config::{Secret, ServiceKind, Settings},
    model::{Capability, CapabilityKind, Organization, OrganizationKind, Record, Role},
};
use innomatch_proto::v1::{self as pb, search_service_client::SearchServiceClient};
use tonic::{Request, metadata::MetadataValue, transport::Channel};

const RECORDS: usize = 20_000;
const ADMIN_TOKEN: &str = "imt_bench_admin_token_0123456789abcdef";
const SECONDS_PER_RUN: u64 = 5;
const BATCH: usize = 512;

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[derive(serde::Deserialize)]
struct Lab {
    lab: String,
    abstracts: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Need {
    title: String,
}

/// `records` capability texts per lab: the real abstracts first, then
/// records that each join sentences of three different abstracts (the
/// i-th, the i×7-th and the i×13-th of the whole list) up to a real
/// abstract's length, so the vocabulary and lengths stay those of real text.
fn corpus(labs: &[Lab], records: usize) -> Vec<(usize, String)> {
    let all: Vec<(usize, &str)> =
        labs.iter().enumerate().flat_map(|(l, lab)| lab.abstracts.iter().map(move |a| (l, a.as_str()))).collect();
    let sentences = |text: &str| -> Vec<String> {
        text.split_inclusive(['。', '；', '.', ';']).map(str::to_owned).filter(|s| !s.trim().is_empty()).collect()
    };
    (0..records)
        .map(|i| {
            let (lab, first) = all[i % all.len()];
            if i < all.len() {
                return (lab, first.to_owned());
            }
            let target = first.chars().count();
            let mut text = String::new();
            for (round, source) in [i, i * 7 + 1, i * 13 + 2].iter().map(|k| all[k % all.len()].1).enumerate() {
                for sentence in sentences(source).into_iter().skip(round) {
                    if text.chars().count() >= target {
                        break;
                    }
                    text.push_str(&sentence);
                }
            }
            (lab, text)
        })
        .collect()
}

fn admin() -> Principal {
    Principal { token_id: "bench".into(), organization_id: None, role: Role::Admin }
}

/// Writes the corpus into a fresh SQLite store under `dir`, in import-sized batches.
async fn load(dir: &Path, labs: &[Lab], texts: &[(usize, String)]) -> Result<(), Failure> {
    let store: Arc<dyn RecordStore> = Arc::new(SqliteStore::open(dir)?);
    let catalog = Catalog::new(Arc::clone(&store), TokenRegistry::load(store.as_ref()).await?);
    let mut owners = Vec::new();
    for (n, lab) in labs.iter().enumerate() {
        let org = Organization {
            name: format!("湛江{}重点实验室{n}", lab.lab),
            kind: Some(OrganizationKind::Laboratory),
            region_code: "440803".into(),
            ..Organization::default()
        };
        owners.push(catalog.create(&admin(), Record::Organization(org), "").await?.meta().id.clone());
    }
    for chunk in texts.chunks(BATCH) {
        let rows = chunk
            .iter()
            .map(|(lab, text)| BulkRow {
                record: Record::Capability(Capability {
                    kind: Some(CapabilityKind::Achievement),
                    title: text.chars().take(24).collect(),
                    description: text.clone(),
                    ..Capability::default()
                }),
                owner: BulkOwner::Id(owners[*lab].clone()),
                external_id: String::new(),
                record_id: String::new(),
            })
            .collect();
        for written in catalog.write_bulk(&admin(), rows).await? {
            written?;
        }
    }
    Ok(())
}

fn settings(data_dir: PathBuf, services: Vec<ServiceKind>, catalog_url: Option<String>) -> Settings {
    let mut settings = Settings {
        listen: "127.0.0.1:0".parse().expect("address"),
        metrics_listen: "127.0.0.1:0".parse().expect("address"),
        data_dir,
        services,
        admin_token: Some(Secret::new(ADMIN_TOKEN)),
        catalog_url,
        ..Settings::default()
    };
    settings.search.semantic = false;
    settings
}

fn bytes_under(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(m) if m.is_dir() => bytes_under(&entry.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Starts a replica of `catalog_url` and waits until its index holds the feed's head.
async fn catch_up(dir: PathBuf, catalog_url: &str, head: i64) -> Result<(RunningServer, Duration), Failure> {
    let started = Instant::now();
    let replica =
        server::start(&settings(dir, vec![ServiceKind::Search, ServiceKind::Matcher], Some(catalog_url.into())))
            .await?;
    let index = replica.search_index.clone().ok_or("the replica has no index")?;
    let mut applied = index.subscribe_applied();
    while *applied.borrow_and_update() < head {
        applied.changed().await?;
    }
    Ok((replica, started.elapsed()))
}

fn authorized<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", MetadataValue::try_from(format!("Bearer {ADMIN_TOKEN}")).expect("header"));
    request
}

struct Throughput {
    qps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// `clients` clients searching for `SECONDS_PER_RUN` s, client i on replica i mod the count.
async fn throughput(replicas: &[Channel], queries: &Arc<Vec<String>>, clients: usize) -> Result<Throughput, Failure> {
    let until = Instant::now() + Duration::from_secs(SECONDS_PER_RUN);
    let mut tasks = Vec::new();
    for client in 0..clients {
        let mut search = SearchServiceClient::new(replicas[client % replicas.len()].clone());
        let queries = Arc::clone(queries);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = client * 37;
            while Instant::now() < until {
                let request = pb::SearchRequest {
                    query: queries[n % queries.len()].clone(),
                    page_size: 10,
                    ..Default::default()
                };
                let one = Instant::now();
                search.search(authorized(request)).await?;
                latencies.push(one.elapsed().as_secs_f64() * 1000.0);
                n += 1;
            }
            Ok::<_, tonic::Status>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies.get(((latencies.len() as f64 - 1.0) * q) as usize).copied().unwrap_or_default();
    Ok(Throughput { qps: latencies.len() as f64 / SECONDS_PER_RUN as f64, p50_ms: at(0.5), p99_ms: at(0.99) })
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let eval_dir = std::env::var("INNOMATCH_EVAL_DIR").unwrap_or_else(|_| "../../../shared/eval/csl-dev".into());
    let eval_dir = Path::new(&eval_dir);
    let Ok(labs) = std::fs::read_to_string(eval_dir.join("labs.jsonl")) else {
        println!("replica bench skipped: no real-text set at {} (set INNOMATCH_EVAL_DIR)", eval_dir.display());
        return Ok(());
    };
    let labs: Vec<Lab> = labs.lines().map(serde_json::from_str).collect::<Result<_, _>>()?;
    let queries: Vec<String> = std::fs::read_to_string(eval_dir.join("needs.jsonl"))?
        .lines()
        .map(|l| serde_json::from_str::<Need>(l).map(|n| n.title))
        .collect::<Result<_, _>>()?;
    let queries = Arc::new(queries);
    let records = std::env::var("INNOMATCH_BENCH_RECORDS").ok().and_then(|n| n.parse().ok()).unwrap_or(RECORDS);
    let texts = corpus(&labs, records);
    let root = tempfile::tempdir()?;

    let loading = Instant::now();
    load(&root.path().join("catalog"), &labs, &texts).await?;
    println!("loaded {records} capabilities into the catalog in {:.1} s", loading.elapsed().as_secs_f64());
    let catalog = server::start(&settings(root.path().join("catalog"), vec![ServiceKind::Catalog], None)).await?;
    let catalog_url = format!("http://{}", catalog.addr);
    let head = records as i64 + labs.len() as i64;

    let rss_before = rss_mib();
    let (first, first_took) = catch_up(root.path().join("replica-0"), &catalog_url, head).await?;
    let rss_after = rss_mib();
    let (second, second_took) = catch_up(root.path().join("replica-1"), &catalog_url, head).await?;
    let index_bytes = bytes_under(&root.path().join("replica-0").join("index"));
    let bytes_per_doc = index_bytes as f64 / head as f64;
    let catch_up_rate = head as f64 / first_took.as_secs_f64();

    let channel =
        |server: &RunningServer| Channel::from_shared(format!("http://{}", server.addr)).map(|e| e.connect_lazy());
    let (one, two) = (channel(&first)?, channel(&second)?);
    // Every query once (a warm-up too); a title the query language refuses
    // (e.g. `BIBASS:基于…`, an unknown field) is left out and counted.
    let mut accepted = Vec::new();
    for query in queries.iter() {
        let request = pb::SearchRequest { query: query.clone(), page_size: 10, ..Default::default() };
        match SearchServiceClient::new(one.clone()).search(authorized(request)).await {
            Ok(_) => accepted.push(query.clone()),
            Err(status) if status.code() == tonic::Code::InvalidArgument => {}
            Err(status) => return Err(status.into()),
        }
    }
    let refused = queries.len() - accepted.len();
    let queries = Arc::new(accepted);
    let mut rows = Vec::new();
    for clients in [1, 4, 16] {
        let single = throughput(std::slice::from_ref(&one), &queries, clients).await?;
        let both = throughput(&[one.clone(), two.clone()], &queries, clients).await?;
        rows.push((clients, single, both));
    }

    println!("\nreplica catch-up from the change feed ({head} records, real text, lexical)");
    println!("  replica 0: {:.1} s  {:.0} docs/s", first_took.as_secs_f64(), catch_up_rate);
    println!("  replica 1: {:.1} s  {:.0} docs/s", second_took.as_secs_f64(), head as f64 / second_took.as_secs_f64());
    println!("  index on disk: {:.1} MiB, {:.0} bytes/doc", index_bytes as f64 / 1048576.0, bytes_per_doc);
    println!("  process RSS grew {:.0} MiB while replica 0 caught up", rss_after - rss_before);
    println!(
        "\nsearch over gRPC, {SECONDS_PER_RUN} s per run, {} real need titles as queries ({refused} refused by the query language left out); all processes share the cores",
        queries.len()
    );
    println!("  clients | 1 replica: QPS   p50 ms  p99 ms | 2 replicas: QPS   p50 ms  p99 ms | ratio");
    let mut json_rows = Vec::new();
    for (clients, single, both) in &rows {
        println!(
            "  {clients:>7} | {:>14.0} {:>8.2} {:>7.2} | {:>15.0} {:>8.2} {:>7.2} | {:.2}×",
            single.qps,
            single.p50_ms,
            single.p99_ms,
            both.qps,
            both.p50_ms,
            both.p99_ms,
            both.qps / single.qps.max(f64::MIN_POSITIVE)
        );
        json_rows.push(serde_json::json!({
            "clients": clients,
            "one_replica": {"qps": single.qps, "p50_ms": single.p50_ms, "p99_ms": single.p99_ms},
            "two_replicas": {"qps": both.qps, "p50_ms": both.p50_ms, "p99_ms": both.p99_ms},
        }));
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let report = serde_json::json!({
        "records": head,
        "cores": cores,
        "catch_up": {"seconds": first_took.as_secs_f64(), "docs_per_second": catch_up_rate,
                     "second_replica_seconds": second_took.as_secs_f64()},
        "index_bytes": index_bytes,
        "index_bytes_per_doc": bytes_per_doc,
        "rss_growth_mib_per_replica": rss_after - rss_before,
        "queries": queries.len(),
        "queries_refused": refused,
        "search": json_rows,
    });
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("replicas.json"), serde_json::to_string_pretty(&report)?)?;
    println!("\nwrote {}", out.join("replicas.json").display());
    second.shutdown().await?;
    first.shutdown().await?;
    catalog.shutdown().await?;
    Ok(())
}
