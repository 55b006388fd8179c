//! Search and matcher replicas that follow a catalog in another process over
//! gRPC (`--catalog-url`), with no record store of their own: they build
//! their index from the change feed, report NOT_SERVING until caught up,
//! authenticate callers with the catalog's tokens, read records through
//! the catalog's API on the caller's behalf, and refuse imports.

mod common;

use std::time::{Duration, Instant};

use common::{ADMIN_TOKEN, authorized, channel, organization, research_direction, start_server_with, stop};
use innomatch_proto::v1::{
    self as pb, admin_service_client::AdminServiceClient, catalog_service_client::CatalogServiceClient,
    matcher_service_client::MatcherServiceClient, search_service_client::SearchServiceClient,
};
use tonic::{Code, transport::Channel};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

async fn token(admin: &mut AdminServiceClient<Channel>, org: &str) -> (String, String) {
    let request =
        pb::IssueTokenRequest { organization_id: org.into(), role: pb::Role::Member as i32, label: "replica".into() };
    let issued = admin.issue_token(authorized(request, ADMIN_TOKEN)).await.expect("token").into_inner();
    (issued.token_id, issued.token)
}

async fn search(replica: &Channel, token: &str, query: &str) -> Result<pb::SearchResponse, tonic::Status> {
    let request = pb::SearchRequest {
        query: query.into(),
        filters: Some(pb::SearchFilters {
            record_kinds: vec![pb::RecordKind::Capability as i32],
            ..Default::default()
        }),
        page_size: 50,
        ..Default::default()
    };
    SearchServiceClient::new(replica.clone()).search(authorized(request, token)).await.map(|r| r.into_inner())
}

async fn health(replica: &Channel, service: &str) -> i32 {
    let request = HealthCheckRequest { service: service.into() };
    HealthClient::new(replica.clone()).check(request).await.expect("health").into_inner().status
}

/// Polls `done` every 50 ms for up to 30 s.
async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_replica_follows_the_catalog_over_grpc_and_judges_callers_as_the_catalog_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (catalog_server, catalog_addr) = start_server_with(&dir.path().join("catalog"), &["--service", "catalog"]);
    let core = channel(&catalog_addr).await;
    let mut catalog = CatalogServiceClient::new(core.clone());
    let mut admin = AdminServiceClient::new(core);
    let lab = organization(&mut catalog, "湛江海洋大学对虾养殖实验室", pb::OrganizationKind::Laboratory).await;
    let steel = organization(&mut catalog, "湛江澄澜特钢材料有限公司", pb::OrganizationKind::Enterprise).await;
    let other = organization(&mut catalog, "湛江海鲜预制菜有限公司", pb::OrganizationKind::Enterprise).await;
    for (title, description) in [
        ("对虾养殖病害防控", "南美白对虾工厂化养殖中的白斑综合征与弧菌病快速检测和生态防控"),
        ("氢冶金与绿色钢铁", "富氢竖炉直接还原铁工艺，降低炼钢二氧化碳排放"),
    ] {
        research_direction(&mut catalog, &lab, title, description).await;
    }
    let (_, steel_token) = token(&mut admin, &steel).await;
    let (other_id, other_token) = token(&mut admin, &other).await;
    let need = pb::TechNeed {
        title: "氢基直接还原铁中试合作".into(),
        description: "寻找富氢竖炉直接还原铁与低碳炼钢的合作实验室".into(),
        visibility: pb::Visibility::Private as i32,
        ..Default::default()
    };
    let need = catalog
        .create_need(authorized(pb::CreateNeedRequest { need: Some(need) }, &steel_token))
        .await
        .expect("need")
        .into_inner()
        .meta
        .expect("meta")
        .id;

    // A replica started empty, with a data directory (its index) of its own.
    let catalog_url = format!("http://{catalog_addr}");
    let (replica_server, replica_addr) = start_server_with(
        &dir.path().join("replica"),
        &["--service", "search", "--service", "matcher", "--catalog-url", &catalog_url],
    );
    let replica = channel(&replica_addr).await;
    eventually("the replica caught up and serves", || async {
        health(&replica, "innomatch.v1.SearchService").await == ServingStatus::Serving as i32
    })
    .await;
    assert_eq!(health(&replica, "innomatch.v1.MatcherService").await, ServingStatus::Serving as i32);
    assert_eq!(health(&replica, "").await, ServingStatus::Serving as i32);

    // Tokens issued by the catalog work on the replica; its index has what the catalog had.
    let found = search(&replica, &other_token, "对虾 病害").await.expect("search on the replica");
    assert_eq!(found.hits.first().map(|h| h.title.as_str()), Some("对虾养殖病害防控"), "{found:?}");
    assert!(found.index_sequence > 0);

    // A write after the start reaches the replica through the feed.
    research_direction(&mut catalog, &lab, "预制菜冷链锁鲜", "预制菜速冻锁鲜与冷链物流温度在线监测").await;
    eventually("the new capability is searchable on the replica", || async {
        search(&replica, &other_token, "预制菜 冷链")
            .await
            .is_ok_and(|r| r.hits.iter().any(|h| h.title == "预制菜冷链锁鲜"))
    })
    .await;

    // The matcher reads the need through the catalog as the caller: its
    // owner gets partners, another organization does not learn it exists.
    let mut matcher = MatcherServiceClient::new(replica.clone());
    let matched = matcher
        .match_need(authorized(pb::MatchNeedRequest { need_id: need.clone(), limit: 5 }, &steel_token))
        .await
        .expect("the owner matches its private need on the replica")
        .into_inner();
    assert_eq!(matched.capabilities.first().map(|c| c.title.as_str()), Some("氢冶金与绿色钢铁"), "{matched:?}");
    let hidden = matcher
        .match_need(authorized(pb::MatchNeedRequest { need_id: need.clone(), limit: 5 }, &other_token))
        .await
        .expect_err("someone else's private need");
    assert_eq!(hidden.code(), Code::NotFound, "{hidden:?}");

    // Imports go where the records are.
    let rows = futures::stream::iter(Vec::<pb::ImportRecord>::new());
    let refused = SearchServiceClient::new(replica.clone())
        .import(authorized(rows, ADMIN_TOKEN))
        .await
        .expect_err("a replica keeps no records");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(refused.message().contains(&catalog_url), "{}", refused.message());

    // A token revoked at the catalog stops working on the replica within seconds.
    admin.revoke_token(authorized(pb::RevokeTokenRequest { token_id: other_id }, ADMIN_TOKEN)).await.expect("revoke");
    eventually("the revoked token is refused by the replica", || async {
        search(&replica, &other_token, "对虾").await.is_err_and(|s| s.code() == Code::Unauthenticated)
    })
    .await;

    stop(replica_server);
    stop(catalog_server);
}

#[test]
fn a_replica_runs_search_and_the_matcher_only() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_innomatch"))
        .args(["serve", "--listen", "127.0.0.1:0", "--service", "leads", "--catalog-url", "http://127.0.0.1:9"])
        .env("INNOMATCH_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("INNOMATCH_DATA_DIR", tempfile::tempdir().expect("temp dir").path())
        .output()
        .expect("run innomatch");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the leads service runs where the catalog's store is"), "{stderr}");
}
