// The setup page: the form is built from the library's own field list and environment table,
// and every keystroke re-validates in wasm. The page repeats no rule of its own.
import { validateSetup, resolveEndpoints, setupFields, environments } from '/pkg/index.web.js';

const form = document.getElementById('setup-form');
const summary = document.getElementById('setup-summary');
const endpointList = document.getElementById('endpoints');

const LOCAL = 'local';
const config = await fetch('/config.json').then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
const environmentChoices = [
  ...(config.localEnvironment ? [{ key: LOCAL, label: config.localEnvironment.label }] : []),
  ...environments().map((e) => ({ key: e.key, label: e.label })),
];
const CHOICE_LABELS = {
  sectorType: { private: 'Private Sector', public: 'Public Sector' },
  authMethod: { sharedSecret: 'Shared Secret', certificate: 'Certificate' },
};
// Fields that apply only to one authentication method.
const ONLY_FOR = { clientSecret: 'sharedSecret', certificatePassword: 'certificate', certificate: 'certificate' };
const state = { certificate: null };

function fieldElement(field) {
  const wrapper = document.createElement('div');
  wrapper.className = `field ${field.kind}`;
  wrapper.dataset.field = field.key;
  const id = `field-${field.key}`;
  const label = Object.assign(document.createElement('label'), { htmlFor: id, textContent: field.label });
  let input;
  switch (field.kind) {
    case 'switch':
      input = Object.assign(document.createElement('input'), { type: 'checkbox', checked: field.key === 'enabled' });
      break;
    case 'choice': {
      input = document.createElement('select');
      const choices = field.key === 'environment'
        ? environmentChoices
        : field.choices.map((key) => ({ key, label: CHOICE_LABELS[field.key]?.[key] ?? key }));
      for (const c of choices) input.append(new Option(c.label, c.key));
      break;
    }
    case 'secret':
      input = Object.assign(document.createElement('input'), { type: 'password', autocomplete: 'off' });
      break;
    case 'bytes':
      input = Object.assign(document.createElement('input'), { type: 'file', accept: '.pfx,.p12' });
      input.addEventListener('change', async () => {
        const file = input.files[0];
        state.certificate = file ? new Uint8Array(await file.arrayBuffer()) : null;
        update();
      });
      break;
    case 'endpoints':
      return null; // Overrides come from the chosen environment, not typed by hand.
    default:
      input = Object.assign(document.createElement('input'), { type: 'text', autocomplete: 'off', spellcheck: false });
      if (field.key === 'apiVersion') input.placeholder = 'v2';
  }
  input.id = id;
  input.name = field.key;
  const messages = Object.assign(document.createElement('ul'), { className: 'messages', id: `${id}-messages` });
  input.setAttribute('aria-describedby', messages.id);
  if (field.kind === 'switch') wrapper.append(input, label, messages);
  else wrapper.append(label, input, messages);
  return wrapper;
}

const fields = setupFields();
for (const field of fields) {
  const el = fieldElement(field);
  if (el) form.append(el);
}
if (config.localEnvironment) {
  form.elements.clientId.value = config.localEnvironment.clientId ?? '';
  form.elements.clientSecret.value = config.localEnvironment.clientSecret ?? '';
}

/** The setup object as the library expects it. */
export function currentSetup() {
  const setup = {};
  for (const field of fields) {
    const input = form.elements[field.key];
    if (!input || field.kind === 'bytes') continue;
    setup[field.key] = input.type === 'checkbox' ? input.checked : input.value;
  }
  if (state.certificate) setup.certificate = state.certificate;
  // Hidden fields belong to the other authentication method: they are not part of the setup.
  for (const [key, method] of Object.entries(ONLY_FOR)) if (setup.authMethod !== method) delete setup[key];
  if (setup.environment === LOCAL) {
    setup.environment = config.localEnvironment.environment;
    setup.endpoints = config.localEnvironment.endpoints;
  }
  return setup;
}

function renderIssues(report) {
  for (const list of form.querySelectorAll('.messages')) list.replaceChildren();
  const general = [];
  for (const issue of report.issues) {
    const key = (issue.field ?? '').split('.')[0];
    const list = document.getElementById(`field-${key}-messages`);
    const item = Object.assign(document.createElement('li'), { className: issue.severity, textContent: issue.message });
    if (list) list.append(item); else general.push(issue.message);
  }
  const errors = report.issues.filter((i) => i.severity === 'error').length;
  summary.textContent = report.ok
    ? 'The setup is valid.'
    : `${errors} setting${errors === 1 ? '' : 's'} to fix.${general.length ? ' ' + general.join(' ') : ''}`;
}

function renderEndpoints(setup) {
  endpointList.replaceChildren();
  let resolved;
  try {
    resolved = resolveEndpoints(setup);
  } catch (error) {
    endpointList.append(Object.assign(document.createElement('dd'), { textContent: error.message }));
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
    const dd = Object.assign(document.createElement('dd'), { textContent: value });
    if (provenance) dd.append(Object.assign(document.createElement('span'), { className: `badge ${provenance}`, textContent: provenance }));
    endpointList.append(Object.assign(document.createElement('dt'), { textContent: name }), dd);
  }
}

function update() {
  const setup = currentSetup();
  for (const [key, method] of Object.entries(ONLY_FOR)) {
    const wrapper = form.querySelector(`[data-field="${key}"]`);
    if (wrapper) wrapper.hidden = setup.authMethod !== method;
  }
  renderIssues(validateSetup(setup));
  renderEndpoints(setup);
}

form.addEventListener('input', update);
form.addEventListener('change', update);
update();
document.body.dataset.ready = 'true';
