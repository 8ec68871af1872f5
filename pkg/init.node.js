// `datafordeler-cpr/init` in Node, ES modules: the Node binding is ready when it is imported,
// so `init()` only resolves (its argument is not needed and not read).
export * from './node/datafordeler_cpr.js';

/** Resolves at once: in Node the module is compiled when the package is loaded. */
export function init() {
  return Promise.resolve();
}
