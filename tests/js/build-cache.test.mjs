// A no-op build is quick: `npm test` has just built the package, so building again finds every
// module's inputs (cargo's output, tool versions, scripts/build.mjs, features) and outputs
// unchanged and skips wasm-bindgen, wasm-opt and terser. A module that is rebuilt here means the
// cache missed (it still leaves a correct build behind).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('a second build of an unchanged tree skips both modules and takes seconds', { timeout: 600_000 }, () => {
  const started = Date.now();
  const out = execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const seconds = (Date.now() - started) / 1000;
  assert.match(out, /datafordeler_cpr: unchanged since the last build/);
  assert.match(out, /cpr_certificate: unchanged since the last build/);
  assert.doesNotMatch(out, /wasm-opt|terser/);
  assert.ok(seconds < 30, `took ${seconds} s`);
});
