// `datafordeler-cpr/init` in browsers, workers, edge runtimes and bundlers: the same API as the
// main entry, with no top-level await. Nothing is loaded until `init()` is called; until it has
// resolved, every call throws a CprError with code `not_initialised`.
import initWasm, { CprError } from './web/datafordeler_cpr.js';

export * from './web/datafordeler_cpr.js';

let loading;

/**
 * Load the wasm module: from the package's own file by default, or from the URL, bytes,
 * Response or compiled WebAssembly.Module given. Idempotent: every call returns the first
 * call's promise (after a failure, the next call tries again).
 */
export function init(input) {
  loading ??= initWasm({ module_or_path: input ?? new URL('./web/datafordeler_cpr_bg.wasm', import.meta.url) }).then(
    () => undefined,
    (cause) => {
      loading = undefined;
      throw new CprError(`The datafordeler-cpr WebAssembly module could not be loaded (${cause?.message ?? cause}). Pass init() the module's URL, bytes or a compiled WebAssembly.Module if your bundler or runtime does not serve the package's .wasm file.`, { code: 'init_failed', cause });
    },
  );
  return loading;
}
