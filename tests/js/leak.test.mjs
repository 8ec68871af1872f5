// The leak test: run the client's operations — successes and every kind of failure, with debug
// mode on and off, shared secret and certificate — with known secrets and CPR numbers, collect
// everything the library emits (errors, diagnoses, debug captures, console lines) and assert
// none of them holds a secret, a bearer token or an unmasked CPR number.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CprClient, createCertificateFetch, diagnose, redact, validateSetup } from 'datafordeler-cpr';
import { startEmulator } from '../emulator/server.mjs';

let emu;
before(async () => { emu = await startEmulator({ port: 0, httpsPort: 0 }); });
after(async () => { await emu?.stop(); });

const NUMBERS = ['0707610123', '0204882126', '1203750000', '1406322129', '0808940124'];
const FAST = { retryBaseDelayMs: 1, retryMaxDelayMs: 5, timeoutMs: 3000 };

test('no secret, token or CPR number leaks through errors, debug captures or log lines', async () => {
  const emitted = [];
  const issuedTokens = new Set();
  const consoleLines = [];
  const originals = {};
  for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
    originals[level] = console[level];
    console[level] = (...args) => consoleLines.push(args.map(String).join(' '));
  }
  try {
    const cert = emu.credentials.certificate;
    const certificateFetch = createCertificateFetch({ pfx: cert.pfx, passphrase: cert.passphrase, ca: cert.caPem });
    // Wrap the transports to learn every bearer token the emulator hands out.
    const spy = (inner) => async (request) => {
      const response = inner ? await inner(request) : await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal: request.signal })
        .then(async (r) => ({ status: r.status, headers: Object.fromEntries(r.headers), body: await r.text() }));
      if (request.purpose === 'token') {
        try { const t = JSON.parse(response.body).access_token; if (t) issuedTokens.add(t); } catch { /* not JSON */ }
      }
      return response;
    };
    const endpoints = { graphqlBaseUrl: emu.urls.origin, sharedSecretTokenUrl: emu.urls.tokenUrl, certificateTokenUrl: emu.urls.certificateTokenUrl };
    const { clientId, clientSecret } = emu.credentials.privateSector;
    const setups = [
      { enabled: true, environment: emu.environment, sectorType: 'private', authMethod: 'sharedSecret', clientId, clientSecret, endpoints },
      { enabled: true, environment: emu.environment, sectorType: 'public', authMethod: 'sharedSecret', clientId, clientSecret, endpoints },
      { enabled: true, environment: emu.environment, sectorType: 'private', authMethod: 'sharedSecret', clientId, clientSecret: `${clientSecret}-wrong`, endpoints },
      { enabled: true, environment: emu.environment, sectorType: 'private', authMethod: 'certificate', clientId: cert.clientId, certificate: new Uint8Array(cert.pfx), certificatePassword: cert.passphrase, endpoints },
    ];
    const faults = [null, 'http500', 'http403', 'malformedJson', 'oversizedBody', 'ipNotVerified', 'truncatedBody'];
    const record = (value) => emitted.push(value);
    const recordError = (e) => record({ message: e?.message, code: e?.code, stack: e?.stack, diagnosis: e?.diagnosis, debug: e?.debug });

    // Every setup and fault with debug mode on (where most is written out); a sample with it off.
    const scenarios = [
      ...setups.flatMap((base) => faults.map((fault) => ({ base, fault, debugMode: true }))),
      ...[null, 'http500', 'http403'].map((fault) => ({ base: setups[0], fault, debugMode: false })),
    ];
    {
      for (const { base, fault, debugMode } of scenarios) {
        const s = { ...base, debugMode };
        const host = { fetch: spy(base.authMethod === 'certificate' ? certificateFetch : null), onDebug: record };
        {
          emu.reset();
          if (fault) emu.faults.add({ mode: fault, purpose: 'graphql', retryAfter: 0, sizeMb: 2, count: null });
          const client = new CprClient(s, host, { ...FAST, maxResponseBytes: 1024 * 1024 });
          record(await client.testConnection());
          for (const number of NUMBERS) {
            await client.lookup(number, { name: 'Existing' }).then(
              (outcome) => record({ notifications: outcome.notifications, debug: outcome.debug, merge: outcome.merge?.notifications }),
              recordError,
            );
          }
          const batch = await client.lookupMany(NUMBERS.map((cpr) => ({ cpr, existing: null })), { concurrency: 2 });
          record(batch.map((r) => ({ error: r.error, debug: r.value?.debug, notifications: r.value?.notifications })));
          await client.fetchSchema().then(() => undefined, recordError);
          const controller = new AbortController();
          const pending = client.lookup(NUMBERS[0], null, { signal: controller.signal });
          controller.abort(`cancel ${NUMBERS[0]} ${clientSecret}`);
          await pending.then((o) => record(o.debug), recordError);
        }
      }
    }
    // The stateless functions, given the secrets and numbers directly.
    for (const s of setups) record(validateSetup({ ...s, environment: NUMBERS[0], sectorType: clientSecret }));
    record(diagnose({ stage: 'graphql', status: 500, body: `{"errors":[{"message":"person ${NUMBERS[0]}"}]}` }));
    record(redact({ text: `client_secret=${clientSecret}&pnr=${NUMBERS[1]}`, password: cert.passphrase }));
  } finally {
    Object.assign(console, originals);
  }

  assert.ok(issuedTokens.size > 5, 'the scenarios obtained real tokens');
  assert.ok(emitted.length > 500, `collected ${emitted.length} outputs`);
  const text = JSON.stringify(emitted) + consoleLines.join('\n');
  assert.ok(text.includes('[REDACTED]') && text.includes('070761-xxxx'), 'captures were produced and redacted');
  const canaries = [
    emu.credentials.privateSector.clientSecret,
    emu.credentials.certificate.passphrase,
    ...issuedTokens,
    ...NUMBERS,
    ...NUMBERS.map((n) => `${n.slice(0, 6)}-${n.slice(6)}`),
  ];
  for (const canary of canaries) {
    assert.ok(!text.includes(canary), `leaked: ${canary.slice(0, 6)}…`);
  }
});
