//! Embedding throughput benchmark (`make bench`): texts per second of the e5 engine on real
//! Chinese paper abstracts (read at run time from the CSL dev set beside the repository) and on
//! English sentences, with 1 and 2 worker threads, single-query latency, and the process's memory.
//! Besides wall-clock texts/s it reports texts per CPU-second (the process's user + system time):
//! on a shared machine the wall-clock figure depends on the neighbours, the CPU figure much less.
//!
//! Prints a table and writes `target/bench/embed.json`.
//! Options: `--chinese N` (abstracts, default 200), `--english N` (sentences, default 200),
//! `--batch N` (texts per engine call, default the crate's).
//! `INNOMATCH_EVAL_DIR` points at another copy of the dev set (default `../shared/eval/csl-dev`).

use std::{
    num::NonZeroUsize,
    path::PathBuf,
    time::{Duration, Instant},
};

use innomatch_embed::{E5Embedder, E5Options, Embedder, TextKind};

/// English sentences of the domain, written for this benchmark; cycled with a numbered suffix so
/// every text is distinct.
const ENGLISH: &[&str] = &[
    "Hydrogen-based direct reduction of iron ore lowers the carbon footprint of steelmaking.",
    "We propose a low-cost catalyst for the hydrogenation of heavy petrochemical fractions.",
    "Disease control in intensive shrimp farming relies on rapid detection of Vibrio pathogens.",
    "Modified-atmosphere packaging extends the shelf life of tropical fruit such as dragon fruit.",
    "An industrial internet platform collects sensor data from paper machines for predictive maintenance.",
    "Prepared dishes need a cold chain that keeps texture and flavour from the factory to the table.",
    "Offshore wind turbines in typhoon regions require fatigue-resistant blade materials.",
    "Marine natural products from oysters show antioxidant and anti-inflammatory activity.",
    "A deep learning model detects surface defects on hot-rolled steel strips in real time.",
    "Recycling black liquor from pulp mills recovers energy and reduces effluent load.",
    "Golden pompano aquaculture in deep-sea cages depends on feed conversion and water quality.",
    "Southern medicinal herbs are screened for compounds with antibacterial effects.",
    "Home appliance makers adopt energy-efficient compressors to meet new efficiency standards.",
    "Down and feather processing benefits from enzymatic cleaning that saves water.",
    "A digital twin of a petrochemical plant helps operators test control strategies safely.",
    "Solid oxide fuel cells convert hydrogen and natural gas into electricity at high efficiency.",
];

struct Args {
    chinese: usize,
    english: usize,
    batch: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { chinese: 200, english: 200, batch: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let n: usize = value.parse().map_err(|_| format!("{flag}: not a number: {value}"))?;
        match flag.as_str() {
            "--chinese" => args.chinese = n,
            "--english" => args.english = n,
            "--batch" => args.batch = Some(n),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(args)
}

fn eval_dir() -> PathBuf {
    match std::env::var_os("INNOMATCH_EVAL_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/csl-dev"),
    }
}

/// `n` abstracts spread evenly over every lab of the dev set.
fn chinese_abstracts(n: usize) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    #[derive(serde::Deserialize)]
    struct Lab {
        abstracts: Vec<String>,
    }
    let path = eval_dir().join("labs.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut all = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        all.extend(serde_json::from_str::<Lab>(line)?.abstracts);
    }
    if all.is_empty() {
        return Err(format!("{} holds no abstracts", path.display()).into());
    }
    let step = (all.len() / n.max(1)).max(1);
    Ok(all.into_iter().step_by(step).take(n).collect())
}

fn english_sentences(n: usize) -> Vec<String> {
    ENGLISH.iter().cycle().take(n).enumerate().map(|(i, s)| format!("{s} (case {i})")).collect()
}

/// The process's resident and peak resident memory, in MiB, from /proc.
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// CPU seconds this process has used, all threads (Linux reports them in 1/100 s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

struct Row {
    corpus: &'static str,
    threads: usize,
    texts: usize,
    seconds: f64,
    cpu_seconds: f64,
    mean_chars: f64,
    mean_tokens: f64,
}

fn measure(
    e5: &mut E5Embedder,
    corpus: &'static str,
    texts: &[String],
    threads: usize,
) -> Result<Row, Box<dyn std::error::Error>> {
    e5.set_threads(NonZeroUsize::new(threads).ok_or("threads must be positive")?);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let (start, cpu_start) = (Instant::now(), cpu_seconds());
    let vectors = e5.embed(&refs, TextKind::Passage)?;
    let (seconds, cpu_seconds) = (start.elapsed().as_secs_f64(), cpu_seconds() - cpu_start);
    assert_eq!(vectors.len(), texts.len());
    let mean_chars = texts.iter().map(|t| t.chars().count()).sum::<usize>() as f64 / texts.len().max(1) as f64;
    let mut tokens = 0usize;
    for t in &refs {
        tokens += e5.token_count(t, TextKind::Passage)?;
    }
    let mean_tokens = tokens as f64 / texts.len().max(1) as f64;
    Ok(Row { corpus, threads, texts: texts.len(), seconds, cpu_seconds, mean_chars, mean_tokens })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let (rss_before, _) = memory_mib();
    let open_start = Instant::now();
    let mut options = E5Options::default();
    if let Some(batch) = args.batch {
        options.batch_size = NonZeroUsize::new(batch).ok_or("--batch must be positive")?;
    }
    let mut e5 = E5Embedder::open(&options)?;
    let open_ms = open_start.elapsed().as_secs_f64() * 1e3;
    let (rss_open, _) = memory_mib();
    let chinese = chinese_abstracts(args.chinese)?;
    let english = english_sentences(args.english);
    println!(
        "e5 engine: {} ({} build), dimension {}, opened in {open_ms:.0} ms",
        e5.model_id(),
        e5.engine_variant(),
        e5.dimension()
    );

    // Warm the page cache and the code paths before timing.
    e5.embed(&chinese.iter().take(8).map(String::as_str).collect::<Vec<_>>(), TextKind::Passage)?;

    let mut rows = Vec::new();
    for threads in [1, 2] {
        rows.push(measure(&mut e5, "chinese abstracts", &chinese, threads)?);
        rows.push(measure(&mut e5, "english sentences", &english, threads)?);
    }

    e5.set_threads(NonZeroUsize::MIN);
    let mut latencies: Vec<Duration> = Vec::new();
    for (i, text) in
        ["氢冶金低碳炼钢", "对虾养殖病害防控", "预制菜冷链保鲜", "工业互联网平台"].iter().cycle().take(60).enumerate()
    {
        let query = format!("{text}{i}");
        let start = Instant::now();
        e5.embed(&[query.as_str()], TextKind::Query)?;
        latencies.push(start.elapsed());
    }
    latencies.sort_unstable();
    let p50 = latencies[latencies.len() / 2].as_secs_f64() * 1e3;
    let p99 = latencies[latencies.len() * 99 / 100].as_secs_f64() * 1e3;
    let (rss_end, rss_peak) = memory_mib();

    println!(
        "{:<18} {:>7} {:>6} {:>8} {:>12} {:>10} {:>11} {:>7}",
        "corpus", "threads", "texts", "texts/s", "texts/cpu-s", "mean chars", "mean tokens", "seconds"
    );
    for r in &rows {
        println!(
            "{:<18} {:>7} {:>6} {:>8.1} {:>12.1} {:>10.0} {:>11.0} {:>7.1}",
            r.corpus,
            r.threads,
            r.texts,
            r.texts as f64 / r.seconds,
            r.texts as f64 / r.cpu_seconds.max(0.01),
            r.mean_chars,
            r.mean_tokens,
            r.seconds
        );
    }
    println!("single short query, 1 thread: p50 {p50:.1} ms, p99 {p99:.1} ms");
    println!(
        "memory: {rss_before:.0} MiB before open, {rss_open:.0} MiB after open, {rss_end:.0} MiB at the end, peak {rss_peak:.0} MiB"
    );

    let json = serde_json::json!({
        "model_id": e5.model_id(),
        "engine_variant": e5.engine_variant(),
        "open_ms": open_ms,
        "throughput": rows.iter().map(|r| serde_json::json!({
            "corpus": r.corpus, "threads": r.threads, "texts": r.texts,
            "texts_per_s": r.texts as f64 / r.seconds, "texts_per_cpu_s": r.texts as f64 / r.cpu_seconds.max(0.01), "mean_chars": r.mean_chars, "mean_tokens": r.mean_tokens,
        })).collect::<Vec<_>>(),
        "query_latency_ms": { "p50": p50, "p99": p99 },
        "memory_mib": { "before_open": rss_before, "after_open": rss_open, "end": rss_end, "peak": rss_peak },
    });
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("embed.json"), serde_json::to_string_pretty(&json)?)?;
    println!("  written to target/bench/embed.json");
    Ok(())
}
