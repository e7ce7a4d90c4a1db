//! How the functions link: what Lambda runs is a static musl executable (see the Makefile and
//! `scripts/build-functions`); the glibc build is the one tests and the local stack run.
//!
//! A position-independent binary of this size carries 50,000–90,000 relative relocations, which
//! are applied before `main`, writing 1–1.6 MB of pages: most of a cold start (get-agent on musl:
//! 5.7 ms as a static PIE, 3.4 ms with packed relocations, 1.6 ms position-dependent). So every
//! function is position-dependent — on glibc by linking it `-no-pie` here, on musl by compiling
//! its binary crate with `-C relocation-model=static` (`scripts/build-functions`; a link
//! argument cannot do it there, since rustc then links musl's self-relocating start files). The
//! price is that the executable's own image sits at a fixed address (heap, stack and mappings
//! stay randomised), as Go's Lambda binaries do by default.
//!
//! `file-reader` keeps PIE: it parses contacts' files (PDFs, images, HTML), the one place hostile
//! binary formats are read, in children the worker starts. On musl its relocations are packed
//! (`DT_RELR`), which musl's start code applies from a table of a few kilobytes.

use std::path::Path;

/// The binary that keeps address-space layout randomisation of its own image.
const FILE_READER: &str = "file-reader";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/bin");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    if std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("musl") {
        println!("cargo:rustc-link-arg-bin={FILE_READER}=-Wl,-z,pack-relative-relocs");
        return;
    }
    let Ok(entries) = std::fs::read_dir(Path::new("src/bin")) else { return };
    let mut functions: Vec<String> = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.strip_suffix(".rs").map(str::to_owned))
        .collect();
    functions.sort();
    for function in functions {
        println!("cargo:rustc-link-arg-bin={function}=-no-pie");
    }
}
