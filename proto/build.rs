//! Compiles `innomatch/v1/*.proto` with protox (no system protoc) into tonic code
//! and writes the descriptor set that the reflection service serves.

use std::{env, fs, path::PathBuf};

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let include_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let proto_dir = include_dir.join("innomatch/v1");
    println!("cargo:rerun-if-changed={}", proto_dir.display());

    let mut files: Vec<PathBuf> = fs::read_dir(&proto_dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "proto"))
        .collect();
    files.sort();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    // protox names files relative to the include directory, as imports do.
    let relative: Vec<PathBuf> =
        files.iter().filter_map(|f| f.strip_prefix(&include_dir).ok().map(PathBuf::from)).collect();
    let fds = protox::compile(&relative, [&include_dir])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(out_dir.join("innomatch_descriptor.bin"), fds.encode_to_vec())?;

    tonic_prost_build::configure().build_client(true).build_server(true).compile_fds(fds)?;
    Ok(())
}
