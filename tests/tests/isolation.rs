//! Tenant isolation under load: one member floods the server while another
//! works, and the other's latency is measured idle and under the flood in the
//! same run. A test binary of its own, so no other test shares the machine
//! while it measures.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use innomatch_core::model::OrganizationKind;
use innomatch_proto::v1 as pb;
use innomatch_tests::*;

/// One round of a tenant's ordinary work: post a need, then search for it.
async fn post_and_search(catalog: &mut CatalogClient, search: &mut SearchClient, round: usize) -> Duration {
    let started = tokio::time::Instant::now();
    let mut need = steel_need();
    need.title = format!("氢冶金低碳炼钢中试（第{round}批）");
    catalog.create_need(pb::CreateNeedRequest { need: Some(need) }).await.expect("create need");
    search.search(query("氢冶金 低碳炼钢")).await.expect("search");
    started.elapsed()
}

/// The p50 and p99 of a set of latencies (nearest rank: with 100 samples the
/// p99 is the second slowest, so one descheduled round does not decide it).
fn p50_p99(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    (at(0.5), at(0.99))
}

/// One member's flood, run by clients on a thread and runtime of their own:
/// watchers replaying the whole feed from 0 and reading as fast as they
/// can, and searches sent back to back whatever the answer.
struct Flood {
    calls: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Flood {
    fn start(addr: SocketAddr, token: String, watchers: usize, searchers: usize) -> Flood {
        let calls = Arc::new(AtomicUsize::new(0));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let counted = Arc::clone(&calls);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("flood runtime");
            runtime.block_on(async move {
                for _ in 0..watchers {
                    let mut client = catalog_client(addr, Some(&token)).await;
                    let calls = Arc::clone(&counted);
                    tokio::spawn(async move {
                        loop {
                            let request = pb::WatchChangesRequest { after_sequence: 0, kinds: vec![] };
                            calls.fetch_add(1, Ordering::Relaxed);
                            let Ok(response) = client.watch_changes(request).await else {
                                // Refused (over the stream cap): try again soon.
                                tokio::time::sleep(Duration::from_millis(20)).await;
                                continue;
                            };
                            let mut feed = response.into_inner();
                            while let Ok(Some(_)) = feed.message().await {}
                        }
                    });
                }
                for _ in 0..searchers {
                    let mut client = search_client(addr, Some(&token)).await;
                    let calls = Arc::clone(&counted);
                    tokio::spawn(async move {
                        loop {
                            let _ = client.search(query("预制菜 冷链")).await;
                            calls.fetch_add(1, Ordering::Relaxed);
                        }
                    });
                }
                let _ = stopped.await;
            });
            // Dropping the runtime cancels every flood task and closes its connections.
        });
        Flood { calls, stop: Some(stop), thread: Some(thread) }
    }

    /// Waits until the flood has made at least `calls` calls.
    async fn wait_until_flowing(&self, calls: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while self.calls.load(Ordering::Relaxed) < calls {
            assert!(tokio::time::Instant::now() < deadline, "the flood never got going");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops the flood and returns how many calls it made.
    fn stop(mut self) -> usize {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().expect("flood thread");
        }
        self.calls.load(Ordering::Relaxed)
    }
}

/// One member floods the server — every watcher its token may open replaying
/// the whole feed from 0 (and as many more refused), plus a burst of
/// searches far beyond its rate — while another tenant posts needs and
/// searches. The other tenant's latency stays within an order of magnitude
/// of what it is on an idle server, measured in the same test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_members_flood_leaves_another_tenants_latency_within_an_order_of_magnitude() {
    const ROUNDS: usize = 100;
    const WATCHERS: usize = 32;
    const BURST: usize = 32;
    let app = spawn_app().await;
    let (flooder_org, flooder) = app.tenant("湛江预制菜产业园有限公司", OrganizationKind::Enterprise).await;
    let (_, tenant) = app.tenant("湛江绿色钢铁有限公司", OrganizationKind::Enterprise).await;
    // A feed worth replaying: a few thousand changes.
    let rows: Vec<pb::ImportRecord> = (0..3_000)
        .map(|i| pb::ImportRecord {
            record: Some(pb::import_record::Record::Capability(pb::Capability {
                meta: Some(pb::RecordMeta { organization_id: flooder_org.clone(), ..Default::default() }),
                kind: pb::CapabilityKind::Achievement as i32,
                title: format!("预制菜冷链保鲜工艺{i}"),
                description: "预制菜速冻、冷链物流与货架期预测，对虾与金鲳鱼加工".into(),
                ..Default::default()
            })),
            ..Default::default()
        })
        .collect();
    let summary = app.search(Some(&app.admin_token.clone())).await.import(tokio_stream::iter(rows)).await;
    assert_eq!(summary.expect("import").into_inner().imported, 3_000);
    app.wait_for_index().await;

    let mut catalog = app.catalog(Some(&tenant)).await;
    let mut search = app.search(Some(&tenant)).await;
    for round in 0..5 {
        post_and_search(&mut catalog, &mut search, round).await; // warm up
    }
    // Rounds are paced to the tenant's fair rate (two calls per round), as a
    // person at a console would be, so the tenant is never the one refused.
    let mut pace = tokio::time::interval(Duration::from_millis(25));
    pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut idle = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        pace.tick().await;
        idle.push(post_and_search(&mut catalog, &mut search, 100 + round).await);
    }

    // The flood runs on a runtime and thread of its own, as a client process
    // would: the server's scheduler runs only the server's work, and the
    // flood's clients share the machine's cores with it through the OS.
    let flood = Flood::start(app.addr, flooder.clone(), WATCHERS, BURST);
    flood.wait_until_flowing(WATCHERS + BURST).await;
    let mut loaded = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        pace.tick().await;
        loaded.push(post_and_search(&mut catalog, &mut search, 200 + round).await);
    }
    let calls = flood.stop();
    assert!(calls > ROUNDS, "the flood kept going while the tenant worked ({calls} calls)");

    let (idle_p50, idle_p99) = p50_p99(idle);
    let (loaded_p50, loaded_p99) = p50_p99(loaded);
    eprintln!("idle p50 {idle_p50:?} p99 {idle_p99:?}; under the flood p50 {loaded_p50:?} p99 {loaded_p99:?}");
    assert!(loaded_p50 <= idle_p50 * 10, "p50 {loaded_p50:?} under the flood vs {idle_p50:?} idle");
    assert!(loaded_p99 <= idle_p99 * 10, "p99 {loaded_p99:?} under the flood vs {idle_p99:?} idle");
}
