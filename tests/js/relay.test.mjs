// datafordeler-cpr/relay against the emulator over real HTTP: the relay served by node:http on
// 127.0.0.1 through nodeHandler, and relay.handle called with fetch API Requests. Every byte a
// caller receives is kept and checked at the end for secrets, tokens and other callers' numbers;
// every audit event is checked for names, secrets and full numbers.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { CprClient, CprError } from 'datafordeler-cpr';
import { createRelay } from 'datafordeler-cpr/relay';
import fc from 'fast-check';
import { startEmulator } from '../emulator/server.mjs';
import { SECRET, hostile, materialize } from '../fuzz/hostile.mjs';

const ERP_ORIGIN = 'http://erp.example.test';
const AUDIT_KEY = 'relay-test-audit-key-0123456789';
const WRONG_SECRET = 'wrong-relay-secret-4f1c9a77e2';
const FAST = { retryBaseDelayMs: 5, retryMaxDelayMs: 20, timeoutMs: 10000 };
const CALLERS = { 'Bearer erp-session-alice': 'alice', 'Bearer erp-session-bob': 'bob' };
const ALICE = { authorization: 'Bearer erp-session-alice' };
const JSON_ALICE = { ...ALICE, 'content-type': 'application/json' };

let emu;
const servers = [];
const relays = [];
/** Everything callers received: { asked: Set of normalized numbers, text: status + headers + body }. */
const received = [];
const auditEvents = [];
/** Bearer tokens the relays' transport sent to the emulator (the spy below). */
const tokensSeen = new Set();

before(async () => { emu = await startEmulator({ port: 0, httpsPort: 0 }); });
after(async () => {
  await Promise.all(relays.map((relay) => relay.close({ graceMs: 0 })));
  await Promise.all(servers.map((server) => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); })));
  await emu?.stop();
});
beforeEach(() => { emu.reset(); emu.clearLog(); });

function setup(overrides = {}) {
  const { clientId, clientSecret } = emu.credentials.privateSector;
  return {
    enabled: true, environment: emu.environment, sectorType: 'private', authMethod: 'sharedSecret', clientId, clientSecret,
    endpoints: { graphqlBaseUrl: emu.urls.graphqlBaseUrl, sharedSecretTokenUrl: emu.urls.tokenUrl, certificateTokenUrl: emu.urls.certificateTokenUrl },
    ...overrides,
  };
}

/** The relay's transport: the platform fetch, noting each bearer token so the final scan can look for it. */
async function spyFetch(request) {
  const auth = request.headers.Authorization ?? request.headers.authorization;
  if (auth) tokensSeen.add(auth.replace(/^Bearer\s+/i, ''));
  return fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal: request.signal, redirect: 'manual' });
}

/** A relay under /cpr-relay, served on 127.0.0.1; returns it with its base URL. */
async function startRelay(options = {}) {
  const relay = createRelay({
    setup: setup(),
    fetch: spyFetch,
    authorize: (request) => CALLERS[request.headers.get('authorization')] ?? null,
    allowedOrigins: [ERP_ORIGIN],
    audit: (event) => { auditEvents.push(event); },
    auditKey: AUDIT_KEY,
    basePath: '/cpr-relay',
    clientOptions: FAST,
    ...options,
  });
  relays.push(relay);
  const server = createServer(relay.nodeHandler);
  servers.push(server);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { relay, base: `http://127.0.0.1:${server.address().port}/cpr-relay` };
}

const normalize = (cpr) => cpr.replace(/\D/g, '');

/** A caller's request over HTTP; keeps every byte of the answer for the final scan. */
async function call(url, { asked = [], ...init } = {}) {
  const response = await fetch(url, init);
  return keep(response, asked);
}

async function keep(response, asked = []) {
  const text = await response.text();
  const headers = Object.fromEntries(response.headers);
  received.push({ asked: new Set(asked.map(normalize)), text: `${response.status}\n${JSON.stringify(headers)}\n${text}` });
  let body = text;
  if (/json/.test(headers['content-type'] ?? '')) body = JSON.parse(text);
  return { status: response.status, headers, body, text };
}

function lookupInit(cprNumbers, headers = JSON_ALICE) {
  return { method: 'POST', headers, body: JSON.stringify({ cprNumbers }), asked: cprNumbers };
}

function assertProblem(answer, status, code) {
  assert.equal(answer.status, status, answer.text);
  assert.match(answer.headers['content-type'], /^application\/problem\+json/);
  assert.equal(answer.body.code, code);
  assert.equal(answer.body.status, status);
  assert.equal(typeof answer.body.title, 'string');
  assert.equal(typeof answer.body.detail, 'string');
  assert.equal(answer.body.type, `urn:datafordeler-cpr:relay:${code}`);
  assert.equal(answer.headers['cache-control'], 'no-store');
}

const count = (purpose) => emu.log.filter((e) => e.purpose === purpose).length;

test('a lookup of an ordinary person, a protected person and a number CPR does not know', async () => {
  const { base } = await startRelay();
  const answer = await call(`${base}/lookup`, lookupInit(['070761-0123', '0204882126', '1203750000']));
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.headers['cache-control'], 'no-store');
  const [ordinary, protectedOne, missing] = answer.body.results;
  assert.deepEqual(answer.body.results.map((r) => [r.index, r.ok]), [[0, true], [1, true], [2, true]]);
  assert.equal(ordinary.value.person.cpr, '0707610123');
  assert.equal(ordinary.value.person.name.addressing, 'Jens Peter Testesen');
  assert.deepEqual(ordinary.value.person.address.lines, ['Prøvevej 12, 2. tv', '2100 København Ø']);
  assert.equal(protectedOne.value.person.nameWithheld, true);
  assert.equal(protectedOne.value.person.name, undefined);
  assert.deepEqual(protectedOne.value.notifications.map((n) => n.code), ['name_withheld', 'address_withheld']);
  assert.equal(missing.value.person, undefined);
  assert.deepEqual(missing.value.notifications.map((n) => n.code), ['person_not_found']);
  for (const result of answer.body.results) {
    assert.ok(!('merge' in result.value) && !('debug' in result.value), 'the ERP record and debug captures never travel');
  }
  assert.equal(count('token'), 1);
  assert.ok(count('graphql') >= 1);

  const event = auditEvents.at(-1);
  assert.equal(event.operation, 'lookup');
  assert.equal(event.principal, 'alice');
  assert.equal(event.status, 200);
  assert.equal(event.upstreamStatus, 200);
  assert.deepEqual(event.cprNumbers.map((n) => [n.masked, n.outcome]),
    [['070761-xxxx', 'ok'], ['020488-xxxx', 'ok'], ['120375-xxxx', 'person_not_found']]);
  const hmac = (n) => createHmac('sha256', AUDIT_KEY).update(n).digest('hex');
  assert.deepEqual(event.cprNumbers.map((n) => n.hmac), [hmac('0707610123'), hmac('0204882126'), hmac('1203750000')]);
  assert.equal(typeof event.durationMs, 'number');
  assert.ok(!Number.isNaN(Date.parse(event.time)));
});

test('handle() answers a fetch API Request the same way, and an invalid number is that item\'s error', async () => {
  const { relay } = await startRelay();
  const response = await relay.handle(new Request('http://relay.test/cpr-relay/lookup', {
    method: 'POST', headers: { ...JSON_ALICE, origin: ERP_ORIGIN }, body: JSON.stringify({ cprNumbers: ['1203750168', '12345'] }),
  }));
  const answer = await keep(response, ['1203750168', '12345']);
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.headers['access-control-allow-origin'], ERP_ORIGIN);
  assert.equal(answer.headers['access-control-allow-credentials'], 'true');
  assert.match(answer.headers.vary, /Origin/);
  assert.equal(answer.body.results[0].value.person.name.addressing, 'Karen Margrethe Eksempel');
  assert.deepEqual([answer.body.results[1].ok, answer.body.results[1].error.code], [false, 'invalid_cpr_number']);
  assert.equal(answer.body.results[1].error.diagnosis.code, 'invalid_cpr_number');
  assert.equal(auditEvents.at(-1).outcome, 'partial');
});

test('with CPR Debug Mode on, no debug capture leaves the relay', async () => {
  const { base } = await startRelay({ setup: setup({ debugMode: true }) });
  const answer = await call(`${base}/lookup`, lookupInit(['0707610123', '123']));
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(Object.keys(answer.body.results[0].value).sort(), ['notifications', 'person']);
  assert.deepEqual(Object.keys(answer.body.results[1].error).sort(), ['code', 'diagnosis', 'message']);
  const wrong = await startRelay({ setup: setup({ debugMode: true, clientSecret: WRONG_SECRET }) });
  const failed = await call(`${wrong.base}/schema`, { headers: ALICE });
  assertProblem(failed, 502, 'token_invalid_client');
  for (const text of [answer.text, failed.text]) assert.doesNotMatch(text, /exchanges|"debug"|"request"|"response"/);
});

test('test-connection, schema and endpoints', async () => {
  const { base } = await startRelay();
  const report = await call(`${base}/test-connection`, { method: 'POST', headers: ALICE });
  assert.equal(report.status, 200, report.text);
  assert.equal(report.body.ok, true);
  assert.deepEqual(report.body.steps.map((s) => s.status), ['passed', 'passed', 'passed', 'passed', 'passed']);
  const withEmptyObject = await call(`${base}/test-connection`, { method: 'POST', headers: JSON_ALICE, body: '{}' });
  assert.equal(withEmptyObject.body.ok, true);
  const viaDefaultTransport = await startRelay({ fetch: undefined });
  const defaultReport = await call(`${viaDefaultTransport.base}/test-connection`, { method: 'POST', headers: ALICE });
  assert.equal(defaultReport.body.ok, true, defaultReport.text);
  // A relay holds one client, which negotiated once: v3 answered, and two connection tests
  // through the first relay fetched its schema once (one more for the second relay).
  assert.equal(report.body.apiVersion, 'v3');
  assert.match(report.body.steps[1].message, /answered by v3\.$/);
  assert.equal(count('schema'), 2);

  const schema = await call(`${base}/schema`, { headers: ALICE });
  assert.equal(schema.status, 200);
  assert.equal(schema.headers['content-type'], 'text/plain; charset=utf-8');
  assert.match(schema.body, /CPRCustom_PrivateSectorPerson/);
  assert.ok(count('schema') >= 1);

  const endpoints = await call(`${base}/endpoints`, { headers: ALICE });
  assert.equal(endpoints.status, 200);
  assert.deepEqual(endpoints.body, new CprClient(setup()).endpoints);
  assert.equal(endpoints.body.graphqlUrl, `${emu.urls.graphqlBaseUrl}/CPR/custom/PrivateSector/v3`);
  assert.equal(endpoints.body.negotiate, true);
  assert.ok(!endpoints.text.includes(emu.credentials.privateSector.clientSecret));
});

test('health says whether the last token request succeeded', async () => {
  const { base } = await startRelay();
  const initial = await call(`${base}/health`, { headers: ALICE });
  assert.deepEqual(initial.body, { ok: true, lastToken: 'none' });
  await call(`${base}/lookup`, lookupInit(['0707610123']));
  assert.deepEqual((await call(`${base}/health`, { headers: ALICE })).body, { ok: true, lastToken: 'succeeded' });

  // This relay uses its default transport (the platform fetch) rather than the spy.
  const wrong = await startRelay({ setup: setup({ clientSecret: WRONG_SECRET }), fetch: undefined });
  await call(`${wrong.base}/lookup`, lookupInit(['0707610123']));
  assert.deepEqual((await call(`${wrong.base}/health`, { headers: ALICE })).body, { ok: false, lastToken: 'failed' });
  assertProblem(await call(`${base}/health`), 401, 'unauthorized');
});

test('callers without a valid credential get 401; a throwing authorize is a 500 that does not repeat the exception', async () => {
  const { base } = await startRelay();
  assertProblem(await call(`${base}/lookup`, lookupInit(['0707610123'], { 'content-type': 'application/json' })), 401, 'unauthorized');
  assertProblem(await call(`${base}/lookup`, lookupInit(['0707610123'], { authorization: 'Bearer forged', 'content-type': 'application/json' })), 401, 'unauthorized');
  assertProblem(await call(`${base}/nowhere`), 401, 'unauthorized');

  const throwing = await startRelay({ authorize: () => { throw new Error('session store down: key=hunter2-session-secret'); } });
  const answer = await call(`${throwing.base}/lookup`, lookupInit(['0707610123']));
  assertProblem(answer, 500, 'authorize_failed');
  assert.ok(!answer.text.includes('hunter2') && !answer.text.includes('session store'));
  assert.equal(emu.log.length, 0, 'nothing reached Datafordeleren');
  assert.equal(auditEvents.at(-1).outcome, 'authorize_failed');
});

test('CORS: only listed origins get a grant; preflights are answered for them', async () => {
  const { base } = await startRelay();
  const other = await call(`${base}/lookup`, lookupInit(['0707610123'], { ...JSON_ALICE, origin: 'https://evil.example' }));
  assertProblem(other, 403, 'origin_not_allowed');
  assert.equal(other.headers['access-control-allow-origin'], undefined);
  assert.equal(other.headers['access-control-allow-credentials'], undefined);
  assert.equal(count('graphql') + count('token'), 0);

  const preflight = await call(`${base}/lookup`, {
    method: 'OPTIONS', headers: { origin: ERP_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers['access-control-allow-origin'], ERP_ORIGIN);
  assert.equal(preflight.headers['access-control-allow-credentials'], 'true');
  assert.match(preflight.headers['access-control-allow-methods'], /POST/);
  assert.match(preflight.headers['access-control-allow-headers'], /authorization/);
  assert.match(preflight.headers['access-control-allow-headers'], /content-type/);
  assert.match(preflight.headers.vary, /Origin/);

  const evilPreflight = await call(`${base}/lookup`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
  assertProblem(evilPreflight, 403, 'origin_not_allowed');
  assert.equal(evilPreflight.headers['access-control-allow-origin'], undefined);

  const allowed = await call(`${base}/health`, { headers: { ...ALICE, origin: ERP_ORIGIN } });
  assert.equal(allowed.headers['access-control-allow-origin'], ERP_ORIGIN);
  assert.match(allowed.headers['access-control-expose-headers'], /Retry-After/);
  const noOrigin = await call(`${base}/health`, { headers: ALICE });
  assert.equal(noOrigin.headers['access-control-allow-origin'], undefined);
});

test('a body naming a URL, a header, a token or a query is refused and nothing is forwarded', async () => {
  const { base } = await startRelay();
  const attempts = {
    url: 'https://attacker.example/collect',
    headers: { Authorization: 'Bearer stolen' },
    token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl',
    query: '{ CPRCustom_PrivateSectorPerson(input: {}) { nodes { navne { fornavne } } } }',
    graphqlUrl: 'http://127.0.0.1:1/',
  };
  for (const [key, value] of Object.entries(attempts)) {
    const answer = await call(`${base}/lookup`, { method: 'POST', headers: JSON_ALICE, body: JSON.stringify({ cprNumbers: ['0707610123'], [key]: value }), asked: ['0707610123'] });
    assertProblem(answer, 400, 'invalid_request');
    assert.ok(answer.body.detail.includes(`\`${key}\``), answer.body.detail);
  }
  assertProblem(await call(`${base}/test-connection`, { method: 'POST', headers: JSON_ALICE, body: JSON.stringify({ url: attempts.url }) }), 400, 'invalid_request');
  assertProblem(await call(`${base}/lookup?url=${encodeURIComponent(attempts.url)}`, lookupInit(['0707610123'])), 400, 'invalid_request');
  assertProblem(await call(`${base}/lookup`, { method: 'POST', headers: { ...ALICE, 'content-type': 'text/plain' }, body: JSON.stringify({ cprNumbers: ['0707610123'] }) }), 415, 'unsupported_media_type');
  assertProblem(await call(`${base}/lookup`, { method: 'POST', headers: JSON_ALICE, body: '{"cprNumbers": [' }), 400, 'invalid_request');
  assertProblem(await call(`${base}/lookup`, { method: 'POST', headers: JSON_ALICE, body: JSON.stringify({ cprNumbers: [707610123] }) }), 400, 'invalid_request');
  assertProblem(await call(`${base}/lookup`, { method: 'POST', headers: JSON_ALICE, body: JSON.stringify({ cprNumbers: [] }) }), 400, 'invalid_request');
  assert.deepEqual(emu.log, [], 'the emulator saw no request at all');
});

test('an oversized batch and an oversized body are refused before anything is sent', async () => {
  const { base } = await startRelay({ limits: { maxBatch: 3 }, maxBodyBytes: 1024 });
  const four = ['0707610123', '1203750168', '2311054123', '3009609198'];
  assertProblem(await call(`${base}/lookup`, lookupInit(four)), 400, 'batch_too_large');
  const big = await call(`${base}/lookup`, { method: 'POST', headers: JSON_ALICE, body: JSON.stringify({ cprNumbers: ['0707610123'], pad: 'x'.repeat(4096) }) });
  assertProblem(big, 413, 'body_too_large');

  // A body without Content-Length (streamed) is cut off as soon as it passes the limit.
  const { relay } = await startRelay({ maxBodyBytes: 1024 });
  let pulled = 0;
  const endless = new ReadableStream({ pull(controller) { pulled += 1; controller.enqueue(new TextEncoder().encode(' '.repeat(512))); } });
  const response = await relay.handle(new Request('http://relay.test/cpr-relay/lookup', { method: 'POST', headers: JSON_ALICE, body: endless, duplex: 'half' }));
  assertProblem(await keep(response), 413, 'body_too_large');
  assert.ok(pulled <= 4, `read ${pulled} chunks of an endless body`);
  assert.deepEqual(emu.log, []);
});

test('a principal over its rate gets 429 with Retry-After; other principals are not affected', async () => {
  let clock = 1_000_000;
  const { base } = await startRelay({ limits: { lookupsPerMinute: 3 }, now: () => clock });
  assert.equal((await call(`${base}/lookup`, lookupInit(['0707610123', '1203750168']))).status, 200);
  clock += 10_000;
  assert.equal((await call(`${base}/lookup`, lookupInit(['2311054123']))).status, 200);
  const limited = await call(`${base}/lookup`, lookupInit(['3009609198']));
  assertProblem(limited, 429, 'rate_limited');
  assert.equal(limited.headers['retry-after'], '50', 'the first two lookups leave the window 60 s after they were made');
  assert.equal(auditEvents.at(-1).outcome, 'rate_limited');
  assert.equal(auditEvents.at(-1).cprNumbers[0].outcome, 'rate_limited');

  const bob = { authorization: 'Bearer erp-session-bob', 'content-type': 'application/json' };
  assert.equal((await call(`${base}/lookup`, lookupInit(['3009609198'], bob))).status, 200);
  clock += 50_000;
  assert.equal((await call(`${base}/lookup`, lookupInit(['3009609198']))).status, 200);
  assert.throws(() => createRelay({ setup: setup(), authorize: () => 'x', allowedOrigins: [], audit() {}, limits: { lookupsPerMinute: 10, maxBatch: 20 } }), { name: 'CprError', code: 'invalid_options' });
});

test('unknown routes and methods', async () => {
  const { base } = await startRelay();
  assertProblem(await call(`${base}/graphql`, { method: 'POST', headers: JSON_ALICE, body: '{}' }), 404, 'not_found');
  assertProblem(await call(`${base.replace('/cpr-relay', '')}/lookup`, lookupInit(['0707610123'])), 404, 'not_found');
  assertProblem(await call(`${base}/`, { headers: ALICE }), 404, 'not_found');
  const getLookup = await call(`${base}/lookup`, { headers: ALICE });
  assertProblem(getLookup, 405, 'method_not_allowed');
  assert.equal(getLookup.headers.allow, 'POST');
  assertProblem(await call(`${base}/schema`, { method: 'DELETE', headers: ALICE }), 405, 'method_not_allowed');
  assertProblem(await call(`${base}/health`, { method: 'PUT', headers: ALICE, body: '{}' }), 405, 'method_not_allowed');
  assert.deepEqual(emu.log, []);
});

test('a relay whose secret is wrong answers with the library code and diagnosis, never the secret', async () => {
  const { base } = await startRelay({ setup: setup({ clientSecret: WRONG_SECRET }) });
  const answer = await call(`${base}/lookup`, lookupInit(['0707610123', '1203750168']));
  assertProblem(answer, 502, 'token_invalid_client');
  assert.equal(answer.body.diagnosis.code, 'token_invalid_client');
  assert.ok(answer.body.diagnosis.settings.includes('clientSecret'));
  assert.equal(answer.body.diagnosis.status, 401);
  assert.ok(!answer.text.includes(WRONG_SECRET));
  assert.equal(auditEvents.at(-1).upstreamStatus, 401);

  const schema = await call(`${base}/schema`, { headers: ALICE });
  assertProblem(schema, 502, 'token_invalid_client');
  const report = await call(`${base}/test-connection`, { method: 'POST', headers: ALICE });
  assert.equal(report.status, 200);
  assert.equal(report.body.ok, false);
  assert.equal(report.body.steps.find((s) => s.status === 'failed').diagnosis.code, 'token_invalid_client');
});

test('a setup given as JSON text works, and its secret is still kept from callers', async () => {
  const { base } = await startRelay({ setup: JSON.stringify(setup({ clientSecret: WRONG_SECRET })) });
  const answer = await call(`${base}/lookup`, lookupInit(['0707610123']));
  assertProblem(answer, 502, 'token_invalid_client');
  assert.ok(!answer.text.includes(WRONG_SECRET));
});

test('the setup is validated when the relay is created', () => {
  const base = { authorize: () => 'x', allowedOrigins: [], audit() {} };
  assert.throws(() => createRelay({ ...base, setup: setup({ clientSecret: 42 }) }), { name: 'CprError', code: 'wrong_type', field: 'clientSecret' });
  assert.throws(() => createRelay({ ...base, setup: setup({ enabled: false }) }), { name: 'CprError', code: 'integration_disabled' });
  assert.throws(() => createRelay({ ...base, setup: setup(), allowedOrigins: ['*'] }), { name: 'CprError', code: 'invalid_options' });
  assert.throws(() => createRelay({ ...base, setup: setup(), authorize: undefined }), { name: 'CprError', code: 'invalid_options', field: 'authorize' });
  assert.throws(() => createRelay({ ...base, setup: setup(), limts: {} }), { name: 'CprError', code: 'invalid_options' });
  // Client options: the client checks its own keys; the relay keeps its transport, debug output and merging.
  assert.throws(() => createRelay({ ...base, setup: setup(), clientOptions: { timeoutMS: 5 } }), (e) => e.code === 'invalid_options' && e.field === 'clientOptions' && /^clientOptions: unknown field `timeoutMS`/.test(e.message));
  for (const key of ['fetch', 'onDebug', 'debugKeepCprNumbers', 'merge']) {
    assert.throws(() => createRelay({ ...base, setup: setup(), clientOptions: { [key]: undefined } }), { name: 'CprError', code: 'invalid_options', field: `clientOptions.${key}` });
  }
});

test('createRelay given any value for any option throws only a CprError that does not repeat a secret', () => {
  const keys = ['setup', 'fetch', 'authorize', 'allowedOrigins', 'allowedHeaders', 'limits', 'audit', 'auditKey', 'maxBodyBytes', 'basePath', 'clientOptions', 'now', 'unknownOption'];
  const value = fc.oneof(fc.anything(), hostile, fc.constant(SECRET), fc.constant([SECRET]), fc.constant({ clientSecret: SECRET }));
  fc.assert(fc.property(fc.constantFrom(...keys), value, (key, generated) => {
    const options = { setup: setup(), authorize: () => 'x', allowedOrigins: [], audit() {} };
    Object.defineProperty(options, key, { value: materialize(generated), enumerable: true, writable: true, configurable: true });
    let relay;
    try {
      relay = createRelay(options);
    } catch (error) {
      assert.equal(error?.name, 'CprError', String(error));
      assert.ok(error instanceof CprError, 'an instance of the exported CprError');
      assert.equal(typeof error.code, 'string');
      assert.ok(!String(error.message).includes(SECRET), error.message);
      return;
    }
    assert.equal(typeof relay.handle, 'function');
  }), { seed: 20261202, numRuns: 300 });
  assert.throws(() => createRelay(null), { name: 'CprError', code: 'invalid_options' });
});

test('an audit that fails withholds the answer', async () => {
  const { base } = await startRelay({ audit: () => { throw new Error('disk full'); } });
  const answer = await call(`${base}/lookup`, lookupInit(['0707610123']));
  assertProblem(answer, 500, 'audit_failed');
  assert.ok(!answer.text.includes('Testesen'));
});

/** Wait (bounded) until the emulator has received a GraphQL request it has not answered yet. */
async function graphqlInFlight() {
  for (let i = 0; i < 500; i += 1) {
    if (emu.log.some((e) => e.purpose === 'graphql' && e.status === null)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail('the GraphQL request never arrived');
}

test('close() lets an in-flight lookup finish and refuses new requests', async () => {
  const { relay, base } = await startRelay();
  emu.faults.add({ mode: 'delay', purpose: 'graphql', delayMs: 1500 });
  const inFlight = call(`${base}/lookup`, lookupInit(['0707610123']));
  await graphqlInFlight();
  let closed = false;
  const closing = relay.close().then(() => { closed = true; });
  const refused = await call(`${base}/health`, { headers: ALICE });
  assertProblem(refused, 503, 'relay_closing');
  const finished = await inFlight;
  assert.equal(finished.status, 200, finished.text);
  assert.equal(finished.body.results[0].value.person.cpr, '0707610123');
  await closing;
  assert.ok(closed);
  assertProblem(await call(`${base}/lookup`, lookupInit(['0707610123'])), 503, 'relay_closing');
});

test('close() past its grace cancels what is still in flight', async () => {
  const { relay, base } = await startRelay();
  emu.faults.add({ mode: 'delay', purpose: 'graphql', delayMs: 5000 });
  const inFlight = call(`${base}/lookup`, lookupInit(['0707610123']));
  await graphqlInFlight();
  await relay.close({ graceMs: 0 });
  const answer = await inFlight;
  assertProblem(answer, 503, 'cancelled');
});

test('load: 20 callers x 20 lookups through one relay make exactly one token request', async () => {
  const names = {};
  for (let i = 0; i < 20; i += 1) names[`Bearer load-${i}`] = `load-${i}`;
  const { base } = await startRelay({ authorize: (request) => names[request.headers.get('authorization')] ?? null, limits: { concurrency: 8 } });
  // DDMMYY-SSSS with the caller in the day and the item in the month and year: seeded persons (or, for 1000-1002, not found).
  const number = (caller, item) => `${String(caller + 1).padStart(2, '0')}${String((item % 12) + 1).padStart(2, '0')}${70 + Math.floor(item / 12)}${1000 + caller * 20 + item}`;
  const answered = await Promise.all(Array.from({ length: 20 }, async (_, caller) => {
    const headers = { authorization: `Bearer load-${caller}`, 'content-type': 'application/json' };
    const out = [];
    for (let batch = 0; batch < 4; batch += 1) {
      const numbers = Array.from({ length: 5 }, (_, k) => number(caller, batch * 5 + k));
      const answer = await call(`${base}/lookup`, lookupInit(numbers, headers));
      assert.equal(answer.status, 200, answer.text);
      answer.body.results.forEach((result, k) => {
        assert.equal(result.ok, true, JSON.stringify(result));
        if (result.value.person) assert.equal(result.value.person.cpr, numbers[k]);
        out.push(result);
      });
    }
    return out.length;
  }));
  assert.deepEqual(answered, Array(20).fill(20));
  assert.equal(count('token'), 1, 'one token for everyone');
  assert.ok(count('graphql') >= 20);
});

/** The checks on what callers received: no secret, token, JWT, bearer text, or number they did not ask for. */
function scanReceived(records, secrets) {
  for (const { asked, text } of records) {
    for (const secret of secrets) assert.ok(!text.includes(secret), 'a secret or token reached a caller');
    assert.doesNotMatch(text, /eyJ[\w-]{4,}\.[\w-]{4,}/, 'JWT-shaped text reached a caller');
    assert.doesNotMatch(text, /bearer/i);
    for (const match of text.matchAll(/(?<!\d)(\d{6})-?(\d{4})(?!\d)/g)) {
      assert.ok(asked.has(match[1] + match[2]), `a CPR number the caller did not ask for: ${match[1]}-xxxx`);
    }
  }
}

test('every byte callers received: no secret, no token, no other caller\'s CPR number', () => {
  assert.ok(received.length > 50, `${received.length} answers kept`);
  assert.ok(tokensSeen.size >= 1, 'the spy saw the relay\'s tokens');
  const secrets = [
    emu.credentials.privateSector.clientSecret, emu.credentials.publicSector.clientSecret,
    emu.credentials.certificate.passphrase, WRONG_SECRET, ...tokensSeen,
  ];
  scanReceived(received, secrets);
  // The scan itself catches each kind of leak.
  const token = [...tokensSeen][0];
  for (const text of [`x${emu.credentials.privateSector.clientSecret}x`, `{"t":"${token}"}`, 'Bearer abc', '{"cpr":"0707610123"}', 'see 070761-0123']) {
    assert.throws(() => scanReceived([{ asked: new Set(['1203750168']), text }], secrets), { name: 'AssertionError' }, text.slice(0, 12));
  }
});

test('audit events hold no name, secret or full CPR number, and every lookup number has its HMAC', () => {
  assert.ok(auditEvents.length > 50);
  const text = JSON.stringify(auditEvents, (key, value) => (key === 'hmac' ? '(hmac)' : value));
  for (const secret of [emu.credentials.privateSector.clientSecret, WRONG_SECRET, ...tokensSeen]) assert.ok(!text.includes(secret));
  for (const name of ['Jens Peter', 'Testesen', 'Karen Margrethe', 'Prøvevej', 'hunter2']) assert.ok(!text.includes(name), name);
  assert.doesNotMatch(text, /(?<!\d)\d{6}-?\d{4}(?!\d)/, 'a full CPR number in the audit trail');
  assert.doesNotMatch(text, /eyJ[\w-]{4,}\.[\w-]{4,}/);
  const lookups = auditEvents.filter((e) => e.operation === 'lookup' && e.cprNumbers);
  assert.ok(lookups.length > 20);
  for (const event of lookups) for (const n of event.cprNumbers) assert.match(n.hmac, /^[0-9a-f]{64}$/);
  for (const event of auditEvents) {
    assert.deepEqual(Object.keys(event).filter((k) => !['time', 'principal', 'operation', 'outcome', 'status', 'durationMs', 'upstreamStatus', 'cprNumbers'].includes(k)), []);
  }
});
