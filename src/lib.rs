//! # datafordeler-cpr
//!
//! Look up Danish persons in the CPR register through Datafordeleren's GraphQL service.
//!
//! This crate is the pure core: CPR numbers, setup validation, the environment table,
//! failure diagnosis and redaction. It has no JavaScript dependency and is tested natively;
//! the WebAssembly boundary lives in `src/wasm/` and only converts values.
//!
//! ```
//! use datafordeler_cpr::cpr::validate_cpr;
//!
//! let report = validate_cpr("010170-1239");
//! assert!(report.valid);
//! assert_eq!(report.masked.as_deref(), Some("010170-xxxx"));
//! assert_eq!(report.birth_date.as_deref(), Some("1970-01-01"));
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

// The modules form layers; each uses only modules of the layers above it (and its own), never
// one below, so no two modules depend on each other:
//
// 1. code, error, issue, json_input, environment, url, address: plain values and input limits
// 2. cpr, register_date, fields, certificate
// 3. redact, then setup, then endpoints and diagnosis
// 4. sdl, then schema (the dialect of a schema), then query (requests built from a dialect)
// 5. person and shape (the answer reader, over the field table), then response (reading
//    answers), then merge
// 6. client: the lookup workflow over a host
// 7. wasm: the JavaScript boundary, which reads JS arguments and calls the typed entry points

pub mod address;
#[cfg(feature = "certificate-inspection")]
pub mod certificate;
pub mod client;
pub mod code;
pub mod cpr;
pub mod diagnosis;
pub mod endpoints;
pub mod environment;
pub mod error;
pub mod fields;
pub mod issue;
pub mod json_input;
pub mod merge;
pub mod person;
pub mod query;
pub mod redact;
pub mod register_date;
pub mod response;
pub mod schema;
mod sdl;
pub mod setup;
mod shape;
pub mod url;

/// The JavaScript boundary (public only so its tests can call the exports from inside wasm,
/// and the native tests its argument readers).
#[doc(hidden)]
pub mod wasm;
