//! Embeds the modelled CPR schemas (`schema/*.graphql`) without their comment lines and blank
//! lines. The comments say where each part of the model comes from, for people reading the
//! files; the wasm module has no use for them, and they are about 1 KB of its gzipped size.
//! Indentation and line breaks are kept, so the embedded text is still the file's SDL line by line.

use std::env;
use std::fs;
use std::path::Path;

const SCHEMAS: [&str; 2] = ["cpr-public-sector.graphql", "cpr-private-sector.graphql"];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    for name in SCHEMAS {
        let source = Path::new("schema").join(name);
        println!("cargo:rerun-if-changed={}", source.display());
        let text = fs::read_to_string(&source).unwrap_or_else(|e| panic!("cannot read {}: {e}", source.display()));
        let mut kept = String::with_capacity(text.len());
        for line in text.lines() {
            let content = line.trim_start();
            // SDL comments run from `#` to the end of the line; the modelled files put them on
            // lines of their own (no string literal in them holds a `#`).
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            kept.push_str(line.trim_end());
            kept.push('\n');
        }
        let target = Path::new(&out_dir).join(name);
        fs::write(&target, kept).unwrap_or_else(|e| panic!("cannot write {}: {e}", target.display()));
    }
}
