//! Match notices end to end: a new need that fits a university's
//! capabilities strongly tells the university (FITTING_NEED) and the need's
//! owner (NEW_PARTNER), once each; a private need tells nobody.

use innomatch_core::{auth::BearerToken, model::OrganizationKind};
use innomatch_proto::v1 as pb;
use innomatch_tests::*;

type NoticeClient = pb::notification_service_client::NotificationServiceClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, BearerToken>,
>;

async fn notices(app: &TestApp, token: &str) -> NoticeClient {
    pb::notification_service_client::NotificationServiceClient::with_interceptor(
        app.channel().await,
        BearerToken::new(Some(token)).expect("token"),
    )
}

async fn listed(client: &mut NoticeClient, kind: pb::NotificationKind) -> Vec<pb::Notification> {
    client
        .list_notifications(pb::ListNotificationsRequest { kinds: vec![kind as i32], ..Default::default() })
        .await
        .expect("list")
        .into_inner()
        .notifications
}

/// Waits until `client` has a notification of `kind` about `need_id`.
async fn wait_for(client: &mut NoticeClient, kind: pb::NotificationKind, need_id: &str) -> pb::Notification {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(found) = listed(client, kind).await.into_iter().find(|n| n.need_id == need_id) {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "no {kind:?} notification for {need_id} in time");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_strongly_fitting_need_notifies_the_university_and_the_owner_once() {
    let app = spawn_app().await;
    let (university, university_token) = app.tenant("广东海洋大学冶金与能源实验室", OrganizationKind::University).await;
    let (steel, steel_token) = app.tenant("湛江绿色钢铁有限公司", OrganizationKind::Enterprise).await;
    for (title, description) in [
        ("氢冶金直接还原中试", "氢基竖炉直接还原铁中试，氢冶金低碳炼钢工艺，降低吨钢碳排放"),
        ("低碳炼钢氢冶金工艺", "氢冶金低碳炼钢，氢基直接还原与电炉短流程，绿色钢铁转型"),
        ("氢基竖炉还原动力学", "氢基竖炉直接还原动力学研究，氢冶金中试装置与低碳炼钢"),
        ("绿色钢铁碳减排技术", "绿色钢铁转型中的氢冶金与低碳炼钢碳减排技术，吨钢碳排放核算"),
        ("氢冶金球团还原试验", "氢冶金用球团的氢基竖炉直接还原试验，低碳炼钢原料"),
    ] {
        app.add_capability(&university, title, description).await;
    }
    app.wait_for_index().await;

    let private = pb::TechNeed { visibility: pb::Visibility::Private as i32, ..steel_need() };
    let private_id = app.post_need(&steel_token, private).await;
    let need_id = app.post_need(&steel_token, steel_need()).await;

    let mut university_notices = notices(&app, &university_token).await;
    let fitting = wait_for(&mut university_notices, pb::NotificationKind::FittingNeed, &need_id).await;
    assert!(fitting.score >= 0.5, "only strong fits are notified: {}", fitting.score);
    assert_eq!(fitting.title, "氢冶金低碳炼钢中试");
    let mut steel_notices = notices(&app, &steel_token).await;
    let partner = wait_for(&mut steel_notices, pb::NotificationKind::NewPartner, &need_id).await;
    assert_eq!(partner.subject_id, university);
    assert_eq!(partner.organization_id, steel);

    // The feed is followed in order: the private need came first and told nobody.
    let all = listed(&mut university_notices, pb::NotificationKind::FittingNeed).await;
    assert!(all.iter().all(|n| n.need_id != private_id), "a private need stays with its owner: {all:?}");
    let partners = listed(&mut steel_notices, pb::NotificationKind::NewPartner).await;
    assert!(partners.iter().all(|n| n.need_id != private_id));
    assert_eq!(partners.iter().filter(|n| n.need_id == need_id && n.subject_id == university).count(), 1);
}
