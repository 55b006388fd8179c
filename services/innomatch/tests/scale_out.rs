//! The split on real engines, as separate processes: one catalog on
//! PostgreSQL, one leads process on PostgreSQL and Redis, and search/matcher
//! replicas that follow the catalog over gRPC. Records posted are searchable
//! on every replica; a replica killed without warning mid-stream leaves the
//! other serving, and catches up after a restart with no document missing
//! or twice; a new, empty replica converges; one replica at a time
//! auto-matches (the Redis lease), and the other takes over when it dies;
//! two leads processes share the delivery: a lead offered through one is
//! delivered and answered through the other, and the answer's notification
//! reaches the need's owner through the first; a support policy published at
//! the catalog is pushed to the firm it fits by the leads processes, and a
//! replica's match notice reaches a university through a leads process.
//! Needs PostgreSQL (127.0.0.1:5432, a schema of its own) and Redis
//! (127.0.0.1:6379, a key prefix of its own); must run when CI=true.

mod common;

use std::{
    collections::BTreeSet,
    path::Path,
    time::{Duration, Instant},
};

use common::{
    ADMIN_TOKEN, authorized,
    killable::{REDIS_URL, RedisKeys, Server, redis_reachable, start_with},
    organization,
};
use innomatch_core::postgres::TestSchema;
use innomatch_proto::v1::{
    self as pb, admin_service_client::AdminServiceClient, catalog_service_client::CatalogServiceClient,
    leads_service_client::LeadsServiceClient, notification_service_client::NotificationServiceClient,
    policy_service_client::PolicyServiceClient, search_service_client::SearchServiceClient,
};
use tonic::transport::Channel;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

/// Capabilities posted before the replicas start, and while one is killed.
const BEFORE: usize = 30;
const DURING: usize = 40;

fn capability(owner: &str, i: usize) -> pb::CreateCapabilityRequest {
    pb::CreateCapabilityRequest {
        capability: Some(pb::Capability {
            meta: Some(pb::RecordMeta { organization_id: owner.into(), ..Default::default() }),
            kind: pb::CapabilityKind::ResearchDirection as i32,
            title: format!("对虾养殖水质调控技术 {i}"),
            description: format!("南美白对虾高位池养殖的水质在线监测与调控，第 {i} 项"),
            ..Default::default()
        }),
    }
}

/// Every capability id a replica finds for 对虾, page by page, and the total it reports.
async fn indexed(replica: &Channel, token: &str) -> Result<(Vec<String>, u64), tonic::Status> {
    let mut search = SearchServiceClient::new(replica.clone());
    let (mut ids, mut page_token, mut total) = (Vec::new(), String::new(), 0);
    loop {
        let request = pb::SearchRequest {
            query: "对虾".into(),
            filters: Some(pb::SearchFilters {
                record_kinds: vec![pb::RecordKind::Capability as i32],
                ..Default::default()
            }),
            page_size: 50,
            page_token,
            ..Default::default()
        };
        let page = search.search(authorized(request, token)).await?.into_inner();
        total = total.max(page.total_hits);
        ids.extend(page.hits.into_iter().map(|h| h.id));
        if page.next_page_token.is_empty() {
            return Ok((ids, total));
        }
        page_token = page.next_page_token;
    }
}

async fn serving(channel: &Channel) -> bool {
    let request = HealthCheckRequest { service: "innomatch.v1.SearchService".into() };
    HealthClient::new(channel.clone())
        .check(request)
        .await
        .is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32)
}

/// Polls `done` every 100 ms for up to 60 s.
async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The replica has every one of `expected`, each once.
async fn converged(replica: &Channel, token: &str, expected: &BTreeSet<String>) -> bool {
    match indexed(replica, token).await {
        Ok((ids, total)) => {
            let unique: BTreeSet<String> = ids.iter().cloned().collect();
            assert_eq!(unique.len(), ids.len(), "a document listed twice: {ids:?}");
            total == expected.len() as u64 && &unique == expected
        }
        Err(_) => false,
    }
}

struct Cluster<'a> {
    dir: &'a Path,
    config: &'a Path,
    catalog_url: String,
    leads_url: String,
}

impl Cluster<'_> {
    fn replica(&self, name: &str) -> Server {
        start_with(
            &self.dir.join(name),
            Some(self.config),
            true,
            &["--service", "search,matcher", "--catalog-url", &self.catalog_url, "--leads-url", &self.leads_url],
        )
    }
}

/// The replica holding the auto-matching lease, by its holder id.
fn lease_holder(prefix: &str) -> Option<String> {
    let mut conn = redis::Client::open(REDIS_URL).ok()?.get_connection_with_timeout(Duration::from_secs(1)).ok()?;
    redis::cmd("GET").arg(format!("{prefix}:auto-match:lease")).query(&mut conn).ok()?
}

fn holder_of(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name).join("holder.id")).expect("holder id").trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_postgres_and_redis_converge_survive_a_kill_and_auto_match_once() {
    let Some(schema) = TestSchema::create().await else { return };
    if !redis_reachable() {
        return;
    }
    let prefix = format!("imtest-scale-{}", std::process::id());
    let _keys = RedisKeys(prefix.clone());
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("innomatch.toml");
    std::fs::write(
        &config,
        format!("[leads]\nredis_key_prefix = \"{prefix}\"\nredis_block_ms = 300\n\n[search]\nrefresh_ms = 100\n"),
    )
    .expect("write config");
    let database_url = format!("{}&options=-c%20search_path%3D{}", schema.url, schema.name);

    let catalog_server = start_with(
        &dir.path().join("catalog"),
        Some(&config),
        false,
        &["--service", "catalog", "--database-url", &database_url],
    );
    let leads_server = start_with(
        &dir.path().join("leads"),
        Some(&config),
        true,
        &["--service", "leads", "--database-url", &database_url],
    );
    let other_leads_server = start_with(
        &dir.path().join("leads-b"),
        Some(&config),
        true,
        &["--service", "leads", "--database-url", &database_url],
    );
    let cluster = Cluster {
        dir: dir.path(),
        config: &config,
        catalog_url: format!("http://{}", catalog_server.addr),
        leads_url: format!("http://{}", leads_server.addr),
    };
    let core = catalog_server.channel().await;
    let mut catalog = CatalogServiceClient::new(core.clone());
    let mut admin = AdminServiceClient::new(core);
    let lab = organization(&mut catalog, "广东海洋大学对虾养殖实验室", pb::OrganizationKind::Laboratory).await;
    let mut expected = BTreeSet::new();
    for i in 0..BEFORE {
        let created =
            catalog.create_capability(authorized(capability(&lab, i), ADMIN_TOKEN)).await.expect("capability");
        expected.insert(created.into_inner().meta.expect("meta").id);
    }
    let reader = organization(&mut catalog, "湛江海鲜预制菜有限公司", pb::OrganizationKind::Enterprise).await;
    let issue =
        pb::IssueTokenRequest { organization_id: reader.clone(), role: pb::Role::Member as i32, label: "scale".into() };
    let token = admin.issue_token(authorized(issue, ADMIN_TOKEN)).await.expect("token").into_inner().token;

    // Two replicas, started empty: each builds its index from the feed.
    let first = cluster.replica("replica-0");
    let second = cluster.replica("replica-1");
    let (first_channel, second_channel) = (first.channel().await, second.channel().await);
    for replica in [&first_channel, &second_channel] {
        eventually("a replica caught up", || serving(replica)).await;
        eventually("a replica has every capability", || converged(replica, &token, &expected)).await;
    }

    // Writes go on while one replica is killed without warning; the other keeps answering.
    let writer = {
        let mut catalog = catalog.clone();
        let lab = lab.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in BEFORE..BEFORE + DURING {
                let created = catalog.create_capability(authorized(capability(&lab, i), ADMIN_TOKEN)).await;
                ids.push(created.expect("capability").into_inner().meta.expect("meta").id);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            ids
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    second.kill();
    while !writer.is_finished() {
        indexed(&first_channel, &token).await.expect("the other replica keeps serving");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    expected.extend(writer.await.expect("writer"));
    eventually("the surviving replica has every capability", || converged(&first_channel, &token, &expected)).await;

    // Restarted on its index, the killed replica catches up: nothing missing, nothing twice.
    let second = cluster.replica("replica-1");
    let second_channel = second.channel().await;
    eventually("the restarted replica caught up", || serving(&second_channel)).await;
    eventually("the restarted replica has every capability once", || converged(&second_channel, &token, &expected))
        .await;

    // A new, empty replica converges to the same.
    let third = cluster.replica("replica-2");
    let third_channel = third.channel().await;
    eventually("a new replica caught up", || serving(&third_channel)).await;
    eventually("a new replica has every capability", || converged(&third_channel, &token, &expected)).await;

    // One replica at a time auto-matches; when it dies, another takes over
    // and a new need still gets its lead, once.
    let holders: Vec<String> =
        ["replica-0", "replica-1", "replica-2"].iter().map(|r| holder_of(dir.path(), r)).collect();
    eventually("one replica holds the auto-matching lease", || async {
        lease_holder(&prefix).is_some_and(|h| holders.contains(&h))
    })
    .await;
    let holder = lease_holder(&prefix).expect("holder");
    let mut replicas = vec![Some(first), Some(second), Some(third)];
    let index = holders.iter().position(|h| *h == holder).expect("a replica holds it");
    replicas[index].take().expect("running").kill();
    eventually("another replica took the lease over", || async {
        lease_holder(&prefix).is_some_and(|h| h != holder && holders.contains(&h))
    })
    .await;

    let agency = organization(&mut catalog, "湛江检测认证服务中心", pb::OrganizationKind::IntermediaryAgency).await;
    let issue =
        pb::IssueTokenRequest { organization_id: agency.clone(), role: pb::Role::Agency as i32, label: "scale".into() };
    let agency_token = admin.issue_token(authorized(issue, ADMIN_TOKEN)).await.expect("token").into_inner().token;
    let offer = Some(common::testing_offer());
    catalog
        .create_service_offer(authorized(pb::CreateServiceOfferRequest { offer }, &agency_token))
        .await
        .expect("offer");
    let need = common::need_for_testing_offer();
    let request = authorized(pb::CreateNeedRequest { need: Some(need) }, &token);
    let need_id = catalog.create_need(request).await.expect("need").into_inner().meta.expect("meta").id;
    let leads = LeadsServiceClient::new(leads_server.channel().await);
    eventually("the need's lead reached the leads process", || async {
        let listed = leads.clone().list_leads(authorized(pb::ListLeadsRequest::default(), &agency_token)).await;
        listed.is_ok_and(|r| r.into_inner().leads.iter().any(|l| l.need_id == need_id))
    })
    .await;
    let listed =
        leads.clone().list_leads(authorized(pb::ListLeadsRequest::default(), &agency_token)).await.expect("leads");
    let lead = listed.into_inner().leads.into_iter().filter(|l| l.need_id == need_id).collect::<Vec<_>>();
    assert_eq!(lead.len(), 1, "one lead per need × offer: {lead:?}");

    // Offered through one leads process, delivered and answered through the other.
    let other_leads = LeadsServiceClient::new(other_leads_server.channel().await);
    // Each process re-reads the tokens every 2 s: the agency's may be newer.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut deliveries = loop {
        match other_leads.clone().subscribe_leads(authorized(pb::SubscribeLeadsRequest {}, &agency_token)).await {
            Ok(stream) => break stream.into_inner(),
            Err(status) if status.code() == tonic::Code::Unauthenticated && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(status) => panic!("subscribe on the other leads process: {status:?}"),
        }
    };
    let delivered = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let delivery = deliveries.message().await.expect("delivery").expect("stream open");
            let lead = delivery.lead.expect("lead");
            if lead.need_id == need_id {
                return lead;
            }
        }
    })
    .await
    .expect("the lead is delivered through the other leads process");
    assert_eq!(delivered.id, lead[0].id);
    let mut notifications = NotificationServiceClient::new(leads_server.channel().await)
        .subscribe_notifications(authorized(pb::SubscribeNotificationsRequest {}, &token))
        .await
        .expect("the need owner subscribes on the first leads process")
        .into_inner();
    let answer = pb::RespondToLeadRequest { lead_id: delivered.id.clone(), accept: true, ..Default::default() };
    other_leads.clone().respond_to_lead(authorized(answer, &agency_token)).await.expect("accept");
    let notice = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let delivery = notifications.message().await.expect("notification").expect("stream open");
            let notification = delivery.notification.expect("notification");
            if notification.kind == pb::NotificationKind::LeadAnswered as i32 && notification.need_id == need_id {
                return notification;
            }
        }
    })
    .await
    .expect("the answer's notification reaches the owner through the first leads process");
    assert!(notice.body.contains("接受"), "{notice:?}");

    // A support policy published at the catalog is pushed by the leads
    // processes (they run over the same store) to the firm it fits, once.
    let policy = pb::SupportPolicy {
        title: "湛江市企业研发投入后补助".into(),
        issuing_department: "湛江市科学技术局".into(),
        full_text: "对在我市注册的企业按研发投入给予后补助。".into(),
        effective_from: Some(innomatch_core::convert::timestamp(innomatch_core::model::now_ms() - 86_400_000)),
        eligibility: Some(pb::PolicyEligibility {
            organization_kinds: vec![pb::OrganizationKind::Enterprise as i32],
            region_codes: vec!["440800".into()],
            ..Default::default()
        }),
        benefit: Some(pb::PolicyBenefit { kind: pb::BenefitKind::Subsidy as i32, ..Default::default() }),
        ..Default::default()
    };
    let policy_id = PolicyServiceClient::new(catalog_server.channel().await)
        .create_policy(authorized(pb::CreatePolicyRequest { policy: Some(policy) }, ADMIN_TOKEN))
        .await
        .expect("policy")
        .into_inner()
        .meta
        .expect("meta")
        .id;
    let pushed = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let delivery = notifications.message().await.expect("notification").expect("stream open");
            let notification = delivery.notification.expect("notification");
            if notification.kind == pb::NotificationKind::PolicyEligible as i32 && notification.need_id == policy_id {
                return notification;
            }
        }
    })
    .await
    .expect("the policy is pushed to the eligible firm in a split deployment");
    assert_eq!(pushed.organization_id, reader);

    // A match notice made by a replica's matcher reaches the university
    // through the leads process (NotificationService/Notify).
    let university = organization(&mut catalog, "广东海洋大学冶金与能源实验室", pb::OrganizationKind::University).await;
    let issue = pb::IssueTokenRequest {
        organization_id: university.clone(),
        role: pb::Role::Member as i32,
        label: "scale".into(),
    };
    let university_token = admin.issue_token(authorized(issue, ADMIN_TOKEN)).await.expect("token").into_inner().token;
    for (title, description) in [
        ("氢冶金直接还原中试", "氢基竖炉直接还原铁中试，氢冶金低碳炼钢工艺，降低吨钢碳排放"),
        ("低碳炼钢氢冶金工艺", "氢冶金低碳炼钢，氢基直接还原与电炉短流程，绿色钢铁转型"),
        ("氢基竖炉还原动力学", "氢基竖炉直接还原动力学研究，氢冶金中试装置与低碳炼钢"),
    ] {
        common::research_direction(&mut catalog, &university, title, description).await;
    }
    // Any replica still running (the lease holder was killed above).
    let live = replicas.iter().flatten().next().expect("a replica runs").channel().await;
    eventually("the replicas indexed the university's capabilities", || async {
        let request = pb::SearchRequest { query: "氢基竖炉".into(), page_size: 5, ..Default::default() };
        let mut search = SearchServiceClient::new(live.clone());
        search
            .search(authorized(request, &token))
            .await
            .is_ok_and(|r| r.into_inner().hits.iter().any(|h| h.title == "氢基竖炉还原动力学"))
    })
    .await;
    let steel = pb::TechNeed {
        title: "氢冶金低碳炼钢中试".into(),
        description: "面向绿色钢铁转型，寻求高校院所合作开展氢基竖炉直接还原中试，降低吨钢碳排放".into(),
        keywords: vec!["氢冶金".into(), "低碳炼钢".into()],
        industries: vec!["green_steel".into()],
        ..Default::default()
    };
    let request = authorized(pb::CreateNeedRequest { need: Some(steel) }, &token);
    let steel_id = catalog.create_need(request).await.expect("need").into_inner().meta.expect("meta").id;
    let university_notices = NotificationServiceClient::new(leads_server.channel().await);
    eventually("the university is told of the fitting need", || async {
        let request = pb::ListNotificationsRequest {
            kinds: vec![pb::NotificationKind::FittingNeed as i32],
            ..Default::default()
        };
        let listed = university_notices.clone().list_notifications(authorized(request, &university_token)).await;
        listed.is_ok_and(|r| r.into_inner().notifications.iter().any(|n| n.need_id == steel_id))
    })
    .await;
    let forged = pb::NotifyRequest {
        organization_id: university.clone(),
        kind: pb::NotificationKind::FittingNeed as i32,
        title: "伪造的通知".into(),
        ..Default::default()
    };
    let refused = university_notices
        .clone()
        .notify(authorized(forged, &university_token))
        .await
        .expect_err("only innomatch's own processes record notifications");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    drop(other_leads_server);
    drop(replicas);
    drop(leads_server);
    drop(catalog_server);
}
