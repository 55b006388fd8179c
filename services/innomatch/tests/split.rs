//! A split deployment: one process runs catalog, search and matcher, another
//! runs the leads service on the same data directory. Tokens issued in the
//! first work in the second, and auto-matching hands leads across over gRPC.

mod common;

use std::time::{Duration, Instant};

use common::{ADMIN_TOKEN, authorized, channel, organization, start_server_with, stop};
use innomatch_proto::v1::{
    self as pb, admin_service_client::AdminServiceClient, catalog_service_client::CatalogServiceClient,
    leads_service_client::LeadsServiceClient,
};
use tonic::transport::Channel;

async fn token(admin: &mut AdminServiceClient<Channel>, org: &str, role: pb::Role) -> String {
    let request = pb::IssueTokenRequest { organization_id: org.into(), role: role as i32, label: "split".into() };
    admin.issue_token(authorized(request, ADMIN_TOKEN)).await.expect("token").into_inner().token
}

#[tokio::test]
async fn leads_cross_from_the_matcher_process_to_the_leads_process() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let (leads_server, leads_addr) = start_server_with(&data, &["--service", "leads"]);
    let leads_url = format!("http://{leads_addr}");
    let (core_server, core_addr) = start_server_with(
        &data,
        &["--service", "catalog", "--service", "search", "--service", "matcher", "--leads-url", &leads_url],
    );

    let core = channel(&core_addr).await;
    let mut catalog = CatalogServiceClient::new(core.clone());
    let mut admin = AdminServiceClient::new(core);
    let agency = organization(&mut catalog, "湛江检测认证服务中心", pb::OrganizationKind::IntermediaryAgency).await;
    let enterprise = organization(&mut catalog, "湛江海鲜预制菜有限公司", pb::OrganizationKind::Enterprise).await;
    let agency_token = token(&mut admin, &agency, pb::Role::Agency).await;
    let enterprise_token = token(&mut admin, &enterprise, pb::Role::Member).await;
    let offer = Some(common::testing_offer());
    catalog
        .create_service_offer(authorized(pb::CreateServiceOfferRequest { offer }, &agency_token))
        .await
        .expect("offer");
    let need = common::need_for_testing_offer();
    catalog.create_need(authorized(pb::CreateNeedRequest { need: Some(need) }, &enterprise_token)).await.expect("need");

    // The agency's token was issued by the other process; the lead was made there too.
    let mut leads = LeadsServiceClient::new(channel(&leads_addr).await);
    let deadline = Instant::now() + Duration::from_secs(20);
    let found = loop {
        let response = leads.list_leads(authorized(pb::ListLeadsRequest::default(), &agency_token)).await;
        match response {
            Ok(response) if !response.get_ref().leads.is_empty() => break response.into_inner().leads,
            other => assert!(Instant::now() < deadline, "no lead reached the leads process: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].need_title, "预制菜冷链产品微生物检测认证");
    assert_eq!(found[0].agency_organization_id, agency);
    stop(core_server);
    stop(leads_server);
}
