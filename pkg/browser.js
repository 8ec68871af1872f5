// `datafordeler-cpr/browser`: the browser-only host helpers (scripts/build.mjs makes the
// CommonJS twin browser.cjs from this file, which may only contain `export function`s).

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
