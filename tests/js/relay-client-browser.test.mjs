// CprClient in relay mode in a real headless Chromium: the web build in a page on one origin
// (127.0.0.1), the relay on another (127.0.0.1, another port) in front of the emulator, the page
// holding no secret. Every byte the page received (bodies and headers) and every error message
// it saw are scanned for the client secret, the tokens and CPR numbers it did not ask for.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRelay } from 'datafordeler-cpr/relay';
import { startStaticServer } from '../../scripts/serve.mjs';
import { launchChromium } from '../support/browser.mjs';
import { startEmulator } from '../emulator/server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CALLER = 'Bearer erp-browser-session-41c7';

let emu;
let relay;
let relayServer;
let relayUrl;
let site;
let browser;
const tokensSeen = new Set();

before(async () => {
  emu = await startEmulator({ port: 0, httpsPort: 0 });
  site = await startStaticServer({ root });
  const { clientId, clientSecret } = emu.credentials.privateSector;
  relay = createRelay({
    setup: {
      enabled: true, environment: emu.environment, sectorType: 'private', authMethod: 'sharedSecret', clientId, clientSecret,
      endpoints: { graphqlBaseUrl: emu.urls.graphqlBaseUrl, sharedSecretTokenUrl: emu.urls.tokenUrl },
    },
    fetch: async (request) => {
      const auth = request.headers.authorization;
      if (auth) tokensSeen.add(auth.replace(/^Bearer\s+/i, ''));
      return fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal: request.signal, redirect: 'manual' });
    },
    authorize: (request) => (request.headers.get('authorization') === CALLER ? 'browser-user' : null),
    allowedOrigins: [site.url],
    limits: { lookupsPerMinute: 1000 },
    audit: () => {},
    basePath: '/cpr-relay',
  });
  relayServer = createServer(relay.nodeHandler);
  await new Promise((resolve) => relayServer.listen(0, '127.0.0.1', resolve));
  relayUrl = `http://127.0.0.1:${relayServer.address().port}/cpr-relay`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await relay?.close({ graceMs: 0 });
  await new Promise((resolve) => { relayServer?.closeAllConnections(); relayServer ? relayServer.close(resolve) : resolve(); });
  await site?.close();
  await emu?.stop();
});

test('a page in relay mode: connection test, lookups merged in the page, a batch with progress; nothing secret arrives', async () => {
  const page = await browser.newPage();
  /** Every answer from the relay the page received: what it asked, and status, headers and body. */
  const received = [];
  page.on('response', (response) => {
    if (!response.url().startsWith(relayUrl)) return;
    received.push((async () => {
      let asked = [];
      try { asked = JSON.parse(response.request().postData() ?? '{}').cprNumbers ?? []; } catch { /* not a lookup */ }
      const body = await response.text().catch(() => '');
      return { asked, text: `${response.status()} ${JSON.stringify(await response.allHeaders())} ${body}` };
    })());
  });
  try {
    await page.goto(`${site.url}/tests/support/blank.html`);
    const numbers = Array.from({ length: 60 }, (_, i) => `${String((i % 28) + 1).padStart(2, '0')}0490${String(4100 + i)}`);
    const out = await page.evaluate(async ({ url, caller, numbers }) => {
      const { CprClient } = await import('/pkg/index.web.js');
      const client = new CprClient({ enabled: true, relay: { url, headers: { authorization: caller }, credentials: 'include' } });
      const report = await client.testConnection();
      const record = { name: 'J. Testesen', address: 'Gl. Vej 1', customerNo: 'C-page-1' };
      const ordinary = await client.lookup('070761-0123', { existing: record });
      const shielded = await client.lookup('0204882126', { existing: record });
      const progress = [];
      const batch = await client.lookupMany(numbers, { concurrency: 8, onProgress: (p) => progress.push(p) });
      const messages = [];
      for (const attempt of [
        () => client.lookup('320170-1239'),
        () => new CprClient({ enabled: true, relay: { url, headers: { authorization: 'Bearer wrong' } } }).lookup('070761-0123'),
        // A header the relay does not allow: the browser stops the request at the preflight.
        () => new CprClient({ enabled: true, relay: { url, headers: { authorization: caller, 'X-Not-Allowed': 'v' } } }, { maxAttempts: 1 }).lookup('070761-0123'),
      ]) {
        try { await attempt(); } catch (error) { messages.push({ code: error.code, name: error.name, text: `${error.message} ${JSON.stringify(error.diagnosis)}` }); }
      }
      return {
        report: { ok: report.ok, steps: report.steps.map((s) => s.status) },
        ordinary: { cpr: ordinary.person.cpr, name: ordinary.merge.record.name, customerNo: ordinary.merge.record.customerNo },
        shielded: { withheld: shielded.person.nameWithheld, name: shielded.merge.record.name, codes: shielded.notifications.map((n) => n.code) },
        batch: batch.map((r) => [r.index, r.ok, r.value?.person?.cpr]),
        progress,
        messages,
      };
    }, { url: relayUrl, caller: CALLER, numbers });

    assert.deepEqual(out.report, { ok: true, steps: ['passed', 'passed', 'passed', 'passed', 'passed'] });
    assert.deepEqual(out.ordinary, { cpr: '0707610123', name: 'Jens Peter Testesen', customerNo: 'C-page-1' });
    assert.equal(out.shielded.withheld, true);
    assert.equal(out.shielded.name, 'J. Testesen');
    assert.ok(out.shielded.codes.includes('name_withheld'));
    assert.deepEqual(out.batch, numbers.map((n, i) => [i, true, n]));
    assert.equal(out.progress.length, 60);
    assert.deepEqual(out.progress.at(-1), { done: 60, total: 60, failures: 0 });
    assert.deepEqual(out.messages.map((m) => [m.name, m.code]), [['CprError', 'invalid_cpr_number'], ['CprError', 'unauthorized'], ['CprError', 'relay_unreachable']]);
    assert.match(out.messages[2].text, /allowedHeaders/);

    const answers = await Promise.all(received);
    assert.ok(answers.length >= 6, `${answers.length} answers`);
    assert.ok(tokensSeen.size > 0);
    const secrets = [emu.credentials.privateSector.clientSecret, ...tokensSeen];
    const texts = [...answers.map((a) => ({ asked: new Set(a.asked), text: a.text })), ...out.messages.map((m) => ({ asked: new Set(), text: m.text }))];
    for (const { asked, text } of texts) {
      for (const secret of secrets) assert.ok(!text.includes(secret), 'a secret or token reached the page');
      for (const match of text.matchAll(/(?<!\d)(\d{6})-?(\d{4})(?!\d)/g)) {
        assert.ok(asked.has(`${match[1]}${match[2]}`), `an unasked full CPR number ${match[1]}-xxxx reached the page`);
      }
    }
  } finally {
    await page.close();
  }
});
