// The setup page: wires the setup form, the certificate check, the actions, the customer card
// and the debug files together. Every rule, label and message comes from the library (pkg/);
// this file only decides where things go on the page.
import { CprClient } from '/pkg/index.web.js';
import { h } from './dom.js';
import { createSetupForm } from './setup-form.js';
import { attachCertificateCheck } from './certificate-check.js';
import { attachActions } from './actions.js';
import { attachCustomerCard } from './customer.js';
import { attachBatch } from './batch.js';
import { createDebugPanel } from './debug.js';

const debug = createDebugPanel(document.getElementById('debug-section'), document.getElementById('debug-links'));
const config = await fetch('/config.json').then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
const form = document.getElementById('setup-form');
/** Run one operation with a client for the setup as it is now (the library refuses bad setups). */
async function withClient(work) {
  const client = new CprClient(setupForm.currentSetup(), { onDebug: (capture) => debug.add(capture) });
  try {
    return await work(client);
  } finally {
    client.free();
  }
}

const setupForm = createSetupForm(form, {
  localEnvironment: config.localEnvironment ?? null,
  relay: config.relay ?? null,
  // The local emulator's test secret, fetched only when direct access is chosen: through the
  // relay, no secret is ever in this page.
  localSecret: () => fetch('/config/local-secret.json').then((r) => (r.ok ? r.json() : {})).then((j) => j.clientSecret ?? '').catch(() => ''),
  relayEndpoints: (setup) => withClient((client) => client.fetchEndpoints()),
});

// The certificate check sits with the certificate fields (hidden with them for Shared Secret).
const passwordCheck = h('ul', { class: 'messages check', id: 'field-certificatePassword-check', 'aria-live': 'polite' });
const passwordField = form.querySelector('[data-field="certificatePassword"]');
passwordField?.append(passwordCheck);
form.elements.certificatePassword?.setAttribute('aria-describedby', 'field-certificatePassword-messages field-certificatePassword-check');
const certificatePanel = h('div', { id: 'certificate-check', class: 'result', role: 'region', 'aria-live': 'polite', 'aria-label': 'Certificate check', hidden: true });
form.querySelector('[data-field="certificate"]')?.append(
  h('p', { class: 'note', id: 'certificate-note' },
    'The file and its password are checked in this page; nothing is uploaded. The Certificate method itself needs mutual TLS, which a browser cannot do: certificate lookups run in a server host (Node: createCertificateFetch from datafordeler-cpr/node), with the certificate kept on that server.'),
  certificatePanel);
attachCertificateCheck({ form, setupForm, panel: certificatePanel, passwordMessages: passwordCheck });

setupForm.onChange((setup) => debug.setEnabled(setup.debugMode === true));

attachActions({
  buttons: { testConnection: document.getElementById('test-connection'), fetchSchema: document.getElementById('fetch-schema') },
  result: document.getElementById('action-result'),
  withClient,
});
attachCustomerCard({ form: document.getElementById('customer-form'), result: document.getElementById('lookup-result'), withClient });
attachBatch({ form: document.getElementById('batch-form'), result: document.getElementById('batch-result'), withClient });

await setupForm.setMode(setupForm.mode());
document.body.dataset.ready = 'true';
