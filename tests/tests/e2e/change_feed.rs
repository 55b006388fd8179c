//! The change feed: events in commit order, visibility applied, and resuming
//! from a sequence after a restart gives exactly the missed events.

use std::time::Duration;

use innomatch_core::model::OrganizationKind;
use innomatch_proto::v1 as pb;
use innomatch_tests::*;

type Feed = tonic::Streaming<pb::ChangeEvent>;

async fn watch(client: &mut CatalogClient, after: i64) -> Feed {
    client
        .watch_changes(pb::WatchChangesRequest { after_sequence: after, kinds: vec![] })
        .await
        .expect("watch")
        .into_inner()
}

async fn next(feed: &mut Feed) -> pb::ChangeEvent {
    tokio::time::timeout(Duration::from_secs(10), feed.message())
        .await
        .expect("an event within 10 s")
        .expect("stream ok")
        .expect("stream open")
}

#[tokio::test]
async fn events_arrive_in_commit_order_then_live() {
    let app = spawn_app().await;
    let (org, token) = app.tenant("湛江羽绒制品有限公司", OrganizationKind::Enterprise).await;
    let mut client = app.catalog(Some(&token)).await;
    let need =
        client.create_need(pb::CreateNeedRequest { need: Some(steel_need()) }).await.expect("create").into_inner();

    let mut admin = app.admin_catalog().await;
    let mut feed = watch(&mut admin, 0).await;
    let first = next(&mut feed).await;
    assert_eq!((first.sequence, first.record_id.as_str()), (1, org.as_str()));
    assert_eq!(first.operation, pb::ChangeOperation::Created as i32);
    let second = next(&mut feed).await;
    assert_eq!(second.sequence, 2);
    assert_eq!(second.kind, pb::RecordKind::Need as i32);

    // Live: an update committed after subscribing arrives next.
    let mut edited = need.clone();
    edited.title = "羽绒清洗废水处理".into();
    client.update_need(pb::UpdateNeedRequest { need: Some(edited), expected_version: 1 }).await.expect("update");
    let third = next(&mut feed).await;
    assert_eq!(third.sequence, 3);
    assert_eq!(third.operation, pb::ChangeOperation::Updated as i32);
    match third.record {
        Some(pb::change_event::Record::Need(n)) => assert_eq!(n.title, "羽绒清洗废水处理"),
        other => panic!("expected the need, got {other:?}"),
    }
}

#[tokio::test]
async fn other_tenants_do_not_see_private_needs_on_the_feed() {
    let app = spawn_app().await;
    let (_, owner_token) = app.tenant("湛江电子信息有限公司", OrganizationKind::Enterprise).await;
    let (_, other_token) = app.tenant("湛江家具有限公司", OrganizationKind::Enterprise).await;
    let mut owner = app.catalog(Some(&owner_token)).await;
    let mut private = steel_need();
    private.visibility = pb::Visibility::Private as i32;
    let private = owner.create_need(pb::CreateNeedRequest { need: Some(private) }).await.expect("create").into_inner();
    let public =
        owner.create_need(pb::CreateNeedRequest { need: Some(steel_need()) }).await.expect("create").into_inner();

    let mut other = app.catalog(Some(&other_token)).await;
    let mut feed = watch(&mut other, 2).await; // after the two organizations
    let event = next(&mut feed).await;
    assert_eq!(event.record_id, public.meta.expect("meta").id, "the private need is skipped");
    let mut owner_feed = watch(&mut owner, 2).await;
    assert_eq!(next(&mut owner_feed).await.record_id, private.meta.expect("meta").id);
}

#[tokio::test]
async fn resuming_after_a_restart_gives_exactly_the_missed_events() {
    let app = spawn_app().await;
    let (_, token) = app.tenant("湛江金鲳鱼养殖有限公司", OrganizationKind::Enterprise).await;
    let mut client = app.catalog(Some(&token)).await;
    for title in ["金鲳鱼深海网箱养殖", "金鲳鱼预制菜加工"] {
        let mut need = steel_need();
        need.title = title.into();
        client.create_need(pb::CreateNeedRequest { need: Some(need) }).await.expect("create");
    }
    let mut admin = app.admin_catalog().await;
    let mut feed = watch(&mut admin, 0).await;
    let mut last_seen = 0;
    for _ in 0..3 {
        last_seen = next(&mut feed).await.sequence;
    }
    assert_eq!(last_seen, 3);
    drop(feed);

    let app = app.restart().await;
    let mut client = app.catalog(Some(&token)).await;
    let mut missed = Vec::new();
    for title in ["火龙果采后保鲜", "菠萝叶纤维综合利用"] {
        let mut need = steel_need();
        need.title = title.into();
        let need = client.create_need(pb::CreateNeedRequest { need: Some(need) }).await.expect("create").into_inner();
        missed.push(need.meta.expect("meta").id);
    }
    let mut admin = app.admin_catalog().await;
    let mut feed = watch(&mut admin, last_seen).await;
    let a = next(&mut feed).await;
    let b = next(&mut feed).await;
    assert_eq!((a.sequence, b.sequence), (4, 5));
    assert_eq!(vec![a.record_id, b.record_id], missed);
    // Nothing else is pending: the next event is one we cause now.
    let marker = app.create_org("湛江菠萝合作社", OrganizationKind::Enterprise, "440825").await;
    let c = next(&mut feed).await;
    assert_eq!((c.sequence, c.record_id), (6, marker));
}
