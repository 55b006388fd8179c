//! How a candidate is scored against a need: additive, explainable parts
//! (text relevance, shared high-tech fields and industry chains, TRL fit,
//! region preference, organization kind fit), each weighted, and how an
//! organization's score is built from its capabilities.

use innomatch_core::{
    model::{CapabilityKind, CooperationMode, OrganizationKind},
    taxonomy::{RegionTier, Taxonomy},
};

/// Weights of the score parts; they sum to 1 so a score lies in 0..=1.
pub const WEIGHT_TEXT: f32 = 0.45;
pub const WEIGHT_FIELD: f32 = 0.12;
pub const WEIGHT_INDUSTRY: f32 = 0.15;
pub const WEIGHT_TRL: f32 = 0.08;
pub const WEIGHT_REGION: f32 = 0.12;
pub const WEIGHT_KIND: f32 = 0.08;

/// One weighted part of a score, with the reason in words.
#[derive(Debug, Clone, PartialEq)]
pub struct ScorePart {
    pub name: &'static str,
    /// The weighted contribution to the score.
    pub value: f32,
    pub detail: String,
}

/// The plan's preference order: the city, then the Greater Bay Area and
/// Hainan, then the rest of Guangdong, then the rest of China.
pub fn region_score(tier: Option<RegionTier>) -> f32 {
    match tier {
        Some(RegionTier::City) => 1.0,
        Some(RegionTier::GreaterBayArea | RegionTier::Hainan) => 0.75,
        Some(RegionTier::Guangdong) => 0.5,
        Some(RegionTier::China) => 0.3,
        None => 0.2,
    }
}

pub fn region_tier(code: &str) -> Option<RegionTier> {
    Taxonomy::get().region(code).map(|r| r.tier)
}

pub fn tier_label(tier: Option<RegionTier>) -> &'static str {
    match tier {
        Some(RegionTier::City) => "湛江市内",
        Some(RegionTier::GreaterBayArea) => "粤港澳大湾区",
        Some(RegionTier::Hainan) => "海南",
        Some(RegionTier::Guangdong) => "省内其他地区",
        Some(RegionTier::China) => "国内其他地区",
        None => "地区未知",
    }
}

/// How well a capability's readiness fits the level the need targets: at or
/// above the target (or one below, closable in the project) fits fully;
/// each level further below costs a quarter.
pub fn trl_fit(target: u32, trl: u32) -> (f32, String) {
    match (target, trl) {
        (0, _) | (_, 0) => (0.5, "TRL unspecified".to_owned()),
        (t, c) if c + 1 >= t => (1.0, format!("TRL {c} reaches target {t}")),
        (t, c) => {
            let gap = t - c;
            ((1.0 - 0.25 * (gap - 1) as f32).max(0.0), format!("TRL {c} is {gap} below target {t}"))
        }
    }
}

/// Which kind of partner the need's cooperation modes call for.
pub fn kind_fit(modes: &[CooperationMode], org: OrganizationKind, capability: Option<CapabilityKind>) -> (f32, String) {
    let wants_equipment = modes.contains(&CooperationMode::EquipmentSharing);
    if wants_equipment && capability == Some(CapabilityKind::Instrument) {
        return (1.0, "shared instrument for an equipment-sharing need".to_owned());
    }
    let research_modes = [
        CooperationMode::JointDevelopment,
        CooperationMode::CommissionedDevelopment,
        CooperationMode::TechTransfer,
        CooperationMode::TechLicensing,
        CooperationMode::JointPlatform,
    ];
    let wants_research = modes.is_empty() || modes.iter().any(|m| research_modes.contains(m));
    match (org.is_academic(), wants_research) {
        (true, true) => (1.0, format!("{org} for research cooperation")),
        (true, false) => (0.7, format!("{org}")),
        (false, _) if org == OrganizationKind::Enterprise => (0.6, "enterprise partner".to_owned()),
        (false, _) => (0.3, format!("{org} is not a research partner")),
    }
}

/// Shared codes between a need and a candidate; a sub-field sharing only its
/// top-level field counts half. Without codes on the need the part is neutral.
pub fn field_overlap(need: &[String], candidate: &[String]) -> (f32, Vec<String>) {
    if need.is_empty() {
        return (0.5, Vec::new());
    }
    let taxonomy = Taxonomy::get();
    let top =
        |code: &str| taxonomy.high_tech_field(code).map(|f| f.top_level.clone()).unwrap_or_else(|| code.to_owned());
    let mut total = 0.0;
    let mut shared = Vec::new();
    for code in need {
        if candidate.contains(code) {
            total += 1.0;
            shared.push(code.clone());
        } else if candidate.iter().any(|c| top(c) == top(code)) {
            total += 0.5;
            shared.push(top(code));
        }
    }
    shared.dedup();
    ((total / need.len() as f32).min(1.0), shared)
}

pub fn industry_overlap(need: &[String], candidate: &[String]) -> (f32, Vec<String>) {
    if need.is_empty() {
        return (0.5, Vec::new());
    }
    let shared: Vec<String> = need.iter().filter(|c| candidate.contains(c)).cloned().collect();
    (shared.len() as f32 / need.len() as f32, shared)
}

/// Weights of an organization's best capabilities, best first: the best
/// counts most, a few more strong ones add depth, the rest nothing.
const DEPTH_WEIGHTS: [f32; 4] = [1.0, 0.3, 0.15, 0.075];

/// An organization's score from its capabilities' scores. Only the four best
/// count, with falling weights, normalized so that four perfect capabilities
/// give 1: a lab with 300 records is not favoured over one with 3 for volume,
/// only for having several that fit (one perfect fit alone gives 0.66).
pub fn organization_score(capability_scores: &[f32]) -> f32 {
    let mut sorted: Vec<f32> = capability_scores.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let total: f32 = DEPTH_WEIGHTS.iter().sum();
    let sum: f32 = sorted.iter().zip(DEPTH_WEIGHTS).map(|(s, w)| s * w).sum();
    sum / total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_city_is_preferred_then_the_bay_area_and_hainan() {
        let order = ["440802", "440300", "460100", "440900", "110000"].map(|c| region_score(region_tier(c)));
        assert!(order.windows(2).all(|w| w[0] >= w[1]), "{order:?}");
        assert_eq!(region_score(region_tier("440300")), region_score(region_tier("460000")));
    }

    #[test]
    fn trl_below_target_costs_per_level() {
        assert_eq!(trl_fit(6, 7).0, 1.0);
        assert_eq!(trl_fit(6, 5).0, 1.0);
        assert_eq!(trl_fit(6, 4).0, 0.75);
        assert_eq!(trl_fit(0, 4).0, 0.5);
        assert_eq!(trl_fit(9, 1).0, 0.0, "never negative");
    }

    #[test]
    fn organization_scores_reward_fit_not_volume() {
        let three_strong = organization_score(&[0.9, 0.85, 0.8]);
        let mut many_weak = vec![0.3; 300];
        many_weak.push(0.5);
        let many_weak = organization_score(&many_weak);
        assert!(three_strong > many_weak, "{three_strong} vs {many_weak}");
        assert!(organization_score(&[0.9, 0.85, 0.8]) > organization_score(&[0.9]), "depth counts");
        assert!((organization_score(&[1.0; 10]) - 1.0).abs() < 1e-6, "bounded by 1");
    }

    #[test]
    fn overlaps_count_shared_codes_and_half_for_a_shared_top_field() {
        let need = vec!["new_materials.metal".to_owned(), "environment.carbon".to_owned()];
        let (score, shared) =
            field_overlap(&need, &["new_materials.polymer".to_owned(), "environment.carbon".to_owned()]);
        assert_eq!(score, 0.75);
        assert_eq!(shared, ["new_materials", "environment.carbon"]);
        assert_eq!(industry_overlap(&["shrimp".into()], &["shrimp".into(), "oyster".into()]).0, 1.0);
    }
}
