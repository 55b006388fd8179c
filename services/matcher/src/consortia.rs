//! Innovation consortium (创新联合体) proposals for a need, in four steps:
//!
//! 1. **Retrieval** — the competencies to cover (the need's own list, or the
//!    specific keywords of its text) and, for each, the capabilities about
//!    it, lexically and by meaning. A capability's strength on a competency
//!    is the larger of two readings: by words, how much of the competency's
//!    weighted vocabulary it holds ([`Retrieval::coverage`]), counted only
//!    with evidence — a specific word of the competency in the capability's
//!    text (饲料配方设计 is not covered by 抗风浪网箱设计 through 设计, a
//!    generic word); by meaning, the competency's dense similarity to the
//!    capability above the competency's background, weighted and mapped
//!    exactly like a partner's relevance ([`Retrieval::semantic`],
//!    [`relevance_score`]), so a strength means the same thing either way,
//!    and counted only from the cover threshold (a faint similarity is no
//!    evidence).
//!    Competency vectors come from the embedding follower when the need is
//!    posted; a competency without one (no model, not embedded yet, or
//!    taken from the need's free text) is covered by words only, and its
//!    evidence says so.
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
    model::{Capability, Organization, OrganizationKind, Record, RecordKind, TechNeed},
    taxonomy::Taxonomy,
};
use innomatch_search::{
    relevance::{self, TextVector},
    vectors::competency_texts,
};

use crate::{
    Matcher, MatcherError,
    answers::{
        CapabilityMatch, Competency, ConsortiaProposal, Consortium, ConsortiumConstraints, Covered, Evidence, Member,
        Role,
    },
    consortium::{Candidate, Problem},
    matcher::{NeedView, Organizations, Words},
    retrieval::{COMPETENCY_POOL, Semantics, system},
    scoring::{region_score, region_tier, relevance_score},
};

/// A member covers a competency from this strength up: the share of the
/// competency's weighted vocabulary its capability holds, or its semantic
/// relevance on the partners' scale (0.4 is a weighted similarity of 0.074
/// above the background; with e5, 饲料配方设计 reads 0.46 against
/// 对虾饲料配方与营养研究 and 0.15 against 抗风浪网箱设计), scaled by region
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
        let named = competency_texts(&Record::Need(need.clone()));
        let (semantics, rules): (Vec<Semantics>, Vec<Option<&'static str>>) =
            competencies.iter().map(|competency| self.competency_semantics(&named, &competency.name)).unzip();
        let neighbours =
            self.retrieval.semantic_neighbours_each(&semantics, RecordKind::Capability, COMPETENCY_POOL).await?;
        let each = competencies.iter().zip(&semantics).zip(rules).zip(neighbours);
        for (c, (((competency, semantics), lexical_rule), neighbours)) in each.enumerate() {
            let vector = self.retrieval.vector(competency.name.clone()).await?;
            let hits = self.retrieval.similar(&vector, vec![RecordKind::Capability], system(), COMPETENCY_POOL).await?;
            let mut ids: Vec<String> = hits.into_iter().map(|h| h.id).collect();
            for (id, _) in neighbours {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            // A strength is at most the larger of coverage and meaning (the
            // region only lowers it): what cannot reach the floor is neither
            // read nor analysed.
            let meaning_of = |id: &str| {
                let meaning = self.retrieval.semantic(semantics, id).map(|(weighted, _)| relevance_score(weighted));
                (meaning, meaning.filter(|m| *m >= COVER_THRESHOLD).unwrap_or(0.0))
            };
            ids.retain(|id| self.retrieval.coverage(&vector, id).max(meaning_of(id).1) >= STRENGTH_FLOOR);
            let records = self.retrieval.records(ids.clone(), system()).await?;
            // Evidence words cost an analysis of the capability's text. A
            // capability's strength is at most its bound, the strength its
            // coverage would give with evidence words (which only a record
            // sharing a specific term can have): each owner's candidates are
            // measured best bound first, and the rest are skipped once none
            // can beat the owner's best.
            let mut candidates: Vec<(&Capability, Organization, f32, usize)> = Vec::new();
            for (index, id) in ids.iter().enumerate() {
                let Some(Record::Capability(capability)) = records.get(id) else { continue };
                let owner = &capability.meta.organization_id;
                if constraints.excluded.contains(owner) {
                    continue;
                }
                let Some(org) = organizations.active(self.catalog.as_ref(), owner).await else { continue };
                if !eligible(need, &org, constraints) {
                    continue;
                }
                let words_bound = if self.retrieval.index().relevance().shares_specific_term(&vector, id) {
                    self.retrieval.coverage(&vector, id)
                } else {
                    0.0
                };
                let bound = words_bound.max(meaning_of(id).1) * region_factor(capability, &org);
                if bound >= STRENGTH_FLOOR {
                    candidates.push((capability, org, bound, index));
                }
            }
            candidates.sort_by(|a, b| {
                (a.0.meta.organization_id.cmp(&b.0.meta.organization_id))
                    .then_with(|| b.2.total_cmp(&a.2))
                    .then_with(|| a.3.cmp(&b.3))
            });
            for group in candidates.chunk_by(|a, b| a.0.meta.organization_id == b.0.meta.organization_id) {
                // The strongest, the first in `ids` among equals.
                let mut best: Option<(f32, usize, CapabilityMatch)> = None;
                for (capability, org, bound, index) in group {
                    if best.as_ref().is_some_and(|(strength, _, _)| bound < strength) {
                        break;
                    }
                    let id = &capability.meta.id;
                    let mut matched = self.capability_match(need, &vector, semantics, capability, org, Words::Include);
                    // Words count only with a specific word of the competency
                    // in the capability's text; meaning only when it is close
                    // (at the cover threshold): a faint similarity is no evidence.
                    let words = if matched.evidence.matched_terms.is_empty() {
                        0.0
                    } else {
                        self.retrieval.coverage(&vector, id)
                    };
                    let (meaning, by_meaning) = meaning_of(id);
                    let strength = words.max(by_meaning) * region_factor(capability, org);
                    if strength < STRENGTH_FLOOR {
                        continue;
                    }
                    let rule = lexical_rule.or(meaning.is_none().then_some(LEXICAL_RULE_CAPABILITY_PENDING));
                    explain_cover(&mut matched.evidence, words, meaning, rule);
                    if best.as_ref().is_none_or(|(s, i, _)| strength > *s || (strength == *s && index < i)) {
                        best = Some((strength, *index, matched));
                    }
                }
                let Some((strength, _, matched)) = best else { continue };
                let owner = matched.organization_id.clone();
                let row = strengths.entry(owner).or_insert_with(|| vec![(0.0, None); competencies.len()]);
                if strength > row[c].0 {
                    row[c] = (strength, Some(matched));
                }
            }
        }
        Ok(strengths)
    }

    /// A competency's semantics for coverage and, when it has no vector,
    /// why it is covered by words only. `named` are the competency texts
    /// the embedding follower embeds for the need.
    fn competency_semantics(&self, named: &[String], name: &str) -> (Semantics, Option<&'static str>) {
        match self.retrieval.semantics_of_competency(name) {
            ready @ Semantics::Ready { .. } => (ready, None),
            Semantics::Off => (Semantics::Unused, Some(LEXICAL_RULE_OFF)),
            _ if named.iter().any(|n| n == name) => (Semantics::Unused, Some(LEXICAL_RULE_PENDING)),
            _ => (Semantics::Unused, Some(LEXICAL_RULE_EXTRACTED)),
        }
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
        if !self.retrieval.index().relevance().shares_specific_term(vector, capability_id) {
            return Ok(false);
        }
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

/// Why a competency is covered by its words only, in its evidence.
pub const LEXICAL_RULE_OFF: &str =
    "lexical rule: semantic matching is off (no embedding model installed, or turned off)";
pub const LEXICAL_RULE_PENDING: &str = "lexical rule: the competency is not embedded yet";
pub const LEXICAL_RULE_CAPABILITY_PENDING: &str = "lexical rule: the capability is not embedded yet";
pub const LEXICAL_RULE_EXTRACTED: &str =
    "lexical rule: a competency taken from the need's text has no vector (the need names no competencies)";

/// How a capability's region scales its strength: 0.8 to 1 (its own region,
/// else its organization's).
fn region_factor(capability: &Capability, org: &Organization) -> f32 {
    let region = if capability.region_code.is_empty() { &org.region_code } else { &capability.region_code };
    0.8 + 0.2 * region_score(region_tier(region))
}

/// Says in the evidence's text part how the capability covers the
/// competency: by words (and how much), by meaning, and the lexical rule
/// when the competency has no vector. The semantic similarity itself is the
/// evidence's `semantic` part.
fn explain_cover(evidence: &mut Evidence, words: f32, meaning: Option<f32>, lexical_rule: Option<&str>) {
    let Some(text) = evidence.score_parts.iter_mut().find(|p| p.name == "text") else { return };
    let mut detail = if words > 0.0 {
        format!("covers {words:.2} of the competency's weighted words")
    } else {
        "no specific word of the competency".to_owned()
    };
    if let Some(meaning) = meaning {
        detail.push_str(&format!("; by meaning {meaning:.2}"));
    }
    if let Some(rule) = lexical_rule {
        detail.push_str("; ");
        detail.push_str(rule);
    }
    text.detail = format!("{}; {detail}", text.detail);
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

#[cfg(test)]
mod tests {
    //! Coverage by meaning and its lexical fallback, on an in-memory store,
    //! an in-RAM index and hand-made vectors (the e5 model's own test runs
    //! end to end in `tests/tests/e2e/semantic.rs`).

    use std::sync::Arc;

    use innomatch_core::model::RequiredCompetency;
    use innomatch_search::{
        index::SearchIndex,
        vectors::{COMPETENCY_KIND, VectorStore},
    };

    use super::*;
    use crate::test_support::{admin, capability, create, in_memory_catalog, organization};

    fn need(competencies: &[&str]) -> Record {
        Record::Need(TechNeed {
            title: "金鲳鱼深远海养殖".into(),
            competencies: competencies.iter().map(|n| RequiredCompetency { name: (*n).into(), weight: 5 }).collect(),
            ..Default::default()
        })
    }

    fn unit(v: &[f32]) -> Arc<[f32]> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect::<Vec<_>>().into()
    }

    fn covers<'a>(consortium: &'a Consortium, organization_id: &str) -> Vec<&'a Covered> {
        consortium.members.iter().filter(|m| m.organization_id == organization_id).flat_map(|m| &m.covers).collect()
    }

    fn part<'a>(covered: &'a Covered, name: &str) -> Option<&'a crate::scoring::ScorePart> {
        covered.evidence.score_parts.iter().find(|p| p.name == name)
    }

    #[tokio::test]
    async fn an_organization_covers_a_competency_with_its_strongest_capability() {
        let (store, catalog) = in_memory_catalog().await;
        let lead = organization(&catalog, "湛江金鲳鱼养殖集团", OrganizationKind::Enterprise).await;
        let lab = organization(&catalog, "南海网箱工程实验室", OrganizationKind::Laboratory).await;
        // Created first, so retrieved first among equals: it holds only part of the competency.
        let partial = create(&catalog, capability("深远海网箱养殖模式与养殖容量评估研究进展"), &lab).await;
        // Shares only the boilerplate 设计 with 饲料配方设计, which it does not cover.
        let whole = create(&catalog, capability("抗风浪网箱锚泊系统设计"), &lab).await;
        let need = create(&catalog, need(&["抗风浪网箱", "饲料配方设计"]), &lead).await;
        let index = Arc::new(SearchIndex::in_ram().expect("index"));
        index.apply(&store.changes_after(0, 100).await.expect("changes")).expect("apply");
        let matcher = Matcher::new(catalog, index);

        let proposal = matcher.propose_consortia(&admin(), &need, Default::default()).await.expect("consortia");
        let best = &proposal.consortia[0];
        let covered = covers(best, &lab);
        let cage: Vec<&str> =
            covered.iter().filter(|c| c.competency == "抗风浪网箱").map(|c| c.capability_id.as_str()).collect();
        assert_eq!(cage, [whole.as_str()], "the whole competency, not the part of it in {partial}: {best:?}");
        assert!(covered.iter().all(|c| c.competency != "饲料配方设计"), "covered through 设计: {covered:?}");
        assert!(covered.iter().all(|c| !c.evidence.matched_terms.is_empty()), "{covered:?}");
    }

    #[tokio::test]
    async fn a_competency_is_covered_by_meaning_and_by_words_only_while_it_has_no_vector() {
        let (store, catalog) = in_memory_catalog().await;
        let lead = organization(&catalog, "湛江金鲳鱼养殖集团", OrganizationKind::Enterprise).await;
        let cage = organization(&catalog, "南海网箱工程实验室", OrganizationKind::Laboratory).await;
        let nutrition = organization(&catalog, "湛江水产营养研究所", OrganizationKind::ResearchInstitute).await;
        let cage_design = create(&catalog, capability("抗风浪网箱设计"), &cage).await;
        // Shares no word with 饲料配方设计: only its meaning can cover it.
        let diets = create(&catalog, capability("金鲳鱼日粮营养需求"), &nutrition).await;
        let by_meaning = create(&catalog, need(&["饲料配方设计"]), &lead).await;
        let by_words = create(&catalog, need(&["抗风浪网箱"]), &lead).await;
        let index = Arc::new(SearchIndex::in_ram().expect("index"));
        index.apply(&store.changes_after(0, 100).await.expect("changes")).expect("apply");

        // The competency 饲料配方设计 and the diets are close, the cage
        // design is not; the reference texts make the background 0.
        let vectors = Arc::new(VectorStore::in_memory("test", 3).expect("vectors"));
        vectors.set_reference(vec![unit(&[0.0, 0.0, 1.0])]);
        vectors
            .remember(vectors.hash(COMPETENCY_KIND, "饲料配方设计"), unit(&[1.0, 0.0, 0.0]).to_vec())
            .expect("remember");
        vectors.set(&diets, RecordKind::Capability, &nutrition, Some(unit(&[1.0, 0.0, 0.2])));
        vectors.set(&cage_design, RecordKind::Capability, &cage, Some(unit(&[0.0, 1.0, 0.0])));
        let matcher = Matcher::new(catalog.clone(), Arc::clone(&index)).with_vectors(vectors);

        let proposal = matcher.propose_consortia(&admin(), &by_meaning, Default::default()).await.expect("consortia");
        let best = &proposal.consortia[0];
        assert_eq!(best.coverage, 1.0, "{best:?}");
        let covered = covers(best, &nutrition);
        assert_eq!(covered.len(), 1);
        assert!(covered[0].evidence.matched_terms.is_empty(), "no shared word: {:?}", covered[0].evidence);
        let semantic = part(covered[0], "semantic").expect("a semantic part");
        assert!(semantic.value > 0.0 && semantic.detail.starts_with("semantic similarity"), "{semantic:?}");
        assert!(covers(best, &cage).is_empty(), "{best:?}");

        // 抗风浪网箱 has no vector yet: its words cover it, and the evidence says so.
        let proposal = matcher.propose_consortia(&admin(), &by_words, Default::default()).await.expect("consortia");
        let covered = covers(&proposal.consortia[0], &cage);
        assert_eq!(covered.len(), 1, "{:?}", proposal.consortia[0]);
        assert!(part(covered[0], "semantic").is_none());
        let text = part(covered[0], "text").expect("a text part");
        assert!(text.detail.contains(LEXICAL_RULE_PENDING), "{}", text.detail);

        // Without semantic matching the same competency says that instead.
        let lexical = Matcher::new(catalog, index);
        let proposal = lexical.propose_consortia(&admin(), &by_words, Default::default()).await.expect("consortia");
        let covered = covers(&proposal.consortia[0], &cage);
        let text = part(covered[0], "text").expect("a text part");
        assert!(text.detail.contains(LEXICAL_RULE_OFF), "{}", text.detail);
        let proposal = lexical.propose_consortia(&admin(), &by_meaning, Default::default()).await.expect("consortia");
        assert!(proposal.consortia.iter().all(|c| c.coverage == 0.0), "no word of 饲料配方设计 anywhere: {proposal:?}");
    }
}
