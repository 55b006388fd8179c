//! Dense vectors of the catalog's records, beside the text index: one vector
//! per active need, capability and offer (from the embedding follower), each
//! organization's capability vectors for its semantic profile, and exact
//! nearest-neighbour retrieval.
//!
//! Similarities are measured in a metric that separates organizations: the
//! vectors are centred on the capabilities' mean and whitened by the
//! covariance of capabilities *within* organizations (shrunk towards the
//! identity), the distance of linear discriminant analysis. Directions in
//! which one organization's records vary a lot (phrasing, method words) count
//! less; directions in which organizations differ count more. The metric is
//! fitted from the catalog itself, like the lexical document frequencies,
//! once there are enough capabilities to estimate it, and refitted as the
//! catalog grows; below that, similarities are plain cosines.
//!
//! Vectors are kept by the hash of (model id, text kind, text) in an
//! append-only file in the data directory, so a restart, a replay of the
//! change feed or an unchanged text never embeds anything twice, and a
//! change of model (another id) embeds everything again. Exact search scans
//! every vector (384 floats each): about 10 ms per query at 100k vectors on
//! one core, fine at a city's scale.

use std::{
    collections::{BTreeSet, HashMap},
    fs::File,
    io::{BufReader, Read, Write},
    path::{Path, PathBuf},
    sync::{Arc, Mutex, RwLock},
};

use innomatch_core::model::{Record, RecordKind};
use innomatch_embed::{TextKind, VectorCodec, cosine, text_hash};
use nalgebra::DMatrix;

use crate::top::keep_top;

/// Capability vectors sampled to estimate the background: how similar a
/// text is to an arbitrary capability of the corpus.
const BACKGROUND_SAMPLE: usize = 256;

/// The metric is fitted once this many capabilities in at least
/// [`METRIC_MIN_ORGANIZATIONS`] organizations have vectors: a covariance of
/// 384 dimensions needs a few times as many samples to be estimated.
const METRIC_MIN_CAPABILITIES: usize = 1_000;
const METRIC_MIN_ORGANIZATIONS: usize = 10;
/// Share of the (scaled) identity mixed into the within-organization
/// covariance: keeps rare directions from being blown up by noise. Measured
/// on the real-text dev set, 0.1–0.6 ranked alike.
const METRIC_SHRINKAGE: f64 = 0.3;
/// The metric is refitted when the number of capability vectors has moved
/// by this share since it was fitted.
const METRIC_REFIT_SHARE: f64 = 0.1;

/// Records of the vector file: 32-byte text hash, u32 LE length, codec bytes.
const HASH_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    #[error("vector file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("vector codec: {0}")]
    Codec(#[from] innomatch_embed::CodecError),
}

/// The text of a record that is embedded, and as what: a need is what is
/// looked for (a query), capabilities and offers are what is found.
pub fn embedding_input(record: &Record) -> Option<(TextKind, String)> {
    let (kind, title, extra, description): (TextKind, &str, Vec<&str>, &str) = match record {
        Record::Organization(_) | Record::Policy(_) => return None,
        Record::Need(n) => (
            TextKind::Query,
            &n.title,
            n.keywords.iter().map(String::as_str).chain(n.competencies.iter().map(|c| c.name.as_str())).collect(),
            &n.description,
        ),
        Record::Capability(c) => {
            (TextKind::Passage, &c.title, c.keywords.iter().map(String::as_str).collect(), &c.description)
        }
        Record::Offer(o) => {
            (TextKind::Passage, &o.title, o.keywords.iter().map(String::as_str).collect(), &o.description)
        }
    };
    // A title that only repeats the beginning of the description adds nothing.
    let title = if description.trim_start().starts_with(title.trim()) { "" } else { title };
    let mut text = title.trim().to_owned();
    if !extra.is_empty() {
        text.push('（');
        text.push_str(&extra.join("、"));
        text.push('）');
    }
    if !description.trim().is_empty() {
        if !text.is_empty() {
            text.push('。');
        }
        text.push_str(description.trim());
    }
    (!text.is_empty()).then_some((kind, text))
}

/// The short texts of a need that a consortium must cover, embedded beside
/// the need (as queries: they are what is looked for) so that consortia
/// compare them with capabilities by meaning without embedding anything on
/// a request: the need's competency names, else its keywords (what the
/// matcher takes as competencies when there are none). Repeats are left out.
pub fn competency_texts(record: &Record) -> Vec<String> {
    let Record::Need(need) = record else { return Vec::new() };
    let names: Vec<&str> = if need.competencies.is_empty() {
        need.keywords.iter().map(String::as_str).collect()
    } else {
        need.competencies.iter().map(|c| c.name.as_str()).collect()
    };
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for name in names.into_iter().filter(|n| !n.trim().is_empty()) {
        if !out.iter().any(|o| o == name) {
            out.push(name.to_owned());
        }
    }
    out
}

/// How a competency text is embedded (see [`competency_texts`]).
pub const COMPETENCY_KIND: TextKind = TextKind::Query;

#[derive(Debug, Clone)]
struct Entry {
    kind: RecordKind,
    owner: String,
    /// The owner's number in `State::owners`.
    owner_number: u32,
    /// As embedded.
    vector: Arc<[f32]>,
    /// In the store's metric (unit length): what similarities use.
    compared: Arc<[f32]>,
}

/// The organization-separating metric (see the module's header): `x ↦
/// L⁻¹(x − mean)`, normalised, where `L·Lᵀ` is the shrunk within-organization
/// covariance of the capability vectors.
#[derive(Debug)]
struct Metric {
    mean: Vec<f32>,
    /// `L⁻¹`, row-major, lower triangular.
    inverse_factor: Vec<f32>,
    /// Capability vectors it was fitted on.
    fitted_on: usize,
}

impl Metric {
    /// Fits the metric to capability vectors grouped by organization; `None`
    /// when there are too few to estimate it.
    fn fit(groups: &[Vec<Arc<[f32]>>]) -> Option<Metric> {
        let count: usize = groups.iter().map(Vec::len).sum();
        let dimension = groups.iter().flatten().next()?.len();
        if count < METRIC_MIN_CAPABILITIES || groups.len() < METRIC_MIN_ORGANIZATIONS {
            return None;
        }
        let mut mean = vec![0.0f64; dimension];
        let mut covariance = DMatrix::<f64>::zeros(dimension, dimension);
        for group in groups {
            let mut group_mean = vec![0.0f64; dimension];
            for v in group {
                for (m, x) in group_mean.iter_mut().zip(v.iter()) {
                    *m += f64::from(*x) / group.len() as f64;
                }
            }
            let mut rows: Vec<f64> = Vec::with_capacity(group.len() * dimension);
            for v in group {
                for ((x, m), total) in v.iter().zip(&group_mean).zip(mean.iter_mut()) {
                    rows.push(f64::from(*x) - m);
                    *total += f64::from(*x) / count as f64;
                }
            }
            let deviations = DMatrix::from_row_slice(group.len(), dimension, &rows);
            covariance += deviations.tr_mul(&deviations);
        }
        covariance /= count as f64;
        let scale = covariance.trace() / dimension as f64;
        covariance *= 1.0 - METRIC_SHRINKAGE;
        for i in 0..dimension {
            covariance[(i, i)] += METRIC_SHRINKAGE * scale;
        }
        let factor = covariance.cholesky()?.l();
        let inverse = factor.solve_lower_triangular(&DMatrix::identity(dimension, dimension))?;
        // nalgebra stores columns first: the transpose's columns are the rows.
        let inverse_factor = inverse.transpose().iter().map(|x| *x as f32).collect();
        Some(Metric { mean: mean.into_iter().map(|m| m as f32).collect(), inverse_factor, fitted_on: count })
    }

    /// A vector in the metric, at unit length.
    fn apply(&self, vector: &[f32]) -> Arc<[f32]> {
        let dimension = self.mean.len();
        if vector.len() != dimension {
            return Arc::from(vector);
        }
        let centred: Vec<f32> = vector.iter().zip(&self.mean).map(|(x, m)| x - m).collect();
        let mut out: Vec<f32> = (0..dimension)
            .map(|i| cosine(&self.inverse_factor[i * dimension..i * dimension + i + 1], &centred[..=i]))
            .collect();
        let norm = out.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            out.iter_mut().for_each(|x| *x /= norm);
        }
        Arc::from(out)
    }
}

#[derive(Debug, Default)]
struct State {
    /// text hash → vector: everything ever embedded with this model.
    known: HashMap<[u8; HASH_LEN], Arc<[f32]>>,
    records: HashMap<String, Entry>,
    /// organization → its capabilities with vectors.
    members: HashMap<String, Members>,
    /// Capabilities ordered by a hash of their id: the first
    /// [`BACKGROUND_SAMPLE`] are the background sample, whatever the order
    /// records arrived in.
    sample_order: BTreeSet<(u64, String)>,
    /// Vectors of the reference texts (see [`VectorStore::set_reference`]),
    /// as embedded and in the metric.
    reference: Vec<Arc<[f32]>>,
    reference_compared: Vec<Arc<[f32]>>,
    metric: Option<Arc<Metric>>,
    /// Capabilities with vectors.
    capabilities: usize,
    /// Record owners, numbered in first-seen order (never reused), so a
    /// scan over every vector tells owners apart without hashing their ids.
    owners: HashMap<String, u32>,
}

impl State {
    fn compared(&self, vector: &Arc<[f32]>) -> Arc<[f32]> {
        match &self.metric {
            Some(metric) => metric.apply(vector),
            None => Arc::clone(vector),
        }
    }
}

/// An organization's capabilities with vectors and the sum of those vectors,
/// kept as they change, so its centroid costs one dot product per query.
#[derive(Debug, Default)]
struct Members {
    ids: BTreeSet<String>,
    sum: Vec<f32>,
}

impl Members {
    fn add(&mut self, id: &str, vector: &[f32]) {
        if self.sum.len() != vector.len() {
            self.sum = vec![0.0; vector.len()];
        }
        self.ids.insert(id.to_owned());
        for (s, v) in self.sum.iter_mut().zip(vector) {
            *s += v;
        }
    }

    fn remove(&mut self, id: &str, vector: &[f32]) {
        if self.ids.remove(id) {
            for (s, v) in self.sum.iter_mut().zip(vector) {
                *s -= v;
            }
        }
    }
}

/// An organization's semantic relevance to a text.
#[derive(Debug, Clone, PartialEq)]
pub struct SemanticRelevance {
    /// Mean cosine of its best five capabilities (missing ones count as the
    /// background, i.e. as no evidence).
    pub depth: f32,
    /// Cosine with the mean of its capability vectors.
    pub centroid: f32,
    /// Its best capabilities by cosine, best first (at most five).
    pub best: Vec<(String, f32)>,
}

/// The vectors of one model.
pub struct VectorStore {
    codec: VectorCodec,
    state: RwLock<State>,
    file: Mutex<Option<(PathBuf, File)>>,
}

impl std::fmt::Debug for VectorStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorStore").field("model_id", &self.codec.model_id()).finish_non_exhaustive()
    }
}

impl VectorStore {
    /// A store kept in memory only.
    pub fn in_memory(model_id: &str, dimension: usize) -> Result<Self, VectorError> {
        Ok(Self { codec: VectorCodec::new(model_id, dimension)?, state: RwLock::default(), file: Mutex::new(None) })
    }

    /// A store whose vectors persist in `dir` (one file per model); vectors
    /// already there are loaded. A torn last record (a crash mid-write) is
    /// ignored and overwritten.
    pub fn open(dir: &Path, model_id: &str, dimension: usize) -> Result<Self, VectorError> {
        let codec = VectorCodec::new(model_id, dimension)?;
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| VectorError::Io { path: path.clone(), source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let name: String =
            model_id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        let path = dir.join(format!("{name}.vectors"));
        let mut known = HashMap::new();
        let mut valid_len = 0u64;
        if path.is_file() {
            let mut bytes = Vec::new();
            BufReader::new(File::open(&path).map_err(io(&path))?).read_to_end(&mut bytes).map_err(io(&path))?;
            let mut at = 0usize;
            while at + HASH_LEN + 4 <= bytes.len() {
                let mut hash = [0u8; HASH_LEN];
                hash.copy_from_slice(&bytes[at..at + HASH_LEN]);
                let mut len = [0u8; 4];
                len.copy_from_slice(&bytes[at + HASH_LEN..at + HASH_LEN + 4]);
                let len = u32::from_le_bytes(len) as usize;
                let start = at + HASH_LEN + 4;
                let Some(body) = bytes.get(start..start + len) else { break };
                let Ok(vector) = codec.decode(body) else { break };
                known.insert(hash, Arc::from(vector));
                at = start + len;
                valid_len = at as u64;
            }
        }
        let file =
            std::fs::OpenOptions::new().create(true).write(true).truncate(false).open(&path).map_err(io(&path))?;
        file.set_len(valid_len).map_err(io(&path))?;
        let mut file = file;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::End(0)).map_err(io(&path))?;
        let state = State { known, ..State::default() };
        Ok(Self { codec, state: RwLock::new(state), file: Mutex::new(Some((path, file))) })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn model_id(&self) -> &str {
        self.codec.model_id()
    }

    /// The hash under which a text of `kind` is kept.
    pub fn hash(&self, kind: TextKind, text: &str) -> [u8; HASH_LEN] {
        text_hash(self.codec.model_id(), kind, text)
    }

    /// The vector already embedded for a text hash, if any.
    pub fn known(&self, hash: &[u8; HASH_LEN]) -> Option<Arc<[f32]>> {
        self.read().known.get(hash).cloned()
    }

    /// Remembers a newly embedded text (appended to the vector file).
    pub fn remember(&self, hash: [u8; HASH_LEN], vector: Vec<f32>) -> Result<Arc<[f32]>, VectorError> {
        let bytes = self.codec.encode(&vector)?;
        if let Some((path, file)) = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner).as_mut() {
            let mut record = Vec::with_capacity(HASH_LEN + 4 + bytes.len());
            record.extend_from_slice(&hash);
            record.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            record.extend_from_slice(&bytes);
            file.write_all(&record).map_err(|source| VectorError::Io { path: path.clone(), source })?;
        }
        let vector: Arc<[f32]> = Arc::from(vector);
        self.write().known.insert(hash, Arc::clone(&vector));
        Ok(vector)
    }

    /// Sets (or, with `None`, removes) the vector of a record.
    pub fn set(&self, id: &str, kind: RecordKind, owner: &str, vector: Option<Arc<[f32]>>) {
        let mut state = self.write();
        if let Some(old) = state.records.remove(id)
            && old.kind == RecordKind::Capability
        {
            state.capabilities -= 1;
            if let Some(members) = state.members.get_mut(&old.owner) {
                members.remove(id, &old.compared);
                if members.ids.is_empty() {
                    state.members.remove(&old.owner);
                }
            }
            state.sample_order.remove(&(id_hash(id), id.to_owned()));
        }
        let Some(vector) = vector else { return };
        let compared = state.compared(&vector);
        if kind == RecordKind::Capability {
            state.capabilities += 1;
            state.members.entry(owner.to_owned()).or_default().add(id, &compared);
            state.sample_order.insert((id_hash(id), id.to_owned()));
        }
        let next = state.owners.len() as u32;
        let owner_number = *state.owners.entry(owner.to_owned()).or_insert(next);
        state.records.insert(id.to_owned(), Entry { kind, owner: owner.to_owned(), owner_number, vector, compared });
    }

    /// The vector of a competency text (see [`competency_texts`]), once the
    /// embedding follower has embedded the need that names it, in the
    /// store's metric.
    pub fn competency_vector(&self, name: &str) -> Option<Arc<[f32]>> {
        let vector = self.known(&self.hash(COMPETENCY_KIND, name))?;
        Some(self.read().compared(&vector))
    }

    /// The vector of a record once embedded, in the store's metric: what the
    /// store's similarities take as their query.
    pub fn vector(&self, id: &str) -> Option<Arc<[f32]>> {
        self.read().records.get(id).map(|e| Arc::clone(&e.compared))
    }

    /// Whether similarities are measured in the fitted metric (rather than
    /// as plain cosines of the embeddings).
    pub fn has_metric(&self) -> bool {
        self.read().metric.is_some()
    }

    /// Fits the metric anew when the catalog has grown or shrunk enough
    /// since it was fitted (or it has never been): every vector is moved
    /// into the new metric. Returns whether it was refitted. CPU-bound (a
    /// second or two at 100k capabilities): call it off the async threads.
    pub fn refit_metric_if_due(&self) -> bool {
        let groups: Vec<Vec<Arc<[f32]>>> = {
            let state = self.read();
            let due = state.capabilities >= METRIC_MIN_CAPABILITIES
                && state.members.len() >= METRIC_MIN_ORGANIZATIONS
                && state.metric.as_ref().is_none_or(|m| {
                    state.capabilities.abs_diff(m.fitted_on) as f64 >= METRIC_REFIT_SHARE * m.fitted_on as f64
                });
            if !due {
                return false;
            }
            state
                .members
                .values()
                .map(|m| m.ids.iter().filter_map(|id| state.records.get(id)).map(|e| Arc::clone(&e.vector)).collect())
                .collect()
        };
        let Some(metric) = Metric::fit(&groups) else { return false };
        let metric = Arc::new(metric);
        let snapshot: Vec<(String, Arc<[f32]>)> =
            self.read().records.iter().map(|(id, e)| (id.clone(), Arc::clone(&e.vector))).collect();
        /// A record's vector as embedded when the snapshot was taken, and in the new metric.
        struct Moved {
            embedded: Arc<[f32]>,
            compared: Arc<[f32]>,
        }
        let moved: HashMap<String, Moved> = snapshot
            .into_iter()
            .map(|(id, embedded)| (id, Moved { compared: metric.apply(&embedded), embedded }))
            .collect();
        let mut state = self.write();
        let state = &mut *state;
        for (id, entry) in &mut state.records {
            entry.compared = match moved.get(id) {
                // Unchanged since the snapshot.
                Some(moved) if Arc::ptr_eq(&moved.embedded, &entry.vector) => Arc::clone(&moved.compared),
                _ => metric.apply(&entry.vector),
            };
        }
        for members in state.members.values_mut() {
            let ids = std::mem::take(&mut members.ids);
            *members = Members::default();
            for id in &ids {
                if let Some(entry) = state.records.get(id) {
                    members.add(id, &entry.compared);
                }
            }
        }
        state.reference_compared = state.reference.iter().map(|v| metric.apply(v)).collect();
        state.metric = Some(metric);
        true
    }

    /// How many records have a vector.
    pub fn len(&self) -> usize {
        self.read().records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sets the reference texts' vectors: texts on the domain's many
    /// subjects (the industry chains), none in particular.
    pub fn set_reference(&self, vectors: Vec<Arc<[f32]>>) {
        let mut state = self.write();
        state.reference_compared = vectors.iter().map(|v| state.compared(v)).collect();
        state.reference = vectors;
    }

    /// How similar `query` is to an arbitrary text of the domain: its mean
    /// cosine with the reference texts (or, before they are embedded, with a
    /// fixed sample of the corpus's capabilities). e5 cosines of unrelated
    /// texts sit around 0.8, so a similarity only means something above this
    /// background. The reference does not depend on what the catalog holds,
    /// so neither does a score built on it. 0 when there is nothing to compare.
    pub fn background(&self, query: &[f32]) -> f32 {
        let state = self.read();
        if !state.reference_compared.is_empty() {
            return state.reference_compared.iter().map(|v| cosine(query, v)).sum::<f32>()
                / state.reference_compared.len() as f32;
        }
        let sample: Vec<&Entry> =
            state.sample_order.iter().take(BACKGROUND_SAMPLE).filter_map(|(_, id)| state.records.get(id)).collect();
        if sample.is_empty() {
            return 0.0;
        }
        sample.iter().map(|e| cosine(query, &e.compared)).sum::<f32>() / sample.len() as f32
    }

    /// Cosine of `query` with a record's vector.
    pub fn cosine(&self, query: &[f32], id: &str) -> Option<f32> {
        self.read().records.get(id).map(|e| cosine(query, &e.compared))
    }

    /// The `k` records of `kind` nearest to `query` (exact), best first, with
    /// their owners.
    pub fn nearest(&self, query: &[f32], kind: RecordKind, k: usize) -> Vec<(String, String, f32)> {
        self.nearest_each(&[query], kind, k).pop().unwrap_or_default()
    }

    /// [`VectorStore::nearest`] for each of `queries`, from one pass over the
    /// vectors (each vector is read once for all of them).
    pub fn nearest_each(&self, queries: &[&[f32]], kind: RecordKind, k: usize) -> Vec<Vec<(String, String, f32)>> {
        let state = self.read();
        let mut scored: Vec<Vec<(f32, &str, &Entry)>> = vec![Vec::new(); queries.len()];
        for (id, entry) in state.records.iter().filter(|(_, e)| e.kind == kind) {
            for (query, scored) in queries.iter().zip(&mut scored) {
                scored.push((cosine(query, &entry.compared), id.as_str(), entry));
            }
        }
        scored.iter_mut().map(|scored| nearest_of(scored, k)).collect()
    }

    /// An organization's semantic relevance over all its capability vectors,
    /// or `None` when none is embedded yet. `floor` stands in for missing
    /// capabilities in the depth (see [`SemanticRelevance::depth`]).
    pub fn organization(
        &self,
        query: &[f32],
        organization_id: &str,
        depth: usize,
        floor: f32,
    ) -> Option<SemanticRelevance> {
        let state = self.read();
        let members = state.members.get(organization_id)?;
        let scored = members
            .ids
            .iter()
            .filter_map(|id| state.records.get(id).map(|entry| (id.as_str(), cosine(query, &entry.compared))))
            .collect();
        semantic_relevance(query, members, scored, depth, floor)
    }

    /// The `k` capabilities nearest to `query` (as [`VectorStore::nearest`])
    /// and every organization's semantic relevance (as
    /// [`VectorStore::organization`]), from one pass over the vectors: at
    /// 100k capabilities a pass is tens of milliseconds of memory traffic.
    pub fn survey(&self, query: &[f32], k: usize, depth: usize, floor: f32) -> Survey {
        let state = self.read();
        let mut scored: Vec<(f32, &str, &Entry)> = state
            .records
            .iter()
            .filter(|(_, e)| e.kind == RecordKind::Capability)
            .map(|(id, e)| (cosine(query, &e.compared), id.as_str(), e))
            .collect();
        let mut by_owner: Vec<Vec<(&str, f32)>> = vec![Vec::new(); state.owners.len()];
        for &(similarity, id, entry) in &scored {
            by_owner[entry.owner_number as usize].push((id, similarity));
        }
        let mut organizations = HashMap::with_capacity(state.members.len());
        for (owner, &number) in &state.owners {
            let Some(members) = state.members.get(owner) else { continue };
            let scored = std::mem::take(&mut by_owner[number as usize]);
            if let Some(relevance) = semantic_relevance(query, members, scored, depth, floor) {
                organizations.insert(owner.clone(), relevance);
            }
        }
        let nearest = nearest_of(&mut scored, k);
        Survey { nearest, organizations }
    }
}

/// What [`VectorStore::survey`] finds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Survey {
    /// (id, owner, similarity), best first.
    pub nearest: Vec<(String, String, f32)>,
    /// Organization id → its semantic relevance.
    pub organizations: HashMap<String, SemanticRelevance>,
}

/// The `k` best of `scored`, best first (ties by id), as (id, owner, similarity).
fn nearest_of(scored: &mut Vec<(f32, &str, &Entry)>, k: usize) -> Vec<(String, String, f32)> {
    // Only the best k have their ids copied.
    keep_top(scored, k, |a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.iter().map(|&(similarity, id, e)| (id.to_owned(), e.owner.clone(), similarity)).collect()
}

/// An organization's semantic relevance from the cosines of its capability
/// vectors (`None` when it has none).
fn semantic_relevance(
    query: &[f32],
    members: &Members,
    mut scored: Vec<(&str, f32)>,
    depth: usize,
    floor: f32,
) -> Option<SemanticRelevance> {
    if scored.is_empty() {
        return None;
    }
    let norm = members.sum.iter().map(|v| v * v).sum::<f32>().sqrt();
    let centroid_cosine = if norm > 0.0 { cosine(query, &members.sum) / norm } else { 0.0 };
    // Only the best `depth` have their ids copied.
    keep_top(&mut scored, depth, |a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let depth_value = (0..depth).map(|i| scored.get(i).map_or(floor, |(_, c)| *c)).sum::<f32>() / depth as f32;
    let best = scored.into_iter().map(|(id, c)| (id.to_owned(), c)).collect();
    Some(SemanticRelevance { depth: depth_value, centroid: centroid_cosine, best })
}

fn id_hash(id: &str) -> u64 {
    let digest = text_hash("sample", TextKind::Passage, id);
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn vectors_persist_by_text_hash_and_a_torn_tail_is_dropped() {
        let dir = tempfile::tempdir().expect("dir");
        let store = VectorStore::open(dir.path(), "test-model", 3).expect("open");
        let hash = store.hash(TextKind::Passage, "对虾养殖病害防控");
        store.remember(hash, unit(&[1.0, 2.0, 2.0])).expect("remember");
        drop(store);
        let file = std::fs::read_dir(dir.path()).expect("dir").next().expect("a file").expect("entry").path();
        let mut bytes = std::fs::read(&file).expect("read");
        bytes.extend_from_slice(&[7u8; 20]); // a torn record
        std::fs::write(&file, bytes).expect("write");
        let store = VectorStore::open(dir.path(), "test-model", 3).expect("reopen");
        assert!(store.known(&hash).is_some(), "kept across a restart");
        let other = store.hash(TextKind::Passage, "氢冶金");
        store.remember(other, unit(&[0.0, 1.0, 0.0])).expect("append after the torn tail");
        drop(store);
        let store = VectorStore::open(dir.path(), "test-model", 3).expect("reopen");
        assert!(store.known(&hash).is_some() && store.known(&other).is_some());
        let another_model = VectorStore::open(dir.path(), "other-model", 3).expect("open");
        assert!(another_model.known(&another_model.hash(TextKind::Passage, "对虾养殖病害防控")).is_none());
    }

    #[test]
    fn needs_are_queries_capabilities_passages_and_titles_are_not_repeated() {
        use innomatch_core::model::{Capability, TechNeed};
        let need = Record::Need(TechNeed {
            title: "降低炼钢二氧化碳排放".into(),
            keywords: vec!["氢冶金".into()],
            description: "寻求氢基竖炉中试合作".into(),
            ..Default::default()
        });
        assert_eq!(
            embedding_input(&need),
            Some((TextKind::Query, "降低炼钢二氧化碳排放（氢冶金）。寻求氢基竖炉中试合作".to_owned()))
        );
        let capability = Record::Capability(Capability {
            title: "对虾白斑病毒快速检测".into(),
            description: "对虾白斑病毒快速检测，30分钟出结果".into(),
            ..Default::default()
        });
        assert_eq!(
            embedding_input(&capability),
            Some((TextKind::Passage, "对虾白斑病毒快速检测，30分钟出结果".to_owned())),
            "a title that only repeats the description's beginning"
        );
        assert_eq!(embedding_input(&Record::Need(TechNeed::default())), None);
    }

    /// Twelve organizations, each with 90 capabilities whose own subject is
    /// one direction (`1 + j`) and whose wording varies widely along a shared
    /// direction 0; organization 1 happens to sit on the positive side of it.
    fn varied_catalog(store: &VectorStore) {
        for j in 0..12usize {
            for k in 0..90usize {
                let mut v = vec![0.0f32; 14];
                v[1 + j] = 0.3;
                v[0] = if j == 1 { 0.6 + 0.4 * k as f32 / 89.0 } else { -1.0 + 2.0 * k as f32 / 89.0 };
                store.set(&format!("c{j}-{k}"), RecordKind::Capability, &format!("o{j}"), Some(Arc::from(unit(&v))));
            }
        }
    }

    #[test]
    fn the_metric_weighs_what_separates_organizations_over_how_each_varies() {
        let store = VectorStore::in_memory("m", 14).expect("store");
        varied_catalog(&store);
        // A need on organization 0's subject, worded along the varying direction.
        let mut need = vec![0.0f32; 14];
        need[0] = 1.0;
        need[1] = 0.3;
        store.set("need", RecordKind::Need, "enterprise", Some(Arc::from(unit(&need))));
        let centroid = |store: &VectorStore, org: &str| {
            let query = store.vector("need").expect("need vector");
            store.organization(&query, org, 5, 0.0).expect("organization").centroid
        };
        assert!(!store.has_metric());
        assert!(centroid(&store, "o1") > centroid(&store, "o0"), "plain cosine follows the wording");

        assert!(store.refit_metric_if_due(), "1,080 capabilities in 12 organizations are enough");
        assert!(store.has_metric());
        assert!(centroid(&store, "o0") > centroid(&store, "o1"), "the metric follows the subject");
        let query = store.vector("need").expect("need vector");
        let nearest = store.nearest(&query, RecordKind::Capability, 5);
        assert!(nearest.iter().all(|(_, owner, _)| owner == "o0"), "{nearest:?}");

        assert!(!store.refit_metric_if_due(), "nothing changed since the fit");
        for k in 0..120usize {
            let mut v = vec![0.0f32; 14];
            v[13] = 1.0;
            v[0] = k as f32 / 120.0;
            store.set(&format!("n{k}"), RecordKind::Capability, "o12", Some(Arc::from(unit(&v))));
        }
        assert!(store.refit_metric_if_due(), "a tenth more capabilities refits");
    }

    #[test]
    fn a_small_catalog_keeps_plain_cosines() {
        let store = VectorStore::in_memory("m", 2).expect("store");
        for k in 0..50 {
            store.set(
                &format!("c{k}"),
                RecordKind::Capability,
                &format!("o{}", k % 20),
                Some(Arc::from(unit(&[1.0, k as f32]))),
            );
        }
        assert!(!store.refit_metric_if_due());
        assert!(!store.has_metric());
        let query = unit(&[1.0, 3.0]);
        assert!((store.cosine(&query, "c3").expect("c3") - cosine(&query, &unit(&[1.0, 3.0]))).abs() < 1e-6);
    }

    #[test]
    fn competencies_are_the_needs_own_names_else_its_keywords() {
        use innomatch_core::model::{Capability, RequiredCompetency, TechNeed};
        let mut need = TechNeed {
            title: "金鲳鱼深远海养殖".into(),
            keywords: vec!["网箱".into(), "饲料".into(), "网箱".into()],
            ..Default::default()
        };
        assert_eq!(competency_texts(&Record::Need(need.clone())), ["网箱", "饲料"]);
        need.competencies = ["饲料配方设计", "抗风浪网箱", " "]
            .iter()
            .map(|n| RequiredCompetency { name: (*n).into(), weight: 5 })
            .collect();
        assert_eq!(competency_texts(&Record::Need(need)), ["饲料配方设计", "抗风浪网箱"]);
        assert!(competency_texts(&Record::Capability(Capability::default())).is_empty());
        let store = VectorStore::in_memory("m", 2).expect("store");
        assert!(store.competency_vector("饲料配方设计").is_none());
        store.remember(store.hash(TextKind::Query, "饲料配方设计"), unit(&[1.0, 0.0])).expect("remember");
        assert!(store.competency_vector("饲料配方设计").is_some());
        assert!(store.competency_vector("抗风浪网箱").is_none());
    }

    #[test]
    fn organizations_aggregate_over_all_their_capabilities() {
        let store = VectorStore::in_memory("m", 2).expect("store");
        store.set("c1", RecordKind::Capability, "lab", Some(Arc::from(unit(&[1.0, 0.0]))));
        store.set("c2", RecordKind::Capability, "lab", Some(Arc::from(unit(&[1.0, 1.0]))));
        store.set("c3", RecordKind::Capability, "other", Some(Arc::from(unit(&[0.0, 1.0]))));
        let query = unit(&[1.0, 0.0]);
        let lab = store.organization(&query, "lab", 5, 0.0).expect("lab");
        assert_eq!(lab.best[0], ("c1".to_owned(), 1.0));
        assert!(lab.centroid > 0.9 && lab.centroid < 1.0);
        assert_eq!(store.nearest(&query, RecordKind::Capability, 1)[0].0, "c1");
        store.set("c1", RecordKind::Capability, "lab", None);
        assert_eq!(store.organization(&query, "lab", 5, 0.0).expect("lab").best.len(), 1);
        assert!(store.organization(&query, "nobody", 5, 0.0).is_none());
        // All at once, as each alone; a need of the lab's is not one of its capabilities.
        store.set("n1", RecordKind::Need, "lab", Some(Arc::from(unit(&[1.0, 0.1]))));
        store.set("c4", RecordKind::Capability, "other", Some(Arc::from(unit(&[0.6, 0.8]))));
        let survey = store.survey(&query, 2, 2, 0.1);
        assert_eq!(survey.nearest, store.nearest(&query, RecordKind::Capability, 2));
        assert_eq!(survey.organizations.len(), 2);
        for organization in ["lab", "other"] {
            assert_eq!(
                survey.organizations.get(organization),
                store.organization(&query, organization, 2, 0.1).as_ref()
            );
        }
        assert_eq!(survey.organizations["lab"].best.len(), 1, "c2 only: n1 is a need");
    }
}
