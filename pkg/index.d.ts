// Types of the package: the declarations generated from the Rust types (the same for the
// Node and the browser build).
export * from './node/datafordeler_cpr.js';
