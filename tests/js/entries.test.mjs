// The package's entries as consumers meet them: the main entry exports the same names in Node
// (ESM and CommonJS) and in a browser; the platform helpers live in datafordeler-cpr/node and
// datafordeler-cpr/browser; datafordeler-cpr/init has no top-level await, refuses calls before
// init() with a CprError (`not_initialised`), and serves a module worker that answers a message
// posted immediately after `new Worker()`; the Node build runs without the TextEncoder and
// TextDecoder globals (as in Jest's jsdom environment).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as main from 'datafordeler-cpr';
import * as initEntry from 'datafordeler-cpr/init';
import * as nodeHelpers from 'datafordeler-cpr/node';
import { launchChromium } from '../support/browser.mjs';
import { startStaticServer } from '../../scripts/serve.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const names = (module) => Object.keys(module).filter((name) => name !== 'default' && name !== 'module.exports').sort();
const VALID = '0101701239';

let server;
let browser;

before(async () => {
  server = await startStaticServer({ root });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A fresh page (no other entry loaded, so the shared glue is not initialised yet). */
async function freshPage() {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    // The browser's own request for /favicon.ico is not the package's.
    if (message.type() === 'error' && !message.location()?.url?.endsWith('/favicon.ico')) errors.push(`${message.text()} (${message.location()?.url})`);
  });
  await page.goto(`${server.url}/tests/support/blank.html`);
  return { page, errors };
}

test('Node: the main entry is the same for import and require, and has no platform helpers', () => {
  assert.deepEqual(names(require('datafordeler-cpr')), names(main));
  for (const helper of ['createCertificateFetch', 'writeDebugCaptures', 'downloadDebugCapture', 'init', 'initSync']) {
    assert.ok(!(helper in main), `${helper} is not in the main entry`);
  }
  assert.deepEqual(names(nodeHelpers), ['createCertificateFetch', 'writeDebugCaptures']);
  assert.deepEqual(names(require('datafordeler-cpr/node')), ['createCertificateFetch', 'writeDebugCaptures']);
  assert.deepEqual(names(require('datafordeler-cpr/browser')), ['downloadDebugCapture']);
});

test('Node: datafordeler-cpr/relay is the same for import and require, and a required relay answers', async () => {
  const imported = await import('datafordeler-cpr/relay');
  const required = require('datafordeler-cpr/relay');
  assert.deepEqual(names(required), names(imported));
  assert.deepEqual(names(required), ['createRelay']);
  // The CommonJS relay runs on the CommonJS entry: its setup errors are that entry's CprErrors.
  assert.throws(() => required.createRelay({ setup: {}, authorize: () => null, allowedOrigins: [], audit: () => {} }), (e) => e.name === 'CprError' && typeof e.code === 'string');
});

test('Node: datafordeler-cpr/init is the main entry plus init(), which resolves (import and require)', async () => {
  for (const entry of [initEntry, require('datafordeler-cpr/init')]) {
    assert.deepEqual(names(entry), [...names(main), 'init'].sort());
    assert.equal(await entry.init(), undefined);
    assert.equal(await entry.init(new Uint8Array([0])), undefined, 'Node does not read the argument');
    assert.equal(entry.validateCpr(VALID).valid, true);
  }
});

test('Node: the Node build works where TextEncoder and TextDecoder are not globals (Jest jsdom)', () => {
  const script = `
    delete globalThis.TextEncoder;
    delete globalThis.TextDecoder;
    const cpr = require('datafordeler-cpr');
    const { inspectCertificate } = require('datafordeler-cpr/certificate');
    let code;
    try { inspectCertificate(new Uint8Array([48, 130, 1, 2]), 'pw'); } catch (e) { code = e.code; }
    console.log(JSON.stringify({ globals: typeof TextDecoder, valid: cpr.validateCpr('${VALID}').valid, setup: cpr.validateSetup({}).ok, code }));`;
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' }));
  assert.equal(out.globals, 'undefined');
  assert.equal(out.valid, true);
  assert.equal(out.setup, false);
  assert.equal(typeof out.code, 'string', 'the certificate module answers with a CprError code');
});

test('Chromium: the main entry has the same names as in Node; the browser helper is in datafordeler-cpr/browser', async () => {
  const { page, errors } = await freshPage();
  try {
    const seen = await page.evaluate(async () => {
      const cpr = await import('/pkg/index.web.js');
      const { downloadDebugCapture } = await import('/pkg/browser.js');
      const file = downloadDebugCapture({ operation: 'lookup', exchanges: [] }, 'capture.json');
      return { names: Object.keys(cpr).sort(), file };
    });
    assert.deepEqual(seen.names, names(main));
    assert.equal(seen.file, 'capture.json');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('Chromium: datafordeler-cpr/init refuses calls before init() with a CprError, then works; init() is idempotent', async () => {
  const { page, errors } = await freshPage();
  try {
    const seen = await page.evaluate(async (cpr) => {
      const entry = await import('/pkg/init.web.js');
      const refusal = (run) => { try { run(); return 'no error'; } catch (e) { return { name: e.name, code: e.code, message: e.message, instance: e instanceof entry.CprError && entry.isCprError(e) }; } };
      const before = [refusal(() => entry.validateCpr(cpr)), refusal(() => new entry.CprClient({})), refusal(() => entry.environments())];
      const first = entry.init();
      const second = entry.init();
      await first;
      return { before, same: first === second, valid: entry.validateCpr(cpr).valid, again: await entry.init(), names: Object.keys(entry).sort() };
    }, VALID);
    for (const refusal of seen.before) {
      assert.equal(refusal.name, 'CprError');
      assert.equal(refusal.code, 'not_initialised');
      assert.equal(refusal.instance, true, 'an instance of the exported CprError');
      assert.match(refusal.message, /init\(\)/);
    }
    assert.equal(seen.same, true, 'one promise for every call');
    assert.equal(seen.valid, true);
    assert.equal(seen.again, undefined);
    assert.deepEqual(seen.names, [...names(main), 'init'].sort());
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('Chromium: init() takes the module as bytes or a compiled WebAssembly.Module; a failed load is a CprError', async () => {
  const { page, errors } = await freshPage();
  try {
    const seen = await page.evaluate(async (cpr) => {
      const missing = await import('/pkg/init.web.js?missing');
      const failed = await missing.init('/no/such.wasm').then(() => 'resolved', (e) => ({ name: e.name, code: e.code, instance: e instanceof missing.CprError, cause: e.cause !== undefined }));
      const bytes = await (await fetch('/pkg/web/datafordeler_cpr_bg.wasm')).arrayBuffer();
      const entry = await import('/pkg/init.web.js?bytes');
      await entry.init(new WebAssembly.Module(bytes));
      return { failed, valid: entry.validateCpr(cpr).valid };
    }, VALID);
    assert.deepEqual(seen.failed, { name: 'CprError', code: 'init_failed', instance: true, cause: true });
    assert.equal(seen.valid, true);
    // The failed fetch is the page's console error (a 404), nothing else.
    assert.ok(errors.every((error) => /404/.test(error)), errors.join('\n'));
  } finally {
    await page.close();
  }
});

test('Chromium: a module worker on datafordeler-cpr/init answers messages posted immediately after new Worker()', { timeout: 60_000 }, async () => {
  const { page, errors } = await freshPage();
  try {
    const answers = await page.evaluate((cpr) => new Promise((resolve) => {
      const worker = new Worker('/tests/support/init-worker.mjs', { type: 'module' });
      const received = [];
      worker.onerror = (event) => resolve([{ error: `worker error: ${event.message}` }]);
      worker.onmessage = ({ data }) => {
        received.push(data);
        if (received.length === 3) { worker.terminate(); resolve(received); }
      };
      // Posted before the worker has even loaded its script, let alone the wasm module.
      worker.postMessage({ id: 1, cpr });
      worker.postMessage({ id: 2, cpr: '320170-1239' });
      worker.postMessage({ id: 3, cpr });
    }), VALID);
    assert.deepEqual(answers, [
      { id: 1, valid: true, birthDate: '1970-01-01' },
      { id: 2, valid: false, birthDate: undefined },
      { id: 3, valid: true, birthDate: '1970-01-01' },
    ]);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
