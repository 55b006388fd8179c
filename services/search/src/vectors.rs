//! Dense vectors of the catalog's records, beside the text index: one vector
//! per active need, capability and offer (from the embedding follower), each
//! organization's capability vectors for its semantic profile, and exact
//! nearest-neighbour retrieval.
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

/// Capability vectors sampled to estimate the background: how similar a
/// text is to an arbitrary capability of the corpus.
const BACKGROUND_SAMPLE: usize = 256;

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
    vector: Arc<[f32]>,
}

#[derive(Debug, Default)]
struct State {
    /// text hash → vector: everything ever embedded with this model.
    known: HashMap<[u8; HASH_LEN], Arc<[f32]>>,
    records: HashMap<String, Entry>,
    /// organization → its capabilities with vectors.
    members: HashMap<String, BTreeSet<String>>,
    /// Capabilities ordered by a hash of their id: the first
    /// [`BACKGROUND_SAMPLE`] are the background sample, whatever the order
    /// records arrived in.
    sample_order: BTreeSet<(u64, String)>,
    /// Vectors of the reference texts (see [`VectorStore::set_reference`]).
    reference: Vec<Arc<[f32]>>,
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
            if let Some(members) = state.members.get_mut(&old.owner) {
                members.remove(id);
                if members.is_empty() {
                    state.members.remove(&old.owner);
                }
            }
            state.sample_order.remove(&(id_hash(id), id.to_owned()));
        }
        let Some(vector) = vector else { return };
        if kind == RecordKind::Capability {
            state.members.entry(owner.to_owned()).or_default().insert(id.to_owned());
            state.sample_order.insert((id_hash(id), id.to_owned()));
        }
        state.records.insert(id.to_owned(), Entry { kind, owner: owner.to_owned(), vector });
    }

    /// The vector of a competency text (see [`competency_texts`]), once the
    /// embedding follower has embedded the need that names it.
    pub fn competency_vector(&self, name: &str) -> Option<Arc<[f32]>> {
        self.known(&self.hash(COMPETENCY_KIND, name))
    }

    /// The vector of a record, once embedded.
    pub fn vector(&self, id: &str) -> Option<Arc<[f32]>> {
        self.read().records.get(id).map(|e| Arc::clone(&e.vector))
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
        self.write().reference = vectors;
    }

    /// How similar `query` is to an arbitrary text of the domain: its mean
    /// cosine with the reference texts (or, before they are embedded, with a
    /// fixed sample of the corpus's capabilities). e5 cosines of unrelated
    /// texts sit around 0.8, so a similarity only means something above this
    /// background. The reference does not depend on what the catalog holds,
    /// so neither does a score built on it. 0 when there is nothing to compare.
    pub fn background(&self, query: &[f32]) -> f32 {
        let state = self.read();
        if !state.reference.is_empty() {
            return state.reference.iter().map(|v| cosine(query, v)).sum::<f32>() / state.reference.len() as f32;
        }
        let sample: Vec<&Entry> =
            state.sample_order.iter().take(BACKGROUND_SAMPLE).filter_map(|(_, id)| state.records.get(id)).collect();
        if sample.is_empty() {
            return 0.0;
        }
        sample.iter().map(|e| cosine(query, &e.vector)).sum::<f32>() / sample.len() as f32
    }

    /// Cosine of `query` with a record's vector.
    pub fn cosine(&self, query: &[f32], id: &str) -> Option<f32> {
        self.read().records.get(id).map(|e| cosine(query, &e.vector))
    }

    /// The `k` records of `kind` nearest to `query` (exact), best first, with
    /// their owners.
    pub fn nearest(&self, query: &[f32], kind: RecordKind, k: usize) -> Vec<(String, String, f32)> {
        let state = self.read();
        let mut scored: Vec<(String, String, f32)> = state
            .records
            .iter()
            .filter(|(_, e)| e.kind == kind)
            .map(|(id, e)| (id.clone(), e.owner.clone(), cosine(query, &e.vector)))
            .collect();
        scored.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        scored.truncate(k);
        scored
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
        let mut centroid = vec![0.0f32; query.len()];
        let mut scored: Vec<(String, f32)> = Vec::with_capacity(members.len());
        for id in members {
            let Some(entry) = state.records.get(id) else { continue };
            for (c, v) in centroid.iter_mut().zip(entry.vector.iter()) {
                *c += v;
            }
            scored.push((id.clone(), cosine(query, &entry.vector)));
        }
        if scored.is_empty() {
            return None;
        }
        let norm = centroid.iter().map(|v| v * v).sum::<f32>().sqrt();
        let centroid_cosine = if norm > 0.0 { cosine(query, &centroid) / norm } else { 0.0 };
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        scored.truncate(depth);
        let depth_value = (0..depth).map(|i| scored.get(i).map_or(floor, |(_, c)| *c)).sum::<f32>() / depth as f32;
        Some(SemanticRelevance { depth: depth_value, centroid: centroid_cosine, best: scored })
    }
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
    }
}
