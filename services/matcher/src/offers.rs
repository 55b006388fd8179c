//! Intermediary service proposals: which of the ten service categories a
//! need calls for (from phrases in its text, its cooperation modes and its
//! stage), and how well an agency's offer fits: its own text against the
//! need's (the gate, see [`OFFER_TEXT_FLOOR`]), then category, region,
//! industry and capacity, each with its reason.
//!
//! An offer's text fits when it shares the need's subject, lexically or by
//! meaning, in the units partners are scored in: the TF-IDF cosine of the
//! two texts (on the corpus's IDF, whether or not they are indexed yet),
//! counted only when they share a specific word that does not
//! name a kind of service (a shrimp-testing offer and a steel-inspection
//! need share 检测, which says only that both are about testing: the
//! category part already counts that), plus the weighted dense similarity of
//! the offer to the need's stored vector above the need's background.

use innomatch_core::{
    auth::Principal,
    model::{CooperationMode, Organization, Record, ServiceCategory, ServiceOffer, TechNeed},
    taxonomy::Taxonomy,
};
use innomatch_search::relevance::{self, TextVector};

use crate::{
    Matcher, MatcherError,
    answers::{ServiceProposal, ServicesProposal},
    matcher::Organizations,
    retrieval::Semantics,
    scoring::{RELEVANCE_FLOOR, relevance_score},
};

/// Most offers considered per service category.
const OFFERS_PER_CATEGORY: u32 = 500;

/// An offer is proposed only when its text fits the need: by words, a
/// shared subject word and a cosine at the partners' floor
/// ([`RELEVANCE_FLOOR`]); or by meaning, a semantic part of at least this
/// on the partners' relevance scale (0.5 is a clear common subject): a
/// cosine-unit relevance of 0.074. Measured with e5 on a galvanized-steel
/// vision-inspection need, testing offers about shrimp or prepared dishes
/// had weighted similarities of 0.054–0.055 above the background (0.31 on
/// the scale), a metal-coating testing offer 0.106 (0.52).
pub const OFFER_TEXT_FLOOR: f32 = 0.4;

/// Shared words a text-fit reason names (a lead's reason is short).
const SHARED_WORDS_SHOWN: usize = 6;

/// The need as its offers are compared with it: its text's vector and its
/// stored dense vector.
struct NeedText {
    text: String,
    vector: TextVector,
    semantics: Semantics,
}

impl Matcher {
    /// Intermediary offers for a need, ranked, each with its reasons.
    pub async fn propose_services(
        &self,
        principal: &Principal,
        need_id: &str,
        limit: usize,
    ) -> Result<ServicesProposal, MatcherError> {
        let view = self.need(principal, need_id).await?;
        self.services_for(&view.need, limit).await
    }

    /// Service proposals for a need already loaded (auto-matching uses this).
    pub async fn services_for(&self, need: &TechNeed, limit: usize) -> Result<ServicesProposal, MatcherError> {
        let inferred = infer_categories(need);
        let mut organizations = Organizations::default();
        let mut proposals = Vec::new();
        // Analysed once, and only when some offer is in a category called for.
        let mut need_text: Option<NeedText> = None;
        for category in &inferred {
            for offer in self.catalog.offers_in_category(category.category, OFFERS_PER_CATEGORY).await? {
                if need_text.is_none() {
                    need_text = Some(self.need_text(need).await?);
                }
                let Some(need_text) = &need_text else { continue };
                let text = self.text_fit(need_text, &offer).await?;
                if !text.fits {
                    continue;
                }
                let Some(org) = organizations.active(self.catalog.as_ref(), &offer.meta.organization_id).await else {
                    continue;
                };
                proposals.push(service_proposal(need, category, &offer, &org, &text));
            }
        }
        proposals.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.offer_id.cmp(&b.offer_id)));
        proposals.truncate(limit);
        Ok(ServicesProposal { inferred, proposals })
    }

    /// How well one offer fits a need (as in [`Matcher::services_for`]):
    /// `None` when the need calls for none of the offer's category, the
    /// offer's text does not fit the need, or the offer's agency is archived.
    pub async fn offer_fit(&self, need: &TechNeed, offer: &ServiceOffer) -> Option<f32> {
        let category = infer_categories(need).into_iter().find(|c| Some(c.category) == offer.category)?;
        let need_text = self.need_text(need).await.ok()?;
        let text = self.text_fit(&need_text, offer).await.ok()?;
        if !text.fits {
            return None;
        }
        let org = Organizations::default().active(self.catalog.as_ref(), &offer.meta.organization_id).await?;
        Some(service_proposal(need, &category, offer, &org, &text).score)
    }

    async fn need_text(&self, need: &TechNeed) -> Result<NeedText, MatcherError> {
        let text = relevance::record_text(&Record::Need(need.clone())).unwrap_or_default();
        let vector = self.retrieval.vector(text.clone()).await?;
        Ok(NeedText { text, vector, semantics: self.retrieval.semantics_of(&need.meta.id) })
    }

    /// How well an offer's own text fits the need (see the module docs).
    async fn text_fit(&self, need: &NeedText, offer: &ServiceOffer) -> Result<TextFit, MatcherError> {
        let text = relevance::record_text(&Record::Offer(offer.clone())).unwrap_or_default();
        // Neither text need be indexed yet: auto-matching may see a need
        // before the index does.
        let cosine = self.retrieval.text_cosine(need.text.clone(), text.clone()).await?;
        let (terms, _) = self.retrieval.evidence_words(&need.vector, &text);
        let shared: Vec<String> = terms.into_iter().filter(|t| !names_a_service(t)).collect();
        let semantic = self.retrieval.semantic(&need.semantics, &offer.meta.id);
        let lexical = if shared.is_empty() { 0.0 } else { cosine };
        let score = relevance_score(lexical + semantic.map_or(0.0, |(weighted, _)| weighted));
        // Fits by words (a shared subject word and the partners' floor) or
        // by meaning (the offer floor on the semantic part alone).
        let by_words = lexical >= RELEVANCE_FLOOR;
        let by_meaning = semantic.is_some_and(|(weighted, _)| relevance_score(weighted) >= OFFER_TEXT_FLOOR);
        let words = if shared.is_empty() {
            "除服务类别用词外没有共同词".to_owned()
        } else {
            let shown: Vec<&str> = shared.iter().take(SHARED_WORDS_SHOWN).map(String::as_str).collect();
            format!("共同词：{}（文本余弦 {cosine:.3}）", shown.join("、"))
        };
        let meaning = match (&need.semantics, semantic) {
            (Semantics::Ready { background, .. }, Some((_, similarity))) => {
                format!("语义相似度 {similarity:.3}（背景 {background:.3}）")
            }
            (Semantics::Ready { .. }, None) => "仅按词面：服务的语义向量尚在计算".to_owned(),
            (Semantics::Pending, _) => "仅按词面：需求的语义向量尚在计算".to_owned(),
            (Semantics::Off | Semantics::Unused, _) => "仅按词面：未启用语义匹配（未安装嵌入模型或已关闭）".to_owned(),
        };
        Ok(TextFit {
            score, fits: by_words || by_meaning, reason: format!("内容契合 {score:.2}：{words}；{meaning}")
        })
    }
}

/// Whether a word names a kind of service (a category's name, one of its
/// trigger phrases, or a part or extension of one: 检测, 检测报告, 检验检测):
/// words both sides use when both are about the same service, not a subject.
fn names_a_service(word: &str) -> bool {
    let word = word.to_lowercase();
    Taxonomy::get().service_categories().iter().any(|c| {
        std::iter::once(&c.name)
            .chain(c.triggers.iter())
            .any(|v| word.contains(v.as_str()) || v.contains(word.as_str()))
    })
}

/// How well an offer's own text fits a need: on the partners' relevance
/// scale (0..1), with the reason in words (shared words, the semantic
/// similarity, or why there is none).
#[derive(Debug, Clone, PartialEq)]
pub struct TextFit {
    pub score: f32,
    /// Whether the offer may be proposed at all (see [`OFFER_TEXT_FLOOR`]).
    pub fits: bool,
    pub reason: String,
}

fn service_proposal(
    need: &TechNeed,
    category: &InferredCategory,
    offer: &ServiceOffer,
    org: &Organization,
    text: &TextFit,
) -> ServiceProposal {
    let fit = offer_fit(need, category, offer, text);
    ServiceProposal {
        offer_id: offer.meta.id.clone(),
        organization_id: org.meta.id.clone(),
        organization_name: org.name.clone(),
        category: category.category,
        title: offer.title.clone(),
        score: fit.score,
        reasons: fit.reasons,
    }
}

/// A category the need calls for, how strongly (0..=1) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct InferredCategory {
    pub category: ServiceCategory,
    pub strength: f32,
    pub reasons: Vec<String>,
}

/// Budgets from this amount up suggest technology finance.
const FINANCE_BUDGET_YUAN: i64 = 5_000_000;
/// Targets from this TRL up are pilot or production stage: testing and certification follow.
const TESTING_TRL: u32 = 7;

fn category_name(category: ServiceCategory) -> String {
    Taxonomy::get()
        .service_categories()
        .iter()
        .find(|c| c.category == category)
        .map(|c| c.name.clone())
        .unwrap_or_else(|| category.code().to_owned())
}

/// The categories a need calls for, strongest first (ties in category order).
pub fn infer_categories(need: &TechNeed) -> Vec<InferredCategory> {
    let mut found: Vec<InferredCategory> = Vec::new();
    let mut add = |category: ServiceCategory, strength: f32, reason: String| match found
        .iter_mut()
        .find(|f| f.category == category)
    {
        Some(existing) => {
            existing.strength = existing.strength.max(strength);
            if !existing.reasons.contains(&reason) {
                existing.reasons.push(reason);
            }
        }
        None => found.push(InferredCategory { category, strength, reasons: vec![reason] }),
    };
    let text = format!("{} {} {}", need.title, need.description, need.keywords.join(" "));
    for info in Taxonomy::get().service_categories() {
        for trigger in &info.triggers {
            if text.contains(trigger.as_str()) {
                add(info.category, 1.0, format!("{}：需求提到“{trigger}”", info.name));
            }
        }
    }
    for mode in &need.cooperation_modes {
        let implied: &[(ServiceCategory, f32)] = match mode {
            CooperationMode::TechTransfer | CooperationMode::TechLicensing => {
                &[(ServiceCategory::TechEvaluationTransaction, 0.7), (ServiceCategory::IntellectualProperty, 0.5)]
            }
            CooperationMode::TechConsulting => &[(ServiceCategory::Consulting, 0.7)],
            CooperationMode::EquipmentSharing | CooperationMode::JointPlatform => {
                &[(ServiceCategory::ResourceMatching, 0.6)]
            }
            CooperationMode::CommissionedDevelopment => &[(ServiceCategory::RdCrowdsourcing, 0.5)],
            CooperationMode::JointDevelopment => &[(ServiceCategory::ResourceMatching, 0.5)],
            CooperationMode::TechService => &[(ServiceCategory::TestingInspection, 0.4)],
        };
        for &(category, strength) in implied {
            add(category, strength, format!("{}：合作方式为{mode}", category_name(category)));
        }
    }
    if need.target_trl >= TESTING_TRL {
        add(
            ServiceCategory::TestingInspection,
            0.4,
            format!(
                "{}：目标TRL {} 已到中试/产业化阶段",
                category_name(ServiceCategory::TestingInspection),
                need.target_trl
            ),
        );
    }
    if need.budget.max_yuan >= FINANCE_BUDGET_YUAN {
        add(
            ServiceCategory::TechFinance,
            0.4,
            format!("{}：预算上限 {} 万元", category_name(ServiceCategory::TechFinance), need.budget.max_yuan / 10_000),
        );
    }
    found.sort_by(|a, b| b.strength.total_cmp(&a.strength).then_with(|| a.category.cmp(&b.category)));
    found
}

/// Weights of an offer's fit; they sum to 1, so a fit lies in 0..=1 and
/// `auto::AUTO_LEAD_MIN_SCORE` (0.6) reads on the same scale: a lead needs
/// a category the need clearly calls for (strength 1 gives 0.4) and a text
/// that fits (a clear common subject, 0.5, gives 0.15) plus at least part
/// of region, industry and capacity.
pub const OFFER_WEIGHT_CATEGORY: f32 = 0.4;
pub const OFFER_WEIGHT_TEXT: f32 = 0.3;
pub const OFFER_WEIGHT_REGION: f32 = 0.15;
pub const OFFER_WEIGHT_INDUSTRY: f32 = 0.1;
pub const OFFER_WEIGHT_CAPACITY: f32 = 0.05;
/// Monthly capacity from which an offer counts as fully able to take more work.
const FULL_MONTHLY_CAPACITY: f32 = 20.0;

/// An offer's fit for a need in a category the need calls for.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferFit {
    pub score: f32,
    pub reasons: Vec<String>,
}

pub fn offer_fit(need: &TechNeed, inferred: &InferredCategory, offer: &ServiceOffer, text: &TextFit) -> OfferFit {
    let taxonomy = Taxonomy::get();
    let mut reasons = inferred.reasons.clone();
    reasons.push(text.reason.clone());
    let need_regions: Vec<String> =
        taxonomy.region_with_ancestors(&need.region_code).iter().map(|r| r.code.clone()).collect();
    let region = if offer.regions_served.is_empty() {
        0.6
    } else if let Some(served) = offer.regions_served.iter().find(|r| need_regions.contains(r)) {
        reasons.push(format!("服务地区覆盖{}", taxonomy.region(served).map(|r| r.name.as_str()).unwrap_or(served)));
        1.0
    } else {
        0.2
    };
    let shared: Vec<&String> = offer.industries_served.iter().filter(|i| need.industries.contains(i)).collect();
    let industry = if !shared.is_empty() {
        let names: Vec<&str> = shared.iter().filter_map(|i| taxonomy.industry(i).map(|x| x.name.as_str())).collect();
        reasons.push(format!("服务产业：{}", names.join("、")));
        1.0
    } else if offer.industries_served.is_empty() {
        0.5
    } else {
        0.2
    };
    let capacity = match offer.monthly_capacity {
        0 => 0.5,
        n => {
            reasons.push(format!("每月可承接 {n} 项"));
            (n as f32 / FULL_MONTHLY_CAPACITY).min(1.0)
        }
    };
    let score = OFFER_WEIGHT_CATEGORY * inferred.strength
        + OFFER_WEIGHT_TEXT * text.score
        + OFFER_WEIGHT_REGION * region
        + OFFER_WEIGHT_INDUSTRY * industry
        + OFFER_WEIGHT_CAPACITY * capacity;
    OfferFit { score, reasons }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(text: &str) -> TechNeed {
        TechNeed { title: text.into(), region_code: "440803".into(), ..Default::default() }
    }

    #[test]
    fn each_category_is_triggered_by_a_real_phrase() {
        let cases = [
            ("预制菜企业发展战略咨询", ServiceCategory::Consulting),
            ("对虾养殖技术员培训", ServiceCategory::Training),
            ("寻找产学研合作对接渠道", ServiceCategory::ResourceMatching),
            ("参加创新大赛和项目路演", ServiceCategory::InnovationEvents),
            ("氢冶金专利技术转让评估", ServiceCategory::TechEvaluationTransaction),
            ("揭榜挂帅研发众包海上风电防腐", ServiceCategory::RdCrowdsourcing),
            ("预制菜微生物检测与认证", ServiceCategory::TestingInspection),
            ("高企认定申报辅导", ServiceCategory::PolicyServices),
            ("海洋药物专利布局", ServiceCategory::IntellectualProperty),
            ("智能家电产线升级融资贷款", ServiceCategory::TechFinance),
        ];
        for (text, expected) in cases {
            let inferred = infer_categories(&need(text));
            assert!(inferred.iter().any(|c| c.category == expected && c.strength == 1.0), "{text}: {inferred:?}");
        }
    }

    #[test]
    fn modes_and_stage_imply_categories_with_reasons() {
        let mut n = need("火龙果采后保鲜");
        n.cooperation_modes = vec![CooperationMode::TechTransfer];
        n.target_trl = 8;
        let inferred = infer_categories(&n);
        let codes: Vec<ServiceCategory> = inferred.iter().map(|c| c.category).collect();
        assert_eq!(
            codes,
            [
                ServiceCategory::TechEvaluationTransaction,
                ServiceCategory::IntellectualProperty,
                ServiceCategory::TestingInspection
            ]
        );
        assert!(inferred[2].reasons[0].contains("TRL 8"));
    }

    #[test]
    fn offers_serving_the_region_and_industry_fit_better() {
        let mut n = need("预制菜检测");
        n.industries = vec!["prepared_dishes".into()];
        let inferred = &infer_categories(&n)[0];
        let local = ServiceOffer {
            category: Some(ServiceCategory::TestingInspection),
            regions_served: vec!["440800".into()],
            industries_served: vec!["prepared_dishes".into()],
            monthly_capacity: 30,
            ..Default::default()
        };
        let distant = ServiceOffer {
            regions_served: vec!["110000".into()],
            industries_served: vec!["green_steel".into()],
            ..local.clone()
        };
        let text = TextFit { score: 0.8, fits: true, reason: "内容契合 0.80".into() };
        let fit = offer_fit(&n, inferred, &local, &text);
        assert!(fit.score > offer_fit(&n, inferred, &distant, &text).score);
        assert!(fit.reasons.iter().any(|r| r.contains("湛江市")), "{:?}", fit.reasons);
        let closer = TextFit { score: 0.95, ..text.clone() };
        assert!(offer_fit(&n, inferred, &local, &closer).score > fit.score, "the text fit ranks too");
        assert!(fit.reasons.contains(&text.reason));
    }

    #[test]
    fn words_naming_a_service_are_no_common_subject() {
        for word in ["检测", "检测报告", "检验检测", "检验", "融资", "专利", "咨询"] {
            assert!(names_a_service(word), "{word}");
        }
        for word in ["镀锌", "对虾", "表面缺陷", "预制菜", "微生物"] {
            assert!(!names_a_service(word), "{word}");
        }
    }

    #[tokio::test]
    async fn semantics_alone_can_fit_an_offer_and_a_distant_one_is_not_proposed() {
        use std::sync::Arc;

        use innomatch_core::model::{OrganizationKind, RecordKind, Role};
        use innomatch_search::{index::SearchIndex, vectors::VectorStore};

        let admin = Principal { token_id: "tok_admin".into(), organization_id: None, role: Role::Admin };
        let (store, catalog) = crate::test_support::in_memory_catalog().await;
        let create = async |record: Record, owner: &str| -> String {
            catalog.create(&admin, record, owner).await.expect("create").meta().id.clone()
        };
        let org = |name: &str, kind: OrganizationKind| {
            Record::Organization(Organization {
                name: name.into(),
                kind: Some(kind),
                region_code: "440802".into(),
                ..Default::default()
            })
        };
        let lead = create(org("湛江冷轧镀锌板有限公司", OrganizationKind::Enterprise), "").await;
        let agency = create(org("粤西检测中心", OrganizationKind::IntermediaryAgency), "").await;
        let offer = |title: &str| {
            Record::Offer(ServiceOffer {
                category: Some(ServiceCategory::TestingInspection),
                title: title.into(),
                ..Default::default()
            })
        };
        // Neither offer shares a word with the need but 检验检测.
        let coatings = create(offer("涂镀层板材质量检验检测"), &agency).await;
        let shrimp = create(offer("对虾产品检验检测"), &agency).await;
        let need = TechNeed { title: "镀锌钢板表面缺陷视觉检测".into(), ..Default::default() };
        let need_id = create(Record::Need(need), &lead).await;
        let index = Arc::new(SearchIndex::in_ram().expect("index"));
        index.apply(&store.changes_after(0, 100).await.expect("changes")).expect("apply");
        let unit = |v: [f32; 3]| -> Arc<[f32]> {
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter().map(|x| x / n).collect::<Vec<_>>().into()
        };
        let vectors = Arc::new(VectorStore::in_memory("test", 3).expect("vectors"));
        vectors.set_reference(vec![unit([0.0, 0.0, 1.0])]);
        vectors.set(&need_id, RecordKind::Need, &lead, Some(unit([1.0, 0.0, 0.0])));
        vectors.set(&coatings, RecordKind::ServiceOffer, &agency, Some(unit([1.0, 0.0, 0.3])));
        vectors.set(&shrimp, RecordKind::ServiceOffer, &agency, Some(unit([0.0, 1.0, 0.0])));

        let semantic = Matcher::new(catalog.clone(), Arc::clone(&index)).with_vectors(vectors);
        let proposal = semantic.propose_services(&admin, &need_id, 5).await.expect("services");
        let offers: Vec<&str> = proposal.proposals.iter().map(|p| p.offer_id.as_str()).collect();
        assert_eq!(offers, [coatings.as_str()], "{proposal:?}");
        let fit = proposal.proposals[0].reasons.iter().find(|r| r.starts_with("内容契合")).expect("the text fit");
        assert!(fit.contains("除服务类别用词外没有共同词") && fit.contains("语义相似度"), "{fit}");
        // Lexical only, neither fits: they share nothing but the service's name.
        let lexical = Matcher::new(catalog, index);
        assert!(lexical.propose_services(&admin, &need_id, 5).await.expect("services").proposals.is_empty());
    }
}
