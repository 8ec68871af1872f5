// The size budget of the core package, checked in `npm test` (sizes are deterministic, unlike
// times). The goal stays 150 KB gzipped (the core module's .wasm plus its JS glue and JS
// snippets, per build). The enforced ceiling is the measured size of the specified boundary
// (serde-wasm-bindgen in both directions, every input read by its derived `Deserialize`) with the
// options objects and the typed error codes and error class was 220 KB, above the 170 KB the
// boundary's issue allowed; relay mode, version negotiation with the live schema by default and
// the evidence-bound models added 25 KB together, so the ceiling is now 246 KB;
// docs/PERFORMANCE.md ("Bundle size") itemises the cost and what would bring it down. It is a
// ratchet: nothing may grow the module further unnoticed.

import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORE_BUDGET_GZIP_BYTES = 246 * 1024;
export const CORE_GOAL_GZIP_BYTES = 150 * 1024;
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', 'pkg');

/** Raw and gzipped sizes of one build's files. */
export function measure(build, files) {
  const rows = files.map((name) => {
    const path = join(pkg, build, name);
    if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build first`);
    const bytes = readFileSync(path);
    return { build, file: name, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  return { rows, gzip: rows.reduce((sum, r) => sum + r.gzip, 0), raw: rows.reduce((sum, r) => sum + r.raw, 0) };
}

/** A build's JS snippets (`snippets/…/*.js`, copied by wasm-bindgen), relative to its folder. */
function snippets(build) {
  const dir = join(pkg, build, 'snippets');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).map((entry) => join('snippets', String(entry))).filter((file) => file.endsWith('.js'));
}

/** The Node build's files: its own glue and snippets, and the one .wasm both builds load (in web/). */
export function coreSizes() {
  const web = measure('web', ['datafordeler_cpr_bg.wasm', 'datafordeler_cpr.js', ...snippets('web')]);
  const nodeGlue = measure('node', ['datafordeler_cpr.js', ...snippets('node')]);
  const wasm = web.rows.filter((row) => row.file.endsWith('.wasm'));
  const rows = [...wasm, ...nodeGlue.rows];
  return {
    web,
    node: { rows, gzip: rows.reduce((sum, r) => sum + r.gzip, 0), raw: rows.reduce((sum, r) => sum + r.raw, 0) },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let failed = false;
  for (const [build, size] of Object.entries(coreSizes())) {
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    const verdict = size.gzip <= CORE_BUDGET_GZIP_BYTES ? 'within' : 'OVER';
    console.log(`${build}: ${kb(size.raw)} raw, ${kb(size.gzip)} gzipped (${verdict} the ${kb(CORE_BUDGET_GZIP_BYTES)} budget)`);
    if (size.gzip > CORE_BUDGET_GZIP_BYTES) failed = true;
  }
  if (failed) {
    console.error('size budget exceeded: see docs/PERFORMANCE.md for how to find what grew');
    process.exit(1);
  }
}
