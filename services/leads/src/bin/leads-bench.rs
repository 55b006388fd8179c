//! Lead delivery benchmark (`make bench`): end-to-end latency from
//! `Leads::offer` to the lead arriving at an agency subscribed over gRPC
//! (p50/p99, one lead at a time), and sustained throughput (leads offered as
//! fast as four producers can, each received and acknowledged), on the
//! embedded backend and on Redis (127.0.0.1:6379, when reachable).
//!
//! Prints a table and writes `target/bench/leads.json`.
//! Options: `--latency-leads N` (default 500), `--throughput-leads N` (default 5000).

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use innomatch_core::{
    auth::{Principal, TokenResolver},
    config::LeadsSettings,
    model::{Role, ServiceCategory},
    standing::StandingWatch,
};
use innomatch_leads::{
    Leads,
    clock::{Clock, SystemClock},
    delivery::{DeliveryBackend, embedded::EmbeddedDelivery, redis::RedisDelivery},
    grpc::LeadsGrpc,
    model::LeadDraft,
    sqlite::SqliteLeadStore,
    store::LeadStore,
};
use innomatch_proto::v1::{
    self as pb, leads_service_client::LeadsServiceClient, leads_service_server::LeadsServiceServer,
};
use tokio::sync::mpsc;
use tonic::{
    Request, Status,
    transport::{Server, server::TcpIncoming},
};

const REDIS_URL: &str = "redis://127.0.0.1:6379";
const AGENCY: &str = "org_bench_agency";
const PRODUCERS: usize = 4;

type BenchError = Box<dyn std::error::Error + Send + Sync>;

/// The bench's one agency never loses its standing.
struct BenchTokens;

impl TokenResolver for BenchTokens {
    fn resolve(&self, _token_hash: &str) -> Option<Principal> {
        None
    }
}

/// Every request acts as one agency: the bench measures delivery, not auth.
fn as_agency(mut request: Request<()>) -> Result<Request<()>, Status> {
    let principal =
        Principal { token_id: "tok_bench".into(), organization_id: Some(AGENCY.into()), role: Role::Agency };
    request.extensions_mut().insert(StandingWatch::new(Arc::new(BenchTokens), principal.clone()));
    request.extensions_mut().insert(principal);
    Ok(request)
}

fn draft(run: &str, n: usize) -> LeadDraft {
    LeadDraft {
        agency_organization_id: AGENCY.into(),
        offer_id: format!("offer_{run}"),
        need_id: format!("need_{n}"),
        need_organization_id: String::new(),
        need_title: ["预制菜冷链检测", "对虾养殖病害检测认证", "氢冶金专利布局"][n % 3].into(),
        need_summary: "湛江企业技术需求".into(),
        category: ServiceCategory::TestingInspection,
        score: 0.8,
        reasons: vec!["关键词重合".into()],
        replaces_lead_id: String::new(),
        policy_id: String::new(),
    }
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
    latency_leads: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    throughput_leads: usize,
    leads_per_sec: f64,
    throughput_p50_ms: f64,
    throughput_p99_ms: f64,
}

async fn serve(leads: Leads) -> Result<SocketAddr, BenchError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let service = LeadsServiceServer::with_interceptor(LeadsGrpc::new(leads), as_agency);
    // Nagle off, as in the real server (a self-bound listener ignores `Server::tcp_nodelay`).
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    tokio::spawn(Server::builder().add_service(service).serve_with_incoming(incoming));
    Ok(addr)
}

async fn bench(
    backend: &'static str,
    leads: Leads,
    latency_n: usize,
    throughput_n: usize,
) -> Result<Report, BenchError> {
    let addr = serve(leads.clone()).await?;
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))?.connect().await?;
    let mut client = LeadsServiceClient::new(channel.clone());
    let mut stream = client.subscribe_leads(pb::SubscribeLeadsRequest {}).await?.into_inner();

    // Acknowledgments run beside the stream, as a real agency client would.
    let (ack_tx, mut ack_rx) = mpsc::unbounded_channel::<String>();
    let mut acker = LeadsServiceClient::new(channel);
    let acks = tokio::spawn(async move {
        while let Some(lead_id) = ack_rx.recv().await {
            if let Err(status) = acker.ack_lead(pb::AckLeadRequest { lead_id }).await {
                eprintln!("ack failed: {status}");
            }
        }
    });

    // Latency: one lead in flight at a time, so no queueing is measured.
    let mut latencies = Vec::with_capacity(latency_n);
    for n in 0..latency_n {
        let started = Instant::now();
        let lead = leads.offer(draft("latency", n)).await?;
        let delivery =
            tokio::time::timeout(Duration::from_secs(10), stream.message()).await??.ok_or("stream closed")?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        let id = delivery.lead.map(|l| l.id).unwrap_or_default();
        if id != lead.id {
            return Err(format!("expected {} got {id}", lead.id).into());
        }
        ack_tx.send(id)?;
    }
    latencies.sort_by(f64::total_cmp);

    // Throughput: producers offer as fast as they can; the clock stops when
    // the last lead arrives at the agency.
    let offered_at: Arc<std::sync::Mutex<std::collections::HashMap<String, Instant>>> = Arc::default();
    let started = Instant::now();
    let mut producers = Vec::new();
    for p in 0..PRODUCERS {
        let leads = leads.clone();
        let offered_at = Arc::clone(&offered_at);
        producers.push(tokio::spawn(async move {
            for n in (p..throughput_n).step_by(PRODUCERS) {
                let at = Instant::now();
                let lead = leads.offer(draft("throughput", n)).await?;
                if let Ok(mut map) = offered_at.lock() {
                    map.insert(lead.id, at);
                }
            }
            Ok::<_, innomatch_leads::LeadsError>(())
        }));
    }
    let mut loaded = Vec::with_capacity(throughput_n);
    let mut received = 0;
    while received < throughput_n {
        let delivery =
            tokio::time::timeout(Duration::from_secs(30), stream.message()).await??.ok_or("stream closed")?;
        let arrived = Instant::now();
        let id = delivery.lead.map(|l| l.id).unwrap_or_default();
        if let Some(at) = offered_at.lock().ok().and_then(|map| map.get(&id).copied()) {
            loaded.push(arrived.duration_since(at).as_secs_f64() * 1000.0);
        }
        ack_tx.send(id)?;
        received += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    for producer in producers {
        producer.await??;
    }
    loaded.sort_by(f64::total_cmp);
    drop(ack_tx);
    acks.await?;

    Ok(Report {
        backend,
        latency_leads: latency_n,
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
        max_ms: latencies.last().copied().unwrap_or_default(),
        throughput_leads: throughput_n,
        leads_per_sec: throughput_n as f64 / elapsed,
        throughput_p50_ms: percentile(&loaded, 50.0),
        throughput_p99_ms: percentile(&loaded, 99.0),
    })
}

async fn redis_reachable() -> bool {
    let Ok(client) = redis::Client::open(REDIS_URL) else { return false };
    let ping = async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    matches!(tokio::time::timeout(Duration::from_secs(2), ping).await, Ok(Ok(_)))
}

async fn delete_keys(prefix: &str) -> Result<(), BenchError> {
    let client = redis::Client::open(REDIS_URL)?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}:*")).query_async(&mut conn).await?;
    if !keys.is_empty() {
        redis::cmd("DEL").arg(keys).query_async::<()>(&mut conn).await?;
    }
    Ok(())
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<(), BenchError> {
    let latency_n = arg("--latency-leads", 500);
    let throughput_n = arg("--throughput-leads", 5000);
    let mut reports = Vec::new();

    let dir = std::env::temp_dir().join(format!("innomatch-leads-bench-{}", std::process::id()));
    let store: Arc<dyn LeadStore> = Arc::new(SqliteLeadStore::open(&dir.join("embedded"))?);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let delivery: Arc<dyn DeliveryBackend> = Arc::new(EmbeddedDelivery::new(Arc::clone(&store), Arc::clone(&clock)));
    let leads = Leads::new(store, delivery, clock, LeadsSettings::default());
    reports.push(bench("embedded", leads, latency_n, throughput_n).await?);

    if redis_reachable().await {
        let prefix = format!("imbench-{}", std::process::id());
        let settings = LeadsSettings { redis_key_prefix: prefix.clone(), ..LeadsSettings::default() };
        let store: Arc<dyn LeadStore> = Arc::new(SqliteLeadStore::open(&dir.join("redis"))?);
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let delivery: Arc<dyn DeliveryBackend> =
            Arc::new(RedisDelivery::new(REDIS_URL, Arc::clone(&store), Arc::clone(&clock), (&settings).into())?);
        let leads = Leads::new(store, delivery, clock, settings);
        let mut ready = leads.readiness();
        tokio::time::timeout(Duration::from_secs(10), ready.wait_for(|r| *r)).await??;
        let result = bench("redis", leads, latency_n, throughput_n).await;
        delete_keys(&prefix).await?;
        reports.push(result?);
    } else {
        println!("skipped redis: not reachable at {REDIS_URL}");
    }

    println!(
        "\nlead delivery, offer → agency over gRPC ({latency_n} leads one at a time; {throughput_n} with {PRODUCERS} producers)"
    );
    println!(
        "{:<10} {:>9} {:>9} {:>9} {:>12} {:>13} {:>13}",
        "backend", "p50 ms", "p99 ms", "max ms", "leads/s", "load p50 ms", "load p99 ms"
    );
    for r in &reports {
        println!(
            "{:<10} {:>9.2} {:>9.2} {:>9.2} {:>12.0} {:>13.1} {:>13.1}",
            r.backend, r.p50_ms, r.p99_ms, r.max_ms, r.leads_per_sec, r.throughput_p50_ms, r.throughput_p99_ms
        );
    }
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    std::fs::create_dir_all(&out)?;
    let report = serde_json::json!({
        "benchmark": "leads",
        "latency_leads": latency_n,
        "throughput_leads": throughput_n,
        "producers": PRODUCERS,
        "results": reports,
    });
    std::fs::write(out.join("leads.json"), serde_json::to_string_pretty(&report)?)?;
    println!("  written to target/bench/leads.json");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
