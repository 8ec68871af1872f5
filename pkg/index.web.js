// Browsers and bundlers: fetch and instantiate the wasm module once, before any export is used,
// so the API is the same synchronous one as in Node.
import init from './web/datafordeler_cpr.js';

await init({ module_or_path: new URL('./web/datafordeler_cpr_bg.wasm', import.meta.url) });

export {
  validateCpr,
  validateSetup,
  resolveEndpoints,
  diagnose,
  redact,
  environments,
  setupFields,
} from './web/datafordeler_cpr.js';
