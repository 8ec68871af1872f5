// The bundled models claim no more than the evidence: against the emulator over real HTTP, a
// client that has not fetched the schema selects only evidenced fields; once it has fetched the
// service's schema it also selects the inferred fields that schema has (occupation, the
// credit-warning marker, civil status), reads them into the person and merges them as register
// facts under the field map's names, never overwriting with a value CPR did not give.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { CprClient, buildLookupQuery, diagnose } from 'datafordeler-cpr';
import { startEmulator } from '../emulator/server.mjs';
import { emulatorSetup } from '../support/setups.mjs';

let emu;
before(async () => { emu = await startEmulator({ port: 0 }); });
after(async () => { await emu?.stop(); });
beforeEach(() => { emu.reset(); emu.clearLog(); });

/** The emulator's private-sector client, its URLs as overrides. */
const setup = (overrides = {}) => emulatorSetup(emu, overrides);

/** A host fetch that keeps the query text of every lookup and passes the request on. */
function recordingFetch(queries) {
  return async (request) => {
    if (request.purpose === 'graphql') queries.push(JSON.parse(request.body).query);
    return fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
  };
}

const MERGE = { fieldMap: { occupation: 'Stilling', creditWarning: 'Kreditadvarsel', maritalStatus: 'Civilstand' } };

test('bundled model first: only evidenced fields; the live schema adds occupation, credit warning and civil status', async () => {
  const queries = [];
  // schema: 'bundled' until "Fetch CPR Schema": a default client follows the live schema at once
  // (next test). v2: the emulator's v3 differs from the bundled model (where instead of input).
  const client = new CprClient({ ...setup(), apiVersion: 'v2' }, { fetch: recordingFetch(queries), merge: MERGE, schema: 'bundled', retryBaseDelayMs: 5, retryMaxDelayMs: 20 });
  const existing = { Stilling: 'Sygeplejerske', Kreditadvarsel: false, Civilstand: 'ugift', customerNo: 'C-7' };

  const bundled = await client.lookup('1203750168', { existing });
  assert.equal(bundled.person.name.addressing, 'Karen Margrethe Eksempel');
  for (const key of ['occupation', 'creditWarning', 'maritalStatus']) assert.equal(key in bundled.person, false, key);
  // Nothing guessed went to the service, and what CPR was not asked for kept the record's values.
  for (const inferred of ['stillinger', 'kreditadvarsler', 'civilstande', 'personnumre', 'statusdato', 'udrejseIndrejser']) {
    assert.equal(queries[0].includes(inferred), false, inferred);
  }
  assert.deepEqual(bundled.merge.changes.filter((c) => ['Stilling', 'Kreditadvarsel', 'Civilstand'].includes(c.field)), []);
  assert.equal(bundled.merge.record.Stilling, 'Sygeplejerske');

  await client.fetchSchema();
  const live = await client.lookup('1203750168', { existing });
  assert.match(queries[1], /stillinger \{\s+stilling\s+status\s+virkningfra\s+\}/);
  assert.match(queries[1], /kreditadvarsler \{/);
  assert.match(queries[1], /civilstande \{\s+civilstandstype/);
  assert.equal(live.person.occupation, 'Afdelingssygeplejerske');
  assert.deepEqual(live.person.creditWarning, { type: 'kreditadvarsel', from: '2019-05-20', active: true });
  assert.deepEqual(live.person.maritalStatus, { code: 'ugift', from: '1975-03-12' });
  assert.equal(live.merge.record.Stilling, 'Afdelingssygeplejerske');
  assert.equal(live.merge.record.Kreditadvarsel, true);
  assert.equal(live.merge.record.Civilstand, 'ugift');
  assert.equal(live.merge.record.customerNo, 'C-7');
  assert.deepEqual(live.merge.changes.map((c) => [c.field, c.before, c.after]).filter(([f]) => f === 'Stilling' || f === 'Kreditadvarsel'),
    [['Stilling', 'Sygeplejerske', 'Afdelingssygeplejerske'], ['Kreditadvarsel', false, true]]);

  // A person without the marker: the answered empty list says "no warning".
  const none = await client.lookup('0707610123', { existing: { Kreditadvarsel: true, Stilling: 'Tømrer' } });
  assert.deepEqual(none.person.creditWarning, { type: 'kreditadvarsel', active: false });
  assert.equal('occupation' in none.person, false);
  assert.equal(none.merge.record.Kreditadvarsel, false);
  assert.equal(none.merge.record.Stilling, 'Tømrer', 'no occupation from CPR never empties the record');
  assert.deepEqual(none.person.maritalStatus, { code: 'gift', from: '2005-06-18' });
});

test('a default client follows the live schema from its first lookup: the inferred fields the service has are read', async () => {
  const queries = [];
  const client = new CprClient(setup(), { fetch: recordingFetch(queries), merge: MERGE, retryBaseDelayMs: 5, retryMaxDelayMs: 20 });
  const outcome = await client.lookup('1203750168', { existing: { Stilling: 'Sygeplejerske' } });
  assert.equal(queries.length, 1);
  assert.match(queries[0], /stillinger \{/);
  assert.equal(outcome.person.occupation, 'Afdelingssygeplejerske');
  assert.equal(outcome.merge.record.Stilling, 'Afdelingssygeplejerske');
  assert.deepEqual(emu.log.map((e) => e.purpose).filter((p) => p !== 'token'), ['schema', 'graphql']);
});

test('a query from the bundled private model takes one number: without personnumre answers cannot be told apart', () => {
  assert.throws(() => buildLookupQuery({ sectorType: 'private', cprNumbers: ['0707610123', '1203750168'] }),
    (e) => e.code === 'batch_not_supported' && /personnumre/.test(e.message));
  const q = buildLookupQuery({ sectorType: 'public', cprNumbers: ['0707610123', '1203750168'] });
  assert.match(q.query, /personnumre \{/);
  assert.match(q.query, /civilstande \{/);
  assert.doesNotMatch(q.query, /udrejseIndrejser|stillinger|kreditadvarsler/);
});

test('a diagnosis says how sure its cause is', () => {
  const allowlist = diagnose({ stage: 'graphql', status: 401, headers: { 'content-type': 'application/problem+json' },
    body: '{"errorCode":"DAF-AUTH-0005","detail":"IP address is not verified"}' });
  assert.equal(allowlist.provenance, 'observed');
  assert.equal(diagnose({ stage: 'graphql', transportError: { name: 'Error', code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND x' } }).provenance, 'local');
  assert.equal(diagnose({ stage: 'graphql', status: 404 }).provenance, 'inferred');
});
