//! Tenant isolation under load: one member floods the server while another
//! works, and the other's latency is measured idle and under the flood in the
//! same run. A test binary of its own, so no other test shares the machine
//! while it measures.

use std::time::Duration;

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

/// The p50 and p99 of a set of latencies.
fn p50_p99(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    (at(0.5), at(0.99))
}

/// One member floods the server — every watcher its token may open replaying
/// the whole feed from 0 (and as many more refused), plus a burst of
/// searches far beyond its rate — while another tenant posts needs and
/// searches. The other tenant's latency stays within an order of magnitude
/// of what it is on an idle server, measured in the same test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_members_flood_leaves_another_tenants_latency_within_an_order_of_magnitude() {
    const ROUNDS: usize = 30;
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
    let mut idle = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        idle.push(post_and_search(&mut catalog, &mut search, 100 + round).await);
    }

    // The flood: replaying watchers that read as fast as they can, and a burst of searches.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut flood = Vec::new();
    for _ in 0..WATCHERS {
        let mut client = app.catalog(Some(&flooder)).await;
        let stop = std::sync::Arc::clone(&stop);
        flood.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let request = pb::WatchChangesRequest { after_sequence: 0, kinds: vec![] };
                let Ok(response) = client.watch_changes(request).await else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let mut feed = response.into_inner();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if !matches!(feed.message().await, Ok(Some(_))) {
                        break;
                    }
                }
            }
        }));
    }
    for _ in 0..BURST {
        let mut client = app.search(Some(&flooder)).await;
        let stop = std::sync::Arc::clone(&stop);
        flood.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = client.search(query("预制菜 冷链")).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await; // let the flood build up
    let mut loaded = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        loaded.push(post_and_search(&mut catalog, &mut search, 200 + round).await);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in flood {
        task.abort();
    }

    let (idle_p50, idle_p99) = p50_p99(idle);
    let (loaded_p50, loaded_p99) = p50_p99(loaded);
    eprintln!("idle p50 {idle_p50:?} p99 {idle_p99:?}; under the flood p50 {loaded_p50:?} p99 {loaded_p99:?}");
    assert!(loaded_p50 <= idle_p50 * 10, "p50 {loaded_p50:?} under the flood vs {idle_p50:?} idle");
    assert!(loaded_p99 <= idle_p99 * 10, "p99 {loaded_p99:?} under the flood vs {idle_p99:?} idle");
}
