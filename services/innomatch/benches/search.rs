//! Search benchmark (`make bench`): bulk import of 100k synthetic Chinese
//! capability records end to end (gRPC import → catalog → change feed →
//! index), then query latency over gRPC against the same queries run on the
//! tantivy index in process (the baseline), and throughput at concurrency 16.
//! Prints a table and writes `target/bench/search.json`.
//! `INNOMATCH_BENCH_RECORDS=N` imports N records instead (a quicker run).

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use innomatch::server;
use innomatch_core::{
    auth::Principal,
    config::{Secret, Settings},
    model::Role,
};
use innomatch_proto::v1::{self as pb, search_service_client::SearchServiceClient};
use tonic::{Request, metadata::MetadataValue, transport::Channel};

/// Records imported unless `INNOMATCH_BENCH_RECORDS` says otherwise.
const RECORDS: usize = 100_000;
const QUERIES: usize = 400;
const CONCURRENCY: usize = 16;
const THROUGHPUT_SECONDS: u64 = 10;
const ADMIN_TOKEN: &str = "imt_bench_admin_token_0123456789abcdef";

const TOPICS: &[&str] = &[
    "氢冶金",
    "低碳炼钢",
    "对虾养殖",
    "病害检测",
    "预制菜",
    "冷链物流",
    "工业互联网",
    "海上风电",
    "光伏",
    "储能",
    "南药",
    "沉香",
    "金鲳鱼",
    "深海网箱",
    "火龙果",
    "菠萝",
    "特种纸",
    "纸浆",
    "乙烯",
    "碳捕集",
    "高分子材料",
    "复合材料",
    "海洋药物",
    "医疗器械",
    "集成电路",
    "人工智能",
    "大数据",
    "智能家电",
    "羽绒",
    "红木家具",
    "制鞋",
    "生蚝",
    "荔枝",
    "芒果",
    "船舶",
    "数控机床",
    "农机装备",
    "水质监测",
    "废水处理",
    "固废资源化",
];
const ACTIONS: &[&str] =
    &["关键技术研究", "中试验证", "工艺优化", "智能装备研制", "快速检测方法", "标准制定", "产业化应用", "数字化改造"];
const PHRASES: &[&str] = &[
    "降低能耗与排放",
    "提高产品良率",
    "面向粤西产业集群",
    "服务湛江企业",
    "与大湾区高校联合攻关",
    "具备中试条件",
    "拥有发明专利",
    "团队十余人",
    "可开放共享仪器",
    "已在多家企业示范应用",
];

/// A deterministic generator, so every run indexes the same corpus.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() % items.len()]
    }
}

fn capability(rng: &mut Lcg, i: usize) -> pb::ImportRecord {
    let (a, b) = (rng.pick(TOPICS), rng.pick(TOPICS));
    let action = rng.pick(ACTIONS);
    let mut description = String::new();
    while description.chars().count() < 280 {
        description.push_str(&format!("{}{}，{}；", rng.pick(TOPICS), rng.pick(ACTIONS), rng.pick(PHRASES)));
    }
    let cap = pb::Capability {
        kind: pb::CapabilityKind::Achievement as i32,
        title: format!("{a}与{b}{action}（{i}）"),
        description,
        keywords: vec![a.into(), b.into()],
        trl: (1 + i % 9) as u32,
        ..Default::default()
    };
    pb::ImportRecord {
        record: Some(pb::import_record::Record::Capability(cap)),
        organization_ref: format!("org-{}", i % 50),
        ..Default::default()
    }
}

fn organizations() -> Vec<pb::ImportRecord> {
    (0..50)
        .map(|i| pb::ImportRecord {
            record: Some(pb::import_record::Record::Organization(pb::Organization {
                name: format!("粤西第{i}研究院"),
                kind: pb::OrganizationKind::ResearchInstitute as i32,
                region_code: "440802".into(),
                ..Default::default()
            })),
            r#ref: format!("org-{i}"),
            ..Default::default()
        })
        .collect()
}

fn authorized<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    let value = MetadataValue::try_from(format!("Bearer {ADMIN_TOKEN}")).expect("header");
    request.metadata_mut().insert("authorization", value);
    request
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

async fn client(addr: SocketAddr) -> SearchServiceClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}")).expect("addr").connect().await.expect("connect");
    SearchServiceClient::new(channel).max_decoding_message_size(16 * 1024 * 1024)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: dir.path().to_path_buf(),
        admin_token: Some(Secret::new(ADMIN_TOKEN)),
        ..Settings::default()
    };
    let running = server::start(&settings).await?;
    let index = Arc::clone(running.search_index.as_ref().expect("search runs"));
    let addr = running.addr;

    // Bulk import, end to end: until the index has applied every change.
    let mut rng = Lcg(20251129);
    let mut rows = organizations();
    let records = std::env::var("INNOMATCH_BENCH_RECORDS").ok().and_then(|n| n.parse().ok()).unwrap_or(RECORDS);
    rows.extend((0..records).map(|i| capability(&mut rng, i)));
    let expected_sequence = rows.len() as i64;
    let mut applied = index.subscribe_applied();
    let started = Instant::now();
    let summary = client(addr).await.import(authorized(tokio_stream::iter(rows))).await?.into_inner();
    let committed = started.elapsed();
    applied.wait_for(|&sequence| sequence >= expected_sequence).await?;
    let indexed = started.elapsed();
    assert_eq!(summary.imported as i64, expected_sequence, "every row imports");
    let import_docs_per_sec = expected_sequence as f64 / indexed.as_secs_f64();

    // The same queries, in process and over gRPC.
    let mut rng = Lcg(7);
    let queries: Vec<String> = (0..QUERIES).map(|_| format!("{} {}", rng.pick(TOPICS), rng.pick(ACTIONS))).collect();
    let admin = Principal { token_id: "bench".into(), organization_id: None, role: Role::Admin };
    let request = |q: &str| pb::SearchRequest { query: q.into(), page_size: 10, ..Default::default() };
    let mut in_process = Vec::with_capacity(QUERIES);
    for q in &queries {
        let validated = innomatch_search::index::SearchRequest::try_from(request(q)).expect("valid");
        let t = Instant::now();
        let results = index.search(&validated, &admin)?;
        in_process.push(t.elapsed());
        assert!(results.total > 0, "{q} finds something");
    }
    let mut grpc = client(addr).await;
    for q in queries.iter().take(20) {
        grpc.search(authorized(request(q))).await?; // warm the connection
    }
    let mut over_grpc = Vec::with_capacity(QUERIES);
    for q in &queries {
        let t = Instant::now();
        grpc.search(authorized(request(q))).await?;
        over_grpc.push(t.elapsed());
    }
    in_process.sort();
    over_grpc.sort();

    // Throughput: 16 concurrent clients for a fixed time.
    let queries = Arc::new(queries);
    let deadline = Instant::now() + Duration::from_secs(THROUGHPUT_SECONDS);
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let queries = Arc::clone(&queries);
        let mut grpc = client(addr).await;
        tasks.push(tokio::spawn(async move {
            let mut done = 0usize;
            while Instant::now() < deadline {
                let q = &queries[(worker * 31 + done) % queries.len()];
                if grpc.search(authorized(request(q))).await.is_ok() {
                    done += 1;
                }
            }
            done
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await?;
    }
    let qps = total as f64 / THROUGHPUT_SECONDS as f64;

    let report = serde_json::json!({
        "records": expected_sequence,
        "import": {
            "committed_seconds": committed.as_secs_f64(),
            "indexed_seconds": indexed.as_secs_f64(),
            "docs_per_second": import_docs_per_sec,
        },
        "query_latency_ms": {
            "in_process": { "p50": percentile(&in_process, 0.5), "p99": percentile(&in_process, 0.99) },
            "grpc": { "p50": percentile(&over_grpc, 0.5), "p99": percentile(&over_grpc, 0.99) },
            "grpc_over_in_process_p50": percentile(&over_grpc, 0.5) / percentile(&in_process, 0.5),
        },
        "throughput": { "concurrency": CONCURRENCY, "seconds": THROUGHPUT_SECONDS, "queries_per_second": qps },
        "index_docs": index.num_docs(),
    });
    println!("search benchmark ({records} capability records, {QUERIES} queries)");
    println!(
        "  bulk import end to end   {:>10.0} docs/s  ({:.1} s to commit, {:.1} s until indexed)",
        import_docs_per_sec,
        committed.as_secs_f64(),
        indexed.as_secs_f64()
    );
    println!("  query p50 in process     {:>10.3} ms", percentile(&in_process, 0.5));
    println!("  query p99 in process     {:>10.3} ms", percentile(&in_process, 0.99));
    println!(
        "  query p50 over gRPC      {:>10.3} ms  ({:.1}x in process)",
        percentile(&over_grpc, 0.5),
        percentile(&over_grpc, 0.5) / percentile(&in_process, 0.5)
    );
    println!("  query p99 over gRPC      {:>10.3} ms", percentile(&over_grpc, 0.99));
    println!("  throughput, 16 clients   {:>10.0} queries/s", qps);
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("search.json"), serde_json::to_string_pretty(&report)?)?;
    println!("  written to target/bench/search.json");
    running.shutdown().await
}
