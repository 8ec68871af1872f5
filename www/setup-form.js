// The setup form: built from the library's field list and environment table, validated in wasm
// on every change. The page holds no rule of its own: labels, choices and messages all come
// from the library.
import { validateSetup, resolveEndpoints, setupFields, environments } from '/pkg/index.web.js';
import { h, issueList, provenanceBadge } from './dom.js';

export const LOCAL = 'local';
const CHOICE_LABELS = {
  sectorType: { private: 'Private Sector', public: 'Public Sector' },
  authMethod: { sharedSecret: 'Shared Secret', certificate: 'Certificate' },
};
// Which authentication method a field belongs to (the library's setup table says the same in
// validation: a shared secret is only read for sharedSecret, etc.).
const ONLY_FOR = { clientSecret: 'sharedSecret', certificatePassword: 'certificate', certificate: 'certificate' };
// Fields of direct access only: through a relay, the relay's own setup holds them (the library
// refuses a secret next to a relay and ignores the rest with a warning).
const DIRECT_ONLY = ['environment', 'sectorType', 'authMethod', 'clientId', 'clientSecret', 'certificatePassword', 'certificate', 'apiVersion'];
const SECRET_FIELDS = ['clientSecret', 'certificatePassword'];
export const RELAY = 'relay';
export const DIRECT = 'direct';

export const fields = setupFields();
export const fieldLabel = (key) => fields.find((f) => f.key === key)?.label ?? key;

/**
 * Build the form into `form`; returns { currentSetup, mode, onChange, certificateState }.
 * `relay` ({ label, url }) is a relay to offer and start with; `localSecret()` gives the local
 * emulator's client secret, asked for only when the page is switched to direct access (so in
 * relay mode no secret is ever in the page); `relayEndpoints(setup)` asks a relay for its
 * endpoints.
 */
export function createSetupForm(form, { localEnvironment, relay = null, localSecret = async () => '', relayEndpoints = async () => null }) {
  const state = { certificate: null, certificateName: null, mode: relay ? RELAY : DIRECT };
  const listeners = [];
  const environmentChoices = [
    ...(localEnvironment ? [{ key: LOCAL, label: localEnvironment.label }] : []),
    ...environments().map((e) => ({ key: e.key, label: e.label })),
  ];

  function fieldElement(field) {
    const id = `field-${field.key}`;
    let input;
    switch (field.kind) {
      case 'switch':
        input = h('input', { type: 'checkbox' });
        input.checked = field.key === 'enabled';
        break;
      case 'choice': {
        input = h('select');
        const choices = field.key === 'environment'
          ? environmentChoices
          : field.choices.map((key) => ({ key, label: CHOICE_LABELS[field.key]?.[key] ?? key }));
        for (const c of choices) input.append(new Option(c.label, c.key));
        break;
      }
      case 'secret':
        input = h('input', { type: 'password', autocomplete: 'off' });
        break;
      case 'bytes':
        input = h('input', { type: 'file', accept: '.pfx,.p12,application/x-pkcs12' });
        input.addEventListener('change', async () => {
          const file = input.files[0];
          state.certificate = file ? new Uint8Array(await file.arrayBuffer()) : null;
          state.certificateName = file?.name ?? null;
          update();
        });
        break;
      case 'endpoints':
        return null; // Overrides come with the chosen environment ("Local emulator"), not typed.
      case 'relay':
        // The relay's URL; its other settings (headers, credentials mode) are the library's defaults here.
        input = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', inputmode: 'url', placeholder: 'https://erp.example.com/cpr-relay' });
        input.value = relay?.url ?? '';
        break;
      default:
        input = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
        if (field.key === 'apiVersion') input.placeholder = 'auto';
    }
    input.id = id;
    input.name = field.key;
    const messages = issueList([], { id: `${id}-messages` });
    input.setAttribute('aria-describedby', messages.id);
    const label = h('label', { for: id }, field.label);
    const wrapper = h('div', { class: `field ${field.kind}`, dataset: { field: field.key } });
    if (field.kind === 'switch') wrapper.append(input, label, messages);
    else wrapper.append(label, input, messages);
    return wrapper;
  }

  // How the page reaches the register: the first choice, since it decides which fields exist.
  const modeChoice = (value, label, note) => h('label', { class: 'mode-choice' },
    h('input', { type: 'radio', name: 'mode', value, id: `mode-${value}` }), ' ', h('strong', {}, label), h('span', { class: 'note' }, note));
  form.append(h('fieldset', { class: 'modes', id: 'connection-mode' },
    h('legend', {}, 'How this page reaches the CPR register'),
    modeChoice(RELAY, 'Through a relay', relay
      ? `${relay.label}: the relay holds the credentials and calls Datafordeleren; this page holds no secret.`
      : 'A datafordeler-cpr relay on your server holds the credentials; this page holds no secret.'),
    modeChoice(DIRECT, 'Directly', 'This page calls Datafordeleren with the credentials below (setting up and testing an IT system).')));
  form.elements.mode.value = state.mode;
  for (const field of fields) {
    const el = fieldElement(field);
    if (el) form.append(el);
  }
  if (localEnvironment) form.elements.clientId.value = localEnvironment.clientId ?? '';

  /** Switch modes: leaving direct access clears every secret from the page. */
  async function setMode(mode) {
    state.mode = mode;
    if (mode === RELAY) {
      for (const key of SECRET_FIELDS) form.elements[key].value = '';
      form.elements.certificate.value = '';
      state.certificate = null;
      state.certificateName = null;
    } else if (form.elements.environment.value === LOCAL && !form.elements.clientSecret.value) {
      form.elements.clientSecret.value = await localSecret();
    }
    update();
  }
  for (const radio of form.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener('change', (event) => { event.stopPropagation(); setMode(radio.value); });
  }

  /** The setup object as the library expects it. */
  function currentSetup() {
    if (state.mode === RELAY) {
      return {
        enabled: form.elements.enabled.checked,
        legacyMode: form.elements.legacyMode.checked,
        debugMode: form.elements.debugMode.checked,
        relay: { url: form.elements.relay.value },
      };
    }
    const setup = {};
    for (const field of fields) {
      const input = form.elements[field.key];
      if (!input || field.kind === 'bytes' || field.kind === 'relay') continue;
      setup[field.key] = input.type === 'checkbox' ? input.checked : input.value;
    }
    if (state.certificate) setup.certificate = state.certificate;
    // Hidden fields belong to the other method: they are not part of the setup.
    for (const [key, method] of Object.entries(ONLY_FOR)) if (setup.authMethod !== method) delete setup[key];
    if (!setup.apiVersion) delete setup.apiVersion;
    if (setup.environment === LOCAL) {
      setup.environment = localEnvironment.environment;
      setup.endpoints = localEnvironment.endpoints;
    }
    return setup;
  }

  function renderIssues(report, summary) {
    for (const list of form.querySelectorAll('.field > .messages')) list.replaceChildren();
    for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
    const general = [];
    for (const issue of report.issues) {
      const key = (issue.field ?? '').split('.')[0];
      const list = document.getElementById(`field-${key}-messages`);
      if (!list) {
        general.push(issue);
        continue;
      }
      list.append(h('li', { class: issue.severity, dataset: { code: issue.code } }, issue.message));
      if (issue.severity === 'error') document.getElementById(`field-${key}`)?.setAttribute('aria-invalid', 'true');
    }
    const errors = report.issues.filter((i) => i.severity === 'error').length;
    summary.replaceChildren(
      report.ok ? 'The setup is valid.' : `${errors} setting${errors === 1 ? '' : 's'} to fix.`,
      ...general.map((i) => h('span', { class: i.severity }, ` ${i.message}`)),
    );
  }

  let relayAsked = 0;
  /** Relay mode: the relay's URL, then the endpoints it reports (asked when the URL settles). */
  async function renderRelayEndpoints(setup, list, ask) {
    const row = (name, key, value, provenance) => [h('dt', {}, name), h('dd', { dataset: { endpoint: key } },
      h('span', { class: 'url' }, value), provenance && provenanceBadge(provenance))];
    list.replaceChildren(...row('Relay', 'relay', setup.relay.url || '—', null));
    if (!ask) return;
    const asked = ++relayAsked;
    let resolved;
    try {
      resolved = await relayEndpoints(setup);
    } catch (error) {
      if (asked === relayAsked) list.append(h('dt', {}, 'Relay\'s endpoints'), h('dd', { class: 'plain', id: 'relay-endpoints-error' }, error.message));
      return;
    }
    if (asked !== relayAsked || !resolved) return;
    list.append(
      ...row(`Relay's ${resolved.environmentLabel} GraphQL`, 'graphql', resolved.graphqlUrl, resolved.provenance.graphqlUrl),
      ...row('Relay\'s token', 'token', resolved.tokenUrl, resolved.provenance.tokenUrl),
      ...row('Service to request', 'service to request', resolved.service, null),
      ...row('Entity', 'entity', resolved.entity, null));
  }

  function renderEndpoints(setup, list) {
    list.replaceChildren();
    let resolved;
    try {
      resolved = resolveEndpoints(setup);
    } catch (error) {
      list.append(h('dt', {}, 'Not resolved'), h('dd', { class: 'plain' }, error.message));
      return;
    }
    const rows = [
      ['GraphQL', resolved.graphqlUrl, resolved.provenance.graphqlUrl],
      ['Schema', resolved.schemaUrl, resolved.provenance.schemaUrl],
      ['Token', resolved.tokenUrl, resolved.provenance.tokenUrl],
      ['Portal', resolved.portalUrl, resolved.provenance.portalUrl],
      ['Service to request', resolved.service, null],
      ['Entity', resolved.entity, null],
    ];
    for (const [name, value, provenance] of rows) {
      list.append(h('dt', {}, name), h('dd', { dataset: { endpoint: name.toLowerCase() } },
        h('span', { class: 'url' }, value),
        provenance && provenanceBadge(provenance)));
    }
  }

  const summary = document.getElementById('setup-summary');
  const endpointList = document.getElementById('endpoints');
  /** `settled`: a change event (not a keystroke), when asking the relay is worth a request. */
  function update({ settled = true } = {}) {
    const setup = currentSetup();
    const relayMode = state.mode === RELAY;
    for (const field of fields) {
      const wrapper = form.querySelector(`[data-field="${field.key}"]`);
      if (!wrapper) continue;
      if (field.key === 'relay') wrapper.hidden = !relayMode;
      else if (DIRECT_ONLY.includes(field.key)) wrapper.hidden = relayMode || (ONLY_FOR[field.key] !== undefined && setup.authMethod !== ONLY_FOR[field.key]);
    }
    renderIssues(validateSetup(setup), summary);
    if (relayMode) renderRelayEndpoints(setup, endpointList, settled);
    else renderEndpoints(setup, endpointList);
    for (const listener of listeners) listener(setup, state);
  }

  form.addEventListener('input', () => update({ settled: false }));
  form.addEventListener('change', () => update());
  form.addEventListener('submit', (event) => event.preventDefault());
  return {
    currentSetup,
    mode: () => state.mode,
    setMode,
    update,
    onChange: (listener) => listeners.push(listener),
    certificateState: state,
  };
}
