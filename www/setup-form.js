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

export const fields = setupFields();
export const fieldLabel = (key) => fields.find((f) => f.key === key)?.label ?? key;

/** Build the form into `form`; returns { currentSetup, onChange, certificateSlot }. */
export function createSetupForm(form, { localEnvironment }) {
  const state = { certificate: null, certificateName: null };
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
      default:
        input = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
        if (field.key === 'apiVersion') input.placeholder = 'v2';
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

  for (const field of fields) {
    const el = fieldElement(field);
    if (el) form.append(el);
  }
  if (localEnvironment) {
    form.elements.clientId.value = localEnvironment.clientId ?? '';
    form.elements.clientSecret.value = localEnvironment.clientSecret ?? '';
  }

  /** The setup object as the library expects it. */
  function currentSetup() {
    const setup = {};
    for (const field of fields) {
      const input = form.elements[field.key];
      if (!input || field.kind === 'bytes') continue;
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
  function update() {
    const setup = currentSetup();
    for (const [key, method] of Object.entries(ONLY_FOR)) {
      const wrapper = form.querySelector(`[data-field="${key}"]`);
      if (wrapper) wrapper.hidden = setup.authMethod !== method;
    }
    renderIssues(validateSetup(setup), summary);
    renderEndpoints(setup, endpointList);
    for (const listener of listeners) listener(setup, state);
  }

  form.addEventListener('input', update);
  form.addEventListener('change', update);
  form.addEventListener('submit', (event) => event.preventDefault());
  return {
    currentSetup,
    update,
    onChange: (listener) => listeners.push(listener),
    certificateState: state,
  };
}
