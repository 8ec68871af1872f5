// A module worker for the browser tests: loads the web build as a worker script imports the
// package, runs a connection test and a lookup with the setup it is sent, and posts back what
// happened (no personal data beyond the test fixture's).
import { CprClient } from '/pkg/index.web.js';

self.onmessage = async ({ data }) => {
  try {
    const client = new CprClient(data.setup);
    const report = await client.testConnection();
    const outcome = await client.lookup(data.cpr);
    self.postMessage({ ok: report.ok, steps: report.steps.map((step) => step.status), found: outcome.person?.cpr === data.cpr, name: outcome.person?.name ?? null });
  } catch (error) {
    self.postMessage({ error: `${error?.name}: ${error?.code ?? error?.message}` });
  }
};
self.postMessage({ ready: true });
