//! First run: the built-in sample catalog loads without a rejected row, only
//! into an empty data directory, and every need in it gets at least one
//! partner and one consortium; service offers are proposed where their text
//! fits the need, each with that fit among its reasons.

use innomatch_proto::v1 as pb;
use innomatch_tests::*;

#[tokio::test]
async fn the_sample_catalog_loads_once_and_every_need_is_matched() {
    let app = spawn_app_with(|s| s.sample_data = true).await;
    let mut admin = app.admin_catalog().await;
    let sample_lines = innomatch::server::sample::SAMPLE_JSONL.lines().filter(|l| !l.trim().is_empty()).count();
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
    let sample_needs =
        innomatch::server::sample::SAMPLE_JSONL.lines().filter(|l| l.contains(r#""type": "need""#)).count();
    assert_eq!(needs.len(), sample_needs, "no need was rejected ({sample_lines} rows in all)");

    app.wait_for_index().await;
    let mut matcher = app.matcher(Some(&app.admin_token.clone())).await;
    let mut with_services = 0;
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
        // An offer is proposed only when its own text fits the need: the
        // sample's offers describe their services, not every need's subject.
        for proposal in &services.proposals {
            assert!(proposal.reasons.iter().any(|r| r.starts_with("内容契合")), "{proposal:?}");
        }
        if services.proposals.is_empty() {
            eprintln!("no service offer fits {}", need.title);
        } else {
            with_services += 1;
        }
    }
    eprintln!("{with_services} of {} sample needs have a fitting service offer", needs.len());
    assert!(with_services > 0, "no sample need has a fitting service offer");

    // The plan's figures count the sample's certificates that are valid
    // today, of organizations in the city (湛江市 and its districts).
    let now = innomatch_core::model::now_ms();
    let qualified = |q: &str| {
        innomatch::server::sample::SAMPLE_JSONL
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|o| o["type"] == "organization")
            .filter(|o| o["region_code"].as_str().is_some_and(|r| r.starts_with("4408")))
            .filter(|o| {
                o["qualification_certificates"].as_array().into_iter().flatten().any(|c| {
                    c["qualification"] == q
                        && c["valid_from_ms"].as_i64().is_some_and(|from| from <= now)
                        && c["valid_until_ms"].as_i64().is_some_and(|until| now <= until)
                })
            })
            .count() as u64
    };
    let channel = app.channel().await;
    let mut stats_client = pb::stats_service_client::StatsServiceClient::new(channel);
    let mut request = tonic::Request::new(pb::GetStatsRequest {});
    request.metadata_mut().insert("authorization", format!("Bearer {}", app.admin_token).parse().expect("header"));
    let stats = stats_client.get_stats(request).await.expect("stats").into_inner();
    let figure = |key: &str| stats.figures.iter().find(|f| f.key == key).map(|f| (f.count, f.target)).expect(key);
    assert_eq!(figure("high_tech_enterprises"), (qualified("high_tech_enterprise"), 700));
    assert_eq!(figure("tech_smes"), (qualified("tech_sme"), 660));
    assert_eq!(figure("maker_spaces").1, 20);
    assert_eq!(figure("needs_posted").0, needs.len() as u64);
    assert!(stats.leads_counted);
    assert!(figure("matches_made").0 > 0, "auto-matching turned sample needs into leads");

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
