// The host bridge's bounds, against the built package: the response-size cap holds while a body
// streams in (a host's Response and the platform's fetch, in Node and in Chromium), `timeoutMs`
// and the caller's signal end a request even when host.fetch ignores its abort signal, and a
// caller's signal shared by many requests carries one listener, not one per request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CprClient, CprError } from 'datafordeler-cpr';
import { startEmulator } from '../emulator/server.mjs';
import { startStaticServer } from '../../scripts/serve.mjs';
import { launchChromium } from '../support/browser.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let emu;
before(async () => { emu = await startEmulator({ port: 0, httpsPort: 0 }); });
after(async () => { await emu?.stop(); });

const NUMBERS = ['0707610123', '0204882126', '1203750000', '1406322129', '0808940124'];
const QUICK_RETRIES = { retryBaseDelayMs: 5, retryMaxDelayMs: 10 };
const TOKEN_ANSWER = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"access_token":"t","expires_in":300}' };
const GRAPHQL_PATH = '/CPR/custom/PrivateSector/v2';

// These tests are about the transport of one request: the version is fixed (no negotiation) and,
// where a host answers every request alike, the bundled model is used (no schema request first),
// so each lookup sends a token request and one GraphQL request.
const ONE_REQUEST = { schema: 'bundled' };

function setup(endpoints) {
  const { clientId, clientSecret } = emu.credentials.privateSector;
  return {
    enabled: true, environment: emu.environment, sectorType: 'private', authMethod: 'sharedSecret', clientId, clientSecret, apiVersion: 'v2',
    endpoints: endpoints ?? { graphqlBaseUrl: emu.urls.origin, sharedSecretTokenUrl: emu.urls.tokenUrl, certificateTokenUrl: emu.urls.certificateTokenUrl },
  };
}

/** A promise that never settles: a host that hangs and ignores its abort signal. */
const never = () => new Promise(() => {});

/** A host fetch that answers token requests at once and hands GraphQL requests to `graphql`. */
const answeringTokens = (graphql) => async (request) => (request.purpose === 'token' ? TOKEN_ANSWER : graphql(request));

/** A relay host: the request goes to the emulator through the platform's fetch. */
async function relay(request) {
  const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal: request.signal });
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
}

/**
 * Answers for a token URL ending in /token and a GraphQL endpoint that streams chunked data
 * without Content-Length for as long as the client reads, bounded: at most 64 MB, and the
 * connection is dropped after 10 s. `stats` counts the bytes written and says whether the
 * client closed the connection before the end.
 */
function endlessAnswers() {
  const LIMIT = 64 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let closed;
  const stats = { written: 0, closedByClient: false, closed: new Promise((resolve) => { closed = resolve; }) };
  const handle = (req, res) => {
    req.resume();
    if (req.url.endsWith('/token')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(TOKEN_ANSWER.body);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    const safety = setTimeout(() => res.destroy(), 10_000);
    res.on('close', () => {
      clearTimeout(safety);
      stats.closedByClient = !res.writableFinished;
      closed();
    });
    const write = () => {
      while (!res.destroyed && stats.written < LIMIT) {
        stats.written += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', write);
          return;
        }
      }
      if (!res.destroyed) res.end();
    };
    write();
  };
  return { handle, stats };
}

test('a host Response whose body never ends is cut off at maxResponseBytes and its stream cancelled', { timeout: 30_000 }, async () => {
  const CAP = 256 * 1024;
  const CHUNK = 64 * 1024;
  // A reader that ignores the cap gets 32 MB and then the end, so a failing run stays bounded.
  const GIVE_UP = 512;
  let pulls = 0;
  let cancelled = false;
  const endless = () => new ReadableStream({
    pull(controller) {
      pulls += 1;
      if (pulls > GIVE_UP) controller.close();
      else controller.enqueue(new Uint8Array(CHUNK));
    },
    cancel() { cancelled = true; },
  });
  const client = new CprClient(setup(), { ...ONE_REQUEST, fetch: answeringTokens(() => new Response(endless())), maxAttempts: 1, maxResponseBytes: CAP });
  await assert.rejects(client.lookup(NUMBERS[0]), (e) => e.code === 'response_too_large' && e.diagnosis.retryable === false);
  assert.ok(pulls <= CAP / CHUNK + 4, `${pulls} chunks of ${CHUNK} bytes pulled for a cap of ${CAP} bytes`);
  assert.equal(cancelled, true, 'the stream was cancelled');
});

test('a host Response: a null body is empty, and a body split inside characters reads whole', { timeout: 30_000 }, async () => {
  const empty = new CprClient(setup(), { ...ONE_REQUEST, fetch: answeringTokens(() => new Response(null, { status: 503 })), maxAttempts: 1 });
  await assert.rejects(empty.lookup(NUMBERS[0]), { code: 'server_error' });

  // The emulator's answer, sent back one byte at a time: multi-byte characters span chunks.
  const byteByByte = async (request) => {
    const answer = await relay(request);
    const bytes = new TextEncoder().encode(answer.body);
    let at = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (at < bytes.length) controller.enqueue(bytes.slice(at, (at += 1)));
        else controller.close();
      },
    });
    return new Response(body, { status: answer.status, headers: answer.headers });
  };
  const expected = await new CprClient(setup(), { ...ONE_REQUEST, fetch: relay }).lookup(NUMBERS[0]);
  assert.match(JSON.stringify(expected.person), /[^\x00-\x7f]/, 'the fixture has non-ASCII text');
  const outcome = await new CprClient(setup(), { ...ONE_REQUEST, fetch: byteByByte }).lookup(NUMBERS[0]);
  assert.deepEqual(outcome.person, expected.person);
});

test('a host Response with invalid UTF-8 reads as the platform decodes it (U+FFFD for each bad sequence)', { timeout: 30_000 }, async () => {
  // The schema is returned as its text, so the decoding shows: bad bytes in a comment in the
  // middle, and a sequence cut off at the very end; sent three bytes at a time.
  const encode = (text) => new TextEncoder().encode(text);
  // Each character of `latin1` is one raw byte.
  const raw = (latin1) => Uint8Array.from(latin1, (c) => c.charCodeAt(0));
  const join = (...parts) => Uint8Array.from(parts.flatMap((p) => [...p]));
  let bytes;
  const host = async (request) => {
    if (request.purpose !== 'schema') return relay(request);
    const sdl = (await relay(request)).body;
    bytes = join(raw('# bad \xff \xc3\x28 \xe2\x82 \xed\xa0\x80 \xf0\x9f\x98 end\n'), encode(sdl), encode('# caf'), [0xc3]);
    let at = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (at < bytes.length) controller.enqueue(bytes.slice(at, (at += 3)));
        else controller.close();
      },
    });
    return new Response(body, { status: 200 });
  };
  const sdl = await new CprClient(setup(), { ...ONE_REQUEST, fetch: host }).fetchSchema();
  assert.equal(sdl, new TextDecoder().decode(bytes));
  assert.ok(sdl.startsWith('# bad \ufffd \ufffd( \ufffd \ufffd\ufffd\ufffd \ufffd end\n'), JSON.stringify(sdl.slice(0, 40)));
  assert.ok(sdl.endsWith('# caf\ufffd'));
});

test('a host Response that sends only empty chunks is given up, not read forever', { timeout: 30_000 }, async () => {
  // Empty chunks settle at once, one after another, so no timer would ever interrupt them. A
  // reader without a bound gets an empty body at the end of these, so a failing run stays bounded.
  const GIVE_UP = 100_000;
  let pulls = 0;
  const empty = () => new ReadableStream({
    pull(controller) {
      pulls += 1;
      if (pulls > GIVE_UP) controller.close();
      else controller.enqueue(new Uint8Array(0));
    },
  });
  const client = new CprClient(setup(), { ...ONE_REQUEST, fetch: answeringTokens(() => new Response(empty())), maxAttempts: 1 });
  const error = await client.lookup(NUMBERS[0]).catch((e) => e);
  assert.equal(error.code, 'network_error');
  assert.match(error.diagnosis.detail, /empty chunks/);
  assert.ok(pulls < 2000, `${pulls} empty chunks pulled`);
});

test('hostile headers from a host (throwing proxies, endless iterables) never hold or break a request', { timeout: 30_000 }, async () => {
  const throwing = new Proxy({}, { ownKeys() { throw new Error('no keys'); }, get() { throw new Error('no get'); } });
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  function* endless() { for (;;) yield ['x-endless', 'yes']; }
  for (const [name, headers] of [['throwing proxy', throwing], ['revoked proxy', revoked], ['endless iterable', endless()]]) {
    const host = answeringTokens(() => ({ status: 503, headers, body: '{}' }));
    const error = await new CprClient(setup(), { ...ONE_REQUEST, fetch: host, maxAttempts: 1 }).lookup(NUMBERS[0]).catch((e) => e);
    assert.equal(error.code, 'server_error', name);
  }
});

test('the platform fetch stops reading an endless chunked answer at the cap and closes the connection', { timeout: 30_000 }, async () => {
  const CAP = 2 * 1024 * 1024;
  const { handle, stats } = endlessAnswers();
  const server = http.createServer(handle);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  try {
    const client = new CprClient(setup({ graphqlBaseUrl: origin, sharedSecretTokenUrl: `${origin}/token` }), { ...ONE_REQUEST, maxAttempts: 1, maxResponseBytes: CAP });
    await assert.rejects(client.lookup(NUMBERS[0]), { code: 'response_too_large' });
    await stats.closed;
    assert.equal(stats.closedByClient, true, 'the client closed the connection before the answer ended');
    // The cap plus what socket and fetch buffers hold (a few MB); a reader without the cap gets
    // all 64 MB.
    assert.ok(stats.written < 16 * CAP, `the server wrote ${stats.written} bytes for a cap of ${CAP}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('timeoutMs ends a request whose host.fetch never settles, and the retry policy applies', { timeout: 30_000 }, async () => {
  let calls = 0;
  const hanging = answeringTokens(() => { calls += 1; return never(); });
  const once = new CprClient(setup(), { ...ONE_REQUEST, fetch: hanging, timeoutMs: 200, maxAttempts: 1 });
  await assert.rejects(once.lookup(NUMBERS[0]), (e) => e.code === 'timeout' && e.diagnosis.retryable === true);
  assert.equal(calls, 1);

  calls = 0;
  const twice = new CprClient(setup(), { ...ONE_REQUEST, fetch: hanging, timeoutMs: 200, maxAttempts: 2, ...QUICK_RETRIES });
  await assert.rejects(twice.lookup(NUMBERS[0]), { code: 'timeout' });
  assert.equal(calls, 2, 'a timeout is retried up to maxAttempts');
});

test('lookupMany: one item whose host.fetch never settles times out; the others succeed', { timeout: 30_000 }, async () => {
  const stuck = NUMBERS[4];
  const host = (request) => (request.purpose === 'graphql' && request.body.includes(stuck) ? never() : relay(request));
  const client = new CprClient(setup(), { ...ONE_REQUEST, fetch: host, timeoutMs: 300, maxAttempts: 1 });
  const results = await client.lookupMany(NUMBERS, { concurrency: 5 });
  assert.deepEqual(results.map((r) => r.ok), [true, true, true, true, false]);
  assert.equal(results[4].error.code, 'timeout');
});

test('timeoutMs ends a request whose Response body stalls after the headers', { timeout: 30_000 }, async () => {
  let cancelled = false;
  const stalled = () => new Response(new ReadableStream({ pull: () => never(), cancel() { cancelled = true; } }), { status: 200 });
  const client = new CprClient(setup(), { ...ONE_REQUEST, fetch: answeringTokens(stalled), timeoutMs: 200, maxAttempts: 1 });
  await assert.rejects(client.lookup(NUMBERS[0]), { code: 'timeout' });
  assert.equal(cancelled, true, 'the stalled stream was cancelled');
});

test('the caller\'s signal ends a request whose host.fetch ignores it', { timeout: 30_000 }, async () => {
  let reached;
  const inFlight = new Promise((resolve) => { reached = resolve; });
  const host = answeringTokens(() => { reached(); return never(); });
  const client = new CprClient(setup(), { ...ONE_REQUEST, fetch: host, timeoutMs: 600_000, maxAttempts: 3 });
  const controller = new AbortController();
  const pending = client.lookup(NUMBERS[0], { signal: controller.signal });
  await inFlight;
  controller.abort();
  await assert.rejects(pending, { code: 'cancelled' });
});

test('a shared caller signal gets one listener: 100 lookups and a batch of 64 print no warning; aborting it cancels all', { timeout: 60_000 }, async () => {
  const warnings = [];
  const onWarning = (warning) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    const controller = new AbortController();
    const client = new CprClient(setup(), { ...ONE_REQUEST, fetch: relay, timeoutMs: 10_000 });
    const outcomes = await Promise.all(Array.from({ length: 100 }, () => client.lookup(NUMBERS[0], { signal: controller.signal })));
    assert.ok(outcomes.every((o) => o.person?.cpr === NUMBERS[0]));
    const results = await client.lookupMany(Array.from({ length: 200 }, () => NUMBERS[0]), { concurrency: 64, signal: controller.signal });
    assert.equal(results.filter((r) => r.ok && r.value.person?.cpr === NUMBERS[0]).length, 200);

    let started = 0;
    let allStarted;
    const everyoneWaits = new Promise((resolve) => { allStarted = resolve; });
    const hanging = answeringTokens(() => {
      started += 1;
      if (started === 100) allStarted();
      return never();
    });
    const stuck = new CprClient(setup(), { ...ONE_REQUEST, fetch: hanging, timeoutMs: 600_000, maxAttempts: 1 });
    const pending = Array.from({ length: 100 }, () => stuck.lookup(NUMBERS[0], { signal: controller.signal }).then(() => 'resolved', (e) => e.code));
    await everyoneWaits;
    controller.abort();
    assert.deepEqual([...new Set(await Promise.all(pending))], ['cancelled']);

    // Warnings are emitted on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map(String), []);
  } finally {
    process.off('warning', onWarning);
  }
});

test('Chromium: the web build\'s own fetch stops reading an endless chunked answer at the cap', { timeout: 60_000 }, async () => {
  const CAP = 2 * 1024 * 1024;
  const { handle, stats } = endlessAnswers();
  // Same origin as the page, so the browser needs no CORS permission.
  const server = await startStaticServer({ root, routes: { [GRAPHQL_PATH]: handle, '/token': handle } });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/tests/support/blank.html`);
    const code = await page.evaluate(async ({ s, cap }) => {
      const { CprClient: Client } = await import('/pkg/index.web.js');
      const client = new Client(s, {}, { maxAttempts: 1, maxResponseBytes: cap });
      return client.lookup('0707610123').then(() => 'resolved', (e) => e.code);
    }, { s: setup({ graphqlBaseUrl: server.url, sharedSecretTokenUrl: `${server.url}/token` }), cap: CAP });
    assert.equal(code, 'response_too_large');
    await stats.closed;
    assert.equal(stats.closedByClient, true, 'the page closed the connection before the answer ended');
    // The cap plus what socket and fetch buffers hold (a few MB); a reader without the cap gets
    // all 64 MB.
    assert.ok(stats.written < 16 * CAP, `the server wrote ${stats.written} bytes for a cap of ${CAP}`);
  } finally {
    await browser.close();
    await server.close();
  }
});

/**
 * Stand-ins for `globalThis.fetch` that a user or a test may install, none of which answers with
 * a Response. The default transport hands gloo-net only a genuine Response, so each must end as
 * a CprError; a panic in the module would be a trap (`RuntimeError: unreachable`).
 */
const FETCH_DOUBLES = {
  'an object with a status': async () => ({ status: 200 }),
  'a string': () => 'not a response',
  'a synchronous throw': () => { throw new TypeError('no network here'); },
  'a rejection with a non-Error': () => Promise.reject('refused'),
  'a Response look-alike': async () => Object.create(Response.prototype),
  'a promise that never settles': never,
};

test('a globalThis.fetch replaced by a double that returns no Response gives a CprError, never a trap', { timeout: 30_000 }, async () => {
  const platform = globalThis.fetch;
  try {
    for (const [name, double] of Object.entries(FETCH_DOUBLES)) {
      globalThis.fetch = double;
      const client = new CprClient(setup(), { ...ONE_REQUEST, timeoutMs: 300, maxAttempts: 1 });
      const error = await client.lookup(NUMBERS[0]).then(() => null, (e) => e);
      assert.equal(error?.name, 'CprError', `${name}: expected a CprError, got ${error?.name}: ${error?.message}`);
      assert.ok(error instanceof CprError, name);
      assert.doesNotMatch(`${error?.message} ${error?.stack}`, /unreachable|RuntimeError/, name);
      assert.equal(typeof error.code, 'string', name);
    }
    // A double that passes requests on to the platform's fetch gets the right answer.
    let relayed = 0;
    globalThis.fetch = (...args) => { relayed += 1; return platform(...args); };
    const outcome = await new CprClient(setup()).lookup(NUMBERS[0]);
    assert.equal(outcome.person?.cpr, NUMBERS[0]);
    assert.ok(relayed >= 2, 'the token and the lookup went through the replaced fetch');
  } finally {
    globalThis.fetch = platform;
  }
  // The module still works: a trap would have left it unusable.
  const outcome = await new CprClient(setup()).lookup(NUMBERS[0]);
  assert.equal(outcome.person?.cpr, NUMBERS[0]);
});

test('a token the platform refuses as a header value fails the request as a CprError that does not quote it', { timeout: 30_000 }, async () => {
  const TOKEN = 'tok-secret-4711\nx-injected: yes';
  let graphqlRequests = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.url.endsWith('/token')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: TOKEN, expires_in: 300 }));
    } else {
      graphqlRequests += 1;
      res.writeHead(500).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  try {
    const client = new CprClient(setup({ graphqlBaseUrl: origin, sharedSecretTokenUrl: `${origin}/token` }), { ...ONE_REQUEST, maxAttempts: 1 });
    const error = await client.lookup(NUMBERS[0]).then(() => null, (e) => e);
    assert.equal(error?.name, 'CprError', `expected a CprError, got ${error?.name}: ${error?.message}`);
    const told = JSON.stringify({ message: error.message, diagnosis: error.diagnosis, stack: error.stack });
    assert.doesNotMatch(told, /tok-secret-4711|unreachable|RuntimeError/);
    assert.equal(graphqlRequests, 0, 'no request was sent with the refused header');
    assert.equal(error.code, 'network_error');
    assert.match(error.diagnosis.detail, /refused a request header/);
    // Nothing escaped the bridge: the module still serves lookups.
    const outcome = await new CprClient(setup()).lookup(NUMBERS[0]);
    assert.equal(outcome.person?.cpr, NUMBERS[0]);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
