//! How a candidate is scored against a need, and what the score means.
//!
//! # The scale
//! Every score lies in 0..=1 and means the same thing for every need, so an
//! assignment tool may compare one organization's scores across many needs:
//!
//! ```text
//! score = relevance × (1 − CONTEXT_SHARE) + relevance × CONTEXT_SHARE × context
//! ```
//!
//! - **relevance** (0..=1) says how much the need's text and the candidate's
//!   work are about the same thing: the TF-IDF cosine of the need's whole
//!   text with the capability (or, for an organization, see
//!   [`organization_relevance`]), mapped by [`relevance_score`] so that
//!   **0.5 means a clear common subject** (a cosine of
//!   [`RELEVANCE_HALF`], about what a paper shares with the typical
//!   abstracts of its own discipline), 0.8 a close fit and 0.95 near
//!   duplicates.
//! - **context** (0..=1) is the weighted mean of the parts the need gives
//!   information for: shared high-tech fields and industry chains (only when
//!   the need names some), TRL fit (only when both sides state a TRL),
//!   region preference and partner kind (always). A part the need says
//!   nothing about is left out, not counted as a constant.
//!
//! Context only moves a score within its relevance: no text fit, no score,
//! whatever the region. Each part's contribution is returned as a
//! [`ScorePart`]; the parts add up to the score.
//!
//! # The floor
//! A candidate none of whose capabilities reaches a cosine of
//! [`RELEVANCE_FLOOR`] with the need is not a partner at all, and a need made
//! only of generic words (技术研究与开发合作) shares nothing specific with
//! anyone: then the answer says that no good partner was found.

use innomatch_core::{
    model::{CapabilityKind, CooperationMode, OrganizationKind, TechNeed},
    taxonomy::{RegionTier, Taxonomy},
};
use innomatch_search::discriminant::Verdict;

/// Share of a score that the context can move (see the module docs).
pub const CONTEXT_SHARE: f32 = 0.3;

/// Relevance (a cosine) that reads as a score of 0.5.
pub const RELEVANCE_HALF: f32 = 0.1;

/// Cosine below which a candidate is no partner: two texts about different
/// subjects still share a few common words and character pairs.
pub const RELEVANCE_FLOOR: f32 = 0.03;

/// An organization's relevance blends its profile (all its capabilities read
/// as one text) and its depth (the mean cosine of its best capabilities).
/// The profile says what the organization works on as a whole; the depth
/// that it has several records that fit. Measured on the real-text dev set:
/// either alone ranked the right laboratory first less often than the blend,
/// and the best single record alone was the worst of all (one lucky record
/// beats a lab that works on the subject).
pub const PROFILE_SHARE: f32 = 0.5;

/// How many of an organization's best capabilities make its depth. Missing
/// ones count as 0, so one fitting record gives a fifth of the depth of
/// five; more than five add nothing, so volume alone does not win.
pub const DEPTH: usize = 5;

/// Weight of an organization's discriminant (a classifier telling its
/// capabilities from everyone else's, `innomatch_search::discriminant`)
/// beside the profile and depth blend. The discriminant adds how far the
/// need's decision value lies above −1, where a text like any other
/// organization's sits, so it adds nothing for an organization the need is
/// not like. The weight is the ratio of the two signals' spreads over
/// need–organization pairs on the real-text dev set (0.0195 for the blend,
/// 0.129 for decision values): a step of one spread moves a ranking as much
/// in either. It is weighed by the verdict's support (how much of a
/// capability's worth of text the need gives the classifier). Organizations
/// without a discriminant (a catalog below its minimum) rank on the blend
/// alone.
pub const DISCRIMINANT_WEIGHT: f32 = 0.15;

/// Weight of semantic similarity (a dense-embedding cosine above the need's
/// background, see `retrieval`) beside the lexical cosine, for plain cosines
/// of the embeddings: the ratio of the two scores' spreads over
/// need–organization pairs on the real-text dev set (0.019 for the lexical
/// blend, 0.014 for the semantic one), so a step of one spread in either
/// moves a ranking equally. Measured there, weights from 0.7 to 2 gave the
/// same gain; this is their unit, not a fitted optimum.
pub const SEMANTIC_WEIGHT: f32 = 1.4;

/// Weight of semantic similarity once the vector store measures it in its
/// organization-separating metric (`innomatch_search::vectors`), whose
/// similarities spread about 4.5 times wider (0.064 against 0.014 for the
/// lexical blend on the dev set): two of its spreads to one lexical spread.
/// Chosen on the dev set, where 0.3 to 0.7 ranked within half a point of it;
/// the metric carries more of the signal than the plain cosine did.
pub const METRIC_SEMANTIC_WEIGHT: f32 = 0.4;

/// The semantic weight for a store with or without its metric.
pub fn semantic_weight(metric: bool) -> f32 {
    if metric { METRIC_SEMANTIC_WEIGHT } else { SEMANTIC_WEIGHT }
}

/// The relevance of a candidate before it is put on the score's scale: the
/// lexical cosine (or blend, for an organization) plus the weighted
/// semantic similarity above the background, when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct RelevanceParts {
    pub lexical: f32,
    /// `weight × max(0, similarity − background)` (see [`semantic_weight`]); `None` when the
    /// texts are not embedded (no model, or not yet).
    pub semantic: Option<f32>,
    pub lexical_detail: String,
    pub semantic_detail: String,
}

impl RelevanceParts {
    /// The relevance in cosine units: what [`relevance_score`] maps.
    pub fn total(&self) -> f32 {
        self.lexical + self.semantic.unwrap_or(0.0)
    }
}

/// The score and its parts from relevance parts and context parts: like
/// [`combine`], with the relevance's share split between a `text` part and
/// a `semantic` part in proportion to what each contributed.
pub fn combine_parts(relevance: &RelevanceParts, context: &[ContextPart]) -> (f32, Vec<ScorePart>) {
    let total = relevance.total();
    let (score, mut parts) = combine(relevance_score(total), relevance.lexical_detail.clone(), context);
    if relevance.semantic.is_none() && !relevance.semantic_detail.is_empty() {
        // Say why there is no semantic part, where the relevance is explained.
        parts[0].detail = format!("{}; {}", parts[0].detail, relevance.semantic_detail);
    }
    if let Some(semantic) = relevance.semantic {
        let text_value = parts[0].value;
        let share = if total > 0.0 { semantic / total } else { 0.0 };
        parts[0].value = text_value * (1.0 - share);
        parts.insert(
            1,
            ScorePart { name: "semantic", value: text_value * share, detail: relevance.semantic_detail.clone() },
        );
    }
    (score, parts)
}

/// Relative weights of the context parts.
const WEIGHT_FIELD: f32 = 0.25;
const WEIGHT_INDUSTRY: f32 = 0.3;
const WEIGHT_TRL: f32 = 0.15;
const WEIGHT_REGION: f32 = 0.2;
const WEIGHT_KIND: f32 = 0.1;

/// One weighted part of a score, with the reason in words.
#[derive(Debug, Clone, PartialEq)]
pub struct ScorePart {
    pub name: &'static str,
    /// The part's contribution to the score.
    pub value: f32,
    pub detail: String,
}

/// The relevance of a cosine on the score's scale: 0 at 0, 0.5 at
/// [`RELEVANCE_HALF`], approaching 1.
pub fn relevance_score(cosine: f32) -> f32 {
    if cosine <= 0.0 {
        return 0.0;
    }
    1.0 - (-(cosine / RELEVANCE_HALF) * std::f32::consts::LN_2).exp()
}

/// An organization's lexical relevance from its profile cosine, the cosines
/// of its best capabilities (best first; see [`PROFILE_SHARE`] and
/// [`DEPTH`]) and its discriminant's decision value, when it has one (see
/// [`DISCRIMINANT_WEIGHT`]).
pub fn organization_relevance(profile: f32, best: &[f32], discriminant: Option<Verdict>) -> f32 {
    let depth = best.iter().take(DEPTH).sum::<f32>() / DEPTH as f32;
    let separation = discriminant.map_or(0.0, |v| DISCRIMINANT_WEIGHT * v.support * (v.decision + 1.0).clamp(0.0, 2.0));
    PROFILE_SHARE * profile + (1.0 - PROFILE_SHARE) * depth + separation
}

/// A context part before weighting: how well it fits (0..=1) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextPart {
    pub name: &'static str,
    pub weight: f32,
    pub fit: f32,
    pub detail: String,
}

/// What a candidate brings to the context parts.
#[derive(Debug, Clone, Copy)]
pub struct CandidateContext<'a> {
    pub high_tech_fields: &'a [String],
    pub industries: &'a [String],
    pub region_code: &'a str,
    pub trl: u32,
    pub organization_kind: OrganizationKind,
    pub capability_kind: Option<CapabilityKind>,
}

/// The context parts the need gives information for.
pub fn context_parts(need: &TechNeed, candidate: &CandidateContext<'_>) -> Vec<ContextPart> {
    let mut parts = Vec::new();
    if !need.high_tech_fields.is_empty() {
        let (fit, shared) = field_overlap(&need.high_tech_fields, candidate.high_tech_fields);
        let detail = if shared.is_empty() {
            format!("shares none of the need's fields ({})", labels(&need.high_tech_fields, field_name))
        } else {
            format!("shared: {}", labels(&shared, field_name))
        };
        parts.push(ContextPart { name: "high_tech_field", weight: WEIGHT_FIELD, fit, detail });
    }
    if !need.industries.is_empty() {
        let (fit, shared) = industry_overlap(&need.industries, candidate.industries);
        let detail = if shared.is_empty() {
            format!("shares none of the need's industry chains ({})", labels(&need.industries, industry_name))
        } else {
            format!("shared: {}", labels(&shared, industry_name))
        };
        parts.push(ContextPart { name: "industry", weight: WEIGHT_INDUSTRY, fit, detail });
    }
    if let Some((fit, detail)) = trl_fit(need.target_trl, candidate.trl) {
        parts.push(ContextPart { name: "trl", weight: WEIGHT_TRL, fit, detail });
    }
    let tier = region_tier(candidate.region_code);
    parts.push(ContextPart {
        name: "region",
        weight: WEIGHT_REGION,
        fit: region_score(tier),
        detail: tier_label(tier).to_owned(),
    });
    let (fit, detail) = kind_fit(&need.cooperation_modes, candidate.organization_kind, candidate.capability_kind);
    parts.push(ContextPart { name: "kind", weight: WEIGHT_KIND, fit, detail });
    parts
}

/// The score and its parts from a relevance (already on the score's scale)
/// and the context parts.
pub fn combine(relevance: f32, relevance_detail: String, context: &[ContextPart]) -> (f32, Vec<ScorePart>) {
    let relevance = relevance.clamp(0.0, 1.0);
    let total_weight: f32 = context.iter().map(|p| p.weight).sum();
    let mut parts =
        vec![ScorePart { name: "text", value: relevance * (1.0 - CONTEXT_SHARE), detail: relevance_detail }];
    for part in context {
        let share = if total_weight > 0.0 { part.weight / total_weight } else { 0.0 };
        parts.push(ScorePart {
            name: part.name,
            value: relevance * CONTEXT_SHARE * share * part.fit.clamp(0.0, 1.0),
            detail: part.detail.clone(),
        });
    }
    let score = parts.iter().map(|p| p.value).sum();
    (score, parts)
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

/// How well a capability's readiness fits the level the need targets, or
/// `None` when either side states no TRL (then it is no evidence either
/// way): at or above the target (or one below, closable in the project)
/// fits fully; each level further below costs a quarter.
pub fn trl_fit(target: u32, trl: u32) -> Option<(f32, String)> {
    match (target, trl) {
        (0, _) | (_, 0) => None,
        (t, c) if c + 1 >= t => Some((1.0, format!("TRL {c} reaches target {t}"))),
        (t, c) => {
            let gap = t - c;
            Some(((1.0 - 0.25 * (gap - 1) as f32).max(0.0), format!("TRL {c} is {gap} below target {t}")))
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
/// top-level field counts half.
pub fn field_overlap(need: &[String], candidate: &[String]) -> (f32, Vec<String>) {
    if need.is_empty() {
        return (0.0, Vec::new());
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
        return (0.0, Vec::new());
    }
    let shared: Vec<String> = need.iter().filter(|c| candidate.contains(c)).cloned().collect();
    (shared.len() as f32 / need.len() as f32, shared)
}

fn field_name(code: &str) -> String {
    Taxonomy::get().high_tech_field(code).map(|f| f.name.clone()).unwrap_or_else(|| code.to_owned())
}

fn industry_name(code: &str) -> String {
    Taxonomy::get().industry(code).map(|i| i.name.clone()).unwrap_or_else(|| code.to_owned())
}

fn labels(codes: &[String], name: fn(&str) -> String) -> String {
    codes.iter().map(|c| name(c)).collect::<Vec<_>>().join("、")
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
    fn trl_below_target_costs_per_level_and_unknown_trl_is_no_part() {
        assert_eq!(trl_fit(6, 7).map(|t| t.0), Some(1.0));
        assert_eq!(trl_fit(6, 5).map(|t| t.0), Some(1.0));
        assert_eq!(trl_fit(6, 4).map(|t| t.0), Some(0.75));
        assert_eq!(trl_fit(9, 1).map(|t| t.0), Some(0.0), "never negative");
        assert_eq!(trl_fit(0, 4), None);
        assert_eq!(trl_fit(6, 0), None);
    }

    #[test]
    fn organizations_gain_from_depth_not_volume() {
        let three_strong = organization_relevance(0.3, &[0.3, 0.28, 0.25], None);
        let one_lucky = organization_relevance(0.05, &[0.4], None);
        assert!(three_strong > one_lucky, "{three_strong} vs {one_lucky}");
        let five = organization_relevance(0.2, &[0.2; 5], None);
        assert_eq!(five, organization_relevance(0.2, &[0.2; 300], None), "more than five fitting records add nothing");
    }

    #[test]
    fn a_discriminant_adds_only_what_sets_the_need_apart_from_other_organizations() {
        let verdict = |decision, support| Some(Verdict { decision, support });
        let blend = organization_relevance(0.2, &[0.2; 5], None);
        assert_eq!(organization_relevance(0.2, &[0.2; 5], verdict(-1.0, 1.0)), blend, "like anybody else's: nothing");
        assert_eq!(organization_relevance(0.2, &[0.2; 5], verdict(-3.0, 1.0)), blend, "never less than the blend");
        let like_its_own = organization_relevance(0.2, &[0.2; 5], verdict(0.5, 1.0));
        assert!((like_its_own - blend - 1.5 * DISCRIMINANT_WEIGHT).abs() < 1e-6, "{like_its_own} vs {blend}");
        let few_words = organization_relevance(0.2, &[0.2; 5], verdict(0.5, 0.2));
        assert!((few_words - blend - 0.3 * DISCRIMINANT_WEIGHT).abs() < 1e-6, "a short text's verdict weighs less");
    }

    #[test]
    fn relevance_reads_one_half_at_the_documented_cosine() {
        assert!((relevance_score(RELEVANCE_HALF) - 0.5).abs() < 1e-6);
        assert_eq!(relevance_score(0.0), 0.0);
        assert!(relevance_score(1.0) > 0.99 && relevance_score(1.0) <= 1.0);
        assert!(relevance_score(0.2) > relevance_score(0.1));
    }

    fn context<'a>(fields: &'a [String], industries: &'a [String], region: &'a str) -> CandidateContext<'a> {
        CandidateContext {
            high_tech_fields: fields,
            industries,
            region_code: region,
            trl: 5,
            organization_kind: OrganizationKind::University,
            capability_kind: None,
        }
    }

    #[test]
    fn parts_the_need_says_nothing_about_are_left_out() {
        let need = TechNeed { title: "对虾养殖".into(), ..Default::default() };
        let fields = vec!["agriculture.aquaculture".to_owned()];
        let industries = vec!["shrimp".to_owned()];
        let parts = context_parts(&need, &context(&fields, &industries, "440802"));
        let names: Vec<&str> = parts.iter().map(|p| p.name).collect();
        assert_eq!(names, ["region", "kind"], "no fields, chains or TRL on the need: no such parts");
        let (score, parts) = combine(0.0, "no text fit".into(), &parts);
        assert_eq!(score, 0.0, "context never scores without relevance");
        assert!(parts.iter().all(|p| p.value == 0.0));
    }

    #[test]
    fn details_name_what_is_shared_or_what_is_missing() {
        let need = TechNeed {
            high_tech_fields: vec!["new_materials.metal".into()],
            industries: vec!["green_steel".into()],
            ..Default::default()
        };
        let none: Vec<String> = Vec::new();
        let parts = context_parts(&need, &context(&none, &none, "440802"));
        let industry = parts.iter().find(|p| p.name == "industry").expect("industry part");
        assert_eq!(industry.fit, 0.0);
        assert!(industry.detail.contains("绿色钢铁") && !industry.detail.starts_with("shared"), "{}", industry.detail);
        let steel = vec!["green_steel".to_owned()];
        let parts = context_parts(&need, &context(&none, &steel, "440802"));
        let industry = parts.iter().find(|p| p.name == "industry").expect("industry part");
        assert_eq!(industry.detail, "shared: 绿色钢铁");
    }

    #[test]
    fn parts_add_up_to_the_score_and_context_moves_it_within_relevance() {
        let need = TechNeed { industries: vec!["green_steel".into()], ..Default::default() };
        let steel = vec!["green_steel".to_owned()];
        let none: Vec<String> = Vec::new();
        let good = context_parts(&need, &context(&none, &steel, "440802"));
        let poor = context_parts(&need, &context(&none, &none, "110000"));
        let (high, parts) = combine(0.6, "text".into(), &good);
        let (low, _) = combine(0.6, "text".into(), &poor);
        assert!((parts.iter().map(|p| p.value).sum::<f32>() - high).abs() < 1e-6);
        assert!(high > low && high <= 0.6 + 1e-6 && low >= 0.6 * (1.0 - CONTEXT_SHARE) - 1e-6, "{high} {low}");
    }

    #[test]
    fn a_semantic_part_shares_the_relevance_and_an_absent_one_says_why() {
        let need = TechNeed::default();
        let none: Vec<String> = Vec::new();
        let context = context_parts(&need, &context(&none, &none, "440802"));
        let hybrid = RelevanceParts {
            lexical: 0.05,
            semantic: Some(0.05),
            lexical_detail: "cosine 0.050".into(),
            semantic_detail: "semantic similarity 0.87 (background 0.83)".into(),
        };
        let (score, parts) = combine_parts(&hybrid, &context);
        assert!((parts.iter().map(|p| p.value).sum::<f32>() - score).abs() < 1e-6);
        assert_eq!((parts[0].name, parts[1].name), ("text", "semantic"));
        assert!((parts[0].value - parts[1].value).abs() < 1e-6, "equal contributions, equal parts");
        assert!((score - combine(relevance_score(0.1), String::new(), &context).0).abs() < 1e-6);
        let lexical = RelevanceParts { semantic: None, semantic_detail: "lexical only".into(), ..hybrid };
        let (_, parts) = combine_parts(&lexical, &context);
        assert!(parts.iter().all(|p| p.name != "semantic"));
        assert!(parts[0].detail.ends_with("lexical only"), "{}", parts[0].detail);
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
