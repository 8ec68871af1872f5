// The leak test: run the client's operations — successes and every kind of failure, with debug
// mode on and off, shared secret and certificate — with known secrets and CPR numbers, collect
// everything the library emits (errors, diagnoses, debug captures, console lines) and assert
// none of them holds a secret, a bearer token or an unmasked CPR number.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CprClient, diagnose, redact, validateSetup } from 'datafordeler-cpr';
import { createCertificateFetch } from 'datafordeler-cpr/node';
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
          const client = new CprClient(s, { ...host, ...FAST, maxResponseBytes: 1024 * 1024 });
          record(await client.testConnection());
          for (const number of NUMBERS) {
            await client.lookup(number, { existing: { name: 'Existing' } }).then(
              (outcome) => record({ notifications: outcome.notifications, debug: outcome.debug, merge: outcome.merge?.notifications }),
              recordError,
            );
          }
          const batch = await client.lookupMany(NUMBERS.map((cpr) => ({ cpr, existing: null })), { concurrency: 2 });
          record(batch.map((r) => ({ error: r.error, debug: r.value?.debug, notifications: r.value?.notifications })));
          await client.fetchSchema().then(() => undefined, recordError);
          const controller = new AbortController();
          const pending = client.lookup(NUMBERS[0], { signal: controller.signal });
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

// A hostile or careless server and host: every answer echoes what the client holds, in every
// spelling a server might use. Nothing the library hands back or emits may contain any of it.
const ECHO_SECRET = 'S3cr\u00e9t p@ss/Word+1"x&y=z';
const ECHO_PASSWORD = 'Pfx-P\u00e4ss:word/42';
const CPR = '0707610123';

function spellingsOf(secret) {
  const form = new URLSearchParams({ x: secret }).toString().slice(2);
  return Object.entries({
    raw: secret,
    url: encodeURIComponent(secret),
    form,
    json: JSON.stringify(secret).slice(1, -1),
    base64: Buffer.from(secret).toString('base64'),
    base64url: Buffer.from(secret).toString('base64url'),
  });
}

/** A host whose server echoes `echo(request)` in one way per scenario. */
function echoingHost(scenario, tokens) {
  let issued = 0;
  return async (request) => {
    const token = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
    const all = [...spellingsOf(ECHO_SECRET), ...spellingsOf(token)].map(([, s]) => s).filter((s) => s.length > 0).join(' | ');
    if (scenario === 'host-throws') {
      const error = new Error(`fetch failed: secret=${ECHO_SECRET} auth=${request.headers.authorization ?? ''} ${all} body=${request.body ?? ''}`);
      error.cause = { code: 'ECONNRESET', message: `client_secret=${encodeURIComponent(ECHO_SECRET)} for ${CPR}` };
      throw error;
    }
    if (request.purpose === 'token') {
      if (scenario === 'token-401') {
        return { status: 401, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'invalid_client', error_description: `bad client_secret ${all} in ${request.body}` }) };
      }
      const value = `tk${++issued}-${scenario.length}x`; // short: no pattern can recognise it
      tokens.add(value);
      return { status: 200, body: JSON.stringify({ access_token: value, token_type: 'Bearer', expires_in: 300 }) };
    }
    if (scenario === 'graphql-errors') {
      return { status: 200, body: JSON.stringify({ errors: [{ message: `not allowed for token ${all}; person ${CPR}` }] }) };
    }
    if (scenario === 'graphql-500') {
      return { status: 500, headers: { 'x-echo': all }, body: `CLIENT_SECRET=${encodeURIComponent(ECHO_SECRET)}&Authorization=${request.headers.authorization} ${all} ${CPR}` };
    }
    if (scenario === 'graphql-401') {
      return { status: 401, headers: { 'www-authenticate': `Bearer error="invalid_token", token="${token}"` }, body: JSON.stringify({ detail: `token ${all} rejected` }) };
    }
    return { status: 200, body: JSON.stringify({ data: null, errors: [{ message: `weird ${all}`, extensions: { secret: ECHO_SECRET, token } }] }) };
  };
}

test('echoed secrets and tokens, in every spelling, never come back out', async () => {
  const tokens = new Set();
  const emitted = [];
  const consoleLines = [];
  const originals = {};
  for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
    originals[level] = console[level];
    console[level] = (...args) => consoleLines.push(args.map(String).join(' '));
  }
  const errorText = (e) => JSON.stringify({ all: Object.fromEntries(Object.getOwnPropertyNames(e ?? {}).map((k) => [k, e[k]])), message: e?.message, stack: e?.stack, diagnosis: e?.diagnosis, debug: e?.debug, cause: e?.cause });
  const record = (value) => emitted.push(typeof value === 'string' ? value : JSON.stringify(value));
  try {
    for (const scenario of ['token-401', 'graphql-errors', 'graphql-500', 'graphql-401', 'graphql-odd', 'host-throws']) {
      for (const debugMode of [true, false]) {
        const setup = {
          enabled: true, environment: 'test04', sectorType: 'private', authMethod: 'sharedSecret', clientId: 'erp-client',
          clientSecret: ECHO_SECRET, certificatePassword: ECHO_PASSWORD, debugMode,
          endpoints: { graphqlBaseUrl: 'http://127.0.0.1:9', sharedSecretTokenUrl: 'http://127.0.0.1:9/token' },
        };
        const client = new CprClient(setup, { fetch: echoingHost(scenario, tokens), onDebug: record, maxAttempts: 2, retryBaseDelayMs: 1, retryMaxDelayMs: 2 });
        record(await client.testConnection().catch(errorText));
        await client.lookup(CPR, { existing: { name: 'Existing' } }).then((o) => record({ notifications: o.notifications, debug: o.debug, merge: o.merge?.changes }), (e) => record(errorText(e)));
        const batch = await client.lookupMany([CPR, 'not-a-number', { cpr: CPR, existing: { name: 'x' } }], { concurrency: 2, onProgress: record });
        record(batch.map((r) => ({ error: r.error, debug: r.value?.debug, notifications: r.value?.notifications })));
        await client.fetchSchema().then(record, (e) => record(errorText(e)));
        await client.checkSchema().then(record, (e) => record(errorText(e)));
      }
    }
  } finally {
    Object.assign(console, originals);
  }
  assert.ok(tokens.size >= 4, `tokens issued: ${tokens.size}`);
  const text = emitted.join('\n') + consoleLines.join('\n');
  assert.ok(text.includes('[REDACTED]'), 'the echoes were there to redact');
  assert.ok(text.includes('not allowed for token'), 'the rest of the server message is kept');
  for (const secret of [ECHO_SECRET, ECHO_PASSWORD, ...tokens]) {
    for (const [kind, spelling] of spellingsOf(secret)) {
      const at = text.indexOf(spelling);
      assert.ok(at < 0, `leaked a secret, ${kind}-encoded, in: …${text.slice(Math.max(0, at - 80), at).replaceAll(spelling, '<S>')}<S>…`);
    }
  }
  assert.ok(!text.includes(CPR) && !text.includes('070761-0123'), 'a full CPR number leaked');
});
