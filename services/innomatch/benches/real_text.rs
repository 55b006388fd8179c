//! Real-text search benchmark (`make bench`), the reference for search speed:
//! innomatch over gRPC against a raw tantivy + jieba-rs index and PostgreSQL
//! full-text search, on the same documents and queries, in the same run.
//!
//! Corpus: the real Chinese abstracts of the dev set (`INNOMATCH_EVAL_DIR`,
//! default `../shared/eval/csl-dev`; read at run time, never copied). The
//! 1,000 need papers' abstracts come first (the targets of the quality
//! measure), then the 5,865 laboratory abstracts, then synthetic records up to
//! 100,000 (`INNOMATCH_BENCH_RECORDS=N` for another size): each mixes the
//! sentences of three different real abstracts, taken in turn, each from a
//! sentence picked by a seeded generator, until it reaches the length of a
//! real abstract picked the same way. A record's title is the first clause
//! of its text (at most 30 characters), so a paper's real title is not in
//! its record. Every record is a capability of one of 67 organizations.
//!
//! Queries: the 1,000 real need titles, and for each need the list of its
//! abstract's three strongest keywords (jieba TF-IDF), 2,000 in all, taken
//! alternately. Quality is MRR@10 of each title query for its own paper's
//! record.
//!
//! Peers: raw tantivy indexes title and description with the same `zh_en`
//! analyzer (jieba search mode, folding, stemming) and answers with plain
//! BM25 over both fields (title weighted 3, as innomatch does), any query
//! token, top 10, in process. PostgreSQL (when 127.0.0.1:5432 db `test`
//! answers; a schema of its own, dropped after) stores the same
//! jieba-segmented text as a `simple` tsvector (title weight A) with a GIN
//! index and ranks any query token by `ts_rank`, top 10.
//!
//! innomatch answers each query twice: as by default (an exact total) and
//! with `estimate_total` (a lower bound, so tantivy may prune).
//!
//! Matching: after the search measures, the first 100 need papers are posted
//! as one enterprise's needs (title, abstract, and the abstract's three
//! strongest keywords as what a consortium must cover), and each is matched
//! (MatchNeed, 10 partners) and given consortia (ProposeConsortia) over
//! gRPC, three times after a warm-up: first lexical-only, then, when the
//! model is installed, with the hybrid after a restart with semantic
//! matching on the same data. For the hybrid every record needs a vector,
//! and embedding 100k texts takes hours here, so the bench seeds the
//! server's vector store first (see `seed_vectors`: real records get their
//! abstract's own vector, synthetic ones the normalised mean of their three
//! sources'); the need texts are embedded by the server, as when posted.
//!
//! Reported: import docs/s until searchable against raw indexing docs/s;
//! search p50/p99 over gRPC and in process against raw in process, and the
//! p50/p99 of an empty call (a health check) over the same kind of channel,
//! what the transport alone costs; QPS at 1,
//! 4 and 16 clients for all three; MRR@10; RSS and index bytes per document;
//! MatchNeed and ProposeConsortia p50/p99, lexical and hybrid, and the
//! hybrid server's RSS. Prints a table and writes `target/bench/real-text.json`.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use innomatch::server;
use innomatch_core::{
    auth::Principal,
    config::{DatabaseSettings, SearchSettings, Secret, ServiceKind, Settings},
    model::{Capability, Record, Role},
    postgres::TestSchema,
};
use innomatch_embed::{E5Embedder, E5Options, Embedder, TextKind};
use innomatch_proto::v1::{
    self as pb, matcher_service_client::MatcherServiceClient, search_service_client::SearchServiceClient,
};
use innomatch_search::{
    analysis::{Analyzer, text_field_options},
    index::{SearchIndex, analyzer},
    vectors::{VectorStore, embedding_input},
};
use serde::Deserialize;
use serde_json::json;
use tantivy::{
    Index, IndexReader, IndexWriter, TantivyDocument, Term,
    collector::TopDocs,
    directory::MmapDirectory,
    query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery},
    schema::{Field, INDEXED, IndexRecordOption, STORED, Schema, Value},
};
use tonic::{Request, metadata::MetadataValue, transport::Channel};

const RECORDS: usize = 100_000;
const ORGANIZATIONS: usize = 67;
const KEYWORDS_PER_QUERY: usize = 3;
const TOP: usize = 10;
const TITLE_CHARS: usize = 30;
const CLIENTS: [usize; 3] = [1, 4, 16];
/// Seconds of each multi-client throughput run.
const THROUGHPUT_SECONDS: u64 = 5;
/// PostgreSQL answers in tens of milliseconds: its one-client pass is cut short.
const POSTGRES_SEQUENTIAL_QUERIES: usize = 200;
const ADMIN_TOKEN: &str = "imt_bench_admin_token_0123456789abcdef";
/// Need papers posted as an enterprise's needs for the matching measures.
const MATCH_NEEDS: usize = 100;
/// Times each need is matched and given consortia, after one warm-up pass.
const MATCH_ROUNDS: usize = 3;
const ENTERPRISE_REF: &str = "enterprise";
/// Texts per embedding call when the bench fills the vector cache.
const EMBED_BATCH: usize = 32;

#[derive(Deserialize)]
struct Lab {
    abstracts: Vec<String>,
}

#[derive(Deserialize)]
struct Need {
    title: String,
    #[serde(rename = "abstract")]
    text: String,
}

/// One benchmark record.
struct Doc {
    title: String,
    description: String,
    /// The real abstracts it is made of (indices into [`real_texts`]): itself
    /// for a real record, three for a synthetic one.
    sources: Vec<usize>,
}

/// A query and, for a title query, the record of its own paper.
struct BenchQuery {
    text: String,
    target: Option<usize>,
}

/// A deterministic generator, so every run builds the same corpus.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<Vec<T>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).with_context(|| format!("a line of {}", path.display())))
        .collect()
}

/// Sentences of an abstract, each with its closing mark. A full stop
/// between digits (0.5) ends nothing.
fn sentences(text: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &(at, c)) in chars.iter().enumerate() {
        let decimal = c == '.'
            && i > 0
            && chars[i - 1].1.is_ascii_digit()
            && chars.get(i + 1).is_some_and(|(_, next)| next.is_ascii_digit());
        if matches!(c, '。' | '；' | '！' | '？' | '.' | ';' | '!' | '?') && !decimal {
            let end = at + c.len_utf8();
            if !text[start..end].trim().is_empty() {
                out.push(text[start..end].trim());
            }
            start = end;
        }
    }
    if !text[start..].trim().is_empty() {
        out.push(text[start..].trim());
    }
    out
}

/// A record's title: the first clause of its text.
fn title_of(description: &str) -> String {
    let clause: String = description
        .chars()
        .take_while(|c| !matches!(c, '，' | ',' | '。' | '.' | '；' | ';' | '：' | ':' | '(' | '（'))
        .take(TITLE_CHARS)
        .collect();
    let clause = clause.trim();
    if clause.chars().count() >= 4 { clause.to_owned() } else { description.chars().take(TITLE_CHARS).collect() }
}

/// The real abstracts, need papers' first: what the corpus is made of.
fn real_texts<'a>(needs: &'a [Need], labs: &'a [Lab]) -> Vec<&'a str> {
    needs
        .iter()
        .map(|n| n.text.as_str())
        .chain(labs.iter().flat_map(|l| l.abstracts.iter().map(String::as_str)))
        .collect()
}

/// The corpus (see the module docs) of `records` records.
fn corpus(needs: &[Need], labs: &[Lab], records: usize) -> Vec<Doc> {
    let real = real_texts(needs, labs);
    let split: Vec<Vec<&str>> = real.iter().map(|text| sentences(text)).collect();
    let mut docs: Vec<Doc> = real
        .iter()
        .take(records)
        .enumerate()
        .map(|(i, text)| Doc { title: title_of(text), description: (*text).to_owned(), sources: vec![i] })
        .collect();
    let mut rng = Lcg(20_251_201);
    while docs.len() < records {
        let mut sources = Vec::with_capacity(3);
        while sources.len() < 3 {
            let pick = rng.below(real.len());
            if !sources.contains(&pick) && !split[pick].is_empty() {
                sources.push(pick);
            }
        }
        let length = real[rng.below(real.len())].chars().count();
        let starts: Vec<usize> = sources.iter().map(|&s| rng.below(split[s].len())).collect();
        let mut description = String::new();
        let most = sources.iter().map(|&s| split[s].len()).max().unwrap_or(0);
        'fill: for turn in 0..most {
            for (&source, &start) in sources.iter().zip(&starts) {
                if turn < split[source].len() {
                    description.push_str(split[source][(start + turn) % split[source].len()]);
                    if description.chars().count() >= length {
                        break 'fill;
                    }
                }
            }
        }
        docs.push(Doc { title: title_of(&description), description, sources });
    }
    docs
}

/// A real title or keyword list as a query of plain words: quotes, field
/// names and exclusion marks are syntax, not text, in innomatch's language.
fn plain_query(text: &str) -> String {
    let spaced: String =
        text.chars().map(|c| if matches!(c, '"' | '“' | '”' | '「' | '」' | ':' | '：') { ' ' } else { c }).collect();
    spaced
        .split_whitespace()
        .map(|word| word.trim_start_matches('-'))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn queries(needs: &[Need], analyzer: &Analyzer, records: usize) -> Vec<BenchQuery> {
    let mut out = Vec::with_capacity(needs.len() * 2);
    for (i, need) in needs.iter().enumerate() {
        out.push(BenchQuery { text: plain_query(&need.title), target: (i < records).then_some(i) });
        let keywords: Vec<String> =
            analyzer.keywords(&need.text, KEYWORDS_PER_QUERY).into_iter().map(|(word, _)| word).collect();
        out.push(BenchQuery { text: plain_query(&keywords.join(" ")), target: None });
    }
    out.retain(|q| !q.text.is_empty());
    out
}

fn percentile_ms(latencies: &mut [Duration], p: f64) -> f64 {
    if latencies.is_empty() {
        return 0.0;
    }
    latencies.sort();
    let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
    latencies[index].as_secs_f64() * 1000.0
}

/// Latencies of one pass, and its queries per second.
struct Pass {
    latencies: Vec<Duration>,
    qps: f64,
}

impl Pass {
    fn new(latencies: Vec<Duration>) -> Self {
        let busy: f64 = latencies.iter().map(Duration::as_secs_f64).sum();
        let qps = if busy > 0.0 { latencies.len() as f64 / busy } else { 0.0 };
        Pass { latencies, qps }
    }

    fn summary(&mut self) -> serde_json::Value {
        json!({
            "queries": self.latencies.len(),
            "p50_ms": percentile_ms(&mut self.latencies, 0.5),
            "p99_ms": percentile_ms(&mut self.latencies, 0.99),
            "qps": self.qps,
        })
    }
}

/// Reciprocal rank of `target` in `ranked` (0 when absent).
fn reciprocal_rank(ranked: &[usize], target: usize) -> f64 {
    ranked.iter().position(|&doc| doc == target).map_or(0.0, |rank| 1.0 / (rank as f64 + 1.0))
}

fn dir_bytes(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else { return 0 };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => dir_bytes(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn authorized<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    let value = MetadataValue::try_from(format!("Bearer {ADMIN_TOKEN}")).expect("header");
    request.metadata_mut().insert("authorization", value);
    request
}

async fn client(addr: SocketAddr) -> anyhow::Result<SearchServiceClient<Channel>> {
    let channel = Channel::from_shared(format!("http://{addr}"))?.connect().await?;
    Ok(SearchServiceClient::new(channel).max_decoding_message_size(16 * 1024 * 1024))
}

fn search_request(query: &str, estimate_total: bool) -> pb::SearchRequest {
    pb::SearchRequest { query: query.into(), page_size: TOP as u32, estimate_total, ..Default::default() }
}

fn import_rows(docs: &[Doc]) -> Vec<pb::ImportRecord> {
    let organizations = (0..ORGANIZATIONS).map(|i| pb::ImportRecord {
        record: Some(pb::import_record::Record::Organization(pb::Organization {
            name: format!("机构{i:02}"),
            kind: pb::OrganizationKind::University as i32,
            region_code: "440802".into(),
            ..Default::default()
        })),
        r#ref: format!("org-{i}"),
        ..Default::default()
    });
    let capabilities = docs.iter().enumerate().map(|(i, doc)| pb::ImportRecord {
        record: Some(pb::import_record::Record::Capability(pb::Capability {
            kind: pb::CapabilityKind::Achievement as i32,
            title: doc.title.clone(),
            description: doc.description.clone(),
            trl: (1 + i % 9) as u32,
            ..Default::default()
        })),
        organization_ref: format!("org-{}", i % ORGANIZATIONS),
        ..Default::default()
    });
    organizations.chain(capabilities).collect()
}

/// The first [`MATCH_NEEDS`] need papers as one enterprise's needs: title,
/// abstract and the abstract's three strongest keywords (what a consortium
/// must cover). Imported after the search measures, so they never compete
/// with the capabilities those rank.
fn need_rows(needs: &[Need], analyzer: &Analyzer) -> Vec<pb::ImportRecord> {
    let enterprise = pb::ImportRecord {
        record: Some(pb::import_record::Record::Organization(pb::Organization {
            name: "湛江海滨制造有限公司".into(),
            kind: pb::OrganizationKind::Enterprise as i32,
            region_code: "440802".into(),
            ..Default::default()
        })),
        r#ref: ENTERPRISE_REF.into(),
        ..Default::default()
    };
    let posted = needs.iter().take(MATCH_NEEDS).enumerate().map(|(i, need)| pb::ImportRecord {
        record: Some(pb::import_record::Record::Need(pb::TechNeed {
            title: need.title.clone(),
            description: need.text.clone(),
            keywords: analyzer.keywords(&need.text, KEYWORDS_PER_QUERY).into_iter().map(|(word, _)| word).collect(),
            ..Default::default()
        })),
        r#ref: format!("need-{i}"),
        organization_ref: ENTERPRISE_REF.into(),
    });
    std::iter::once(enterprise).chain(posted).collect()
}

/// Imports `rows` over gRPC and waits until the index has applied them all;
/// also gives how long the Import call took (every row is in the catalog
/// when it answers).
async fn import_until_searchable(
    addr: SocketAddr,
    index: &SearchIndex,
    rows: Vec<pb::ImportRecord>,
) -> anyhow::Result<(pb::ImportSummary, Duration)> {
    let expected = index.applied_sequence() + rows.len() as i64;
    let count = rows.len() as u64;
    let mut applied = index.subscribe_applied();
    let started = Instant::now();
    let summary = client(addr).await?.import(authorized(tokio_stream::iter(rows))).await?.into_inner();
    let stored = started.elapsed();
    if summary.imported != count {
        bail!("{} of {count} rows imported: {:?}", summary.imported, summary.rejected.first());
    }
    applied.wait_for(|&sequence| sequence >= expected).await?;
    Ok((summary, stored))
}

/// The ids of the enterprise's needs, through search.
async fn need_ids(addr: SocketAddr, enterprise: &str) -> anyhow::Result<Vec<String>> {
    let request = pb::SearchRequest {
        filters: Some(pb::SearchFilters {
            record_kinds: vec![pb::RecordKind::Need as i32],
            organization_id: enterprise.into(),
            ..Default::default()
        }),
        page_size: MATCH_NEEDS as u32,
        ..Default::default()
    };
    let hits = client(addr).await?.search(authorized(request)).await?.into_inner().hits;
    let ids: Vec<String> = hits.into_iter().map(|hit| hit.id).collect();
    if ids.is_empty() {
        bail!("the posted needs are not searchable");
    }
    Ok(ids)
}

/// Seconds until the server's organization discriminants are fitted (0 for
/// a catalog of `capabilities` too small to have them); the upkeep that
/// fits them merges the index segments first.
async fn discriminants_fitted(index: &SearchIndex, capabilities: usize) -> anyhow::Result<f64> {
    if capabilities < innomatch_search::relevance::DISCRIMINANT_MIN_CAPABILITIES {
        return Ok(0.0);
    }
    let waited = Instant::now();
    loop {
        // A fit made during the import, on part of the catalog, is redone
        // once the import settles: wait for the fit that stays.
        let fitted = index.relevance().discriminants().map(|d| d.fitted_on());
        if fitted.is_some_and(|n| n > 0 && innomatch_search::relevance::discriminants_stand(n, capabilities)) {
            return Ok(waited.elapsed().as_secs_f64());
        }
        if waited.elapsed() > Duration::from_secs(1800) {
            bail!("the organization discriminants were not fitted within 30 minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// MatchNeed (10 partners) and ProposeConsortia latencies over gRPC, one
/// client: every need once to warm up, then [`MATCH_ROUNDS`] times each.
async fn matching_latencies(addr: SocketAddr, need_ids: &[String]) -> anyhow::Result<serde_json::Value> {
    let channel = Channel::from_shared(format!("http://{addr}"))?.connect().await?;
    let mut matcher = MatcherServiceClient::new(channel).max_decoding_message_size(16 * 1024 * 1024);
    let (mut matched, mut proposed) = (Vec::new(), Vec::new());
    let mut with_partners = 0usize;
    for round in 0..=MATCH_ROUNDS {
        for id in need_ids {
            let t = Instant::now();
            let response = matcher
                .match_need(authorized(pb::MatchNeedRequest { need_id: id.clone(), limit: TOP as u32 }))
                .await?
                .into_inner();
            let match_time = t.elapsed();
            let t = Instant::now();
            matcher
                .propose_consortia(authorized(pb::ProposeConsortiaRequest { need_id: id.clone(), constraints: None }))
                .await?;
            if round > 0 {
                matched.push(match_time);
                proposed.push(t.elapsed());
                with_partners += usize::from(!response.organizations.is_empty());
            }
        }
    }
    let share_with_partners = with_partners as f64 / matched.len().max(1) as f64;
    Ok(json!({
        "needs": need_ids.len(),
        "match_need": Pass::new(matched).summary(),
        "propose_consortia": Pass::new(proposed).summary(),
        "share_with_partners": share_with_partners,
    }))
}

/// Seeds the vector store in `data_dir` with a vector for every record of
/// the corpus, so the hybrid is measured on 100k capabilities without
/// embedding 100k texts (hours on this machine): a real record takes its
/// abstract's vector (a need paper's abstract, never embedded alone, the
/// vector of its title and abstract), a synthetic record the normalised mean
/// of its three sources' vectors. The real abstracts' vectors come from the
/// cache `embed-eval` and `make eval-real` fill (`target/embed-cache`); the
/// ones missing there are embedded now and cached. Returns how many texts
/// had to be embedded.
fn seed_vectors(
    embedder: &E5Embedder,
    data_dir: &Path,
    needs: &[Need],
    labs: &[Lab],
    docs: &[Doc],
) -> anyhow::Result<usize> {
    let (model, dimension) = (embedder.model_id(), embedder.dimension());
    let cache =
        VectorStore::open(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/embed-cache"), model, dimension)?;
    let real = real_texts(needs, labs);
    let inputs: Vec<(TextKind, String)> = real
        .iter()
        .enumerate()
        .map(|(i, text)| match needs.get(i) {
            Some(need) => (TextKind::Query, format!("{}。{}", need.title, need.text)),
            None => (TextKind::Passage, (*text).to_owned()),
        })
        .collect();
    let hashes: Vec<_> = inputs.iter().map(|(kind, text)| cache.hash(*kind, text)).collect();
    let missing: Vec<usize> = (0..inputs.len()).filter(|&i| cache.known(&hashes[i]).is_none()).collect();
    if !missing.is_empty() {
        println!("  embedding {} real abstracts missing from target/embed-cache (once)", missing.len());
    }
    for kind in [TextKind::Query, TextKind::Passage] {
        let of_kind: Vec<usize> = missing.iter().copied().filter(|&i| inputs[i].0 == kind).collect();
        for batch in of_kind.chunks(EMBED_BATCH) {
            let texts: Vec<&str> = batch.iter().map(|&i| inputs[i].1.as_str()).collect();
            for (&i, vector) in batch.iter().zip(embedder.embed(&texts, kind)?) {
                cache.remember(hashes[i], vector)?;
            }
        }
    }
    let sources: Vec<std::sync::Arc<[f32]>> = hashes
        .iter()
        .map(|hash| cache.known(hash).context("a cached vector went missing"))
        .collect::<Result<_, _>>()?;
    let store = VectorStore::open(&data_dir.join("vectors"), model, dimension)?;
    for doc in docs {
        let record = Record::Capability(Capability {
            title: doc.title.clone(),
            description: doc.description.clone(),
            ..Default::default()
        });
        let Some((kind, text)) = embedding_input(&record) else { continue };
        let mut mean = vec![0f32; dimension];
        for &source in &doc.sources {
            mean.iter_mut().zip(sources[source].iter()).for_each(|(m, v)| *m += v);
        }
        let norm = mean.iter().map(|v| v * v).sum::<f32>().sqrt().max(f32::EPSILON);
        mean.iter_mut().for_each(|v| *v /= norm);
        store.remember(store.hash(kind, &text), mean)?;
    }
    Ok(missing.len())
}

/// Latencies of `calls` health checks, one client: what a call costs the
/// transport and the server's layers with no work behind it.
async fn empty_call_latencies(addr: SocketAddr, calls: usize) -> anyhow::Result<Pass> {
    let channel = Channel::from_shared(format!("http://{addr}"))?.connect().await?;
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let check = || tonic_health::pb::HealthCheckRequest { service: String::new() };
    for _ in 0..50 {
        health.check(check()).await?;
    }
    let mut latencies = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        health.check(check()).await?;
        latencies.push(t.elapsed());
    }
    Ok(Pass::new(latencies))
}

/// Closed-loop throughput of `clients` gRPC clients over `queries`.
async fn grpc_throughput(
    addr: SocketAddr,
    queries: &Arc<Vec<String>>,
    clients: usize,
    estimate_total: bool,
) -> anyhow::Result<f64> {
    let deadline = Instant::now() + Duration::from_secs(THROUGHPUT_SECONDS);
    let mut tasks = Vec::new();
    for worker in 0..clients {
        let queries = Arc::clone(queries);
        let mut grpc = client(addr).await?;
        tasks.push(tokio::spawn(async move {
            let mut done = 0usize;
            while Instant::now() < deadline {
                let q = &queries[(worker * 97 + done) % queries.len()];
                grpc.search(authorized(search_request(q, estimate_total))).await?;
                done += 1;
            }
            Ok::<usize, tonic::Status>(done)
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    Ok(total as f64 / THROUGHPUT_SECONDS as f64)
}

/// The raw baseline: an index of title and description with the same analyzer.
struct Raw {
    reader: IndexReader,
    analyzer: Analyzer,
    doc: Field,
    title: Field,
    description: Field,
}

impl Raw {
    fn build(dir: &Path, docs: &[Doc]) -> anyhow::Result<Raw> {
        let mut schema = Schema::builder();
        let doc_field = schema.add_u64_field("doc", INDEXED | STORED);
        let title = schema.add_text_field("title", text_field_options(false));
        let description = schema.add_text_field("description", text_field_options(false));
        let index = Index::create(MmapDirectory::open(dir)?, schema.build(), tantivy::IndexSettings::default())?;
        let analyzer = analyzer();
        analyzer.register(index.tokenizers());
        let mut writer: IndexWriter = index.writer(64 * 1024 * 1024)?;
        for (i, doc) in docs.iter().enumerate() {
            let mut document = TantivyDocument::default();
            document.add_u64(doc_field, i as u64);
            document.add_text(title, &doc.title);
            document.add_text(description, &doc.description);
            writer.add_document(document)?;
        }
        writer.commit()?;
        let reader = index.reader()?;
        reader.reload()?;
        Ok(Raw { reader, analyzer, doc: doc_field, title, description })
    }

    /// Plain BM25 over title (weight 3) and description, any token, top 10.
    fn search(&self, searcher: &tantivy::Searcher, text: &str) -> anyhow::Result<Vec<usize>> {
        let mut tokens = self.analyzer.analyze(text);
        tokens.sort();
        tokens.dedup();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(tokens.len() * 2);
        for token in &tokens {
            for (field, boost) in [(self.title, 3.0), (self.description, 1.0)] {
                let term = TermQuery::new(Term::from_field_text(field, token), IndexRecordOption::WithFreqs);
                clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(term), boost))));
            }
        }
        let top = searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(TOP).order_by_score())?;
        let mut found = Vec::with_capacity(top.len());
        for (_, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(n) = doc.get_first(self.doc).and_then(|v| v.as_u64()) {
                found.push(n as usize);
            }
        }
        Ok(found)
    }

    fn throughput(&self, queries: &[String], clients: usize) -> f64 {
        let deadline = Instant::now() + Duration::from_secs(THROUGHPUT_SECONDS);
        let done: usize = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..clients)
                .map(|worker| {
                    scope.spawn(move || {
                        let searcher = self.reader.searcher();
                        let mut done = 0usize;
                        while Instant::now() < deadline {
                            if self.search(&searcher, &queries[(worker * 97 + done) % queries.len()]).is_ok() {
                                done += 1;
                            }
                        }
                        done
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
        });
        done as f64 / THROUGHPUT_SECONDS as f64
    }
}

const PG_SEARCH: &str = "SELECT d.id FROM bench_docs d, \
     (SELECT replace(plainto_tsquery('simple', $1)::text, ' & ', ' | ')::tsquery AS q) AS query \
     WHERE d.tsv @@ query.q ORDER BY ts_rank(d.tsv, query.q) DESC LIMIT 10";

/// PostgreSQL FTS on the same jieba-segmented text; `None` when no server answers.
async fn postgres_peer(
    docs: &[Doc],
    analyzer: &Analyzer,
    queries: &[String],
) -> anyhow::Result<Option<serde_json::Value>> {
    let Some(schema) = TestSchema::create().await else { return Ok(None) };
    let settings =
        DatabaseSettings { max_connections: 20, statement_timeout_ms: 120_000, ..DatabaseSettings::default() };
    let pool = innomatch_core::postgres::connect(&schema.url, Some(&schema.name), &settings)
        .await
        .map_err(anyhow::Error::msg)?;
    let db = pool.get().await?;
    db.batch_execute("CREATE TABLE bench_docs (id int4 PRIMARY KEY, tsv tsvector NOT NULL)").await?;
    let started = Instant::now();
    for (chunk_index, chunk) in docs.chunks(2000).enumerate() {
        let ids: Vec<i32> = (0..chunk.len()).map(|i| (chunk_index * 2000 + i) as i32).collect();
        let titles: Vec<String> = chunk.iter().map(|d| analyzer.analyze(&d.title).join(" ")).collect();
        let bodies: Vec<String> = chunk.iter().map(|d| analyzer.analyze(&d.description).join(" ")).collect();
        db.execute(
            "INSERT INTO bench_docs (id, tsv) SELECT id, setweight(to_tsvector('simple', t), 'A') || to_tsvector('simple', b) \
             FROM unnest($1::int4[], $2::text[], $3::text[]) AS r(id, t, b)",
            &[&ids, &titles, &bodies],
        )
        .await?;
    }
    db.batch_execute("CREATE INDEX bench_docs_tsv ON bench_docs USING gin (tsv); ANALYZE bench_docs").await?;
    let indexed = started.elapsed();
    let bytes: i64 = db.query_one("SELECT pg_total_relation_size('bench_docs')", &[]).await?.get(0);
    let segmented: Vec<String> = queries.iter().map(|q| analyzer.analyze(q).join(" ")).collect();
    let statement = db.prepare(PG_SEARCH).await?;
    let mut latencies = Vec::new();
    for q in segmented.iter().take(POSTGRES_SEQUENTIAL_QUERIES) {
        let t = Instant::now();
        db.query(&statement, &[q]).await?;
        latencies.push(t.elapsed());
    }
    let mut sequential = Pass::new(latencies);
    let segmented = Arc::new(segmented);
    let mut qps = serde_json::Map::new();
    qps.insert("1".into(), json!(sequential.qps));
    for clients in CLIENTS.into_iter().filter(|&c| c > 1) {
        let deadline = Instant::now() + Duration::from_secs(THROUGHPUT_SECONDS);
        let mut tasks = Vec::new();
        for worker in 0..clients {
            let client = pool.get().await?;
            let segmented = Arc::clone(&segmented);
            tasks.push(tokio::spawn(async move {
                let statement = client.prepare(PG_SEARCH).await?;
                let mut done = 0usize;
                while Instant::now() < deadline {
                    client.query(&statement, &[&segmented[(worker * 97 + done) % segmented.len()]]).await?;
                    done += 1;
                }
                Ok::<usize, innomatch_core::postgres::PgError>(done)
            }));
        }
        let mut total = 0;
        for task in tasks {
            total += task.await??;
        }
        qps.insert(clients.to_string(), json!(total as f64 / THROUGHPUT_SECONDS as f64));
    }
    drop(db);
    drop(pool);
    drop(schema);
    Ok(Some(json!({
        "index_seconds": indexed.as_secs_f64(),
        "docs_per_second": docs.len() as f64 / indexed.as_secs_f64(),
        "bytes_per_doc": bytes as f64 / docs.len() as f64,
        "search_one_client": sequential.summary(),
        "qps": qps,
    })))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let eval_dir = std::env::var_os("INNOMATCH_EVAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/csl-dev"));
    if !eval_dir.join("labs.jsonl").is_file() || !eval_dir.join("needs.jsonl").is_file() {
        bail!("the real-text dev set is not at {}: set INNOMATCH_EVAL_DIR to its folder", eval_dir.display());
    }
    let labs: Vec<Lab> = read_jsonl(&eval_dir.join("labs.jsonl"))?;
    let needs: Vec<Need> = read_jsonl(&eval_dir.join("needs.jsonl"))?;
    let records = std::env::var("INNOMATCH_BENCH_RECORDS").ok().and_then(|n| n.parse().ok()).unwrap_or(RECORDS);
    let docs = corpus(&needs, &labs, records);
    let analyzer = analyzer();
    let queries = queries(&needs, &analyzer, records);
    let texts: Arc<Vec<String>> = Arc::new(queries.iter().map(|q| q.text.clone()).collect());
    let title_queries = queries.iter().filter(|q| q.target.is_some()).count();
    println!(
        "real-text search benchmark: {} records from {} real abstracts, {} queries ({title_queries} titles)",
        docs.len(),
        needs.len() + labs.iter().map(|l| l.abstracts.len()).sum::<usize>(),
        texts.len()
    );

    // innomatch: import over gRPC until the index has applied every change.
    let dir = tempfile::tempdir()?;
    let mut settings = Settings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: dir.path().to_path_buf(),
        admin_token: Some(Secret::new(ADMIN_TOKEN)),
        services: vec![ServiceKind::Catalog, ServiceKind::Search, ServiceKind::Matcher],
        search: SearchSettings { semantic: false, ..SearchSettings::default() },
        ..Settings::default()
    };
    let running = server::start(&settings).await?;
    let index: Arc<SearchIndex> = Arc::clone(running.search_index.as_ref().context("search runs")?);
    let addr = running.addr;
    let started = Instant::now();
    eprintln!("  importing {} records", docs.len());
    let (_, stored) = import_until_searchable(addr, &index, import_rows(&docs)).await?;
    let import_seconds = started.elapsed().as_secs_f64();
    let import_docs_per_sec = docs.len() as f64 / import_seconds;
    // The organization discriminants are fitted once the import settles; the
    // timings below are taken after, not beside, that fit.
    let discriminants_seconds = discriminants_fitted(&index, docs.len()).await?;
    // The same upkeep merged the import's segments first.
    let segments = index.segments();

    eprintln!("  searching");
    // Quality, in process (the same engine answers gRPC): the hit's record
    // is found again by its text.
    let admin = Principal { token_id: "bench".into(), organization_id: None, role: Role::Admin };
    let mut reciprocal = 0.0;
    for query in queries.iter().filter(|q| q.target.is_some()) {
        let Some(target) = query.target else { continue };
        let request = innomatch_search::index::SearchRequest::try_from(search_request(&query.text, false))
            .map_err(|v| anyhow::anyhow!("{v:?}"))?;
        let ids: Vec<String> = index.search(&request, &admin)?.hits.into_iter().map(|h| h.id).collect();
        let records = index.records(&ids, &admin)?;
        let ranked: Vec<usize> = ids
            .iter()
            .map(|id| match records.get(id) {
                Some(Record::Capability(c)) if c.description.trim() == docs[target].description.trim() => target,
                _ => usize::MAX,
            })
            .collect();
        reciprocal += reciprocal_rank(&ranked, target);
    }
    let innomatch_mrr = reciprocal / title_queries.max(1) as f64;

    // Latency, one client: in process, then over gRPC; by default and with an estimated total.
    let mut modes = Vec::new();
    for estimate in [false, true] {
        let mut latencies = Vec::with_capacity(texts.len());
        for q in texts.iter() {
            let request = innomatch_search::index::SearchRequest::try_from(search_request(q, estimate))
                .map_err(|v| anyhow::anyhow!("{v:?}"))?;
            let t = Instant::now();
            index.search(&request, &admin)?;
            latencies.push(t.elapsed());
        }
        let in_process = Pass::new(latencies);
        let mut grpc = client(addr).await?;
        for q in texts.iter().take(50) {
            grpc.search(authorized(search_request(q, estimate))).await?;
        }
        let mut latencies = Vec::with_capacity(texts.len());
        for q in texts.iter() {
            let t = Instant::now();
            grpc.search(authorized(search_request(q, estimate))).await?;
            latencies.push(t.elapsed());
        }
        let over_grpc = Pass::new(latencies);
        let mut qps = serde_json::Map::new();
        qps.insert("1".into(), json!(over_grpc.qps));
        for clients in CLIENTS.into_iter().filter(|&c| c > 1) {
            qps.insert(clients.to_string(), json!(grpc_throughput(addr, &texts, clients, estimate).await?));
        }
        modes.push((in_process, over_grpc, qps));
    }
    let [
        (mut in_process, mut over_grpc, innomatch_qps),
        (mut in_process_estimate, mut over_grpc_estimate, estimate_qps),
    ] = <[_; 2]>::try_from(modes).map_err(|_| anyhow::anyhow!("two modes"))?;
    let mut empty_call = empty_call_latencies(addr, texts.len()).await?;
    let innomatch_rss = rss_mib();
    let index_bytes = dir_bytes(&dir.path().join("index"));
    let store_bytes = dir_bytes(dir.path()).saturating_sub(index_bytes);

    // Matching, lexical: the need papers posted as needs, matched against every record.
    eprintln!("  matching, lexical");
    let (summary, _) = import_until_searchable(addr, &index, need_rows(&needs, &analyzer)).await?;
    let enterprise = summary.organization_ids.get(ENTERPRISE_REF).context("the enterprise's id")?;
    let posted = need_ids(addr, enterprise).await?;
    let lexical_matching = matching_latencies(addr, &posted).await?;
    let head = index.applied_sequence();
    running.shutdown().await?;
    drop(index);

    // Matching, hybrid: the same data restarted with semantic matching, once
    // every record has its vector (seeded, see `seed_vectors`) and the need
    // texts theirs (embedded by the server, as when they are posted).
    let hybrid_matching = match E5Embedder::open(&E5Options::default()) {
        Err(error) => {
            println!("  hybrid matching skipped: {error}");
            None
        }
        Ok(embedder) => {
            eprintln!("  matching, hybrid: seeding vectors");
            let embedded_now = seed_vectors(&embedder, dir.path(), &needs, &labs, &docs)?;
            drop(embedder);
            settings.search.semantic = true;
            let running = server::start(&settings).await?;
            let progress = running.embedding_progress.clone().context("semantic matching runs")?;
            let waited = Instant::now();
            while progress.applied() < head {
                if waited.elapsed() > Duration::from_secs(3600) {
                    bail!("vectors stopped at change {} of {head}", progress.applied());
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let vectors_ready_seconds = waited.elapsed().as_secs_f64();
            let restarted = running.search_index.as_ref().context("search runs")?;
            discriminants_fitted(restarted, docs.len()).await?;
            eprintln!("  matching, hybrid: measuring");
            let mut measured = matching_latencies(running.addr, &posted).await?;
            measured["rss_mib"] = json!(rss_mib());
            measured["vectors_ready_seconds_after_restart"] = json!(vectors_ready_seconds);
            measured["texts_embedded_by_server"] = json!(progress.embedded.load(std::sync::atomic::Ordering::Relaxed));
            measured["abstracts_embedded_for_seed"] = json!(embedded_now);
            running.shutdown().await?;
            Some(measured)
        }
    };

    // Raw tantivy + jieba-rs, in process.
    let raw_dir = tempfile::tempdir()?;
    let rss_before_raw = rss_mib();
    let started = Instant::now();
    let raw = Raw::build(raw_dir.path(), &docs)?;
    let raw_seconds = started.elapsed().as_secs_f64();
    let raw_docs_per_sec = docs.len() as f64 / raw_seconds;
    let searcher = raw.reader.searcher();
    let mut reciprocal = 0.0;
    for query in queries.iter() {
        if let Some(target) = query.target {
            reciprocal += reciprocal_rank(&raw.search(&searcher, &query.text)?, target);
        }
    }
    let raw_mrr = reciprocal / title_queries.max(1) as f64;
    let mut latencies = Vec::with_capacity(texts.len());
    for q in texts.iter() {
        let t = Instant::now();
        raw.search(&searcher, q)?;
        latencies.push(t.elapsed());
    }
    let mut raw_pass = Pass::new(latencies);
    let mut raw_qps = serde_json::Map::new();
    raw_qps.insert("1".into(), json!(raw_pass.qps));
    for clients in CLIENTS.into_iter().filter(|&c| c > 1) {
        raw_qps.insert(clients.to_string(), json!(raw.throughput(&texts, clients)));
    }
    let raw_rss_added = rss_mib() - rss_before_raw;
    let raw_bytes = dir_bytes(raw_dir.path());
    drop(searcher);
    drop(raw);

    let postgres = postgres_peer(&docs, &analyzer, &texts).await?;

    let n = docs.len() as f64;
    let grpc_p50 = percentile_ms(&mut over_grpc.latencies, 0.5);
    let estimate_p50 = percentile_ms(&mut over_grpc_estimate.latencies, 0.5);
    let raw_p50 = percentile_ms(&mut raw_pass.latencies, 0.5);
    let pg_qps =
        |clients: usize| postgres.as_ref().and_then(|pg| pg["qps"][clients.to_string()].as_f64()).filter(|&q| q > 0.0);
    let qps_table: Vec<serde_json::Value> = CLIENTS
        .iter()
        .map(|&clients| {
            let ours = innomatch_qps[&clients.to_string()].as_f64().unwrap_or(0.0);
            let estimated = estimate_qps[&clients.to_string()].as_f64().unwrap_or(0.0);
            let raw = raw_qps[&clients.to_string()].as_f64().unwrap_or(0.0);
            json!({
                "clients": clients,
                "innomatch": ours,
                "innomatch_estimate_total": estimated,
                "raw": raw,
                "postgres": pg_qps(clients),
                "innomatch_over_raw": ours / raw,
                "innomatch_over_postgres": pg_qps(clients).map(|pg| ours / pg),
            })
        })
        .collect();
    let report = json!({
        "records": docs.len(),
        "queries": texts.len(),
        "title_queries": title_queries,
        "import": {
            "innomatch_docs_per_second": import_docs_per_sec,
            "innomatch_seconds_until_searchable": import_seconds,
            "innomatch_seconds_until_stored": stored.as_secs_f64(),
            "raw_docs_per_second": raw_docs_per_sec,
            "raw_seconds": raw_seconds,
            "innomatch_over_raw": import_docs_per_sec / raw_docs_per_sec,
            "discriminants_fitted_seconds_after_searchable": discriminants_seconds,
            "segments_searched": segments,
        },
        "search_one_client": {
            "innomatch_grpc": over_grpc.summary(),
            "innomatch_in_process": in_process.summary(),
            "innomatch_grpc_estimate_total": over_grpc_estimate.summary(),
            "innomatch_in_process_estimate_total": in_process_estimate.summary(),
            "raw_in_process": raw_pass.summary(),
            "grpc_empty_call": empty_call.summary(),
            "grpc_p50_over_raw_p50": grpc_p50 / raw_p50,
            "grpc_estimate_total_p50_over_raw_p50": estimate_p50 / raw_p50,
        },
        "qps": qps_table,
        "mrr_at_10_title_to_own_abstract": { "innomatch": innomatch_mrr, "raw": raw_mrr },
        "memory": {
            "innomatch_process_rss_mib": innomatch_rss,
            "raw_rss_added_mib": raw_rss_added,
        },
        "disk_bytes_per_doc": {
            "innomatch_index": index_bytes as f64 / n,
            "innomatch_record_store": store_bytes as f64 / n,
            "raw_index": raw_bytes as f64 / n,
        },
        "postgres": postgres,
        "matching": { "lexical": lexical_matching, "hybrid": hybrid_matching },
    });

    println!(
        "  import until searchable  {import_docs_per_sec:>9.0} docs/s   raw indexing {raw_docs_per_sec:>9.0} docs/s   ({:.2}x raw)",
        import_docs_per_sec / raw_docs_per_sec
    );
    println!("  of its {import_seconds:.1} s, the catalog had stored every row after {:.1} s", stored.as_secs_f64());
    println!(
        "  segments merged and organization discriminants fitted {discriminants_seconds:.1} s after the import was \
         searchable; searches then go through {segments} segment(s)"
    );
    let one = &report["search_one_client"];
    for (label, key) in [
        ("innomatch over gRPC", "innomatch_grpc"),
        ("innomatch in process", "innomatch_in_process"),
        ("  estimated total, gRPC", "innomatch_grpc_estimate_total"),
        ("  estimated, in process", "innomatch_in_process_estimate_total"),
        ("raw in process", "raw_in_process"),
        ("gRPC empty call", "grpc_empty_call"),
    ] {
        println!(
            "  {label:<22} p50 {:>7.3} ms  p99 {:>7.3} ms",
            one[key]["p50_ms"].as_f64().unwrap_or(0.0),
            one[key]["p99_ms"].as_f64().unwrap_or(0.0)
        );
    }
    if let Some(pg) = &postgres {
        println!(
            "  {:<22} p50 {:>7.3} ms  p99 {:>7.3} ms  ({} queries)",
            "postgres FTS",
            pg["search_one_client"]["p50_ms"].as_f64().unwrap_or(0.0),
            pg["search_one_client"]["p99_ms"].as_f64().unwrap_or(0.0),
            POSTGRES_SEQUENTIAL_QUERIES
        );
    } else {
        println!("  postgres FTS           skipped (no server at 127.0.0.1:5432)");
    }
    println!("  gRPC p50 / raw p50     {:.2}x (estimated total {:.2}x)", grpc_p50 / raw_p50, estimate_p50 / raw_p50);
    for row in &qps_table {
        println!(
            "  QPS {:>2} clients         innomatch {:>8.0} (estimated total {:>8.0})   raw {:>8.0}   postgres {:>8}",
            row["clients"],
            row["innomatch"].as_f64().unwrap_or(0.0),
            row["innomatch_estimate_total"].as_f64().unwrap_or(0.0),
            row["raw"].as_f64().unwrap_or(0.0),
            row["postgres"].as_f64().map_or("-".to_owned(), |q| format!("{q:.0}"))
        );
    }
    println!("  MRR@10 title → own abstract   innomatch {innomatch_mrr:.3}   raw {raw_mrr:.3}");
    println!(
        "  RSS {innomatch_rss:.0} MiB (innomatch process), raw index adds {raw_rss_added:.0} MiB; index {:.0} B/doc (raw {:.0} B/doc), record store {:.0} B/doc",
        index_bytes as f64 / n,
        raw_bytes as f64 / n,
        store_bytes as f64 / n
    );
    for (label, measured) in [("lexical", Some(&lexical_matching)), ("hybrid", hybrid_matching.as_ref())] {
        let Some(m) = measured else { continue };
        println!(
            "  MatchNeed {label:<8} p50 {:>7.2} ms  p99 {:>7.2} ms   ProposeConsortia p50 {:>7.2} ms  p99 {:>7.2} ms  ({} needs × {MATCH_ROUNDS})",
            m["match_need"]["p50_ms"].as_f64().unwrap_or(0.0),
            m["match_need"]["p99_ms"].as_f64().unwrap_or(0.0),
            m["propose_consortia"]["p50_ms"].as_f64().unwrap_or(0.0),
            m["propose_consortia"]["p99_ms"].as_f64().unwrap_or(0.0),
            m["needs"],
        );
    }
    if let Some(m) = &hybrid_matching {
        println!(
            "  hybrid: RSS {:.0} MiB, vectors ready {:.0} s after restart, {} texts embedded by the server",
            m["rss_mib"].as_f64().unwrap_or(0.0),
            m["vectors_ready_seconds_after_restart"].as_f64().unwrap_or(0.0),
            m["texts_embedded_by_server"]
        );
    }
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("real-text.json"), serde_json::to_string_pretty(&report)?)?;
    println!("  written to target/bench/real-text.json");
    Ok(())
}
