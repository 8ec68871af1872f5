// CprClient in relay mode against a real relay (datafordeler-cpr/relay served by node:http on
// 127.0.0.1) in front of the emulator. The server notes every request the relay received and
// every byte it answered: the tests assert that the ERP record never travels, and at the end
// that no answer carried a secret, a token or a full CPR number the client did not ask for.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { CprClient, CprError, validateSetup, setupFields } from 'datafordeler-cpr';
import { createRelay } from 'datafordeler-cpr/relay';
import { startEmulator } from '../emulator/server.mjs';
import { emulatorSetup } from '../support/setups.mjs';

const FAST = { retryBaseDelayMs: 5, retryMaxDelayMs: 20, timeoutMs: 10000 };
const SESSION = 'Bearer erp-session-7d1e0b';
const WRONG_SECRET = 'wrong-relay-secret-93be11c4';

let emu;
const servers = [];
const relays = [];
/** What relays received: { method, path, headers, body }. */
const requests = [];
/** What relays answered: { asked: Set of normalized numbers, text }. */
const answered = [];
/** Bearer tokens the relays sent to the emulator. */
const tokensSeen = new Set();

before(async () => { emu = await startEmulator({ port: 0, httpsPort: 0 }); });
after(async () => {
  await Promise.all(relays.map((relay) => relay.close({ graceMs: 0 })));
  await Promise.all(servers.map((server) => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); })));
  await emu?.stop();
});
beforeEach(() => { emu.reset(); emu.clearLog(); requests.length = 0; });

/** The relay's own setup: the emulator's private-sector client, secret included. */
const relaySetup = (overrides = {}) => emulatorSetup(emu, overrides);

async function spyFetch(request) {
  const auth = request.headers.authorization ?? request.headers.Authorization;
  if (auth) tokensSeen.add(auth.replace(/^Bearer\s+/i, ''));
  return fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal: request.signal, redirect: 'manual' });
}

const normalize = (cpr) => cpr.replace(/\D/g, '');

/**
 * A relay under /cpr-relay on 127.0.0.1, behind a node:http server that notes each request
 * (body included) and each answer before and after relay.handle.
 */
async function startRelay({ setup = relaySetup(), ...options } = {}) {
  const relay = createRelay({
    setup,
    fetch: spyFetch,
    authorize: (request) => (request.headers.get('authorization') === SESSION ? 'erp-user' : null),
    allowedOrigins: ['http://erp.example.test'],
    audit: () => {},
    basePath: '/cpr-relay',
    clientOptions: FAST,
    ...options,
  });
  relays.push(relay);
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    requests.push({ method: req.method, path: req.url, headers: req.headers, body });
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    const response = await relay.handle(new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers, body: req.method === 'GET' ? undefined : body }));
    const text = await response.text();
    let asked = [];
    try { asked = JSON.parse(body).cprNumbers ?? []; } catch { /* not a lookup */ }
    answered.push({ asked: new Set(asked.map(normalize)), text: `${response.status} ${JSON.stringify([...response.headers])} ${text}` });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(text);
  });
  servers.push(server);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { relay, url: `http://127.0.0.1:${server.address().port}/cpr-relay` };
}

const client = (url, relay = {}, options = FAST) => new CprClient({ enabled: true, relay: { url, headers: { authorization: SESSION }, ...relay } }, options);

async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CprError, String(error));
    return error;
  }
  assert.fail('expected a rejection');
}

test('the setup names a relay: validateSetup and setupFields know it', () => {
  assert.ok(setupFields().some((f) => f.key === 'relay' && f.kind === 'relay'));
  assert.deepEqual(validateSetup({ enabled: true, relay: { url: 'https://erp.example.com/cpr-relay/' } }), { ok: true, issues: [] });
  const mixed = validateSetup({ enabled: true, relay: { url: 'https://erp.example.com/cpr-relay' }, clientSecret: 'x-secret-1234' });
  assert.equal(mixed.ok, false);
  assert.deepEqual(mixed.issues.map((i) => [i.field, i.code]), [['clientSecret', 'relay_with_secret']]);
  assert.ok(!JSON.stringify(mixed).includes('x-secret-1234'));
  const insecure = validateSetup({ enabled: true, relay: { url: 'http://relay.example.com' } });
  assert.deepEqual(insecure.issues.map((i) => [i.field, i.code]), [['relay.url', 'insecure_url']]);
  assert.throws(() => new CprClient({ enabled: true, relay: { url: 'https://erp.example.com/r' }, certificatePassword: 'pw-998877' }),
    (error) => error instanceof CprError && error.code === 'relay_with_secret' && error.field === 'certificatePassword' && !error.message.includes('pw-998877'));
});

test('lookup of an ordinary and a protected person merges in the client; the record never travels', async () => {
  const { url } = await startRelay();
  const cpr = client(url, {}, { ...FAST, merge: { policies: { city: 'ifEmpty' } } });
  const record = { name: 'J. Testesen', address: 'Gl. Vej 1', city: 'Byen', customerNo: 'C-record-4711' };
  const ordinary = await cpr.lookup('070761-0123', { existing: record });
  assert.equal(ordinary.person.cpr, '0707610123');
  assert.equal(ordinary.person.name.addressing, 'Jens Peter Testesen');
  assert.equal(ordinary.merge.record.name, 'Jens Peter Testesen');
  assert.equal(ordinary.merge.record.address, 'Prøvevej 12, 2. tv');
  assert.equal(ordinary.merge.record.city, 'Byen', 'the client\'s own merge policy (ifEmpty) applies');
  assert.equal(ordinary.merge.record.customerNo, 'C-record-4711');
  assert.deepEqual(ordinary.merge.changes.map((c) => c.field), ['name', 'address', 'postCode', 'countryCode']);

  const shielded = await cpr.lookup('0204882126', { existing: record });
  assert.equal(shielded.person.nameWithheld, true);
  assert.equal(shielded.merge.record.name, 'J. Testesen', 'a withheld name keeps the record\'s');
  assert.equal(shielded.merge.record.address, 'Gl. Vej 1');
  const codes = shielded.notifications.map((n) => n.code);
  assert.ok(codes.includes('name_withheld') && codes.includes('address_withheld'), codes.join());
  assert.equal(new Set(codes).size, codes.length, 'no notification twice');

  const lookups = requests.filter((r) => r.path === '/cpr-relay/lookup');
  assert.equal(lookups.length, 2);
  assert.deepEqual(lookups.map((r) => JSON.parse(r.body)), [{ cprNumbers: ['0707610123'] }, { cprNumbers: ['0204882126'] }]);
  for (const request of requests) {
    assert.ok(!request.body.includes('C-record-4711') && !request.body.includes('Testesen'), 'the record stays in the client');
    assert.equal(request.headers.authorization, SESSION);
    assert.match(request.headers['content-type'], /^application\/json/);
  }
  // Without a record: the outcome a direct lookup gives (no merge key).
  const plain = await cpr.lookup('070761-0123');
  assert.equal('merge' in plain, false);
});

test('not found is an outcome, an invalid number is refused before anything is sent', async () => {
  const { url } = await startRelay();
  const cpr = client(url);
  const missing = await cpr.lookup('1203750000', { existing: { name: 'Kept' } });
  assert.equal(missing.person, undefined);
  assert.deepEqual(missing.notifications.map((n) => n.code), ['person_not_found']);
  assert.equal(missing.merge.record.name, 'Kept');
  const sent = requests.length;
  const invalid = await rejection(cpr.lookup('320170-1239'));
  assert.equal(invalid.code, 'invalid_cpr_number');
  assert.equal(invalid.diagnosis.code, 'invalid_cpr_number');
  assert.equal(requests.length, sent);
});

test('lookupMany of 120 numbers: batches of at most 50, progress, input order, one failure never stops the batch', async () => {
  const { url } = await startRelay({ limits: { maxBatch: 50, lookupsPerMinute: 1000 } });
  const cpr = client(url);
  const numbers = Array.from({ length: 120 }, (_, i) => `${String((i % 28) + 1).padStart(2, '0')}${String((i % 12) + 1).padStart(2, '0')}${70 + Math.floor(i / 28)}${String(2100 + i)}`);
  numbers[7] = '320170-1239';
  const progress = [];
  const results = await cpr.lookupMany(numbers.map((n, i) => (i % 2 ? { cpr: n, existing: { ref: `row-${i}` } } : n)), {
    concurrency: 100, onProgress: (p) => progress.push(p),
  });
  assert.equal(results.length, 120);
  results.forEach((result, i) => {
    assert.equal(result.index, i);
    if (i === 7) {
      assert.equal(result.ok, false);
      assert.equal(result.error.code, 'invalid_cpr_number');
      return;
    }
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.value.person.cpr, normalize(numbers[i]));
    if (i % 2) assert.equal(result.value.merge.record.ref, `row-${i}`);
  });
  assert.equal(progress.length, 120);
  assert.deepEqual(progress.at(-1), { done: 120, total: 120, failures: 1 });
  assert.deepEqual(progress.map((p) => p.done), Array.from({ length: 120 }, (_, i) => i + 1));
  const batches = requests.filter((r) => r.path === '/cpr-relay/lookup').map((r) => JSON.parse(r.body).cprNumbers);
  assert.deepEqual(batches.map((b) => b.length).sort((a, b) => b - a), [50, 50, 19]);
  assert.deepEqual(batches.flat().sort(), numbers.filter((_, i) => i !== 7).map(normalize).sort());
});

test('a relay with a smaller maxBatch: batches are halved until they pass, and later ones start there', async () => {
  const { url } = await startRelay({ limits: { maxBatch: 20, lookupsPerMinute: 1000 } });
  const cpr = client(url);
  const numbers = Array.from({ length: 60 }, (_, i) => `${String((i % 28) + 1).padStart(2, '0')}0580${String(3100 + i)}`);
  const results = await cpr.lookupMany(numbers, { concurrency: 4 });
  assert.deepEqual(results.map((r) => r.ok), numbers.map(() => true));
  results.forEach((r, i) => assert.equal(r.value.person.cpr, numbers[i]));
  const sizes = requests.filter((r) => r.path === '/cpr-relay/lookup').map((r) => JSON.parse(r.body).cprNumbers.length);
  assert.ok(sizes.every((n) => n <= 50));
  const accepted = sizes.filter((n) => n <= 20);
  assert.equal(accepted.reduce((a, b) => a + b, 0), 60, `sizes ${sizes}`);
  // The first batch (50) was refused, then 25, then 13; every later batch started at 13.
  assert.deepEqual(sizes.filter((n) => n > 20), [50, 25]);
});

test('testConnection through the relay: passing, and failing with the code a direct client gives', async () => {
  const { url } = await startRelay();
  const passed = await client(url).testConnection();
  assert.equal(passed.ok, true, JSON.stringify(passed));
  assert.deepEqual(passed.steps.map((s) => s.status), ['passed', 'passed', 'passed', 'passed', 'passed']);

  const wrongSetup = relaySetup({ clientSecret: WRONG_SECRET });
  const { url: wrongUrl } = await startRelay({ setup: wrongSetup });
  const viaRelay = await client(wrongUrl).testConnection();
  const direct = await new CprClient(wrongSetup, FAST).testConnection();
  const failed = (report) => report.steps.find((s) => s.status === 'failed');
  assert.equal(viaRelay.ok, false);
  assert.equal(failed(viaRelay).step, 'tokenObtained');
  assert.equal(failed(viaRelay).diagnosis.code, 'token_invalid_client');
  assert.equal(failed(viaRelay).diagnosis.code, failed(direct).diagnosis.code);

  // A lookup through that relay rejects with the direct client's code and diagnosis.
  const error = await rejection(client(wrongUrl).lookup('070761-0123'));
  const directError = await rejection(new CprClient(wrongSetup, FAST).lookup('070761-0123'));
  assert.equal(error.code, 'token_invalid_client');
  assert.equal(error.code, directError.code);
  assert.equal(error.diagnosis.title, directError.diagnosis.title);
  assert.deepEqual(error.diagnosis.settings, directError.diagnosis.settings);
  assert.ok(!JSON.stringify(error.diagnosis).includes(WRONG_SECRET));
});

test('the relay\'s address not on the allowlist: ip_not_allowlisted with the direct client\'s diagnosis and Datafordeleren\'s status', async () => {
  const { url } = await startRelay({ clientOptions: { ...FAST, maxAttempts: 1 } });
  emu.setAllowlist(['192.0.2.1']);
  const error = await rejection(client(url, {}, { ...FAST, maxAttempts: 1 }).lookup('070761-0123'));
  const direct = await rejection(new CprClient(relaySetup(), { ...FAST, maxAttempts: 1 }).lookup('070761-0123'));
  assert.equal(error.code, 'ip_not_allowlisted');
  assert.equal(error.code, direct.code);
  for (const key of ['title', 'cause', 'solution', 'retryable', 'settings', 'status', 'detail']) {
    assert.deepEqual(error.diagnosis[key], direct.diagnosis[key], key);
  }
  assert.equal(error.diagnosis.status, 401);
});

test('a failure the relay already retried is not retried again by the page: Datafordeleren sees the relay\'s attempts only', async () => {
  const { url } = await startRelay({ clientOptions: { ...FAST, maxAttempts: 2 } });
  // Every lookup query fails with a 503 (server_error, retryable); the schema still answers.
  emu.faults.add({ mode: 'http503', purpose: 'graphql', count: null });
  const error = await rejection(client(url, {}, { ...FAST, maxAttempts: 3 }).lookup('070761-0123'));
  assert.equal(error.code, 'server_error');
  assert.equal(error.diagnosis.retryable, true, 'still a transient failure, for the caller to try later');
  // Two relay attempts, not three page attempts of two relay attempts each.
  assert.equal(emu.log.filter((e) => e.purpose === 'graphql').length, 2);
  assert.equal(requests.filter((r) => r.path.endsWith('/lookup')).length, 1);
});

test('wrong relay headers: unauthorized, with a diagnosis, a failed connection test, and the header value never shown', async () => {
  const { url } = await startRelay();
  const wrong = client(url, { headers: { authorization: 'Bearer not-the-session-5a5a' } });
  const error = await rejection(wrong.lookup('070761-0123'));
  assert.equal(error.code, 'unauthorized');
  assert.equal(error.diagnosis.code, 'unauthorized');
  assert.equal(error.diagnosis.status, 401);
  assert.deepEqual(error.diagnosis.settings, ['relay']);
  const report = await wrong.testConnection();
  assert.equal(report.ok, false);
  assert.deepEqual(report.steps.map((s) => s.status), ['passed', 'failed', 'skipped', 'skipped', 'skipped']);
  assert.equal(report.steps[1].diagnosis.code, 'unauthorized');
  const captured = [];
  const debugging = new CprClient({ enabled: true, debugMode: true, relay: { url, headers: { 'X-Session': 'session-value-c0ffee' } } },
    { ...FAST, onDebug: (capture) => captured.push(capture) });
  const debugError = await rejection(debugging.lookup('070761-0123'));
  assert.equal(debugError.code, 'unauthorized');
  assert.equal(requests.at(-1).headers['x-session'], 'session-value-c0ffee', 'the header was sent');
  assert.ok(captured.length === 1 && debugError.debug);
  assert.ok(!JSON.stringify([captured, debugError.debug, debugError.message, debugError.diagnosis]).includes('session-value-c0ffee'));
});

test('the relay\'s rate limit is relay_rate_limited with its Retry-After, which the retry policy honours', async () => {
  // The relay's clock, moved forward by hand: the window of the first lookups ends a second later.
  let shift = 0;
  const { url } = await startRelay({ limits: { lookupsPerMinute: 2 }, now: () => Date.now() + shift });
  const once = client(url, {}, { ...FAST, maxAttempts: 1 });
  await once.lookup('070761-0123');
  await once.lookup('0204882126');
  shift = 59_200;
  const error = await rejection(once.lookup('070761-0123'));
  assert.equal(error.code, 'relay_rate_limited');
  assert.equal(error.diagnosis.retryable, true);
  assert.equal(error.diagnosis.retryAfterSeconds, 1);
  assert.equal(error.diagnosis.status, 429);
  // With retries on, the client waits the Retry-After and the lookup passes.
  const retrying = client(url, {}, { ...FAST, maxAttempts: 2 });
  const outcome = await retrying.lookup('070761-0123');
  assert.equal(outcome.person.cpr, '0707610123');
  const statuses = requests.filter((r) => r.path === '/cpr-relay/lookup').length;
  assert.equal(statuses, 5, 'two lookups, one refused, then refused and retried');
});

test('fetchSchema, checkSchema and fetchEndpoints ask the relay; endpoints is the relay\'s job', async () => {
  const { url } = await startRelay();
  const cpr = client(url);
  assert.throws(() => cpr.endpoints, (error) => error instanceof CprError && error.code === 'endpoints_at_relay');
  const endpoints = await cpr.fetchEndpoints();
  assert.equal(endpoints.sectorType, 'private');
  assert.ok(endpoints.graphqlUrl.startsWith(emu.urls.graphqlBaseUrl));
  const sdl = await cpr.fetchSchema();
  assert.match(sdl, /CPRCustom_PrivateSectorPerson/);
  const drift = await cpr.checkSchema();
  assert.equal(drift.ok, true, JSON.stringify(drift.issues));
  assert.equal(requests.filter((r) => r.path === '/cpr-relay/endpoints').length, 1, 'the endpoints are asked once');
  // A direct client answers fetchEndpoints with its own.
  const direct = new CprClient(relaySetup(), FAST);
  assert.deepEqual(await direct.fetchEndpoints(), direct.endpoints);
});

test('a host fetch gets purpose relay and the credentials mode; a wrong relay URL is relay_not_found', async () => {
  const { url } = await startRelay();
  const seen = [];
  const cpr = new CprClient({ enabled: true, relay: { url, headers: { authorization: SESSION }, credentials: 'include' } }, {
    ...FAST,
    fetch: (request) => {
      seen.push({ url: request.url, purpose: request.purpose, credentials: request.credentials, method: request.method });
      return fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal: request.signal });
    },
  });
  await cpr.lookup('070761-0123');
  assert.deepEqual(seen, [{ url: `${url}/lookup`, purpose: 'relay', credentials: 'include', method: 'POST' }]);
  const lost = await rejection(client(url.replace('/cpr-relay', '/elsewhere')).lookup('070761-0123'));
  assert.equal(lost.code, 'relay_not_found');
});

test('cancellation ends a relay batch with cancelled items', async () => {
  const { url } = await startRelay();
  const controller = new AbortController();
  controller.abort();
  const results = await client(url).lookupMany(['070761-0123', '0204882126'], { signal: controller.signal });
  assert.deepEqual(results.map((r) => [r.ok, r.error?.code]), [[false, 'cancelled'], [false, 'cancelled']]);
});

test('no answer carried a secret, a token or a CPR number the client did not ask for', () => {
  assert.ok(answered.length > 10);
  assert.ok(tokensSeen.size > 0);
  const secrets = [emu.credentials.privateSector.clientSecret, WRONG_SECRET, ...tokensSeen];
  for (const { asked, text } of answered) {
    for (const secret of secrets) assert.ok(!text.includes(secret), 'a secret or token reached the browser side');
    for (const match of text.matchAll(/(?<!\d)(\d{6})-?(\d{4})(?!\d)/g)) {
      const number = `${match[1]}${match[2]}`;
      assert.ok(asked.has(number), `an unasked full CPR number ${match[1]}-xxxx in an answer`);
    }
  }
});
