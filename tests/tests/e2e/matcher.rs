//! Matching through the server: evidence that is true, region preference,
//! fit over volume, affinity, the reverse match, consortia with known best
//! answers and constraints, service proposals, and visibility.

use innomatch_core::model::OrganizationKind;
use innomatch_proto::v1 as pb;
use innomatch_tests::*;
use tonic::Code;

fn capability(title: &str, description: &str, keywords: &[&str], region: &str) -> pb::Capability {
    pb::Capability {
        kind: pb::CapabilityKind::Achievement as i32,
        title: title.into(),
        description: description.into(),
        keywords: keywords.iter().map(|s| (*s).to_owned()).collect(),
        high_tech_fields: vec!["new_materials.metal".into()],
        industries: vec!["green_steel".into()],
        region_code: region.into(),
        trl: 6,
        ..Default::default()
    }
}

async fn add(client: &mut CatalogClient, cap: pb::Capability) -> pb::Capability {
    client
        .create_capability(pb::CreateCapabilityRequest { capability: Some(cap) })
        .await
        .expect("capability")
        .into_inner()
}

struct Steel {
    app: TestApp,
    enterprise_token: String,
    need_id: String,
    city_lab: String,
    bay_university: String,
}

/// A green-steel need, a lab in the city and a university in the Greater Bay
/// Area with equally fitting capabilities, and an unrelated shrimp institute.
async fn steel_fixture() -> Steel {
    let app = spawn_app().await;
    let (_, enterprise_token) = app.tenant("湛江宝湾钢铁有限公司", OrganizationKind::Enterprise).await;
    let city_lab = app.create_org("湛江东海岛冶金实验室", OrganizationKind::Laboratory, "440803").await;
    let bay_university = app.create_org("深圳湾理工大学", OrganizationKind::University, "440300").await;
    let shrimp = app.create_org("雷州水产研究所", OrganizationKind::ResearchInstitute, "440882").await;
    let mut admin = app.admin_catalog().await;
    for (owner, region) in [(&city_lab, "440803"), (&bay_university, "440300")] {
        let mut cap = capability(
            "氢冶金低碳炼钢技术",
            "富氢气体直接还原铁矿，吨钢碳排放降低三成",
            &["氢冶金", "低碳炼钢"],
            region,
        );
        cap.meta = Some(pb::RecordMeta { organization_id: owner.clone(), ..Default::default() });
        add(&mut admin, cap).await;
    }
    let mut unrelated = capability("对虾白斑病快速检测", "对虾养殖病害现场检测试剂盒", &["对虾养殖"], "440882");
    unrelated.industries = vec!["shrimp".into()];
    unrelated.meta = Some(pb::RecordMeta { organization_id: shrimp, ..Default::default() });
    add(&mut admin, unrelated).await;
    let need = app
        .catalog(Some(&enterprise_token))
        .await
        .create_need(pb::CreateNeedRequest { need: Some(steel_need()) })
        .await
        .expect("need")
        .into_inner();
    app.wait_for_index().await;
    Steel { app, enterprise_token, need_id: need.meta.expect("meta").id, city_lab, bay_university }
}

#[tokio::test]
async fn matches_carry_true_evidence_and_prefer_the_city() {
    let f = steel_fixture().await;
    let mut matcher = f.app.matcher(Some(&f.enterprise_token)).await;
    let response = matcher
        .match_need(pb::MatchNeedRequest { need_id: f.need_id.clone(), limit: 10 })
        .await
        .expect("match")
        .into_inner();
    let orgs: Vec<&str> = response.organizations.iter().map(|o| o.organization_id.as_str()).collect();
    assert_eq!(
        &orgs[..2],
        [f.city_lab.as_str(), f.bay_university.as_str()],
        "same fit: the city first, then the Bay Area"
    );
    let city = &response.organizations[0];
    let evidence = city.evidence.as_ref().expect("evidence");
    assert_eq!(evidence.region_tier, pb::RegionTier::City as i32);
    assert_eq!(evidence.shared_industries, ["green_steel"]);
    assert!(evidence.score_parts.iter().any(|p| p.name == "region" && p.value > 0.0));
    assert_eq!(city.top_capabilities.len(), 1, "the capability that carried the organization");

    // Every matched term occurs in the capability it is evidence for.
    let mut catalog = f.app.catalog(Some(&f.enterprise_token)).await;
    assert!(!response.capabilities.is_empty());
    for m in &response.capabilities {
        let cap = catalog
            .get_capability(pb::GetCapabilityRequest { id: m.capability_id.clone() })
            .await
            .expect("get")
            .into_inner();
        let text = format!("{} {} {}", cap.title, cap.keywords.join(" "), cap.description);
        let evidence = m.evidence.as_ref().expect("evidence");
        assert!(!evidence.matched_terms.is_empty(), "{}", m.title);
        for term in &evidence.matched_terms {
            assert!(text.contains(term.as_str()), "{term:?} is not in {text:?}");
        }
        let parts: f32 = evidence.score_parts.iter().map(|p| p.value).sum();
        assert!((parts - m.score).abs() < 1e-4, "the parts add up to the score");
    }
    assert!(
        response.organizations.iter().all(|o| o.organization_name != "雷州水产研究所" || o.score < city.score / 2.0)
    );

    // ScoreAffinity explains the same score, and a poor fit with its reasons.
    let affinity = matcher
        .score_affinity(pb::ScoreAffinityRequest {
            need_id: f.need_id.clone(),
            organization_ids: vec![f.city_lab.clone(), f.bay_university.clone()],
        })
        .await
        .expect("affinity")
        .into_inner();
    assert!((affinity.organizations[0].score - city.score).abs() < 1e-4);
    assert!(affinity.organizations[0].score > affinity.organizations[1].score);
}

#[tokio::test]
async fn organizations_rank_on_fit_not_on_their_number_of_records() {
    let app = spawn_app().await;
    let (_, token) = app.tenant("湛江钢铁集团", OrganizationKind::Enterprise).await;
    let focused = app.create_org("氢能冶金重点实验室", OrganizationKind::Laboratory, "440802").await;
    let sprawling = app.create_org("综合技术研究院", OrganizationKind::ResearchInstitute, "440802").await;
    let mut admin = app.admin_catalog().await;
    for title in ["氢冶金竖炉直接还原", "氢冶金低碳炼钢中试线", "富氢高炉低碳炼钢"] {
        let mut cap = capability(title, "氢冶金与低碳炼钢工艺", &["氢冶金", "低碳炼钢"], "440802");
        cap.meta = Some(pb::RecordMeta { organization_id: focused.clone(), ..Default::default() });
        add(&mut admin, cap).await;
    }
    for i in 0..30 {
        let mut cap = capability(&format!("钢材表面涂装工艺{i}"), "通用涂装与钢材防腐", &["涂装"], "440802");
        cap.meta = Some(pb::RecordMeta { organization_id: sprawling.clone(), ..Default::default() });
        add(&mut admin, cap).await;
    }
    let need = app
        .catalog(Some(&token))
        .await
        .create_need(pb::CreateNeedRequest { need: Some(steel_need()) })
        .await
        .expect("need")
        .into_inner();
    app.wait_for_index().await;
    let response = app
        .matcher(Some(&token))
        .await
        .match_need(pb::MatchNeedRequest { need_id: need.meta.expect("meta").id, limit: 5 })
        .await
        .expect("match")
        .into_inner();
    assert_eq!(response.organizations[0].organization_id, focused);
    let sprawling_score =
        response.organizations.iter().find(|o| o.organization_id == sprawling).map(|o| o.score).unwrap_or(0.0);
    assert!(response.organizations[0].score > sprawling_score);
}

#[tokio::test]
async fn consortia_cover_the_competencies_with_the_fewest_members_within_constraints() {
    let app = spawn_app().await;
    let (lead, token) = app.tenant("湛江绿色钢铁股份公司", OrganizationKind::Enterprise).await;
    let generalist = app.create_org("粤西冶金综合研究院", OrganizationKind::ResearchInstitute, "440802").await;
    let slag = app.create_org("湛江固废资源化实验室", OrganizationKind::Laboratory, "440811").await;
    let carbon = app.create_org("南方碳捕集大学", OrganizationKind::University, "440100").await;
    let mut admin = app.admin_catalog().await;
    let owned = |org: &String, title: &str, kw: &[&str]| {
        let mut cap = capability(title, title, kw, "");
        cap.meta = Some(pb::RecordMeta { organization_id: org.clone(), ..Default::default() });
        cap
    };
    add(&mut admin, owned(&generalist, "氢冶金直接还原工艺", &["氢冶金"])).await;
    add(&mut admin, owned(&slag, "钢渣资源化综合利用", &["钢渣资源化"])).await;
    add(&mut admin, owned(&slag, "氢冶金竖炉中试", &["氢冶金"])).await;
    add(&mut admin, owned(&carbon, "烟气碳捕集与封存", &["碳捕集"])).await;
    let mut need = steel_need();
    need.competencies = ["氢冶金", "钢渣资源化", "碳捕集"]
        .iter()
        .map(|c| pb::RequiredCompetency { name: (*c).into(), weight: 5 })
        .collect();
    let need = app
        .catalog(Some(&token))
        .await
        .create_need(pb::CreateNeedRequest { need: Some(need) })
        .await
        .expect("need")
        .into_inner();
    let need_id = need.meta.expect("meta").id;
    app.wait_for_index().await;

    let mut matcher = app.matcher(Some(&token)).await;
    let ask = |constraints: pb::ConsortiumConstraints| pb::ProposeConsortiaRequest {
        need_id: need_id.clone(),
        constraints: Some(constraints),
    };
    let response = matcher.propose_consortia(ask(Default::default())).await.expect("consortia").into_inner();
    let best = &response.consortia[0];
    let mut members: Vec<&str> = best.members.iter().map(|m| m.organization_id.as_str()).collect();
    members.sort();
    let mut expected = vec![lead.as_str(), slag.as_str(), carbon.as_str()];
    expected.sort();
    assert_eq!(members, expected, "the slag lab covers 氢冶金 too, so the generalist is not needed");
    assert_eq!(best.coverage, 1.0);
    assert!(best.uncovered_competencies.is_empty());
    assert_eq!(best.members[0].role, pb::ConsortiumRole::Lead as i32);
    let covered: Vec<&str> = best.members.iter().flat_map(|m| m.covers.iter().map(|c| c.competency.as_str())).collect();
    assert_eq!(covered.len(), 3);
    assert_eq!(
        response,
        matcher.propose_consortia(ask(Default::default())).await.expect("again").into_inner(),
        "deterministic"
    );

    // Constraints: exclusions and the size limit always hold; an academic member is always present.
    let excluded = matcher
        .propose_consortia(ask(pb::ConsortiumConstraints {
            excluded_organization_ids: vec![slag.clone()],
            max_members: 3,
            ..Default::default()
        }))
        .await
        .expect("consortia")
        .into_inner();
    assert!(!excluded.consortia.is_empty());
    for consortium in &excluded.consortia {
        assert!(consortium.members.len() <= 3);
        assert!(consortium.members.iter().all(|m| m.organization_id != slag));
        assert!(consortium.members.iter().any(|m| m.role == pb::ConsortiumRole::AcademicPartner as i32));
    }
    let bad = matcher
        .propose_consortia(ask(pb::ConsortiumConstraints { max_members: 1, ..Default::default() }))
        .await
        .expect_err("too small");
    assert_eq!(violated_fields(&bad), ["constraints.max_members"]);
}

#[tokio::test]
async fn service_proposals_route_to_agencies_offering_the_inferred_category() {
    let app = spawn_app().await;
    let (_, token) = app.tenant("湛江海鲜预制菜有限公司", OrganizationKind::Enterprise).await;
    let (_, testing_token) = app.tenant("湛江食品检测中心", OrganizationKind::IntermediaryAgency).await;
    let (_, finance_token) = app.tenant("湛江科技金融服务中心", OrganizationKind::IntermediaryAgency).await;
    app.catalog(Some(&testing_token))
        .await
        .create_service_offer(pb::CreateServiceOfferRequest { offer: Some(testing_offer()) })
        .await
        .expect("offer");
    let finance = pb::ServiceOffer {
        category: pb::ServiceCategory::TechFinance as i32,
        title: "知识产权质押融资".into(),
        regions_served: vec!["440800".into()],
        ..Default::default()
    };
    app.catalog(Some(&finance_token))
        .await
        .create_service_offer(pb::CreateServiceOfferRequest { offer: Some(finance) })
        .await
        .expect("offer");
    let need = pb::TechNeed {
        title: "预制菜冷链产品微生物检测与认证".into(),
        description: "出口预制菜需要第三方检测报告".into(),
        industries: vec!["prepared_dishes".into()],
        ..Default::default()
    };
    let need = app
        .catalog(Some(&token))
        .await
        .create_need(pb::CreateNeedRequest { need: Some(need) })
        .await
        .expect("need")
        .into_inner();
    let response = app
        .matcher(Some(&token))
        .await
        .propose_services(pb::ProposeServicesRequest { need_id: need.meta.expect("meta").id, limit: 5 })
        .await
        .expect("services")
        .into_inner();
    assert_eq!(response.inferred_categories, [pb::ServiceCategory::TestingInspection as i32]);
    assert_eq!(response.proposals.len(), 1, "the finance offer is not what this need calls for");
    let top = &response.proposals[0];
    assert_eq!(top.organization_name, "湛江食品检测中心");
    assert!(top.reasons.iter().any(|r| r.contains("检测")), "{:?}", top.reasons);
    assert!(top.reasons.iter().any(|r| r.contains("湛江市")), "{:?}", top.reasons);
}

async fn service_proposals(app: &TestApp, token: &str, need_id: &str) -> pb::ProposeServicesResponse {
    app.matcher(Some(token))
        .await
        .propose_services(pb::ProposeServicesRequest { need_id: need_id.into(), limit: 5 })
        .await
        .expect("services")
        .into_inner()
}

#[tokio::test]
async fn an_offer_is_proposed_only_when_its_own_text_fits_the_need() {
    // Lexical only (no embedding model in this server): the shrimp-testing
    // offer shares nothing with a steel-inspection need but 检测, which only
    // says both are about testing.
    let app = spawn_app().await;
    let (_, token) = app.tenant("湛江冷轧镀锌板有限公司", OrganizationKind::Enterprise).await;
    let (_, shrimp_agency) = app.tenant("湛江水产品检测中心", OrganizationKind::IntermediaryAgency).await;
    let (_, metal_agency) = app.tenant("粤西金属材料检测中心", OrganizationKind::IntermediaryAgency).await;
    let shrimp = app.publish_offer(&shrimp_agency, shrimp_testing_offer()).await;
    let metal = app.publish_offer(&metal_agency, metal_testing_offer()).await;
    let steel_need = app.post_need(&token, galvanized_inspection_need()).await;
    let shrimp_need = app
        .post_need(
            &token,
            pb::TechNeed {
                title: "出口对虾药物残留检测".into(),
                description: "冻煮对虾出口前需要药物残留和微生物检测报告".into(),
                ..Default::default()
            },
        )
        .await;
    let for_steel = service_proposals(&app, &token, &steel_need).await;
    assert_eq!(for_steel.inferred_categories, [pb::ServiceCategory::TestingInspection as i32]);
    let offers: Vec<&str> = for_steel.proposals.iter().map(|p| p.offer_id.as_str()).collect();
    assert_eq!(offers, [metal.as_str()], "{for_steel:?}");
    let fit = for_steel.proposals[0].reasons.iter().find(|r| r.starts_with("内容契合")).expect("the text fit");
    assert!(fit.contains("镀锌") && fit.contains("仅按词面"), "{fit}");
    // The same shrimp offer is what a shrimp need calls for.
    let for_shrimp = service_proposals(&app, &token, &shrimp_need).await;
    let offers: Vec<&str> = for_shrimp.proposals.iter().map(|p| p.offer_id.as_str()).collect();
    assert_eq!(offers, [shrimp.as_str()], "{for_shrimp:?}");
}

#[tokio::test]
async fn matching_reveals_neither_private_needs_nor_anonymous_owners() {
    let f = steel_fixture().await;
    let (_, other_token) = f.app.tenant("湛江其他企业", OrganizationKind::Enterprise).await;
    let mut owner = f.app.catalog(Some(&f.enterprise_token)).await;
    let mut private = steel_need();
    private.visibility = pb::Visibility::Private as i32;
    let private = owner.create_need(pb::CreateNeedRequest { need: Some(private) }).await.expect("need").into_inner();
    let mut anonymous = steel_need();
    anonymous.visibility = pb::Visibility::Anonymous as i32;
    let anonymous =
        owner.create_need(pb::CreateNeedRequest { need: Some(anonymous) }).await.expect("need").into_inner();
    f.app.wait_for_index().await;

    let mut other = f.app.matcher(Some(&other_token)).await;
    let hidden = other
        .match_need(pb::MatchNeedRequest { need_id: private.meta.clone().expect("meta").id, limit: 5 })
        .await
        .expect_err("private");
    assert_eq!(hidden.code(), Code::NotFound);
    let consortia = other
        .propose_consortia(pb::ProposeConsortiaRequest {
            need_id: anonymous.meta.clone().expect("meta").id,
            constraints: None,
        })
        .await
        .expect("anonymous needs can be matched")
        .into_inner();
    let lead = &consortia.consortia[0].members[0];
    assert_eq!((lead.organization_id.as_str(), lead.role), ("", pb::ConsortiumRole::Lead as i32));

    // The reverse match from a lab's capability: the anonymous need without its owner, never the private one.
    let lab_token = f.app.token_for(&f.city_lab, innomatch_core::model::Role::Member).await;
    let caps = f
        .app
        .catalog(Some(&lab_token))
        .await
        .list_capabilities(pb::ListCapabilitiesRequest { organization_id: f.city_lab.clone(), ..Default::default() })
        .await
        .expect("caps")
        .into_inner();
    let response = f
        .app
        .matcher(Some(&lab_token))
        .await
        .match_capability(pb::MatchCapabilityRequest {
            capability_id: caps.capabilities[0].meta.clone().expect("meta").id,
            limit: 10,
        })
        .await
        .expect("reverse match")
        .into_inner();
    let ids: Vec<&str> = response.needs.iter().map(|n| n.need_id.as_str()).collect();
    assert!(ids.contains(&f.need_id.as_str()));
    let private_id = private.meta.expect("meta").id;
    assert!(!ids.contains(&private_id.as_str()), "private needs never match for others");
    let anon = response
        .needs
        .iter()
        .find(|n| Some(&n.need_id) == anonymous.meta.as_ref().map(|m| &m.id))
        .expect("anonymous need");
    assert_eq!(anon.organization_id, "");
}

async fn leads_of(app: &TestApp, agency_token: &str) -> Vec<pb::Lead> {
    app.leads_client(Some(agency_token))
        .await
        .list_leads(pb::ListLeadsRequest::default())
        .await
        .expect("list leads")
        .into_inner()
        .leads
}

/// Polls the agency's leads until `done` holds or 10 s pass.
async fn leads_until(app: &TestApp, agency_token: &str, done: impl Fn(&[pb::Lead]) -> bool) -> Vec<pb::Lead> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let leads = leads_of(app, agency_token).await;
        if done(&leads) || tokio::time::Instant::now() > deadline {
            return leads;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

fn testing_need(title: &str, visibility: pb::Visibility) -> pb::TechNeed {
    pb::TechNeed {
        title: title.into(),
        description: "出口预制菜需要第三方检测报告与认证".into(),
        industries: vec!["prepared_dishes".into()],
        visibility: visibility as i32,
        ..Default::default()
    }
}

#[tokio::test]
async fn posted_needs_become_leads_once_even_when_the_feed_is_replayed() {
    let app = spawn_app().await;
    let (enterprise, token) = app.tenant("湛江海味预制菜有限公司", OrganizationKind::Enterprise).await;
    let (_, agency_token) = app.tenant("湛江食品检测认证中心", OrganizationKind::IntermediaryAgency).await;
    app.catalog(Some(&agency_token))
        .await
        .create_service_offer(pb::CreateServiceOfferRequest { offer: Some(testing_offer()) })
        .await
        .expect("offer");
    let mut catalog = app.catalog(Some(&token)).await;
    let need = catalog
        .create_need(pb::CreateNeedRequest {
            need: Some(testing_need("预制菜微生物检测", pb::Visibility::Public))
        })
        .await
        .expect("need")
        .into_inner();
    let leads = leads_until(&app, &agency_token, |l| !l.is_empty()).await;
    assert_eq!(leads.len(), 1);
    let need_id = need.meta.clone().expect("meta").id;
    assert_eq!(
        (leads[0].need_id.as_str(), leads[0].need_organization_id.as_str()),
        (need_id.as_str(), enterprise.as_str())
    );
    assert!(leads[0].reasons.iter().any(|r| r.contains("检测")), "{:?}", leads[0].reasons);

    // A material update and a private need make no second lead; an anonymous need's lead hides its owner.
    let mut edited = need.clone();
    edited.description = "出口日本的预制菜需要微生物与农残检测认证".into();
    catalog.update_need(pb::UpdateNeedRequest { need: Some(edited), expected_version: 1 }).await.expect("update");
    catalog
        .create_need(pb::CreateNeedRequest {
            need: Some(testing_need("保密：预制菜检测", pb::Visibility::Private))
        })
        .await
        .expect("private need");
    catalog
        .create_need(pb::CreateNeedRequest {
            need: Some(testing_need("匿名：预制菜检测", pb::Visibility::Anonymous))
        })
        .await
        .expect("anonymous need");
    let leads = leads_until(&app, &agency_token, |l| l.len() >= 2).await;
    assert_eq!(leads.len(), 2, "{leads:?}");
    let anonymous = leads.iter().find(|l| l.need_title.starts_with("匿名")).expect("anonymous need's lead");
    assert_eq!(anonymous.need_organization_id, "");

    // Replay the whole feed: forget the checkpoint and restart.
    std::fs::remove_file(app.data_dir.join("matcher.checkpoint")).expect("checkpoint exists");
    let app = app.restart().await;
    // A need posted now is handled after the replay; once its lead exists the replay is done.
    app.catalog(Some(&token))
        .await
        .create_need(pb::CreateNeedRequest {
            need: Some(testing_need("预制菜冷链检测新需求", pb::Visibility::Public))
        })
        .await
        .expect("need");
    let leads = leads_until(&app, &agency_token, |l| l.len() >= 3).await;
    assert_eq!(leads.len(), 3, "replaying made no duplicate: {leads:?}");
    let per_need: std::collections::BTreeSet<&str> = leads.iter().map(|l| l.need_id.as_str()).collect();
    assert_eq!(per_need.len(), 3);
}
