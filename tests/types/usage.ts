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
  type CprError,
  type EnvironmentInfo,
  type SetupFieldInfo,
} from 'datafordeler-cpr';

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
  const error = e as CprError;
  const code: string = error.code;
  void code;
}
const tokenUrl: string | undefined = endpoints?.tokenUrl;
const provenance: 'verified' | 'observed' | 'inferred' | 'override' | undefined = endpoints?.provenance.graphqlUrl;

const diagnosis: Diagnosis = diagnose({ stage: 'graphql', status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
const retry: boolean = diagnosis.retryable;
const safe: unknown = redact({ Authorization: 'Bearer x' }, { maskCpr: true, secrets: ['secret'] });
const envs: EnvironmentInfo[] = environments();
const fields: SetupFieldInfo[] = setupFields();

// @ts-expect-error: environment names are a closed set
const wrong: SetupInput = { environment: 'staging' };

export { masked, valid, severity, tokenUrl, provenance, retry, safe, envs, fields, wrong };
