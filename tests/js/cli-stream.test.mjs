// lookupStream (datafordeler-cpr/stream) against the emulator over real HTTP: results in input
// order whatever order they complete in, concurrency and read-ahead bounded, failures as items,
// cancellation by signal and by leaving the loop. Also its CommonJS twin and its declarations.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { CprClient, CprError } from 'datafordeler-cpr';
import { lookupStream } from 'datafordeler-cpr/stream';
import { startEmulator } from '../emulator/server.mjs';
import { emulatorSetup } from '../support/setups.mjs';

const require = createRequire(import.meta.url);

let emu;
before(async () => { emu = await startEmulator({ port: 0, httpsPort: 0 }); });
after(async () => { await emu?.stop(); });
beforeEach(() => { emu.reset(); emu.clearLog(); });

const FAST = { retryBaseDelayMs: 5, retryMaxDelayMs: 20, timeoutMs: 5000, maxAttempts: 1 };

function client() {
  return new CprClient(emulatorSetup(emu), FAST);
}

/** Seeded persons of the emulator: valid dates, not ending 000-002 (never found), each a distinct number. */
function numbers(n) {
  return Array.from({ length: n }, (_, i) => `${String((i % 28) + 1).padStart(2, '0')}0${(i % 9) + 1}${String(50 + Math.floor(i / 252)).padStart(2, '0')}${String(1003 + (i % 990))}`);
}

/** Wraps a client: records the order lookups complete in and the most running at once. */
function observed(inner) {
  const stats = { running: 0, maxRunning: 0, completed: [] };
  return {
    stats,
    lookup(cpr, options) {
      stats.running += 1;
      stats.maxRunning = Math.max(stats.maxRunning, stats.running);
      return inner.lookup(cpr, options).finally(() => {
        stats.running -= 1;
        stats.completed.push(cpr);
      });
    },
  };
}

/** A source that counts how many items were read from it, and whether it was closed. */
function counting(list) {
  const state = { read: 0, closed: false };
  async function* source() {
    try {
      for (const item of list) {
        state.read += 1;
        yield item;
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, source: source() };
}

test('results come in input order although they complete out of order; concurrency and window hold', async () => {
  const c = client();
  await c.lookup('0707610123'); // the token first, so the delays below fall on lookups
  emu.clearLog();
  // The first lookup and every 5th after it are slow: later ones overtake them.
  emu.faults.add({ mode: 'delay', purpose: 'graphql', delayMs: 250, every: 5, count: null });
  const list = numbers(40);
  const wrapped = observed(c);
  const { state, source } = counting(list);
  const seen = [];
  for await (const result of lookupStream(wrapped, source, { concurrency: 4, window: 8 })) {
    assert.ok(state.read - (seen.length + 1) <= 8, `read ${state.read} with ${seen.length + 1} handed out: the window is 8`);
    assert.equal(result.ok, true, JSON.stringify(result.error));
    assert.equal(result.value.person.cpr, list[result.index]);
    seen.push(result.index);
  }
  assert.deepEqual(seen, list.map((_, i) => i), 'every item once, in input order');
  assert.notDeepEqual(wrapped.stats.completed, list, 'lookups did complete out of order');
  assert.ok(wrapped.stats.maxRunning <= 4, `at most 4 at once (saw ${wrapped.stats.maxRunning})`);
  assert.ok(wrapped.stats.maxRunning >= 2, 'lookups overlapped');
  assert.equal(emu.log.filter((e) => e.purpose === 'graphql').length, 40, 'one request per item');
});

test('failures are items and the stream goes on: invalid numbers, not found, a server error; texts and records both accepted', async () => {
  emu.faults.add({ mode: 'http500', purpose: 'graphql', count: 1 });
  const items = ['0707610123', { cpr: '12345' }, { cpr: '1203750000' }, { cpr: '0204882126', existing: { name: 'Kept' } }];
  const results = [];
  for await (const result of lookupStream(client(), items, { concurrency: 1 })) results.push(result);
  assert.deepEqual(results.map((r) => [r.index, r.ok]), [[0, false], [1, false], [2, true], [3, true]]);
  assert.equal(results[0].error.code, 'server_error');
  assert.equal(results[1].error.code, 'invalid_cpr_number');
  assert.equal(results[2].value.person, undefined);
  assert.equal(results[2].value.notifications[0].code, 'person_not_found');
  assert.equal(results[3].value.merge.record.name, 'Kept', 'a protected name is kept in the merge');
});

test('backpressure: a consumer that stops reading stops the reading of the source', async () => {
  const { state, source } = counting(numbers(200));
  const stream = lookupStream(client(), source, { concurrency: 2, window: 5 });
  const first = await stream.next();
  assert.equal(first.value.index, 0);
  // Let every lookup started so far finish: nothing more is read while nobody pulls.
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.ok(state.read <= 1 + 5, `read ${state.read}: at most the window ahead of what was taken`);
  await stream.return();
  assert.equal(state.closed, true, 'the source is closed when the consumer leaves');
  assert.ok(emu.log.filter((e) => e.purpose === 'graphql').length <= 6);
});

test('leaving the loop early closes the source and looks nobody else up', async () => {
  const { state, source } = counting(numbers(500));
  let taken = 0;
  for await (const result of lookupStream(client(), source, { concurrency: 3, window: 6 })) {
    assert.equal(result.index, taken);
    taken += 1;
    if (taken === 10) break;
  }
  assert.equal(state.closed, true);
  assert.ok(state.read <= 10 + 6, `read ${state.read}`);
  const requests = emu.log.filter((e) => e.purpose === 'graphql').length;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(emu.log.filter((e) => e.purpose === 'graphql').length, requests, 'no request after leaving');
  assert.ok(requests <= 16);
});

test('cancel by signal: lookups in flight end with `cancelled` and the iteration throws `cancelled`', async () => {
  const c = client();
  await c.lookup('0707610123');
  emu.clearLog();
  // Every lookup is slow, so those running when the signal fires are still in flight.
  emu.faults.add({ mode: 'delay', purpose: 'graphql', delayMs: 1500, count: null });
  const failures = [];
  const wrapped = {
    lookup: (cpr, options) => c.lookup(cpr, options).catch((error) => {
      failures.push(error.code);
      throw error;
    }),
  };
  const controller = new AbortController();
  const { state, source } = counting(numbers(300));
  let taken = 0;
  await assert.rejects(async () => {
    for await (const result of lookupStream(wrapped, source, { concurrency: 4, signal: controller.signal })) {
      assert.equal(result.ok, true, JSON.stringify(result.error));
      taken += 1;
      controller.abort(); // item 4 started when item 0 settled: it is in flight now
    }
  }, (error) => error.name === 'CprError' && error.code === 'cancelled');
  assert.equal(taken, 1);
  assert.equal(state.closed, true);
  assert.ok(state.read <= 1 + 16, `read ${state.read}`);
  for (let i = 0; i < 100 && failures.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(failures.length >= 1, 'a lookup in flight was ended');
  assert.ok(failures.every((code) => code === 'cancelled'), failures.join(','));
  const pre = new AbortController();
  pre.abort();
  const stream = lookupStream(c, numbers(3), { signal: pre.signal });
  await assert.rejects(stream.next(), (error) => error.code === 'cancelled');
});

test('unusable arguments throw invalid_options at once', () => {
  const c = client();
  const cases = [
    () => lookupStream({}, []),
    () => lookupStream(c, 42),
    () => lookupStream(c, [], { concurrency: 0 }),
    () => lookupStream(c, [], { concurrency: 65 }),
    () => lookupStream(c, [], { concurrency: 8, window: 4 }),
    () => lookupStream(c, [], { signal: 'stop' }),
    () => lookupStream(c, [], { concurency: 2 }),
  ];
  for (const call of cases) assert.throws(call, (error) => error instanceof CprError && error.code === 'invalid_options');
});

test('the CommonJS entry is the same function', async () => {
  const cjs = require('datafordeler-cpr/stream');
  assert.equal(typeof cjs.lookupStream, 'function');
  // Its errors are the CommonJS entry's CprError.
  assert.throws(() => cjs.lookupStream(client(), 42), require('datafordeler-cpr').CprError);
  const results = [];
  for await (const result of cjs.lookupStream(client(), ['0707610123', '1203750168'])) results.push(result.value.person.cpr);
  assert.deepEqual(results, ['0707610123', '1203750168']);
});

test('pkg/stream.d.ts type-checks its documented use and refuses misuse', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const result = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tests/types/stream.tsconfig.json'], { cwd: root, encoding: 'utf8', timeout: 120000 });
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
});
