// The web build in a Chromium module worker, against the emulator: the default transport
// (gloo-net over the worker's own fetch, with CORS) works where there is no `window`. And in a
// page, a `fetch` replaced by a double that returns no Response ends as a CprError, not a trap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../emulator/server.mjs';
import { openPackagePage } from '../support/browser.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CPR = '0707610123';
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

function setup() {
  const { clientId, clientSecret } = emu.credentials.privateSector;
  return {
    enabled: true, environment: emu.environment, sectorType: 'private', authMethod: 'sharedSecret', clientId, clientSecret,
    endpoints: { graphqlBaseUrl: emu.urls.origin, sharedSecretTokenUrl: emu.urls.tokenUrl, certificateTokenUrl: emu.urls.certificateTokenUrl },
  };
}

test('a module worker runs testConnection and a lookup through its own fetch', { timeout: 60_000 }, async () => {
  emu.clearLog();
  const result = await page.evaluate(({ s, cpr }) => new Promise((resolve) => {
    const worker = new Worker('/tests/support/worker.mjs', { type: 'module' });
    const give = (answer) => { worker.terminate(); resolve(answer); };
    // Bounded without a timed assertion: a worker that never answers fails the test's timeout.
    worker.onerror = (event) => give({ error: `worker error: ${event.message}` });
    worker.onmessage = ({ data }) => {
      if (data.ready) worker.postMessage({ setup: s, cpr });
      else give(data);
    };
  }), { s: setup(), cpr: CPR });
  assert.equal(result.error, undefined, JSON.stringify(result));
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.ok(result.steps.length > 0 && result.steps.every((status) => status !== 'failed'), JSON.stringify(result.steps));
  assert.equal(result.found, true);
  assert.ok(emu.log.some((entry) => entry.purpose === 'graphql'), 'the lookup reached the emulator');
  assert.ok(emu.log.some((entry) => entry.purpose === 'preflight'), 'the worker asked CORS permission first');
});

test('Chromium: a page fetch replaced by a double that returns no Response gives a CprError, never a trap', { timeout: 60_000 }, async () => {
  const outcomes = await page.evaluate(async (s) => {
    const platform = window.fetch;
    const doubles = [async () => ({ status: 200 }), () => 'not a response', () => { throw new TypeError('offline'); }, () => new Promise(() => {})];
    const seen = [];
    try {
      for (const double of doubles) {
        window.fetch = double;
        const client = new window.cpr.CprClient(s, { timeoutMs: 300, maxAttempts: 1 });
        seen.push(await client.lookup('0707610123').then(() => 'resolved', (e) => `${e?.name}: ${e?.message}`));
      }
    } finally {
      window.fetch = platform;
    }
    const after = await new window.cpr.CprClient(s).lookup('0707610123').then((o) => o.person?.cpr, (e) => `${e?.name}: ${e?.message}`);
    return { seen, after };
  }, setup());
  for (const outcome of outcomes.seen) {
    assert.match(outcome, /^CprError: /);
    assert.doesNotMatch(outcome, /unreachable|RuntimeError/);
  }
  assert.equal(outcomes.after, CPR, 'the module still works');
});
