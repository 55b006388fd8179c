//! Retrieval for matching: a record's text as a relevance vector, candidate
//! records from the index, an organization's relevance from the relevance
//! model, and the evidence words and snippet of a candidate.
//!
//! Candidates are found with a short query (the strongest terms of the
//! text) but scored on the whole text; an organization's relevance is
//! computed over all its capabilities, not only the retrieved ones, so it
//! is the same whether it is asked about alone or among others.

use std::{collections::HashMap, sync::Arc};

use innomatch_core::{
    auth::Principal,
    model::{Record, RecordKind, Role},
};
use innomatch_search::{
    index::{Filters, IndexError, Relevant, SearchIndex},
    relevance::{self, LexicalSurvey, TextVector},
    vectors::{SemanticRelevance, Survey, VectorStore},
};

use crate::{
    MatcherError,
    scoring::{DEPTH, RelevanceParts, organization_relevance, semantic_weight},
};

/// Capabilities retrieved per need before scoring.
pub const CANDIDATE_POOL: usize = 300;
/// Capabilities retrieved per competency when forming consortia.
pub const COMPETENCY_POOL: usize = 60;
/// Longest snippet shown as evidence, in characters.
const SNIPPET_CHARS: usize = 120;

/// The system reads records on behalf of the matcher; callers only get what
/// their own principal may see.
pub fn system() -> Principal {
    Principal { token_id: "system:matcher".into(), organization_id: None, role: Role::Admin }
}

/// An organization's relevance to a text, with what it was built from.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationRelevance {
    /// Cosine of the text with the organization's profile.
    pub profile: f32,
    /// Its best capabilities with their relevance (lexical + semantic,
    /// cosine units), best first (at most [`DEPTH`]).
    pub best: Vec<(String, f32)>,
    /// The lexical blend (see [`organization_relevance`]) and the semantic part.
    pub parts: RelevanceParts,
    /// `parts.total()`.
    pub value: f32,
}

/// What the matcher knows of a text's meaning: its dense vector and how
/// similar it is to an arbitrary capability (the background its
/// similarities are measured from).
#[derive(Debug, Clone)]
pub enum Semantics {
    /// Not used for this comparison (e.g. a competency against capabilities).
    Unused,
    /// No embedding model in this process: matching is lexical only.
    Off,
    /// The text has no vector yet (it is embedded in the background).
    Pending,
    Ready {
        /// In the vector store's metric.
        vector: Arc<[f32]>,
        background: f32,
        /// The weight of a similarity above the background (see [`semantic_weight`]).
        weight: f32,
    },
}

impl Semantics {
    /// Why there is no semantic part, for the evidence.
    pub fn absence(&self) -> &'static str {
        match self {
            Semantics::Off => "lexical only: semantic matching is off (no embedding model installed, or turned off)",
            Semantics::Pending => "semantic similarity pending: the text is being embedded",
            Semantics::Ready { .. } | Semantics::Unused => "",
        }
    }
}

/// The index (and the vectors beside it), with blocking calls moved off the
/// async threads.
#[derive(Debug, Clone)]
pub struct Retrieval {
    index: Arc<SearchIndex>,
    vectors: Option<Arc<VectorStore>>,
}

impl Retrieval {
    pub fn new(index: Arc<SearchIndex>) -> Self {
        Self { index, vectors: None }
    }

    /// Adds semantic matching over `vectors`.
    pub fn with_vectors(mut self, vectors: Arc<VectorStore>) -> Self {
        self.vectors = Some(vectors);
        self
    }

    /// The semantics of an indexed record (its stored vector).
    pub fn semantics_of(&self, id: &str) -> Semantics {
        let Some(store) = &self.vectors else { return Semantics::Off };
        match store.vector(id) {
            Some(vector) => {
                let background = store.background(&vector);
                Semantics::Ready { vector, background, weight: semantic_weight(store.has_metric()) }
            }
            None => Semantics::Pending,
        }
    }

    /// The semantics of a competency a need names (its vector comes from the
    /// embedding follower, never from this request): `Pending` until the
    /// need's competencies are embedded.
    pub fn semantics_of_competency(&self, name: &str) -> Semantics {
        let Some(store) = &self.vectors else { return Semantics::Off };
        match store.competency_vector(name) {
            Some(vector) => {
                let background = store.background(&vector);
                Semantics::Ready { vector, background, weight: semantic_weight(store.has_metric()) }
            }
            None => Semantics::Pending,
        }
    }

    /// Capabilities semantically nearest to the text, with their owners.
    pub fn semantic_neighbours(&self, semantics: &Semantics, kind: RecordKind, k: usize) -> Vec<(String, String)> {
        match (semantics, &self.vectors) {
            (Semantics::Ready { vector, .. }, Some(store)) => {
                store.nearest(vector, kind, k).into_iter().map(|(id, owner, _)| (id, owner)).collect()
            }
            _ => Vec::new(),
        }
    }

    /// [`Retrieval::semantic_neighbours`] of each of several texts, from one
    /// pass over the vectors, on a blocking thread (none for a text without
    /// semantics).
    pub async fn semantic_neighbours_each(
        &self,
        semantics: &[Semantics],
        kind: RecordKind,
        k: usize,
    ) -> Result<Vec<Vec<(String, String)>>, MatcherError> {
        let ready: Vec<(usize, Arc<[f32]>)> = semantics
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                Semantics::Ready { vector, .. } => Some((i, Arc::clone(vector))),
                _ => None,
            })
            .collect();
        let mut out = vec![Vec::new(); semantics.len()];
        let Some(store) = self.vectors.clone().filter(|_| !ready.is_empty()) else { return Ok(out) };
        let found = tokio::task::spawn_blocking(move || {
            let queries: Vec<&[f32]> = ready.iter().map(|(_, v)| &**v).collect();
            let found = store.nearest_each(&queries, kind, k);
            ready.iter().map(|(i, _)| *i).zip(found).collect::<Vec<_>>()
        })
        .await
        .map_err(|e| MatcherError::Task(e.to_string()))?;
        for (i, nearest) in found {
            out[i] = nearest.into_iter().map(|(id, owner, _)| (id, owner)).collect();
        }
        Ok(out)
    }

    /// The weighted semantic similarity of a record above the background
    /// (see [`semantic_weight`]), and the raw similarity; `None` without semantics.
    pub fn semantic(&self, semantics: &Semantics, id: &str) -> Option<(f32, f32)> {
        let (Semantics::Ready { vector, background, weight }, Some(store)) = (semantics, &self.vectors) else {
            return None;
        };
        let similarity = store.cosine(vector, id)?;
        Some((weight * (similarity - background).max(0.0), similarity))
    }

    /// A record's relevance parts: its lexical cosine and semantic part.
    pub fn record_parts(&self, semantics: &Semantics, id: &str, lexical: f32) -> RelevanceParts {
        let semantic = self.semantic(semantics, id);
        RelevanceParts {
            lexical,
            semantic: semantic.map(|(weighted, _)| weighted),
            lexical_detail: format!("cosine {lexical:.3} with the whole text"),
            semantic_detail: match (semantic, semantics) {
                (Some((_, similarity)), Semantics::Ready { background, .. }) => {
                    format!("semantic similarity {similarity:.3} (background {background:.3})")
                }
                _ => semantics.absence().to_owned(),
            },
        }
    }

    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    async fn blocking<T, F>(&self, work: F) -> Result<T, MatcherError>
    where
        T: Send + 'static,
        F: FnOnce(&SearchIndex) -> Result<T, IndexError> + Send + 'static,
    {
        let index = Arc::clone(&self.index);
        tokio::task::spawn_blocking(move || work(&index))
            .await
            .map_err(|e| MatcherError::Task(e.to_string()))?
            .map_err(Into::into)
    }

    /// A text as a relevance vector (analysis runs on a blocking thread).
    pub async fn vector(&self, text: String) -> Result<TextVector, MatcherError> {
        self.blocking(move |index| Ok(index.text_vector(&text))).await
    }

    /// Cosine between two texts, neither of which need be indexed yet.
    pub async fn text_cosine(&self, a: String, b: String) -> Result<f32, MatcherError> {
        self.blocking(move |index| Ok(index.text_cosine(&a, &b))).await
    }

    /// The vector of a record's own text.
    pub async fn record_vector(&self, record: &Record) -> Result<TextVector, MatcherError> {
        self.vector(relevance::record_text(record).unwrap_or_default()).await
    }

    /// Records of `kinds` similar to `vector`, best first, as `viewer` may see them.
    pub async fn similar(
        &self,
        vector: &TextVector,
        kinds: Vec<RecordKind>,
        viewer: Principal,
        pool: usize,
    ) -> Result<Vec<Relevant>, MatcherError> {
        let vector = vector.clone();
        let filters = Filters { record_kinds: kinds, ..Filters::default() };
        self.blocking(move |index| index.similar(&vector, &filters, &viewer, pool)).await
    }

    /// Indexed records by id as `viewer` may see them.
    pub async fn records(
        &self,
        ids: Vec<String>,
        viewer: Principal,
    ) -> Result<std::collections::HashMap<String, Record>, MatcherError> {
        self.blocking(move |index| index.records(&ids, &viewer)).await
    }

    /// An organization's relevance to a text, over all its capabilities:
    /// the lexical blend of profile and depth, plus the semantic blend of
    /// centroid and depth above the background when the text is embedded
    /// (fused per organization, which beat fusing per capability).
    pub fn organization(
        &self,
        vector: &TextVector,
        semantics: &Semantics,
        organization_id: &str,
    ) -> OrganizationRelevance {
        let lexical_best = self.index.relevance().best_capabilities(vector, organization_id, DEPTH);
        let semantic = match (semantics, &self.vectors) {
            (Semantics::Ready { vector: dense, background, .. }, Some(store)) => {
                store.organization(dense, organization_id, DEPTH, *background)
            }
            _ => None,
        };
        self.fuse(vector, semantics, organization_id, lexical_best, semantic)
    }

    /// The capabilities semantically nearest to the text (as
    /// [`Retrieval::semantic_neighbours`]) and every organization's semantic
    /// relevance, from one pass over the vectors (on a blocking thread);
    /// `None` without semantics.
    pub async fn semantic_survey(&self, semantics: &Semantics, k: usize) -> Result<Option<Survey>, MatcherError> {
        let (Semantics::Ready { vector, background, .. }, Some(store)) = (semantics, &self.vectors) else {
            return Ok(None);
        };
        let (store, vector, background) = (Arc::clone(store), Arc::clone(vector), *background);
        tokio::task::spawn_blocking(move || Some(store.survey(&vector, k, DEPTH, background)))
            .await
            .map_err(|e| MatcherError::Task(e.to_string()))
    }

    /// The capabilities lexically nearest to the text (exact cosines, best
    /// first) and the best capabilities of their owners and of `also`, from
    /// one pass over the postings of its terms (on a blocking thread).
    pub async fn lexical_survey(
        &self,
        vector: &TextVector,
        k: usize,
        also: Vec<String>,
    ) -> Result<LexicalSurvey, MatcherError> {
        let (index, vector) = (Arc::clone(&self.index), vector.clone());
        tokio::task::spawn_blocking(move || index.relevance().survey(&vector, k, DEPTH, &also))
            .await
            .map_err(|e| MatcherError::Task(e.to_string()))
    }

    /// [`Retrieval::organization`] for each of `organization_ids`, with the
    /// same values, from the two surveys: each organization's depth needs
    /// all of its capabilities, which each survey has measured in one pass
    /// (see [`Retrieval::lexical_survey`] and [`Retrieval::semantic_survey`]).
    pub async fn organizations(
        &self,
        vector: &TextVector,
        semantics: &Semantics,
        mut lexical: HashMap<String, Vec<(String, f32)>>,
        survey: Option<Survey>,
        organization_ids: Vec<String>,
    ) -> Result<Vec<(String, OrganizationRelevance)>, MatcherError> {
        let (this, vector, semantics) = (self.clone(), vector.clone(), semantics.clone());
        let mut surveyed = survey.map(|survey| survey.organizations).unwrap_or_default();
        tokio::task::spawn_blocking(move || {
            organization_ids
                .into_iter()
                .map(|id| {
                    let lexical_best = lexical.remove(&id).unwrap_or_default();
                    let relevance = this.fuse(&vector, &semantics, &id, lexical_best, surveyed.remove(&id));
                    (id, relevance)
                })
                .collect()
        })
        .await
        .map_err(|e| MatcherError::Task(e.to_string()))
    }

    /// An organization's relevance from its best capabilities, lexical and
    /// semantic (see [`Retrieval::organization`]).
    fn fuse(
        &self,
        vector: &TextVector,
        semantics: &Semantics,
        organization_id: &str,
        lexical_best: Vec<(String, f32)>,
        semantic: Option<SemanticRelevance>,
    ) -> OrganizationRelevance {
        let model = self.index.relevance();
        let profile = model.profile_cosine(vector, organization_id);
        let cosines: Vec<f32> = lexical_best.iter().map(|(_, c)| *c).collect();
        let discriminant = model.discriminant(vector, organization_id);
        let lexical = organization_relevance(profile, &cosines, discriminant);
        let semantic = match semantics {
            Semantics::Ready { background, weight, .. } => semantic.map(|s| (s, *background, *weight)),
            _ => None,
        };
        // The best capabilities by their own fused relevance; each side's
        // best come with their measure, only the other side's is computed.
        let lexically: HashMap<&str, f32> = lexical_best.iter().map(|(id, c)| (id.as_str(), *c)).collect();
        let semantically: HashMap<&str, f32> = match &semantic {
            Some((s, background, weight)) => {
                s.best.iter().map(|(id, sim)| (id.as_str(), weight * (sim - background).max(0.0))).collect()
            }
            None => HashMap::new(),
        };
        let mut ids: Vec<&str> = lexically.keys().chain(semantically.keys()).copied().collect();
        ids.sort_unstable();
        ids.dedup();
        let mut best: Vec<(String, f32)> = ids
            .into_iter()
            .map(|id| {
                let lexical = lexically.get(id).copied().unwrap_or_else(|| model.cosine(vector, id));
                let semantic = semantically
                    .get(id)
                    .copied()
                    .unwrap_or_else(|| self.semantic(semantics, id).map_or(0.0, |(weighted, _)| weighted));
                (id.to_owned(), lexical + semantic)
            })
            .collect();
        best.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        best.truncate(DEPTH);
        let discriminant_detail = discriminant
            .map(|v| format!(", discriminant {:.2} (support {:.2})", v.decision, v.support))
            .unwrap_or_default();
        let lexical_detail = format!(
            "profile {profile:.2} over {} capabilities, best {}{discriminant_detail}: lexical {lexical:.3}",
            model.capability_count(organization_id),
            cosines.iter().map(|c| format!("{c:.2}")).collect::<Vec<_>>().join(" ")
        );
        let (semantic_part, semantic_detail) = match &semantic {
            Some((s, background, weight)) => {
                let blend = 0.5 * s.depth + 0.5 * s.centroid;
                (
                    Some(weight * (blend - background).max(0.0)),
                    format!(
                        "semantic: centroid {:.3}, best five {:.3}, background {background:.3}",
                        s.centroid, s.depth
                    ),
                )
            }
            None => (None, semantics.absence().to_owned()),
        };
        let parts = RelevanceParts { lexical, semantic: semantic_part, lexical_detail, semantic_detail };
        OrganizationRelevance { profile, best, value: parts.total(), parts }
    }

    /// Cosine of `vector` with one indexed record.
    pub fn cosine(&self, vector: &TextVector, id: &str) -> f32 {
        self.index.relevance().cosine(vector, id)
    }

    /// How much of a competency's text an indexed record covers.
    pub fn coverage(&self, vector: &TextVector, id: &str) -> f32 {
        self.index.relevance().coverage(vector, id)
    }

    /// Whether a text says anything specific: some word of it is neither
    /// generic nor a mere character pair. A need of generic words only
    /// (技术研究与开发合作) has no partner and makes no lead.
    pub fn is_specific(&self, vector: &TextVector) -> bool {
        let model = self.index.relevance();
        vector.terms().iter().any(|t| !relevance::is_bigram(t) && !model.is_generic(t))
    }

    /// How many active capabilities an organization has.
    pub fn capability_count(&self, organization_id: &str) -> u32 {
        self.index.relevance().capability_count(organization_id)
    }

    /// Evidence words of `text` for `vector`, and the sentence of `text` that
    /// holds most of them (matched words in `<em>`).
    pub fn evidence_words(&self, vector: &TextVector, text: &str) -> (Vec<String>, Option<String>) {
        let terms = self.index.evidence_terms(vector, text);
        let snippet = snippet(text, &terms);
        (terms, snippet)
    }

    /// [`Retrieval::evidence_words`] of an indexed record's own `text`; a
    /// record that shares no specific term with `vector` has none, known
    /// from its stored terms without analysing the text.
    pub fn record_evidence_words(&self, vector: &TextVector, id: &str, text: &str) -> (Vec<String>, Option<String>) {
        if !self.index.relevance().shares_specific_term(vector, id) {
            return (Vec::new(), None);
        }
        self.evidence_words(vector, text)
    }
}

/// The sentence of `text` with the most of `terms` (ties: the earliest),
/// cut to [`SNIPPET_CHARS`] around the first term, terms in `<em>`.
pub fn snippet(text: &str, terms: &[String]) -> Option<String> {
    if terms.iter().all(|t| t.is_empty()) {
        return None;
    }
    let sentences = text.split_inclusive(['。', '；', '！', '？', '\n', ';', '!', '?']);
    let (count, sentence) = sentences
        .map(|s| (terms.iter().filter(|t| !t.is_empty() && s.contains(t.as_str())).count(), s.trim()))
        .fold((0, ""), |best, next| if next.0 > best.0 { next } else { best });
    if count == 0 {
        return None;
    }
    let chars: Vec<char> = sentence.chars().collect();
    let first = terms
        .iter()
        .filter(|t| !t.is_empty())
        .filter_map(|t| sentence.find(t.as_str()))
        .min()
        .map(|byte| sentence[..byte].chars().count())
        .unwrap_or(0);
    let start = first.saturating_sub(SNIPPET_CHARS / 3).min(chars.len().saturating_sub(SNIPPET_CHARS));
    let cut: String = chars[start..(start + SNIPPET_CHARS).min(chars.len())].iter().collect();
    let mut longest_first: Vec<&String> = terms.iter().collect();
    longest_first.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
    Some(highlight(&cut, &longest_first))
}

/// Wraps each occurrence of a term in `<em>`, longest terms first, never
/// inside an earlier highlight.
fn highlight(text: &str, terms: &[&String]) -> String {
    let mut marked = vec![false; text.len()];
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for term in terms.iter().filter(|t| !t.is_empty()) {
        for (start, _) in text.match_indices(term.as_str()) {
            let end = start + term.len();
            if marked[start..end].iter().any(|m| *m) {
                continue;
            }
            marked[start..end].iter_mut().for_each(|m| *m = true);
            spans.push((start, end));
        }
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len() + spans.len() * 9);
    let mut at = 0;
    for (start, end) in spans {
        if start < at {
            continue; // never inside an earlier highlight
        }
        out.push_str(&text[at..start]);
        out.push_str("<em>");
        out.push_str(&text[start..end]);
        out.push_str("</em>");
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_pick_the_sentence_with_most_evidence_and_mark_it() {
        let text = "团队长期从事水产养殖。重点开展对虾养殖病害防控与对虾育种研究；也做金鲳鱼网箱。";
        let terms = vec!["对虾".to_owned(), "病害防控".to_owned()];
        let snippet = snippet(text, &terms).expect("a sentence holds the terms");
        assert!(snippet.starts_with("重点开展"), "{snippet}");
        assert_eq!(snippet.matches("<em>对虾</em>").count(), 2, "{snippet}");
        assert!(snippet.contains("<em>病害防控</em>"));
        assert_eq!(super::snippet(text, &[]), None);
        assert_eq!(super::snippet(text, &["氢冶金".to_owned()]), None);
        assert_eq!(super::snippet(text, &[String::new()]), None, "an empty term marks nothing");
        let marked = super::snippet(text, &["对虾".to_owned(), String::new()]).expect("found");
        assert!(marked.contains("<em>对虾</em>") && !marked.contains("<em></em>"), "{marked}");
    }

    #[test]
    fn long_sentences_are_cut_on_character_boundaries() {
        let text = format!("{}氢冶金{}", "钢".repeat(300), "铁".repeat(300));
        let snippet = snippet(&text, &["氢冶金".to_owned()]).expect("found");
        assert!(snippet.contains("<em>氢冶金</em>"));
        assert!(snippet.chars().count() <= SNIPPET_CHARS + 9);
    }
}
