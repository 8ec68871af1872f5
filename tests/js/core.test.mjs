// The Node build, loaded through the package's own `exports` (ESM and CommonJS), with real
// and hostile inputs. Expected values are written by hand from CPR's rules, not produced by
// the code under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as cpr from 'datafordeler-cpr';
import { goodSetup } from '../support/setups.mjs';

const require = createRequire(import.meta.url);
const CONTRACT = ['validateCpr', 'validateSetup', 'resolveEndpoints', 'diagnose', 'redact', 'environments', 'setupFields'];


const codesOf = (report) => report.issues.map((i) => i.code);
const issueFor = (report, field) => report.issues.find((i) => i.field === field);

test('ESM and CommonJS entries expose the same contract', () => {
  const cjs = require('datafordeler-cpr');
  for (const name of CONTRACT) {
    assert.equal(typeof cpr[name], 'function', `ESM ${name}`);
    assert.equal(typeof cjs[name], 'function', `CJS ${name}`);
  }
  // One binding, one wasm instance.
  assert.equal(cjs.validateCpr, cpr.validateCpr);
});

test('validateCpr: forms, century rule, leap days, modulus 11 as information', () => {
  const cases = [
    ['0101701239', { valid: true, birthDate: '1970-01-01', modulus11: true }],
    [' 010170-1239 ', { valid: true, birthDate: '1970-01-01', modulus11: true }],
    ['290200-4123', { valid: true, birthDate: '2000-02-29' }],
    ['290200-0123', { valid: false }], // 1900 was no leap year
    ['010160-5123', { valid: true, birthDate: '1860-01-01' }],
    ['010137-4123', { valid: true, birthDate: '1937-01-01' }],
    ['010136-4123', { valid: true, birthDate: '2036-01-01' }],
    ['010107-4000', { valid: true, birthDate: '2007-01-01', modulus11: false }],
    ['1101700050', { valid: true, modulus11: true }], // check digit 0
  ];
  for (const [text, want] of cases) {
    const r = cpr.validateCpr(text);
    for (const [key, value] of Object.entries(want)) assert.equal(r[key], value, `${text} ${key}`);
    if (r.valid) {
      assert.match(r.masked, /^\d{6}-xxxx$/);
      assert.equal(r.formatted, `${r.normalized.slice(0, 6)}-${r.normalized.slice(6)}`);
    }
  }
  const failing = cpr.validateCpr('010107-4000');
  assert.deepEqual(failing.issues.map((i) => [i.code, i.severity]), [['modulus11_failed', 'info']]);
});

test('validateCpr never throws, whatever it is given', () => {
  const hostile = [null, undefined, 42, 4.2e9, {}, [], ['0101701239'], true, Symbol('x'), 10n, () => 1,
    '٠١٠١٧٠١٢٣٩', '1'.repeat(1 << 20), '\u0000'.repeat(10), '01017０1239'];
  for (const input of hostile) {
    const r = cpr.validateCpr(input);
    assert.equal(r.valid, false, String(typeof input));
    assert.ok(r.issues.length > 0 && r.issues.every((i) => i.code && i.message));
  }
  assert.deepEqual(codesOf(cpr.validateCpr('٠١٠١٧٠١٢٣٩')), ['non_ascii_digits']);
});

test('a JS value with no JSON form is reported with its field', () => {
  const report = cpr.validateSetup({ ...goodSetup(), clientSecret: 10n });
  assert.deepEqual(report.issues.map((i) => [i.field, i.code]), [['clientSecret', 'unsupported_value']]);
  assert.match(report.issues[0].message, /^CPR Client Secret holds a JavaScript bigint/);
  assert.throws(() => cpr.diagnose({ stage: 'graphql', headers: { x: Symbol('y') } }), (e) => e.code === 'unsupported_value' && /^failure\.headers\.x:/.test(e.message));
});

test('validateSetup accepts a complete setup and explains each rule', () => {
  assert.deepEqual(cpr.validateSetup(goodSetup()), { ok: true, issues: [] });
  assert.equal(cpr.validateSetup(JSON.stringify(goodSetup())).ok, true, 'JSON text works too');

  const rules = [
    [{ enabled: false }, 'enabled', 'integration_disabled', 'error'],
    [{ legacyMode: true }, 'legacyMode', 'legacy_mode_on', 'error'],
    [{ clientSecret: undefined }, 'clientSecret', 'required', 'error'],
    [{ clientId: '' }, 'clientId', 'required', 'error'],
    [{ certificatePassword: 'pw' }, 'certificatePassword', 'ignored_for_method', 'warning'],
    [{ environment: 'test03' }, 'environment', 'limited_cpr_test_data', 'info'],
    [{ environment: 'test06' }, 'environment', 'no_cpr_test_data', 'warning'],
    [{ environment: 'production', debugMode: true }, 'debugMode', 'debug_in_production', 'warning'],
    [{ clientId: ' erp ' }, 'clientId', 'surrounding_whitespace', 'warning'],
    [{ clientSecret: 'S3cret\n' }, 'clientSecret', 'surrounding_whitespace', 'warning'],
    [{ environment: 'Test04' }, 'environment', 'unknown_value', 'error'],
    [{ sectorType: 'both' }, 'sectorType', 'unknown_value', 'error'],
    [{ authMethod: 'apiKey' }, 'authMethod', 'unknown_value', 'error'],
    [{ apiVersion: 'latest' }, 'apiVersion', 'invalid_api_version', 'error'],
    [{ endpoints: { graphqlBaseUrl: 'http://relay.example.dk' } }, 'endpoints.graphqlBaseUrl', 'insecure_url', 'error'],
    [{ endpoints: { graphqlBaseUrl: 'https://u:p@relay.example.dk' } }, 'endpoints.graphqlBaseUrl', 'invalid_url', 'error'],
    [{ endpoints: { tokenUrl: 'https://x.dk' } }, 'endpoints.tokenUrl', 'unknown_field', 'warning'],
    [{ clientid: 'x' }, 'clientid', 'unknown_field', 'warning'],
  ];
  for (const [change, field, code, severity] of rules) {
    const report = cpr.validateSetup({ ...goodSetup(), ...change });
    const issue = report.issues.find((i) => i.field === field && i.code === code);
    assert.ok(issue, `${JSON.stringify(change)} → ${field}/${code}; got ${JSON.stringify(report.issues)}`);
    assert.equal(issue.severity, severity);
    assert.equal(report.ok, !report.issues.some((i) => i.severity === 'error'));
  }
  assert.match(issueFor(cpr.validateSetup({ ...goodSetup(), environment: 'Test04' }), 'environment').message, /Did you mean "test04"/);
  assert.match(issueFor(cpr.validateSetup({ ...goodSetup(), legacyMode: true }), 'legacyMode').message, /Turn off CPR Legacy Mode/);
  // Loopback may use plain http (the emulator, a local relay).
  assert.equal(cpr.validateSetup({ ...goodSetup(), endpoints: { graphqlBaseUrl: 'http://127.0.0.1:8787' } }).ok, true);
});

test('validateSetup: certificate method', () => {
  const setup = { ...goodSetup(), authMethod: 'certificate', clientSecret: undefined };
  assert.deepEqual(codesOf(cpr.validateSetup(setup)), ['certificate_missing', 'password_missing']);
  const pfx = new Uint8Array([0x30, 0x82, 0x0a, 0x01, 0x02]);
  assert.equal(cpr.validateSetup({ ...setup, certificate: pfx, certificatePassword: 'pw' }).ok, true);
  assert.equal(cpr.validateSetup({ ...setup, certificate: pfx.buffer, certificatePassword: 'pw' }).ok, true);
  assert.equal(cpr.validateSetup({ ...setup, certificate: Buffer.from(pfx).toString('base64'), certificatePassword: 'pw' }).ok, true);
  assert.deepEqual(codesOf(cpr.validateSetup({ ...setup, certificate: '-----BEGIN CERTIFICATE-----\nMIIB', certificatePassword: 'pw' })), ['certificate_is_pem']);
  assert.deepEqual(codesOf(cpr.validateSetup({ ...setup, certificate: new Uint8Array([1, 2, 3]), certificatePassword: 'pw' })), ['certificate_not_pfx']);
  assert.deepEqual(codesOf(cpr.validateSetup({ ...setup, certificate: new Uint8Array(300 * 1024).fill(0x30), certificatePassword: 'pw' })), ['certificate_too_large']);
  const mixed = cpr.validateSetup({ ...setup, certificate: pfx, certificatePassword: 'pw', clientSecret: 'x' });
  assert.equal(issueFor(mixed, 'clientSecret').code, 'ignored_for_method');
});

test('validateSetup turns hostile input into issues, never an exception', () => {
  const cyclic = { ...goodSetup() };
  cyclic.self = cyclic;
  let deep = {};
  for (let i = 0; i < 10_000; i++) deep = { deep };
  const throwing = new Proxy({}, { ownKeys() { throw new Error('trap'); } });
  const cases = [
    [null, 'setup_not_object'],
    [undefined, 'setup_not_object'],
    [42, 'setup_not_object'],
    [[goodSetup()], 'setup_not_object'],
    ['{"enabled": tru', 'invalid_json'],
    ['[' .repeat(100_000), 'input_too_deep'],
    [cyclic, 'input_too_deep'],
    [deep, 'input_too_deep'],
    [throwing, 'unreadable_input'],
    [{ ...goodSetup(), clientId: 'x'.repeat(1 << 20) }, 'too_long'],
    [{ ...goodSetup(), clientId: 12345 }, 'wrong_type'],
    [{ ...goodSetup(), enabled: 'true' }, 'wrong_type'],
    [{ ...goodSetup(), environment: ['test04'] }, 'wrong_type'],
    [{ ...goodSetup(), sectorType: Symbol('private') }, 'unsupported_value'],
    [{ ...goodSetup(), clientSecret: 10n }, 'unsupported_value'],
    [{ ...goodSetup(), authMethod: () => 'sharedSecret' }, 'unsupported_value'],
    [{ ...goodSetup(), endpoints: 'https://x.dk' }, 'wrong_type'],
    [{ ...goodSetup(), [`k${'y'.repeat(100_000)}`]: 1 }, 'unknown_field'],
  ];
  for (const [input, code] of cases) {
    let report;
    assert.doesNotThrow(() => { report = cpr.validateSetup(input); }, `${code}`);
    assert.ok(codesOf(report).includes(code), `expected ${code}, got ${JSON.stringify(codesOf(report))}`);
    for (const issue of report.issues) assert.ok(issue.message.length < 600, 'messages stay short');
  }
});

test('resolveEndpoints resolves from the environment table and throws coded errors', () => {
  const e = cpr.resolveEndpoints({ environment: 'production', sectorType: 'private', authMethod: 'sharedSecret', apiVersion: 'v2' });
  assert.equal(e.graphqlUrl, 'https://graphql.datafordeler.dk/CPR/custom/PrivateSector/v2');
  assert.equal(e.schemaUrl, 'https://graphql.datafordeler.dk/CPR/custom/PrivateSector/v2/schema');
  assert.deepEqual([e.negotiate, e.candidates.length], [false, 1]);
  assert.equal(e.tokenUrl, 'https://auth.datafordeler.dk/realms/distribution/protocol/openid-connect/token');
  assert.equal(e.portalUrl, 'https://portal.datafordeler.dk/');
  assert.equal(e.service, 'CustomPrivateSectorPerson');
  assert.equal(e.entity, 'CPRCustom_PrivateSectorPerson');
  assert.equal(e.provenance.graphqlUrl, 'verified');
  // The default, auto: every known version, newest first; the first is the one shown.
  const auto = cpr.resolveEndpoints({ environment: 'production', sectorType: 'private', authMethod: 'sharedSecret' });
  assert.equal(auto.apiVersion, 'auto');
  assert.equal(auto.negotiate, true);
  assert.equal(auto.graphqlUrl, 'https://graphql.datafordeler.dk/CPR/custom/PrivateSector/v3');
  assert.equal(auto.provenance.graphqlUrl, 'inferred');
  assert.deepEqual(auto.candidates.map((c) => [c.apiVersion, c.provenance]), [['v3', 'inferred'], ['v2', 'verified'], ['v1', 'verified']]);
  const cert = cpr.resolveEndpoints({ environment: 'test04', sectorType: 'public', authMethod: 'certificate', apiVersion: 'v3' });
  assert.equal(cert.tokenUrl, 'https://test04-auth-oces.datafordeler.dk/realms/distribution/protocol/openid-connect/token');
  assert.equal(cert.graphqlUrl, 'https://test04-graphql.datafordeler.dk/CPR/custom/PublicSector/v3');
  assert.equal(cert.provenance.graphqlUrl, 'inferred');
  assert.equal(cert.entity, 'CPRCustom_PublicSectorPerson');

  for (const [input, code, field] of [
    [null, 'setup_not_object', undefined],
    [{ sectorType: 'private', authMethod: 'sharedSecret' }, 'required', 'environment'],
    [{ environment: 'prod', sectorType: 'private', authMethod: 'sharedSecret' }, 'unknown_value', 'environment'],
  ]) {
    assert.throws(() => cpr.resolveEndpoints(input), (err) => {
      assert.ok(err instanceof cpr.CprError);
      assert.equal(err.name, 'CprError');
      assert.equal(err.code, code);
      assert.equal(err.field, field);
      return true;
    });
  }
});

test('diagnose answers the setup guide troubleshooting table', () => {
  const rows = [
    [{ stage: 'token', status: 401 }, 'token_unauthorized', ['clientId', 'clientSecret']],
    [{ stage: 'graphql', status: 403 }, 'not_entitled', ['sectorType', 'environment']],
    [{ stage: 'graphql', status: 400 }, 'query_rejected', ['debugMode']],
    [{ stage: 'graphql', transportError: { name: 'TypeError', message: 'fetch failed', cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' } } }, 'connection_refused', ['environment']],
  ];
  for (const [failure, code, settings] of rows) {
    const d = cpr.diagnose(failure);
    assert.equal(d.code, code);
    for (const s of settings) assert.ok(d.settings.includes(s), `${code} names ${s}`);
    assert.ok(d.cause.length > 20 && d.solution.length > 10);
  }
  const ip = cpr.diagnose({
    stage: 'graphql', status: 401, headers: [['Content-Type', 'application/problem+json']],
    body: JSON.stringify({ errorCode: 'DAF-AUTH-0005', detail: 'IP address is not verified' }),
  });
  assert.equal(ip.code, 'ip_not_allowlisted');
  assert.match(ip.solution, /IPv4/);
  const limited = cpr.diagnose({ stage: 'graphql', status: 429, headers: { 'Retry-After': '7' } });
  assert.deepEqual([limited.code, limited.retryable, limited.retryAfterSeconds], ['rate_limited', true, 7]);
  assert.throws(() => cpr.diagnose('401'), { code: 'invalid_failure' });
  assert.throws(() => cpr.diagnose({ stage: 'graphql', status: 'four hundred' }), { code: 'invalid_failure' });
});

test('redact returns a safe deep copy', () => {
  const input = {
    url: 'https://auth.datafordeler.dk/token',
    headers: { Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig', 'Content-Type': 'application/json' },
    body: 'grant_type=client_credentials&client_id=erp&client_secret=S3cret-Value-42',
    variables: { pnr: ['0101701239'] },
    list: [{ certificatePassword: 'pfx-pass' }],
  };
  const copy = structuredClone(input);
  const safe = cpr.redact(input);
  assert.deepEqual(input, copy, 'the input is not changed');
  assert.equal(safe.headers.Authorization, '[REDACTED]');
  assert.equal(safe.headers['Content-Type'], 'application/json');
  assert.equal(safe.body, 'grant_type=client_credentials&client_id=erp&client_secret=[REDACTED]');
  assert.deepEqual(safe.variables.pnr, ['010170-xxxx']);
  assert.equal(safe.list[0].certificatePassword, '[REDACTED]');
  assert.deepEqual(cpr.redact({ p: '0101701239' }, { maskCpr: false }), { p: '0101701239' });
  assert.deepEqual(cpr.redact({ m: 'echo S3cret-Value-42!' }, { secrets: ['S3cret-Value-42'] }), { m: 'echo [REDACTED]!' });
  assert.throws(() => cpr.redact({}, { secrets: 'x' }), { code: 'invalid_options' });
});

test('buildSchemaRequest gives the schema download for a setup', () => {
  const request = cpr.buildSchemaRequest({ environment: 'production', sectorType: 'public', authMethod: 'sharedSecret', apiVersion: 'v2' });
  assert.equal(request.method, 'GET');
  assert.equal(request.url, 'https://graphql.datafordeler.dk/CPR/custom/PublicSector/v2/schema');
  // Under auto (the default), the first candidate's.
  const auto = cpr.buildSchemaRequest({ environment: 'production', sectorType: 'public', authMethod: 'sharedSecret' });
  assert.equal(auto.url, 'https://graphql.datafordeler.dk/CPR/custom/PublicSector/v3/schema');
  assert.throws(() => cpr.buildSchemaRequest({}), { code: 'required' });
});

test('environments and setupFields expose the single tables', () => {
  const envs = cpr.environments();
  assert.deepEqual(envs.map((e) => e.key), ['production', 'test03', 'test04', 'test06']);
  assert.deepEqual(envs.map((e) => [e.key, e.cprTestData]), [['production', 'none'], ['test03', 'some'], ['test04', 'main'], ['test06', 'none']]);
  const labels = cpr.setupFields().map((f) => f.label);
  for (const label of ['Enable CPR No. Integration', 'CPR Legacy Mode', 'CPR Environment', 'CPR Sector Type',
    'CPR Authentication Method', 'CPR Client ID', 'CPR Client Secret', 'Certificate Password', 'Upload Certificate', 'CPR Debug Mode']) {
    assert.ok(labels.includes(label), label);
  }
});

test('nothing the library emits leaks a secret or a full CPR number', () => {
  const secret = 'Leak-Canary-Secret-7731';
  const password = 'Leak-Canary-Password-5520';
  const token = 'eyJhbGciOiJIUzI1NiJ9.eyJsZWFrIjoiY2FuYXJ5In0.c2lnbmF0dXJl';
  const number = '2512884417';
  const emitted = [];
  const capture = (fn) => { try { emitted.push(fn()); } catch (error) { emitted.push({ message: error.message, code: error.code, stack: error.stack }); } };
  const setups = [
    { ...goodSetup(), clientSecret: ` ${secret} ` },
    { ...goodSetup(), authMethod: 'certificate', clientSecret: secret, certificatePassword: password },
    { ...goodSetup(), environment: number, sectorType: secret, authMethod: password },
    // Values typed into the wrong field are never repeated in messages (keys are field names, not secrets).
    { ...goodSetup(), clientId: { secret }, endpoints: { graphqlUrl: secret, schemaUrl: `http://${secret}.dk`, graphqlBaseUrl: `https://x:${secret}@h.dk` } },
    { ...goodSetup(), apiVersion: secret },
  ];
  for (const s of setups) {
    capture(() => cpr.validateSetup(s));
    capture(() => cpr.resolveEndpoints(s));
  }
  capture(() => cpr.diagnose({ stage: 'token', status: 401, body: JSON.stringify({ error: 'invalid_client', error_description: `Invalid client credentials for ${number}` }) }));
  capture(() => cpr.redact({ message: `server echoed ${secret} and ${password}` }, { secrets: [secret, password] }));
  capture(() => cpr.diagnose({ stage: 'graphql', status: 500, body: JSON.stringify({ errors: [{ message: `Bearer ${token} person ${number}` }] }) }));
  capture(() => cpr.diagnose({ stage: 'token', transportError: `failed with client_secret=${secret}` }));
  capture(() => cpr.redact({ authorization: `Bearer ${token}`, text: `client_secret=${secret}&x=${number}`, nested: { password } }));
  const text = JSON.stringify(emitted);
  for (const canary of [secret, password, token, number, '251288-4417']) {
    assert.ok(!text.includes(canary), `leaked ${canary}`);
  }
  assert.ok(text.includes('251288-xxxx') || !text.includes('251288'), 'numbers appear only masked');
});

test('options objects refuse keys they do not declare; data records may carry more', () => {
  const refused = [
    [() => cpr.buildLookupQuery({ sectorType: 'private', cprNumbers: ['0707610123'], maxbatch: 2 }), 'invalid_options', /^input: unknown field `maxbatch`, expected one of `sectorType`/],
    [() => cpr.parseLookupResponse('{}', { sectorType: 'private', cprnumbers: [] }), 'invalid_options', /^options: unknown field `cprnumbers`/],
    [() => cpr.checkSchema('', { sectorType: 'private', strict: true }), 'invalid_options', /^options: unknown field `strict`/],
    [() => cpr.mergePerson({}, null, { fieldmap: {} }), 'invalid_merge_options', /^options: unknown field `fieldmap`/],
    [() => cpr.redact({}, { secret: ['x'] }), 'invalid_options', /^options: unknown field `secret`/],
    [() => new cpr.CprClient(goodSetup(), { timeoutMS: 5 }), 'invalid_options', /^options: unknown field `timeoutMS`/],
    // The client's one nested options object follows mergePerson's rule (it used to drop unknown keys).
    [() => new cpr.CprClient(goodSetup(), { merge: { fieldmap: {} } }), 'invalid_options', /^options\.merge: unknown field `fieldmap`/],
    [() => cpr.buildLookupQuery(['private', ['0707610123']]), 'invalid_options', /^input: invalid type: a list, expected an object/],
  ];
  for (const [call, code, message] of refused) {
    assert.throws(call, (e) => e.name === 'CprError' && e.code === code && message.test(e.message), String(call));
  }
  // A wrong value names its option and never repeats the value.
  assert.throws(() => new cpr.CprClient(goodSetup(), { timeoutMs: '0101701239' }), (e) => e.code === 'invalid_options' && /^options\.timeoutMs: invalid type: text, expected u32/.test(e.message) && !e.message.includes('0101701239'));
  assert.throws(() => cpr.buildLookupQuery({ sectorType: 'Se-cret-0101701239', cprNumbers: ['0707610123'] }), (e) => e.code === 'invalid_sector_type' && !/Se-cret|0101701239/.test(e.message));
  // Records keep what the library does not read.
  const merged = cpr.mergePerson({ name: 'X', custom: { a: 1 } }, { name: { given: 'Jens' }, futureField: 1 });
  assert.deepEqual(merged.record.custom, { a: 1 });
  assert.equal(merged.record.name, 'Jens');
  assert.equal(cpr.diagnose({ stage: 'graphql', status: 401, observedBy: 'proxy' }).code.length > 0, true);
});

test('validateSetup reports the first 20 unknown keys one by one and counts the rest', () => {
  const extra = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`extra${i}`, i]));
  const report = cpr.validateSetup({ ...goodSetup(), ...extra, clientid: 'x' });
  const unknown = report.issues.filter((i) => i.code === 'unknown_field');
  assert.equal(report.ok, true, 'unknown keys are warnings');
  assert.equal(unknown.length, 21);
  assert.deepEqual(unknown.slice(0, 20).map((i) => i.field), [...Object.keys(extra).sort().slice(0, 19), 'clientid'].sort());
  assert.equal(unknown[20].field, undefined, 'about the setup as a whole');
  assert.match(unknown[20].message, /^81 more keys are not setup fields/);
});

test('a key that could not be a field name is never repeated in the report', () => {
  const SECRET = 'Canary-Secret-0042';
  const report = cpr.validateSetup({ ...goodSetup(), [SECRET]: 1, [`"${SECRET}"`]: 2, endpoints: { [SECRET]: 'x', graphqlUrll: 'y' } });
  assert.ok(!JSON.stringify(report).includes(SECRET), JSON.stringify(report));
  const unknown = report.issues.filter((i) => i.code === 'unknown_field');
  assert.deepEqual(unknown.map((i) => i.field ?? ''), ['', '', 'endpoints', 'endpoints.graphqlUrll']);
  assert.match(unknown[0].message, /^A key that is not a field name \(not shown\)/);
  // A plausible field name is named, with a suggestion for a near miss.
  assert.match(cpr.validateSetup({ ...goodSetup(), client_id: 'x' }).issues.find((i) => i.code === 'unknown_field').message, /^"client_id" is not a setup field and will be ignored\. Did you mean "clientId"\?/);
});
