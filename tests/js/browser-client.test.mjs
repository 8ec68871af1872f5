// CprClient in headless Chromium against the emulator: the page's own fetch (gloo-net) with
// CORS, exactly as a browser-based setup page or ERP front-end would call a relay.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../emulator/server.mjs';
import { openPackagePage, screenshot } from '../support/browser.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let emu;
let page;
let session;

before(async () => {
  emu = await startEmulator({ port: 0, httpsPort: 0 });
  session = await openPackagePage(root);
  ({ page } = session);
});

after(async () => {
  await session?.close();
  await emu?.stop();
});

function setup(overrides = {}) {
  const { clientId, clientSecret } = emu.credentials.privateSector;
  return {
    enabled: true, environment: emu.environment, sectorType: 'private', authMethod: 'sharedSecret', clientId, clientSecret,
    endpoints: { graphqlBaseUrl: emu.urls.origin, sharedSecretTokenUrl: emu.urls.tokenUrl, certificateTokenUrl: emu.urls.certificateTokenUrl },
    ...overrides,
  };
}

test('a shared-secret lookup from the browser, through the page fetch and CORS', async () => {
  emu.clearLog();
  const result = await page.evaluate(async (s) => {
    const client = new window.cpr.CprClient(s);
    const report = await client.testConnection();
    const outcome = await client.lookup('0707610123', { existing: { name: 'Old Name', customerNo: 'C-9' } });
    return { ok: report.ok, steps: report.steps.map((x) => x.status), name: outcome.merge.record.name, customerNo: outcome.merge.record.customerNo, changes: outcome.merge.changes.length };
  }, setup());
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.notEqual(result.name, 'Old Name');
  assert.equal(result.customerNo, 'C-9');
  assert.ok(result.changes > 0);
  assert.equal(emu.log.filter((e) => e.purpose === 'token').length, 1);
  assert.ok(emu.log.some((e) => e.purpose === 'preflight'), 'the browser asked CORS permission first');
  await screenshot(page, 'browser-client-lookup');
});

test('browser diagnoses: a wrong secret, and a server that gives this page no CORS permission', async () => {
  const wrong = await page.evaluate(async (s) => {
    const report = await new window.cpr.CprClient(s).testConnection();
    return report.steps.find((x) => x.status === 'failed').diagnosis.code;
  }, setup({ clientSecret: 'wrong-secret' }));
  assert.equal(wrong, 'token_invalid_client');

  emu.setCorsOrigins(['http://example.invalid']);
  try {
    const blocked = await page.evaluate(async (s) => {
      const report = await new window.cpr.CprClient(s, { maxAttempts: 1 }).testConnection();
      const failed = report.steps.find((x) => x.status === 'failed');
      return { code: failed.diagnosis.code, step: failed.step };
    }, setup());
    assert.deepEqual(blocked, { code: 'browser_fetch_failed', step: 'tokenObtained' });
  } finally {
    emu.setCorsOrigins(['http://127.0.0.1:*', 'http://localhost:*']);
  }
});

test('the certificate method is refused in a browser with a clear explanation', async () => {
  const result = await page.evaluate((s) => {
    try {
      new window.cpr.CprClient({ ...s, authMethod: 'certificate', clientSecret: undefined, certificate: new Uint8Array([0x30, 0x82, 1]), certificatePassword: 'pw' });
      return { threw: false };
    } catch (e) {
      // The Node helper is not in the browser's main entry (it is in datafordeler-cpr/node).
      const helper = 'createCertificateFetch' in window.cpr;
      return { threw: true, name: e.name, code: e.code, field: e.field, message: e.message, helper };
    }
  }, setup());
  assert.equal(result.threw, true);
  assert.equal(result.code, 'certificate_needs_server_host');
  assert.equal(result.field, 'authMethod');
  assert.match(result.message, /mutual TLS/);
  assert.match(result.message, /server/);
  assert.match(result.message, /datafordeler-cpr\/node/);
  assert.equal(result.helper, false);
});
