// The package's contract as fast-check properties, shared by the test (tests/js/fuzz.test.mjs:
// fixed seed, seconds) and `npm run fuzz` (tests/fuzz/run.mjs: random seed, minutes).
//
// For every export of the Node build and of `datafordeler-cpr/certificate`, and every method of
// CprClient, with any arguments:
// - functions documented "never throws" never throw and return their documented shape;
// - every other function returns, or throws (rejects) a CprError: an Error named CprError with a
//   string `code`, whose message, diagnosis and debug capture never hold a secret of the input;
// - Object.prototype, Array.prototype and Function.prototype are unchanged afterwards;
// - each call settles within CALL_BOUND_MS (inputs up to a few MB): a hang or a quadratic
//   blow-up fails, ordinary speed never does.
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as cpr from 'datafordeler-cpr';
import * as certificate from 'datafordeler-cpr/certificate';
import * as nodeHelpers from 'datafordeler-cpr/node';
import { FIELD_NAMES, Mutation, SECRET, hostile, materialize, pathsOf } from './hostile.mjs';

export { SECRET };

/** Longest a single call may take before it counts as a hang. */
export const CALL_BOUND_MS = 2000;

const root = new URL('../../', import.meta.url);
const read = (path) => readFileSync(new URL(path, root), 'utf8');

// ---------------------------------------------------------------------------------------------
// Valid inputs, each the start of "valid except one field" mutations.

const VALID = {
  setup: {
    enabled: true, legacyMode: false, environment: 'test04', sectorType: 'private', authMethod: 'sharedSecret',
    clientId: 'erp-it-system', clientSecret: SECRET, debugMode: true,
    endpoints: { graphqlBaseUrl: 'https://127.0.0.1:9/CPR', sharedSecretTokenUrl: 'https://127.0.0.1:9/token' },
  },
  certificateSetup: {
    enabled: true, environment: 'production', sectorType: 'public', authMethod: 'certificate', clientId: 'erp',
    certificatePassword: SECRET, certificate: [48, 130, 1, 2],
  },
  failure: {
    stage: 'graphql', status: 401, headers: { 'content-type': 'application/problem+json', authorization: `Bearer ${SECRET}` },
    body: `{"errorCode":"DAF-AUTH-0005","detail":"IP address is not verified","secret":"${SECRET}"}`,
  },
  redactOptions: { maskCpr: true, secrets: [SECRET] },
  lookupQuery: { sectorType: 'private', cprNumbers: ['070761-0123', '0101701239'] },
  parseOptions: { sectorType: 'private', cprNumbers: ['0707610123'] },
  response: JSON.parse(read('tests/fixtures/graphql/private-ordinary.json')),
  record: { name: 'J. Testesen', address: 'Gl. Vej 1', postCode: '2100', customerNo: 'C-1' },
  mergeOptions: { policies: { city: 'ifEmpty' }, fieldMap: { name: 'navn' } },
  schemaOptions: { sectorType: 'private' },
  clientOptions: { maxAttempts: 1, timeoutMs: 1000, retryBaseDelayMs: 1, retryMaxDelayMs: 1, debugKeepCprNumbers: false },
  batchItems: ['0707610123', { cpr: '070761-0123', existing: { name: 'J. Testesen' } }],
  batchOptions: { concurrency: 2 },
  inspectOptions: { now: 1_700_000_000_000, warnDays: 30 },
};
const SDL = read('schema/cpr-private-sector.graphql');
const RESPONSE_TEXT = JSON.stringify(VALID.response);
const PERSON = cpr.parseLookupResponse(RESPONSE_TEXT, VALID.parseOptions).persons[0];

// ---------------------------------------------------------------------------------------------
// Arbitraries.

const key = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  { weight: 2, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', ...FIELD_NAMES) },
);
const leaves = [
  fc.boolean(), fc.integer(), fc.double(), fc.string({ unit: 'binary', maxLength: 24 }), fc.constantFrom('0101701239', '070761-0123', SECRET, ''),
  fc.constant(null), fc.constant(undefined), fc.bigInt(), hostile,
];

/** Any JS value: JSON, every kind fast-check knows (Maps, Sets, typed arrays, sparse lists,
 * boxed values, null prototypes, dates, bigints), and hostile values anywhere inside. */
export const anyValue = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.anything({
      maxDepth: 3, maxKeys: 6, key, values: leaves, withBoxedValues: true, withMap: true, withSet: true, withObjectString: true,
      withNullPrototype: true, withBigInt: true, withDate: true, withTypedArray: true, withSparseArray: true,
    }),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: hostile },
);

/** `VALID[name]` with one value (two levels deep at most) replaced by any value. */
function mutated(name, base = VALID[name]) {
  const paths = [...pathsOf(base), ['unknownField']];
  return fc.tuple(fc.constantFrom(...paths), anyValue).map(([path, value]) => new Mutation(name, base, path, value));
}

/** The valid value, a mutation of it, its JSON text, or anything. */
const around = (name, base = VALID[name]) => fc.oneof(fc.constant(base), mutated(name, base), fc.constant(JSON.stringify(base)), anyValue);

const setupInput = fc.oneof(around('setup'), around('certificateSetup'));
const cprText = fc.oneof(fc.constantFrom('0707610123', '070761-0123', '0101701239', '010107-4000'), fc.stringMatching(/^[0-9 -]{0,12}$/), anyValue);

const tempRoot = mkdtempSync(join(tmpdir(), 'cpr-fuzz-'));
process.on('exit', () => rmSync(tempRoot, { recursive: true, force: true }));

/** A path inside the fuzz's own temporary folder (a generated string is never used as a path
 * as it is: the library would read or create it). */
const inTemp = (text, folder) => join(tempRoot, folder, text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40) || 'empty');
/**
 * The options of createCertificateFetch with their file paths (a string `pfx`, string `ca`s)
 * moved into the fuzz's own folder. Options that cannot be read are left as they are: the
 * library must cope with them.
 */
function certificatePaths(options) {
  const path = (value) => (typeof value === 'string' && !value.includes('-----BEGIN') ? inTemp(value, 'pfx') : value);
  try {
    if (options === null || typeof options !== 'object' || Object.getPrototypeOf(options) !== Object.prototype) return options;
    const copy = { ...options, pfx: path(options.pfx) };
    if ('ca' in options) copy.ca = Array.isArray(options.ca) ? options.ca.map(path) : path(options.ca);
    return copy;
  } catch {
    return options;
  }
}

/** Any arguments: the structured ones given, or a list of anything. */
const argumentsOf = (...structured) => fc.oneof({ weight: 3, arbitrary: fc.tuple(...structured) }, { weight: 1, arbitrary: fc.array(anyValue, { maxLength: 4 }) });

// ---------------------------------------------------------------------------------------------
// What each function must do.

const SEVERITIES = ['error', 'warning', 'info'];
function checkIssues(issues, where) {
  if (!Array.isArray(issues)) throw new Error(`${where}: issues is not a list`);
  for (const issue of issues) {
    if (typeof issue.code !== 'string' || !issue.code) throw new Error(`${where}: an issue without a code`);
    if (typeof issue.message !== 'string' || !issue.message) throw new Error(`${where}: issue ${issue.code} without a message`);
    if (!SEVERITIES.includes(issue.severity)) throw new Error(`${where}: issue ${issue.code} has severity ${issue.severity}`);
    if (issue.message.includes(SECRET) || (issue.field ?? '').includes(SECRET)) throw new Error(`${where}: issue ${issue.code} repeats the secret`);
  }
}

/** The shapes of the never-throw functions' results. */
const NEVER_THROWS = {
  validateCpr(result) {
    if (typeof result?.valid !== 'boolean') throw new Error('validateCpr: no boolean `valid`');
    checkIssues(result.issues, 'validateCpr');
    if (result.valid !== (typeof result.normalized === 'string' && /^\d{10}$/.test(result.normalized))) throw new Error('validateCpr: `valid` without ten digits');
    if (!result.valid && result.issues.length === 0) throw new Error('validateCpr: invalid without an issue');
  },
  validateSetup(result) {
    if (typeof result?.ok !== 'boolean') throw new Error('validateSetup: no boolean `ok`');
    checkIssues(result.issues, 'validateSetup');
    if (result.ok === result.issues.some((i) => i.severity === 'error')) throw new Error('validateSetup: `ok` disagrees with the issues');
  },
};

/** A thrown value in words, without trusting it (it may be a proxy whose every trap throws). */
function describe(value) {
  try {
    return value instanceof Error ? `${value.name}: ${value.message}` : `a thrown ${typeof value}`;
  } catch {
    return `a thrown ${typeof value} that cannot be read`;
  }
}

/** Whether a thrown (or rejected) value is a CprError that keeps the secret. */
function checkCprError(error, where) {
  let isCprError = false;
  try {
    isCprError = error instanceof cpr.CprError && cpr.isCprError(error) && error.code !== '';
  } catch {
    // A value whose reading throws is no CprError.
  }
  if (!isCprError) throw new Error(`${where} threw something else than a CprError: ${describe(error)}`);
  const text = `${error.message}\n${JSON.stringify({ ...error })}`;
  if (text.includes(SECRET)) throw new Error(`${where}: the error (${error.code}) repeats the secret`);
}

// ---------------------------------------------------------------------------------------------
// Calling, with the bound and the prototype check.

const PROTOTYPES = { 'Object.prototype': Object.prototype, 'Array.prototype': Array.prototype, 'Function.prototype': Function.prototype };

function snapshot() {
  return Object.entries(PROTOTYPES).map(([name, object]) => [
    name,
    Reflect.ownKeys(object).map((k) => [k, Object.getOwnPropertyDescriptor(object, k)]),
  ]);
}

function assertUnchanged(before, where) {
  const after = snapshot();
  for (const [index, [name, entries]] of before.entries()) {
    const now = after[index][1];
    const same = entries.length === now.length && entries.every(([k, d], i) => {
      const [k2, d2] = now[i];
      return k === k2 && ['value', 'get', 'set', 'writable', 'enumerable', 'configurable'].every((f) => Object.is(d[f], d2[f]));
    });
    if (!same) throw new Error(`${where} changed ${name}`);
  }
  if (({}).polluted !== undefined || [].polluted !== undefined) throw new Error(`${where} polluted a prototype`);
}

/** `promise`, or the rejection `timeout` if it has not settled within the bound. */
function bounded(promise, timeout) {
  let timer;
  const limit = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(timeout), CALL_BOUND_MS);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/**
 * Call `invoke` (which calls the library) and check the contract: `neverThrows` (a shape
 * check) or only CprErrors; the bound; the prototypes. Resolves to the result, or `undefined`
 * after a CprError.
 */
async function call(where, invoke, neverThrows) {
  const before = snapshot();
  const started = performance.now();
  let result;
  let failure;
  let failed = false;
  try {
    result = invoke();
  } catch (error) {
    failed = true;
    failure = error;
  }
  const elapsed = performance.now() - started;
  if (elapsed > CALL_BOUND_MS) throw new Error(`${where} took ${Math.round(elapsed)} ms`);
  if (!failed && result instanceof Promise) {
    if (neverThrows) throw new Error(`${where} returned a Promise`);
    const timeout = new Error(`${where} did not settle within ${CALL_BOUND_MS} ms`);
    try {
      result = await bounded(result, timeout);
    } catch (error) {
      if (error === timeout) throw error;
      failed = true;
      failure = error;
    }
  }
  assertUnchanged(before, where);
  if (neverThrows) {
    if (failed) throw new Error(`${where} threw, but it never throws: ${describe(failure)}`);
    neverThrows(result);
    return result;
  }
  if (failed) {
    checkCprError(failure, where);
    return undefined;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// The host bridge's stand-in: answers like Datafordeleren, never touches the network.

const TOKEN = JSON.stringify({ access_token: `token-${SECRET}`, token_type: 'Bearer', expires_in: 300 });
function stubFetch(request) {
  const json = { 'content-type': 'application/json' };
  if (request.purpose === 'token') return { status: 200, headers: json, body: TOKEN };
  if (request.purpose === 'schema') return { status: 200, headers: { 'content-type': 'text/plain' }, body: SDL };
  return { status: 200, headers: json, body: RESPONSE_TEXT };
}

function client(captures) {
  return new cpr.CprClient(VALID.setup, { fetch: stubFetch, onDebug: (capture) => captures.push(capture), ...VALID.clientOptions });
}

function checkCaptures(captures, where) {
  if (JSON.stringify(captures).includes(SECRET)) throw new Error(`${where}: a debug capture repeats the secret`);
}

const operationOptions = fc.oneof(fc.constant(undefined), fc.constant({}), mutated('operationOptions', { signal: null }), anyValue);

/** How to fuzz each CprClient method (the getter `endpoints` included). */
export const CLIENT_MEMBERS = {
  lookup: argumentsOf(cprText, fc.oneof(operationOptions, around('record').map((existing) => ({ existing })), mutated('lookupOptions', { existing: VALID.record, signal: null }))),
  lookupMany: argumentsOf(
    fc.oneof(around('batchItems'), fc.array(fc.oneof(cprText, mutated('batchItem', { cpr: '0707610123', existing: VALID.record })), { maxLength: 5 })),
    fc.oneof(around('batchOptions'), fc.constant(undefined)),
  ),
  testConnection: argumentsOf(operationOptions),
  fetchSchema: argumentsOf(operationOptions),
  checkSchema: argumentsOf(operationOptions),
  fetchEndpoints: argumentsOf(operationOptions),
  endpoints: fc.constant([]),
  apiVersion: fc.constant([]),
};

/** Members that end a client's life rather than use it: a freed client is refused by the
 * binding itself, so they are not fuzzed. */
export const CLIENT_LIFECYCLE = ['constructor', 'free', '__destroy_into_raw'];

/** How to fuzz each export: its arguments, and `neverThrows` for the never-throw functions. */
export const EXPORTS = {
  validateCpr: { args: argumentsOf(cprText), neverThrows: NEVER_THROWS.validateCpr },
  validateSetup: { args: argumentsOf(setupInput), neverThrows: NEVER_THROWS.validateSetup },
  resolveEndpoints: { args: argumentsOf(setupInput) },
  buildSchemaRequest: { args: argumentsOf(setupInput) },
  diagnose: { args: argumentsOf(around('failure')) },
  redact: { args: argumentsOf(fc.oneof(around('failure'), around('setup')), fc.oneof(around('redactOptions'), fc.constant(undefined))) },
  environments: { args: fc.array(anyValue, { maxLength: 2 }) },
  setupFields: { args: fc.array(anyValue, { maxLength: 2 }) },
  checkSchema: { args: argumentsOf(fc.oneof(fc.constant(SDL), fc.string({ unit: 'binary', maxLength: 200 }), anyValue), around('schemaOptions')) },
  buildLookupQuery: { args: argumentsOf(around('lookupQuery')) },
  parseLookupResponse: { args: argumentsOf(fc.oneof(around('response'), fc.constant(RESPONSE_TEXT)), around('parseOptions')) },
  mergePerson: { args: argumentsOf(around('record'), fc.oneof(around('person', PERSON), fc.constant(null)), fc.oneof(around('mergeOptions'), fc.constant(undefined))) },
  CprClient: {
    args: argumentsOf(setupInput, fc.oneof(
      fc.constant({ fetch: stubFetch }),
      mutated('clientOptionsWithHost', { fetch: stubFetch, onDebug: () => {}, ...VALID.clientOptions }),
      around('clientOptions').map((options) => (options && typeof options === 'object' ? { fetch: stubFetch, ...options } : options)),
      anyValue,
    )),
    construct: true,
  },
  'node:createCertificateFetch': {
    args: argumentsOf(fc.oneof(mutated('certificateFetch', { pfx: new Uint8Array([48, 130, 1, 2]), passphrase: SECRET, ca: undefined }), anyValue)),
    // Strings are file paths here: only paths in the fuzz's own folder are read.
    prepare: (args) => [certificatePaths(args[0]), ...args.slice(1)],
  },
  'node:writeDebugCaptures': {
    args: argumentsOf(fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), anyValue)),
    // Strings are directories it creates: only directories in the fuzz's own folder.
    prepare: (args) => args.map((arg) => (typeof arg === 'string' && arg ? inTemp(arg, 'debug') : arg)),
  },
  // The guard never throws, whatever it is given.
  isCprError: {
    args: argumentsOf(anyValue),
    neverThrows: (result) => {
      if (typeof result !== 'boolean') throw new Error('isCprError: not a boolean');
    },
  },
  // The class as a caller makes one (a test double of a host): text, and options of plain values
  // (like Error's own constructor, it reads the options it is given).
  CprError: {
    args: fc.tuple(
      fc.string({ maxLength: 40 }),
      fc.record({ code: fc.string({ maxLength: 20 }), field: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }), cause: anyValue }, { requiredKeys: ['code'] }),
    ),
    construct: true,
    neverThrows: (error) => {
      if (!(error instanceof cpr.CprError) || !cpr.isCprError(error)) throw new Error('CprError: the made error is not a CprError');
    },
  },
  'certificate:inspectCertificate': {
    args: argumentsOf(
      fc.oneof(fc.uint8Array({ maxLength: 64 }).map((bytes) => Uint8Array.from([48, 130, ...bytes])), anyValue),
      fc.oneof(fc.constant(SECRET), anyValue),
      fc.oneof(around('inspectOptions'), fc.constant(undefined)),
    ),
  },
};

/**
 * The functions under test: the package's exports, the certificate subpath's under
 * `certificate:`, the Node helpers' (datafordeler-cpr/node) under `node:`. The browser helper
 * (datafordeler-cpr/browser) needs a document: tests/js/browser-client.test.mjs calls it.
 */
export const exported = () => ({
  ...cpr,
  ...Object.fromEntries(Object.entries(nodeHelpers).map(([name, value]) => [`node:${name}`, value])),
  ...Object.fromEntries(Object.entries(certificate).map(([name, value]) => [`certificate:${name}`, value])),
});

/** Exports and client members with no entry above: the test fails on them. */
export function unfuzzed() {
  const exports = Object.keys(exported()).filter((name) => !(name in EXPORTS));
  const members = [...Object.getOwnPropertyNames(cpr.CprClient.prototype), ...Object.getOwnPropertySymbols(cpr.CprClient.prototype).map(String)]
    .filter((name) => !(name in CLIENT_MEMBERS) && !CLIENT_LIFECYCLE.includes(name) && !name.startsWith('Symbol('));
  return [...exports, ...members.map((name) => `CprClient.prototype.${name}`)];
}

/** Every property, by name. */
export function properties() {
  const functions = exported();
  const list = Object.entries(EXPORTS).map(([name, entry]) => [
    name,
    fc.asyncProperty(entry.args, async (generated) => {
      const args = (entry.prepare ?? ((a) => a))(generated.map((arg) => materialize(arg)));
      const fn = functions[name];
      await call(name, () => (entry.construct ? new fn(...args) : fn(...args)), entry.neverThrows);
    }),
  ]);
  for (const [member, args] of Object.entries(CLIENT_MEMBERS)) {
    list.push([
      `CprClient.prototype.${member}`,
      fc.asyncProperty(args, async (generated) => {
        const captures = [];
        const instance = client(captures);
        const real = generated.map((arg) => materialize(arg));
        const where = `client.${member}`;
        const descriptor = Object.getOwnPropertyDescriptor(cpr.CprClient.prototype, member);
        await call(where, () => (descriptor.get ? descriptor.get.call(instance) : instance[member](...real)));
        checkCaptures(captures, where);
        instance.free();
      }),
    ]);
  }
  return list;
}
