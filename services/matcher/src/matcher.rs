//! The matching domain API: ranked partners for a need (organizations and
//! capabilities, each with evidence), the affinity of chosen organizations,
//! and the open needs a capability fits. Retrieval is in `retrieval`, the
//! score and its scale in `scoring`, consortia in `consortia`, service
//! offers in `offers`.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use innomatch_catalog::{CatalogError, reader::CatalogReader};
use innomatch_core::{
    auth::Principal,
    model::{Capability, Organization, Record, RecordKind, RecordStatus, TechNeed, Visibility},
};
use innomatch_search::{index::SearchIndex, relevance::TextVector, vectors::VectorStore};

use crate::{
    MatcherError,
    answers::{CapabilityMatch, Evidence, NeedMatch, OrganizationMatch, PartnerMatches},
    retrieval::{CANDIDATE_POOL, OrganizationRelevance, Retrieval, Semantics, system},
    scoring::{CandidateContext, RELEVANCE_FLOOR, RelevanceParts, ScorePart, combine_parts, context_parts},
};

/// Capabilities shown under each organization.
const TOP_CAPABILITIES_SHOWN: usize = 3;

/// Whether a match's evidence gets the words it shares with the need and
/// its best sentence, which cost an analysis of the candidate's text: a
/// ranking scores its candidates without them and builds them only for
/// the matches it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Words {
    Skip,
    Include,
}

/// What the answer says when nothing reaches the relevance floor.
pub const NO_GOOD_PARTNER: &str = "没有找到足够相关的合作伙伴：需求与已登记的能力没有共同的具体主题 \
     (no good partner found: the need shares no specific subject with any listed capability)";

/// A need as the matcher works on it: the stored record, and whether the
/// caller may know who posted it.
#[derive(Debug, Clone)]
pub(crate) struct NeedView {
    pub need: TechNeed,
    pub owner_visible: bool,
}

/// Organizations read once per request.
#[derive(Debug, Default)]
pub(crate) struct Organizations {
    cache: HashMap<String, Option<Organization>>,
}

impl Organizations {
    /// The organization when it exists and is active.
    pub async fn active(&mut self, catalog: &dyn CatalogReader, id: &str) -> Option<Organization> {
        if let Some(hit) = self.cache.get(id) {
            return hit.clone();
        }
        let org = match catalog.get(&system(), RecordKind::Organization, id).await {
            Ok(Record::Organization(org)) if org.meta.status() != RecordStatus::Archived => Some(org),
            _ => None,
        };
        self.cache.insert(id.to_owned(), org.clone());
        org
    }
}

/// The matcher: built once per process over the catalog (here, or the one a
/// replica follows) and the index.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub(crate) catalog: Arc<dyn CatalogReader>,
    pub(crate) retrieval: Retrieval,
}

impl Matcher {
    pub fn new(catalog: impl CatalogReader, index: Arc<SearchIndex>) -> Self {
        Self::over(Arc::new(catalog), index)
    }

    /// Over a reader already shared (a replica's remote catalog, say).
    pub fn over(catalog: Arc<dyn CatalogReader>, index: Arc<SearchIndex>) -> Self {
        Self { catalog, retrieval: Retrieval::new(index) }
    }

    /// Adds semantic matching over the vectors the embedding follower keeps.
    pub fn with_vectors(mut self, vectors: Arc<VectorStore>) -> Self {
        self.retrieval = self.retrieval.with_vectors(vectors);
        self
    }

    pub(crate) async fn need(&self, principal: &Principal, id: &str) -> Result<NeedView, MatcherError> {
        // The caller's view decides whether the need exists for them at all.
        let visible = self.catalog.get(principal, RecordKind::Need, id).await?;
        let Record::Need(need) = self.catalog.get(&system(), RecordKind::Need, id).await? else {
            return Err(CatalogError::NotFound(format!("need {id}")).into());
        };
        let owner_visible = !visible.meta().organization_id.is_empty();
        Ok(NeedView { need, owner_visible })
    }

    /// Ranked organizations and capabilities for a need, with evidence. When
    /// none reaches the relevance floor the lists are empty and `note` says so.
    pub async fn match_need(
        &self,
        principal: &Principal,
        need_id: &str,
        limit: usize,
    ) -> Result<PartnerMatches, MatcherError> {
        let need = self.need(principal, need_id).await?.need;
        self.partners_for(&need, limit).await
    }

    /// Ranked partners for a need already loaded (auto-matching uses this).
    pub async fn partners_for(&self, need: &TechNeed, limit: usize) -> Result<PartnerMatches, MatcherError> {
        let vector = self.retrieval.record_vector(&Record::Need(need.clone())).await?;
        if !self.retrieval.is_specific(&vector) {
            return Ok(PartnerMatches { note: Some(NO_GOOD_PARTNER.to_owned()), ..PartnerMatches::default() });
        }
        let semantics = self.retrieval.semantics_of(&need.meta.id);
        // Candidates are the union of the lexically and the semantically
        // nearest capabilities; one pass over each side also gives every
        // organization's best capabilities on that side.
        let survey = self.retrieval.semantic_survey(&semantics, CANDIDATE_POOL).await?;
        let semantic_owners = survey.iter().flat_map(|s| &s.nearest).map(|(_, owner, _)| owner.clone()).collect();
        let lexical = self.retrieval.lexical_survey(&vector, CANDIDATE_POOL, semantic_owners).await?;
        let mut candidates: Vec<(String, String)> =
            lexical.nearest.iter().map(|(id, owner, _)| (id.clone(), owner.clone())).collect();
        let mut seen: HashSet<String> = candidates.iter().map(|(id, _)| id.clone()).collect();
        for (id, owner, _) in survey.iter().flat_map(|survey| &survey.nearest) {
            if seen.insert(id.clone()) {
                candidates.push((id.clone(), owner.clone()));
            }
        }
        let mut organizations_cache = Organizations::default();

        let mut owners: Vec<String> = Vec::new();
        for (_, owner) in &candidates {
            if *owner != need.meta.organization_id && !owners.contains(owner) {
                owners.push(owner.clone());
            }
        }
        let mut by_relevance =
            self.retrieval.organizations(&vector, &semantics, lexical.organizations, survey, owners).await?;
        // The floor asks for one capability that shares a subject with the
        // need: the blend is lower for short needs and small organizations
        // by construction.
        by_relevance.retain(|(_, relevance)| relevance.best.first().is_some_and(|(_, best)| *best >= RELEVANCE_FLOOR));
        by_relevance.sort_by(|a, b| b.1.value.total_cmp(&a.1.value).then_with(|| a.0.cmp(&b.0)));
        // Context moves a score by at most CONTEXT_SHARE of its relevance:
        // keep enough by relevance that re-ordering by score is exact. Only
        // those are read from the catalog (an archived one makes room for the next).
        let keep = limit.saturating_mul(3).max(limit + 10);
        let mut organizations = Vec::with_capacity(keep);
        for (owner, relevance) in by_relevance {
            if organizations.len() == keep {
                break;
            }
            let Some(org) = organizations_cache.active(self.catalog.as_ref(), &owner).await else { continue };
            organizations.push((relevance, org));
        }
        // Scores first, which need only each organization's best capability
        // (its context), read for all at once; the capabilities shown, their
        // shared words and snippets, which cost an analysis of each text,
        // only for the organizations returned.
        let bests = organizations.iter().filter_map(|(relevance, _)| relevance.best.first().map(|(id, _)| id.clone()));
        let bests = self.retrieval.records(bests.collect(), system()).await?;
        let mut scored = Vec::with_capacity(organizations.len());
        for (relevance, org) in organizations {
            let best = relevance.best.first().and_then(|(id, _)| match bests.get(id) {
                Some(Record::Capability(c)) => Some(c),
                _ => None,
            });
            let score = match best {
                Some(best) => organization_score(need, &org, &relevance, Some(best)).0,
                // Its best is gone from the index: the next shown stands in.
                None => {
                    self.organization_match(need, &vector, &semantics, &org, relevance.clone(), Words::Skip)
                        .await?
                        .score
                }
            };
            scored.push((score, relevance, org));
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.2.meta.id.cmp(&b.2.meta.id)));
        scored.truncate(limit);
        let mut ranked = Vec::with_capacity(scored.len());
        for (_, relevance, org) in scored {
            ranked.push(self.organization_match(need, &vector, &semantics, &org, relevance, Words::Include).await?);
        }

        let mut capabilities = Vec::new();
        let model = self.retrieval.index().relevance();
        let mut fitting: Vec<(String, f32)> = candidates
            .iter()
            .filter(|(_, owner)| *owner != need.meta.organization_id)
            .map(|(id, _)| (id.clone(), self.retrieval.record_parts(&semantics, id, model.cosine(&vector, id)).total()))
            .filter(|(_, relevance)| *relevance >= RELEVANCE_FLOOR)
            .collect();
        fitting.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        fitting.truncate(limit.saturating_mul(3).max(limit + 10));
        let records = self.retrieval.records(fitting.iter().map(|(id, _)| id.clone()).collect(), system()).await?;
        for (id, _) in fitting {
            let Some(Record::Capability(capability)) = records.get(&id) else { continue };
            let Some(org) = organizations_cache.active(self.catalog.as_ref(), &capability.meta.organization_id).await
            else {
                continue;
            };
            capabilities.push((self.capability_match(need, &vector, &semantics, capability, &org, Words::Skip), org));
        }
        capabilities
            .sort_by(|a, b| b.0.score.total_cmp(&a.0.score).then_with(|| a.0.capability_id.cmp(&b.0.capability_id)));
        capabilities.truncate(limit);
        let capabilities = capabilities
            .into_iter()
            .filter_map(|(matched, org)| match records.get(&matched.capability_id) {
                Some(Record::Capability(capability)) => {
                    Some(self.capability_match(need, &vector, &semantics, capability, &org, Words::Include))
                }
                _ => None,
            })
            .collect();

        let note = ranked.is_empty().then(|| NO_GOOD_PARTNER.to_owned());
        Ok(PartnerMatches { capabilities, organizations: ranked, note })
    }

    /// Whether a need says anything specific enough to match (see
    /// [`Retrieval::is_specific`]); auto-matching makes no lead otherwise.
    pub async fn is_specific(&self, need: &TechNeed) -> Result<bool, MatcherError> {
        let vector = self.retrieval.record_vector(&Record::Need(need.clone())).await?;
        Ok(self.retrieval.is_specific(&vector))
    }

    /// The same organization score for a chosen list of organizations: each
    /// computed on its own, so it does not depend on the others asked about
    /// (nor on any relevance floor: a poor fit gets its low score).
    pub async fn score_affinity(
        &self,
        principal: &Principal,
        need_id: &str,
        organization_ids: &[String],
    ) -> Result<Vec<OrganizationMatch>, MatcherError> {
        let need = self.need(principal, need_id).await?.need;
        let vector = self.retrieval.record_vector(&Record::Need(need.clone())).await?;
        let semantics = self.retrieval.semantics_of(&need.meta.id);
        let mut organizations = Organizations::default();
        let mut out = Vec::with_capacity(organization_ids.len());
        for id in organization_ids {
            let Some(org) = organizations.active(self.catalog.as_ref(), id).await else {
                return Err(CatalogError::NotFound(format!("organization {id}")).into());
            };
            let relevance = self.retrieval.organization(&vector, &semantics, id);
            out.push(self.organization_match(&need, &vector, &semantics, &org, relevance, Words::Include).await?);
        }
        Ok(out)
    }

    /// An organization's match: its relevance on the score's scale, the
    /// context of its best capability, and its best capabilities as evidence.
    async fn organization_match(
        &self,
        need: &TechNeed,
        vector: &TextVector,
        semantics: &Semantics,
        org: &Organization,
        relevance: OrganizationRelevance,
        words: Words,
    ) -> Result<OrganizationMatch, MatcherError> {
        let shown: Vec<(String, f32)> = relevance.best.iter().take(TOP_CAPABILITIES_SHOWN).cloned().collect();
        let records = self.retrieval.records(shown.iter().map(|(id, _)| id.clone()).collect(), system()).await?;
        let top_capabilities: Vec<CapabilityMatch> = shown
            .iter()
            .filter_map(|(id, _)| match records.get(id) {
                Some(Record::Capability(c)) => Some(self.capability_match(need, vector, semantics, c, org, words)),
                _ => None,
            })
            .collect();
        let best = top_capabilities.first().and_then(|m| match records.get(&m.capability_id) {
            Some(Record::Capability(c)) => Some(c),
            _ => None,
        });
        let (score, mut evidence) = organization_score(need, org, &relevance, best);
        for capability in &top_capabilities {
            for term in &capability.evidence.matched_terms {
                if !evidence.matched_terms.contains(term) {
                    evidence.matched_terms.push(term.clone());
                }
            }
            evidence.snippets.extend(capability.evidence.snippets.iter().take(1).cloned());
        }
        Ok(OrganizationMatch {
            organization_id: org.meta.id.clone(),
            organization_name: org.name.clone(),
            kind: org.kind(),
            score,
            top_capabilities,
            evidence,
        })
    }

    /// One capability's match for a need, with its evidence.
    pub(crate) fn capability_match(
        &self,
        need: &TechNeed,
        vector: &TextVector,
        semantics: &Semantics,
        capability: &Capability,
        org: &Organization,
        words: Words,
    ) -> CapabilityMatch {
        let candidate = candidate_context(org, Some(capability));
        let context = context_parts(need, &candidate);
        let cosine = self.retrieval.index().relevance().cosine(vector, &capability.meta.id);
        let relevance = self.retrieval.record_parts(semantics, &capability.meta.id, cosine);
        let (score, parts) = combine_parts(&relevance, &context);
        let mut evidence = context_evidence(need, &candidate, parts);
        if words == Words::Include {
            let text =
                innomatch_search::relevance::record_text(&Record::Capability(capability.clone())).unwrap_or_default();
            let (terms, snippet) = self.retrieval.record_evidence_words(vector, &capability.meta.id, &text);
            evidence.matched_terms = terms;
            evidence.snippets = snippet.into_iter().collect();
        }
        CapabilityMatch {
            capability_id: capability.meta.id.clone(),
            organization_id: org.meta.id.clone(),
            title: capability.title.clone(),
            score,
            evidence,
        }
    }

    /// Open needs a capability fits, for academics looking for industry
    /// partners. Needs are searched as the caller: private needs of others
    /// never come back, anonymous ones come without their owner.
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
        let mut organizations = Organizations::default();
        let Some(org) = organizations.active(self.catalog.as_ref(), &capability.meta.organization_id).await else {
            return Err(CatalogError::NotFound(format!("organization {}", capability.meta.organization_id)).into());
        };
        let record = Record::Capability(capability.clone());
        let vector = self.retrieval.record_vector(&record).await?;
        let semantics = self.retrieval.semantics_of(&capability.meta.id);
        let pool = self.retrieval.similar(&vector, vec![RecordKind::Need], principal.clone(), CANDIDATE_POOL).await?;
        let mut candidates: Vec<(String, String)> =
            pool.iter().map(|hit| (hit.id.clone(), hit.organization_id.clone())).collect();
        for neighbour in self.retrieval.semantic_neighbours(&semantics, RecordKind::Need, CANDIDATE_POOL) {
            if !candidates.iter().any(|(id, _)| *id == neighbour.0) {
                candidates.push(neighbour);
            }
        }
        let model = self.retrieval.index().relevance();
        let fitting: Vec<(String, RelevanceParts)> = candidates
            .iter()
            .filter(|(_, owner)| *owner != capability.meta.organization_id)
            .map(|(id, _)| (id.clone(), self.retrieval.record_parts(&semantics, id, model.cosine(&vector, id))))
            .filter(|(_, parts)| parts.total() >= RELEVANCE_FLOOR)
            .collect();
        let needs =
            self.retrieval.records(fitting.iter().map(|(id, _)| id.clone()).collect(), principal.clone()).await?;
        let candidate = candidate_context(&org, Some(&capability));
        let mut out = Vec::new();
        for (id, relevance) in fitting {
            let Some(Record::Need(need)) = needs.get(&id) else { continue };
            if need.meta.status() != RecordStatus::Active {
                continue;
            }
            let context = context_parts(need, &candidate);
            let (score, parts) = combine_parts(&relevance, &context);
            let mut evidence = context_evidence(need, &candidate, parts);
            let text = innomatch_search::relevance::record_text(&Record::Need(need.clone())).unwrap_or_default();
            let (terms, snippet) = self.retrieval.evidence_words(&vector, &text);
            evidence.matched_terms = terms;
            evidence.snippets = snippet.into_iter().collect();
            out.push(NeedMatch {
                need_id: need.meta.id.clone(),
                organization_id: need.meta.organization_id.clone(),
                title: need.title.clone(),
                score,
                evidence,
            });
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.need_id.cmp(&b.need_id)));
        out.truncate(limit);
        Ok(out)
    }
}

/// An organization's score for a need from its relevance and the context of
/// its best capability, with the evidence of that context.
fn organization_score(
    need: &TechNeed,
    org: &Organization,
    relevance: &OrganizationRelevance,
    best: Option<&Capability>,
) -> (f32, Evidence) {
    let candidate = candidate_context(org, best);
    let context = context_parts(need, &candidate);
    let (score, score_parts) = combine_parts(&relevance.parts, &context);
    (score, context_evidence(need, &candidate, score_parts))
}

/// What a candidate brings to the context: the capability's own codes,
/// falling back to its organization's.
pub(crate) fn candidate_context<'a>(org: &'a Organization, capability: Option<&'a Capability>) -> CandidateContext<'a> {
    let pick = |own: &'a [String], fallback: &'a [String]| if own.is_empty() { fallback } else { own };
    match capability {
        Some(c) => CandidateContext {
            high_tech_fields: pick(&c.high_tech_fields, &org.high_tech_fields),
            industries: pick(&c.industries, &org.industries),
            region_code: if c.region_code.is_empty() { &org.region_code } else { &c.region_code },
            trl: c.trl,
            organization_kind: org.kind(),
            capability_kind: c.kind,
        },
        None => CandidateContext {
            high_tech_fields: &org.high_tech_fields,
            industries: &org.industries,
            region_code: &org.region_code,
            trl: 0,
            organization_kind: org.kind(),
            capability_kind: None,
        },
    }
}

/// The evidence the context gives (shared codes, region, TRL and kind fit)
/// around the score parts; matched terms and snippets are added by the caller.
pub(crate) fn context_evidence(need: &TechNeed, candidate: &CandidateContext<'_>, parts: Vec<ScorePart>) -> Evidence {
    let (_, shared_high_tech_fields) =
        crate::scoring::field_overlap(&need.high_tech_fields, candidate.high_tech_fields);
    let (_, shared_industries) = crate::scoring::industry_overlap(&need.industries, candidate.industries);
    let detail = |name: &str| parts.iter().find(|p| p.name == name).map(|p| p.detail.clone()).unwrap_or_default();
    Evidence {
        matched_terms: Vec::new(),
        snippets: Vec::new(),
        shared_high_tech_fields,
        shared_industries,
        region_tier: crate::scoring::region_tier(candidate.region_code),
        trl_fit: detail("trl"),
        kind_fit: detail("kind"),
        score_parts: parts,
    }
}

/// True when the need may produce leads: private needs stay with their owner.
pub fn shareable(need: &TechNeed) -> bool {
    need.visibility() != Visibility::Private && need.meta.status() == RecordStatus::Active
}

#[cfg(test)]
mod tests {
    //! The matcher's domain on an in-memory store and an in-RAM index.

    use innomatch_core::model::OrganizationKind;

    use super::*;
    use crate::test_support::{admin, capability, create, in_memory_catalog, organization};

    #[tokio::test]
    async fn partners_rank_by_fit_and_affinity_agrees_with_them() {
        let (store, catalog) = in_memory_catalog().await;
        let enterprise = organization(&catalog, "湛江预制菜食品公司", OrganizationKind::Enterprise).await;
        let cold_chain = organization(&catalog, "冷链物流研究所", OrganizationKind::ResearchInstitute).await;
        let steel = organization(&catalog, "冶金实验室", OrganizationKind::Laboratory).await;
        create(&catalog, capability("预制菜速冻锁鲜与冷链物流温控"), &cold_chain).await;
        create(&catalog, capability("冷链物流车厢温度在线监测"), &cold_chain).await;
        create(&catalog, capability("氢基竖炉直接还原铁"), &steel).await;
        let need = TechNeed { title: "预制菜冷链物流温控".into(), ..Default::default() };
        let need_id = create(&catalog, Record::Need(need), &enterprise).await;
        let index = Arc::new(SearchIndex::in_ram().expect("index"));
        index.apply(&store.changes_after(0, 100).await.expect("changes")).expect("apply");
        let matcher = Matcher::new(catalog, index);

        let matches = matcher.match_need(&admin(), &need_id, 5).await.expect("match");
        assert_eq!(matches.organizations[0].organization_id, cold_chain);
        assert!(matches.organizations.iter().all(|o| o.organization_id != enterprise), "not its own partner");
        assert!(matches.note.is_none());
        let affinity =
            matcher.score_affinity(&admin(), &need_id, &[steel.clone(), cold_chain.clone()]).await.expect("affinity");
        assert_eq!(affinity[1].score, matches.organizations[0].score, "the same score either way");
        assert!(affinity[0].score < affinity[1].score);
    }
}
