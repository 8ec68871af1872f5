// Rendering of the library's diagnoses and step reports. Titles, causes, fixes and step
// messages are the library's text; the page only lays them out.
import { h, issueList, provenanceBadge } from './dom.js';
import { fieldLabel } from './setup-form.js';

const STEP_LABELS = {
  setupValid: 'Setup',
  endpointsResolved: 'Endpoints',
  tokenObtained: 'Token',
  graphqlReachable: 'GraphQL service',
  entityAuthorised: 'Access to the CPR entity',
};

/** Links to the setup fields a diagnosis names, so keyboard users can jump to them. */
function settingLinks(settings) {
  return settings.map((key, i) => [
    i > 0 ? ', ' : '',
    document.getElementById(`field-${key}`) ? h('a', { href: `#field-${key}` }, fieldLabel(key)) : fieldLabel(key),
  ]);
}

export function renderDiagnosis(d) {
  return h('div', { class: 'diagnosis', dataset: { code: d.code } },
    h('p', { class: 'diagnosis-title' }, d.title, d.status ? ` (HTTP ${d.status})` : ''),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Cause'), h('dd', { class: 'plain', dataset: { part: 'cause' } }, d.cause,
        // How sure the cause is: the catalogue's word for it.
        d.provenance ? provenanceBadge(d.provenance) : null),
      h('dt', {}, 'Solution'), h('dd', { class: 'plain', dataset: { part: 'solution' } }, d.solution),
      d.settings?.length ? [h('dt', {}, 'Settings to check'), h('dd', { class: 'plain', dataset: { part: 'settings' } }, settingLinks(d.settings))] : null,
      d.detail ? [h('dt', {}, 'Server said'), h('dd', { class: 'mono', dataset: { part: 'detail' } }, d.detail)] : null,
      d.retryAfterSeconds ? [h('dt', {}, 'Retry after'), h('dd', { class: 'plain' }, `${d.retryAfterSeconds} s`)] : null,
    ));
}

export function renderConnectionReport(report) {
  return [
    h('p', { class: `outcome ${report.ok ? 'passed' : 'failed'}`, id: 'connection-outcome' },
      report.ok ? 'Connection test passed: every step passed' : 'Connection test failed: see the failed step below',
      report.apiVersion ? ` (answered by ${report.apiVersion}).` : '.'),
    report.notifications?.length ? issueList(report.notifications) : null,
    h('ol', { class: 'steps', id: 'connection-steps' }, report.steps.map((step) =>
      h('li', { class: `step ${step.status}`, dataset: { step: step.step, status: step.status } },
        h('span', { class: `badge ${step.status}` }, step.status),
        ' ', h('strong', {}, STEP_LABELS[step.step] ?? step.step),
        // A failed step's message is its diagnosis' title and fix, shown in full below.
        step.diagnosis ? null : `: ${step.message}`,
        step.issues?.length ? issueList(step.issues) : null,
        step.diagnosis ? renderDiagnosis(step.diagnosis) : null))),
  ];
}

/** An operation that rejected: its diagnosis when the library gave one, else its message. */
export function renderFailure(what, error) {
  return [
    h('p', { class: 'outcome failed' }, `${what} failed: ${error?.message ?? String(error)}`),
    error?.diagnosis ? renderDiagnosis(error.diagnosis) : null,
  ];
}
