//! Ranking quality on real text (`make eval`): the CSL-labs development set
//! (real Chinese paper abstracts; see its README) loaded the way users load
//! records — laboratories, their capabilities and the enterprise's needs
//! created through the catalog, indexed by following its change feed,
//! matched by the matcher, lexical-only and with semantic matching — against a TF-IDF baseline computed in the same
//! run on the same text. Prints P@1, MRR and nDCG@10 of the true laboratory
//! for full needs (title + abstract) and title-only needs, and writes
//! `target/bench/eval-real.json`.
//!
//! The set is read from `INNOMATCH_EVAL_DIR` (default `../shared/eval/csl-dev`
//! beside the repository) and never copied: its laboratory texts may not be
//! republished.

use std::{
    collections::{BTreeMap, HashMap},
    io::Write as _,
    path::PathBuf,
    sync::Arc,
    time::Instant,
};

use anyhow::{Context, bail};
use innomatch_catalog::{Catalog, sqlite::SqliteStore, store::RecordStore, tokens::TokenRegistry};
use innomatch_core::{
    auth::Principal,
    model::{Capability, CapabilityKind, Organization, OrganizationKind, Record, RecordMeta, Role, TechNeed},
};
use innomatch_embed::{E5Embedder, E5Options, Embedder};
use innomatch_matcher::Matcher;
use innomatch_search::{
    embedding::{self, EmbeddingProgress},
    index::SearchIndex,
    vectors::VectorStore,
};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
struct Lab {
    lab: String,
    abstracts: Vec<String>,
}

#[derive(Deserialize)]
struct Need {
    title: String,
    #[serde(rename = "abstract")]
    text: String,
    discipline: String,
}

fn admin() -> Principal {
    Principal { token_id: "eval".into(), organization_id: None, role: Role::Admin }
}

fn read_jsonl<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> anyhow::Result<Vec<T>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).map_err(Into::into)).collect()
}

/// P@1, MRR and nDCG@10 of one relevant item over many rankings.
#[derive(Debug, Default, Clone, Copy)]
struct Metrics {
    p1: f64,
    mrr: f64,
    ndcg10: f64,
    n: usize,
}

impl Metrics {
    /// `rank` is 1-based; `None` when the item is missing from the ranking.
    fn add(&mut self, rank: Option<usize>) {
        self.n += 1;
        if let Some(rank) = rank {
            self.p1 += f64::from(u8::from(rank == 1));
            self.mrr += 1.0 / rank as f64;
            if rank <= 10 {
                self.ndcg10 += 1.0 / ((rank + 1) as f64).log2();
            }
        }
    }

    fn mean(&self) -> (f64, f64, f64) {
        let n = self.n.max(1) as f64;
        (self.p1 / n, self.mrr / n, self.ndcg10 / n)
    }
}

/// The baseline of the set's README: jieba search-mode words, lower-cased,
/// punctuation-only tokens dropped; sublinear TF-IDF fitted on the lab
/// abstracts plus the needs; a lab scored by the mean cosine of the need's 5
/// most similar abstracts in it; ties to the lab name in sorted order.
struct TfIdfBaseline {
    vectors: Vec<Vec<(u32, f32)>>,
}

impl TfIdfBaseline {
    fn tokens(jieba: &jieba_rs::Jieba, text: &str) -> Vec<String> {
        jieba
            .cut_for_search(text, true)
            .into_iter()
            .filter(|t| t.word.chars().any(char::is_alphanumeric))
            .map(|t| t.word.to_lowercase())
            .collect()
    }

    /// Vectors of `texts` (documents first, then queries, as fitted).
    fn fit(texts: &[&str]) -> Self {
        let jieba = jieba_rs::Jieba::new();
        let mut ids: HashMap<String, u32> = HashMap::new();
        let docs: Vec<HashMap<u32, u32>> = texts
            .iter()
            .map(|t| {
                let mut counts = HashMap::new();
                for token in Self::tokens(&jieba, t) {
                    let next = ids.len() as u32;
                    *counts.entry(*ids.entry(token).or_insert(next)).or_insert(0) += 1;
                }
                counts
            })
            .collect();
        let mut df = vec![0u32; ids.len()];
        for doc in &docs {
            for &id in doc.keys() {
                df[id as usize] += 1;
            }
        }
        let n = docs.len() as f64;
        let idf: Vec<f64> = df.iter().map(|&d| ((1.0 + n) / (1.0 + f64::from(d))).ln() + 1.0).collect();
        let vectors = docs
            .into_iter()
            .map(|doc| {
                let mut v: Vec<(u32, f32)> = doc
                    .into_iter()
                    .map(|(id, c)| (id, ((1.0 + f64::from(c).ln()) * idf[id as usize]) as f32))
                    .collect();
                let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
                v.iter_mut().for_each(|(_, w)| *w /= norm);
                v.sort_unstable_by_key(|(id, _)| *id);
                v
            })
            .collect();
        Self { vectors }
    }

    fn cosine(&self, a: usize, b: usize) -> f32 {
        let (mut i, mut j, mut dot) = (0, 0, 0.0);
        let (x, y) = (&self.vectors[a], &self.vectors[b]);
        while i < x.len() && j < y.len() {
            match x[i].0.cmp(&y[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    dot += x[i].1 * y[j].1;
                    i += 1;
                    j += 1;
                }
            }
        }
        dot
    }
}

/// Rank (1-based) of `truth` among labs scored by `score`, ties by name.
fn rank_of(scores: &BTreeMap<String, f32>, truth: &str) -> Option<usize> {
    let mut ranked: Vec<(&String, &f32)> = scores.iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(a.1).then_with(|| a.0.cmp(b.0)));
    ranked.iter().position(|(lab, _)| lab.as_str() == truth).map(|p| p + 1)
}

/// Ranks the labs for every need with `matcher`: the metrics, how many needs
/// found no partner, and the true lab's scores.
async fn evaluate(
    matcher: &Matcher,
    needs: &[Need],
    need_ids: &[String],
    lab_of_org: &HashMap<String, String>,
    labs: usize,
    mut dump: Option<&mut dyn std::io::Write>,
) -> anyhow::Result<(Metrics, usize, Vec<f32>)> {
    let mut metrics = Metrics::default();
    let mut below_floor = 0;
    let mut true_scores = Vec::new();
    for (need, id) in needs.iter().zip(need_ids) {
        let matches = matcher.match_need(&admin(), id, labs).await?;
        if let Some(out) = dump.as_mut() {
            // Every ranked laboratory with its score parts and their details,
            // for studying fusions offline.
            let orgs: Vec<serde_json::Value> = matches
                .organizations
                .iter()
                .map(|o| {
                    let parts: Vec<serde_json::Value> =
                        o.evidence.score_parts.iter().map(|p| json!([p.name, p.value, p.detail])).collect();
                    json!({ "lab": lab_of_org.get(&o.organization_id), "score": o.score, "parts": parts })
                })
                .collect();
            writeln!(out, "{}", json!({ "truth": need.discipline, "orgs": orgs }))?;
        }
        if matches.note.is_some() {
            below_floor += 1;
        }
        let rank = matches
            .organizations
            .iter()
            .position(|o| lab_of_org.get(&o.organization_id) == Some(&need.discipline))
            .map(|p| p + 1);
        if let Some(rank) = rank {
            true_scores.push(matches.organizations[rank - 1].score);
        }
        metrics.add(rank);
    }
    Ok((metrics, below_floor, true_scores))
}

/// One variant (full or title-only): load, index, match, score both systems.
async fn run(labs: &[Lab], needs: &[Need], title_only: bool) -> anyhow::Result<serde_json::Value> {
    let started = Instant::now();
    let dir = tempfile::tempdir()?;
    let store: Arc<dyn RecordStore> = Arc::new(SqliteStore::open(dir.path())?);
    let tokens = TokenRegistry::load(store.as_ref()).await?;
    let catalog = Catalog::new(Arc::clone(&store), tokens);
    let region = "440802";

    // Labs get neutral names: only their abstracts say what they work on.
    let mut lab_of_org: HashMap<String, String> = HashMap::new();
    for (i, lab) in labs.iter().enumerate() {
        let org = Organization {
            name: format!("评测实验室{:02}", i + 1),
            kind: Some(OrganizationKind::Laboratory),
            region_code: region.into(),
            ..Default::default()
        };
        let org = catalog.create(&admin(), Record::Organization(org), "").await?;
        let org_id = org.meta().id.clone();
        for text in &lab.abstracts {
            let title: String = text.chars().take(24).collect();
            let capability = Capability {
                meta: RecordMeta::default(),
                kind: Some(CapabilityKind::Achievement),
                title,
                description: text.clone(),
                ..Default::default()
            };
            catalog.create(&admin(), Record::Capability(capability), &org_id).await?;
        }
        lab_of_org.insert(org_id, lab.lab.clone());
    }
    let enterprise = Organization {
        name: "评测企业".into(),
        kind: Some(OrganizationKind::Enterprise),
        region_code: region.into(),
        ..Default::default()
    };
    let enterprise_id = catalog.create(&admin(), Record::Organization(enterprise), "").await?.meta().id.clone();
    let mut need_ids = Vec::with_capacity(needs.len());
    for need in needs {
        let record = TechNeed {
            title: need.title.clone(),
            description: if title_only { String::new() } else { need.text.clone() },
            region_code: region.into(),
            ..Default::default()
        };
        need_ids.push(catalog.create(&admin(), Record::Need(record), &enterprise_id).await?.meta().id.clone());
    }
    let index = Arc::new(SearchIndex::in_ram()?);
    let mut after = 0;
    loop {
        let batch = store.changes_after(after, 5_000).await?;
        let Some(last) = batch.last() else { break };
        after = last.sequence;
        index.apply(&batch)?;
    }
    // What the server's fitting task does once the index settles.
    index.relevance().refit_discriminants_if_due();
    let loaded = started.elapsed();
    let lexical = Matcher::new(catalog.clone(), Arc::clone(&index));
    let started = Instant::now();
    let (lexical_metrics, _, _) = evaluate(&lexical, needs, &need_ids, &lab_of_org, labs.len(), None).await?;
    let matched = started.elapsed();

    // The same catalog with semantic matching: every record embedded by the
    // embedding follower's code (texts already embedded come from the vector
    // file in `target/embed-cache`, the one `embed-eval` fills, so a second run embeds nothing).
    let (semantic, embed_seconds) = match E5Embedder::open(&E5Options::default()) {
        Ok(embedder) => {
            let embedder: Arc<dyn Embedder> = Arc::new(embedder);
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/embed-cache");
            let vectors = Arc::new(VectorStore::open(&dir, embedder.model_id(), embedder.dimension())?);
            let started = Instant::now();
            embedding::embed_reference(&embedder, &vectors).await.map_err(anyhow::Error::msg)?;
            let progress = Arc::new(EmbeddingProgress::default());
            let mut after = 0;
            loop {
                let batch = store.changes_after(after, 2_000).await?;
                let Some(last) = batch.last() else { break };
                after = last.sequence;
                embedding::apply(&embedder, &vectors, &progress, batch).await.map_err(anyhow::Error::msg)?;
            }
            (Some(Matcher::new(catalog.clone(), Arc::clone(&index)).with_vectors(vectors)), started.elapsed())
        }
        Err(error) => {
            println!("semantic matching skipped: {error}");
            (None, std::time::Duration::ZERO)
        }
    };
    // `INNOMATCH_EVAL_DUMP=<dir>` writes every need's ranking there, one JSON line each.
    let mut dump = match std::env::var_os("INNOMATCH_EVAL_DUMP") {
        Some(dir) => {
            std::fs::create_dir_all(&dir)?;
            let name = if title_only { "title-only.jsonl" } else { "full.jsonl" };
            Some(std::io::BufWriter::new(std::fs::File::create(PathBuf::from(dir).join(name))?))
        }
        None => None,
    };
    let dump_to = dump.as_mut().map(|out| out as &mut dyn std::io::Write);
    let (system, below_floor, mut true_scores) = match &semantic {
        Some(matcher) => evaluate(matcher, needs, &need_ids, &lab_of_org, labs.len(), dump_to).await?,
        None => evaluate(&lexical, needs, &need_ids, &lab_of_org, labs.len(), dump_to).await?,
    };
    if let Some(mut out) = dump {
        std::io::Write::flush(&mut out)?;
    }

    // The baseline on the same text.
    let mut texts: Vec<String> = labs.iter().flat_map(|l| l.abstracts.iter().cloned()).collect();
    let owners: Vec<&str> = labs.iter().flat_map(|l| l.abstracts.iter().map(|_| l.lab.as_str())).collect();
    let documents = texts.len();
    texts.extend(needs.iter().map(|n| if title_only { n.title.clone() } else { format!("{}。{}", n.title, n.text) }));
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let tfidf = TfIdfBaseline::fit(&refs);
    let mut baseline = Metrics::default();
    for (j, need) in needs.iter().enumerate() {
        let mut per_lab: BTreeMap<String, Vec<f32>> = BTreeMap::new();
        for (d, owner) in owners.iter().enumerate() {
            per_lab.entry((*owner).to_owned()).or_default().push(tfidf.cosine(documents + j, d));
        }
        let scores: BTreeMap<String, f32> = per_lab
            .into_iter()
            .map(|(lab, mut cosines)| {
                cosines.sort_by(|a, b| b.total_cmp(a));
                (lab, cosines.iter().take(5).sum::<f32>() / 5.0)
            })
            .collect();
        baseline.add(rank_of(&scores, &need.discipline));
    }

    true_scores.sort_by(f32::total_cmp);
    let quantile = |q: f64| true_scores.get(((true_scores.len() as f64 - 1.0) * q) as usize).copied().unwrap_or(0.0);
    let (p1, mrr, ndcg) = system.mean();
    let (lp1, lmrr, lndcg) = lexical_metrics.mean();
    let (bp1, bmrr, bndcg) = baseline.mean();
    let variant = if title_only { "title only" } else { "title + abstract" };
    let hybrid = if semantic.is_some() { "hybrid" } else { "lexical (no model)" };
    println!("{variant:<16} innomatch {hybrid}  P@1 {p1:.3}  MRR {mrr:.3}  nDCG@10 {ndcg:.3}");
    println!("{variant:<16} innomatch lexical  P@1 {lp1:.3}  MRR {lmrr:.3}  nDCG@10 {lndcg:.3}");
    println!("{variant:<16} tfidf-top5 P@1 {bp1:.3}  MRR {bmrr:.3}  nDCG@10 {bndcg:.3}");
    println!(
        "{variant:<16} Δ P@1 {:+.3}  MRR {:+.3}; {below_floor} needs below the floor; true lab's score p10 {:.2} p50 {:.2} p90 {:.2}; load {:.1}s, embed {:.1}s, lexical match {:.1} ms/need",
        p1 - bp1,
        mrr - bmrr,
        quantile(0.1),
        quantile(0.5),
        quantile(0.9),
        loaded.as_secs_f64(),
        embed_seconds.as_secs_f64(),
        matched.as_secs_f64() * 1000.0 / needs.len().max(1) as f64
    );
    Ok(json!({
        "innomatch": { "p@1": p1, "mrr": mrr, "ndcg@10": ndcg, "semantic": semantic.is_some() },
        "innomatch_lexical": { "p@1": lp1, "mrr": lmrr, "ndcg@10": lndcg },
        "tfidf_top5": { "p@1": bp1, "mrr": bmrr, "ndcg@10": bndcg },
        "needs": needs.len(),
        "below_floor": below_floor,
        "true_lab_score_p50": quantile(0.5),
    }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::var_os("INNOMATCH_EVAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/csl-dev"));
    if !dir.join("labs.jsonl").is_file() || !dir.join("needs.jsonl").is_file() {
        bail!(
            "the real-text dev set is not at {} (labs.jsonl, needs.jsonl): set INNOMATCH_EVAL_DIR to its folder",
            dir.display()
        );
    }
    let labs: Vec<Lab> = read_jsonl(&dir.join("labs.jsonl"))?;
    let mut needs: Vec<Need> = read_jsonl(&dir.join("needs.jsonl"))?;
    if let Some(limit) = std::env::var("INNOMATCH_EVAL_NEEDS").ok().and_then(|v| v.parse::<usize>().ok()) {
        needs.truncate(limit);
    }
    println!(
        "real-text dev set {}: {} labs, {} abstracts, {} needs",
        dir.display(),
        labs.len(),
        labs.iter().map(|l| l.abstracts.len()).sum::<usize>(),
        needs.len()
    );
    let full = run(&labs, &needs, false).await?;
    let title = run(&labs, &needs, true).await?;
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(
        out.join("eval-real.json"),
        serde_json::to_string_pretty(&json!({ "full": full, "title_only": title }))?,
    )?;
    println!("written to target/bench/eval-real.json");
    Ok(())
}
