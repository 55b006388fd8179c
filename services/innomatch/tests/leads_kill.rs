//! Crash test of lead delivery with the real binary: offer N leads, stream k
//! of them without acknowledging, SIGKILL the server, start it again on the
//! same data directory and subscribe again: all N arrive (the k streamed ones
//! as redeliveries), acknowledging them empties the pending list, and the
//! agency lists every lead exactly once. Run embedded and with Redis
//! (127.0.0.1:6379, its own key prefix; must run when CI=true).

mod common;

use std::{collections::HashMap, time::Duration};

use common::{
    ADMIN_TOKEN,
    killable::{REDIS_URL, RedisKeys, Server, redis_reachable, start, with_token},
};

use innomatch_proto::v1::{
    self as pb, admin_service_client::AdminServiceClient, catalog_service_client::CatalogServiceClient,
    leads_service_client::LeadsServiceClient,
};

const WAIT: Duration = Duration::from_secs(15);
const N: usize = 8;
const K: usize = 3;

async fn next(stream: &mut tonic::Streaming<pb::LeadDelivery>) -> pb::LeadDelivery {
    tokio::time::timeout(WAIT, stream.message()).await.expect("a delivery in time").expect("ok").expect("open")
}

async fn crash_and_redeliver(redis: bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = format!("imtest-kill-{}", std::process::id());
    let _keys = redis.then(|| RedisKeys(prefix.clone()));
    let config = dir.path().join("innomatch.toml");
    std::fs::write(
        &config,
        format!("[leads]\nredis_key_prefix = \"{prefix}\"\nredis_block_ms = 300\nredis_health_interval_ms = 100\n"),
    )
    .expect("write config");
    let data = dir.path().join("data");
    let server = start(&data, Some(&config), redis);
    let channel = server.channel().await;

    // An agency with a token, then N leads handed over as the matcher would.
    let org = CatalogServiceClient::new(channel.clone())
        .create_organization(with_token(
            ADMIN_TOKEN,
            pb::CreateOrganizationRequest {
                organization: Some(pb::Organization {
                    name: "湛江市技术转移中心".into(),
                    kind: pb::OrganizationKind::IntermediaryAgency as i32,
                    region_code: "440802".into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .expect("create agency")
        .into_inner()
        .meta
        .expect("meta")
        .id;
    let token = AdminServiceClient::new(channel.clone())
        .issue_token(with_token(
            ADMIN_TOKEN,
            pb::IssueTokenRequest { organization_id: org.clone(), role: pb::Role::Agency as i32, label: "kill".into() },
        ))
        .await
        .expect("issue token")
        .into_inner()
        .token;
    let mut admin = LeadsServiceClient::new(channel.clone());
    let titles = ["预制菜冷链检测", "对虾养殖病害检测认证", "氢冶金专利布局"];
    let mut ids = Vec::new();
    for n in 0..N {
        let reply = admin
            .offer_lead(with_token(
                ADMIN_TOKEN,
                pb::OfferLeadRequest {
                    agency_organization_id: org.clone(),
                    offer_id: "offer_testing".into(),
                    need_id: format!("need_{n}"),
                    need_title: titles[n % titles.len()].into(),
                    category: pb::ServiceCategory::TestingInspection as i32,
                    score: 0.9,
                    ..Default::default()
                },
            ))
            .await
            .expect("offer")
            .into_inner();
        ids.push(reply.lead.expect("lead").id);
    }

    let mut agency = LeadsServiceClient::new(channel);
    let mut stream =
        agency.subscribe_leads(with_token(&token, pb::SubscribeLeadsRequest {})).await.expect("subscribe").into_inner();
    let mut streamed = Vec::new();
    for _ in 0..K {
        streamed.push(next(&mut stream).await.lead.expect("lead").id);
    }
    server.kill();

    let server = start(&data, Some(&config), redis);
    let mut agency = LeadsServiceClient::new(server.channel().await);
    let mut stream = agency
        .subscribe_leads(with_token(&token, pb::SubscribeLeadsRequest {}))
        .await
        .expect("resubscribe")
        .into_inner();
    let mut arrived: HashMap<String, u32> = HashMap::new();
    for _ in 0..N {
        let delivery = next(&mut stream).await;
        let id = delivery.lead.expect("lead").id;
        assert!(arrived.insert(id.clone(), delivery.attempt).is_none(), "{id} arrived twice");
    }
    let mut expected = ids.clone();
    expected.sort();
    let mut got: Vec<String> = arrived.keys().cloned().collect();
    got.sort();
    assert_eq!(got, expected, "all N leads arrive after the crash");
    for id in &streamed {
        assert!(arrived[id] >= 2, "{id} was streamed before the crash: a redelivery");
    }
    for id in &ids {
        agency.ack_lead(with_token(&token, pb::AckLeadRequest { lead_id: id.clone() })).await.expect("ack");
    }

    let listed = agency
        .list_leads(with_token(&token, pb::ListLeadsRequest { page_size: 100, ..Default::default() }))
        .await
        .expect("list")
        .into_inner();
    let mut listed_ids: Vec<String> = listed.leads.iter().map(|l| l.id.clone()).collect();
    listed_ids.sort();
    assert_eq!(listed_ids, expected, "each lead listed exactly once");
    assert!(listed.leads.iter().all(|l| l.acked_at.is_some() && l.status == pb::LeadStatus::Delivered as i32));

    if redis {
        let client = redis::Client::open(REDIS_URL).expect("client");
        let mut conn = client.get_multiplexed_async_connection().await.expect("connect");
        let key = format!("{prefix}:leads:{org}");
        let pending: redis::Value =
            redis::cmd("XPENDING").arg(&key).arg("innomatch-leads").query_async(&mut conn).await.expect("xpending");
        let count = match pending {
            redis::Value::Array(summary) => match summary.first() {
                Some(redis::Value::Int(n)) => *n,
                other => panic!("unexpected XPENDING summary {other:?}"),
            },
            other => panic!("unexpected XPENDING reply {other:?}"),
        };
        assert_eq!(count, 0, "XPENDING is empty once every lead is acknowledged");
    }
    // Nothing else is pending: the next delivery is a new lead.
    let sentinel = admin_offer_sentinel(&server, &org).await;
    assert_eq!(next(&mut stream).await.lead.map(|l| l.id), Some(sentinel));
}

async fn admin_offer_sentinel(server: &Server, org: &str) -> String {
    LeadsServiceClient::new(server.channel().await)
        .offer_lead(with_token(
            ADMIN_TOKEN,
            pb::OfferLeadRequest {
                agency_organization_id: org.into(),
                offer_id: "offer_testing".into(),
                need_id: "need_sentinel".into(),
                need_title: "哨兵线索".into(),
                category: pb::ServiceCategory::TestingInspection as i32,
                ..Default::default()
            },
        ))
        .await
        .expect("offer")
        .into_inner()
        .lead
        .expect("lead")
        .id
}

#[tokio::test]
async fn embedded_leads_survive_sigkill() {
    crash_and_redeliver(false).await;
}

#[tokio::test]
async fn redis_leads_survive_sigkill() {
    if redis_reachable() {
        crash_and_redeliver(true).await;
    }
}
