//! The JavaScript boundary. It converts values between JS and Rust and calls the core; it
//! decides nothing. Every export takes untrusted JS values, so conversion is fallible and
//! bounded (depth, size), and every failure becomes a JS `Error` with a stable `code`:
//! no input can reach a panic.

// Everything but the argument readers needs a JS engine, so only the readers build natively.
pub mod args;
#[cfg(all(target_arch = "wasm32", feature = "certificate-inspection"))]
mod certificate;
#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(target_arch = "wasm32")]
mod graphql;
#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
mod read;
#[cfg(target_arch = "wasm32")]
mod value;
#[cfg(target_arch = "wasm32")]
pub mod exports;

// Talc instead of dlmalloc: about 3 KB less module at the same speed (see Cargo.toml).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
