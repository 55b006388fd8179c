//! The embedding follower: reads the change feed from the start, and gives
//! every active need, capability and offer its vector in the
//! [`VectorStore`], and every competency a need names its own vector (see
//! [`competency_texts`]), so consortia never embed on a request. Texts already embedded with the same model come from the
//! store's file, so a restart or a replay embeds nothing twice; new texts
//! are embedded in batches on a blocking thread, never on a write's path.
//! Progress is visible in the metrics (`innomatch_embedding_pending`,
//! `innomatch_embedded_texts_total`) and in [`EmbeddingProgress`].

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
    time::Duration,
};

use futures::StreamExt;
use innomatch_catalog::store::Change;
use innomatch_core::{
    model::{Record, RecordStatus},
    retry::RetryDelays,
    taxonomy::Taxonomy,
};
use innomatch_embed::{Embedder, TextKind};
use tokio::task::JoinHandle;

use crate::{
    follower::ChangeSource,
    vectors::{COMPETENCY_KIND, VectorStore, competency_texts, embedding_input},
};

/// Texts embedded per engine call: large enough to keep both cores busy,
/// small enough that progress shows.
const BATCH: usize = 16;
/// How long the follower waits for more changes before embedding a partial batch.
const LINGER: Duration = Duration::from_millis(50);
/// Delays between retries after a failure: doubling from the first to the last.
const RETRY_MIN: Duration = Duration::from_millis(200);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// How far the follower has come.
#[derive(Debug, Default)]
pub struct EmbeddingProgress {
    /// The last change sequence whose record has its vector.
    pub applied: AtomicI64,
    /// Texts embedded by this process (not counting those found in the store).
    pub embedded: AtomicU64,
}

impl EmbeddingProgress {
    pub fn applied(&self) -> i64 {
        self.applied.load(Ordering::Acquire)
    }
}

/// Follows `source` until aborted, keeping `store` in step.
pub fn spawn(
    embedder: Arc<dyn Embedder>,
    store: Arc<VectorStore>,
    source: Arc<dyn ChangeSource>,
    progress: Arc<EmbeddingProgress>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut retry = RetryDelays::new(RETRY_MIN, RETRY_MAX);
        loop {
            match embed_reference(&embedder, &store).await {
                Ok(()) => break,
                Err(error) => tracing::warn!(%error, "embedding the reference texts failed; retrying"),
            }
            tokio::time::sleep(retry.next_delay()).await;
        }
        retry.reset();
        loop {
            let after = progress.applied();
            let outcome = match source.changes(after).await {
                Ok(stream) => follow(&embedder, &store, &progress, stream).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(()) => tracing::info!("change feed ended; the embedding follower reconnects"),
                Err(error) => tracing::warn!(%error, "embedding follower failed; retrying"),
            }
            if progress.applied() > after {
                retry.reset();
            }
            tokio::time::sleep(retry.next_delay()).await;
        }
    })
}

async fn follow(
    embedder: &Arc<dyn Embedder>,
    store: &Arc<VectorStore>,
    progress: &Arc<EmbeddingProgress>,
    mut stream: futures::stream::BoxStream<'static, Result<Change, String>>,
) -> Result<(), String> {
    loop {
        let Some(first) = stream.next().await else { return Ok(()) };
        let mut batch = vec![first?];
        while batch.len() < BATCH * 4 {
            match tokio::time::timeout(LINGER, stream.next()).await {
                Ok(Some(change)) => batch.push(change?),
                Ok(None) | Err(_) => break,
            }
        }
        apply(embedder, store, progress, batch).await?;
    }
}

/// The reference texts a similarity's background is measured against: one
/// per industry chain of the taxonomy (its name and domain words), i.e. the
/// domain's subjects, none in particular.
pub fn reference_texts() -> Vec<String> {
    Taxonomy::get().industries().iter().map(|i| format!("{}：{}", i.name, i.terms.join("、"))).collect()
}

/// Embeds the reference texts (once per model: they are kept like any other
/// text) and hands them to the store as its background.
pub async fn embed_reference(embedder: &Arc<dyn Embedder>, store: &Arc<VectorStore>) -> Result<(), String> {
    let texts = reference_texts();
    let mut missing = Vec::new();
    for text in &texts {
        let hash = store.hash(TextKind::Passage, text);
        if store.known(&hash).is_none() {
            missing.push((hash, text.clone()));
        }
    }
    if !missing.is_empty() {
        let engine = Arc::clone(embedder);
        let batch: Vec<String> = missing.iter().map(|(_, t)| t.clone()).collect();
        let vectors = tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
            engine.embed(&refs, TextKind::Passage)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        for ((hash, _), vector) in missing.into_iter().zip(vectors) {
            store.remember(hash, vector).map_err(|e| e.to_string())?;
        }
    }
    let vectors = texts.iter().filter_map(|t| store.known(&store.hash(TextKind::Passage, t))).collect();
    store.set_reference(vectors);
    Ok(())
}

/// Applies a batch of changes in order: vectors known by their text hash at
/// once, the rest embedded first.
pub async fn apply(
    embedder: &Arc<dyn Embedder>,
    store: &Arc<VectorStore>,
    progress: &Arc<EmbeddingProgress>,
    changes: Vec<Change>,
) -> Result<(), String> {
    let mut missing: Vec<([u8; 32], TextKind, String)> = Vec::new();
    for change in &changes {
        let Some((kind, text)) = active_input(&change.record) else { continue };
        let competencies = competency_texts(&change.record).into_iter().map(|name| (COMPETENCY_KIND, name));
        for (kind, text) in std::iter::once((kind, text)).chain(competencies) {
            let hash = store.hash(kind, &text);
            if store.known(&hash).is_none() && !missing.iter().any(|(h, _, _)| *h == hash) {
                missing.push((hash, kind, text));
            }
        }
    }
    metrics::gauge!("innomatch_embedding_pending").set(missing.len() as f64);
    for kind in [TextKind::Query, TextKind::Passage] {
        let of_kind: Vec<&([u8; 32], TextKind, String)> = missing.iter().filter(|m| m.1 == kind).collect();
        for chunk in of_kind.chunks(BATCH) {
            let texts: Vec<String> = chunk.iter().map(|m| m.2.clone()).collect();
            let engine = Arc::clone(embedder);
            let vectors = tokio::task::spawn_blocking(move || {
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                engine.embed(&refs, kind)
            })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
            for (m, vector) in chunk.iter().zip(vectors) {
                store.remember(m.0, vector).map_err(|e| e.to_string())?;
            }
            progress.embedded.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            metrics::counter!("innomatch_embedded_texts_total").increment(chunk.len() as u64);
        }
    }
    for change in &changes {
        let record = &change.record;
        let meta = record.meta();
        let vector = active_input(record).and_then(|(kind, text)| store.known(&store.hash(kind, &text)));
        store.set(&meta.id, record.kind(), &meta.organization_id, vector);
    }
    // The metric follows the catalog as it grows (a no-op until it has moved enough).
    let refit = Arc::clone(store);
    if tokio::task::spawn_blocking(move || refit.refit_metric_if_due()).await.map_err(|e| e.to_string())? {
        tracing::info!(vectors = store.len(), "semantic metric fitted to the catalog");
    }
    metrics::gauge!("innomatch_embedding_pending").set(0.0);
    if let Some(last) = changes.last() {
        progress.applied.store(last.sequence, Ordering::Release);
        metrics::gauge!("innomatch_embedding_sequence").set(last.sequence as f64);
    }
    Ok(())
}

fn active_input(record: &Record) -> Option<(TextKind, String)> {
    (record.meta().status() == RecordStatus::Active).then(|| embedding_input(record)).flatten()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use innomatch_core::model::{ChangeOperation, RecordMeta, RequiredCompetency, TechNeed};
    use innomatch_embed::EmbedError;

    use super::*;

    /// An engine that records what it was asked to embed.
    #[derive(Default)]
    struct Recording {
        asked: Mutex<Vec<(TextKind, String)>>,
    }

    impl Embedder for Recording {
        fn model_id(&self) -> &str {
            "recording"
        }

        fn dimension(&self) -> usize {
            2
        }

        fn embed(&self, texts: &[&str], kind: TextKind) -> Result<Vec<Vec<f32>>, EmbedError> {
            let mut asked = self.asked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            asked.extend(texts.iter().map(|t| (kind, (*t).to_owned())));
            Ok(texts.iter().map(|_| vec![1.0, 0.0]).collect())
        }
    }

    fn need_change(sequence: i64, competencies: &[&str]) -> Change {
        let need = TechNeed {
            meta: RecordMeta {
                id: "need_1".into(),
                organization_id: "org_1".into(),
                version: 1,
                status: Some(RecordStatus::Active),
                ..Default::default()
            },
            title: "金鲳鱼深远海养殖".into(),
            competencies: competencies.iter().map(|n| RequiredCompetency { name: (*n).into(), weight: 5 }).collect(),
            ..Default::default()
        };
        Change { sequence, operation: ChangeOperation::Created, committed_at_ms: 0, record: Record::Need(need) }
    }

    #[tokio::test]
    async fn a_needs_competencies_are_embedded_as_queries_once() {
        let engine = Arc::new(Recording::default());
        let embedder: Arc<dyn Embedder> = engine.clone();
        let store = Arc::new(VectorStore::in_memory("recording", 2).expect("store"));
        let progress = Arc::new(EmbeddingProgress::default());
        apply(&embedder, &store, &progress, vec![need_change(1, &["饲料配方设计", "抗风浪网箱"])])
            .await
            .expect("apply");
        assert!(store.competency_vector("饲料配方设计").is_some() && store.competency_vector("抗风浪网箱").is_some());
        assert!(store.vector("need_1").is_some());
        let asked = engine.asked.lock().expect("lock").clone();
        assert!(asked.contains(&(TextKind::Query, "饲料配方设计".to_owned())), "{asked:?}");
        assert_eq!(asked.len(), 3, "the need and its two competencies: {asked:?}");
        // An edit that keeps one competency and adds another embeds the
        // need's new text and the new competency, not the kept one.
        apply(&embedder, &store, &progress, vec![need_change(2, &["饲料配方设计", "网箱锚泊"])]).await.expect("apply");
        let asked = engine.asked.lock().expect("lock").clone();
        assert_eq!(asked.len(), 5, "{asked:?}");
        assert!(asked.contains(&(TextKind::Query, "网箱锚泊".to_owned())));
        assert_eq!(asked.iter().filter(|(_, t)| t == "饲料配方设计").count(), 1, "{asked:?}");
        assert_eq!(progress.applied(), 2);
    }
}
