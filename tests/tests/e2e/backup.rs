//! Backup and restore: a backup taken while needs are being posted restores
//! into a fresh data directory with every record and lead as it was, and
//! the restored server rebuilds its search index from the restored feed.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use innomatch_core::model::OrganizationKind;
use innomatch_proto::v1 as pb;
use innomatch_tests::*;

async fn all_needs(client: &mut CatalogClient) -> Vec<pb::TechNeed> {
    let mut needs = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_needs(pb::ListNeedsRequest { page_size: 500, page_token, ..Default::default() })
            .await
            .expect("list needs")
            .into_inner();
        needs.extend(page.needs);
        if page.next_page_token.is_empty() {
            return needs;
        }
        page_token = page.next_page_token;
    }
}

async fn agency_leads(app: &TestApp, token: &str) -> Vec<pb::Lead> {
    let mut client = app.leads_client(Some(token)).await;
    client
        .list_leads(pb::ListLeadsRequest { page_size: 500, ..Default::default() })
        .await
        .expect("leads")
        .into_inner()
        .leads
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_restores_every_record_and_lead() {
    let app = spawn_app().await;
    let (enterprise, poster) = app.tenant("湛江对虾养殖科技有限公司", OrganizationKind::Enterprise).await;
    let (agency, agency_token) = app.tenant("湛江市检验检测服务中心", OrganizationKind::IntermediaryAgency).await;
    let mut admin_leads = app.leads_client(Some(&app.admin_token.clone())).await;
    for n in 0..5 {
        admin_leads
            .offer_lead(pb::OfferLeadRequest {
                agency_organization_id: agency.clone(),
                offer_id: "offer_testing".into(),
                need_id: format!("need_shrimp_{n}"),
                need_organization_id: enterprise.clone(),
                need_title: format!("对虾养殖水质检测{n}"),
                category: pb::ServiceCategory::TestingInspection as i32,
                score: 0.7,
                ..Default::default()
            })
            .await
            .expect("offer");
    }

    // Needs keep being posted while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let posted = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (stop, posted, mut client) = (Arc::clone(&stop), Arc::clone(&posted), app.catalog(Some(&poster)).await);
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let n = posted.load(Ordering::Relaxed);
                let need = pb::TechNeed { title: format!("预制菜冷链需求{n}"), ..steel_need() };
                client.create_need(pb::CreateNeedRequest { need: Some(need) }).await.expect("post");
                posted.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    while posted.load(Ordering::Relaxed) < 20 {
        tokio::task::yield_now().await;
    }
    let out = tempfile::tempdir().expect("backup dir");
    let before = posted.load(Ordering::Relaxed);
    let data_dir = app.data_dir.clone();
    let out_dir = out.path().join("backup");
    let files = tokio::task::spawn_blocking({
        let out_dir = out_dir.clone();
        move || innomatch::cli::backup::backup(&data_dir, &out_dir)
    })
    .await
    .expect("join")
    .expect("backup");
    assert_eq!(files.len(), 2, "catalog and leads");
    while posted.load(Ordering::Relaxed) < before + 10 {
        tokio::task::yield_now().await;
    }
    stop.store(true, Ordering::Relaxed);
    writer.await.expect("writer");

    let restored_dir = tempfile::tempdir().expect("restore dir");
    let target = restored_dir.path().join("data");
    innomatch::cli::backup::restore(&out_dir, &target).expect("restore");
    let restored = spawn_app_with(|s| s.data_dir = target.clone()).await;

    let source_needs = all_needs(&mut app.admin_catalog().await).await;
    let restored_needs = all_needs(&mut restored.admin_catalog().await).await;
    assert!(restored_needs.len() >= before, "{} restored, {before} posted before the backup", restored_needs.len());
    assert!(restored_needs.len() < source_needs.len(), "writes after the backup are not in it");
    // The backup is one consistent moment: a prefix of the source, record for record.
    assert_eq!(restored_needs[..], source_needs[..restored_needs.len()]);
    let orgs = |client: CatalogClient| async move {
        let mut client = client;
        client
            .list_organizations(pb::ListOrganizationsRequest { page_size: 500, ..Default::default() })
            .await
            .expect("orgs")
            .into_inner()
            .organizations
    };
    assert_eq!(orgs(restored.admin_catalog().await).await, orgs(app.admin_catalog().await).await);
    let leads = agency_leads(&restored, &agency_token).await;
    assert_eq!(leads.len(), 5);
    assert_eq!(leads, agency_leads(&app, &agency_token).await, "every lead as it was");

    // The restored server rebuilt its index from the restored feed.
    let mut search = restored.search(Some(&restored.admin_token.clone())).await;
    let found = search_until(&mut search, query("预制菜冷链需求0"), |r| r.total_hits > 0).await;
    assert!(found.total_hits > 0, "the restored records are searchable");
}
