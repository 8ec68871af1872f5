// Errors you can test for: every error the package throws or rejects with is an instance of the
// one exported `CprError` (in the ES module and the CommonJS entry, and from the certificate
// module), its `code` is one of the declared `ErrorCode` texts, and `isCprError` recognises them
// (also from another realm) without ever throwing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import * as esm from 'datafordeler-cpr';
import { inspectCertificate } from 'datafordeler-cpr/certificate';
import * as esmNode from 'datafordeler-cpr/node';
import { goodSetup } from '../support/setups.mjs';

const require = createRequire(import.meta.url);
const cjs = require('datafordeler-cpr');
const cjsCertificate = require('datafordeler-cpr/certificate');
const cjsNode = require('datafordeler-cpr/node');

/** The texts of a union type alias in the generated declarations (`export type Name = | "a" | …;`). */
function unionOf(declarations, name) {
  const match = declarations.match(new RegExp(`export type ${name} =([^;]*);`));
  assert.ok(match, `${name} is declared`);
  return match[1].split('|').map((m) => m.trim()).filter(Boolean);
}
const declarations = readFileSync(new URL('../../pkg/node/datafordeler_cpr.d.ts', import.meta.url), 'utf8');
const errorMembers = unionOf(declarations, 'ErrorCode');
const DECLARED_CODES = new Set([
  ...unionOf(declarations, 'DiagnosisCode').map((m) => JSON.parse(m)),
  ...errorMembers.filter((m) => m.startsWith('"')).map((m) => JSON.parse(m)),
]);

/** What `run` throws or rejects with. */
async function caught(run) {
  try {
    await run();
  } catch (error) {
    return error;
  }
  assert.fail('expected an error');
}

/** One test per failing call, with the code it must carry. */
function failures(cpr, certificate, node) {
  const client = () => new cpr.CprClient(goodSetup(), { fetch: async () => ({ status: 401, body: '{"error":"invalid_client"}' }), maxAttempts: 1 });
  return [
    ['resolveEndpoints of no setup', () => cpr.resolveEndpoints(null), 'setup_not_object'],
    ['buildLookupQuery of a bad number', () => cpr.buildLookupQuery({ sectorType: 'private', cprNumbers: ['320170-1239'] }), 'invalid_cpr_number'],
    ['redact with bad options', () => cpr.redact({}, { secrets: 5 }), 'invalid_options'],
    ['checkSchema of no text', () => cpr.checkSchema(42, { sectorType: 'private' }), 'invalid_schema'],
    ['diagnose of an impossible status', () => cpr.diagnose({ status: 1000 }), 'invalid_failure'],
    ['a client of an unusable setup', () => new cpr.CprClient({ ...goodSetup(), clientId: '' }), 'required'],
    ['createCertificateFetch without a PFX', () => node.createCertificateFetch({ pfx: 42 }), 'invalid_certificate'],
    ['writeDebugCaptures without a directory', () => node.writeDebugCaptures(''), 'invalid_directory'],
    ['inspectCertificate of bytes that are no PFX', () => certificate.inspectCertificate(new Uint8Array([1, 2, 3]), 'pw'), 'not_pkcs12'],
    ['a lookup of a bad number (rejects)', () => client().lookup('32132'), 'invalid_cpr_number'],
    ['a lookup whose token is refused (rejects)', () => client().lookup('0101701239'), 'token_invalid_client'],
    ['lookupMany of no list (rejects)', () => client().lookupMany(42), 'invalid_items'],
  ];
}

for (const [entry, cpr, certificate, node] of [['ES module', esm, { inspectCertificate }, esmNode], ['CommonJS', cjs, cjsCertificate, cjsNode]]) {
  for (const [what, run, code] of failures(cpr, certificate, node)) {
    test(`${entry}: ${what} is a CprError with code ${code}`, async () => {
      const error = await caught(run);
      assert.ok(error instanceof cpr.CprError, `${error?.name}: ${error?.message}`);
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'CprError');
      assert.equal(error.code, code, error.message);
      assert.ok(DECLARED_CODES.has(error.code), `${error.code} is in the declared ErrorCode union`);
      assert.equal(typeof error.message, 'string');
      assert.equal(cpr.isCprError(error), true);
      assert.equal(Object.prototype.toString.call(error), '[object Error]');
    });
  }
}

test('the ES module and the CommonJS entry export the one class and guard', () => {
  assert.equal(typeof esm.CprError, 'function');
  assert.equal(esm.CprError, cjs.CprError);
  assert.equal(esm.isCprError, cjs.isCprError);
  assert.ok(esm.CprError.prototype instanceof Error);
});

test('a failed call carries its diagnosis; a setup error its field; a made one its cause', async () => {
  const failed = await caught(() => new esm.CprClient(goodSetup(), { fetch: async () => ({ status: 401, body: '{"error":"invalid_client"}' }), maxAttempts: 1 }).lookup('0101701239'));
  assert.equal(failed.diagnosis.code, failed.code);
  const invalid = await caught(() => new esm.CprClient(goodSetup()).lookup('32132'));
  assert.equal(invalid.diagnosis.code, 'invalid_cpr_number');
  const setup = await caught(() => new esm.CprClient({ ...goodSetup(), clientId: '' }));
  assert.equal(setup.field, 'clientId');
  assert.ok(!('diagnosis' in setup) && !('cause' in setup));
  const cause = new Error('underneath');
  const made = new esm.CprError('on top', { code: 'invalid_options', cause });
  assert.equal(made.cause, cause);
  assert.deepEqual([made.name, made.code, made.message, 'field' in made], ['CprError', 'invalid_options', 'on top', false]);
  assert.equal(esm.isCprError(made), true);
});

test('isCprError recognises a CprError of another realm or copy by its brand', () => {
  const foreign = vm.runInNewContext("Object.assign(new Error('x'), { name: 'CprError', code: 'timeout' })");
  assert.ok(!(foreign instanceof esm.CprError));
  assert.equal(esm.isCprError(foreign), true);
  // Another copy of the class (a second installed package): an Error subclass with the brand.
  class OtherCprError extends Error {
    constructor() { super('y'); this.name = 'CprError'; this.code = 'required'; }
  }
  assert.equal(esm.isCprError(new OtherCprError()), true);
});

test('isCprError is false for look-alikes that are not errors or lack a code', () => {
  const lookAlikes = [
    undefined, null, 0, 'CprError', Symbol('CprError'), 10n, () => {},
    { name: 'CprError', code: 'timeout', message: 'not an error' },
    Object.create(Error.prototype, { name: { value: 'CprError' }, code: { value: 'timeout' } }),
    Object.assign(new Error('no code'), { name: 'CprError' }),
    Object.assign(new Error('numeric code'), { name: 'CprError', code: 401 }),
    Object.assign(new Error('other name'), { code: 'timeout' }),
    Object.assign(new TypeError('x'), { name: 'TypeError', code: 'timeout' }),
    vm.runInNewContext("({ name: 'CprError', code: 'timeout' })"),
  ];
  for (const value of lookAlikes) assert.equal(esm.isCprError(value), false, String(value?.message ?? typeof value));
});

test('isCprError never throws, whatever the value', () => {
  const boom = () => { throw new Error('trap'); };
  const allTraps = { get: boom, getPrototypeOf: boom, has: boom, ownKeys: boom, getOwnPropertyDescriptor: boom };
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const { proxy: revokedError, revoke: revokeError } = Proxy.revocable(new esm.CprError('x', { code: 'timeout' }), {});
  revokeError();
  const hostile = [
    new Proxy({}, allTraps),
    new Proxy(new esm.CprError('x', { code: 'timeout' }), allTraps),
    new Proxy(() => {}, allTraps),
    revoked,
    revokedError,
    Object.defineProperty(new Error('x'), 'name', { get: boom }),
    Object.defineProperties(new Error('x'), { name: { value: 'CprError' }, code: { get: boom } }),
    Object.defineProperty(Object.assign(new Error('x'), { name: 'CprError', code: 'timeout' }), Symbol.toStringTag, { get: boom }),
    Object.setPrototypeOf(Object.assign(new Error('x'), { name: 'CprError', code: 'timeout' }), new Proxy({}, allTraps)),
  ];
  for (const value of hostile) {
    assert.doesNotThrow(() => esm.isCprError(value));
    assert.equal(typeof esm.isCprError(value), 'boolean');
  }
  assert.equal(esm.isCprError(revokedError), false);
});

test('the declarations: the class, the guard and the ErrorCode union over DiagnosisCode', () => {
  assert.match(declarations, /export class CprError extends Error \{/);
  assert.match(declarations, /export function isCprError\(value: unknown\): value is CprError;/);
  assert.equal(errorMembers[0], 'DiagnosisCode');
  assert.ok(!DECLARED_CODES.has('invalid_cpr'), 'one spelling for a bad CPR number');
  assert.ok(DECLARED_CODES.has('invalid_cpr_number'));
  const own = errorMembers.slice(1).map((m) => JSON.parse(m));
  const diagnosis = unionOf(declarations, 'DiagnosisCode').map((m) => JSON.parse(m));
  assert.deepEqual(own.filter((code) => diagnosis.includes(code)), [], 'no text is both an own code and a diagnosis code');
});
