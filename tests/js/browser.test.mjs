// The web build in a real headless Chromium: loaded as an ES module from a page served on
// 127.0.0.1, exactly as a browser application would load the package.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../../scripts/serve.mjs';
import { launchChromium, screenshot } from '../support/browser.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let server;
let browser;
let page;

before(async () => {
  server = await startStaticServer({ root });
  browser = await launchChromium();
  page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  await page.goto(`${server.url}/tests/support/blank.html`);
  // Resolve the package the way a browser bundler would: its "browser" export.
  const pkg = JSON.parse(await (await fetch(`${server.url}/pkg/package.json`)).text());
  await page.evaluate(async (entry) => { window.cpr = await import(entry); }, `/pkg/${pkg.exports['.'].browser.replace('./', '')}`);
  assert.deepEqual(pageErrors, []);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the web build runs the core in the browser', async () => {
  const result = await page.evaluate(() => {
    const { validateCpr, validateSetup, resolveEndpoints, diagnose, redact } = window.cpr;
    let thrown;
    try { resolveEndpoints(null); } catch (e) { thrown = { isError: e instanceof Error, name: e.name, code: e.code }; }
    return {
      cpr: validateCpr('290200-4123'),
      badCpr: validateCpr(12345).issues.map((i) => i.code),
      setup: validateSetup({ enabled: true, environment: 'test06', sectorType: 'public', authMethod: 'sharedSecret', clientId: 'c', clientSecret: 's' }),
      hostile: validateSetup({ enabled: 1n }).issues.map((i) => i.code),
      endpoints: resolveEndpoints({ environment: 'production', sectorType: 'public', authMethod: 'certificate' }),
      thrown,
      fetchFailed: diagnose({ stage: 'graphql', transportError: { name: 'TypeError', message: 'Failed to fetch' } }).code,
      redacted: redact({ Authorization: 'Bearer abc', note: 'cpr 0101701239' }),
    };
  });
  assert.equal(result.cpr.valid, true);
  assert.equal(result.cpr.birthDate, '2000-02-29');
  assert.deepEqual(result.badCpr, ['not_text']);
  assert.equal(result.setup.ok, true);
  assert.deepEqual(result.setup.issues.map((i) => i.code), ['no_cpr_test_data']);
  assert.deepEqual(result.hostile, ['unsupported_value']);
  assert.equal(result.endpoints.tokenUrl, 'https://auth-oces.datafordeler.dk/realms/distribution/protocol/openid-connect/token');
  assert.equal(result.endpoints.graphqlUrl, 'https://graphql.datafordeler.dk/CPR/custom/PublicSector/v3');
  assert.deepEqual(result.endpoints.candidates.map((c) => c.apiVersion), ['v3', 'v2', 'v1']);
  assert.deepEqual(result.thrown, { isError: true, name: 'CprError', code: 'setup_not_object' });
  assert.equal(result.fetchFailed, 'browser_fetch_failed');
  assert.deepEqual(result.redacted, { Authorization: '[REDACTED]', note: 'cpr 010170-xxxx' });
  await screenshot(page, 'core-web-build');
});

test('the web build throws and rejects with its exported CprError, the certificate module too', async () => {
  const result = await page.evaluate(async () => {
    const { CprError, isCprError, CprClient, resolveEndpoints } = window.cpr;
    const { inspectCertificate } = await import('/pkg/certificate.web.js');
    const setup = { enabled: true, environment: 'test04', sectorType: 'private', authMethod: 'sharedSecret', clientId: 'c', clientSecret: 's' };
    const caught = async (run) => { try { await run(); } catch (e) { return e; } return undefined; };
    const errors = {
      thrown: await caught(() => resolveEndpoints(null)),
      certificateSetup: await caught(() => new CprClient({ ...setup, authMethod: 'certificate', clientSecret: undefined, certificate: new Uint8Array([0x30, 0x82, 1]), certificatePassword: 'pw' })),
      certificate: await caught(() => inspectCertificate(new Uint8Array([1, 2, 3]), 'pw')),
      rejected: await caught(() => new CprClient(setup, { fetch: async () => ({ status: 200 }) }).lookup('32132')),
    };
    return Object.fromEntries(Object.entries(errors).map(([k, e]) => [k, { instance: e instanceof CprError, guard: isCprError(e), code: e?.code }]));
  });
  assert.deepEqual(result, {
    thrown: { instance: true, guard: true, code: 'setup_not_object' },
    certificateSetup: { instance: true, guard: true, code: 'certificate_needs_server_host' },
    certificate: { instance: true, guard: true, code: 'not_pkcs12' },
    rejected: { instance: true, guard: true, code: 'invalid_cpr_number' },
  });
});
