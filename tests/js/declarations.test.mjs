// One rule for what results leave out, checked at runtime: an absent optional value is an
// absent key, never `null` (the declarations say `field?: T`; tests/types/usage.ts checks that
// side). Every export is called with representative inputs and every result is walked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as cpr from 'datafordeler-cpr';
import { goodSetup } from '../support/setups.mjs';

const fixtures = new URL('../fixtures/graphql/', import.meta.url);
const fixture = (name) => readFileSync(new URL(`${name}.json`, fixtures), 'utf8');
const FIXTURES = readdirSync(fixtures).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));

/**
 * Where a `null` is not the library's: values the host gave or the wire carried, handed back
 * as they were. Each is a path pattern (`[]` for any array index) with the reason.
 */
const NOT_OURS = [
  [/(^|\.)record(\.|$)/, "a merge returns the host's record as given, with the host's own nulls"],
  [/(^|\.)(request|response)\.body(\.|$)/, 'a debug capture shows the bodies as they were sent and received (GraphQL answers use null)'],
];

/** Every path in `value` whose value is `null`, outside the documented exceptions. */
function nullsIn(value, path = '') {
  if (value === null) return NOT_OURS.some(([pattern]) => pattern.test(path)) ? [] : [path || '(the result)'];
  if (typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((item) => nullsIn(item, `${path}[]`));
  return Object.entries(value).flatMap(([key, item]) => nullsIn(item, path ? `${path}.${key}` : key));
}

function assertNoNull(label, value) {
  assert.deepEqual(nullsIn(value), [], `${label}: absent values must be absent keys, not null`);
}

/** A rejected or thrown CprError, walked like a result (its diagnosis and debug capture). */
async function errorOf(run) {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof cpr.CprError, String(error));
    return { code: error.code, field: error.field, diagnosis: error.diagnosis, debug: error.debug };
  }
  assert.fail('expected a CprError');
}

test('the walker finds nulls, and only outside the exceptions', () => {
  assert.deepEqual(nullsIn({ a: 1, b: [{ c: null }], d: { record: { e: null } }, request: { body: null } }), ['b[].c']);
  assert.deepEqual(nullsIn({ merge: { record: { x: null } }, debug: { exchanges: [{ response: { body: { data: null } } }] } }), []);
});

test('validateCpr: a valid and an invalid number', () => {
  const valid = cpr.validateCpr('010170-1239');
  assert.equal(valid.birthDate, '1970-01-01');
  assertNoNull('valid number', valid);
  for (const text of ['010170-123', '320170-1239', '', 'abc', 42]) {
    const invalid = cpr.validateCpr(text);
    assert.equal(invalid.valid, false);
    assert.ok(!('birthDate' in invalid), `${text}: no birth date key`);
    assertNoNull(`invalid input ${JSON.stringify(text)}`, invalid);
  }
});

test('setups with and without optional fields: validateSetup, resolveEndpoints, buildSchemaRequest', () => {
  const full = { ...goodSetup(), apiVersion: 'v2', endpoints: { graphqlBaseUrl: 'http://127.0.0.1:8787' } };
  const minimal = { environment: 'test04', sectorType: 'public', authMethod: 'certificate' };
  for (const [label, setup] of Object.entries({ full, minimal, good: goodSetup() })) {
    assertNoNull(`validateSetup(${label})`, cpr.validateSetup(setup));
    assertNoNull(`resolveEndpoints(${label})`, cpr.resolveEndpoints(setup));
    assertNoNull(`buildSchemaRequest(${label})`, cpr.buildSchemaRequest(setup));
  }
  assertNoNull('validateSetup({})', cpr.validateSetup({}));
  assertNoNull('validateSetup(null)', cpr.validateSetup(null));
  assertNoNull('environments()', cpr.environments());
  assertNoNull('setupFields()', cpr.setupFields());
});

test('diagnose: failures with and without a status, body and transport error', () => {
  const failures = [
    { stage: 'graphql', status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } },
    { stage: 'token', status: 400, body: { error: 'invalid_client' } },
    { stage: 'graphql', status: 429, headers: [['retry-after', '7']] },
    { stage: 'graphql', transportError: { name: 'TypeError', message: 'fetch failed' } },
    { stage: 'schema', status: 500, body: 'oops' },
    { status: 200, body: { errors: [{ message: 'x', extensions: { code: 'DAF-AUTH-0005' } }] } },
    {},
  ];
  for (const failure of failures) assertNoNull(`diagnose(${JSON.stringify(failure)})`, cpr.diagnose(failure));
});

test('the GraphQL layer: queries, the drift report, every fixture parsed and merged', () => {
  for (const sectorType of ['private', 'public']) {
    // The bundled private model takes one number (it has no evidenced personnumre to match by).
    const cprNumbers = sectorType === 'public' ? ['0101701239', '0707610123'] : ['0101701239'];
    assertNoNull(`buildLookupQuery(${sectorType})`, cpr.buildLookupQuery({ sectorType, cprNumbers }));
    assertNoNull(`checkSchema(${sectorType})`, cpr.checkSchema('type Query { a: Int }', { sectorType }));
  }
  for (const name of FIXTURES) {
    const sectorType = name.startsWith('public') ? 'public' : 'private';
    for (const options of [{ sectorType }, { sectorType, cprNumbers: ['1203750000', '0707610123'] }]) {
      let result;
      try {
        result = cpr.parseLookupResponse(fixture(name), options);
      } catch (error) {
        assert.equal(error.name, 'CprError', `${name}: ${error}`);
        continue;
      }
      assertNoNull(`parseLookupResponse(${name})`, result);
      // What a lookup can hand to a merge: a person, not found or ambiguous, or nothing.
      const mergeable = result.errors.filter((e) => ['person_not_found', 'ambiguous_result'].includes(e.code));
      for (const subject of [...result.persons, ...mergeable, undefined]) {
        assertNoNull(`mergePerson(null, ${name})`, cpr.mergePerson(null, subject));
        const existing = { name: 'Old Name', address: null, postCode: '', city: 'Gammelby', customerNo: 'C-1' };
        const merged = cpr.mergePerson(existing, subject, { policies: { city: 'ifEmpty' }, fieldMap: { cprStatus: 'status' } });
        assertNoNull(`mergePerson(existing, ${name})`, merged);
      }
    }
  }
});

test('a change from an empty field has no `before` key', () => {
  const [person] = cpr.parseLookupResponse(fixture('private-ordinary'), { sectorType: 'private' }).persons;
  const { changes } = cpr.mergePerson({ name: 'J. Testesen', address: null }, person);
  assert.equal(changes.find((c) => c.field === 'name').before, 'J. Testesen');
  for (const field of ['address', 'postCode']) {
    const change = changes.find((c) => c.field === field);
    assert.ok(change && !('before' in change), `${field}: ${JSON.stringify(change)}`);
  }
});

/** A host that answers like the service: a token, then the fixture for the number asked. */
function stubHost(answers) {
  return {
    fetch: (request) => {
      if (request.purpose === 'token') {
        return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"access_token":"tk-1","expires_in":300}' };
      }
      const asked = request.body ?? '';
      const hit = Object.entries(answers).find(([number]) => asked.includes(number));
      return hit
        ? { status: 200, headers: { 'content-type': 'application/json' }, body: fixture(hit[1]) }
        : { status: 200, headers: { 'content-type': 'application/json' }, body: fixture('private-ordinary') };
    },
  };
}

const ANSWERS = { '0707610123': 'private-ordinary', '1203750000': 'private-not-found', '0204882126': 'private-protected' };

test('CprClient with a stubbed host: lookup, lookupMany and testConnection, debug mode on and off', async () => {
  for (const debugMode of [false, true]) {
    const client = new cpr.CprClient({ ...goodSetup(), debugMode }, { ...stubHost(ANSWERS), maxAttempts: 1 });
    const found = await client.lookup('0707610123', { existing: { name: 'Old Name', customerNo: 'C-1' } });
    assert.equal(found.person.cpr, '0707610123');
    assertNoNull(`lookup found (debug ${debugMode})`, found);
    const missing = await client.lookup('1203750000');
    assert.ok(!('person' in missing), 'not found: no person key');
    assert.ok(missing.notifications.some((n) => n.code === 'person_not_found'));
    assertNoNull(`lookup not found (debug ${debugMode})`, missing);
    assertNoNull(`lookup protected (debug ${debugMode})`, await client.lookup('0204882126', { existing: { name: 'Kept', address: 'Kept 1' } }));
    const progress = [];
    const results = await client.lookupMany(['0707610123', { cpr: '1203750000', existing: null }, 'not a number'], {
      onProgress: (p) => progress.push(p),
    });
    assert.deepEqual(results.map((r) => r.ok), [true, true, false]);
    assertNoNull(`lookupMany (debug ${debugMode})`, results);
    assertNoNull('progress', progress);
    assertNoNull(`testConnection (debug ${debugMode})`, await client.testConnection());
    assertNoNull('endpoints', client.endpoints);
  }
});

test('CprClient failures: the connection report and the error with its diagnosis and capture', async () => {
  const failing = { fetch: () => ({ status: 500, body: 'down' }) };
  const client = new cpr.CprClient({ ...goodSetup(), debugMode: true }, { ...failing, maxAttempts: 1 });
  const report = await client.testConnection();
  assert.equal(report.ok, false);
  assertNoNull('testConnection failing', report);
  const error = await errorOf(() => client.lookup('0707610123'));
  assert.ok(error.diagnosis && error.debug, JSON.stringify(Object.keys(error)));
  assertNoNull('lookup error', error);
  const refused = new cpr.CprClient({ ...goodSetup(), legacyMode: true }, { ...failing, maxAttempts: 1 });
  assertNoNull('testConnection refused', await errorOf(() => refused.testConnection()));
  assertNoNull('lookup refused', await errorOf(() => refused.lookup('0707610123')));
});
