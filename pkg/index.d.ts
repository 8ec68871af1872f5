// Types of the package's main entry: the declarations generated from the Rust types (the same
// for the Node and the browser build). scripts/build.mjs makes index.d.cts (for require) from
// this file. Platform-only helpers: datafordeler-cpr/node, datafordeler-cpr/browser.
export * from './node/datafordeler_cpr.js';
