//! Links every function but the worker as a position-dependent executable (`-no-pie`).
//!
//! A position-independent binary of this size carries about 48,000 relative relocations, which
//! the loader applies before `main`, touching 800 KB of pages: most of a cold start on Lambda
//! (get-agent: 3.9 ms median as PIE, 2.2–3.0 ms without; 10.1 → 8.6 MB). The price is that the
//! executable's own image sits at a fixed address (libraries, heap and stack stay randomised),
//! as Go's Lambda binaries do by default. The worker keeps PIE: its children parse contacts'
//! files (PDFs, images, audio), the one place hostile binary formats are read.

use std::path::Path;

/// Binaries that keep address-space layout randomisation of their own image.
const KEEP_PIE: &[&str] = &["agent-worker"];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/bin");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let Ok(entries) = std::fs::read_dir(Path::new("src/bin")) else { return };
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.strip_suffix(".rs").map(str::to_owned))
        .filter(|name| !KEEP_PIE.contains(&name.as_str()))
        .collect();
    names.sort();
    for name in names {
        println!("cargo:rustc-link-arg-bin={name}=-no-pie");
    }
}
