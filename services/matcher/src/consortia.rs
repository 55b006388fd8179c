//! Innovation consortium (创新联合体) proposals for a need, in four steps:
//!
//! 1. **Retrieval** — the competencies to cover (the need's own list, or the
//!    specific keywords of its text) and, for each, the capabilities about
//!    it. A capability's strength on a competency is how much of the
//!    competency's weighted vocabulary it holds ([`Retrieval::coverage`]),
//!    and it counts only with evidence: a specific word of the competency in
//!    the capability's text (饲料配方设计 is not covered by 抗风浪网箱设计
//!    through 设计, a generic word).
//! 2. **Eligibility** — the lead enterprise, academic organizations, and,
//!    when asked, chain enterprises: firms of the need's industry chain or of
//!    a position up- or downstream of it (`upstream`/`downstream` in the
//!    chain taxonomy).
//! 3. **Solving** — weighted maximum coverage under the size limit
//!    (`consortium`), with an academic member always and a chain enterprise
//!    whenever one fits.
//! 4. **Presentation** — who covers what with which capability, ordered by
//!    score.

use std::collections::BTreeMap;

use innomatch_core::{
    model::{Organization, OrganizationKind, Record, RecordKind, TechNeed},
    taxonomy::Taxonomy,
};
use innomatch_search::relevance::{self, TextVector};

use crate::{
    Matcher, MatcherError,
    answers::{
        CapabilityMatch, Competency, ConsortiaProposal, Consortium, ConsortiumConstraints, Covered, Member, Role,
    },
    consortium::{Candidate, Problem},
    matcher::{NeedView, Organizations},
    retrieval::{COMPETENCY_POOL, Semantics, system},
    scoring::{region_score, region_tier},
};

/// A member covers a competency from this strength up: the share of the
/// competency's weighted vocabulary its capability holds, scaled by region
/// preference (0.8 in the rest of China up to 1 in the city).
pub const COVER_THRESHOLD: f32 = 0.4;
/// Strengths below this are noise and are dropped before solving.
const STRENGTH_FLOOR: f32 = 0.15;
/// Competencies extracted from the text when a need lists none.
const EXTRACTED_COMPETENCIES: usize = 5;
/// Weight of a competency taken from the need's keywords (all alike: the
/// owner listed them without weights).
const KEYWORD_WEIGHT: f32 = 5.0;
/// Capabilities retrieved per chain position.
const POSITION_POOL: usize = 30;
const DEFAULT_MAX_MEMBERS: usize = 5;
const DEFAULT_ALTERNATIVES: usize = 3;
/// How a lead whose owner the caller may not know is shown.
const ANONYMOUS_LEAD: &str = "（匿名需求方）";

/// The best capability of one organization for each competency.
type Strengths = Vec<(f32, Option<CapabilityMatch>)>;

/// A chain enterprise's best position for the need's chain.
#[derive(Debug, Clone)]
struct ChainFit {
    fit: f32,
    position: String,
}

impl Matcher {
    /// The competencies to cover: the need's own, or its keywords, or the
    /// specific keywords of its text (generic words left out), weighted 1..=10.
    pub fn competencies(&self, need: &TechNeed) -> Vec<Competency> {
        if !need.competencies.is_empty() {
            return need
                .competencies
                .iter()
                .map(|c| Competency { name: c.name.clone(), weight: c.weight as f32 })
                .collect();
        }
        let index = self.retrieval.index();
        // Next best: the owner's own keywords, the words they chose.
        let keywords: Vec<Competency> = need
            .keywords
            .iter()
            .filter(|k| !index.relevance().is_generic(&k.to_lowercase()))
            .take(EXTRACTED_COMPETENCIES)
            .map(|k| Competency { name: k.clone(), weight: KEYWORD_WEIGHT })
            .collect();
        if !keywords.is_empty() {
            return keywords;
        }
        let text = format!("{} {}", need.title, need.description);
        let keywords: Vec<(String, f64)> = index
            .analyzer()
            .keywords(&text, EXTRACTED_COMPETENCIES * 3)
            .into_iter()
            .filter(|(word, _)| !index.relevance().is_generic(&word.to_lowercase()))
            .take(EXTRACTED_COMPETENCIES)
            .collect();
        let top = keywords.first().map(|(_, w)| *w).unwrap_or(1.0);
        keywords
            .into_iter()
            .map(|(name, w)| Competency { name, weight: ((w / top) * 10.0).round().clamp(1.0, 10.0) as f32 })
            .collect()
    }

    /// Up to `alternatives` consortia for a need, best first.
    pub async fn propose_consortia(
        &self,
        principal: &innomatch_core::auth::Principal,
        need_id: &str,
        constraints: ConsortiumConstraints,
    ) -> Result<ConsortiaProposal, MatcherError> {
        let view = self.need(principal, need_id).await?;
        let competencies = self.competencies(&view.need);
        let mut organizations = Organizations::default();
        let strengths = self.competency_strengths(&view.need, &competencies, &constraints, &mut organizations).await?;
        let chain = if constraints.include_chain_enterprises {
            self.chain_fits(&view.need, &constraints, &mut organizations).await?
        } else {
            BTreeMap::new()
        };
        let (ids, problem) =
            self.problem(&view.need, &competencies, &constraints, strengths.clone(), &chain, &mut organizations).await;
        let alternatives = if constraints.alternatives == 0 { DEFAULT_ALTERNATIVES } else { constraints.alternatives };
        let mut consortia = Vec::new();
        for solution in problem.alternatives(alternatives) {
            consortia.push(
                self.present(
                    &view,
                    &competencies,
                    &ids,
                    &problem,
                    &solution.members,
                    &strengths,
                    &chain,
                    &mut organizations,
                )
                .await,
            );
        }
        consortia.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| b.coverage.total_cmp(&a.coverage)));
        Ok(ConsortiaProposal { competencies, consortia })
    }

    /// Step 1: each eligible organization's best capability per competency.
    async fn competency_strengths(
        &self,
        need: &TechNeed,
        competencies: &[Competency],
        constraints: &ConsortiumConstraints,
        organizations: &mut Organizations,
    ) -> Result<BTreeMap<String, Strengths>, MatcherError> {
        let lead = &need.meta.organization_id;
        let mut strengths: BTreeMap<String, Strengths> = BTreeMap::new();
        strengths.insert(lead.clone(), vec![(0.0, None); competencies.len()]);
        for (c, competency) in competencies.iter().enumerate() {
            let vector = self.retrieval.vector(competency.name.clone()).await?;
            let hits = self.retrieval.similar(&vector, vec![RecordKind::Capability], system(), COMPETENCY_POOL).await?;
            let records = self.retrieval.records(hits.iter().map(|h| h.id.clone()).collect(), system()).await?;
            for hit in &hits {
                let Some(Record::Capability(capability)) = records.get(&hit.id) else { continue };
                let owner = &capability.meta.organization_id;
                if constraints.excluded.contains(owner) {
                    continue;
                }
                let Some(org) = organizations.active(self.catalog.as_ref(), owner).await else { continue };
                if !eligible(need, &org, constraints) {
                    continue;
                }
                let coverage = self.retrieval.coverage(&vector, &hit.id);
                let matched = self.capability_match(need, &vector, &Semantics::Unused, capability, &org);
                if matched.evidence.matched_terms.is_empty() {
                    continue; // nothing specific of the competency in its text
                }
                let region = region_score(region_tier(if capability.region_code.is_empty() {
                    &org.region_code
                } else {
                    &capability.region_code
                }));
                let strength = coverage * (0.8 + 0.2 * region);
                if strength < STRENGTH_FLOOR {
                    continue;
                }
                let row = strengths.entry(owner.clone()).or_insert_with(|| vec![(0.0, None); competencies.len()]);
                if strength > row[c].0 {
                    row[c] = (strength, Some(matched));
                }
            }
        }
        Ok(strengths)
    }

    /// Step 2 for chain enterprises: firms whose work is about a position
    /// up- or downstream of the need's chains, or about the need itself
    /// within the same chain.
    async fn chain_fits(
        &self,
        need: &TechNeed,
        constraints: &ConsortiumConstraints,
        organizations: &mut Organizations,
    ) -> Result<BTreeMap<String, ChainFit>, MatcherError> {
        let taxonomy = Taxonomy::get();
        let mut fits: BTreeMap<String, ChainFit> = BTreeMap::new();
        let consider = |owner: &str, fit: f32, position: String, fits: &mut BTreeMap<String, ChainFit>| {
            let entry = fits.entry(owner.to_owned()).or_insert(ChainFit { fit: 0.0, position: String::new() });
            if fit > entry.fit {
                *entry = ChainFit { fit, position };
            }
        };
        for code in &need.industries {
            let Some(chain) = taxonomy.industry(code) else { continue };
            let positions =
                chain.upstream.iter().map(|p| ("上游", p)).chain(chain.downstream.iter().map(|p| ("下游", p)));
            for (side, position) in positions {
                let vector = self.retrieval.vector(position.clone()).await?;
                let hits =
                    self.retrieval.similar(&vector, vec![RecordKind::Capability], system(), POSITION_POOL).await?;
                for hit in hits {
                    if !self.chain_candidate(need, &hit.organization_id, constraints, organizations).await {
                        continue;
                    }
                    let coverage = self.retrieval.coverage(&vector, &hit.id);
                    if coverage >= COVER_THRESHOLD && self.has_evidence(&vector, &hit.id).await? {
                        consider(
                            &hit.organization_id,
                            coverage,
                            format!("{side}：{position}（{}）", chain.name),
                            &mut fits,
                        );
                    }
                }
            }
        }
        // Firms of the same chain whose work fits the need itself.
        let need_vector = self.retrieval.record_vector(&Record::Need(need.clone())).await?;
        let hits =
            self.retrieval.similar(&need_vector, vec![RecordKind::Capability], system(), COMPETENCY_POOL).await?;
        for hit in hits {
            if !self.chain_candidate(need, &hit.organization_id, constraints, organizations).await {
                continue;
            }
            let Some(org) = organizations.active(self.catalog.as_ref(), &hit.organization_id).await else { continue };
            let shared: Vec<&str> = org
                .industries
                .iter()
                .filter(|i| need.industries.contains(i))
                .filter_map(|i| taxonomy.industry(i).map(|x| x.name.as_str()))
                .collect();
            if !shared.is_empty() && hit.relevance >= crate::scoring::RELEVANCE_FLOOR {
                let fit = crate::scoring::relevance_score(hit.relevance);
                consider(&hit.organization_id, fit, format!("同链企业：{}", shared.join("、")), &mut fits);
            }
        }
        Ok(fits)
    }

    async fn chain_candidate(
        &self,
        need: &TechNeed,
        owner: &str,
        constraints: &ConsortiumConstraints,
        organizations: &mut Organizations,
    ) -> bool {
        if owner == need.meta.organization_id || constraints.excluded.iter().any(|e| e == owner) {
            return false;
        }
        organizations
            .active(self.catalog.as_ref(), owner)
            .await
            .is_some_and(|o| o.kind() == OrganizationKind::Enterprise)
    }

    async fn has_evidence(&self, vector: &TextVector, capability_id: &str) -> Result<bool, MatcherError> {
        let records = self.retrieval.records(vec![capability_id.to_owned()], system()).await?;
        Ok(records
            .get(capability_id)
            .and_then(relevance::record_text)
            .is_some_and(|text| !self.retrieval.evidence_words(vector, &text).0.is_empty()))
    }

    /// Step 3's input: every candidate with its strengths and chain fit.
    async fn problem(
        &self,
        need: &TechNeed,
        competencies: &[Competency],
        constraints: &ConsortiumConstraints,
        strengths: BTreeMap<String, Strengths>,
        chain: &BTreeMap<String, ChainFit>,
        organizations: &mut Organizations,
    ) -> (Vec<String>, Problem) {
        let mut ids: Vec<String> = strengths.keys().cloned().collect();
        for id in chain.keys() {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        let mut candidates = Vec::with_capacity(ids.len());
        for id in &ids {
            let academic =
                organizations.active(self.catalog.as_ref(), id).await.is_some_and(|o| o.kind().is_academic());
            let row: Vec<f32> = match strengths.get(id) {
                Some(row) => row.iter().map(|(s, _)| *s).collect(),
                None => vec![0.0; competencies.len()],
            };
            let chain_fit = chain.get(id).map_or(0.0, |c| c.fit);
            candidates.push(Candidate { academic, strengths: row, chain_fit });
        }
        let lead = ids.iter().position(|id| *id == need.meta.organization_id).unwrap_or_default();
        let problem = Problem {
            weights: competencies.iter().map(|c| c.weight).collect(),
            candidates,
            lead,
            max_members: if constraints.max_members == 0 { DEFAULT_MAX_MEMBERS } else { constraints.max_members },
            require_academic: true,
            require_chain: constraints.include_chain_enterprises,
            cover_threshold: COVER_THRESHOLD,
        };
        (ids, problem)
    }

    /// Step 4: who covers what, with the capability behind it.
    #[allow(clippy::too_many_arguments)]
    async fn present(
        &self,
        view: &NeedView,
        competencies: &[Competency],
        ids: &[String],
        problem: &Problem,
        members: &[usize],
        strengths: &BTreeMap<String, Strengths>,
        chain: &BTreeMap<String, ChainFit>,
        organizations: &mut Organizations,
    ) -> Consortium {
        let total_weight: f32 = problem.weights.iter().sum();
        let mut covered = vec![false; competencies.len()];
        let mut out = Vec::with_capacity(members.len());
        for &m in members {
            let id = &ids[m];
            let org: Option<Organization> = organizations.active(self.catalog.as_ref(), id).await;
            let mut covers = Vec::new();
            for (c, competency) in competencies.iter().enumerate() {
                // The competency goes to the strongest member (ties: the earlier one).
                let best = members.iter().copied().max_by(|&a, &b| {
                    problem.candidates[a].strengths[c]
                        .total_cmp(&problem.candidates[b].strengths[c])
                        .then_with(|| b.cmp(&a))
                });
                let Some((strength, Some(capability))) = strengths.get(id).map(|row| &row[c]) else { continue };
                if best == Some(m) && *strength >= COVER_THRESHOLD {
                    covered[c] = true;
                    covers.push(Covered {
                        competency: competency.name.clone(),
                        weight: competency.weight,
                        capability_id: capability.capability_id.clone(),
                        evidence: capability.evidence.clone(),
                    });
                }
            }
            let kind = org.as_ref().map(|o| o.kind()).unwrap_or(OrganizationKind::Enterprise);
            let role = if m == problem.lead {
                Role::Lead
            } else if kind.is_academic() {
                Role::AcademicPartner
            } else {
                Role::ChainEnterprise
            };
            let hide = role == Role::Lead && !view.owner_visible;
            out.push(Member {
                organization_id: if hide { String::new() } else { id.clone() },
                organization_name: if hide { ANONYMOUS_LEAD.into() } else { org.map(|o| o.name).unwrap_or_default() },
                kind,
                role,
                covers,
                chain_position: if role == Role::ChainEnterprise {
                    chain.get(id).map(|c| c.position.clone()).unwrap_or_default()
                } else {
                    String::new()
                },
            });
        }
        let covered_weight: f32 = competencies.iter().zip(&covered).filter(|(_, c)| **c).map(|(x, _)| x.weight).sum();
        let uncovered = competencies.iter().zip(&covered).filter(|(_, c)| !**c).map(|(x, _)| x.name.clone()).collect();
        Consortium {
            members: out,
            coverage: if total_weight > 0.0 { covered_weight / total_weight } else { 0.0 },
            score: if total_weight > 0.0 { problem.value(members) / total_weight } else { 0.0 },
            uncovered,
        }
    }
}

/// Who may join: the lead, academic organizations, and chain enterprises
/// (of the need's chain) when asked for.
fn eligible(need: &TechNeed, org: &Organization, constraints: &ConsortiumConstraints) -> bool {
    org.meta.id == need.meta.organization_id
        || org.kind().is_academic()
        || (constraints.include_chain_enterprises
            && org.kind() == OrganizationKind::Enterprise
            && org.industries.iter().any(|i| need.industries.contains(i)))
}
