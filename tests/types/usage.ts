// Compiled with `tsc --noEmit` against the generated declarations: every export is used the
// way the README shows, so a change to a Rust type that breaks callers fails the build.
import {
  validateCpr,
  validateSetup,
  resolveEndpoints,
  diagnose,
  redact,
  environments,
  setupFields,
  type CprValidation,
  type SetupInput,
  type SetupReport,
  type ResolvedEndpoints,
  type Diagnosis,
  type Issue,
  CprError,
  isCprError,
  type ErrorCode,
  type EnvironmentInfo,
  type SetupFieldInfo,
  CprClient,
  type CprHost,
  type ConnectionReport,
  type LookupOutcome,
  type ItemResult,
  type Progress,
  type DebugCapture,
  type HostRequest,
  buildLookupQuery,
  checkSchema,
  parseLookupResponse,
  mergePerson,
  type LookupQuery,
  type DriftReport,
  type LookupResult,
  type MergeResult,
  buildSchemaRequest,
  type SchemaRequest,
  type ItemError,
  type DiagnosisCode,
  type Person,
  type PersonStatus,
  type ProtectionKind,
} from 'datafordeler-cpr';
import { createCertificateFetch, writeDebugCaptures, type CertificateFetchOptions } from 'datafordeler-cpr/node';
import { downloadDebugCapture } from 'datafordeler-cpr/browser';
import { init, validateCpr as validateAfterInit, type InitInput } from 'datafordeler-cpr/init';
import type { CertificateReport } from 'datafordeler-cpr/certificate';

const schemaRequest: SchemaRequest = buildSchemaRequest({ environment: 'test04', sectorType: 'private', authMethod: 'sharedSecret' });
void schemaRequest.url;

// The GraphQL layer on its own, for hosts that do their own HTTP.
const query: LookupQuery = buildLookupQuery({ sectorType: 'private', cprNumbers: ['0101701239'] });
const drift: DriftReport = checkSchema('type Query { a: Int }', { sectorType: 'public' });
const parsed: LookupResult = parseLookupResponse('{"data":null}', { sectorType: 'private', cprNumbers: ['0101701239'] });
const merged: MergeResult = mergePerson({ name: 'x' }, parsed.persons[0] ?? null, { policies: { address: 'never' } });
void [query.variables, drift, merged.changes];

const number: CprValidation = validateCpr('010170-1239');
const masked: string | undefined = number.masked ?? undefined;
const valid: boolean = number.valid;

const setup: SetupInput = {
  enabled: true,
  legacyMode: false,
  environment: 'test04',
  sectorType: 'private',
  authMethod: 'sharedSecret',
  clientId: 'erp',
  clientSecret: 'secret',
  debugMode: false,
  apiVersion: 'v2',
  endpoints: { graphqlBaseUrl: 'http://127.0.0.1:8787' },
};
const certificateSetup: SetupInput = { ...setup, authMethod: 'certificate', certificate: new Uint8Array([0x30]), certificatePassword: 'pw' };
const report: SetupReport = validateSetup(setup);
const firstIssue: Issue | undefined = report.issues[0];
const severity: 'error' | 'warning' | 'info' | undefined = firstIssue?.severity;

let endpoints: ResolvedEndpoints | undefined;
try {
  endpoints = resolveEndpoints(certificateSetup);
} catch (e) {
  // The guard narrows `unknown`; so does `instanceof` on the exported class.
  if (isCprError(e)) {
    const code: ErrorCode = e.code;
    const field: string | undefined = e.field;
    void [code, field, e.diagnosis?.retryable, e.debug?.exchanges, e.cause, e.message, e.stack];
  }
  if (e instanceof CprError) {
    const name: 'CprError' = e.name;
    const asError: Error = e;
    void [name, asError];
  }
}
const tokenUrl: string | undefined = endpoints?.tokenUrl;
const provenance: 'verified' | 'observed' | 'inferred' | 'override' | undefined = endpoints?.provenance.graphqlUrl;

const diagnosis: Diagnosis = diagnose({ stage: 'graphql', status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
const retry: boolean = diagnosis.retryable;
const safe: unknown = redact({ Authorization: 'Bearer x' }, { maskCpr: true, secrets: ['secret'] });
const envs: EnvironmentInfo[] = environments();
const fields: SetupFieldInfo[] = setupFields();

// The client, with a host that relays every request and records debug captures.
const host: CprHost = {
  fetch: async (request: HostRequest) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: `{"purpose":"${request.purpose}"}` }),
  onDebug: (capture: DebugCapture) => { void capture.exchanges.length; },
};
const client = new CprClient(setup, { ...host, timeoutMs: 10_000, maxAttempts: 3, merge: { policies: { name: 'ifEmpty' } } });
async function useClient(signal: AbortSignal): Promise<void> {
  const report: ConnectionReport = await client.testConnection();
  const failed = report.steps.find((s) => s.status === 'failed')?.diagnosis?.solution;
  const outcome: LookupOutcome = await client.lookup('010170-1239', { existing: { name: 'x' }, signal });
  const changes = outcome.merge?.changes.map((c) => c.field);
  // A not-found outcome's absent person goes straight into a merge.
  const remerged: MergeResult = mergePerson({ name: 'x' }, outcome.person);
  const results: ItemResult[] = await client.lookupMany(['0101701239', { cpr: '0101701239', existing: null }], {
    concurrency: 4,
    signal,
    onProgress: (p: Progress) => { void p.done; },
  });
  // A batch result narrows on `ok`.
  for (const result of results) {
    if (result.ok) {
      const value: LookupOutcome = result.value;
      void value;
    } else {
      const error: ItemError = result.error;
      void error;
    }
  }
  // @ts-expect-error: `value` exists only once `ok` says so
  void results[0].value;
  // @ts-expect-error: a record is passed as `existing`, not as the options
  void client.lookup('010170-1239', { name: 'x' });
  const sdl: string = await client.fetchSchema();
  void [failed, changes, remerged, results, sdl, client.endpoints.graphqlUrl, await client.checkSchema()];
}
const certificateFetch = createCertificateFetch({ pfx: new Uint8Array([0x30]), passphrase: 'pw', ca: '-----BEGIN CERTIFICATE-----' });
const onDebug: (capture: DebugCapture) => string = writeDebugCaptures('/tmp/debug');
const download: (capture: DebugCapture) => string = downloadDebugCapture;
const certificateOptions: CertificateFetchOptions = { pfx: '/path/to/cert.pfx' };
const initInputs: InitInput[] = [new URL('https://example.invalid/x.wasm'), new Uint8Array([0]), new Response(null)];
async function initialised(): Promise<boolean> {
  const done: Promise<void> = init(initInputs[0]);
  await done;
  await init(fetch('/datafordeler_cpr_bg.wasm'));
  return validateAfterInit('0101701239').valid;
}

// @ts-expect-error: environment names are a closed set
const wrong: SetupInput = { environment: 'staging' };

// One rule for what a result leaves out: an absent optional value is an absent key. So no
// declared output type may admit `null` anywhere, and every property that admits `undefined`
// must be optional (`field?: T`), matching what JSON.parse gives at runtime. `unknown` is
// opaque here: it is used only for values the host supplied or the wire carried (a record,
// a captured body), which are returned as they were.
type IsUnknown<T> = unknown extends T ? true : false;
type AllTrue<T> = false extends T[keyof T] ? false : true;
type OptionalWhereUndefined<T> = {
  [K in keyof T]-?: IsUnknown<T[K]> extends true ? true : undefined extends T[K] ? ({} extends Pick<T, K> ? true : false) : true;
};
type AbsentNotNull<T> = IsUnknown<T> extends true
  ? true
  : null extends T
    ? false
    : T extends string | number | boolean | undefined
      ? true
      : T extends readonly (infer U)[]
        ? AbsentNotNull<U>
        : T extends object
          ? AllTrue<OptionalWhereUndefined<T>> extends true
            ? AllTrue<{ [K in keyof T]-?: AbsentNotNull<Exclude<T[K], undefined>> }>
            : false
          : true;
const outputsFollowTheRule: {
  [K in keyof Outputs]: AbsentNotNull<Outputs[K]>;
} = {
  CprValidation: true, SetupReport: true, ResolvedEndpoints: true, Diagnosis: true, EnvironmentInfo: true,
  SetupFieldInfo: true, SchemaRequest: true, LookupQuery: true, DriftReport: true, LookupResult: true,
  MergeResult: true, LookupOutcome: true, ItemResult: true, ItemError: true, ConnectionReport: true,
  DebugCapture: true, Progress: true, CertificateReport: true,
};
interface Outputs {
  CprValidation: CprValidation; SetupReport: SetupReport; ResolvedEndpoints: ResolvedEndpoints; Diagnosis: Diagnosis;
  EnvironmentInfo: EnvironmentInfo; SetupFieldInfo: SetupFieldInfo; SchemaRequest: SchemaRequest; LookupQuery: LookupQuery;
  DriftReport: DriftReport; LookupResult: LookupResult; MergeResult: MergeResult; LookupOutcome: LookupOutcome;
  ItemResult: ItemResult; ItemError: ItemError; ConnectionReport: ConnectionReport; DebugCapture: DebugCapture;
  Progress: Progress; CertificateReport: CertificateReport;
}
// The check can fail: a declaration with `T | null`, or `T | undefined` without `?`, is refused.
// @ts-expect-error: null is not how an output says "absent"
const nullRefused: AbsentNotNull<{ a?: string | null }> = true;
// @ts-expect-error: an undefined value must be an optional key
const requiredUndefinedRefused: AbsentNotNull<{ a: string | undefined }> = true;


// Codes are literal unions: a misspelt diagnosis code does not compile, a known one narrows.
// @ts-expect-error: 'timeuot' is not a diagnosis code
const misspelt: DiagnosisCode = 'timeuot';
function advice(d: Diagnosis): string {
  switch (d.code) {
    case 'ip_not_allowlisted':
      return 'allowlist';
    case 'rate_limited': {
      const narrowed: 'rate_limited' = d.code;
      return narrowed;
    }
    default:
      return d.code;
  }
}
// @ts-expect-error: comparing with a misspelt code has no overlap with the union
const neverTrue: boolean = diagnosis.code === 'timeuot';
function errorAdvice(e: CprError): string {
  // Diagnosis codes and the library's own codes are one closed union: a misspelt code does not
  // compile, whichever kind it is.
  // @ts-expect-error: 'invalid_option' is not an error code (it is 'invalid_options')
  const misspeltOwn: ErrorCode = 'invalid_option';
  // @ts-expect-error: 'invalid_cpr' is not an error code (it is 'invalid_cpr_number')
  const oldSpelling: ErrorCode = 'invalid_cpr';
  // @ts-expect-error: comparing with a misspelt code has no overlap with the union
  const neverEqual: boolean = e.code === 'timeuot';
  const diagnosisCode: ErrorCode = 'not_entitled' satisfies DiagnosisCode;
  const ownCode: ErrorCode = 'invalid_options';
  const fromHelpers: ErrorCode[] = ['certificate_needs_server_host', 'invalid_directory', 'not_initialised', 'init_failed'];
  void [misspeltOwn, oldSpelling, neverEqual, diagnosisCode, ownCode, fromHelpers];
  switch (e.code) {
    case 'not_entitled':
    case 'required':
    case 'invalid_cpr_number':
      return e.code;
    default:
      return '';
  }
}
// Issues carry the same codes.
const issueCode: ErrorCode | undefined = firstIssue?.code;
// A user can make one (a test double of a host, say); the options are checked.
const made = new CprError('The setup is not usable.', { code: 'required', field: 'clientId', cause: new Error('x') });
// @ts-expect-error: a code outside the union
const madeWrong = new CprError('x', { code: 'requried' });
const guarded: boolean = isCprError(new Proxy({}, {}));
function statusText(p: Person): string {
  const status: PersonStatus | undefined = p.status;
  if (status === 'doed') return 'deceased';
  const kinds: (ProtectionKind | undefined)[] = (p.protections ?? []).map((x) => x.type);
  // Values the register adds later are still accepted.
  const later: PersonStatus = 'ny_status';
  const laterKind: ProtectionKind = 'ny_beskyttelse';
  return [status, later, laterKind, ...kinds].join();
}

export { outputsFollowTheRule, nullRefused, requiredUndefinedRefused, masked, valid, severity, tokenUrl, provenance, retry, safe, envs, fields, wrong, useClient, certificateFetch, onDebug, download, certificateOptions, initialised, misspelt, advice, neverTrue, errorAdvice, statusText, issueCode, made, madeWrong, guarded };

// Relay mode: the setup names a relay and holds no credential; the endpoints come from the relay.
const relaySetup: SetupInput = {
  enabled: true,
  relay: { url: 'https://erp.example.com/cpr-relay', headers: { 'X-CSRF-Token': 'csrf' }, credentials: 'include' },
};
const relayClient = new CprClient(relaySetup, {
  fetch: (request) => {
    const purpose: 'token' | 'graphql' | 'schema' | 'relay' = request.purpose;
    const mode: 'omit' | 'same-origin' | 'include' | undefined = request.credentials;
    return { status: 200, body: JSON.stringify({ purpose, mode: mode ?? 'same-origin' }) };
  },
});
const relayEndpoints: Promise<ResolvedEndpoints> = relayClient.fetchEndpoints({ signal: new AbortController().signal });
void relayEndpoints;
// @ts-expect-error the credentials mode is fetch's
const wrongMode: SetupInput = { enabled: true, relay: { url: 'https://erp.example.com/r', credentials: 'sometimes' } };
void wrongMode;
