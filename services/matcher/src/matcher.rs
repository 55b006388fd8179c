//! The matching domain API: partners for a need (capabilities and
//! organizations, each with evidence), affinity of given organizations,
//! needs for a capability, consortium proposals and service proposals.
//! Retrieval is a search-index query over the need's terms; scoring is in
//! `scoring`, the consortium algorithm in `consortium`, services in `services`.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Arc,
};

use innomatch_catalog::{Catalog, CatalogError};
use innomatch_core::{
    auth::Principal,
    model::{
        Capability, Organization, OrganizationKind, Record, RecordKind, RecordStatus, ServiceCategory, ServiceOffer,
        TechNeed, Visibility,
    },
    taxonomy::RegionTier,
};
use innomatch_search::{
    index::{Filters, Hit, SearchIndex, SearchRequest},
    query::Clause,
};

use crate::{
    consortium::{Candidate, Problem},
    scoring::*,
    services::{InferredCategory, infer_categories, offer_fit},
};

/// Capabilities retrieved per need before scoring.
const CANDIDATES: usize = 200;
/// Capabilities retrieved per competency when forming consortia.
const COMPETENCY_CANDIDATES: usize = 60;
/// Keywords taken from a need's description to widen retrieval.
const DESCRIPTION_KEYWORDS: usize = 8;
/// Competencies extracted from text when a need lists none.
const EXTRACTED_COMPETENCIES: usize = 5;
/// A member covers a competency from this strength up.
pub const COVER_THRESHOLD: f32 = 0.3;
/// Strengths below this are noise and are dropped.
const STRENGTH_FLOOR: f32 = 0.15;
const DEFAULT_MAX_MEMBERS: usize = 5;
const DEFAULT_ALTERNATIVES: usize = 3;
/// Most offers considered per service category.
const OFFERS_PER_CATEGORY: u32 = 500;

#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("index: {0}")]
    Index(#[from] innomatch_search::index::IndexError),
    #[error("matching task failed: {0}")]
    Task(String),
}

/// Why a candidate scored as it did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    pub matched_terms: Vec<String>,
    pub snippets: Vec<String>,
    pub shared_high_tech_fields: Vec<String>,
    pub shared_industries: Vec<String>,
    pub region_tier: Option<RegionTier>,
    pub trl_fit: String,
    pub kind_fit: String,
    pub score_parts: Vec<ScorePart>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CapabilityMatch {
    pub capability_id: String,
    pub organization_id: String,
    pub title: String,
    pub score: f32,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationMatch {
    pub organization_id: String,
    pub organization_name: String,
    pub kind: OrganizationKind,
    pub score: f32,
    pub top_capabilities: Vec<CapabilityMatch>,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NeedMatch {
    pub need_id: String,
    /// Empty when the need is anonymous to the caller.
    pub organization_id: String,
    pub title: String,
    pub score: f32,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsortiumConstraints {
    pub max_members: usize,
    pub excluded: Vec<String>,
    pub include_chain_enterprises: bool,
    pub alternatives: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Lead,
    AcademicPartner,
    ChainEnterprise,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Competency {
    pub name: String,
    pub weight: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Covered {
    pub competency: String,
    pub weight: f32,
    pub capability_id: String,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub organization_id: String,
    pub organization_name: String,
    pub kind: OrganizationKind,
    pub role: Role,
    pub covers: Vec<Covered>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Consortium {
    pub members: Vec<Member>,
    pub coverage: f32,
    pub score: f32,
    pub uncovered: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConsortiaProposal {
    pub competencies: Vec<Competency>,
    pub consortia: Vec<Consortium>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceProposal {
    pub offer_id: String,
    pub organization_id: String,
    pub organization_name: String,
    pub category: ServiceCategory,
    pub title: String,
    pub score: f32,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServicesProposal {
    pub inferred: Vec<InferredCategory>,
    pub proposals: Vec<ServiceProposal>,
}

/// A need as the matcher works on it: the stored record, and whether the
/// caller may know who posted it.
#[derive(Debug, Clone)]
struct NeedView {
    need: TechNeed,
    owner_visible: bool,
}

/// The system reads records on behalf of the matcher; callers only get what
/// their own principal may see.
fn system() -> Principal {
    Principal { token_id: "system:matcher".into(), organization_id: None, role: innomatch_core::model::Role::Admin }
}

#[derive(Debug, Clone)]
pub struct Matcher {
    catalog: Catalog,
    index: Arc<SearchIndex>,
}

impl Matcher {
    pub fn new(catalog: Catalog, index: Arc<SearchIndex>) -> Self {
        Self { catalog, index }
    }

    async fn need(&self, principal: &Principal, id: &str) -> Result<NeedView, MatcherError> {
        // The caller's view decides whether the need exists for them at all.
        let visible = self.catalog.get(principal, RecordKind::Need, id).await?;
        let Record::Need(need) = self.catalog.get(&system(), RecordKind::Need, id).await? else {
            return Err(CatalogError::NotFound(format!("need {id}")).into());
        };
        let owner_visible = !visible.meta().organization_id.is_empty();
        Ok(NeedView { need, owner_visible })
    }

    async fn organization(&self, cache: &mut HashMap<String, Option<Organization>>, id: &str) -> Option<Organization> {
        if let Some(hit) = cache.get(id) {
            return hit.clone();
        }
        let org = match self.catalog.get(&system(), RecordKind::Organization, id).await {
            Ok(Record::Organization(org)) => Some(org),
            _ => None,
        };
        cache.insert(id.to_owned(), org.clone());
        org
    }

    /// The query clauses for a need: its title, keywords and competencies,
    /// and the strongest keywords of its description.
    pub fn need_clauses(&self, need: &TechNeed) -> Vec<Clause> {
        let mut texts: Vec<String> = vec![need.title.clone()];
        texts.extend(need.keywords.iter().cloned());
        texts.extend(need.competencies.iter().map(|c| c.name.clone()));
        let analyzer = self.index.analyzer();
        texts.extend(analyzer.keywords(&need.description, DESCRIPTION_KEYWORDS).into_iter().map(|(k, _)| k));
        clauses(texts)
    }

    fn capability_clauses(&self, capability: &Capability) -> Vec<Clause> {
        let mut texts: Vec<String> = vec![capability.title.clone()];
        texts.extend(capability.keywords.iter().cloned());
        let analyzer = self.index.analyzer();
        texts.extend(analyzer.keywords(&capability.description, DESCRIPTION_KEYWORDS).into_iter().map(|(k, _)| k));
        clauses(texts)
    }

    /// Runs an any-term search as the system (the matcher decides what to reveal).
    pub async fn retrieve(
        &self,
        clauses: Vec<Clause>,
        filters: Filters,
        limit: usize,
    ) -> Result<Vec<Hit>, MatcherError> {
        let request = SearchRequest { clauses, filters, match_any: true, limit, ..SearchRequest::default() };
        let index = Arc::clone(&self.index);
        let results = tokio::task::spawn_blocking(move || index.search(&request, &system()))
            .await
            .map_err(|e| MatcherError::Task(e.to_string()))??;
        Ok(results.hits)
    }

    fn capability_filters(organization_ids: Vec<String>) -> Filters {
        Filters { record_kinds: vec![RecordKind::Capability], organization_ids, ..Filters::default() }
    }

    fn score_capability(
        &self,
        need: &TechNeed,
        hit: &Hit,
        capability: &Capability,
        org: &Organization,
        reference: f32,
    ) -> CapabilityMatch {
        let text = if reference > 0.0 { (hit.score / reference).min(1.0) } else { 0.0 };
        let fields =
            if capability.high_tech_fields.is_empty() { &org.high_tech_fields } else { &capability.high_tech_fields };
        let industries = if capability.industries.is_empty() { &org.industries } else { &capability.industries };
        let region_code = if capability.region_code.is_empty() { &org.region_code } else { &capability.region_code };
        let evidence = evidence(
            need,
            text,
            fields,
            industries,
            region_code,
            capability.trl,
            org.kind(),
            capability.kind,
            Some(hit),
        );
        CapabilityMatch {
            capability_id: capability.meta.id.clone(),
            organization_id: org.meta.id.clone(),
            title: capability.title.clone(),
            score: evidence.score_parts.iter().map(|p| p.value).sum(),
            evidence,
        }
    }

    /// Scores every retrieved capability and groups them by organization.
    async fn score_candidates(
        &self,
        need: &TechNeed,
        hits: &[Hit],
        reference: f32,
        cache: &mut HashMap<String, Option<Organization>>,
    ) -> BTreeMap<String, Vec<CapabilityMatch>> {
        let mut by_org: BTreeMap<String, Vec<CapabilityMatch>> = BTreeMap::new();
        for hit in hits {
            let Some(Record::Capability(capability)) = &hit.record else { continue };
            let owner = &capability.meta.organization_id;
            if *owner == need.meta.organization_id {
                continue; // an organization is not its own partner
            }
            let Some(org) = self.organization(cache, owner).await else { continue };
            if org.meta.status() == RecordStatus::Archived {
                continue;
            }
            by_org
                .entry(owner.clone())
                .or_default()
                .push(self.score_capability(need, hit, capability, &org, reference));
        }
        for matches in by_org.values_mut() {
            matches.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.capability_id.cmp(&b.capability_id)));
        }
        by_org
    }

    fn organization_match(
        org: &Organization,
        need: &TechNeed,
        mut capabilities: Vec<CapabilityMatch>,
    ) -> OrganizationMatch {
        let scores: Vec<f32> = capabilities.iter().map(|c| c.score).collect();
        capabilities.truncate(3);
        let mut evidence = match capabilities.first() {
            Some(best) => best.evidence.clone(),
            None => {
                evidence(need, 0.0, &org.high_tech_fields, &org.industries, &org.region_code, 0, org.kind(), None, None)
            }
        };
        let terms: BTreeSet<String> =
            capabilities.iter().flat_map(|c| c.evidence.matched_terms.iter().cloned()).collect();
        evidence.matched_terms = terms.into_iter().collect();
        evidence.snippets = capabilities.iter().flat_map(|c| c.evidence.snippets.iter().take(1).cloned()).collect();
        let score = if scores.is_empty() {
            // No capability fits: only the organization's own profile speaks.
            evidence.score_parts.iter().map(|p| p.value).sum::<f32>() * DEPTH_PROFILE_ONLY
        } else {
            organization_score(&scores)
        };
        evidence.score_parts.push(ScorePart {
            name: "depth",
            value: score,
            detail: format!("{} fitting capabilities; the best four count, best first", scores.len()),
        });
        OrganizationMatch {
            organization_id: org.meta.id.clone(),
            organization_name: org.name.clone(),
            kind: org.kind(),
            score,
            top_capabilities: capabilities,
            evidence,
        }
    }

    /// Ranked capabilities and organizations for a need, with evidence.
    pub async fn match_need(
        &self,
        principal: &Principal,
        need_id: &str,
        limit: usize,
    ) -> Result<(Vec<CapabilityMatch>, Vec<OrganizationMatch>), MatcherError> {
        let view = self.need(principal, need_id).await?;
        let need = &view.need;
        let hits = self.retrieve(self.need_clauses(need), Self::capability_filters(Vec::new()), CANDIDATES).await?;
        let reference = hits.first().map(|h| h.score).unwrap_or(0.0);
        let mut cache = HashMap::new();
        let by_org = self.score_candidates(need, &hits, reference, &mut cache).await;
        let mut capabilities: Vec<CapabilityMatch> = by_org.values().flatten().cloned().collect();
        capabilities.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.capability_id.cmp(&b.capability_id)));
        capabilities.truncate(limit);
        let mut organizations = Vec::new();
        for (org_id, matches) in by_org {
            if let Some(org) = self.organization(&mut cache, &org_id).await {
                organizations.push(Self::organization_match(&org, need, matches));
            }
        }
        organizations
            .sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.organization_id.cmp(&b.organization_id)));
        organizations.truncate(limit);
        Ok((capabilities, organizations))
    }

    /// The same organization score for a chosen list of organizations.
    pub async fn score_affinity(
        &self,
        principal: &Principal,
        need_id: &str,
        organization_ids: &[String],
    ) -> Result<Vec<OrganizationMatch>, MatcherError> {
        let view = self.need(principal, need_id).await?;
        let need = &view.need;
        let clauses = self.need_clauses(need);
        // The reference is the best fit over all capabilities, so scores are comparable with MatchNeed.
        let open = self.retrieve(clauses.clone(), Self::capability_filters(Vec::new()), 1).await?;
        let reference = open.first().map(|h| h.score).unwrap_or(0.0);
        let hits = self.retrieve(clauses, Self::capability_filters(organization_ids.to_vec()), CANDIDATES).await?;
        let mut cache = HashMap::new();
        let mut by_org = self.score_candidates(need, &hits, reference, &mut cache).await;
        let mut out = Vec::new();
        for id in organization_ids {
            let Some(org) = self.organization(&mut cache, id).await else {
                return Err(CatalogError::NotFound(format!("organization {id}")).into());
            };
            out.push(Self::organization_match(&org, need, by_org.remove(id).unwrap_or_default()));
        }
        Ok(out)
    }

    /// Open needs a capability fits, for academics looking for industry partners.
    pub async fn match_capability(
        &self,
        principal: &Principal,
        capability_id: &str,
        limit: usize,
    ) -> Result<Vec<NeedMatch>, MatcherError> {
        let Record::Capability(capability) = self.catalog.get(principal, RecordKind::Capability, capability_id).await?
        else {
            return Err(CatalogError::NotFound(format!("capability {capability_id}")).into());
        };
        let mut cache = HashMap::new();
        let Some(org) = self.organization(&mut cache, &capability.meta.organization_id).await else {
            return Err(CatalogError::NotFound(format!("organization {}", capability.meta.organization_id)).into());
        };
        let filters = Filters { record_kinds: vec![RecordKind::Need], ..Filters::default() };
        let request = SearchRequest {
            clauses: self.capability_clauses(&capability),
            filters,
            match_any: true,
            limit: CANDIDATES,
            ..SearchRequest::default()
        };
        // Needs are searched as the caller: private needs of others never come back.
        let index = Arc::clone(&self.index);
        let viewer = principal.clone();
        let hits = tokio::task::spawn_blocking(move || index.search(&request, &viewer))
            .await
            .map_err(|e| MatcherError::Task(e.to_string()))??
            .hits;
        let reference = hits.first().map(|h| h.score).unwrap_or(0.0);
        let mut out = Vec::new();
        for hit in &hits {
            let Some(Record::Need(need)) = &hit.record else { continue };
            if need.meta.organization_id == capability.meta.organization_id && !need.meta.organization_id.is_empty() {
                continue;
            }
            let text = if reference > 0.0 { (hit.score / reference).min(1.0) } else { 0.0 };
            let fields = if capability.high_tech_fields.is_empty() {
                &org.high_tech_fields
            } else {
                &capability.high_tech_fields
            };
            let industries = if capability.industries.is_empty() { &org.industries } else { &capability.industries };
            let region = if capability.region_code.is_empty() { &org.region_code } else { &capability.region_code };
            let evidence = evidence(
                need,
                text,
                fields,
                industries,
                region,
                capability.trl,
                org.kind(),
                capability.kind,
                Some(hit),
            );
            out.push(NeedMatch {
                need_id: need.meta.id.clone(),
                organization_id: hit.organization_id.clone(),
                title: need.title.clone(),
                score: evidence.score_parts.iter().map(|p| p.value).sum(),
                evidence,
            });
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.need_id.cmp(&b.need_id)));
        out.truncate(limit);
        Ok(out)
    }

    /// The competencies to cover: the need's own list, or keywords of its text.
    pub fn competencies(&self, need: &TechNeed) -> Vec<Competency> {
        if !need.competencies.is_empty() {
            return need
                .competencies
                .iter()
                .map(|c| Competency { name: c.name.clone(), weight: c.weight as f32 })
                .collect();
        }
        let text = format!("{} {}", need.title, need.description);
        let keywords = self.index.analyzer().keywords(&text, EXTRACTED_COMPETENCIES);
        let top = keywords.first().map(|(_, w)| *w).unwrap_or(1.0);
        keywords
            .into_iter()
            .map(|(name, w)| Competency { name, weight: ((w / top) * 10.0).round().clamp(1.0, 10.0) as f32 })
            .collect()
    }

    /// Up to k alternative consortia for a need.
    pub async fn propose_consortia(
        &self,
        principal: &Principal,
        need_id: &str,
        constraints: ConsortiumConstraints,
    ) -> Result<ConsortiaProposal, MatcherError> {
        let view = self.need(principal, need_id).await?;
        let need = &view.need;
        let competencies = self.competencies(need);
        let lead_id = need.meta.organization_id.clone();
        let mut cache = HashMap::new();

        // Strength of each organization on each competency, with the capability behind it.
        let mut strengths: BTreeMap<String, Vec<(f32, Option<CapabilityMatch>)>> = BTreeMap::new();
        strengths.insert(lead_id.clone(), vec![(0.0, None); competencies.len()]);
        for (c, competency) in competencies.iter().enumerate() {
            let hits = self
                .retrieve(
                    clauses(vec![competency.name.clone()]),
                    Self::capability_filters(Vec::new()),
                    COMPETENCY_CANDIDATES,
                )
                .await?;
            let reference = hits.first().map(|h| h.score).unwrap_or(0.0);
            for hit in &hits {
                let Some(Record::Capability(capability)) = &hit.record else { continue };
                let owner = capability.meta.organization_id.clone();
                if constraints.excluded.contains(&owner) {
                    continue;
                }
                let Some(org) = self.organization(&mut cache, &owner).await else { continue };
                let eligible = owner == lead_id
                    || org.kind().is_academic()
                    || (constraints.include_chain_enterprises
                        && org.kind() == OrganizationKind::Enterprise
                        && org.industries.iter().any(|i| need.industries.contains(i)));
                if !eligible || org.meta.status() == RecordStatus::Archived {
                    continue;
                }
                let matched = self.score_capability(need, hit, capability, &org, reference);
                let relevance = if reference > 0.0 { hit.score / reference } else { 0.0 };
                let region = region_score(matched.evidence.region_tier);
                let strength = relevance * (0.8 + 0.2 * region);
                if strength < STRENGTH_FLOOR {
                    continue;
                }
                let row = strengths.entry(owner).or_insert_with(|| vec![(0.0, None); competencies.len()]);
                if strength > row[c].0 {
                    row[c] = (strength, Some(matched));
                }
            }
        }

        let ids: Vec<String> = strengths.keys().cloned().collect();
        let mut candidates = Vec::new();
        for id in &ids {
            let academic = self.organization(&mut cache, id).await.is_some_and(|o| o.kind().is_academic());
            candidates.push(Candidate { academic, strengths: strengths[id].iter().map(|(s, _)| *s).collect() });
        }
        let lead = ids.iter().position(|id| *id == lead_id).unwrap_or_default();
        let problem = Problem {
            weights: competencies.iter().map(|c| c.weight).collect(),
            candidates,
            lead,
            max_members: if constraints.max_members == 0 { DEFAULT_MAX_MEMBERS } else { constraints.max_members },
            require_academic: true,
            cover_threshold: COVER_THRESHOLD,
        };
        let total_weight: f32 = problem.weights.iter().sum();
        let alternatives = if constraints.alternatives == 0 { DEFAULT_ALTERNATIVES } else { constraints.alternatives };
        let mut consortia = Vec::new();
        for solution in problem.alternatives(alternatives) {
            let mut members = Vec::new();
            let mut covered = vec![false; competencies.len()];
            for &m in &solution.members {
                let id = &ids[m];
                let org = self.organization(&mut cache, id).await;
                let mut covers = Vec::new();
                for (c, competency) in competencies.iter().enumerate() {
                    let best = solution.members.iter().max_by(|&&a, &&b| {
                        problem.candidates[a].strengths[c]
                            .total_cmp(&problem.candidates[b].strengths[c])
                            .then_with(|| b.cmp(&a))
                    });
                    let (strength, capability) = &strengths[id][c];
                    if best == Some(&m) && *strength >= COVER_THRESHOLD {
                        covered[c] = true;
                        if let Some(capability) = capability {
                            covers.push(Covered {
                                competency: competency.name.clone(),
                                weight: competency.weight,
                                capability_id: capability.capability_id.clone(),
                                evidence: capability.evidence.clone(),
                            });
                        }
                    }
                }
                let kind = org.as_ref().map(|o| o.kind()).unwrap_or(OrganizationKind::Enterprise);
                let role = if m == lead {
                    Role::Lead
                } else if kind.is_academic() {
                    Role::AcademicPartner
                } else {
                    Role::ChainEnterprise
                };
                let hide = role == Role::Lead && !view.owner_visible;
                members.push(Member {
                    organization_id: if hide { String::new() } else { id.clone() },
                    organization_name: if hide {
                        "（匿名需求方）".into()
                    } else {
                        org.map(|o| o.name).unwrap_or_default()
                    },
                    kind,
                    role,
                    covers,
                });
            }
            let covered_weight: f32 =
                competencies.iter().zip(&covered).filter(|(_, c)| **c).map(|(x, _)| x.weight).sum();
            let uncovered =
                competencies.iter().zip(&covered).filter(|(_, c)| !**c).map(|(x, _)| x.name.clone()).collect();
            consortia.push(Consortium {
                members,
                coverage: if total_weight > 0.0 { covered_weight / total_weight } else { 0.0 },
                score: if total_weight > 0.0 { solution.value / total_weight } else { 0.0 },
                uncovered,
            });
        }
        Ok(ConsortiaProposal { competencies, consortia })
    }

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
        let mut cache = HashMap::new();
        let mut proposals = Vec::new();
        for category in &inferred {
            for offer in self.catalog.offers_in_category(category.category, OFFERS_PER_CATEGORY).await? {
                let Some(org) = self.organization(&mut cache, &offer.meta.organization_id).await else { continue };
                if org.meta.status() == RecordStatus::Archived {
                    continue;
                }
                proposals.push(service_proposal(need, category, &offer, &org));
            }
        }
        proposals.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.offer_id.cmp(&b.offer_id)));
        proposals.truncate(limit);
        Ok(ServicesProposal { inferred, proposals })
    }
}

/// Without any fitting capability an organization's profile alone gives at
/// most this share of a score, so profile-only matches rank below real fits.
const DEPTH_PROFILE_ONLY: f32 = 0.5;

fn clauses(texts: Vec<String>) -> Vec<Clause> {
    let mut seen = BTreeSet::new();
    texts
        .into_iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty() && seen.insert(t.clone()))
        .map(|text| Clause { field: None, text, phrase: false, excluded: false })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn evidence(
    need: &TechNeed,
    text: f32,
    fields: &[String],
    industries: &[String],
    region_code: &str,
    trl: u32,
    org_kind: OrganizationKind,
    capability_kind: Option<innomatch_core::model::CapabilityKind>,
    hit: Option<&Hit>,
) -> Evidence {
    let (field_score, shared_fields) = field_overlap(&need.high_tech_fields, fields);
    let (industry_score, shared_industries) = industry_overlap(&need.industries, industries);
    let (trl_score, trl_detail) = trl_fit(need.target_trl, trl);
    let tier = region_tier(region_code);
    let (kind_score, kind_detail) = kind_fit(&need.cooperation_modes, org_kind, capability_kind);
    let parts = vec![
        ScorePart {
            name: "text",
            value: WEIGHT_TEXT * text,
            detail: format!("relevance {:.2} of the best match", text),
        },
        ScorePart {
            name: "high_tech_field",
            value: WEIGHT_FIELD * field_score,
            detail: format!("shared: {}", shared_fields.join(", ")),
        },
        ScorePart {
            name: "industry",
            value: WEIGHT_INDUSTRY * industry_score,
            detail: format!("shared: {}", shared_industries.join(", ")),
        },
        ScorePart { name: "trl", value: WEIGHT_TRL * trl_score, detail: trl_detail.clone() },
        ScorePart { name: "region", value: WEIGHT_REGION * region_score(tier), detail: tier_label(tier).to_owned() },
        ScorePart { name: "kind", value: WEIGHT_KIND * kind_score, detail: kind_detail.clone() },
    ];
    Evidence {
        matched_terms: hit.map(|h| h.matched_terms.clone()).unwrap_or_default(),
        snippets: hit.map(|h| h.highlights.iter().map(|x| x.snippet.clone()).collect()).unwrap_or_default(),
        shared_high_tech_fields: shared_fields,
        shared_industries,
        region_tier: tier,
        trl_fit: trl_detail,
        kind_fit: kind_detail,
        score_parts: parts,
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

/// True when the need may produce leads: private needs stay with their owner.
pub fn shareable(need: &TechNeed) -> bool {
    need.visibility() != Visibility::Private && need.meta.status() == RecordStatus::Active
}
