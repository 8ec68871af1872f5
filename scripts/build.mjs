// Build the npm package in pkg/: compile the crate once to wasm32, bind it twice (browsers and
// bundlers: `web`; Node: `nodejs`), then shrink each module with binaryen's wasm-opt. A second
// build with the `certificate-inspection` feature makes the certificate-check module (pkg/cert).
//
// Usage: node scripts/build.mjs [--debug]
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, statSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const debug = process.argv.includes('--debug');
const profile = debug ? 'debug' : 'release';

function run(cmd, args, options = {}) {
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
}

/** Each build's copy of the error class snippet (src/wasm/error.js), by target: the core's,
 *  which the certificate module's copy re-exports. */
const errorSnippets = new Map();

function buildWasm({ crateFeatures = [], outName, targets, targetDir = join(root, 'target'), shareErrorClass = false }) {
  const cargoArgs = ['build', '--lib', '--target', 'wasm32-unknown-unknown', '--target-dir', targetDir];
  if (!debug) cargoArgs.push('--release');
  if (crateFeatures.length) cargoArgs.push('--features', crateFeatures.join(','));
  run('cargo', cargoArgs);
  const wasm = join(targetDir, 'wasm32-unknown-unknown', profile, 'datafordeler_cpr.wasm');
  for (const [target, dir, moduleType] of targets) {
    const outDir = join(root, 'pkg', dir);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    run('wasm-bindgen', [wasm, '--out-dir', outDir, '--out-name', outName, '--target', target]);
    // The package is ESM; the Node binding is CommonJS and says so for its own folder.
    writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type: moduleType }) + '\n');
    if (moduleType === 'commonjs') snippetsToCommonJs(join(outDir, 'snippets'));
    const errorSnippet = snippetFiles(outDir).find((file) => file.endsWith(join('src', 'wasm', 'error.js')));
    if (!errorSnippet) throw new Error(`${outDir}: the error class snippet (src/wasm/error.js) is missing`);
    if (shareErrorClass) reexport(errorSnippet, errorSnippets.get(target), moduleType);
    else errorSnippets.set(target, errorSnippet);
    exportErrorClass(join(outDir, `${outName}.js`), errorSnippet, moduleType);
    if (!debug) {
      optimize(join(outDir, `${outName}_bg.wasm`));
      minify(join(outDir, `${outName}.js`), moduleType === 'module');
      for (const snippet of snippetFiles(outDir)) minify(snippet, moduleType === 'module', ['--keep-classnames']);
    }
  }
}

// wasm-bindgen copies the crate's JS snippets (src/wasm/*.js) as written, as ES modules, and
// the CommonJS binding `require`s them: Node before 20.19 cannot require an ES module, so the
// Node binding's copies are rewritten to CommonJS. The snippets export functions and classes only.
function snippetsToCommonJs(dir) {
  for (const file of snippetFiles(dirname(dir))) {
    const names = [];
    const body = readFileSync(file, 'utf8').replace(/^export (function|class) (\w+)/gm, (_, kind, name) => {
      names.push(name);
      return `${kind} ${name}`;
    });
    if (/^export /m.test(body)) throw new Error(`${file}: only \`export function\` and \`export class\` can be rewritten to CommonJS`);
    writeFileSync(file, `'use strict';\n${body}\nmodule.exports = { ${names.join(', ')} };\n`);
  }
}

// The package exports the error class and its guard from the glue, which already imports their
// snippet: the glue's declarations declare them (src/wasm/exports.rs), and every entry that
// re-exports the glue exports them, as the one class the module constructs.
function exportErrorClass(glue, snippet, moduleType) {
  const from = `./${relative(dirname(glue), snippet).split(sep).join('/')}`;
  const line = moduleType === 'module'
    ? `export { CprError, isCprError } from '${from}';`
    : `exports.CprError = require('${from}').CprError;\nexports.isCprError = require('${from}').isCprError;`;
  writeFileSync(glue, `${readFileSync(glue, 'utf8')}\n${line}\n`);
}

// The certificate module is a second wasm module with its own copy of the snippets: its error
// snippet becomes a re-export of the core's, so both modules throw the one class (`instanceof`
// holds for a certificate error too).
function reexport(file, target, moduleType) {
  if (!target) throw new Error(`${file}: build the core module first (its error snippet is re-exported)`);
  const from = `./${relative(dirname(file), target).split(sep).join('/')}`;
  writeFileSync(file, moduleType === 'module'
    ? `export { CprError, isCprError, makeError } from '${from}';\n`
    : `'use strict';\nmodule.exports = require('${from}');\n`);
}

/** The JS snippets wasm-bindgen copied into a build's folder. */
function snippetFiles(outDir) {
  const dir = join(outDir, 'snippets');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).map((entry) => join(dir, String(entry))).filter((file) => file.endsWith('.js'));
}

// The generated JS glue, minified: it is downloaded with the module and counts in the size
// budget (about 3 KB less gzipped). Its exports keep their names; its types are in the .d.ts.
// Snippets keep their class names (`CprError.name` is what consoles print for the class).
function minify(file, esm, extra = []) {
  const terser = join(root, 'node_modules', 'terser', 'bin', 'terser');
  if (!existsSync(terser)) throw new Error('terser missing: run the bootstrap (npm ci) first');
  const before = statSync(file).size;
  run(process.execPath, [terser, file, ...(esm ? ['--module'] : []), '--compress', '--mangle', ...extra, '--output', file]);
  console.log(`terser ${file.slice(root.length + 1)}: ${before} -> ${statSync(file).size} bytes`);
}

// Debian's binaryen is too old for the wasm features rustc emits; the npm package is current.
function optimize(file) {
  const wasmOpt = join(root, 'node_modules', 'binaryen', 'bin', 'wasm-opt');
  if (!existsSync(wasmOpt)) throw new Error('wasm-opt missing: run the bootstrap (npm ci) first');
  const before = statSync(file).size;
  run(process.execPath, [
    // -Oz, then a whole-program flow analysis (--gufa) and -Oz again: about 0.6 KB less
    // gzipped. --low-memory-unused lets constant offsets fold into loads and stores (about
    // 0.9 KB): it holds, since Rust's stack sits below the data and only a stack grown by
    // nearly its whole 1 MB would reach the lowest 1 KB. The producers and target_features
    // sections are for tools (wasm-bindgen has read them by now); engines ignore them.
    wasmOpt, file, '-o', file, '-Oz', '--low-memory-unused', '--gufa', '-Oz', '--strip-producers', '--strip-target-features',
    '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
    '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue',
  ]);
  console.log(`wasm-opt ${file.slice(root.length + 1)}: ${before} -> ${statSync(file).size} bytes`);
}

buildWasm({
  outName: 'datafordeler_cpr',
  targets: [
    ['web', 'web', 'module'],
    ['nodejs', 'node', 'commonjs'],
  ],
});

// The setup page's certificate check: the same crate with the `certificate-inspection` feature,
// in its own module (pkg/cert) that the page loads only when a PFX is chosen, so the core
// module above does not grow. Its own target dir: a cdylib's file name carries no feature hash,
// so sharing one would rebuild both modules on every run.
buildWasm({
  crateFeatures: ['certificate-inspection'],
  outName: 'cpr_certificate',
  targetDir: join(root, 'target', 'certificate'),
  shareErrorClass: true,
  targets: [
    ['web', 'cert/web', 'module'],
    ['nodejs', 'cert/node', 'commonjs'],
  ],
});
