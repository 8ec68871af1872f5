// The published package as npm would pack it (`npm pack --dry-run` in pkg/, nothing written):
// exactly the expected files, each .wasm once (the Node bindings load the web folder's), the
// README and both licence texts, and the package.json fields a registry page and a bundler read.
// Only file names, sizes and package.json fields are printed on failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'pkg');

/** The tarball's files; wasm-bindgen's snippet folder (named with a crate hash) as `snippets/*`. */
const EXPECTED = [
  'LICENSE-APACHE',
  'LICENSE-MIT',
  'README.md',
  'browser.cjs',
  'browser.d.cts',
  'browser.d.ts',
  'browser.js',
  'cert/node/cpr_certificate.d.ts',
  'cert/node/cpr_certificate.js',
  'cert/node/package.json',
  'cert/node/snippets/*/src/wasm/error.js',
  'cert/node/snippets/*/src/wasm/plain.js',
  'cert/web/cpr_certificate.js',
  'cert/web/cpr_certificate_bg.wasm',
  'cert/web/package.json',
  'cert/web/snippets/*/src/wasm/error.js',
  'cert/web/snippets/*/src/wasm/plain.js',
  'certificate.d.cts',
  'cli.js',
  'certificate.d.ts',
  'certificate.node.cjs',
  'certificate.node.js',
  'certificate.web.js',
  'index.d.cts',
  'index.d.ts',
  'index.node.cjs',
  'index.node.js',
  'index.web.js',
  'init.d.cts',
  'init.d.ts',
  'init.node.cjs',
  'init.node.js',
  'init.web.js',
  'node.cjs',
  'node.d.cts',
  'node.d.ts',
  'node.js',
  'node/datafordeler_cpr.d.ts',
  'node/datafordeler_cpr.js',
  'node/package.json',
  'node/snippets/*/src/wasm/error.js',
  'node/snippets/*/src/wasm/plain.js',
  'package.json',
  'relay.cjs',
  'relay.d.cts',
  'relay.d.ts',
  'relay.js',
  'stream.cjs',
  'stream.d.cts',
  'stream.d.ts',
  'stream.js',
  'stream.node.js',
  'web/datafordeler_cpr.js',
  'web/datafordeler_cpr_bg.wasm',
  'web/package.json',
  'web/snippets/*/src/wasm/error.js',
  'web/snippets/*/src/wasm/plain.js',
];

function packed() {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: pkg, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [result] = JSON.parse(out);
  return result;
}

test('npm pack of pkg/ holds exactly the expected files', () => {
  const result = packed();
  const files = result.files.map((file) => file.path.replace(/\/snippets\/[^/]+\//, '/snippets/*/')).sort();
  assert.deepEqual(files, [...EXPECTED].sort());
  const wasm = result.files.filter((file) => file.path.endsWith('.wasm'));
  assert.equal(new Set(wasm.map((file) => file.path.split('/').pop())).size, wasm.length, 'each .wasm ships once');
});

test('package.json: licence, links, and exports conditions instead of the legacy fields', () => {
  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  assert.equal(manifest.license, 'MIT OR Apache-2.0');
  for (const field of ['repository', 'homepage', 'bugs']) assert.ok(manifest[field], `${field} is set`);
  assert.equal(manifest.browser, undefined, 'the browser condition of exports, not the browser field');
  assert.equal(manifest.module, undefined, 'the exports map, not the module field');
  assert.deepEqual(Object.keys(manifest.exports), ['.', './init', './certificate', './node', './browser', './relay', './stream', './package.json']);
  // Every entry has types for import and for require, and every file it names ships.
  const targets = [];
  const walk = (value, conditions) => {
    if (typeof value === 'string') targets.push([conditions.join('.'), value]);
    else for (const [key, inner] of Object.entries(value)) walk(inner, [...conditions, key]);
  };
  walk(manifest.exports, []);
  const shipped = new Set(packed().files.map((file) => `./${file.path}`));
  for (const [conditions, target] of targets) assert.ok(shipped.has(target), `${conditions} -> ${target} ships`);
  for (const [entry, value] of Object.entries(manifest.exports)) {
    if (entry === './package.json') continue;
    const require = value.node?.require ?? value.require;
    const esm = value.node?.import ?? value.import;
    assert.match(require.types, /\.d\.cts$/, `${entry}: require types are CommonJS declarations`);
    assert.match(esm.types, /\.d\.ts$/, `${entry}: import types are ESM declarations`);
  }
});
