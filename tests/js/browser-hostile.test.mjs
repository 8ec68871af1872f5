// Hostile values in headless Chromium (the web build): a browser's brand checks are the engine's
// own (Web IDL), unlike Node's AbortSignal, so what is a real AbortSignal or typed array is
// checked here too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPackagePage } from '../support/browser.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let session;
let page;

before(async () => { session = await openPackagePage(root); ({ page } = session); });
after(async () => { await session?.close(); });

test('in a browser, hostile values give issues and CprErrors; only a real AbortSignal is a signal', async () => {
  const result = await page.evaluate(async () => {
    const { cpr } = window;
    const setup = { enabled: true, environment: 'test04', sectorType: 'private', authMethod: 'sharedSecret', clientId: 'erp', clientSecret: 'S3cret-Value-42' };
    const revoked = () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    };
    const outcome = (promise) => promise.then(() => 'resolved', (e) => `${e.name} ${e.code}`);
    const thrown = (run) => {
      try {
        run();
        return 'returned';
      } catch (e) {
        return `${e.name} ${e.code}`;
      }
    };
    // The host answers every request with a 500: nothing leaves the page.
    const client = new cpr.CprClient(setup, { fetch: () => ({ status: 500 }), maxAttempts: 1 });
    let reads = 0;
    const turning = new Proxy(new AbortController().signal, {
      get(target, key) {
        if (key === 'aborted' && ++reads > 1) throw new Error('turned hostile');
        return Reflect.get(target, key);
      },
    });
    return {
      revokedSetup: cpr.validateSetup(revoked()).issues.map((i) => i.code),
      fakeTypedArray: cpr.validateSetup({ ...setup, clientId: Object.create(Uint8Array.prototype) }).issues.map((i) => [i.field, i.code]),
      realBytes: cpr.redact({ bytes: Object.setPrototypeOf(new Uint8Array([1, 2]), null) }).bytes,
      redactRevoked: thrown(() => cpr.redact({ a: revoked() })),
      lookupMany: await outcome(client.lookupMany(revoked())),
      realSignal: await outcome(client.lookup('0707610123', { signal: new AbortController().signal })),
      abortedSignal: await outcome(client.lookup('0707610123', { signal: AbortSignal.abort() })),
      proxySignal: await outcome(client.lookup('0707610123', { signal: new Proxy(new AbortController().signal, {}) })),
      turningSignal: await outcome(client.lookup('0707610123', { signal: turning })),
      fakeSignal: await outcome(client.lookup('0707610123', { signal: Object.create(AbortSignal.prototype) })),
    };
  });
  assert.deepEqual(result, {
    revokedSetup: ['unreadable_input'],
    fakeTypedArray: [['clientId', 'wrong_type']],
    realBytes: [1, 2],
    redactRevoked: 'CprError unreadable_input',
    lookupMany: 'CprError unreadable_input',
    realSignal: 'CprError server_error',
    abortedSignal: 'CprError cancelled',
    // A browser's brand check refuses a proxy, also one that would turn hostile later.
    proxySignal: 'CprError invalid_options',
    turningSignal: 'CprError invalid_options',
    fakeSignal: 'CprError invalid_options',
  });
});
