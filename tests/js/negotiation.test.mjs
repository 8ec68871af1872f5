// The default client (no apiVersion, no schema option) against the emulator over real HTTP:
// version negotiation (v3, then v2 on a 404), the live schema fetched once and refreshed once
// when the service rejects a field, and the bundled model only when the schema cannot be fetched.
// The emulator validates every query against the schema of the version asked (strict, with
// graphql-js's "Cannot query field" text), and its v3 differs from v2: `where` instead of
// `input`, no `statusdato` on the private entity, an added field the library does not map.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { CprClient } from 'datafordeler-cpr';
import { startEmulator } from '../emulator/server.mjs';
import { emulatorSetup } from '../support/setups.mjs';

let emu;
before(async () => { emu = await startEmulator({ port: 0, httpsPort: 0 }); });
after(async () => { await emu?.stop(); });
beforeEach(() => { emu.reset(); emu.clearLog(); });

const FAST = { retryBaseDelayMs: 5, retryMaxDelayMs: 20, timeoutMs: 5000 };
const ORDINARY = '0707610123';

/** The emulator's private-sector client, its URLs as overrides. */
const setup = (overrides = {}) => emulatorSetup(emu, overrides);

/** The data-service requests in order, as `purpose version status`. */
const calls = () => emu.log.filter((e) => e.purpose === 'graphql' || e.purpose === 'schema').map((e) => `${e.purpose} ${e.version} ${e.status}`);
const count = (purpose) => emu.log.filter((e) => e.purpose === purpose).length;

test('against v3 with its changed schema, the default client fetches the v3 schema once and looks up with it', async () => {
  const client = new CprClient(setup(), FAST);
  assert.equal(client.endpoints.apiVersion, 'auto');
  assert.deepEqual(client.endpoints.candidates.map((c) => [c.apiVersion, c.provenance]), [['v3', 'override'], ['v2', 'override'], ['v1', 'override']]);
  const first = await client.lookup(ORDINARY);
  const second = await client.lookup('0204882126');
  assert.equal(first.person.name.family, 'Testesen');
  assert.ok(second.person, 'a second lookup also works');
  assert.deepEqual(calls(), ['schema v3 200', 'graphql v3 200', 'graphql v3 200']);
  for (const outcome of [first, second]) {
    assert.ok(!outcome.notifications.some((n) => ['api_version_fallback', 'schema_bundled'].includes(n.code)), JSON.stringify(outcome.notifications));
  }
  // The drift report names what v3 offers that the library does not map yet.
  const drift = await client.checkSchema();
  assert.ok(drift.unusedFields.includes('registreringstidspunkt'), JSON.stringify(drift.unusedFields));
});

test('testConnection says which version answered and that the schema is live', async () => {
  const report = await new CprClient(setup({ debugMode: true }), FAST).testConnection();
  assert.equal(report.ok, true, JSON.stringify(report));
  assert.equal(report.apiVersion, 'v3');
  assert.equal(report.schema, 'live');
  assert.match(report.steps[1].message, /GraphQL at http:\/\/127\.0\.0\.1:\d+\/CPR\/custom\/PrivateSector\/v3, answered by v3\.$/);
  assert.deepEqual(calls(), ['schema v3 200', 'graphql v3 200']);
});

test('with v3 absent (404), the default client falls back to v2, says so, and remembers it', async () => {
  emu.setVersions(['v1', 'v2']);
  const captures = [];
  const client = new CprClient(setup({ debugMode: true }), { ...FAST, onDebug: (c) => captures.push(c) });
  const first = await client.lookup(ORDINARY);
  assert.equal(first.person.name.family, 'Testesen');
  const warning = first.notifications.find((n) => n.code === 'api_version_fallback');
  assert.ok(warning, JSON.stringify(first.notifications));
  assert.equal(warning.severity, 'warning');
  assert.match(warning.message, /^v3 is not offered here \(HTTP 404\); v2 answered\. v2 is being retired/);
  assert.equal(first.debug.apiVersion, 'v2');
  await client.lookup(ORDINARY);
  assert.deepEqual(calls(), ['schema v3 404', 'schema v2 200', 'graphql v2 200', 'graphql v2 200']);
  const report = await client.testConnection();
  assert.equal(report.apiVersion, 'v2');
  assert.match(report.steps[1].message, /answered by v2\.$/);
  assert.ok(report.notifications.some((n) => n.code === 'api_version_fallback'));
  assert.equal(count('schema'), 2, 'the connection test reuses the negotiated version and schema');
});

test('concurrent first lookups negotiate once and fetch the schema once', async () => {
  emu.setVersions(['v1', 'v2']);
  const client = new CprClient(setup(), FAST);
  const results = await client.lookupMany(Array.from({ length: 8 }, () => ORDINARY), { concurrency: 8 });
  assert.ok(results.every((r) => r.ok), JSON.stringify(results.filter((r) => !r.ok)));
  assert.deepEqual(calls().filter((c) => c.startsWith('schema')), ['schema v3 404', 'schema v2 200']);
  assert.equal(count('token'), 1);
  assert.equal(count('graphql'), 8);
  assert.ok(calls().filter((c) => c.startsWith('graphql')).every((c) => c === 'graphql v2 200'));
});

test('an explicit apiVersion is used as given: no probe of v3', async () => {
  const client = new CprClient(setup({ apiVersion: 'v2' }), FAST);
  assert.equal(client.endpoints.negotiate, false);
  const outcome = await client.lookup(ORDINARY);
  assert.ok(outcome.person);
  assert.deepEqual(calls(), ['schema v2 200', 'graphql v2 200']);
  assert.ok(!outcome.notifications.some((n) => n.code === 'api_version_fallback'));
});

test("a field the service stopped offering triggers one schema refresh and a successful retry", async () => {
  const client = new CprClient(setup(), FAST);
  assert.ok((await client.lookup(ORDINARY)).person);
  // v3 changes under the running client: navne.adresseringsnavn is gone.
  emu.setSchemas({ v3: 'v3-next' });
  const outcome = await client.lookup(ORDINARY);
  assert.equal(outcome.person.name.family, 'Testesen');
  assert.deepEqual(calls(), ['schema v3 200', 'graphql v3 200', 'graphql v3 400', 'schema v3 200', 'graphql v3 200']);
  const rejected = emu.log.find((e) => e.purpose === 'graphql' && e.status === 400);
  assert.deepEqual(rejected.errorCodes, ['GRAPHQL_VALIDATION_FAILED']);
});

test('a schema that cannot be fetched falls back to the bundled model, said in the outcome and in testConnection', async () => {
  emu.setVersions(['v1', 'v2']);
  emu.faults.add({ mode: 'http500', purpose: 'schema', count: null });
  const client = new CprClient(setup(), { ...FAST, maxAttempts: 2 });
  const outcome = await client.lookup(ORDINARY);
  assert.equal(outcome.person.name.family, 'Testesen', 'v2 accepts the bundled model');
  const notice = outcome.notifications.find((n) => n.code === 'schema_bundled');
  assert.ok(notice, JSON.stringify(outcome.notifications));
  assert.match(notice.message, /schema could not be fetched .*bundled model/);
  const report = await client.testConnection();
  assert.equal(report.schema, 'bundled');
  assert.ok(report.notifications.some((n) => n.code === 'schema_bundled'));
  // The service answered (500): the fallback holds for the client's lifetime, no more schema requests.
  assert.deepEqual(calls().filter((c) => c.startsWith('schema')), ['schema v3 404', 'schema v2 500', 'schema v2 500']);
});

test('a schema request refused for the credential is not hidden: the lookup fails with that diagnosis', async () => {
  emu.setAllowlist(['10.99.99.99']);
  const client = new CprClient(setup(), { ...FAST, maxAttempts: 2 });
  await assert.rejects(client.lookup(ORDINARY), (e) => e.code === 'ip_not_allowlisted');
  assert.equal(count('graphql'), 0);
  assert.ok(calls().every((c) => c === 'schema v3 401'), 'a 401 is not a reason to try v2');
});

test("schema: 'bundled' sends no schema request; the probe query negotiates the version", async () => {
  emu.setVersions(['v1', 'v2']);
  const client = new CprClient(setup(), { ...FAST, schema: 'bundled' });
  const outcome = await client.lookup(ORDINARY);
  assert.ok(outcome.person);
  assert.deepEqual(calls(), ['graphql v3 404', 'graphql v2 200', 'graphql v2 200']);
  assert.equal(count('schema'), 0);
  assert.throws(() => new CprClient(setup(), { schema: 'type Query {' }), (e) => e.code === 'invalid_options');
});
