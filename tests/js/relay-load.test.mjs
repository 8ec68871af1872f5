// The relay under load, against the emulator over real HTTP: 20 callers x 100 lookups each
// through one relay, after two warm-up rounds of the same shape. Each caller is a relay-mode CprClient (the
// client a browser page runs; here its Node build) sending its own session header, its lookups
// in lookupMany batches. Every lookup is answered or diagnosed, one token serves the relay's whole
// life, and memory stays flat: the wasm memory (the relay's and the callers' clients share this
// process's module; a high-water mark, it never shrinks) is
// the same after the full run as after a warm-up round of the same shape, and the JS heap after a
// full collection does not grow with the number of lookups. A relay keeping something per lookup
// (results, rate-limit entries, audit state) would grow both by megabytes over 2,000 lookups.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startEmulator } from '../emulator/server.mjs';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

// The relay's wasm module keeps its instance private: catch its memory as the glue makes it.
let wasmMemory;
const Instance = WebAssembly.Instance;
WebAssembly.Instance = function (module, imports) {
  const instance = new Instance(module, imports);
  wasmMemory ??= instance.exports.memory;
  return instance;
};
const { createRelay } = await import('datafordeler-cpr/relay');
const { CprClient } = await import('datafordeler-cpr');
WebAssembly.Instance = Instance;

const CALLERS = 20;
const LOOKUPS_PER_CALLER = 100;
const ORIGIN = 'http://erp.example.test';

let emu;
let server;
let relay;
let base;

before(async () => {
  emu = await startEmulator({ port: 0, httpsPort: 0 });
  const { clientId, clientSecret } = emu.credentials.privateSector;
  const principals = new Map(Array.from({ length: CALLERS }, (_, i) => [`Bearer caller-${i}`, `caller-${i}`]));
  relay = createRelay({
    setup: {
      enabled: true, environment: emu.environment, sectorType: 'private', authMethod: 'sharedSecret', clientId, clientSecret,
      endpoints: { graphqlBaseUrl: emu.urls.graphqlBaseUrl, sharedSecretTokenUrl: emu.urls.tokenUrl },
    },
    authorize: (request) => principals.get(request.headers.get('authorization')) ?? null,
    allowedOrigins: [ORIGIN],
    limits: { lookupsPerMinute: 10_000, maxBatch: 50, concurrency: 4 },
    audit: () => {},
    basePath: '/cpr-relay',
    clientOptions: { retryBaseDelayMs: 5, retryMaxDelayMs: 20 },
  });
  server = createServer(relay.nodeHandler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}/cpr-relay`;
});
after(async () => {
  await relay?.close({ graceMs: 0 });
  await new Promise((resolve) => { server?.closeAllConnections(); server?.close(resolve); });
  await emu?.stop();
});

/** DDMMYY-SSSS for caller c's item i: a valid date per item, a distinct sequence per caller. */
function number(caller, item) {
  const day = String((item % 28) + 1).padStart(2, '0');
  const month = String((Math.floor(item / 28) % 12) + 1).padStart(2, '0');
  return `${day}${month}${60 + caller}${String(1000 + item).padStart(4, '0')}`;
}

/**
 * One round: every caller looks up `count` numbers with one lookupMany (batches of at most 50 to
 * the relay), callers in parallel, each caller a client of its own with its session header.
 */
async function round(count, offset) {
  const perCaller = await Promise.all(Array.from({ length: CALLERS }, async (_, caller) => {
    const client = new CprClient(
      { enabled: true, relay: { url: base, headers: { authorization: `Bearer caller-${caller}`, origin: ORIGIN } } },
      { retryBaseDelayMs: 5, retryMaxDelayMs: 20 },
    );
    const numbers = Array.from({ length: count }, (_, k) => number(caller, offset + k));
    try {
      const results = await client.lookupMany(numbers.map((cpr) => ({ cpr })), { concurrency: 8 });
      assert.deepEqual(results.map((r) => r.index), numbers.map((_, k) => k));
      const tally = { answered: 0, diagnosed: 0, persons: 0 };
      results.forEach((result, k) => {
        if (result.ok) {
          tally.answered += 1;
          if (result.value.person) {
            tally.persons += 1;
            assert.equal(result.value.person.cpr, numbers[k], 'each answer is for the number asked');
          }
        } else {
          tally.diagnosed += 1;
          assert.equal(typeof result.error.code, 'string', JSON.stringify(result));
          assert.equal(typeof result.error.message, 'string');
        }
      });
      return tally;
    } finally {
      client.free();
    }
  }));
  return perCaller.reduce((sum, t) => ({
    answered: sum.answered + t.answered, diagnosed: sum.diagnosed + t.diagnosed, persons: sum.persons + t.persons,
  }), { answered: 0, diagnosed: 0, persons: 0 });
}

function tokenRequests() {
  const count = emu.log.filter((e) => e.purpose === 'token').length;
  emu.clearLog();
  return count;
}

function heapAfterCollection() {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

test(`${CALLERS} relay-mode clients x ${LOOKUPS_PER_CALLER} lookups after a warm-up: all answered, one token, flat memory`, { timeout: 300_000 }, async () => {
  // Two rounds of the same shape as the measured one first (a lookupMany holds its batch's
  // results until it ends, so the high-water mark depends on the batch size), long enough for
  // the JIT, the connection pools and the allocator's free lists to settle.
  for (const warmupRound of [0, 1]) {
    const warm = await round(LOOKUPS_PER_CALLER, warmupRound * LOOKUPS_PER_CALLER);
    assert.equal(warm.answered + warm.diagnosed, CALLERS * LOOKUPS_PER_CALLER);
    assert.equal(warm.diagnosed, 0, 'the emulator fails none of these numbers');
  }
  assert.ok(wasmMemory, 'the relay\'s wasm memory was caught');
  // The emulator runs in this process and logs every request: count, then empty its log, so the
  // heap figures are the relay's.
  const tokensInWarmup = tokenRequests();
  const wasmAfterWarmup = wasmMemory.buffer.byteLength;
  const heapAfterWarmup = heapAfterCollection();

  const load = await round(LOOKUPS_PER_CALLER, 2 * LOOKUPS_PER_CALLER);
  assert.equal(load.answered + load.diagnosed, CALLERS * LOOKUPS_PER_CALLER, 'every lookup answered or diagnosed');
  assert.equal(load.diagnosed, 0, 'the emulator fails none of these numbers');
  assert.ok(load.persons > CALLERS * LOOKUPS_PER_CALLER * 0.9, 'nearly every number is a seeded person');

  assert.deepEqual([tokensInWarmup, tokenRequests()], [1, 0], 'one token request for the relay\'s whole life');
  const wasmAtEnd = wasmMemory.buffer.byteLength;
  const heapAtEnd = heapAfterCollection();
  const mib = (bytes) => (bytes / 2 ** 20).toFixed(2);
  const figures = `wasm ${mib(wasmAfterWarmup)} -> ${mib(wasmAtEnd)} MiB, heap ${mib(heapAfterWarmup)} -> ${mib(heapAtEnd)} MiB`;
  // 2,000 lookups after the warm-up: a per-lookup leak of 512 bytes would add a MiB of wasm
  // memory. A page or two (64 KiB each) is the allocator placing 20 clients' batches
  // differently, not a trend. The JS heap is noisier (the emulator and the connection pools
  // share this process: up to about 1 MiB between runs), so its bound catches a leak of 1.5 KB
  // or more per lookup.
  assert.ok(wasmAtEnd - wasmAfterWarmup <= 2 * 64 * 1024, `wasm memory grew: ${figures}`);
  assert.ok(heapAtEnd - heapAfterWarmup < 3 * 2 ** 20, `JS heap grew: ${figures}`);
  test.diagnostic?.(figures);
});
