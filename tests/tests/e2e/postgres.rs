//! Two servers sharing one PostgreSQL catalog (`--database-url`), as two
//! replicas would: a write through one is read, searched and authorized
//! through the other. Each test gets a schema of its own, named in the URL's
//! `options`; with `CI=true` PostgreSQL must answer, elsewhere the tests
//! print that they are skipped.

use std::time::Duration;

use innomatch_core::{
    config::{Secret, Settings},
    model::OrganizationKind,
    postgres::TestSchema,
};
use innomatch_proto::v1 as pb;
use innomatch_tests::*;

/// The test database URL confined to `schema` through `search_path`.
fn url_for(schema: &TestSchema) -> String {
    let separator = if schema.url.contains('?') { '&' } else { '?' };
    format!("{}{separator}options=-c%20search_path%3D{}", schema.url, schema.name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_one_catalog() {
    let Some(schema) = TestSchema::create().await else { return };
    let url = url_for(&schema);
    let first = spawn_app_with(|s| s.database_url = Some(Secret::new(url.clone()))).await;
    let second = spawn_app_with(|s| s.database_url = Some(Secret::new(url.clone()))).await;

    let (_, token) = first.tenant("湛江预制菜产业园有限公司", OrganizationKind::Enterprise).await;
    let need = pb::TechNeed { title: "预制菜冷链保鲜技术攻关".into(), ..steel_need() };
    let created = first
        .catalog(Some(&token))
        .await
        .create_need(pb::CreateNeedRequest { need: Some(need) })
        .await
        .expect("create through the first server")
        .into_inner();
    let id = created.meta.expect("meta").id;

    // The record is in the shared store at once.
    let read = second
        .admin_catalog()
        .await
        .get_need(pb::GetNeedRequest { id: id.clone() })
        .await
        .expect("read through the second server")
        .into_inner();
    assert_eq!(read.title, "预制菜冷链保鲜技术攻关");

    // The second server's index follows the shared change feed.
    let mut search = second.search(Some(&second.admin_token.clone())).await;
    let found = search_until(&mut search, query("预制菜冷链"), |r| r.hits.iter().any(|h| h.id == id)).await;
    assert!(found.hits.iter().any(|h| h.id == id), "the second server indexed the need: {found:?}");

    // A token issued through the first server is honoured by the second
    // once it re-reads the tokens (every couple of seconds).
    let mut catalog = second.catalog(Some(&token)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match catalog.get_need(pb::GetNeedRequest { id: id.clone() }).await {
            Ok(need) => {
                assert_eq!(need.into_inner().title, "预制菜冷链保鲜技术攻关");
                break;
            }
            Err(status) if status.code() == tonic::Code::Unauthenticated => {
                assert!(tokio::time::Instant::now() < deadline, "the token never reached the second server");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(status) => panic!("unexpected {status:?}"),
        }
    }
    first.shutdown().await;
    second.shutdown().await;
}

/// Both replicas follow the shared feed and push policies; the eligible
/// firm still hears of a policy once (shared notification ids, leads and
/// `policy_pushes` ledger).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_push_a_policy_once_through_the_shared_store() {
    let Some(schema) = TestSchema::create().await else { return };
    let url = url_for(&schema);
    let first = spawn_app_with(|s| s.database_url = Some(Secret::new(url.clone()))).await;
    let second = spawn_app_with(|s| s.database_url = Some(Secret::new(url.clone()))).await;
    let now = innomatch_core::model::now_ms();
    let day = 86_400_000;
    let firm = first
        .admin_catalog()
        .await
        .create_organization(pb::CreateOrganizationRequest {
            organization: Some(pb::Organization {
                name: "湛江对虾种苗科技有限公司".into(),
                kind: pb::OrganizationKind::Enterprise as i32,
                region_code: "440811".into(),
                qualification_certificates: vec![pb::QualificationCertificate {
                    qualification: pb::Qualification::TechSme as i32,
                    certificate_number: "2026440800A0001".into(),
                    valid_from: Some(innomatch_core::convert::timestamp(now - day)),
                    valid_until: Some(innomatch_core::convert::timestamp(now + 300 * day)),
                    recommended_by_bureau: false,
                }],
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect("firm")
        .into_inner();
    let firm_id = firm.meta.expect("meta").id;
    let token = first.token_for(&firm_id, innomatch_core::model::Role::Member).await;
    let policy = pb::SupportPolicy {
        title: "科技型中小企业贷款贴息".into(),
        issuing_department: "湛江市科学技术局".into(),
        eligibility: Some(pb::PolicyEligibility {
            qualifications: vec![pb::Qualification::TechSme as i32],
            region_codes: vec!["440800".into()],
            ..Default::default()
        }),
        benefit: Some(pb::PolicyBenefit { kind: pb::BenefitKind::Subsidy as i32, ..Default::default() }),
        ..Default::default()
    };
    let policy = second
        .policies(Some(&second.admin_token.clone()))
        .await
        .create_policy(pb::CreatePolicyRequest { policy: Some(policy) })
        .await
        .expect("published through the second server")
        .into_inner();
    let policy_id = policy.meta.expect("meta").id;
    let mut feed = first
        .admin_catalog()
        .await
        .watch_changes(pb::WatchChangesRequest { after_sequence: 0, kinds: vec![pb::RecordKind::Policy as i32] })
        .await
        .expect("watch")
        .into_inner();
    let sequence = tokio::time::timeout(Duration::from_secs(10), feed.message())
        .await
        .expect("in time")
        .expect("event")
        .expect("the policy's change")
        .sequence;
    // Both replicas handled the policy's change.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    for app in [&first, &second] {
        let checkpoint = app.data_dir.join("policy-push.checkpoint");
        while std::fs::read_to_string(&checkpoint).ok().and_then(|s| s.trim().parse::<i64>().ok()).unwrap_or(0)
            < sequence
        {
            assert!(tokio::time::Instant::now() < deadline, "a replica never pushed the policy");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let pushes = first
        .policies(Some(&token))
        .await
        .list_policy_pushes(pb::ListPolicyPushesRequest::default())
        .await
        .expect("pushes")
        .into_inner()
        .pushes;
    assert_eq!(pushes.iter().map(|p| p.policy_id.as_str()).collect::<Vec<_>>(), [policy_id.as_str()]);
    let mut notices = pb::notification_service_client::NotificationServiceClient::with_interceptor(
        first.channel().await,
        innomatch_core::auth::BearerToken::new(Some(&token)).expect("token"),
    );
    let listed = notices
        .list_notifications(pb::ListNotificationsRequest {
            kinds: vec![pb::NotificationKind::PolicyEligible as i32],
            ..Default::default()
        })
        .await
        .expect("notifications")
        .into_inner()
        .notifications;
    assert_eq!(listed.len(), 1, "once, though two replicas pushed: {listed:?}");
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_database_fails_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = Settings {
        listen: "127.0.0.1:0".parse().expect("address"),
        data_dir: dir.path().to_path_buf(),
        // Port 1 on loopback: refused at once, nothing listens there.
        database_url: Some(Secret::new("postgres://innomatch:s3cr3t-pw@127.0.0.1:1/innomatch")),
        ..Settings::default()
    };
    let error = innomatch::server::start(&settings).await.expect_err("no database, no server");
    let message = format!("{error:#}");
    assert!(message.contains("opening the record store in PostgreSQL"), "{message}");
    assert!(!message.contains("s3cr3t-pw"), "the password is never printed: {message}");
}
