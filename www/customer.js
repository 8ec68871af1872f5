// The customer card: a small ERP customer record and "Get Data From CVR/CPR". The lookup and the
// merge run in the library (`client.lookup(cpr, { existing: record })`); the page shows the proposed changes
// side by side and applies them only when the user accepts.
import { validateCpr } from '/pkg/index.web.js';
import { h, issueList, show } from './dom.js';
import { renderFailure } from './diagnosis.js';

// The card's own fields, named as the library's default merge field map names them.
export const CARD_FIELDS = [
  { key: 'name', label: 'Name' },
  { key: 'address', label: 'Address' },
  { key: 'address2', label: 'Address 2' },
  { key: 'postCode', label: 'Post Code' },
  { key: 'city', label: 'City' },
];

// Record fields the library may fill that the card does not show.
const OTHER_LABELS = { countryCode: 'Country code (kept with the record)' };

const display = (value) => (value == null || value === '' ? '—' : typeof value === 'string' ? value : JSON.stringify(value));

export function attachCustomerCard({ form, result, withClient }) {
  const extra = {}; // Record fields the card does not show (e.g. countryCode), kept between lookups.
  const cprInput = form.elements.cpr;
  const cprMessages = document.getElementById('customer-cpr-messages');
  const submit = form.querySelector('button[type="submit"]');

  const record = () => ({ ...extra, ...Object.fromEntries(CARD_FIELDS.map((f) => [f.key, form.elements[f.key].value])) });

  function validateNumber() {
    const text = cprInput.value;
    const report = validateCpr(text);
    const issues = text.trim() === '' ? [] : report.issues;
    cprMessages.replaceChildren(...issueList(issues).children);
    cprInput.toggleAttribute('aria-invalid', issues.some((i) => i.severity === 'error'));
    return report;
  }
  cprInput.addEventListener('input', validateNumber);

  function apply(changes) {
    for (const change of changes) {
      const input = CARD_FIELDS.some((f) => f.key === change.field) ? form.elements[change.field] : null;
      const value = change.after == null ? '' : String(change.after);
      if (input) input.value = value;
      else extra[change.field] = change.after;
    }
  }

  function renderOutcome(outcome) {
    const merge = outcome.merge;
    const changes = merge?.changes ?? [];
    // The merge's notifications repeat the lookup's; show each message once.
    const seen = new Set();
    const notifications = [...(merge?.notifications ?? []), ...outcome.notifications].filter((n) => {
      const key = `${n.code}|${n.message}`;
      return seen.has(key) ? false : seen.add(key);
    });
    const parts = [h('h3', { id: 'review-heading', tabindex: '-1' }, outcome.person ? 'Proposed changes from CPR' : 'No person found')];
    if (notifications.length) parts.push(h('div', { class: 'notifications', id: 'lookup-notifications' }, issueList(notifications)));
    if (!changes.length) {
      parts.push(h('p', { class: 'outcome passed', id: 'no-changes' }, outcome.person ? 'No changes: the card already holds what CPR may update.' : 'The card is unchanged.'));
      return parts;
    }
    const label = (field) => CARD_FIELDS.find((f) => f.key === field)?.label ?? OTHER_LABELS[field] ?? field;
    const table = h('table', { class: 'changes', id: 'changes' },
      h('caption', {}, `${changes.length} field${changes.length === 1 ? '' : 's'} to update`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'On the card now'), h('th', { scope: 'col' }, 'From CPR'))),
      h('tbody', {}, changes.map((c) => h('tr', { dataset: { field: c.field } },
        h('th', { scope: 'row' }, label(c.field)),
        h('td', { class: 'before', 'data-label': 'On the card now' }, display(c.before)),
        h('td', { class: 'after', 'data-label': 'From CPR' }, display(c.after))))));
    const status = h('p', { class: 'muted', id: 'review-status' });
    const accept = h('button', { type: 'button', id: 'accept-changes', class: 'primary' }, 'Accept');
    const discard = h('button', { type: 'button', id: 'discard-changes' }, 'Discard');
    accept.addEventListener('click', () => {
      apply(changes);
      accept.disabled = discard.disabled = true;
      status.textContent = `Applied ${changes.length} change${changes.length === 1 ? '' : 's'} to the card.`;
      form.elements.name.focus();
    });
    discard.addEventListener('click', () => {
      accept.disabled = discard.disabled = true;
      status.textContent = 'Discarded: the card is unchanged.';
    });
    parts.push(table, h('div', { class: 'buttons' }, accept, discard), status);
    return parts;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const number = validateNumber();
    if (!number.valid) {
      cprInput.focus();
      if (!cprInput.value.trim()) cprMessages.replaceChildren(...issueList(number.issues).children);
      return;
    }
    submit.disabled = true;
    result.setAttribute('aria-busy', 'true');
    show(result, h('p', { class: 'muted' }, `Looking up ${number.masked} in CPR…`));
    try {
      const outcome = await withClient((client) => client.lookup(number.normalized, { existing: record() }));
      show(result, renderOutcome(outcome));
    } catch (error) {
      show(result, renderFailure('Get Data From CVR/CPR', error));
    } finally {
      submit.disabled = false;
      result.setAttribute('aria-busy', 'false');
    }
  });
}
