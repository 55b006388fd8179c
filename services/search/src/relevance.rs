//! Whole-text relevance between a need and the catalog's records: sublinear
//! TF-IDF cosine with term weights from this corpus, and organization
//! profiles (all of an organization's capabilities read as one text).
//!
//! Why this and not the index's BM25 score: a BM25 score has no fixed scale
//! (it grows with the query's length and rare words), so it cannot say how
//! well one record fits in absolute terms, and the matcher needs scores that
//! mean the same thing across needs. A cosine of TF-IDF vectors lies in
//! 0..=1 whatever the query. Measured on the real-text dev set (Chinese paper
//! abstracts, `make eval`), TF-IDF cosine also ranked the right laboratory
//! first more often than BM25.
//!
//! Features of a text: the analyzer's words and their dictionary sub-words
//! (jieba search mode, as indexed) plus the character bigrams of its Chinese
//! runs, which catch compounds the dictionary cuts differently (冶金/冶炼 share
//! 冶). Term frequencies are sublinear (1 + ln tf), document frequencies are
//! counted over every active need, capability and offer the index holds, and
//! the IDF is the smoothed `ln((1 + N) / (1 + df)) + 1`.
//!
//! The model lives in memory beside the tantivy index and follows the same
//! changes. Each document's feature bag is also stored in the index, so a
//! restart rebuilds the model without analysing any text again.

use std::{
    collections::HashMap,
    sync::{
        Arc, LazyLock, RwLock,
        atomic::{AtomicU64, Ordering},
    },
};

use innomatch_core::model::{Record, RecordKind, RecordStatus};

use crate::{
    analysis::{Analyzer, normalize},
    discriminant::{Discriminants, Example, Verdict},
    top::keep_top,
};

/// Maps keyed by terms, ids and term ids, looked up for every feature of
/// every text indexed or matched: foldhash is several times faster than
/// SipHash on such short keys and still seeded per process, so terms cannot
/// be crafted in advance to collide.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Organization discriminants (see [`crate::discriminant`]) are fitted once
/// the catalog has this many active capabilities in at least
/// [`DISCRIMINANT_MIN_ORGANIZATIONS`] organizations: a classifier over a
/// vocabulary of hundreds of thousands of terms learns noise from fewer.
/// Below that, the profile and depth cosines rank alone.
pub const DISCRIMINANT_MIN_CAPABILITIES: usize = 1_000;
pub const DISCRIMINANT_MIN_ORGANIZATIONS: usize = 10;

/// The discriminants are fitted again when the number of active
/// capabilities has moved by this share since the last fit.
const DISCRIMINANT_REFIT_SHARE: f64 = 0.1;

/// Whether discriminants fitted on `fitted_on` capabilities still stand for
/// a catalog of `capabilities` (it has not moved by
/// [`DISCRIMINANT_REFIT_SHARE`] since), or are due to be fitted again.
pub fn discriminants_stand(fitted_on: usize, capabilities: usize) -> bool {
    (capabilities.abs_diff(fitted_on) as f64) < DISCRIMINANT_REFIT_SHARE * fitted_on as f64
}

/// Chinese academic and proposal boilerplate: words that say how work is
/// done or written up, never what it is about (`data/generic_terms.txt`).
/// They carry no weight in relevance and are never shown as matched terms.
const CURATED_GENERIC: &str = include_str!("../data/generic_terms.txt");

static GENERIC_WORDS: LazyLock<std::collections::HashSet<&'static str>> =
    LazyLock::new(|| CURATED_GENERIC.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect());

/// Whether `word` (analyzed form) is on the curated list of generic words.
pub fn is_curated_generic(word: &str) -> bool {
    GENERIC_WORDS.contains(word)
}

/// A term found in more than this share of the corpus's documents is
/// generic by its document frequency ("model", 方法 in a set of papers):
/// it still weighs a little in relevance (its IDF is low), but is not
/// evidence of a match.
pub const GENERIC_DOCUMENT_SHARE: f64 = 0.1;

/// Below this many documents, document frequencies say too little to call a
/// term generic; only the curated list applies.
pub const MIN_DOCUMENTS_FOR_GENERIC: u32 = 50;

/// Prefix of character-bigram features, so that the bigram 钢铁 and the word
/// 钢铁 are different features (a word is stronger evidence).
const BIGRAM_PREFIX: char = '\u{1}';

/// The features of a text as (term, count), in first-occurrence order.
pub fn features(analyzer: &Analyzer, text: &str) -> Vec<(String, u32)> {
    let mut counts: FastMap<String, u32> = FastMap::default();
    let mut order: Vec<String> = Vec::new();
    let mut add = |term: String| {
        let count = counts.entry(term.clone()).or_insert(0);
        if *count == 0 {
            order.push(term);
        }
        *count += 1;
    };
    for word in analyzer.analyze_words(text) {
        if !is_curated_generic(&word.text) {
            add(word.text);
        }
        for sub in word.subwords {
            if !is_curated_generic(&sub) {
                add(sub);
            }
        }
    }
    let normalized = normalize(text);
    let mut previous: Option<char> = None;
    for c in normalized.chars() {
        if is_han(c) {
            if let Some(p) = previous {
                add(format!("{BIGRAM_PREFIX}{p}{c}"));
            }
            previous = Some(c);
        } else {
            previous = None;
        }
    }
    order
        .into_iter()
        .map(|term| {
            let n = counts.get(&term).copied().unwrap_or(1);
            (term, n)
        })
        .collect()
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

/// Whether a feature is a character bigram (never shown as evidence).
pub fn is_bigram(term: &str) -> bool {
    term.starts_with(BIGRAM_PREFIX)
}

/// The text of a record that relevance compares: what it is about, in the
/// owner's words. Organizations have none (their capabilities speak for them).
pub fn record_text(record: &Record) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    match record {
        // Policies are no partner's subject: the matcher never scores them.
        Record::Organization(_) | Record::Policy(_) => return None,
        Record::Need(n) => {
            parts.push(&n.title);
            parts.extend(n.keywords.iter().map(String::as_str));
            parts.extend(n.competencies.iter().map(|c| c.name.as_str()));
            parts.push(&n.description);
        }
        Record::Capability(c) => {
            parts.push(&c.title);
            parts.extend(c.keywords.iter().map(String::as_str));
            parts.push(&c.description);
        }
        Record::Offer(o) => {
            parts.push(&o.title);
            parts.extend(o.keywords.iter().map(String::as_str));
            parts.push(&o.description);
        }
    }
    Some(parts.into_iter().filter(|p| !p.trim().is_empty()).collect::<Vec<_>>().join("\n"))
}

/// A stored feature bag: the record's features with their counts, encoded
/// compactly for the index's document store.
pub fn encode_bag(bag: &[(String, u32)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bag.len() * 8);
    for (term, count) in bag {
        push_varint(&mut out, term.len() as u64);
        out.extend_from_slice(term.as_bytes());
        push_varint(&mut out, u64::from(*count));
    }
    out
}

/// Decodes [`encode_bag`]; `None` when the bytes are not a bag.
pub fn decode_bag(mut bytes: &[u8]) -> Option<Vec<(String, u32)>> {
    let mut bag = Vec::new();
    while !bytes.is_empty() {
        let len = usize::try_from(read_varint(&mut bytes)?).ok()?;
        let term = std::str::from_utf8(bytes.get(..len)?).ok()?.to_owned();
        bytes = &bytes[len..];
        let count = u32::try_from(read_varint(&mut bytes)?).ok()?;
        bag.push((term, count));
    }
    Some(bag)
}

fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn read_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7F) << shift;
        if byte < 0x80 {
            return Some(value);
        }
    }
    None
}

/// A text as a unit-length TF-IDF vector over the model's terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextVector {
    /// (term id, weight), weights of unit length over the whole text
    /// (terms the corpus has never seen count in the length, not here).
    weights: Vec<(u32, f32)>,
    /// `weights` times each term's IDF, in the same order: what a stored
    /// document's TF part multiplies, so that a scan over many documents
    /// takes no logarithm per shared term.
    scan: Vec<(u32, f32)>,
    /// The features with their raw counts, to tell evidence apart.
    terms: Vec<String>,
}

impl TextVector {
    /// The features the vector was built from (known to the corpus or not).
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// The strongest `n` terms known to the corpus, by weight, for retrieval.
    pub fn strongest(&self, model: &RelevanceModel, n: usize) -> Vec<(String, f32)> {
        let state = model.read();
        let mut weights = self.weights.clone();
        weights.sort_by(|a, b| b.1.total_cmp(&a.1));
        weights
            .into_iter()
            .filter_map(|(id, w)| state.terms.get(id as usize).map(|t| (t.to_string(), w)))
            .filter(|(t, _)| !is_bigram(t))
            .take(n)
            .collect()
    }
}

/// `1 + ln(count)`, the TF part of a weight; small counts from a table.
fn log_tf(count: u32) -> f32 {
    static TABLE: std::sync::LazyLock<[f32; 64]> =
        std::sync::LazyLock::new(|| std::array::from_fn(|count| 1.0 + (count.max(1) as f32).ln()));
    match TABLE.get(count as usize) {
        Some(&value) => value,
        None => 1.0 + (count as f32).ln(),
    }
}

#[derive(Debug)]
struct Doc {
    id: Box<str>,
    kind: RecordKind,
    owner: String,
    /// The owner's number in `State::owners` (capabilities only).
    owner_number: u32,
    /// (term id, count), sorted by term id.
    bag: Box<[(u32, u32)]>,
    /// The vector length as last computed (see `State::cached_norm`).
    norm: AtomicU64,
}

/// All of an organization's active capabilities as one text.
#[derive(Debug, Default)]
struct Profile {
    /// term id → total count over the organization's capabilities.
    counts: FastMap<u32, u32>,
    /// Slots of the capabilities it is made of.
    members: std::collections::BTreeSet<u32>,
    /// The vector length as last computed: f32 bits and the corpus size it
    /// was computed at (0 when stale).
    norm: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    ids: FastMap<Box<str>, u32>,
    terms: Vec<Box<str>>,
    df: Vec<u32>,
    /// Documents by slot (a freed slot is `None` until reused).
    slots: Vec<Option<Doc>>,
    slot_of: FastMap<Box<str>, u32>,
    free: Vec<u32>,
    /// term id → (slot, count) of the capabilities holding it: what
    /// [`RelevanceModel::survey`] accumulates a query over,
    /// term at a time, instead of merging the query with every bag.
    postings: Vec<Vec<(u32, u32)>>,
    /// Owners of capabilities, numbered in first-seen order (never reused).
    owners: FastMap<String, u32>,
    profiles: FastMap<String, Profile>,
}

impl State {
    fn id(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.ids.get(term) {
            return id;
        }
        let id = self.terms.len() as u32;
        self.terms.push(term.into());
        self.ids.insert(term.into(), id);
        self.df.push(0);
        self.postings.push(Vec::new());
        id
    }

    fn documents(&self) -> u32 {
        self.slot_of.len() as u32
    }

    /// Whether a term is in too many documents to be evidence (see
    /// [`RelevanceModel::is_generic`]).
    fn is_common(&self, term: &str) -> bool {
        let documents = self.documents();
        if documents < MIN_DOCUMENTS_FOR_GENERIC {
            return false;
        }
        let df = self.ids.get(term).and_then(|&id| self.df.get(id as usize).copied()).unwrap_or(0);
        f64::from(df) > GENERIC_DOCUMENT_SHARE * f64::from(documents)
    }

    fn doc(&self, id: &str) -> Option<&Doc> {
        self.slot_of.get(id).and_then(|&slot| self.slots.get(slot as usize)).and_then(Option::as_ref)
    }

    fn idf(&self, df: u32) -> f32 {
        let n = f64::from(self.documents());
        (((1.0 + n) / (1.0 + f64::from(df))).ln() + 1.0) as f32
    }

    fn idf_of(&self, id: u32) -> f32 {
        self.idf(self.df.get(id as usize).copied().unwrap_or(0))
    }

    fn remove(&mut self, id: &str) {
        let Some(slot) = self.slot_of.remove(id) else { return };
        let Some(doc) = self.slots.get_mut(slot as usize).and_then(Option::take) else { return };
        self.free.push(slot);
        for &(term, _) in doc.bag.iter() {
            if let Some(df) = self.df.get_mut(term as usize) {
                *df = df.saturating_sub(1);
            }
        }
        if doc.kind == RecordKind::Capability {
            for &(term, _) in doc.bag.iter() {
                let postings = &mut self.postings[term as usize];
                if let Some(at) = postings.iter().position(|&(s, _)| s == slot) {
                    postings.swap_remove(at);
                }
            }
            if let Some(profile) = self.profiles.get_mut(&doc.owner) {
                for &(term, count) in doc.bag.iter() {
                    if let Some(total) = profile.counts.get_mut(&term) {
                        *total = total.saturating_sub(count);
                        if *total == 0 {
                            profile.counts.remove(&term);
                        }
                    }
                }
                profile.members.remove(&slot);
                profile.norm.store(0, Ordering::Relaxed);
                if profile.members.is_empty() {
                    self.profiles.remove(&doc.owner);
                }
            }
        }
    }

    /// The ids of `features`' terms the model already knows (see
    /// [`RelevanceModel::known_ids`]).
    fn known_ids(&self, features: &[(String, u32)]) -> Vec<Option<u32>> {
        features.iter().map(|(term, _)| self.ids.get(term.as_str()).copied()).collect()
    }

    /// Adds a document; `known` are ids looked up earlier for its features,
    /// each used only if it still names the same term.
    fn insert(
        &mut self,
        id: &str,
        kind: RecordKind,
        owner: &str,
        features: &[(String, u32)],
        known: Option<&[Option<u32>]>,
    ) {
        self.remove(id);
        let mut bag: Vec<(u32, u32)> = Vec::with_capacity(features.len());
        for (i, (term, count)) in features.iter().enumerate() {
            let known = known
                .and_then(|ids| ids.get(i).copied().flatten())
                .filter(|&known| self.terms.get(known as usize).is_some_and(|t| **t == **term));
            bag.push((known.unwrap_or_else(|| self.id(term)), *count));
        }
        bag.sort_unstable();
        bag.dedup_by(|b, a| {
            if a.0 == b.0 {
                a.1 += b.1;
                true
            } else {
                false
            }
        });
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        for &(term, _) in &bag {
            self.df[term as usize] += 1;
        }
        let mut owner_number = u32::MAX;
        if kind == RecordKind::Capability {
            let next = self.owners.len() as u32;
            owner_number = *self.owners.entry(owner.to_owned()).or_insert(next);
            let profile = self.profiles.entry(owner.to_owned()).or_default();
            for &(term, count) in &bag {
                *profile.counts.entry(term).or_insert(0) += count;
                self.postings[term as usize].push((slot, count));
            }
            profile.members.insert(slot);
            profile.norm.store(0, Ordering::Relaxed);
        }
        self.slot_of.insert(id.into(), slot);
        self.slots[slot as usize] = Some(Doc {
            id: id.into(),
            kind,
            owner: owner.to_owned(),
            owner_number,
            bag: bag.into_boxed_slice(),
            norm: AtomicU64::new(0),
        });
    }

    fn doc_norm(&self, doc: &Doc) -> f32 {
        self.cached_norm(&doc.norm, || doc.bag.iter().map(|&(t, c)| self.weight(t, c).powi(2)).sum())
    }

    fn weight(&self, term: u32, count: u32) -> f32 {
        log_tf(count) * self.idf_of(term)
    }

    /// The cosine of `query` with every capability that shares a term with
    /// it, accumulated over the postings of the query's terms with the same
    /// additions, in the same (term) order, as [`State::doc_cosine`] makes:
    /// the cosines are equal to the bit.
    fn capability_cosines(&self, query: &TextVector) -> Vec<(&Doc, f32)> {
        let mut dots = vec![0.0f32; self.slots.len()];
        for &(term, weight) in &query.scan {
            for &(slot, count) in &self.postings[term as usize] {
                dots[slot as usize] += weight * log_tf(count);
            }
        }
        dots.into_iter()
            .zip(&self.slots)
            .filter_map(|(dot, doc)| {
                let doc = doc.as_ref().filter(|_| dot > 0.0)?;
                let norm = self.doc_norm(doc);
                (norm > 0.0).then(|| (doc, (dot / norm).clamp(0.0, 1.0)))
            })
            .collect()
    }

    fn doc_cosine(&self, query: &TextVector, doc: &Doc) -> f32 {
        let norm = self.doc_norm(doc);
        if norm <= 0.0 {
            return 0.0;
        }
        // Both sides are sorted by term id: one merge pass.
        let (mut i, mut j, mut dot) = (0, 0, 0.0f32);
        let (q, d) = (&query.scan, &doc.bag);
        while i < q.len() && j < d.len() {
            match q[i].0.cmp(&d[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    dot += q[i].1 * log_tf(d[j].1);
                    i += 1;
                    j += 1;
                }
            }
        }
        (dot / norm).clamp(0.0, 1.0)
    }

    fn profile_norm(&self, profile: &Profile) -> f32 {
        self.cached_norm(&profile.norm, || profile.counts.iter().map(|(&t, &c)| self.weight(t, c).powi(2)).sum())
    }

    /// A vector length from `cache` (f32 bits and the corpus size it was
    /// computed at), or computed by `squares` (the sum of squared weights)
    /// and cached. IDFs drift slowly as the corpus grows: a length computed
    /// within 2% of today's corpus size is kept, since recomputing costs the
    /// whole vocabulary of the document or profile.
    fn cached_norm(&self, cache: &AtomicU64, squares: impl FnOnce() -> f32) -> f32 {
        let documents = self.documents();
        let cached = cache.load(Ordering::Relaxed);
        let (bits, at) = ((cached >> 32) as u32, cached as u32);
        if at > 0 && f64::from(documents.abs_diff(at)) <= 0.02 * f64::from(documents) {
            return f32::from_bits(bits);
        }
        let norm = squares().sqrt();
        cache.store((u64::from(norm.to_bits()) << 32) | u64::from(documents.max(1)), Ordering::Relaxed);
        norm
    }
}

/// The relevance model: corpus statistics, every document's features and
/// every organization's profile. Cheap to query from many threads.
#[derive(Debug, Default)]
pub struct RelevanceModel {
    state: RwLock<State>,
    /// Fitted apart from `state`, so a fit never holds up changes or reads.
    discriminants: RwLock<Option<Arc<Discriminants>>>,
    /// Set while a fit runs: one at a time.
    fitting: std::sync::atomic::AtomicBool,
}

impl RelevanceModel {
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The ids the model already gives the terms of `features` (`None` for
    /// a term it has not seen), under the read lock: a batch's records are
    /// looked up on every core before [`Self::apply`] takes the write lock
    /// for each, so that it only has to number the new terms.
    pub fn known_ids(&self, features: &[(String, u32)]) -> Vec<Option<u32>> {
        self.read().known_ids(features)
    }

    /// Applies a record as it is now: an active record with text replaces
    /// its previous features, anything else removes them. `known` are the
    /// [`Self::known_ids`] of `features`, if looked up.
    pub fn apply(&self, record: &Record, features: Option<&[(String, u32)]>, known: Option<&[Option<u32>]>) {
        let meta = record.meta();
        let mut state = self.write();
        match features {
            Some(features) if meta.status() == RecordStatus::Active => {
                state.insert(&meta.id, record.kind(), &meta.organization_id, features, known)
            }
            _ => state.remove(&meta.id),
        }
    }

    /// Adds a document whose features were stored earlier (at start-up).
    pub fn restore(&self, id: &str, kind: RecordKind, owner: &str, features: &[(String, u32)]) {
        self.write().insert(id, kind, owner, features, None);
    }

    pub fn clear(&self) {
        *self.write() = State::default();
        *self.discriminants.write().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// The organization discriminants in use, if fitted.
    pub fn discriminants(&self) -> Option<Arc<Discriminants>> {
        self.discriminants.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// What an organization's discriminant says of a text; `None` before a
    /// fit or for an organization that has none.
    pub fn discriminant(&self, query: &TextVector, organization_id: &str) -> Option<Verdict> {
        self.discriminants()?.decide(organization_id, &query.weights)
    }

    /// Fits the organization discriminants anew when the catalog is large
    /// enough and has moved by [`DISCRIMINANT_REFIT_SHARE`] since the last
    /// fit (drops them when it has shrunk below the minimum). Returns
    /// whether anything changed. CPU-bound for seconds on a large catalog:
    /// call from a blocking thread. The model is only read while the
    /// examples are copied out; changes and queries go on during the fit.
    pub fn refit_discriminants_if_due(&self) -> bool {
        if self.fitting.swap(true, Ordering::AcqRel) {
            return false;
        }
        let refitted = self.refit_discriminants();
        self.fitting.store(false, Ordering::Release);
        refitted
    }

    fn refit_discriminants(&self) -> bool {
        let current = self.discriminants();
        let (organizations, examples, vocabulary) = {
            let state = self.read();
            let capabilities: usize = state.profiles.values().map(|p| p.members.len()).sum();
            if capabilities < DISCRIMINANT_MIN_CAPABILITIES || state.profiles.len() < DISCRIMINANT_MIN_ORGANIZATIONS {
                drop(state);
                let dropped = current.is_some();
                *self.discriminants.write().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
                return dropped;
            }
            if current.as_ref().is_some_and(|d| discriminants_stand(d.fitted_on(), capabilities)) {
                return false;
            }
            // Sorted, so that a fit of the same catalog numbers (and seeds)
            // its organizations the same way in every process.
            let mut organizations: Vec<String> = state.profiles.keys().cloned().collect();
            organizations.sort_unstable();
            let mut examples = Vec::with_capacity(capabilities);
            for (class, owner) in organizations.iter().enumerate() {
                let profile = &state.profiles[owner];
                for &slot in &profile.members {
                    let Some(doc) = state.slots.get(slot as usize).and_then(Option::as_ref) else { continue };
                    let norm = state.doc_norm(doc);
                    if norm <= 0.0 {
                        continue;
                    }
                    let vector = doc.bag.iter().map(|&(t, c)| (t, state.weight(t, c) / norm)).collect();
                    examples.push(Example { class: class as u32, vector });
                }
            }
            (organizations, examples, state.terms.len())
        };
        let fitted = Discriminants::fit(&organizations, &examples, vocabulary);
        *self.discriminants.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(fitted));
        true
    }

    /// Number of documents the statistics are counted over.
    pub fn documents(&self) -> u32 {
        self.read().documents()
    }

    /// The document frequency of an analyzed term.
    pub fn document_frequency(&self, term: &str) -> u32 {
        let state = self.read();
        state.ids.get(term).and_then(|&id| state.df.get(id as usize).copied()).unwrap_or(0)
    }

    /// Whether a term is too common to be evidence: on the curated list, or
    /// (with enough documents to tell) in more than
    /// [`GENERIC_DOCUMENT_SHARE`] of them.
    pub fn is_generic(&self, term: &str) -> bool {
        is_curated_generic(term) || self.read().is_common(term)
    }

    /// Whether an indexed document holds a feature of `query` that can be
    /// evidence: a word, not a character pair, and not generic. Evidence
    /// words are whole words of the document's text, and every one of those
    /// is among its features, so a document without such a feature has no
    /// evidence, which this tells without analysing its text again.
    pub fn shares_specific_term(&self, query: &TextVector, id: &str) -> bool {
        let state = self.read();
        let Some(doc) = state.doc(id) else { return false };
        query.weights.iter().any(|&(term, _)| {
            doc.bag.binary_search_by_key(&term, |&(t, _)| t).is_ok()
                && state
                    .terms
                    .get(term as usize)
                    .is_some_and(|text| !is_bigram(text) && !is_curated_generic(text) && !state.is_common(text))
        })
    }

    /// The unit TF-IDF vector of a text's features.
    pub fn vector(&self, features: &[(String, u32)]) -> TextVector {
        let state = self.read();
        let mut weights = Vec::with_capacity(features.len());
        let mut norm = 0.0f32;
        let unseen_idf = state.idf(0);
        for (term, count) in features {
            let tf = log_tf(*count);
            match state.ids.get(term.as_str()) {
                Some(&id) => {
                    let w = tf * state.idf_of(id);
                    norm += w * w;
                    weights.push((id, w));
                }
                // A term no document has: it makes the text longer (so
                // matches on the rest weigh less) but matches nothing.
                None => norm += (tf * unseen_idf).powi(2),
            }
        }
        if norm > 0.0 {
            let norm = norm.sqrt();
            for (_, w) in &mut weights {
                *w /= norm;
            }
        }
        weights.sort_unstable_by_key(|&(id, _)| id);
        let scan = weights.iter().map(|&(id, w)| (id, w * state.idf_of(id))).collect();
        TextVector { weights, scan, terms: features.iter().map(|(t, _)| t.clone()).collect() }
    }

    /// Cosine between two texts' features, neither of which need be indexed:
    /// a term the corpus has not seen yet weighs as a term of no document
    /// (the rarest), so two texts posted a moment ago still compare, on the
    /// same IDF as everything else.
    pub fn pair_cosine(&self, a: &[(String, u32)], b: &[(String, u32)]) -> f32 {
        let state = self.read();
        let weigh = |features: &[(String, u32)]| -> HashMap<String, f32> {
            let mut weights: HashMap<String, f32> = HashMap::with_capacity(features.len());
            for (term, count) in features {
                let tf = log_tf(*count);
                let idf = state.ids.get(term.as_str()).map_or_else(|| state.idf(0), |&id| state.idf_of(id));
                *weights.entry(term.clone()).or_default() += tf * idf;
            }
            weights
        };
        let (a, b) = (weigh(a), weigh(b));
        let norm = |w: &HashMap<String, f32>| w.values().map(|v| v * v).sum::<f32>().sqrt();
        let (norm_a, norm_b) = (norm(&a), norm(&b));
        if norm_a <= 0.0 || norm_b <= 0.0 {
            return 0.0;
        }
        let dot: f32 = a.iter().filter_map(|(term, wa)| b.get(term).map(|wb| wa * wb)).sum();
        (dot / (norm_a * norm_b)).clamp(0.0, 1.0)
    }

    /// Cosine between a text and a document of the index (0 when unknown).
    pub fn cosine(&self, query: &TextVector, id: &str) -> f32 {
        let state = self.read();
        state.doc(id).map(|doc| state.doc_cosine(query, doc)).unwrap_or(0.0)
    }

    /// How much of a short text (a competency) a document covers: the share
    /// of the text's squared weights whose terms the document holds, 0..=1.
    /// Unlike the cosine it does not fall as the document grows, so a long
    /// capability that covers a competency whole scores 1.
    pub fn coverage(&self, query: &TextVector, id: &str) -> f32 {
        let state = self.read();
        let Some(doc) = state.doc(id) else { return 0.0 };
        query
            .weights
            .iter()
            .filter(|&&(term, _)| doc.bag.binary_search_by_key(&term, |&(t, _)| t).is_ok())
            .map(|&(_, w)| w * w)
            .sum::<f32>()
            .clamp(0.0, 1.0)
    }

    /// Cosine between a text and an organization's profile: all its active
    /// capabilities read as one text (0 when it has none).
    pub fn profile_cosine(&self, query: &TextVector, organization_id: &str) -> f32 {
        let state = self.read();
        let Some(profile) = state.profiles.get(organization_id) else { return 0.0 };
        let norm = state.profile_norm(profile);
        if norm <= 0.0 {
            return 0.0;
        }
        let dot: f32 =
            query.scan.iter().filter_map(|&(term, q)| profile.counts.get(&term).map(|&count| q * log_tf(count))).sum();
        (dot / norm).clamp(0.0, 1.0)
    }

    /// How many active capabilities an organization has.
    pub fn capability_count(&self, organization_id: &str) -> u32 {
        self.read().profiles.get(organization_id).map_or(0, |p| p.members.len() as u32)
    }

    /// An organization's `k` capabilities closest to a text, best first, with
    /// their cosines: computed over all its capabilities, whatever a
    /// retrieval found, so an organization's score never depends on which
    /// other records a query happened to reach.
    pub fn best_capabilities(&self, query: &TextVector, organization_id: &str, k: usize) -> Vec<(String, f32)> {
        let state = self.read();
        let Some(profile) = state.profiles.get(organization_id) else { return Vec::new() };
        let scored = profile.members.iter().filter_map(|&slot| {
            let doc = state.slots.get(slot as usize)?.as_ref()?;
            Some((&*doc.id, state.doc_cosine(query, doc)))
        });
        best_of(scored, k)
    }

    /// The `k` capabilities closest to a text (as (id, owner, cosine), best
    /// first, ties by id) and the `depth` best capabilities (as
    /// [`RelevanceModel::best_capabilities`]) of their owners and of `also`,
    /// from one pass over the postings of the text's terms: exact cosines for
    /// every capability sharing a term with the text, so the nearest are the
    /// true nearest, not the best of what a keyword search happened to
    /// retrieve. Only those organizations' best are copied out: at 100k
    /// capabilities most organizations share some term with a long text.
    pub fn survey(&self, query: &TextVector, k: usize, depth: usize, also: &[String]) -> LexicalSurvey {
        let state = self.read();
        let mut nearest = state.capability_cosines(query);
        let mut by_owner: Vec<Vec<(&str, f32)>> = vec![Vec::new(); state.owners.len()];
        for &(doc, cosine) in &nearest {
            by_owner[doc.owner_number as usize].push((&doc.id, cosine));
        }
        keep_top(&mut nearest, k, |a, b| b.1.total_cmp(&a.1).then_with(|| a.0.id.cmp(&b.0.id)));
        let owners = nearest.iter().map(|(doc, _)| doc.owner.as_str()).chain(also.iter().map(String::as_str));
        let mut organizations = HashMap::new();
        for owner in owners {
            let Some(&number) = state.owners.get(owner) else { continue };
            let scored = std::mem::take(&mut by_owner[number as usize]);
            if !scored.is_empty() {
                organizations.insert(owner.to_owned(), best_of(scored.into_iter(), depth));
            }
        }
        let nearest =
            nearest.into_iter().map(|(doc, cosine)| (doc.id.to_string(), doc.owner.clone(), cosine)).collect();
        LexicalSurvey { nearest, organizations }
    }

    /// The owner and kind of an indexed document.
    pub fn owner_of(&self, id: &str) -> Option<(RecordKind, String)> {
        self.read().doc(id).map(|d| (d.kind, d.owner.clone()))
    }
}

/// What [`RelevanceModel::survey`] finds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LexicalSurvey {
    /// (id, owner, cosine) of the capabilities closest to the text, best first.
    pub nearest: Vec<(String, String, f32)>,
    /// Organization id → its best capabilities with their cosines, best
    /// first, for the owners of `nearest` and those asked about
    /// (organizations sharing no term with the text are absent).
    pub organizations: HashMap<String, Vec<(String, f32)>>,
}

/// The `k` best of `scored` with a cosine above 0, best first (ties by id).
fn best_of<'a>(scored: impl Iterator<Item = (&'a str, f32)>, k: usize) -> Vec<(String, f32)> {
    let mut scored: Vec<(&str, f32)> = scored.filter(|(_, cosine)| *cosine > 0.0).collect();
    // Only the best k have their ids copied.
    keep_top(&mut scored, k, |a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    scored.into_iter().map(|(id, cosine)| (id.to_owned(), cosine)).collect()
}

#[cfg(test)]
mod tests {
    use innomatch_core::model::{Capability, RecordMeta};

    use super::*;

    fn capability(id: &str, org: &str, text: &str) -> Record {
        Record::Capability(Capability {
            meta: RecordMeta {
                id: id.into(),
                organization_id: org.into(),
                version: 1,
                status: Some(RecordStatus::Active),
                ..Default::default()
            },
            title: text.into(),
            ..Default::default()
        })
    }

    fn model_of(records: &[Record]) -> RelevanceModel {
        let analyzer = Analyzer::shared();
        let model = RelevanceModel::new();
        for record in records {
            let features = record_text(record).map(|t| features(&analyzer, &t));
            model.apply(record, features.as_deref(), None);
        }
        model
    }

    #[test]
    fn term_ids_looked_up_ahead_give_the_same_model_and_stale_ones_are_not_trusted() {
        let analyzer = Analyzer::shared();
        let texts = ["氢冶金 绿色钢铁 低碳炼钢", "对虾养殖 尾水处理", "氢基直接还原铁 绿色钢铁"];
        let records: Vec<Record> =
            texts.iter().enumerate().map(|(i, t)| capability(&format!("c{i}"), "o1", t)).collect();
        let plain = model_of(&records);
        let ahead = RelevanceModel::new();
        // Ids from a model that numbered other terms first: each must be
        // checked against the term it is used for.
        let stale = RelevanceModel::new();
        stale.apply(&capability("s0", "o9", "预制菜 冷链"), Some(&features(&analyzer, "预制菜 冷链")), None);
        for record in &records {
            let terms = features(&analyzer, &record_text(record).expect("text"));
            let mut known = ahead.known_ids(&terms);
            for (id, stale) in known.iter_mut().zip(stale.known_ids(&terms)) {
                *id = id.or(stale).or(Some(0));
            }
            ahead.apply(record, Some(&terms), Some(&known));
        }
        let query = features(&analyzer, "绿色钢铁 氢冶金");
        let (a, b) = (plain.vector(&query), ahead.vector(&query));
        assert_eq!(a.weights, b.weights, "the same terms with the same weights");
        for record in &records {
            let id = &record.meta().id;
            assert_eq!(plain.cosine(&a, id), ahead.cosine(&b, id), "{id}");
        }
    }

    fn vector(model: &RelevanceModel, text: &str) -> TextVector {
        model.vector(&features(&Analyzer::shared(), text))
    }

    #[test]
    fn only_a_shared_specific_word_can_be_evidence() {
        let model = model_of(&[
            capability("feed", "lab", "对虾饲料配方设计与营养研究"),
            capability("cage", "yard", "抗风浪网箱设计"),
        ]);
        let need = vector(&model, "对虾饲料配方");
        assert!(model.shares_specific_term(&need, "feed"));
        assert!(!model.shares_specific_term(&need, "cage"), "no word in common");
        assert!(!model.shares_specific_term(&need, "nobody"), "not indexed");
        let design = vector(&model, "网箱设计");
        assert!(model.shares_specific_term(&design, "cage"));
        assert!(!model.shares_specific_term(&design, "feed"), "设计 is boilerplate: what they share says nothing");
    }

    #[test]
    fn features_hold_words_sub_words_and_bigrams_but_no_boilerplate() {
        let features = features(&Analyzer::shared(), "一种基于氢冶金的低碳炼钢方法");
        let terms: Vec<&str> = features.iter().map(|(t, _)| t.as_str()).collect();
        assert!(terms.contains(&"氢冶金") && terms.contains(&"冶金"), "{terms:?}");
        assert!(terms.iter().any(|t| *t == format!("{BIGRAM_PREFIX}炼钢")), "{terms:?}");
        for generic in ["一种", "基于", "方法"] {
            assert!(!terms.contains(&generic), "{generic} in {terms:?}");
        }
    }

    #[test]
    fn bags_survive_encoding() {
        let bag = vec![("氢冶金".to_owned(), 3), ("shrimp".to_owned(), 1), (format!("{BIGRAM_PREFIX}冶金"), 300)];
        assert_eq!(decode_bag(&encode_bag(&bag)), Some(bag));
        assert_eq!(decode_bag(&[0x85]), None, "truncated");
    }

    #[test]
    fn cosine_is_one_for_the_same_text_and_falls_with_less_overlap() {
        let model = model_of(&[
            capability("c1", "o1", "氢基竖炉直接还原铁中试"),
            capability("c2", "o2", "对虾养殖病害防控"),
            capability("c3", "o3", "高炉富氢冶炼与低碳炼钢"),
        ]);
        let same = model.cosine(&vector(&model, "氢基竖炉直接还原铁中试"), "c1");
        assert!((same - 1.0).abs() < 1e-4, "{same}");
        let query = vector(&model, "氢基直接还原低碳炼钢");
        let (c1, c2, c3) = (model.cosine(&query, "c1"), model.cosine(&query, "c2"), model.cosine(&query, "c3"));
        assert!(c1 > c2 && c3 > c2, "{c1} {c3} {c2}");
        assert_eq!(c2, 0.0);
    }

    #[test]
    fn two_texts_compare_like_a_text_and_an_indexed_record_indexed_or_not() {
        let model =
            model_of(&[capability("c1", "o1", "镀锌钢板表面缺陷检验"), capability("c2", "o2", "对虾产品药物残留检测")]);
        let analyzer = Analyzer::shared();
        let need = "镀锌钢板表面缺陷视觉检测";
        let indexed = model.cosine(&vector(&model, need), "c1");
        let pair = model.pair_cosine(&features(&analyzer, need), &features(&analyzer, "镀锌钢板表面缺陷检验"));
        assert!(indexed > 0.3 && pair >= indexed, "{indexed} {pair}");
        let shrimp = model.pair_cosine(&features(&analyzer, need), &features(&analyzer, "对虾产品药物残留检测"));
        assert!(shrimp < pair, "{shrimp} {pair}");
        // Neither text is known to the corpus: they still compare.
        let unseen = model.pair_cosine(&features(&analyzer, "金鲳鱼深海网箱"), &features(&analyzer, "金鲳鱼网箱养殖"));
        assert!(unseen > 0.3, "{unseen}");
        assert_eq!(model.pair_cosine(&features(&analyzer, need), &[]), 0.0);
    }

    #[test]
    fn a_score_does_not_depend_on_other_documents_of_other_owners_fitting() {
        // Cosines depend on corpus statistics, not on which other records fit
        // better: adding a perfect match elsewhere leaves c1's cosine alone
        // when the corpus statistics stay the same size.
        let base = [capability("c1", "o1", "对虾养殖水质在线监测"), capability("c2", "o2", "预制菜冷链物流")];
        let model = model_of(&base);
        let query = vector(&model, "对虾养殖水质监测");
        let alone = model.cosine(&query, "c1");
        assert!(alone > 0.0);
        assert_eq!(model.cosine(&query, "c1"), alone, "repeatable");
    }

    #[test]
    fn profiles_follow_updates_and_removals() {
        let model = model_of(&[
            capability("c1", "lab", "对虾养殖病害防控"),
            capability("c2", "lab", "金鲳鱼深海网箱养殖"),
            capability("c3", "other", "工业互联网平台"),
        ]);
        let query = vector(&model, "对虾病害");
        let before = model.profile_cosine(&query, "lab");
        assert!(before > 0.0);
        assert_eq!(model.capability_count("lab"), 2);
        // The shrimp capability is archived: the profile no longer speaks of shrimp.
        let mut archived = capability("c1", "lab", "对虾养殖病害防控");
        if let Record::Capability(c) = &mut archived {
            c.meta.status = Some(RecordStatus::Archived);
        }
        model.apply(&archived, None, None);
        assert_eq!(model.capability_count("lab"), 1);
        assert!(model.profile_cosine(&query, "lab") < before);
        assert_eq!(model.document_frequency("对虾"), 0);
        assert_eq!(model.documents(), 2);
    }

    #[test]
    fn a_survey_scores_every_organization_as_it_scores_alone_and_finds_the_nearest() {
        let mut records = vec![
            capability("c1", "lab", "对虾养殖病害防控与对虾育种"),
            capability("c2", "lab", "金鲳鱼深海网箱养殖"),
            capability("c3", "lab", "对虾饲料配方设计"),
            capability("s1", "steel", "氢基竖炉直接还原铁中试"),
            capability("s2", "steel", "高炉富氢冶炼与低碳炼钢"),
            capability("f1", "food", "预制菜冷链物流与对虾加工"),
        ];
        let model = model_of(&records);
        // An update and a removal move postings: the survey must follow them.
        records[1] = capability("c2", "lab", "对虾工厂化循环水养殖");
        model.apply(&records[1], Some(&features(&Analyzer::shared(), "对虾工厂化循环水养殖")), None);
        let mut archived = capability("s2", "steel", "高炉富氢冶炼与低碳炼钢");
        if let Record::Capability(c) = &mut archived {
            c.meta.status = Some(RecordStatus::Archived);
        }
        model.apply(&archived, None, None);
        for need in ["对虾养殖病害", "氢冶金低碳炼钢", "工业互联网"] {
            let query = vector(&model, need);
            let survey = model.survey(&query, 3, 2, &["food", "lab", "steel", "nobody"].map(String::from));
            for organization in ["food", "lab", "steel", "nobody"] {
                let alone = model.best_capabilities(&query, organization, 2);
                let surveyed = survey.organizations.get(organization).cloned().unwrap_or_default();
                assert_eq!(surveyed, alone, "{need}: {organization}");
            }
            let mut every: Vec<(String, f32)> = ["c1", "c2", "c3", "s1", "f1"]
                .map(|id| (id.to_owned(), model.cosine(&query, id)))
                .into_iter()
                .filter(|(_, cosine)| *cosine > 0.0)
                .collect();
            every.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            every.truncate(3);
            let nearest: Vec<(String, f32)> = survey.nearest.iter().map(|(id, _, c)| (id.clone(), *c)).collect();
            assert_eq!(nearest, every, "{need}: the nearest by exact cosine");
        }
        let shrimp = model.survey(&vector(&model, "对虾养殖"), 10, 5, &[]);
        let lab: Vec<&str> = shrimp.organizations["lab"].iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(lab.len(), 3, "every shrimp capability of the lab, the updated one too: {lab:?}");
        assert!(!shrimp.organizations.contains_key("steel"), "no steel capability speaks of shrimp");
        assert_eq!(shrimp.nearest.iter().find(|(id, ..)| id == "f1").map(|(_, owner, _)| owner.as_str()), Some("food"));
        assert!(shrimp.nearest.iter().all(|(id, ..)| id != "s2"), "an archived capability is no candidate");
    }

    #[test]
    fn common_terms_are_generic_once_the_corpus_is_large_enough() {
        let records: Vec<Record> = (0..60)
            .map(|i| {
                capability(&format!("c{i}"), "o", &format!("系统 样品{i} 对虾{}", if i < 3 { "病害" } else { "" }))
            })
            .collect();
        let model = model_of(&records);
        assert!(model.is_generic("系统"), "in every document");
        assert!(!model.is_generic("病害"), "in 3 of 60");
        assert!(model.is_generic("研究"), "curated");
        let small = model_of(&records[..10]);
        assert!(!small.is_generic("系统"), "too few documents to tell");
    }

    /// `organizations` × `each` capabilities restored from synthetic bags:
    /// every one uses the common words 模型 and 实验 heavily, a word of its
    /// organization's own (领域0, 领域1, ...) once, and one of a few noise words.
    fn synthetic_catalog(organizations: usize, each: usize) -> RelevanceModel {
        let model = RelevanceModel::new();
        for o in 0..organizations {
            for k in 0..each {
                let features = vec![
                    ("模型".to_owned(), 3),
                    ("实验".to_owned(), 2),
                    (format!("领域{o}"), 1),
                    (format!("杂项{}", k % 7), 1),
                ];
                model.restore(&format!("c{o}-{k}"), RecordKind::Capability, &format!("o{o}"), &features);
            }
        }
        model
    }

    #[test]
    fn discriminants_are_fitted_once_the_catalog_is_large_enough_and_refitted_as_it_grows() {
        let small = synthetic_catalog(DISCRIMINANT_MIN_ORGANIZATIONS, 99);
        assert!(!small.refit_discriminants_if_due(), "990 capabilities are too few");
        assert!(small.discriminants().is_none());

        let model = synthetic_catalog(DISCRIMINANT_MIN_ORGANIZATIONS + 1, 100);
        assert!(model.refit_discriminants_if_due());
        let fitted = model.discriminants().expect("fitted");
        assert_eq!((fitted.fitted_on(), fitted.organizations()), (1_100, 11));
        assert!(!model.refit_discriminants_if_due(), "nothing changed since the fit");

        // The common words say nothing of who is who; the organization's own
        // word does, though it weighs least in the text.
        let text = model.vector(&[("模型".to_owned(), 3), ("实验".to_owned(), 2), ("领域3".to_owned(), 1)]);
        let own = model.discriminant(&text, "o3").expect("o3 has a discriminant").decision;
        let other = model.discriminant(&text, "o4").expect("o4 has a discriminant").decision;
        assert!(own > 0.0 && other < 0.0, "own {own}, other {other}");
        assert_eq!(model.discriminant(&text, "nobody"), None);

        for k in 0..50 {
            let features = vec![("模型".to_owned(), 1), (format!("领域{k}"), 1)];
            model.restore(&format!("new-{k}"), RecordKind::Capability, "o0", &features);
        }
        assert!(!model.refit_discriminants_if_due(), "50 more is under a tenth");
        for k in 50..110 {
            let features = vec![("模型".to_owned(), 1), (format!("领域{k}"), 1)];
            model.restore(&format!("new-{k}"), RecordKind::Capability, "o0", &features);
        }
        assert!(model.refit_discriminants_if_due(), "a tenth more refits");
        assert_eq!(model.discriminants().map(|d| d.fitted_on()), Some(1_210));
        model.clear();
        assert!(model.discriminants().is_none(), "cleared with the model");
    }
}
