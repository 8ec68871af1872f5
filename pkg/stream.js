// datafordeler-cpr/stream: lookupStream, the streaming form of CprClient.lookupMany.
//
// A standalone function rather than a CprClient method: the class is generated from Rust by
// wasm-bindgen (its declarations too), and the same class is loaded through six entries (Node
// ESM and CommonJS, browsers, the three init entries); patching its prototype from each would be
// a side effect on import in every one of them. It works on any client that has
// `lookup(cpr, { existing, signal })`, in Node and browsers alike, and the main bundle does not
// grow.
//
// Bounded: at most `concurrency` lookups run at once, and at most `window` items are read from
// the source and not yet handed to the consumer, so a slow item holds back reading, never
// memory. Each lookup is the client's own `lookup`, so nothing accumulates in the wasm module.
//
// Its errors are the package's own CprError class: this file takes it from the browser build's
// glue (loading that runs no wasm); the build makes stream.node.js and stream.cjs, which take it
// from the Node entries, so `instanceof CprError` holds with whichever entry a caller imported.
import { CprError } from './web/datafordeler_cpr.js';

const CANCELLED_MESSAGE = 'Cancelled: The caller cancelled the operation.';

function usageError(message) {
  return new CprError(`lookupStream: ${message}`, { code: 'invalid_options' });
}

function cancelledError() {
  return new CprError(CANCELLED_MESSAGE, { code: 'cancelled' });
}

function wholeNumber(value, name, min, max, fallback) {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw usageError(`${name} must be a whole number from ${min} to ${max}.`);
  return value;
}

/**
 * Looks up every item of `items` (an iterable or async iterable of `{ cpr, existing? }` or CPR
 * texts) with `client.lookup`, yielding `{ index, ok: true, value } | { index, ok: false, error }`
 * in input order as results complete. Options: `concurrency` (lookups at once, default 4, 1 to
 * 64), `window` (items read ahead of the consumer, default 4 × concurrency, at least
 * `concurrency`, at most 4096), `signal` (cancels: lookups in flight end with `cancelled` and the
 * iteration throws a CprError coded `cancelled`). Leaving the loop early (`break`) cancels the
 * lookups in flight and closes `items`.
 */
export function lookupStream(client, items, options = {}) {
  if (client === null || typeof client !== 'object' || typeof client.lookup !== 'function') {
    throw usageError('the first argument must be a CprClient.');
  }
  if (items === null || items === undefined || (typeof items[Symbol.asyncIterator] !== 'function' && typeof items[Symbol.iterator] !== 'function')) {
    throw usageError('items must be an iterable or an async iterable.');
  }
  if (options === null || typeof options !== 'object') throw usageError('options must be an object.');
  for (const key of Object.keys(options)) {
    if (!['concurrency', 'window', 'signal'].includes(key)) throw usageError(`unknown option \`${key}\`, expected one of concurrency, window, signal.`);
  }
  const concurrency = wholeNumber(options.concurrency, 'concurrency', 1, 64, 4);
  const window = wholeNumber(options.window, 'window', concurrency, 4096, Math.max(concurrency, Math.min(4096, 4 * concurrency)));
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw usageError('signal must be an AbortSignal.');
  return run(client, items, concurrency, window, signal);
}

async function* run(client, items, concurrency, window, signal) {
  const source = typeof items[Symbol.asyncIterator] === 'function' ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) controller.abort();

  /** Read but not yet yielded, in input order: { index, settled, result, promise }. */
  const pending = [];
  let nextIndex = 0;
  let inFlight = 0;
  let exhausted = false;
  let sourceError;
  let reading = null;
  let wake = null;
  const notify = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  controller.signal.addEventListener('abort', notify, { once: true });

  const start = (entry, item) => {
    inFlight += 1;
    const isText = typeof item === 'string';
    const cpr = isText ? item : item?.cpr;
    const lookupOptions = { signal: controller.signal };
    if (!isText && item?.existing !== undefined && item?.existing !== null) lookupOptions.existing = item.existing;
    let promise;
    try {
      promise = Promise.resolve(client.lookup(cpr, lookupOptions));
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (value) => { entry.result = { index: entry.index, ok: true, value }; },
      (error) => { entry.result = { index: entry.index, ok: false, error }; },
    ).then(() => {
      entry.settled = true;
      inFlight -= 1;
      fill();
      notify();
    });
  };

  // Starts lookups while the concurrency and the window allow; one reader of `source` at a time.
  const fill = () => {
    if (reading || exhausted || controller.signal.aborted) return;
    if (inFlight >= concurrency || pending.length >= window) return;
    reading = (async () => {
      try {
        while (!exhausted && !controller.signal.aborted && inFlight < concurrency && pending.length < window) {
          const step = await source.next();
          if (step.done) {
            exhausted = true;
            break;
          }
          const entry = { index: nextIndex, settled: false, result: undefined };
          nextIndex += 1;
          pending.push(entry);
          start(entry, step.value);
        }
      } catch (error) {
        sourceError = { error };
        exhausted = true;
      } finally {
        reading = null;
        notify();
      }
    })();
  };

  try {
    for (;;) {
      if (controller.signal.aborted) throw cancelledError();
      fill();
      const head = pending[0];
      if (head?.settled) {
        pending.shift();
        fill();
        // A lookup cancelled by the caller's signal ends the stream rather than being an item.
        if (!head.result.ok && signal?.aborted) throw head.result.error?.code === 'cancelled' ? head.result.error : cancelledError();
        yield head.result;
        continue;
      }
      if (!head && exhausted && !reading) {
        if (sourceError) throw sourceError.error;
        return;
      }
      await new Promise((resolve) => { wake = resolve; });
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    controller.abort();
    if (!exhausted) {
      exhausted = true;
      await reading?.catch(() => {});
      try {
        await source.return?.();
      } catch {
        // closing the caller's source is best effort
      }
    }
  }
}
