//! Semantic matching through the server, with the installed embedding model:
//! needs that share no word with the right partner, across Chinese and
//! English. These need
//! the model (`make models`); under `CI=true` a missing model fails them.

use innomatch_core::model::OrganizationKind;
use innomatch_proto::v1 as pb;
use innomatch_tests::*;

/// Whether the model is installed; outside CI its absence skips the test.
fn model_installed() -> bool {
    let options = innomatch_embed::E5Options::default();
    let installed = innomatch_embed::E5Embedder::open(&options).is_ok();
    if !installed {
        assert!(std::env::var_os("CI").is_none(), "CI must run the semantic tests: run `make models`");
        eprintln!("skipped: the embedding model is not installed (run `make models`)");
    }
    installed
}

async fn semantic_app() -> TestApp {
    spawn_app_with(|s| s.search.semantic = true).await
}

async fn post(app: &TestApp, token: &str, title: &str, description: &str) -> String {
    let need = pb::TechNeed { title: title.into(), description: description.into(), ..Default::default() };
    app.post_need(token, need).await
}

async fn best_partner(app: &TestApp, token: &str, need_id: &str) -> pb::OrganizationMatch {
    let response = app
        .matcher(Some(token))
        .await
        .match_need(pb::MatchNeedRequest { need_id: need_id.into(), limit: 5 })
        .await
        .expect("match")
        .into_inner();
    response.organizations.into_iter().next().expect("a partner")
}

fn semantic_part(org: &pb::OrganizationMatch) -> f32 {
    let parts = &org.evidence.as_ref().expect("evidence").score_parts;
    parts.iter().find(|p| p.name == "semantic").map(|p| p.value).unwrap_or(0.0)
}

#[tokio::test]
async fn a_need_sharing_no_word_with_its_partner_finds_it_by_meaning() {
    if !model_installed() {
        return;
    }
    let app = semantic_app().await;
    let (_, token) = app.tenant("湛江钢铁集团有限公司", OrganizationKind::Enterprise).await;
    let hydrogen = app.create_org("东海岛冶金实验室", OrganizationKind::Laboratory, "440803").await;
    let shrimp = app.create_org("雷州对虾养殖研究所", OrganizationKind::ResearchInstitute, "440882").await;
    app.add_capability(&hydrogen, "氢基直接还原铁工艺", "富氢气体在竖炉中直接还原铁矿石，替代焦炭作还原剂").await;
    app.add_capability(&shrimp, "对虾工厂化养殖", "南美白对虾高密度工厂化养殖与水质调控").await;
    let need = post(&app, &token, "降低炼钢二氧化碳排放", "").await;
    app.wait_for_index().await;
    app.wait_for_vectors().await;
    let best = best_partner(&app, &token, &need).await;
    assert_eq!(best.organization_id, hydrogen, "{best:?}");
    let evidence = best.evidence.as_ref().expect("evidence");
    assert!(evidence.matched_terms.is_empty(), "no shared word: {:?}", evidence.matched_terms);
    assert!(semantic_part(&best) > 0.0, "the semantic part carried it: {evidence:?}");
}

#[tokio::test]
async fn an_english_need_finds_a_chinese_capability_and_the_reverse() {
    if !model_installed() {
        return;
    }
    let app = semantic_app().await;
    let (_, token) = app.tenant("Zhanjiang Aquaculture Co.", OrganizationKind::Enterprise).await;
    let shrimp = app.create_org("雷州对虾病害研究所", OrganizationKind::ResearchInstitute, "440882").await;
    let steel = app.create_org("粤西钢铁研究院", OrganizationKind::ResearchInstitute, "440802").await;
    let english = app.create_org("Bay Area Robotics Lab", OrganizationKind::Laboratory, "440300").await;
    app.add_capability(&shrimp, "对虾白斑综合征病毒快速检测", "对虾养殖中白斑病毒的现场快速检测与病害防控").await;
    app.add_capability(&steel, "高炉低碳冶炼", "高炉富氢冶炼与钢渣资源化").await;
    app.add_capability(
        &english,
        "Welding robots for ship blocks",
        "Robotic welding and seam inspection for shipbuilding",
    )
    .await;
    let shrimp_need = post(&app, &token, "Rapid diagnosis of viral diseases in farmed shrimp", "").await;
    let welding_need = post(&app, &token, "船舶分段焊接自动化", "").await;
    app.wait_for_index().await;
    app.wait_for_vectors().await;
    let best = best_partner(&app, &token, &shrimp_need).await;
    assert_eq!(best.organization_id, shrimp, "{best:?}");
    assert!(semantic_part(&best) > 0.0);
    let best = best_partner(&app, &token, &welding_need).await;
    assert_eq!(best.organization_id, english, "{best:?}");
}

/// The competencies a member covers in the best consortium, with the evidence of each.
fn covers_of<'a>(consortium: &'a pb::Consortium, organization_id: &str) -> Vec<&'a pb::CoveredCompetency> {
    consortium.members.iter().filter(|m| m.organization_id == organization_id).flat_map(|m| m.covers.iter()).collect()
}

#[tokio::test]
async fn a_competency_is_covered_by_a_capability_close_in_meaning_not_by_a_generic_word() {
    if !model_installed() {
        return;
    }
    let app = semantic_app().await;
    let (lead, token) = app.tenant("湛江对虾饲料集团", OrganizationKind::Enterprise).await;
    let cage = app.create_org("南海网箱工程实验室", OrganizationKind::Laboratory, "440802").await;
    let feed = app.create_org("湛江水产营养研究所", OrganizationKind::ResearchInstitute, "440802").await;
    app.add_capability(&cage, "抗风浪网箱设计", "深远海抗风浪网箱结构设计与锚泊系统").await;
    app.add_capability(&feed, "对虾饲料配方与营养研究", "低鱼粉对虾配合饲料的营养需求与配方优化").await;
    let mut need = pb::TechNeed {
        title: "对虾深远海养殖".into(),
        description: "深远海网箱养殖对虾，需要网箱与饲料两方面的合作".into(),
        ..Default::default()
    };
    need.competencies = ["饲料配方设计", "抗风浪网箱"]
        .iter()
        .map(|c| pb::RequiredCompetency { name: (*c).into(), weight: 5 })
        .collect();
    let need = app.post_need(&token, need).await;
    app.wait_for_index().await;
    app.wait_for_vectors().await;
    let response = app
        .matcher(Some(&token))
        .await
        .propose_consortia(pb::ProposeConsortiaRequest { need_id: need, constraints: None })
        .await
        .expect("consortia")
        .into_inner();
    let best = &response.consortia[0];
    assert_eq!(best.members[0].organization_id, lead);
    assert_eq!(best.coverage, 1.0, "{best:?}");
    let by_cage: Vec<&str> = covers_of(best, &cage).iter().map(|c| c.competency.as_str()).collect();
    assert_eq!(by_cage, ["抗风浪网箱"], "设计 alone does not make 饲料配方设计");
    let by_feed = covers_of(best, &feed);
    assert_eq!(by_feed.len(), 1);
    assert_eq!(by_feed[0].competency, "饲料配方设计");
    // Every cover shows its semantic similarity: the competency was embedded
    // when the need was posted, not on this request.
    for cover in covers_of(best, &cage).into_iter().chain(by_feed) {
        let parts = &cover.evidence.as_ref().expect("evidence").score_parts;
        let semantic = parts.iter().find(|p| p.name == "semantic").expect("a semantic part");
        assert!(semantic.value > 0.0 && semantic.detail.starts_with("semantic similarity"), "{semantic:?}");
        let text = parts.iter().find(|p| p.name == "text").expect("a text part");
        eprintln!("{}: {}; {}", cover.competency, semantic.detail, text.detail);
        assert!(text.detail.contains("by meaning") && !text.detail.contains("lexical rule"), "{}", text.detail);
    }
}

#[tokio::test]
async fn a_testing_offer_about_another_subject_is_not_proposed_and_a_fitting_one_shows_its_similarity() {
    if !model_installed() {
        return;
    }
    let app = semantic_app().await;
    let (_, token) = app.tenant("湛江冷轧镀锌板有限公司", OrganizationKind::Enterprise).await;
    let (_, shrimp_agency) = app.tenant("湛江水产品检测中心", OrganizationKind::IntermediaryAgency).await;
    let (_, metal_agency) = app.tenant("粤西金属材料检测中心", OrganizationKind::IntermediaryAgency).await;
    let shrimp = app.publish_offer(&shrimp_agency, shrimp_testing_offer()).await;
    let metal = app.publish_offer(&metal_agency, metal_testing_offer()).await;
    let need = app.post_need(&token, galvanized_inspection_need()).await;
    app.wait_for_index().await;
    app.wait_for_vectors().await;
    let response = app
        .matcher(Some(&token))
        .await
        .propose_services(pb::ProposeServicesRequest { need_id: need, limit: 5 })
        .await
        .expect("services")
        .into_inner();
    let offers: Vec<&str> = response.proposals.iter().map(|p| p.offer_id.as_str()).collect();
    eprintln!("{:?}", response.proposals.iter().map(|p| (&p.title, p.score, &p.reasons)).collect::<Vec<_>>());
    assert_eq!(offers, [metal.as_str()], "the shrimp-testing offer does not fit a steel need: {response:?}");
    assert!(!offers.contains(&shrimp.as_str()));
    let fit = response.proposals[0].reasons.iter().find(|r| r.starts_with("内容契合")).expect("the text fit");
    assert!(fit.contains("语义相似度"), "{fit}");
}
