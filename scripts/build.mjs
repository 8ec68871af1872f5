// Build the npm package in pkg/: compile the crate once to wasm32, bind it twice (browsers and
// bundlers: `web`; Node: `nodejs`; both load the one .wasm in the web folder), then shrink the
// module with binaryen's wasm-opt and the JS glue with terser. A second build with the
// `certificate-inspection` feature makes the certificate-check module (pkg/cert). Unchanged
// modules are not rebuilt (see buildWasm). Last, the small generated files: the .d.cts twins of
// the declarations, browser.cjs, and the README and licence texts.
//
// Usage: node scripts/build.mjs [--debug]
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, statSync, existsSync, readdirSync, readFileSync, copyFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const debug = process.argv.includes('--debug');
const profile = debug ? 'debug' : 'release';

function run(cmd, args, options = {}) {
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
}

// A module is built in steps (cargo; wasm-bindgen twice; the rewrites below; wasm-opt; terser),
// and all steps after cargo depend only on what cargo produced, the tools' versions, this script
// and the options: their content hash is stored with the outputs' hashes (target/pkg-build/), and
// a module whose inputs and outputs are unchanged is not rebuilt (a no-op build takes seconds,
// most of it cargo checking that nothing changed).
function buildWasm({ crateFeatures = [], outName, webDir, nodeDir, targetDir = join(root, 'target'), shareErrorClass = false }) {
  const cargoArgs = ['build', '--lib', '--target', 'wasm32-unknown-unknown', '--target-dir', targetDir];
  if (!debug) cargoArgs.push('--release');
  if (crateFeatures.length) cargoArgs.push('--features', crateFeatures.join(','));
  run('cargo', cargoArgs);
  const wasm = join(targetDir, 'wasm32-unknown-unknown', profile, 'datafordeler_cpr.wasm');
  const stampFile = join(root, 'target', 'pkg-build', `${outName}.json`);
  const key = sha256(JSON.stringify({ crateFeatures, outName, webDir, nodeDir, debug, shareErrorClass, tools: toolVersions() }), readFileSync(fileURLToPath(import.meta.url)), readFileSync(wasm));
  const web = join(root, 'pkg', webDir);
  const node = join(root, 'pkg', nodeDir);
  const stamp = readJson(stampFile);
  if (stamp?.key === key && sameOutputs(stamp.outputs, [web, node])) {
    console.log(`${outName}: unchanged since the last build (${webDir}, ${nodeDir}), not rebuilt`);
    return;
  }
  for (const [target, outDir, moduleType] of [['web', web, 'module'], ['nodejs', node, 'commonjs']]) {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    run('wasm-bindgen', [wasm, '--out-dir', outDir, '--out-name', outName, '--target', target]);
    // The package is ESM; the Node binding is CommonJS and says so for its own folder.
    writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type: moduleType }) + '\n');
    // The .wasm's own declarations are for no caller: the package's types are the Node build's.
    rmSync(join(outDir, `${outName}_bg.wasm.d.ts`));
  }
  // One .wasm for both bindings: wasm-bindgen writes the same module for both targets, so the
  // Node binding reads the web folder's copy and its own is not shipped.
  const wasmFile = `${outName}_bg.wasm`;
  if (!readFileSync(join(web, wasmFile)).equals(readFileSync(join(node, wasmFile)))) {
    throw new Error(`${outName}: the web and Node bindings' .wasm differ; they can no longer share one file`);
  }
  rmSync(join(node, wasmFile));
  rmSync(join(web, `${outName}.d.ts`));
  snippetsToCommonJs(join(node, 'snippets'));
  // The error class: the certificate module's copy re-exports the core's (one class for both
  // modules), and each glue exports it (see exportErrorClass).
  const webError = errorSnippet(web);
  const nodeError = errorSnippet(node);
  if (shareErrorClass) {
    reexport(webError, errorSnippet(join(root, 'pkg', 'web')), true);
    reexport(nodeError, errorSnippet(join(root, 'pkg', 'node')), false);
  }
  rewriteWebGlue(join(web, `${outName}.js`), webError);
  rewriteNodeGlue(join(node, `${outName}.js`), `${relative(node, web).split(sep).join('/')}/${wasmFile}`, nodeError);
  rewriteDeclarations(join(node, `${outName}.d.ts`));
  if (!debug) {
    optimize(join(web, wasmFile));
    for (const [outDir, esm] of [[web, true], [node, false]]) {
      minify(join(outDir, `${outName}.js`), esm);
      // Snippets keep their class names (`CprError.name` is what consoles print for the class).
      for (const snippet of snippetFiles(outDir)) minify(snippet, esm, ['--keep-classnames']);
    }
  }
  mkdirSync(dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, JSON.stringify({ key, outputs: outputHashes([web, node]) }, null, 2) + '\n');
}

function sha256(...parts) {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The versions of the tools the steps after cargo run (a new version rebuilds). */
let tools;
function toolVersions() {
  tools ??= {
    wasmBindgen: execFileSync('wasm-bindgen', ['--version'], { encoding: 'utf8' }).trim(),
    binaryen: readJson(join(root, 'node_modules', 'binaryen', 'package.json'))?.version,
    terser: readJson(join(root, 'node_modules', 'terser', 'package.json'))?.version,
    node: process.version,
  };
  return tools;
}

/** Every file in the output folders with its content hash. */
function outputHashes(dirs) {
  const outputs = {};
  for (const dir of dirs) {
    for (const entry of readdirSync(dir, { recursive: true })) {
      const file = join(dir, String(entry));
      if (statSync(file).isFile()) outputs[relative(root, file).split(sep).join('/')] = sha256(readFileSync(file));
    }
  }
  return outputs;
}

function sameOutputs(outputs, dirs) {
  if (!outputs || !dirs.every((dir) => existsSync(dir))) return false;
  return JSON.stringify(Object.entries(outputHashes(dirs)).sort()) === JSON.stringify(Object.entries(outputs).sort());
}

/** Replace `from` in `text` exactly `count` times, or fail the build (the generated glue changed). */
function replaceExactly(text, from, to, count, file) {
  const found = text.split(from).length - 1;
  if (found !== count) throw new Error(`${file}: expected ${count}× ${JSON.stringify(from)} in wasm-bindgen's output, found ${found}; update scripts/build.mjs`);
  return text.split(from).join(to);
}

/** The error class snippet (src/wasm/error.js) in a build's folder. */
function errorSnippet(outDir) {
  const file = snippetFiles(outDir).find((f) => f.endsWith(join('src', 'wasm', 'error.js')));
  if (!file) throw new Error(`${outDir}: the error class snippet (src/wasm/error.js) is missing; build the core module first`);
  return file;
}

/** `./path` from a file's folder to another file, for an import. */
const importPath = (from, to) => `./${relative(dirname(from), to).split(sep).join('/')}`;

// The certificate module is a second wasm module with its own copy of the snippets: its error
// snippet becomes a re-export of the core's, so both modules throw the one class (`instanceof`
// holds for a certificate error too).
function reexport(file, target, esm) {
  writeFileSync(file, esm
    ? `export { CprError, isCprError, makeError } from '${importPath(file, target)}';\n`
    : `'use strict';\nmodule.exports = require('${importPath(file, target)}');\n`);
}

// The package exports the error class and its guard from the glue, which already imports their
// snippet: the glue's declarations declare them (src/wasm/exports.rs), and every entry that
// re-exports the glue exports them, as the one class the module constructs.
//
// The web glue is shared by the zero-config entry (index.web.js, which instantiates the module
// before its first export is used) and the explicit one (init.web.js). Before `init()` has
// finished, the glue's `wasm` is a stand-in whose every use throws a `CprError` with code
// `not_initialised`, instead of a TypeError from deep inside the glue. `initSync` is not
// exported: the package's entries export the same names on every platform.
function rewriteWebGlue(file, errorFile) {
  let text = readFileSync(file, 'utf8');
  text = `import { CprError, isCprError } from '${importPath(file, errorFile)}';\n${text}\nexport { CprError, isCprError };\n`;
  const standIn = `function notInitialisedError() {
    return new CprError('datafordeler-cpr is not initialised yet: call it after \`await init()\` (from datafordeler-cpr/init) has resolved.', { code: 'not_initialised' });
}
const notInitialised = new Proxy({}, { get() { throw notInitialisedError(); } });
let wasmModule, wasmInstance, wasm = notInitialised;`;
  text = replaceExactly(text, 'let wasmModule, wasmInstance, wasm;', standIn, 1, file);
  text = replaceExactly(text, 'if (wasm !== undefined) return wasm;', 'if (wasm !== notInitialised) return wasm;', 2, file);
  text = replaceExactly(text, 'export { initSync, __wbg_init as default };', 'export { __wbg_init as default };', 1, file);
  writeFileSync(file, text);
}

// The Node glue: TextEncoder and TextDecoder from node:util (test environments such as Jest's
// jsdom do not have the globals), and the .wasm read from the web folder (one file for both).
function rewriteNodeGlue(file, wasmPath, errorFile) {
  let text = readFileSync(file, 'utf8');
  text = `${text}\nexports.CprError = require('${importPath(file, errorFile)}').CprError;\nexports.isCprError = require('${importPath(file, errorFile)}').isCprError;\n`;
  const name = wasmPath.split('/').pop();
  text = replaceExactly(text, `const wasmPath = \`\${__dirname}/${name}\`;`, `const wasmPath = \`\${__dirname}/${wasmPath}\`;`, 1, file);
  text = `const { TextEncoder, TextDecoder } = require('node:util');\n${text}`;
  writeFileSync(file, text);
}

// The generated declarations use `[Symbol.dispose]` (wasm-bindgen's explicit resource
// management), which the default `lib` of TypeScript does not declare: the reference makes them
// compile under any `lib`, without @types/node and without skipLibCheck (TypeScript 5.2 or later;
// esnext.disposable itself needs es2015.symbol.wellknown, missing from the default ES5 lib).
function rewriteDeclarations(file) {
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, `/// <reference lib="es2015.symbol.wellknown" />\n/// <reference lib="esnext.disposable" />\n${text}`);
}

// wasm-bindgen copies the crate's JS snippets (src/wasm/*.js) as written, as ES modules, and
// the CommonJS binding `require`s them: Node before 20.19 cannot require an ES module, so the
// Node binding's copies are rewritten to CommonJS. The snippets export functions and classes only.
function snippetsToCommonJs(dir) {
  for (const file of snippetFiles(dirname(dir))) writeFileSync(file, esmToCommonJs(file, readFileSync(file, 'utf8')));
}

/** A module of `export function`s, `export class`es and named imports only, as CommonJS. */
function esmToCommonJs(file, text, requireFor = {}) {
  const names = [];
  const body = text
    .replace(/^export (function|class) (\w+)/gm, (_, kind, name) => {
      names.push(name);
      return `${kind} ${name}`;
    })
    // Named imports (one line each): `requireFor` maps a specifier to its CommonJS twin.
    .replace(/^import \{([\w\s,]+)\} from '([^']+)';$/gm, (_, imported, from) => `const {${imported}} = require('${requireFor[from] ?? from}');`);
  if (/^(export|import) /m.test(body)) throw new Error(`${file}: only \`export function\`, \`export class\` and named imports can be rewritten to CommonJS`);
  return `'use strict';\n${body}\nmodule.exports = { ${names.join(', ')} };\n`;
}

/** The JS snippets wasm-bindgen copied into a build's folder. */
function snippetFiles(outDir) {
  const dir = join(outDir, 'snippets');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).map((entry) => join(dir, String(entry))).filter((file) => file.endsWith('.js'));
}

// The generated JS glue, minified: it is downloaded with the module and counts in the size
// budget (about 3 KB less gzipped). Its exports keep their names; its types are in the .d.ts.
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

buildWasm({ outName: 'datafordeler_cpr', webDir: 'web', nodeDir: 'node' });

// The setup page's certificate check: the same crate with the `certificate-inspection` feature,
// in its own module (pkg/cert) that the page loads only when a PFX is chosen, so the core
// module above does not grow. Its own target dir: a cdylib's file name carries no feature hash,
// so sharing one would rebuild both modules on every run.
buildWasm({
  crateFeatures: ['certificate-inspection'],
  outName: 'cpr_certificate',
  targetDir: join(root, 'target', 'certificate'),
  shareErrorClass: true,
  webDir: 'cert/web',
  nodeDir: 'cert/node',
});

// The package's own small files made from committed sources (quick; made on every build):
// - every hand-written declaration file X.d.ts also as X.d.cts, the types of the `require`
//   conditions (a .d.ts is ESM in this "type": "module" package); relative imports of another
//   hand-written declaration point at its .cjs twin;
// - browser.cjs from browser.js (the CommonJS twin of the browser helpers), relay.cjs from relay.js,
//   stream.node.js and stream.cjs from stream.js (CprError from the Node entries);
// - README and licence texts from the repository root (npm ships them from pkg/).
const pkg = join(root, 'pkg');
const handWritten = readdirSync(pkg).filter((name) => name.endsWith('.d.ts'));
for (const name of handWritten) {
  const text = readFileSync(join(pkg, name), 'utf8').replace(/(from\s+'\.\/)([\w.]+)\.js'/g, (match, head, base) =>
    (handWritten.includes(`${base}.d.ts`) ? `${head}${base}.cjs'` : match));
  writeFileSync(join(pkg, name.replace(/\.d\.ts$/, '.d.cts')), `// Generated by scripts/build.mjs from ${name}: the same types, for require().\n${text}`);
}
writeFileSync(join(pkg, 'browser.cjs'), esmToCommonJs(join(pkg, 'browser.js'), readFileSync(join(pkg, 'browser.js'), 'utf8')));
// The relay (a Node server module) for require() as well: the same code on the CommonJS entry.
writeFileSync(join(pkg, 'relay.cjs'), esmToCommonJs(join(pkg, 'relay.js'), readFileSync(join(pkg, 'relay.js'), 'utf8'), { './index.node.js': './index.node.cjs' }));
// lookupStream (no imports, any platform) for require() as well.
// lookupStream for Node: the same code, taking CprError from the Node entries (ESM and CommonJS).
const streamSource = readFileSync(join(pkg, 'stream.js'), 'utf8');
writeFileSync(join(pkg, 'stream.node.js'), streamSource.replace("from './web/datafordeler_cpr.js';", "from './index.node.js';"));
writeFileSync(join(pkg, 'stream.cjs'), esmToCommonJs(join(pkg, 'stream.js'), streamSource, { './web/datafordeler_cpr.js': './index.node.cjs' }));
for (const name of ['README.md', 'LICENSE-MIT', 'LICENSE-APACHE']) copyFileSync(join(root, name), join(pkg, name));
