//! The plan board and the bureau's enterprise lookup through a real gRPC
//! client: per-district figures from verified certificates valid today,
//! the snapshot taken at start, the XLSX export, and one organization's
//! whole picture (admins only).

use innomatch_core::model::{OrganizationKind, Role, ServiceCategory, now_ms};
use innomatch_proto::v1 as pb;
use innomatch_tests::{TestApp, certificate, spawn_app, steel_need};
use tonic::Code;

const DAY_MS: i64 = 86_400_000;

/// Registers an organization with verified certificates as the admin; its id.
async fn certified_org(
    app: &TestApp,
    name: &str,
    region: &str,
    certificates: Vec<pb::QualificationCertificate>,
) -> String {
    app.register_org(pb::Organization {
        name: name.into(),
        kind: OrganizationKind::Enterprise.to_proto(),
        region_code: region.into(),
        qualification_certificates: certificates,
        ..Default::default()
    })
    .await
}

fn district_count(board: &pb::PlanBoard, region: &str, key: &str) -> u64 {
    board
        .districts
        .iter()
        .find(|d| d.region_code == region)
        .and_then(|d| d.figures.iter().find(|f| f.key == key))
        .map(|f| f.count)
        .unwrap_or_else(|| panic!("{key} in {region}"))
}

#[tokio::test]
async fn the_plan_board_counts_verified_certificates_per_district_and_keeps_a_snapshot() {
    let app = spawn_app().await;
    let now = now_ms();
    let valid = |q, n: &str| certificate(q, n, now - 10 * DAY_MS, now + 300 * DAY_MS);
    let lapsed = |q, n: &str| certificate(q, n, now - 900 * DAY_MS, now - DAY_MS);
    certified_org(
        &app,
        "湛江绿色钢铁科技有限公司",
        "440803",
        vec![valid(pb::Qualification::HighTechEnterprise, "GR1")],
    )
    .await;
    certified_org(&app, "湛江氢冶金材料有限公司", "440803", vec![lapsed(pb::Qualification::HighTechEnterprise, "GR2")])
        .await;
    certified_org(
        &app,
        "徐闻菠萝深加工有限公司",
        "440825",
        vec![
            valid(pb::Qualification::TechSme, "KJ1"),
            valid(pb::Qualification::InventionPatent, "ZL1"),
            valid(pb::Qualification::InventionPatent, "ZL2"),
            valid(pb::Qualification::HighLevelTalent, "RC1"),
        ],
    )
    .await;
    certified_org(&app, "遂溪众创空间运营有限公司", "440823", vec![valid(pb::Qualification::MakerSpace, "ZC1")]).await;
    certified_org(&app, "深圳工业互联网有限公司", "440300", vec![valid(pb::Qualification::HighTechEnterprise, "GR3")])
        .await;

    let token = app.admin_token.clone();
    let (_, member) = app.tenant("湛江对虾养殖合作社", OrganizationKind::Enterprise).await;
    let mut stats = app.stats(Some(&member)).await;
    let board = stats.get_plan_board(pb::GetPlanBoardRequest {}).await.expect("board").into_inner();
    assert_eq!(board.districts.len(), 9, "every district and county of 湛江");
    assert_eq!(district_count(&board, "440803", "high_tech_enterprises"), 1, "the lapsed certificate does not count");
    assert_eq!(district_count(&board, "440825", "tech_smes"), 1);
    assert_eq!(district_count(&board, "440825", "invention_patents_per_10k"), 2);
    assert_eq!(district_count(&board, "440825", "high_level_talents"), 1);
    assert_eq!(district_count(&board, "440823", "districts_with_incubation_carrier"), 1);
    assert_eq!(district_count(&board, "440803", "districts_with_incubation_carrier"), 0);
    let city = |key: &str| board.city.iter().find(|f| f.key == key).cloned().expect(key);
    assert_eq!(
        (city("high_tech_enterprises").count, city("high_tech_enterprises").target),
        (1, 700),
        "深圳 is not 湛江"
    );
    assert_eq!(city("districts_with_incubation_carrier").target, 9);
    let patents = city("invention_patents_per_10k");
    assert_eq!(patents.rate_target, Some(4.8));
    assert!(patents.rate.is_some_and(|r| r > 0.0 && r < 0.01), "2 patents among millions: {patents:?}");
    let keys: Vec<&str> = board.city.iter().map(|f| f.key.as_str()).collect();
    for key in ["incubated_firms_and_teams", "new_innovation_teams", "university_science_parks", "accelerators"] {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }

    // The server keeps today's snapshot at start.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let history = loop {
        let history =
            stats.list_plan_snapshots(pb::ListPlanSnapshotsRequest::default()).await.expect("history").into_inner();
        if !history.snapshots.is_empty() {
            break history;
        }
        assert!(tokio::time::Instant::now() < deadline, "no snapshot kept at start");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(history.snapshots.len(), 1, "one a day");
    assert_eq!(history.snapshots[0].day, board.day);
    let bad = stats
        .list_plan_snapshots(pb::ListPlanSnapshotsRequest { since_day: "2026/12/01".into(), limit: 0 })
        .await
        .expect_err("not a date");
    assert_eq!(bad.code(), Code::InvalidArgument);

    let workbook = stats.export_plan_board(pb::ExportPlanBoardRequest::default()).await.expect("export").into_inner();
    assert!(workbook.content.starts_with(b"PK"), "an XLSX workbook");
    assert_eq!(workbook.filename, format!("plan-board-{}.xlsx", board.day));

    let anonymous = app.stats(None).await.get_plan_board(pb::GetPlanBoardRequest {}).await.expect_err("no token");
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    drop(token);
}

#[tokio::test]
async fn the_bureau_looks_up_an_organizations_whole_picture() {
    let app = spawn_app().await;
    let now = now_ms();
    let name = format!("湛江预制菜食品科技有限公司{}", app.unique_number());
    let org = certified_org(
        &app,
        &name,
        "440811",
        vec![
            certificate(pb::Qualification::HighTechEnterprise, "GR202344000001", now - 900 * DAY_MS, now + 30 * DAY_MS),
            certificate(pb::Qualification::TechSme, "KJ2024000001", now - 900 * DAY_MS, now - DAY_MS),
            certificate(pb::Qualification::InventionPatent, "ZL202310000001", now - 10 * DAY_MS, now + 3_000 * DAY_MS),
        ],
    )
    .await;
    let member = app.token_for(&org, Role::Member).await;
    let need_id = app.post_need(&member, steel_need()).await;
    let lead = app
        .leads()
        .offer(innomatch_leads::LeadDraft {
            agency_organization_id: "org_agency_lookup".into(),
            offer_id: "offer_lookup".into(),
            need_id: need_id.clone(),
            need_organization_id: org.clone(),
            need_title: "氢冶金低碳炼钢中试".into(),
            need_summary: String::new(),
            category: ServiceCategory::TechFinance,
            score: 0.8,
            reasons: vec![],
            replaces_lead_id: String::new(),
            policy_id: String::new(),
        })
        .await
        .expect("a lead");

    // A support policy in force for 湛江 high-tech enterprises: the firm holds a valid certificate.
    let policy = pb::SupportPolicy {
        title: "市级工程技术研究中心认定".into(),
        issuing_department: "湛江市科学技术局".into(),
        effective_from: Some(innomatch_core::convert::timestamp(now - 30 * DAY_MS)),
        expires_at: Some(innomatch_core::convert::timestamp(now + 365 * DAY_MS)),
        full_text: "对在我市注册、高新技术企业资格在有效期内的企业，认定为市级工程技术研究中心。".into(),
        eligibility: Some(pb::PolicyEligibility {
            organization_kinds: vec![pb::OrganizationKind::Enterprise as i32],
            qualifications: vec![pb::Qualification::HighTechEnterprise as i32],
            region_codes: vec!["440800".into()],
            ..Default::default()
        }),
        benefit: Some(pb::PolicyBenefit { kind: pb::BenefitKind::PlatformDesignation as i32, ..Default::default() }),
        ..Default::default()
    };
    let policy_id = app
        .policies(Some(&app.admin_token.clone()))
        .await
        .create_policy(pb::CreatePolicyRequest { policy: Some(policy) })
        .await
        .expect("policy")
        .into_inner()
        .meta
        .expect("meta")
        .id;

    let mut bureau = app.stats(Some(&app.admin_token.clone())).await;
    for query in [org.clone(), name.clone(), name.replace("湛江", "湛江 ")] {
        let found = bureau
            .lookup_organization(pb::LookupOrganizationRequest { query: query.clone() })
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"))
            .into_inner();
        assert_eq!(found.organization.as_ref().map(|o| o.name.as_str()), Some(name.as_str()), "{query}");
    }
    let found = bureau
        .lookup_organization(pb::LookupOrganizationRequest { query: org.clone() })
        .await
        .expect("lookup")
        .into_inner();
    let standings: Vec<(String, i32)> = found
        .qualifications
        .iter()
        .map(|q| (q.certificate.clone().unwrap_or_default().certificate_number, q.standing))
        .collect();
    assert_eq!(
        standings,
        [
            ("ZL202310000001".to_owned(), pb::CertificateStanding::Valid as i32),
            ("GR202344000001".to_owned(), pb::CertificateStanding::ExpiringSoon as i32),
            ("KJ2024000001".to_owned(), pb::CertificateStanding::Expired as i32),
        ],
        "newest validity first, each with its standing today"
    );
    assert_eq!(
        found.needs.iter().filter_map(|n| n.meta.as_ref()).map(|m| m.id.as_str()).collect::<Vec<_>>(),
        [need_id.as_str()]
    );
    assert!(found.leads_included && found.notifications_included);
    assert_eq!(
        found.leads.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
        [lead.id.as_str()],
        "the lead made for its need"
    );
    assert!(found.capabilities.is_empty() && found.offers.is_empty());
    let policies = found.policies.clone().expect("the policies part of the picture");
    let eligible: Vec<&str> = policies.eligible.iter().map(|r| r.policy_id.as_str()).collect();
    assert!(eligible.contains(&policy_id.as_str()), "eligible through its valid certificate: {policies:?}");
    let result = policies.eligible.iter().find(|r| r.policy_id == policy_id).expect("result");
    assert!(
        result
            .checks
            .iter()
            .any(|c| c.requirement == "qualification:high_tech_enterprise"
                && c.outcome == pb::ConditionOutcome::Met as i32),
        "{result:?}"
    );

    let refused = app
        .stats(Some(&member))
        .await
        .lookup_organization(pb::LookupOrganizationRequest { query: org.clone() })
        .await
        .expect_err("members may not");
    assert_eq!(refused.code(), Code::PermissionDenied);
    let missing = bureau
        .lookup_organization(pb::LookupOrganizationRequest { query: "海南不存在的公司".into() })
        .await
        .expect_err("none");
    assert_eq!(missing.code(), Code::NotFound);
    certified_org(&app, &format!("{name}湛江分公司"), "440811", vec![]).await;
    let ambiguous = bureau
        .lookup_organization(pb::LookupOrganizationRequest { query: "预制菜食品科技".into() })
        .await
        .expect_err("two match");
    assert_eq!(ambiguous.code(), Code::InvalidArgument);
    assert!(ambiguous.message().contains(&org), "{}", ambiguous.message());
}
