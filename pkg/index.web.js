// Browsers and bundlers: fetch and instantiate the wasm module once, before any export is used,
// so the API is the same synchronous one as in Node. This awaits at top level; where that does
// not fit (a worker's onmessage, a bundler without top-level await), use datafordeler-cpr/init.
import init from './web/datafordeler_cpr.js';

await init({ module_or_path: new URL('./web/datafordeler_cpr_bg.wasm', import.meta.url) });

export * from './web/datafordeler_cpr.js';
