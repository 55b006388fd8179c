//! Dense-retrieval quality of the e5 engine on the CSL-labs dev set (read at run time from
//! `../shared/eval/csl-dev`, or `INNOMATCH_EVAL_DIR`; nothing of it is copied into the repo):
//! every lab abstract is embedded as a passage, every need as a query (title + "。" + abstract,
//! and title only), and each lab is scored for each need by (a) the mean of its 5 best cosines
//! and (b) the cosine to its normalised mean embedding. Prints P@1 and MRR of the true lab.
//!
//! Vectors are cached in `target/embed-cache/` keyed by [`text_hash`], so reruns are instant
//! and an interrupted run resumes. The vectors are also written for fusion with other scores to
//! `target/embed-eval/csl-dev/` as `.npy` files (see `manifest.json` there), with the scores in
//! `results.json`.
//!
//! Run: `cargo run --release -p innomatch-embed --example embed-eval`.

use std::{
    collections::HashMap,
    fs::{self, File, OpenOptions},
    io::{BufWriter, Read, Write},
    path::{Path, PathBuf},
    time::Instant,
};

use innomatch_embed::{E5Embedder, E5Options, Embedder, TextKind, VectorCodec, text_hash};

type Error = Box<dyn std::error::Error>;

#[derive(serde::Deserialize)]
struct Lab {
    lab: String,
    abstracts: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Need {
    title: String,
    #[serde(rename = "abstract")]
    abstract_text: String,
    discipline: String,
}

const TOP_K: usize = 5;

fn eval_dir() -> PathBuf {
    match std::env::var_os("INNOMATCH_EVAL_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/csl-dev"),
    }
}

fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target")
}

fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, Error> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        rows.push(serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?);
    }
    Ok(rows)
}

/// Append-only vector cache: records of a 32-byte [`text_hash`], a `u32` LE length and the
/// vector in [`VectorCodec`] form. A torn last record (an interrupted run) is ignored.
struct Cache {
    codec: VectorCodec,
    vectors: HashMap<[u8; 32], Vec<f32>>,
    file: BufWriter<File>,
}

impl Cache {
    fn open(path: &Path, codec: VectorCodec) -> Result<Self, Error> {
        let mut vectors = HashMap::new();
        if path.exists() {
            let mut bytes = Vec::new();
            File::open(path)?.read_to_end(&mut bytes)?;
            let mut rest = bytes.as_slice();
            while rest.len() >= 36 {
                let (hash, tail) = rest.split_at(32);
                let len = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]) as usize;
                let tail = &tail[4..];
                if tail.len() < len {
                    break;
                }
                let (record, tail) = tail.split_at(len);
                if let (Ok(hash), Ok(vector)) = (<[u8; 32]>::try_from(hash), codec.decode(record)) {
                    vectors.insert(hash, vector);
                }
                rest = tail;
            }
        }
        let file = BufWriter::new(OpenOptions::new().create(true).append(true).open(path)?);
        Ok(Self { codec, vectors, file })
    }

    fn insert(&mut self, hash: [u8; 32], vector: Vec<f32>) -> Result<(), Error> {
        let record = self.codec.encode(&vector)?;
        self.file.write_all(&hash)?;
        self.file.write_all(&u32::try_from(record.len())?.to_le_bytes())?;
        self.file.write_all(&record)?;
        self.vectors.insert(hash, vector);
        Ok(())
    }
}

/// Vectors for `texts`, from the cache or freshly embedded (and cached), in order.
fn embed_all(
    e5: &E5Embedder,
    cache: &mut Cache,
    texts: &[String],
    kind: TextKind,
    label: &str,
) -> Result<Vec<Vec<f32>>, Error> {
    let hashes: Vec<[u8; 32]> = texts.iter().map(|t| text_hash(e5.model_id(), kind, t)).collect();
    let mut missing: Vec<usize> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, h) in hashes.iter().enumerate() {
        if !cache.vectors.contains_key(h) && seen.insert(*h) {
            missing.push(i);
        }
    }
    println!("{label}: {} texts, {} cached, {} to embed", texts.len(), texts.len() - missing.len(), missing.len());
    let start = Instant::now();
    let mut done = 0usize;
    for chunk in missing.chunks(64) {
        let refs: Vec<&str> = chunk.iter().map(|&i| texts[i].as_str()).collect();
        let vectors = e5.embed(&refs, kind)?;
        for (&i, vector) in chunk.iter().zip(vectors) {
            cache.insert(hashes[i], vector)?;
        }
        cache.file.flush()?;
        done += chunk.len();
        let rate = done as f64 / start.elapsed().as_secs_f64();
        println!("  {label}: {done}/{} embedded, {rate:.1} texts/s", missing.len());
    }
    hashes
        .iter()
        .map(|h| cache.vectors.get(h).cloned().ok_or_else(|| "a vector went missing from the cache".into()))
        .collect()
}

/// Writes a float32 C-order `.npy` file (format version 1.0) of `rows` × `dim`.
fn write_npy(path: &Path, rows: &[Vec<f32>], dim: usize) -> Result<(), Error> {
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {dim}), }}", rows.len());
    // magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut out = BufWriter::new(File::create(path)?);
    out.write_all(b"\x93NUMPY\x01\x00")?;
    out.write_all(&u16::try_from(header.len())?.to_le_bytes())?;
    out.write_all(header.as_bytes())?;
    for row in rows {
        if row.len() != dim {
            return Err(format!("a row of {} components in a {dim}-column file", row.len()).into());
        }
        for x in row {
            out.write_all(&x.to_le_bytes())?;
        }
    }
    out.flush()?;
    Ok(())
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The rank (1-based) of `truth` among labs ordered by score, ties broken by lab name.
fn rank_of(scores: &[(f32, &str)], truth: &str) -> Option<usize> {
    let mut order: Vec<&(f32, &str)> = scores.iter().collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    order.iter().position(|(_, name)| *name == truth).map(|p| p + 1)
}

#[derive(Default, Clone, Copy)]
struct Metrics {
    hits_at_1: usize,
    reciprocal_sum: f64,
    needs: usize,
}

impl Metrics {
    fn add(&mut self, rank: Option<usize>) {
        self.needs += 1;
        if let Some(rank) = rank {
            if rank == 1 {
                self.hits_at_1 += 1;
            }
            self.reciprocal_sum += 1.0 / rank as f64;
        }
    }
    fn p_at_1(&self) -> f64 {
        self.hits_at_1 as f64 / self.needs.max(1) as f64
    }
    fn mrr(&self) -> f64 {
        self.reciprocal_sum / self.needs.max(1) as f64
    }
}

/// (top-5 mean, centroid) metrics for one set of need vectors.
fn score(
    needs: &[Need],
    need_vectors: &[Vec<f32>],
    labs: &[Lab],
    lab_rows: &[(usize, usize)],
    passages: &[Vec<f32>],
    centroids: &[Vec<f32>],
) -> (Metrics, Metrics) {
    let (mut top_k, mut centroid) = (Metrics::default(), Metrics::default());
    for (need, q) in needs.iter().zip(need_vectors) {
        let mut by_top_k = Vec::with_capacity(labs.len());
        let mut by_centroid = Vec::with_capacity(labs.len());
        for ((lab, &(start, end)), c) in labs.iter().zip(lab_rows).zip(centroids) {
            let mut cosines: Vec<f32> = passages[start..end].iter().map(|p| dot(q, p)).collect();
            cosines.sort_by(|a, b| b.total_cmp(a));
            let k = TOP_K.min(cosines.len()).max(1);
            let mean = cosines.iter().take(k).sum::<f32>() / k as f32;
            by_top_k.push((mean, lab.lab.as_str()));
            by_centroid.push((dot(q, c), lab.lab.as_str()));
        }
        top_k.add(rank_of(&by_top_k, &need.discipline));
        centroid.add(rank_of(&by_centroid, &need.discipline));
    }
    (top_k, centroid)
}

fn main() -> Result<(), Error> {
    let dir = eval_dir();
    let labs: Vec<Lab> = read_jsonl(&dir.join("labs.jsonl"))?;
    let needs: Vec<Need> = read_jsonl(&dir.join("needs.jsonl"))?;
    let e5 = E5Embedder::open(&E5Options::default())?;
    println!("{} ({} build), {} labs, {} needs", e5.model_id(), e5.engine_variant(), labs.len(), needs.len());

    let cache_dir = target_dir().join("embed-cache");
    fs::create_dir_all(&cache_dir)?;
    // Named the way `innomatch_search::vectors::VectorStore` names its file,
    // so `make eval-real` finds these vectors and embeds nothing again.
    let cache_name: String =
        e5.model_id().chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    let codec = VectorCodec::new(e5.model_id(), e5.dimension())?;
    let mut cache = Cache::open(&cache_dir.join(format!("{cache_name}.vectors")), codec)?;

    let mut passage_texts = Vec::new();
    let mut lab_rows = Vec::new();
    for lab in &labs {
        let start = passage_texts.len();
        passage_texts.extend(lab.abstracts.iter().cloned());
        lab_rows.push((start, passage_texts.len()));
    }
    let full_texts: Vec<String> = needs.iter().map(|n| format!("{}。{}", n.title, n.abstract_text)).collect();
    let title_texts: Vec<String> = needs.iter().map(|n| n.title.clone()).collect();

    let started = Instant::now();
    let title_vectors = embed_all(&e5, &mut cache, &title_texts, TextKind::Query, "needs, title only")?;
    let full_vectors = embed_all(&e5, &mut cache, &full_texts, TextKind::Query, "needs, title + abstract")?;
    let passages = embed_all(&e5, &mut cache, &passage_texts, TextKind::Passage, "lab abstracts")?;
    println!("vectors ready in {:.0} s", started.elapsed().as_secs_f64());

    let centroids: Vec<Vec<f32>> = lab_rows
        .iter()
        .map(|&(start, end)| {
            let mut mean = vec![0f32; e5.dimension()];
            for p in &passages[start..end] {
                mean.iter_mut().zip(p).for_each(|(m, x)| *m += x);
            }
            let norm = mean.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            mean.iter_mut().for_each(|m| *m /= norm);
            mean
        })
        .collect();

    let (full_top, full_centroid) = score(&needs, &full_vectors, &labs, &lab_rows, &passages, &centroids);
    let (title_top, title_centroid) = score(&needs, &title_vectors, &labs, &lab_rows, &passages, &centroids);
    println!("{:<18} {:<26} {:>6} {:>6}", "need text", "lab score", "P@1", "MRR");
    let rows = [
        ("title + abstract", "mean of top-5 cosines", full_top),
        ("title + abstract", "cosine to lab centroid", full_centroid),
        ("title only", "mean of top-5 cosines", title_top),
        ("title only", "cosine to lab centroid", title_centroid),
    ];
    for (text, method, m) in &rows {
        println!("{text:<18} {method:<26} {:>6.3} {:>6.3}", m.p_at_1(), m.mrr());
    }

    let out = target_dir().join("embed-eval/csl-dev");
    fs::create_dir_all(&out)?;
    write_npy(&out.join("passages.npy"), &passages, e5.dimension())?;
    write_npy(&out.join("needs_full.npy"), &full_vectors, e5.dimension())?;
    write_npy(&out.join("needs_title.npy"), &title_vectors, e5.dimension())?;
    write_npy(&out.join("lab_centroids.npy"), &centroids, e5.dimension())?;
    let manifest = serde_json::json!({
        "model_id": e5.model_id(),
        "dimension": e5.dimension(),
        "format": "NumPy .npy v1.0, little-endian float32, C order, one L2-normalised vector per row; cosine = dot product",
        "passages.npy": "one row per lab abstract, labs.jsonl line order, then abstract order within the lab; embedded as passage (\"passage: \" prefix)",
        "needs_full.npy": "one row per needs.jsonl line: title + \"。\" + abstract, embedded as query (\"query: \" prefix)",
        "needs_title.npy": "one row per needs.jsonl line: the title alone, embedded as query",
        "lab_centroids.npy": "one row per lab (labs order below): the normalised mean of its passage rows",
        "labs": labs.iter().zip(&lab_rows).map(|(lab, &(start, end))| serde_json::json!({
            "lab": lab.lab, "passage_rows": [start, end],
        })).collect::<Vec<_>>(),
        "truncation": "texts longer than 512 tokens (prefix and special tokens included) are cut to their first 512 tokens",
    });
    fs::write(out.join("manifest.json"), serde_json::to_string_pretty(&manifest)?)?;
    let results = serde_json::json!({
        "model_id": e5.model_id(),
        "results": rows.iter().map(|(text, method, m)| serde_json::json!({
            "need_text": text, "lab_score": method, "p_at_1": m.p_at_1(), "mrr": m.mrr(), "needs": m.needs,
        })).collect::<Vec<_>>(),
    });
    fs::write(out.join("results.json"), serde_json::to_string_pretty(&results)?)?;
    println!("vectors and results written to target/embed-eval/csl-dev/ (see manifest.json)");
    Ok(())
}
