// The relay from a real headless Chromium: a page on one origin calls the relay on another
// (127.0.0.1, another port) with its own Authorization header, so every call is preflighted.
// A listed origin gets its lookups and can read problems and Retry-After; an unlisted origin is
// stopped by the browser at the preflight, and nothing reaches Datafordeleren.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRelay } from 'datafordeler-cpr/relay';
import { startStaticServer } from '../../scripts/serve.mjs';
import { launchChromium } from '../support/browser.mjs';
import { startEmulator } from '../emulator/server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CALLER = 'Bearer erp-browser-session';

let emu;
let relay;
let relayServer;
let relayUrl;
let allowedSite;
let otherSite;
let browser;
const events = [];
let clock = 5_000_000;

before(async () => {
  emu = await startEmulator({ port: 0, httpsPort: 0 });
  allowedSite = await startStaticServer({ root });
  otherSite = await startStaticServer({ root });
  const { clientId, clientSecret } = emu.credentials.privateSector;
  relay = createRelay({
    setup: {
      enabled: true, environment: emu.environment, sectorType: 'private', authMethod: 'sharedSecret', clientId, clientSecret,
      endpoints: { graphqlBaseUrl: emu.urls.graphqlBaseUrl, sharedSecretTokenUrl: emu.urls.tokenUrl },
    },
    authorize: (request) => (request.headers.get('authorization') === CALLER ? 'browser-user' : null),
    allowedOrigins: [allowedSite.url],
    limits: { lookupsPerMinute: 4 },
    audit: (event) => { events.push(event); },
    now: () => clock,
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
  await allowedSite?.close();
  await otherSite?.close();
  await emu?.stop();
});

beforeEach(() => { emu.clearLog(); clock += 120_000; });

/** Open a blank page on `site` and run `calls` (a list of fetch arguments) from it; returns what the page saw. */
async function fromPage(site, calls) {
  const page = await browser.newPage();
  try {
    await page.goto(`${site.url}/tests/support/blank.html`);
    return await page.evaluate(async (list) => {
      const out = [];
      for (const [url, init] of list) {
        try {
          const response = await fetch(url, { ...init, credentials: 'include' });
          out.push({ status: response.status, retryAfter: response.headers.get('retry-after'), type: response.headers.get('content-type'), body: await response.text() });
        } catch (error) {
          out.push({ failed: error.name });
        }
      }
      return out;
    }, calls);
  } finally {
    await page.close();
  }
}

const lookup = (cprNumbers, authorization = CALLER) => [`${relayUrl}/lookup`, {
  method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ cprNumbers }),
}];

test('a listed origin looks people up through the relay, preflight included', async () => {
  const [answer, connection] = await fromPage(allowedSite, [
    lookup(['0707610123', '0204882126']),
    [`${relayUrl}/test-connection`, { method: 'POST', headers: { authorization: CALLER } }],
  ]);
  assert.equal(answer.status, 200, answer.body);
  const { results } = JSON.parse(answer.body);
  assert.equal(results[0].value.person.name.addressing, 'Jens Peter Testesen');
  assert.equal(results[1].value.person.nameWithheld, true);
  assert.equal(JSON.parse(connection.body).ok, true);
  assert.ok(emu.log.some((e) => e.purpose === 'graphql'));
});

test('a listed origin can read the relay\'s problems and Retry-After', async () => {
  const [unauthorized, first, limited] = await fromPage(allowedSite, [
    lookup(['0707610123'], 'Bearer someone-else'),
    lookup(['0707610123', '1203750168', '2311054123']),
    lookup(['3009609198', '1710671199']),
  ]);
  assert.equal(unauthorized.status, 401);
  assert.match(unauthorized.type, /^application\/problem\+json/);
  assert.equal(JSON.parse(unauthorized.body).code, 'unauthorized');
  assert.equal(first.status, 200);
  assert.equal(limited.status, 429);
  assert.equal(JSON.parse(limited.body).code, 'rate_limited');
  assert.equal(limited.retryAfter, '60', 'Retry-After is exposed to the page');
});

test('an unlisted origin is stopped at the preflight and nothing is forwarded', async () => {
  const before = events.length;
  const [answer] = await fromPage(otherSite, [lookup(['0707610123'])]);
  assert.deepEqual(answer, { failed: 'TypeError' }, 'the browser refuses the cross-origin call');
  assert.deepEqual(emu.log, []);
  assert.equal(events.slice(before).filter((e) => e.operation === 'lookup').length, 0, 'the lookup itself never reached the relay');
});
