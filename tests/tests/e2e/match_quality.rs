//! Match quality a user relies on, through the server: scores that do not
//! depend on who else is asked about, parts that carry information only,
//! evidence without generic words or sub-word false matches, a relevance
//! floor for needs made of generic words, and consortia whose members'
//! evidence is about the competency they cover.

use innomatch_core::model::OrganizationKind;
use innomatch_proto::v1 as pb;
use innomatch_tests::*;

fn capability(owner: &str, title: &str, description: &str) -> pb::Capability {
    pb::Capability {
        meta: Some(pb::RecordMeta { organization_id: owner.into(), ..Default::default() }),
        kind: pb::CapabilityKind::Achievement as i32,
        title: title.into(),
        description: description.into(),
        ..Default::default()
    }
}

fn plain_need(title: &str, description: &str) -> pb::TechNeed {
    pb::TechNeed { title: title.into(), description: description.into(), ..Default::default() }
}

/// Topics for a crowd of organizations, each with two capabilities.
const TOPICS: [(&str, &str); 21] = [
    ("对虾养殖病害防控", "对虾白斑综合征病毒检测与对虾养殖水质调控"),
    ("氢冶金直接还原", "氢基竖炉直接还原铁与低碳炼钢工艺"),
    ("预制菜冷链物流", "预制菜速冻锁鲜与冷链物流温控"),
    ("工业互联网平台", "工业互联网标识解析与设备联网"),
    ("火龙果采后保鲜", "火龙果气调贮藏与采后病害防治"),
    ("金鲳鱼深海网箱", "金鲳鱼抗风浪网箱养殖与投喂装备"),
    ("南药种植", "南药良种繁育与规范化种植"),
    ("海上风电防腐", "海上风电塔筒防腐涂层与阴极保护"),
    ("生蚝净化", "生蚝养殖水体净化与贝类毒素检测"),
    ("羽绒水洗", "羽绒水洗工艺与羽绒蓬松度检测"),
    ("家具涂装", "家具水性漆涂装与甲醛释放控制"),
    ("鞋材回收", "废旧鞋材回收再生与橡胶改性"),
    ("菠萝加工", "菠萝果汁加工与菠萝蛋白酶提取"),
    ("家电电机", "家电变频电机控制与能效测试"),
    ("纸浆漂白", "纸浆无元素氯漂白与废水处理"),
    ("乙烯裂解", "乙烯裂解炉结焦抑制与能效优化"),
    ("锂电池材料", "锂电池正极材料包覆改性"),
    ("船舶焊接", "船舶分段机器人焊接与焊缝检测"),
    ("海洋药物", "海洋生物活性物质筛选与海洋药物开发"),
    ("5G基站", "5G基站节能与射频测试"),
    ("钢渣资源化", "钢渣资源化综合利用与钢渣微粉"),
];

#[tokio::test]
async fn an_organizations_affinity_is_the_same_alone_and_among_twenty_others() {
    let app = spawn_app().await;
    let (_, token) = app.tenant("湛江海产养殖有限公司", OrganizationKind::Enterprise).await;
    let mut orgs = Vec::new();
    for (i, (title, description)) in TOPICS.iter().enumerate() {
        let org = app.create_org(&format!("第{i}研究所"), OrganizationKind::ResearchInstitute, "440802").await;
        app.add_capability(&org, title, description).await;
        app.add_capability(&org, &format!("{title}示范"), &format!("{description}的中试示范")).await;
        orgs.push(org);
    }
    let need =
        app.post_need(&token, plain_need("对虾病害快速检测", "寻求对虾白斑综合征病毒现场快速检测与水质调控方案")).await;
    app.wait_for_index().await;
    let mut matcher = app.matcher(Some(&token)).await;
    let affinity = |ids: Vec<String>| pb::ScoreAffinityRequest { need_id: need.clone(), organization_ids: ids };
    let alone = matcher.score_affinity(affinity(vec![orgs[0].clone()])).await.expect("alone").into_inner();
    let mut crowd = orgs.clone();
    crowd.reverse();
    let among = matcher.score_affinity(affinity(crowd)).await.expect("among").into_inner();
    let shrimp_alone = alone.organizations[0].score;
    let shrimp_among = among.organizations.iter().find(|o| o.organization_id == orgs[0]).expect("asked").score;
    assert!(shrimp_alone > 0.3, "a clear fit: {shrimp_alone}");
    assert_eq!(shrimp_alone, shrimp_among, "the same score alone and among 20 others");
    // And the same score MatchNeed gives it.
    let matched =
        matcher.match_need(pb::MatchNeedRequest { need_id: need.clone(), limit: 5 }).await.expect("match").into_inner();
    assert_eq!(matched.organizations[0].organization_id, orgs[0]);
    assert!((matched.organizations[0].score - shrimp_alone).abs() < 1e-6);
    // An unrelated organization scores far lower.
    let steel = among.organizations.iter().find(|o| o.organization_id == orgs[1]).expect("asked").score;
    assert!(steel < shrimp_alone / 3.0, "{steel} vs {shrimp_alone}");
}

#[tokio::test]
async fn parts_the_need_says_nothing_about_add_nothing_and_details_are_true() {
    let app = spawn_app().await;
    let (_, token) = app.tenant("湛江钢铁配套公司", OrganizationKind::Enterprise).await;
    let lab = app.create_org("湛江冶金实验室", OrganizationKind::Laboratory, "440803").await;
    let mut cap = capability(&lab, "氢冶金低碳炼钢技术", "富氢气体直接还原铁矿，吨钢碳排放降低三成");
    cap.industries = vec!["green_steel".into()];
    app.admin_catalog()
        .await
        .create_capability(pb::CreateCapabilityRequest { capability: Some(cap) })
        .await
        .expect("cap");
    let bare = app.post_need(&token, plain_need("氢冶金中试", "开展氢基直接还原铁中试")).await;
    let mut with_chain = plain_need("氢冶金中试线", "开展氢基直接还原铁中试");
    with_chain.industries = vec!["green_steel".into(), "new_materials".into()];
    let with_chain = app.post_need(&token, with_chain).await;
    app.wait_for_index().await;
    let mut matcher = app.matcher(Some(&token)).await;

    let response =
        matcher.match_need(pb::MatchNeedRequest { need_id: bare, limit: 5 }).await.expect("match").into_inner();
    let org = &response.organizations[0];
    let names: Vec<&str> =
        org.evidence.as_ref().expect("evidence").score_parts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["text", "region", "kind"], "no fields, chains or TRL stated: no such parts");

    let response =
        matcher.match_need(pb::MatchNeedRequest { need_id: with_chain, limit: 5 }).await.expect("match").into_inner();
    let evidence = response.organizations[0].evidence.as_ref().expect("evidence");
    let industry = evidence.score_parts.iter().find(|p| p.name == "industry").expect("the need names chains");
    assert_eq!(industry.detail, "shared: 绿色钢铁");
    assert_eq!(evidence.shared_industries, ["green_steel"]);
    assert!(evidence.score_parts.iter().all(|p| p.detail != "shared: "), "{:?}", evidence.score_parts);
    let parts: f32 = evidence.score_parts.iter().map(|p| p.value).sum();
    assert!((parts - response.organizations[0].score).abs() < 1e-5);
}

#[tokio::test]
async fn evidence_has_no_generic_words_and_no_sub_word_false_matches() {
    let app = spawn_app().await;
    let (_, token) = app.tenant("湛江智能家电有限公司", OrganizationKind::Enterprise).await;
    let shrimp = app.create_org("雷州水产研究所", OrganizationKind::ResearchInstitute, "440882").await;
    let grid = app.create_org("粤西电力调度研究院", OrganizationKind::ResearchInstitute, "440802").await;
    app.add_capability(
        &shrimp,
        "基于深度学习的对虾病害识别方法研究",
        "本文提出一种基于深度学习的对虾病害图像识别方法，研究表明识别准确率高",
    )
    .await;
    app.add_capability(&grid, "国家电网调度自动化系统", "面向国家电网的调度自动化与负荷预测").await;
    let shrimp_need =
        app.post_need(&token, plain_need("基于深度学习的对虾病害识别方法研究", "研究一种对虾病害图像识别技术")).await;
    let appliance_need = app.post_need(&token, plain_need("家电调度自动化改造", "家电产线的调度自动化")).await;
    app.wait_for_index().await;
    let mut matcher = app.matcher(Some(&token)).await;

    let response =
        matcher.match_need(pb::MatchNeedRequest { need_id: shrimp_need, limit: 5 }).await.expect("match").into_inner();
    let top = &response.capabilities[0];
    let terms = &top.evidence.as_ref().expect("evidence").matched_terms;
    assert!(terms.iter().any(|t| t == "对虾") && terms.iter().any(|t| t == "深度学习"), "{terms:?}");
    for generic in ["一种", "基于", "方法", "研究", "技术"] {
        assert!(!terms.iter().any(|t| t == generic), "{generic} is generic: {terms:?}");
    }

    let response = matcher
        .match_need(pb::MatchNeedRequest { need_id: appliance_need, limit: 5 })
        .await
        .expect("match")
        .into_inner();
    let grid_match = response.capabilities.iter().find(|c| c.organization_id == grid).expect("调度自动化 fits");
    let terms = &grid_match.evidence.as_ref().expect("evidence").matched_terms;
    assert!(terms.iter().any(|t| t == "调度" || t == "自动化"), "{terms:?}");
    assert!(!terms.iter().any(|t| t == "家电"), "家电 only occurs inside 国家电网: {terms:?}");
}

#[tokio::test]
async fn a_need_of_generic_words_finds_no_partner_and_says_so() {
    let app = spawn_app().await;
    let (_, token) = app.tenant("湛江某科技公司", OrganizationKind::Enterprise).await;
    for (i, (title, description)) in TOPICS.iter().take(6).enumerate() {
        let org = app.create_org(&format!("第{i}技术研究院"), OrganizationKind::ResearchInstitute, "440802").await;
        app.add_capability(&org, &format!("{title}技术研究与开发"), &format!("开展{description}的技术研究与开发合作"))
            .await;
    }
    let generic = app.post_need(&token, plain_need("技术研究与开发合作", "寻求技术研究合作，开展研究开发")).await;
    let specific = app.post_need(&token, plain_need("预制菜冷链温控", "预制菜速冻与冷链物流温控")).await;
    app.wait_for_index().await;
    let mut matcher = app.matcher(Some(&token)).await;
    let response =
        matcher.match_need(pb::MatchNeedRequest { need_id: generic, limit: 5 }).await.expect("match").into_inner();
    assert!(response.organizations.is_empty(), "{:?}", response.organizations);
    assert!(response.capabilities.is_empty());
    assert!(response.note.contains("没有找到"), "{}", response.note);
    let response =
        matcher.match_need(pb::MatchNeedRequest { need_id: specific, limit: 5 }).await.expect("match").into_inner();
    assert!(!response.organizations.is_empty() && response.note.is_empty());
}

#[tokio::test]
async fn consortium_members_cover_only_what_their_evidence_is_about() {
    let app = spawn_app().await;
    let (lead, token) = app.tenant("湛江金鲳鱼养殖集团", OrganizationKind::Enterprise).await;
    let cage = app.create_org("南海网箱工程实验室", OrganizationKind::Laboratory, "440802").await;
    let feed = app.create_org("湛江水产饲料研究所", OrganizationKind::ResearchInstitute, "440802").await;
    app.add_capability(&cage, "抗风浪网箱设计", "深远海抗风浪网箱结构设计与锚泊系统").await;
    app.add_capability(&feed, "金鲳鱼饲料配方优化", "金鲳鱼高效饲料配方与营养需求").await;
    let mut need = plain_need("金鲳鱼深远海养殖", "深远海网箱养殖金鲳鱼，需要网箱与饲料配方两方面的合作");
    need.competencies = ["饲料配方设计", "抗风浪网箱"]
        .iter()
        .map(|c| pb::RequiredCompetency { name: (*c).into(), weight: 5 })
        .collect();
    let need = app.post_need(&token, need).await;
    app.wait_for_index().await;
    let response = app
        .matcher(Some(&token))
        .await
        .propose_consortia(pb::ProposeConsortiaRequest { need_id: need, constraints: None })
        .await
        .expect("consortia")
        .into_inner();
    let best = &response.consortia[0];
    let covers_of = |org: &str| -> Vec<String> {
        best.members
            .iter()
            .filter(|m| m.organization_id == org)
            .flat_map(|m| m.covers.iter().map(|c| c.competency.clone()))
            .collect()
    };
    assert_eq!(best.members[0].organization_id, lead);
    assert_eq!(covers_of(&cage), ["抗风浪网箱"], "设计 alone does not make 饲料配方设计");
    assert_eq!(covers_of(&feed), ["饲料配方设计"]);
    for consortium in &best.members {
        for covered in &consortium.covers {
            let evidence = covered.evidence.as_ref().expect("evidence");
            assert!(!evidence.matched_terms.is_empty() && !evidence.matched_terms.contains(&"设计".to_owned()));
            // No embedding model here: covered by words, and the evidence says so.
            assert!(evidence.score_parts.iter().all(|p| p.name != "semantic"));
            let text = evidence.score_parts.iter().find(|p| p.name == "text").expect("text part");
            assert!(
                text.detail.contains("of the competency's weighted words")
                    && text.detail.contains("lexical rule: semantic matching is off"),
                "{}",
                text.detail
            );
        }
    }
    let scores: Vec<f32> = response.consortia.iter().map(|c| c.score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "alternatives best first: {scores:?}");
}

#[tokio::test]
async fn consortia_with_chain_partners_include_an_upstream_firm_that_fits() {
    let app = spawn_app().await;
    let (_, token) = app.tenant("湛江绿色钢铁股份公司", OrganizationKind::Enterprise).await;
    let lab = app.create_org("东海岛氢冶金实验室", OrganizationKind::Laboratory, "440803").await;
    let pellets = app.create_org("湛江球团矿业有限公司", OrganizationKind::Enterprise, "440803").await;
    let unrelated = app.create_org("湛江预制菜食品公司", OrganizationKind::Enterprise, "440803").await;
    app.add_capability(&lab, "氢冶金竖炉直接还原", "氢基竖炉直接还原铁工艺与中试").await;
    app.add_capability(&pellets, "氧化球团生产", "高品位氧化球团生产与球团质量控制，供应直接还原用球团").await;
    app.add_capability(&unrelated, "预制菜中央厨房", "预制菜标准化生产").await;
    let need = app.post_need(&token, steel_need_with_competency("氢冶金")).await;
    app.wait_for_index().await;
    let response = app
        .matcher(Some(&token))
        .await
        .propose_consortia(pb::ProposeConsortiaRequest {
            need_id: need,
            constraints: Some(pb::ConsortiumConstraints { include_chain_enterprises: true, ..Default::default() }),
        })
        .await
        .expect("consortia")
        .into_inner();
    let best = &response.consortia[0];
    let chain: Vec<&pb::ConsortiumMember> =
        best.members.iter().filter(|m| m.role == pb::ConsortiumRole::ChainEnterprise as i32).collect();
    assert_eq!(chain.len(), 1, "{:?}", best.members);
    assert_eq!(chain[0].organization_id, pellets);
    assert!(chain[0].chain_position.starts_with("上游：球团"), "{}", chain[0].chain_position);
    assert!(best.members.iter().all(|m| m.organization_id != unrelated));
}

fn steel_need_with_competency(competency: &str) -> pb::TechNeed {
    let mut need = steel_need();
    need.competencies = vec![pb::RequiredCompetency { name: competency.into(), weight: 5 }];
    need
}
