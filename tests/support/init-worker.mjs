// A module worker on the explicit-initialisation entry, written as README's worker recipe:
// `onmessage` is attached synchronously, before anything is loaded, and every message waits for
// the one `init()` promise, so a message posted right after `new Worker()` is answered (in order).
import { init, validateCpr } from '/pkg/init.web.js';

const ready = init();

self.onmessage = async ({ data }) => {
  try {
    await ready;
    const result = validateCpr(data.cpr);
    self.postMessage({ id: data.id, valid: result.valid, birthDate: result.birthDate });
  } catch (error) {
    self.postMessage({ id: data.id, error: `${error?.name}: ${error?.code ?? error?.message}` });
  }
};
