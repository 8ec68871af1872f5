// Type check of datafordeler-cpr/relay's declarations (run by tests/js/relay-types.test.mjs).
import { createRelay, type AuditEvent, type RelayHealth, type RelayLookupResponse, type RelayProblem } from 'datafordeler-cpr/relay';
import { createCertificateFetch } from 'datafordeler-cpr/node';

const events: AuditEvent[] = [];
const relay = createRelay({
  setup: { enabled: true, environment: 'test04', sectorType: 'private', authMethod: 'sharedSecret', clientId: 'erp', clientSecret: 's' },
  fetch: createCertificateFetch({ pfx: new Uint8Array(0), passphrase: 'p' }),
  authorize: async (request: Request) => (request.headers.get('authorization') ? { id: 'u1' } : null),
  allowedOrigins: ['https://erp.example.com'],
  allowedHeaders: ['x-csrf-token'],
  limits: { lookupsPerMinute: 120, maxBatch: 50, concurrency: 4 },
  audit: async (event) => { events.push(event); },
  auditKey: new Uint8Array(32),
  maxBodyBytes: 16384,
  basePath: '/cpr-relay',
  clientOptions: { timeoutMs: 20000, maxAttempts: 4 },
});
const response: Promise<Response> = relay.handle(new Request('https://relay.example/cpr-relay/health'));
const closed: Promise<void> = relay.close({ graceMs: 1000 });

declare const answer: RelayLookupResponse;
for (const item of answer.results) {
  if (item.ok) {
    const cpr: string | undefined = item.value.person?.cpr;
    const codes: string[] = item.value.notifications.map((n) => n.code);
    void cpr; void codes;
  } else {
    const code: string = item.error.code;
    const settings: string[] | undefined = item.error.diagnosis?.settings;
    void code; void settings;
  }
}
declare const health: RelayHealth;
const last: 'succeeded' | 'failed' | 'none' = health.lastToken;
declare const problem: RelayProblem;
const status: number = problem.status;
const numbers = events.flatMap((e) => e.cprNumbers ?? []).map((n) => [n.hmac, n.masked]);

// @ts-expect-error authorize is required
createRelay({ setup: {}, allowedOrigins: [], audit() {} });
// @ts-expect-error allowedOrigins is a list
createRelay({ setup: {}, authorize: () => 'x', allowedOrigins: 'https://erp.example.com', audit() {} });
// @ts-expect-error a lookup value has no merge: the ERP record never travels
answer.results[0].ok && answer.results[0].value.merge;
// @ts-expect-error lastToken is one of three words
const wrong: RelayHealth = { ok: true, lastToken: 'maybe' };

void response; void closed; void last; void status; void numbers; void wrong;
