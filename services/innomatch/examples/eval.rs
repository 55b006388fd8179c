//! Ranking quality on the labelled sample set (`make eval`): loads the sample
//! catalog, then for every labelled need ranks organizations two ways — plain
//! BM25 (each organization by its best capability's text score) and the full
//! matcher — and reports nDCG@10, Recall@20 and P@1 for the `dev` split and
//! the `heldout` split that tuning never looks at. Labels were written with
//! the data, before any tuning. Writes `target/bench/eval.json`.

use std::{collections::BTreeMap, sync::Arc};

use anyhow::Context;
use innomatch::server::sample;
use innomatch_catalog::{Catalog, sqlite::SqliteStore, store::RecordStore, tokens::TokenRegistry};
use innomatch_core::{
    auth::Principal,
    model::{Record, RecordKind, Role},
};
use innomatch_matcher::Matcher;
use innomatch_search::{
    index::{Filters, SearchIndex, SearchRequest},
    query::Clause,
};
use serde_json::{Value, json};

fn admin() -> Principal {
    Principal { token_id: "eval".into(), organization_id: None, role: Role::Admin }
}

fn ndcg_at(ranking: &[String], relevant: &[String], k: usize) -> f64 {
    let dcg: f64 = ranking
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, id)| relevant.contains(id))
        .map(|(i, _)| 1.0 / ((i + 2) as f64).log2())
        .sum();
    let ideal: f64 = (0..relevant.len().min(k)).map(|i| 1.0 / ((i + 2) as f64).log2()).sum();
    if ideal > 0.0 { dcg / ideal } else { 0.0 }
}

fn recall_at(ranking: &[String], relevant: &[String], k: usize) -> f64 {
    let found = ranking.iter().take(k).filter(|id| relevant.contains(id)).count();
    found as f64 / relevant.len().max(1) as f64
}

fn precision_at_1(ranking: &[String], relevant: &[String]) -> f64 {
    ranking.first().is_some_and(|id| relevant.contains(id)) as u8 as f64
}

#[derive(Default)]
struct Totals {
    ndcg10: f64,
    recall20: f64,
    p1: f64,
    needs: usize,
}

impl Totals {
    fn add(&mut self, ranking: &[String], relevant: &[String]) {
        self.ndcg10 += ndcg_at(ranking, relevant, 10);
        self.recall20 += recall_at(ranking, relevant, 20);
        self.p1 += precision_at_1(ranking, relevant);
        self.needs += 1;
    }

    fn report(&self) -> Value {
        let n = self.needs.max(1) as f64;
        json!({ "needs": self.needs, "ndcg@10": self.ndcg10 / n, "recall@20": self.recall20 / n, "p@1": self.p1 / n })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store: Arc<dyn RecordStore> = Arc::new(SqliteStore::open(dir.path())?);
    let tokens = TokenRegistry::load(store.as_ref()).await?;
    let catalog = Catalog::new(Arc::clone(&store), tokens);
    let ids = sample::load(&catalog).await?;
    let index = Arc::new(SearchIndex::in_ram()?);
    let mut after = 0;
    loop {
        let batch = store.changes_after(after, 5_000).await?;
        let Some(last) = batch.last() else { break };
        after = last.sequence;
        index.apply(&batch)?;
    }
    let matcher = Matcher::new(catalog.clone(), Arc::clone(&index));

    let mut totals: BTreeMap<(String, &str), Totals> = BTreeMap::new();
    for line in sample::SAMPLE_LABELS.lines().filter(|l| !l.trim().is_empty()) {
        let label: Value = serde_json::from_str(line)?;
        let split = label["split"].as_str().context("split")?.to_owned();
        let need_id = ids.get(label["need"].as_str().context("need")?).context("labelled need exists")?;
        let relevant: Vec<String> = label["good_partners"]
            .as_array()
            .context("good_partners")?
            .iter()
            .filter_map(|r| r.as_str().and_then(|r| ids.get(r)).cloned())
            .collect();
        let Record::Need(need) = catalog.get(&admin(), RecordKind::Need, need_id).await? else { continue };

        // Plain BM25: organizations by their best capability's text score
        // for the need's title, keywords and competencies, any of them matching.
        let filters = Filters { record_kinds: vec![RecordKind::Capability], ..Filters::default() };
        let clauses = std::iter::once(need.title.clone())
            .chain(need.keywords.iter().cloned())
            .chain(need.competencies.iter().map(|c| c.name.clone()))
            .map(|text| Clause { field: None, text, phrase: false, excluded: false })
            .collect();
        let request = SearchRequest { clauses, filters, match_any: true, limit: 200, ..SearchRequest::default() };
        let hits = index.search(&request, &admin())?.hits;
        let mut bm25: Vec<String> = Vec::new();
        for hit in hits {
            if hit.organization_id != need.meta.organization_id && !bm25.contains(&hit.organization_id) {
                bm25.push(hit.organization_id);
            }
        }
        totals.entry((split.clone(), "bm25")).or_default().add(&bm25, &relevant);

        let matches = matcher.match_need(&admin(), need_id, 50).await?;
        let full: Vec<String> = matches.organizations.into_iter().map(|o| o.organization_id).collect();
        totals.entry((split, "full")).or_default().add(&full, &relevant);
    }

    println!("{:<8} {:<6} {:>6} {:>9} {:>10} {:>6}", "split", "method", "needs", "nDCG@10", "Recall@20", "P@1");
    let mut report = serde_json::Map::new();
    for ((split, method), t) in &totals {
        let r = t.report();
        println!(
            "{:<8} {:<6} {:>6} {:>9.3} {:>10.3} {:>6.3}",
            split,
            method,
            t.needs,
            r["ndcg@10"].as_f64().unwrap_or_default(),
            r["recall@20"].as_f64().unwrap_or_default(),
            r["p@1"].as_f64().unwrap_or_default()
        );
        report.insert(format!("{split}/{method}"), r);
    }
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("eval.json"), serde_json::to_string_pretty(&Value::Object(report))?)?;
    println!("written to target/bench/eval.json");
    Ok(())
}
