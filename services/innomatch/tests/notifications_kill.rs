//! Crash test of notifications with the real binary: N leads offered to an
//! agency notify it N times (one more lead for a need it was notified of
//! notifies nothing: the same need × organization × kind notifies once);
//! stream k notifications without acknowledging, SIGKILL the server, start
//! it again on the same data directory and subscribe again: all N arrive
//! (the k streamed ones as redeliveries), and the agency lists each exactly
//! once. Run embedded and with Redis (127.0.0.1:6379, its own key prefix;
//! must run when CI=true). And an interest expressed just before the kill
//! reaches the need's owner after the restart.

mod common;

use std::{collections::HashMap, time::Duration};

use common::{
    ADMIN_TOKEN,
    killable::{RedisKeys, redis_reachable, start, with_token},
};

use innomatch_proto::v1::{
    self as pb, admin_service_client::AdminServiceClient, catalog_service_client::CatalogServiceClient,
    leads_service_client::LeadsServiceClient, notification_service_client::NotificationServiceClient,
};
use tonic::transport::Channel;

const WAIT: Duration = Duration::from_secs(15);
const N: usize = 8;
const K: usize = 3;

async fn next(stream: &mut tonic::Streaming<pb::NotificationDelivery>) -> pb::NotificationDelivery {
    tokio::time::timeout(WAIT, stream.message()).await.expect("a delivery in time").expect("ok").expect("open")
}

async fn offer(channel: &Channel, agency: &str, offer_id: &str, need: &str, title: &str) {
    LeadsServiceClient::new(channel.clone())
        .offer_lead(with_token(
            ADMIN_TOKEN,
            pb::OfferLeadRequest {
                agency_organization_id: agency.into(),
                offer_id: offer_id.into(),
                need_id: need.into(),
                need_title: title.into(),
                category: pb::ServiceCategory::TestingInspection as i32,
                score: 0.9,
                ..Default::default()
            },
        ))
        .await
        .expect("offer");
}

async fn listed(channel: &Channel, token: &str) -> Vec<pb::Notification> {
    NotificationServiceClient::new(channel.clone())
        .list_notifications(with_token(token, pb::ListNotificationsRequest { page_size: 100, ..Default::default() }))
        .await
        .expect("list")
        .into_inner()
        .notifications
}

async fn crash_and_redeliver(redis: bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = format!("imtest-notice-kill-{}", std::process::id());
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

    let org = CatalogServiceClient::new(channel.clone())
        .create_organization(with_token(
            ADMIN_TOKEN,
            pb::CreateOrganizationRequest {
                organization: Some(pb::Organization {
                    name: "湛江市科技成果转化服务中心".into(),
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
    let titles = ["预制菜冷链检测", "对虾养殖病害检测认证", "氢冶金专利布局"];
    for n in 0..N {
        offer(&channel, &org, "offer_testing", &format!("need_{n}"), titles[n % titles.len()]).await;
    }
    // A second lead for a need the agency was told of: no second notification.
    offer(&channel, &org, "offer_consulting", "need_0", titles[0]).await;
    // Notices are stored just after the lead: wait until all N are there.
    let deadline = tokio::time::Instant::now() + WAIT;
    while listed(&channel, &token).await.len() < N {
        assert!(tokio::time::Instant::now() < deadline, "N notifications stored in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut client = NotificationServiceClient::new(channel);
    let mut stream = client
        .subscribe_notifications(with_token(&token, pb::SubscribeNotificationsRequest {}))
        .await
        .expect("subscribe")
        .into_inner();
    let mut streamed = Vec::new();
    for _ in 0..K {
        streamed.push(next(&mut stream).await.notification.expect("notification").id);
    }
    server.kill();

    let server = start(&data, Some(&config), redis);
    let channel = server.channel().await;
    let mut client = NotificationServiceClient::new(channel.clone());
    let mut stream = client
        .subscribe_notifications(with_token(&token, pb::SubscribeNotificationsRequest {}))
        .await
        .expect("resubscribe")
        .into_inner();
    let mut arrived: HashMap<String, u32> = HashMap::new();
    for _ in 0..N {
        let delivery = next(&mut stream).await;
        let n = delivery.notification.expect("notification");
        assert_eq!(n.kind, pb::NotificationKind::NewLead as i32);
        assert!(arrived.insert(n.id.clone(), delivery.attempt).is_none(), "{} arrived twice", n.id);
    }
    for id in &streamed {
        assert!(arrived[id] >= 2, "{id} was streamed before the crash: a redelivery");
    }
    let all = listed(&channel, &token).await;
    let mut listed_ids: Vec<String> = all.iter().map(|n| n.id.clone()).collect();
    listed_ids.sort();
    let mut got: Vec<String> = arrived.keys().cloned().collect();
    got.sort();
    assert_eq!(listed_ids, got, "each notification listed exactly once, and all of them arrived");
    let needs: std::collections::BTreeSet<&str> = all.iter().map(|n| n.need_id.as_str()).collect();
    assert_eq!(needs.len(), N, "one notification per need");
    for id in &listed_ids {
        client.ack_notification(with_token(&token, pb::AckNotificationRequest { id: id.clone() })).await.expect("ack");
    }
    // Nothing else is pending: the next delivery is a new lead's notice.
    offer(&channel, &org, "offer_testing", "need_sentinel", "哨兵线索").await;
    let sentinel = next(&mut stream).await.notification.expect("notification");
    assert_eq!(sentinel.need_id, "need_sentinel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_survive_kill_9_embedded() {
    crash_and_redeliver(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_survive_kill_9_with_redis() {
    if !redis_reachable() {
        return;
    }
    crash_and_redeliver(true).await;
}

async fn tenant(channel: &Channel, name: &str, kind: pb::OrganizationKind) -> (String, String) {
    let id = CatalogServiceClient::new(channel.clone())
        .create_organization(with_token(
            ADMIN_TOKEN,
            pb::CreateOrganizationRequest {
                organization: Some(pb::Organization {
                    name: name.into(),
                    kind: kind as i32,
                    region_code: "440803".into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .expect("create organization")
        .into_inner()
        .meta
        .expect("meta")
        .id;
    let token = AdminServiceClient::new(channel.clone())
        .issue_token(with_token(
            ADMIN_TOKEN,
            pb::IssueTokenRequest { organization_id: id.clone(), role: pb::Role::Member as i32, label: "kill".into() },
        ))
        .await
        .expect("issue token")
        .into_inner()
        .token;
    (id, token)
}

/// An interest expressed just before SIGKILL still reaches the need's owner
/// after the restart: the notices follow the interests' audit trail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interest_notices_survive_kill_9() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let server = start(&data, None, false);
    let channel = server.channel().await;
    let (_, owner_token) = tenant(&channel, "湛江预制菜集团有限公司", pb::OrganizationKind::Enterprise).await;
    let (lab, lab_token) = tenant(&channel, "湛江水产品精深加工研究所", pb::OrganizationKind::ResearchInstitute).await;
    let need_id = CatalogServiceClient::new(channel.clone())
        .create_need(with_token(
            &owner_token,
            pb::CreateNeedRequest {
                need: Some(pb::TechNeed {
                    title: "预制菜冷链保鲜工艺".into(),
                    visibility: pb::Visibility::Anonymous as i32,
                    ..Default::default()
                }),
            },
        ))
        .await
        .expect("need")
        .into_inner()
        .meta
        .expect("meta")
        .id;
    innomatch_proto::v1::interest_service_client::InterestServiceClient::new(channel)
        .express_interest(with_token(
            &lab_token,
            pb::ExpressInterestRequest {
                need_id: need_id.clone(),
                message: "我所有冷链保鲜技术".into(),
                lead_id: String::new(),
            },
        ))
        .await
        .expect("interest");
    server.kill();

    let server = start(&data, None, false);
    let mut client = NotificationServiceClient::new(server.channel().await);
    let mut stream = client
        .subscribe_notifications(with_token(&owner_token, pb::SubscribeNotificationsRequest {}))
        .await
        .expect("subscribe")
        .into_inner();
    let notice = next(&mut stream).await.notification.expect("notification");
    assert_eq!(notice.kind, pb::NotificationKind::InterestReceived as i32);
    assert_eq!((notice.need_id.as_str(), notice.subject_id.as_str()), (need_id.as_str(), lab.as_str()));
}
