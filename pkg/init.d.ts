// Types of `datafordeler-cpr/init`: the main entry's API plus `init` (hand-written;
// scripts/build.mjs makes init.d.cts from this file).
export * from './index.js';

/** Where `init` takes the wasm module from: its URL, its bytes, a Response, or the compiled module. */
export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/**
 * Loads the wasm module (by default the package's own `web/datafordeler_cpr_bg.wasm`, next to
 * this entry). Idempotent: later calls return the same promise. Until it has resolved, every
 * other export throws a `CprError` with code `not_initialised`; a failed load rejects with code
 * `init_failed`. In Node it resolves at once.
 */
export declare function init(input?: InitInput | Promise<InitInput>): Promise<void>;
