//! The JavaScript boundary. It converts values between JS and Rust and calls the core; it
//! decides nothing. Every export takes untrusted JS values, so conversion is fallible and
//! bounded (depth, size), and every failure becomes a JS `Error` with a stable `code`:
//! no input can reach a panic.

#[cfg(feature = "certificate-inspection")]
mod certificate;
mod client;
mod convert;
mod graphql;
mod host;
mod read;
pub mod exports;

// Talc instead of dlmalloc: about 3 KB less module at the same speed (see Cargo.toml).
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
