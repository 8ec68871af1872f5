// Browsers and bundlers: fetch and instantiate the wasm module once, before any export is used,
// so the API is the same synchronous one as in Node.
import init, { CprError } from './web/datafordeler_cpr.js';

await init({ module_or_path: new URL('./web/datafordeler_cpr_bg.wasm', import.meta.url) });

export * from './web/datafordeler_cpr.js';

function hostError(code, message) {
  return new CprError(message, { code });
}

/** Offer a debug capture as a JSON file download (CPR Debug Mode in a browser). */
export function downloadDebugCapture(capture, filename = `cpr-debug-${new Date().toISOString().replace(/[:.]/g, '-')}-${capture.operation}.json`) {
  const blob = new Blob([JSON.stringify(capture, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
  return filename;
}

/** The Certificate method needs mutual TLS, which a browser page cannot do: use a server host. */
export function createCertificateFetch() {
  throw hostError('certificate_needs_server_host',
    'createCertificateFetch needs Node: a browser cannot present a client certificate through fetch. Run certificate lookups in a server host, or route them through your server-side relay.');
}

/** Writing files needs Node; in a browser use downloadDebugCapture. */
export function writeDebugCaptures() {
  throw hostError('not_in_node', 'writeDebugCaptures writes files in Node; in a browser use downloadDebugCapture(capture).');
}
