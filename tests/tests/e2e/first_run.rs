//! First run: the built-in sample catalog loads without a rejected row, only
//! into an empty data directory, and every need in it gets at least one
//! partner, one consortium and one service proposal.

use innomatch_proto::v1 as pb;
use innomatch_tests::*;

#[tokio::test]
async fn the_sample_catalog_loads_once_and_every_need_is_matched() {
    let app = spawn_app_with(|s| s.sample_data = true).await;
    let mut admin = app.admin_catalog().await;
    let sample_lines = innomatch::sample::SAMPLE_JSONL.lines().filter(|l| !l.trim().is_empty()).count();
    let mut needs = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = admin
            .list_needs(pb::ListNeedsRequest { page_size: 500, page_token, ..Default::default() })
            .await
            .expect("list needs")
            .into_inner();
        needs.extend(page.needs);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let organizations = admin
        .list_organizations(pb::ListOrganizationsRequest { page_size: 500, ..Default::default() })
        .await
        .expect("orgs")
        .into_inner()
        .organizations;
    assert!(
        needs.len() >= 80 && organizations.len() >= 87,
        "{} needs, {} organizations",
        needs.len(),
        organizations.len()
    );
    let sample_needs = innomatch::sample::SAMPLE_JSONL.lines().filter(|l| l.contains(r#""type": "need""#)).count();
    assert_eq!(needs.len(), sample_needs, "no need was rejected ({sample_lines} rows in all)");

    app.wait_for_index().await;
    let mut matcher = app.matcher(Some(&app.admin_token.clone())).await;
    for need in &needs {
        let id = need.meta.clone().expect("meta").id;
        let partners = matcher
            .match_need(pb::MatchNeedRequest { need_id: id.clone(), limit: 5 })
            .await
            .expect("match")
            .into_inner();
        assert!(!partners.organizations.is_empty(), "no partner for {}", need.title);
        let consortia = matcher
            .propose_consortia(pb::ProposeConsortiaRequest { need_id: id.clone(), constraints: None })
            .await
            .expect("consortia")
            .into_inner();
        assert!(!consortia.consortia.is_empty(), "no consortium for {}", need.title);
        let services = matcher
            .propose_services(pb::ProposeServicesRequest { need_id: id, limit: 3 })
            .await
            .expect("services")
            .into_inner();
        assert!(!services.proposals.is_empty(), "no service proposal for {}", need.title);
    }

    // A second start on the same data loads nothing again.
    let app = app.restart().await;
    let count = app
        .admin_catalog()
        .await
        .list_organizations(pb::ListOrganizationsRequest { page_size: 500, ..Default::default() })
        .await
        .expect("orgs")
        .into_inner()
        .organizations
        .len();
    assert_eq!(count, organizations.len() + 1, "only the index marker was added");
}
