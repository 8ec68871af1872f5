// Batch refresh: many CPR numbers looked up with `client.lookupMany`, a progress bar fed by its
// `onProgress`, and one row per number in input order (a failure is that row's diagnosis, never
// the end of the batch). Numbers are shown masked: a batch table is the kind of screen that ends
// up in screenshots and tickets.
import { validateCpr } from '/pkg/index.web.js';
import { h, show } from './dom.js';
import { renderDiagnosis } from './diagnosis.js';

/** The most numbers one batch takes from the text box: a demo of the API, not a bulk tool. */
export const MAX_BATCH_NUMBERS = 500;

/** The numbers in a text: one per line, or separated by commas, semicolons or spaces. */
export function numbersIn(text) {
  return text.split(/[\s,;]+/).map((part) => part.trim()).filter(Boolean);
}

function outcomeText(result) {
  if (!result.ok) return result.error.message;
  const person = result.value.person;
  if (!person) return result.value.notifications.map((n) => n.message).join(' ') || 'No person found.';
  const notes = result.value.notifications.map((n) => n.message);
  return [person.name?.addressing ?? 'Name withheld', ...notes].join(' · ');
}

export function attachBatch({ form, result, withClient }) {
  const input = form.elements.numbers;
  const submit = form.querySelector('button[type="submit"]');
  const cancel = form.querySelector('button[data-action="cancel"]');
  let controller = null;
  cancel.addEventListener('click', () => controller?.abort());

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const numbers = numbersIn(input.value);
    if (!numbers.length || numbers.length > MAX_BATCH_NUMBERS) {
      show(result, h('p', { class: 'outcome failed' }, numbers.length
        ? `${numbers.length} numbers: at most ${MAX_BATCH_NUMBERS} per batch here.`
        : 'Enter CPR numbers, one per line.'));
      input.focus();
      return;
    }
    controller = new AbortController();
    submit.disabled = true;
    cancel.disabled = false;
    const progress = h('progress', { id: 'batch-progress', max: String(numbers.length), value: '0' });
    const status = h('p', { class: 'muted', id: 'batch-status', role: 'status' }, `0 of ${numbers.length} done`);
    show(result, progress, status);
    result.setAttribute('aria-busy', 'true');
    try {
      const results = await withClient((client) => client.lookupMany(numbers.map((cpr) => ({ cpr })), {
        concurrency: 8,
        signal: controller.signal,
        onProgress: ({ done, total, failures }) => {
          progress.value = done;
          status.textContent = `${done} of ${total} done${failures ? `, ${failures} failed` : ''}`;
        },
      }));
      const failures = results.filter((r) => !r.ok).length;
      status.textContent = `${results.length} of ${numbers.length} done${failures ? `, ${failures} failed` : ''}`;
      const table = h('table', { class: 'changes', id: 'batch-results' },
        h('caption', {}, `${results.length} lookups`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '#'), h('th', { scope: 'col' }, 'CPR No.'), h('th', { scope: 'col' }, 'Result'))),
        h('tbody', {}, results.map((r) => h('tr', { dataset: { index: String(r.index), ok: String(r.ok), code: r.ok ? 'ok' : r.error.code } },
          h('td', {}, String(r.index + 1)),
          h('td', { class: 'mono' }, validateCpr(numbers[r.index] ?? '').masked ?? '—'),
          h('td', {}, outcomeText(r), !r.ok && r.error.diagnosis ? renderDiagnosis(r.error.diagnosis) : null)))));
      show(result, progress, status, table);
    } catch (error) {
      show(result, h('p', { class: 'outcome failed' }, `Batch failed: ${error?.message ?? String(error)}`));
    } finally {
      controller = null;
      submit.disabled = false;
      cancel.disabled = true;
      result.setAttribute('aria-busy', 'false');
    }
  });
}
