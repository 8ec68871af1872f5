// The hostile values of the security review, as explicit cases: a typed array's prototype on a
// plain object, a revoked Proxy, proxies and getters that throw, cycles and deep nesting. The
// never-throw functions return issues; every other export throws (or rejects) only a CprError
// that names what could not be read and never repeats what the caller's code threw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as cpr from 'datafordeler-cpr';
import { inspectCertificate } from 'datafordeler-cpr/certificate';
import { createCertificateFetch, writeDebugCaptures } from 'datafordeler-cpr/node';
import { HOSTILE, SECRET } from '../fuzz/hostile.mjs';
import { goodSetup } from '../support/setups.mjs';


const revoked = HOSTILE['revoked proxy'];
const fakeTypedArray = HOSTILE['object with a typed array prototype'];
const throwingGetters = HOSTILE['object whose getters throw'];

/** The review's three values, fresh for each use. */
const REVIEW = {
  'a field holding an object with a typed array prototype': () => ({ ...goodSetup(), clientId: fakeTypedArray() }),
  'a setup with a typed array prototype': () => Object.setPrototypeOf(goodSetup(), Uint8Array.prototype),
  'a revoked Proxy': revoked,
};

const codes = (report) => report.issues.map((i) => [i.field ?? '', i.code]);

/** A client whose host answers every request with a 500, so nothing goes to the network. */
const offlineClient = () => new cpr.CprClient(goodSetup(), { fetch: () => ({ status: 500 }), maxAttempts: 1 });

/** `error` is a CprError with `code`, whose message matches `message` and keeps the secret. */
function isCprError(error, code, message = /./) {
  assert.equal(error?.name, 'CprError', `expected a CprError, got ${error?.name}: ${error?.message}`);
  assert.ok(error instanceof cpr.CprError && cpr.isCprError(error), 'an instance of the exported CprError');
  assert.equal(error.code, code, error.message);
  assert.match(error.message, message);
  assert.ok(!error.message.includes(SECRET), 'the message repeats what the caller threw');
  return true;
}

/** Call `run` (sync or async); it must return, or throw/reject a CprError. */
async function returnsOrCprError(run) {
  try {
    return await run();
  } catch (error) {
    assert.equal(error?.name, 'CprError', `expected a CprError, got ${error?.name}: ${error?.message}`);
    assert.ok(error instanceof cpr.CprError, 'an instance of the exported CprError');
    assert.equal(typeof error.code, 'string');
    return error;
  }
}

test('validateSetup returns issues for the review\'s values', () => {
  const field = cpr.validateSetup(REVIEW['a field holding an object with a typed array prototype']());
  assert.deepEqual(codes(field), [['clientId', 'wrong_type']]);
  // Own fields are what a setup is made of; the prototype is not read.
  assert.deepEqual(cpr.validateSetup(REVIEW['a setup with a typed array prototype']()), { ok: true, issues: [] });
  const gone = cpr.validateSetup(revoked());
  assert.deepEqual(codes(gone), [['', 'unreadable_input']]);
  assert.match(gone.issues[0].message, /^The input could not be read/);
  const inner = cpr.validateSetup({ ...goodSetup(), endpoints: { graphqlUrl: revoked() } });
  assert.deepEqual(codes(inner), [['endpoints.graphqlUrl', 'unreadable_input']]);
  const getter = cpr.validateSetup(Object.defineProperty(goodSetup(), 'clientSecret', { get: () => { throw new Error(SECRET); }, enumerable: true }));
  assert.deepEqual(codes(getter), [['clientSecret', 'unreadable_input']]);
  assert.match(getter.issues[0].message, /^CPR Client Secret could not be read/);
  assert.ok(!JSON.stringify(getter).includes(SECRET), 'what the getter threw is not repeated');
  for (const name of Object.keys(HOSTILE)) {
    const report = cpr.validateSetup(HOSTILE[name]());
    assert.equal(typeof report.ok, 'boolean', name);
  }
});

test('validateCpr says "not text" for the review\'s values', () => {
  for (const [name, make] of Object.entries(REVIEW)) assert.deepEqual(codes(cpr.validateCpr(make())), [['', 'not_text']], name);
  for (const name of Object.keys(HOSTILE)) assert.equal(cpr.validateCpr(HOSTILE[name]()).valid, false, name);
});

test('redact and diagnose throw only CprErrors that say what could not be read', async () => {
  assert.throws(() => cpr.redact(revoked()), (e) => isCprError(e, 'unreadable_input', /^The input could not be read/));
  assert.throws(() => cpr.redact({ a: [1, revoked()] }), (e) => isCprError(e, 'unreadable_input', /^a\.1: could not be read/));
  assert.throws(() => cpr.redact({}, revoked()), (e) => isCprError(e, 'unreadable_input', /^options: could not be read/));
  assert.throws(() => cpr.redact({ headers: throwingGetters() }), (e) => isCprError(e, 'unreadable_input', /^headers\.\w+: could not be read/));
  assert.deepEqual(cpr.redact({ x: fakeTypedArray() }), { x: {} }, 'a look-alike has no bytes: an empty object');
  assert.deepEqual(cpr.redact({ bytes: Object.setPrototypeOf(new Uint8Array([1, 2]), null) }), { bytes: [1, 2] }, 'a real typed array keeps its bytes');
  assert.throws(() => cpr.diagnose(revoked()), (e) => isCprError(e, 'unreadable_input'));
  for (const make of Object.values(REVIEW)) {
    await returnsOrCprError(() => cpr.redact(make()));
    await returnsOrCprError(() => cpr.diagnose({ stage: 'graphql', status: 401, headers: make(), body: make() }));
  }
});

test('resolveEndpoints and the GraphQL layer throw only CprErrors', async () => {
  assert.throws(() => cpr.resolveEndpoints(revoked()), (e) => isCprError(e, 'unreadable_input'));
  for (const make of Object.values(REVIEW)) await returnsOrCprError(() => cpr.resolveEndpoints(make()));
  assert.throws(
    () => cpr.buildLookupQuery({ sectorType: 'private', cprNumbers: revoked() }),
    (e) => isCprError(e, 'unreadable_input', /^input\.cprNumbers: could not be read/),
  );
  assert.throws(() => cpr.parseLookupResponse(revoked(), { sectorType: 'private' }), (e) => isCprError(e, 'unreadable_input', /^body: could not be read/));
  assert.throws(() => cpr.parseLookupResponse('{}', revoked()), (e) => isCprError(e, 'unreadable_input', /^options: could not be read/));
  assert.throws(() => cpr.mergePerson({ name: revoked() }, null), (e) => isCprError(e, 'unreadable_input', /^existing\.name: could not be read/));
  assert.throws(() => cpr.mergePerson({}, throwingGetters()), (e) => isCprError(e, 'unreadable_input', /^person\.\w+: could not be read/));
  for (const make of Object.values(REVIEW)) {
    await returnsOrCprError(() => cpr.buildLookupQuery(make()));
    await returnsOrCprError(() => cpr.parseLookupResponse(make(), make()));
    await returnsOrCprError(() => cpr.mergePerson(make(), make(), make()));
  }
});

test('new CprClient throws only CprErrors', async () => {
  assert.throws(() => new cpr.CprClient(revoked()), (e) => isCprError(e, 'unreadable_input'));
  assert.throws(() => new cpr.CprClient(REVIEW['a field holding an object with a typed array prototype']()), (e) => isCprError(e, 'wrong_type'));
  assert.ok(new cpr.CprClient(REVIEW['a setup with a typed array prototype'](), { fetch: () => ({ status: 500 }) }));
  assert.throws(() => new cpr.CprClient(goodSetup(), revoked()), (e) => isCprError(e, 'unreadable_input', /^options\.fetch could not be read/));
  assert.throws(() => new cpr.CprClient(goodSetup(), throwingGetters()), (e) => isCprError(e, 'unreadable_input', /^options\.fetch could not be read/));
  // The client's own options are read after the host's functions: a getter that throws there too.
  const throwingOption = { fetch: () => ({ status: 500 }), get timeoutMs() { throw new Error('0101701239'); } };
  assert.throws(() => new cpr.CprClient(goodSetup(), throwingOption), (e) => isCprError(e, 'unreadable_input', /^options could not be read/) && !e.message.includes('0101701239'));
  // A callable without Function.prototype is still a function.
  assert.ok(new cpr.CprClient(goodSetup(), { fetch: HOSTILE['function with a null prototype']() }));
  for (const make of Object.values(REVIEW)) await returnsOrCprError(() => new cpr.CprClient(goodSetup(), make()));
});

test('client.lookup and client.lookupMany reject only with CprErrors', async () => {
  const client = offlineClient();
  await assert.rejects(client.lookup('0707610123', { existing: revoked() }), (e) => isCprError(e, 'unreadable_input', /^options\.existing: could not be read/));
  await assert.rejects(client.lookup('0707610123', { existing: { name: revoked() } }), (e) => isCprError(e, 'unreadable_input', /^options\.existing\.name: could not be read/));
  await assert.rejects(client.lookup('0707610123', revoked()), (e) => isCprError(e, 'unreadable_input', /^options could not be read/));
  await assert.rejects(client.lookupMany(revoked()), (e) => isCprError(e, 'unreadable_input', /^The list of items could not be read/));
  await assert.rejects(client.lookupMany(HOSTILE['array proxy whose get throws']()), (e) => isCprError(e, 'unreadable_input'));
  await assert.rejects(client.lookupMany(['0707610123', revoked()]), (e) => isCprError(e, 'unreadable_input', /^Item 1 could not be read/));
  await assert.rejects(client.lookupMany([throwingGetters()]), (e) => isCprError(e, 'unreadable_input', /^Item 0 could not be read/));
  await assert.rejects(client.lookupMany([fakeTypedArray()]), (e) => isCprError(e, 'invalid_cpr_number'));
  await assert.rejects(client.lookupMany(HOSTILE['array proxy claiming 2**32-1 items']()), (e) => isCprError(e, 'invalid_items'));
  await assert.rejects(client.lookupMany(['0707610123'], revoked()), (e) => isCprError(e, 'unreadable_input', /^options\.concurrency could not be read/));
  for (const make of Object.values(REVIEW)) {
    await returnsOrCprError(() => client.lookup('0707610123', { existing: make() }));
    await returnsOrCprError(() => client.lookup('0707610123', make()));
    await returnsOrCprError(() => client.lookupMany([make(), { cpr: '0707610123', existing: make() }], make()));
  }
});

test('only a real, unaltered AbortSignal is taken as options.signal', async () => {
  const client = offlineClient();
  for (const name of ['AbortSignal whose own aborted throws', 'AbortSignal whose prototype throws', 'AbortSignal behind a proxy whose prototype trap throws', 'object with an AbortSignal prototype']) {
    await assert.rejects(client.lookup('0707610123', { signal: HOSTILE[name]() }), (e) => isCprError(e, 'invalid_options', /options\.signal must be an AbortSignal/), name);
    await assert.rejects(client.lookupMany(['0707610123'], { signal: HOSTILE[name]() }), (e) => isCprError(e, 'invalid_options'), name);
  }
  await assert.rejects(client.lookup('0707610123', { signal: AbortSignal.abort() }), (e) => isCprError(e, 'cancelled'));
  // Node's AbortSignal checks its brand through a symbol, which a proxy passes on: such a
  // signal is used as it is (the request fails on the host's 500, not on the signal).
  await assert.rejects(client.lookup('0707610123', { signal: HOSTILE['AbortSignal behind a proxy']() }), (e) => isCprError(e, 'server_error'));
  // Such a proxy may behave while it is checked and throw afterwards: an unreadable signal
  // counts as aborted, and the operation settles (it used to hang with an uncaught exception).
  if (typeof process !== 'undefined') {
    let reads = 0;
    const turncoat = new Proxy(new AbortController().signal, {
      get(target, key) {
        if (key === 'aborted' && ++reads > 1) throw new Error('aborted read');
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await assert.rejects(client.lookup('0707610123', { signal: turncoat }), (e) => e?.name === 'CprError' && ['cancelled', 'invalid_options'].includes(e.code));
  }
});

test('a cycle refers to itself; deep nesting is nested too deeply; a shared object is neither', () => {
  const cycle = cpr.validateSetup(HOSTILE['object refers to itself']());
  assert.deepEqual(codes(cycle).map(([, code]) => code), ['input_too_deep']);
  assert.match(cycle.issues[0].message, /refers to itself/);
  for (const name of ['objects nested 10,000 deep', 'lists nested 10,000 deep']) {
    assert.throws(() => cpr.redact(HOSTILE[name]()), (e) => isCprError(e, 'input_too_deep', /nested too deeply/) && !/refers to itself/.test(e.message), name);
  }
  // The path is where the object appears inside itself.
  assert.throws(() => cpr.redact(HOSTILE['list contains itself']()), (e) => isCprError(e, 'input_too_deep', /^1: refers to itself/));
  assert.throws(() => cpr.diagnose({ stage: 'graphql', ...HOSTILE['cycle below a field']() }), (e) => isCprError(e, 'input_too_deep', /^failure\.endpoints\.again\.back: refers to itself/));
  assert.deepEqual(cpr.redact(HOSTILE['the same object twice (no cycle)']()), { one: { a: 1 }, two: { a: 1 }, list: [{ a: 1 }, { a: 1 }] });
});

test('huge inputs end with input_too_large, not a long walk', () => {
  assert.throws(() => cpr.redact(HOSTILE['sparse list of length 2**32-1']()), (e) => isCprError(e, 'input_too_large'));
  assert.throws(() => cpr.redact({ pfx: HOSTILE['Uint8Array of 2 MB']() }), (e) => isCprError(e, 'input_too_large', /^pfx: is binary data larger than 1 MB/));
  const report = cpr.validateSetup({ ...goodSetup(), certificate: HOSTILE['sparse list of length 2**32-1']() });
  assert.deepEqual(codes(report), [['certificate', 'input_too_large']]);
});

test('__proto__ keys stay data and pollute no prototype', () => {
  const copy = cpr.redact(HOSTILE['__proto__ and constructor keys']());
  assert.ok(Object.hasOwn(copy, '__proto__'));
  assert.deepEqual(copy.__proto__, { polluted: 'yes' });
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.equal({}.polluted, undefined);
  assert.equal(cpr.validateSetup(HOSTILE['__proto__ and constructor keys']()).ok, false);
  assert.equal({}.polluted, undefined);
  // A customer record with such a key keeps it as data through a merge.
  const merged = cpr.mergePerson(HOSTILE['__proto__ and constructor keys'](), { name: { given: 'Jens' } }).record;
  assert.ok(Object.hasOwn(merged, '__proto__'));
  assert.deepEqual(merged.__proto__, { polluted: 'yes' });
  assert.equal(Object.getPrototypeOf(merged), Object.prototype);
  assert.equal(merged.name, 'Jens');
  assert.equal({}.polluted, undefined);
});

test('the certificate check and the Node helpers throw only CprErrors', () => {
  assert.throws(() => inspectCertificate(fakeTypedArray(), 'pw'), (e) => isCprError(e, 'invalid_certificate'));
  assert.throws(() => inspectCertificate(HOSTILE['Uint8Array over a detached buffer'](), 'pw'), (e) => e.name === 'CprError');
  assert.throws(() => inspectCertificate(new Uint8Array([48, 130, 1, 2]), 'pw', revoked()), (e) => isCprError(e, 'unreadable_input'));
  assert.throws(() => inspectCertificate(new Uint8Array([48, 130, 1, 2]), 'pw', 42), (e) => isCprError(e, 'invalid_options'));
  assert.throws(() => inspectCertificate(new Uint8Array([48, 130, 1, 2]), 'pw', throwingGetters()), (e) => isCprError(e, 'unreadable_input', /^options\.\w+: could not be read/));
  assert.throws(() => createCertificateFetch(null), (e) => isCprError(e, 'invalid_certificate'));
  assert.throws(() => createCertificateFetch(revoked()), (e) => isCprError(e, 'unreadable_input'));
  assert.throws(() => createCertificateFetch({ pfx: fakeTypedArray() }), (e) => isCprError(e, 'invalid_certificate'));
  assert.throws(() => createCertificateFetch({ pfx: new Uint8Array([1]), passphrase: throwingGetters() }), (e) => isCprError(e, 'invalid_options'));
  assert.throws(() => createCertificateFetch({ pfx: new Uint8Array([1]), passphrase: SECRET }), (e) => isCprError(e, 'certificate_unreadable'));
  assert.throws(() => writeDebugCaptures(), (e) => isCprError(e, 'invalid_directory'));
  assert.throws(() => writeDebugCaptures(revoked()), (e) => isCprError(e, 'invalid_directory'));
  assert.throws(() => writeDebugCaptures('bad\u0000name'), (e) => isCprError(e, 'invalid_directory'));
});

test('a list where an object or a map is declared is refused, never read as pairs', async () => {
  // serde-wasm-bindgen reads a map from any iterable, taking each item as a [key, value] pair.
  assert.throws(() => cpr.mergePerson([null], null), (e) => isCprError(e, 'invalid_record', /^existing: invalid type: a list, expected an object/));
  assert.throws(() => cpr.mergePerson([['name', 'x']], null), (e) => isCprError(e, 'invalid_record'));
  assert.throws(() => cpr.mergePerson({}, null, { fieldMap: [null] }), (e) => isCprError(e, 'invalid_field_map', /^options\.fieldMap: /));
  assert.throws(() => cpr.mergePerson({}, null, { policies: [['name', 'never']] }), (e) => isCprError(e, 'invalid_policies'));
  assert.throws(() => new cpr.CprClient(goodSetup(), { merge: { policies: [null] } }), (e) => isCprError(e, 'invalid_options', /^options\.merge: /));
  assert.throws(() => cpr.redact({}, [null]), (e) => isCprError(e, 'invalid_options'));
  await assert.rejects(offlineClient().lookup('0707610123', { existing: [null] }), (e) => isCprError(e, 'invalid_record'));
  await assert.rejects(offlineClient().lookupMany([{ cpr: '0707610123', existing: [null] }]), (e) => isCprError(e, 'invalid_record'));
});
