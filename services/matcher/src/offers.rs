//! Intermediary service proposals: which of the ten service categories a
//! need calls for (from phrases in its text, its cooperation modes and its
//! stage), and how well an agency's offer fits (category, region, industry,
//! capacity), each with its reason.

use innomatch_core::{
    auth::Principal,
    model::{CooperationMode, Organization, ServiceCategory, ServiceOffer, TechNeed},
    taxonomy::Taxonomy,
};

use crate::{
    Matcher, MatcherError,
    answers::{ServiceProposal, ServicesProposal},
    matcher::Organizations,
};

/// Most offers considered per service category.
const OFFERS_PER_CATEGORY: u32 = 500;

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
        for category in &inferred {
            for offer in self.catalog.offers_in_category(category.category, OFFERS_PER_CATEGORY).await? {
                let Some(org) = organizations.active(self.catalog.as_ref(), &offer.meta.organization_id).await else {
                    continue;
                };
                proposals.push(service_proposal(need, category, &offer, &org));
            }
        }
        proposals.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.offer_id.cmp(&b.offer_id)));
        proposals.truncate(limit);
        Ok(ServicesProposal { inferred, proposals })
    }
}

impl Matcher {
    /// How well one offer fits a need (as in [`Matcher::services_for`]):
    /// `None` when the need calls for none of the offer's category or the
    /// offer's agency is archived.
    pub async fn offer_fit(&self, need: &TechNeed, offer: &ServiceOffer) -> Option<f32> {
        let category = infer_categories(need).into_iter().find(|c| Some(c.category) == offer.category)?;
        let org = Organizations::default().active(self.catalog.as_ref(), &offer.meta.organization_id).await?;
        Some(service_proposal(need, &category, offer, &org).score)
    }
}

fn service_proposal(
    need: &TechNeed,
    category: &InferredCategory,
    offer: &ServiceOffer,
    org: &Organization,
) -> ServiceProposal {
    let fit = offer_fit(need, category, offer);
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
/// a category the need clearly calls for (strength 1 gives 0.5) plus at
/// least part of region, industry and capacity.
pub const OFFER_WEIGHT_CATEGORY: f32 = 0.5;
pub const OFFER_WEIGHT_REGION: f32 = 0.2;
pub const OFFER_WEIGHT_INDUSTRY: f32 = 0.2;
pub const OFFER_WEIGHT_CAPACITY: f32 = 0.1;
/// Monthly capacity from which an offer counts as fully able to take more work.
const FULL_MONTHLY_CAPACITY: f32 = 20.0;

/// An offer's fit for a need in a category the need calls for.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferFit {
    pub score: f32,
    pub reasons: Vec<String>,
}

pub fn offer_fit(need: &TechNeed, inferred: &InferredCategory, offer: &ServiceOffer) -> OfferFit {
    let taxonomy = Taxonomy::get();
    let mut reasons = inferred.reasons.clone();
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
        let fit = offer_fit(&n, inferred, &local);
        assert!(fit.score > offer_fit(&n, inferred, &distant).score);
        assert!(fit.reasons.iter().any(|r| r.contains("湛江市")), "{:?}", fit.reasons);
    }
}
