// CprClient in Node against the emulator over real HTTP(S): tokens, the certificate method
// with mutual TLS, the connection test, schema fetch, faults and retries, cancellation.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CprClient } from 'datafordeler-cpr';
import { createCertificateFetch, writeDebugCaptures } from 'datafordeler-cpr/node';
import { startEmulator } from '../emulator/server.mjs';

let emu;
before(async () => { emu = await startEmulator({ port: 0, httpsPort: 0 }); });
after(async () => { await emu?.stop(); });
beforeEach(() => { emu.reset(); emu.clearLog(); });

const FAST = { retryBaseDelayMs: 5, retryMaxDelayMs: 20, timeoutMs: 5000 };

function setup(overrides = {}) {
  const { clientId, clientSecret } = emu.credentials.privateSector;
  return {
    enabled: true,
    environment: emu.environment,
    sectorType: 'private',
    authMethod: 'sharedSecret',
    clientId,
    clientSecret,
    endpoints: {
      graphqlBaseUrl: emu.urls.graphqlBaseUrl,
      sharedSecretTokenUrl: emu.urls.tokenUrl,
      certificateTokenUrl: emu.urls.certificateTokenUrl,
    },
    ...overrides,
  };
}

const count = (purpose) => emu.log.filter((e) => e.purpose === purpose).length;
const statuses = (report) => report.steps.map((s) => [s.step, s.status]);

test('testConnection passes every step with a shared secret', async () => {
  const report = await new CprClient(setup(), FAST).testConnection();
  assert.equal(report.ok, true, JSON.stringify(report));
  assert.deepEqual(statuses(report).map(([, s]) => s), ['passed', 'passed', 'passed', 'passed', 'passed']);
  assert.equal(count('token'), 1);
  assert.equal(count('graphql'), 1);
});

test('a wrong secret fails the token step with the 401 diagnosis and its fix', async () => {
  const report = await new CprClient(setup({ clientSecret: 'wrong-secret-value' }), FAST).testConnection();
  assert.equal(report.ok, false);
  const token = report.steps.find((s) => s.step === 'tokenObtained');
  assert.equal(token.status, 'failed');
  assert.equal(token.diagnosis.code, 'token_invalid_client');
  assert.match(token.diagnosis.solution, /Client ID and the secret/);
  assert.ok(token.diagnosis.settings.includes('clientSecret'));
  assert.deepEqual(report.steps.slice(3).map((s) => s.status), ['skipped', 'skipped']);
  assert.equal(count('token'), 1, 'a rejected secret is not retried');
});

test('the wrong sector is reported as an entitlement failure', async () => {
  const report = await new CprClient(setup({ sectorType: 'public' }), FAST).testConnection();
  const last = report.steps.at(-1);
  assert.deepEqual([last.step, last.status, last.diagnosis.code], ['entityAuthorised', 'failed', 'not_entitled']);
  assert.ok(last.diagnosis.settings.includes('sectorType'));
});

test('a caller off the allowlist gets the allowlist diagnosis after a few tries (a change takes minutes to apply)', async () => {
  emu.setAllowlist(['10.99.99.99']);
  const report = await new CprClient(setup(), { ...FAST, maxAttempts: 3 }).testConnection();
  const step = report.steps.find((s) => s.status === 'failed');
  assert.equal(step.diagnosis.code, 'ip_not_allowlisted');
  assert.match(step.diagnosis.solution, /IPv4/);
  assert.match(step.diagnosis.cause, /some minutes to apply/);
  // The first data request is the schema download (the version probe): refused the same way,
  // tried three times, and not hidden behind the bundled model.
  assert.equal(count('schema'), 3);
  assert.equal(count('graphql'), 0);
});

test('connection refused is diagnosed from the transport error', async () => {
  const s = setup();
  s.endpoints.sharedSecretTokenUrl = `${emu.urls.closedPortUrl}/token`;
  const report = await new CprClient(s, { ...FAST, maxAttempts: 1 }).testConnection();
  assert.equal(report.steps.find((x) => x.step === 'tokenObtained').diagnosis.code, 'connection_refused');
});

test('the certificate method: mutual TLS with the PFX, client_id only in the form', async () => {
  const cert = emu.credentials.certificate;
  const fetch = createCertificateFetch({ pfx: cert.pfx, passphrase: cert.passphrase, ca: cert.caPem });
  const s = setup({ authMethod: 'certificate', clientId: cert.clientId, clientSecret: undefined, certificate: new Uint8Array(cert.pfx), certificatePassword: cert.passphrase });
  const report = await new CprClient(s, { fetch, ...FAST }).testConnection();
  assert.equal(report.ok, true, JSON.stringify(report.steps));
  const tokenCalls = emu.log.filter((e) => e.purpose === 'certificateToken');
  assert.equal(tokenCalls.length, 1);
  assert.equal(tokenCalls[0].status, 200);
  assert.ok(!(tokenCalls[0].formFields ?? []).includes('client_secret'));
});

test('the certificate method: wrong passphrase and untrusted certificates are refused clearly', async () => {
  const cert = emu.credentials.certificate;
  assert.throws(() => createCertificateFetch({ pfx: cert.pfx, passphrase: 'not-the-password', ca: cert.caPem }), { code: 'certificate_unreadable' });
  const untrusted = emu.credentials.untrustedCertificate;
  const fetch = createCertificateFetch({ pfx: untrusted.pfx, passphrase: untrusted.passphrase, ca: cert.caPem });
  const s = setup({ authMethod: 'certificate', clientId: cert.clientId, clientSecret: undefined, certificate: new Uint8Array(cert.pfx), certificatePassword: cert.passphrase });
  const report = await new CprClient(s, { fetch, ...FAST, maxAttempts: 1 }).testConnection();
  const step = report.steps.find((x) => x.step === 'tokenObtained');
  assert.equal(step.status, 'failed');
  assert.ok(['certificate_rejected', 'connection_reset'].includes(step.diagnosis.code), step.diagnosis.code);
});

test('fetchSchema returns the SDL and checkSchema reports on it', async () => {
  const client = new CprClient(setup(), FAST);
  const sdl = await client.fetchSchema();
  assert.match(sdl, /CPRCustom_PrivateSectorPerson/);
  assert.equal(count('schema'), 1);
  const drift = await client.checkSchema();
  assert.equal(count('schema'), 1, 'checkSchema reuses the fetched schema');
  assert.equal(typeof drift, 'object');
  assert.ok(Array.isArray(drift.issues ?? drift.missing ?? []));
});

test('retryable faults are retried with backoff; client errors are not', async () => {
  const client = new CprClient(setup(), FAST);
  emu.faults.add({ mode: 'http503', purpose: 'graphql', retryAfter: 0 });
  emu.faults.add({ mode: 'ipNotVerified', purpose: 'graphql' });
  emu.faults.add({ mode: 'connectionReset', purpose: 'graphql' });
  const report = await client.testConnection();
  assert.equal(report.ok, true, JSON.stringify(report.steps));
  assert.equal(count('graphql'), 4);

  emu.clearLog();
  emu.faults.add({ mode: 'http500', purpose: 'graphql', count: null });
  const failing = await client.testConnection();
  assert.equal(failing.steps.find((s) => s.status === 'failed').diagnosis.code, 'server_error');
  assert.equal(count('graphql'), 4, 'stops at maxAttempts');
  emu.faults.clear();

  emu.clearLog();
  emu.faults.add({ mode: 'http403', purpose: 'graphql' });
  const forbidden = await client.testConnection();
  assert.equal(forbidden.steps.find((s) => s.status === 'failed').diagnosis.code, 'not_entitled');
  assert.equal(count('graphql'), 1);
});

test('an expired or revoked token is replaced once', async () => {
  const client = new CprClient(setup(), FAST);
  assert.equal((await client.testConnection()).ok, true);
  emu.revokeTokens();
  assert.equal((await client.testConnection()).ok, true);
  assert.equal(count('token'), 2);
});

test('cancellation rejects with code cancelled and aborts the request in flight', async () => {
  const client = new CprClient(setup(), FAST);
  emu.faults.add({ mode: 'delay', purpose: 'graphql', delayMs: 5000 });
  const controller = new AbortController();
  const pending = client.testConnection({ signal: controller.signal });
  setTimeout(() => controller.abort('user clicked cancel'), 50);
  const report = await pending;
  const failed = report.steps.find((s) => s.status === 'failed');
  assert.equal(failed.diagnosis.code, 'cancelled');
  await assert.rejects(client.fetchSchema({ signal: AbortSignal.abort() }), { code: 'cancelled' });
});

test('a per-request timeout is diagnosed and retried', async () => {
  const client = new CprClient(setup(), { ...FAST, timeoutMs: 100, maxAttempts: 2 });
  emu.faults.add({ mode: 'delay', purpose: 'schema', delayMs: 2000, count: 2 });
  await assert.rejects(client.fetchSchema(), (e) => e.code === 'timeout' && e.diagnosis.retryable === true);
  assert.equal(count('schema'), 2);
});

test('legacy mode refuses every operation with the explanation', async () => {
  const client = new CprClient(setup({ legacyMode: true }), FAST);
  await assert.rejects(client.testConnection(), (e) => e.code === 'legacy_mode_on' && /Turn off CPR Legacy Mode/.test(e.message));
  assert.equal(emu.log.length, 0);
});

test('bad constructor arguments throw coded errors', () => {
  assert.throws(() => new CprClient(null), { code: 'setup_not_object' });
  assert.throws(() => new CprClient(setup({ clientId: 42 })), { code: 'wrong_type' });
  assert.throws(() => new CprClient(setup(), { fetch: 'not a function' }), { code: 'invalid_host' });
  assert.throws(() => new CprClient(setup(), { timeoutMs: 'soon' }), { code: 'invalid_options' });
});

test('options objects: host functions and client options in one; a key an operation does not declare is refused', async () => {
  const seen = [];
  const client = new CprClient(setup(), { fetch: (request) => { seen.push(request.purpose); return globalThis.fetch(request.url, request).then((r) => r); }, ...FAST });
  const outcome = await client.lookup('0707610123', { existing: { name: 'Old' } });
  assert.ok(seen.includes('token') && seen.includes('graphql'), 'the options object\'s fetch carried the requests');
  assert.ok(outcome.merge.changes.some((c) => c.field === 'name'));
  // The old positional form (a record where the options go) is an error, not a silent no-op.
  await assert.rejects(client.lookup('0707610123', { Name: 'Old' }), (e) => e.code === 'invalid_options' && /^options: unknown field `Name`, expected one of `existing`, `signal`/.test(e.message));
  await assert.rejects(client.lookupMany(['0707610123'], { concurency: 2 }), (e) => e.code === 'invalid_options' && /unknown field `concurency`/.test(e.message));
  await assert.rejects(client.testConnection({ sigal: null }), (e) => e.code === 'invalid_options');
  await assert.rejects(client.lookup('0707610123', 'x'), (e) => e.code === 'invalid_options' && e.message === 'options must be an object.');
  assert.throws(() => new CprClient(setup(), { fetch: () => {}, timeoutMS: 5 }), (e) => e.code === 'invalid_options' && /^options: unknown field `timeoutMS`/.test(e.message));
  // lookupMany's results say which they are with `ok`.
  const results = await client.lookupMany(['0707610123', '3102901235']);
  assert.deepEqual(results.map((r) => [r.index, r.ok, 'value' in r, 'error' in r]), [[0, true, true, false], [1, false, false, true]]);
});

test('debug mode writes redacted captures through host.onDebug', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cpr-debug-'));
  try {
    const s = setup({ debugMode: true });
    const client = new CprClient(s, { onDebug: writeDebugCaptures(dir), ...FAST });
    await client.testConnection();
    await client.fetchSchema();
    const files = readdirSync(dir);
    assert.equal(files.length, 2);
    const text = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    assert.ok(!text.includes(s.clientSecret), 'the secret never appears');
    assert.ok(!/Bearer (?!\[REDACTED\])/.test(text), 'bearer tokens are redacted');
    assert.ok(!/"access_token"\s*:\s*"(?!\[REDACTED\])/.test(text), 'token responses are redacted');
    const capture = JSON.parse(readFileSync(join(dir, files.find((f) => f.includes('testConnection'))), 'utf8'));
    assert.ok(capture.exchanges.some((e) => e.purpose === 'token'));
    assert.equal(capture.request.url, `${emu.urls.origin}/CPR/custom/PrivateSector/v3`);
    assert.equal(capture.apiVersion, 'v3', 'the capture says which version answered');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a relay host: every request goes to the host, which adds credentials server-side', async () => {
  // The browser-side setup holds no secret; the relay (here in-process) adds it.
  const { clientSecret } = emu.credentials.privateSector;
  const seen = [];
  const relayFetch = async (request) => {
    seen.push(request.purpose);
    let body = request.body;
    if (request.purpose === 'token') body = `${body}&client_secret=${encodeURIComponent(clientSecret)}`.replace(/client_secret=relay-adds-it&?/, '');
    const response = await fetch(request.url, { method: request.method, headers: request.headers, body, signal: request.signal });
    return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
  };
  const report = await new CprClient(setup({ clientSecret: 'relay-adds-it' }), { fetch: relayFetch, ...FAST }).testConnection();
  assert.equal(report.ok, true, JSON.stringify(report.steps));
  // The schema download comes first (the live schema, also the version probe).
  assert.deepEqual(seen, ['token', 'schema', 'graphql']);
});

test('lookup: an ordinary person, merged into an existing record', async () => {
  const client = new CprClient(setup(), FAST);
  const existing = { name: 'J. P. Testesen', address: 'Gammel Vej 1', address2: '', postCode: '9999', city: 'Nowhere', customerNo: 'C-1' };
  const outcome = await client.lookup('070761-0123', { existing: existing });
  assert.equal(outcome.person.cpr, '0707610123');
  assert.equal(outcome.merge.record.customerNo, 'C-1');
  assert.match(outcome.merge.record.address, /\d+, 2\. tv$/);
  assert.ok(outcome.merge.changes.some((c) => c.field === 'address' && c.before === 'Gammel Vej 1'));
  // Merging the result again changes nothing.
  const again = await client.lookup('0707610123', { existing: outcome.merge.record });
  assert.deepEqual(again.merge.changes, []);
  const graphql = emu.log.filter((e) => e.purpose === 'graphql');
  assert.equal(graphql.length, 2);
  assert.equal(count('token'), 1);
});

test('lookup: a protected person keeps the existing name and address, with a notification', async () => {
  const client = new CprClient(setup(), FAST);
  const existing = { name: 'Existing Name', address: 'Existing Street 1', postCode: '8000', city: 'Aarhus C' };
  const outcome = await client.lookup('0204882126', { existing: existing });
  for (const field of ['name', 'address', 'postCode', 'city']) assert.equal(outcome.merge.record[field], existing[field]);
  assert.ok(outcome.notifications.some((n) => /protect/i.test(n.message)), JSON.stringify(outcome.notifications));
});

test('lookup: not found is an outcome; a wrong sector and bad numbers are errors', async () => {
  const client = new CprClient(setup(), FAST);
  const missing = await client.lookup('1203750000', { existing: { name: 'Someone' } });
  assert.ok(!('person' in missing), 'not found: the outcome has no person key');
  assert.equal(missing.merge.record.name, 'Someone');
  assert.ok(missing.notifications.some((n) => n.code === 'person_not_found'));
  // A record key named __proto__ comes back as data, not as the record's prototype.
  const odd = await client.lookup('1203750000', { existing: JSON.parse('{"__proto__": {"kept": true}, "name": "Someone"}') });
  assert.ok(Object.hasOwn(odd.merge.record, '__proto__'));
  assert.deepEqual(odd.merge.record.__proto__, { kept: true });
  assert.equal(Object.getPrototypeOf(odd.merge.record), Object.prototype);
  await assert.rejects(new CprClient(setup({ sectorType: 'public' }), FAST).lookup('0707610123'), (e) => e.code === 'not_entitled' && e.diagnosis.settings.includes('sectorType'));
  await assert.rejects(client.lookup('32132'), { code: 'invalid_cpr_number' });
  await assert.rejects(client.lookup(42), { code: 'invalid_cpr_number' });
  await assert.rejects(client.lookup('0707610123', { existing: 'not a record' }), { code: 'invalid_record' });
});

test('100 concurrent lookups make exactly one token request', async () => {
  const client = new CprClient(setup(), FAST);
  const outcomes = await Promise.all(Array.from({ length: 100 }, () => client.lookup('0707610123')));
  assert.equal(outcomes.length, 100);
  assert.equal(count('token'), 1);
  assert.equal(count('graphql'), 100);
});

test('tokens are refreshed when they expire', async () => {
  emu.setTokenLifetime(120);
  const client = new CprClient(setup(), { ...FAST, tokenRefreshMarginSeconds: 60 });
  await client.lookup('0707610123');
  emu.advanceClock(200);
  await client.lookup('0707610123');
  assert.equal(count('token'), 2, 'an expired token (server clock) is replaced after invalid_token');
});

test('lookupMany: 1,000 customers with progress, input order and isolated failures', async () => {
  const client = new CprClient(setup(), FAST);
  const items = Array.from({ length: 1000 }, (_, i) => (i === 500 ? 'not-a-number' : i % 2 ? '0707610123' : { cpr: '1203750168', existing: { name: `Customer ${i}` } }));
  const progress = [];
  const results = await client.lookupMany(items, { concurrency: 8, onProgress: (p) => progress.push(p) });
  assert.equal(results.length, 1000);
  assert.deepEqual(results.map((r) => r.index), items.map((_, i) => i));
  assert.equal(results[500].ok, false);
  assert.equal(results[500].error.code, 'invalid_cpr_number');
  assert.equal(results.filter((r) => r.ok).length, 999);
  assert.ok(results[0].value.merge.changes.length > 0);
  assert.equal(progress.length, 1000);
  assert.deepEqual(progress.at(-1), { done: 1000, total: 1000, failures: 1 });
  assert.equal(count('token'), 1);
});

test('lookupMany: cancellation stops the batch; finished items keep their results', async () => {
  const client = new CprClient(setup(), FAST);
  const controller = new AbortController();
  const items = Array.from({ length: 200 }, () => '0707610123');
  const results = await client.lookupMany(items, {
    concurrency: 2,
    signal: controller.signal,
    onProgress: (p) => { if (p.done === 10) controller.abort(); },
  });
  const done = results.filter((r) => r.ok).length;
  assert.ok(done >= 10 && done < 200, `done ${done}`);
  assert.ok(results.slice(20).every((r) => !r.ok && r.error.code === 'cancelled'));
  assert.ok(count('graphql') < 30);
});

test('lookup: debug capture in the result and the error, always redacted', async () => {
  const s = setup({ debugMode: true });
  const client = new CprClient(s, FAST);
  const outcome = await client.lookup('0707610123');
  assert.equal(outcome.debug.operation, 'lookup');
  const text = JSON.stringify(outcome.debug);
  assert.ok(!text.includes('0707610123') && text.includes('070761-xxxx'));
  assert.ok(!text.includes(s.clientSecret));
  emu.faults.add({ mode: 'http403', purpose: 'graphql' });
  const error = await client.lookup('0707610123').catch((e) => e);
  assert.equal(error.code, 'not_entitled');
  assert.equal(error.debug.diagnosis.code, 'not_entitled');
  const kept = await new CprClient(s, { ...FAST, debugKeepCprNumbers: true }).lookup('0707610123');
  assert.ok(JSON.stringify(kept.debug).includes('0707610123'), 'the caller may keep numbers on its own machine');
  assert.ok(!JSON.stringify(kept.debug).includes(s.clientSecret));
});

test('every emulator fault mode ends in the expected diagnosis or a successful retry', async () => {
  const cases = [
    ['http500', true, null], ['http503', true, null], ['http429', true, null], ['ipNotVerified', true, null],
    ['connectionReset', true, null], ['truncatedBody', true, null],
    ['malformedJson', false, 'malformed_response'], ['http403', false, 'not_entitled'],
    ['oversizedBody', false, 'response_too_large'],
  ];
  for (const [mode, recovers, code] of cases) {
    emu.reset();
    emu.clearLog();
    const client = new CprClient(setup(), { ...FAST, maxResponseBytes: 1024 * 1024 });
    emu.faults.add({ mode, purpose: 'graphql', retryAfter: 0, sizeMb: 2 });
    const result = await client.lookup('0707610123').then((v) => ({ ok: true, v }), (e) => ({ ok: false, e }));
    if (recovers) assert.ok(result.ok, `${mode} should be retried: ${result.e?.code}`);
    else assert.equal(result.e?.code, code, mode);
  }
});

test('host.fetch may answer with plain headers, header pairs, a Headers object or a Response', async () => {
  const forms = {
    object: (h) => h,
    pairs: (h) => Object.entries(h),
    headers: (h) => new Headers(h),
  };
  for (const [form, shape] of Object.entries(forms)) {
    const hostFetch = async (request) => request.purpose === 'token'
      ? { status: 200, headers: shape({ 'content-type': 'application/json' }), body: '{"access_token":"t","expires_in":300}' }
      : { status: 429, headers: shape({ 'Retry-After': '7', 'content-type': 'application/problem+json' }), body: '{}' };
    const error = await new CprClient(setup(), { fetch: hostFetch, maxAttempts: 1 }).lookup('0707610123').catch((e) => e);
    assert.equal(error.code, 'rate_limited', form);
    assert.equal(error.diagnosis.retryAfterSeconds, 7, form);
  }
  const asResponse = async (request) => request.purpose === 'token'
    ? new Response('{"access_token":"t","expires_in":300}', { status: 200 })
    : new Response('{}', { status: 503, headers: { 'Retry-After': '9' } });
  const error = await new CprClient(setup(), { fetch: asResponse, maxAttempts: 1 }).lookup('0707610123').catch((e) => e);
  assert.deepEqual([error.code, error.diagnosis.retryAfterSeconds], ['server_error', 9]);
  const broken = await new CprClient(setup(), { fetch: () => ({ status: 'ok' }), maxAttempts: 1 }).lookup('0707610123').catch((e) => e);
  assert.equal(broken.code, 'network_error');
  assert.match(broken.diagnosis.detail, /status must be an HTTP status number/);
  const throwing = await new CprClient(setup(), { fetch: () => { throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }); }, maxAttempts: 1 }).testConnection();
  assert.equal(throwing.steps.find((s) => s.status === 'failed').diagnosis.code, 'connection_refused');
});
