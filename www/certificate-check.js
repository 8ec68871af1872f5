// The certificate check: once a PFX is chosen, the page loads the separate certificate module
// (pkg/cert, PKCS#12 and X.509 in Rust) and tells whether the password opens the file, which
// certificate it holds, and when it expires. The module is loaded only here, on first use, so
// the page costs nothing extra for the Shared Secret method.
import { h, issueList, show } from './dom.js';

let modulePromise = null;
const loadModule = () => (modulePromise ??= import('/pkg/certificate.web.js'));

function row(name, value, props = {}) {
  return [h('dt', {}, name), h('dd', props, value)];
}

const VALIDITY_TEXT = {
  valid: 'valid',
  expiresSoon: 'expires soon',
  expired: 'expired',
  notYetValid: 'not yet valid',
};

function renderReport(report) {
  const c = report.certificate;
  const days = c.daysRemaining >= 0 ? `${c.daysRemaining} day${c.daysRemaining === 1 ? '' : 's'} left` : `${-c.daysRemaining} days ago`;
  return [
    h('p', { class: 'outcome passed', id: 'certificate-opened' }, 'The Certificate Password opens this file.'),
    h('dl', { class: 'facts', id: 'certificate-facts' },
      row('Subject', c.subject, { dataset: { fact: 'subject' } }),
      row('Issuer', c.issuer),
      row('SHA-1 thumbprint', c.sha1Thumbprint, { class: 'mono', dataset: { fact: 'sha1' } }),
      row('SHA-256 fingerprint', c.sha256Fingerprint, { class: 'mono', dataset: { fact: 'sha256' } }),
      row('Valid from', c.notBefore),
      row('Valid until', h('span', {}, `${c.notAfter} (${days}) `, h('span', { class: `badge ${c.validity}` }, VALIDITY_TEXT[c.validity] ?? c.validity)), { dataset: { fact: 'expiry' } }),
      row('Key', `${c.publicKey}${report.hasPrivateKey ? ', private key included' : ', no private key'}`),
      row('Protection', [report.protection.encryption.join('; '), report.protection.mac ? `, ${report.protection.mac} MAC` : ', no MAC'].join('')),
      report.chain.length ? row('Also in the file', report.chain.map((x) => x.subject).join('; ')) : null,
    ),
    issueList(report.issues, { id: 'certificate-issues' }),
  ];
}

/**
 * Wire the check to the setup form: `panel` shows the result, `passwordMessages` holds the
 * password verdict next to the Certificate Password field.
 */
export function attachCertificateCheck({ form, setupForm, panel, passwordMessages }) {
  let run = 0;
  setupForm.onChange(async (setup, state) => {
    const current = ++run;
    const password = form.elements.certificatePassword?.value ?? '';
    if (setup.authMethod !== 'certificate' || !state.certificate) {
      show(panel);
      passwordMessages.replaceChildren();
      return;
    }
    let inspectCertificate;
    try {
      ({ inspectCertificate } = await loadModule());
    } catch (error) {
      if (current === run) show(panel, h('p', { class: 'error' }, `The certificate check could not be loaded (${error.message}).`));
      return;
    }
    if (current !== run) return; // A newer keystroke is already being checked.
    try {
      const report = inspectCertificate(state.certificate, password);
      passwordMessages.replaceChildren(h('li', { class: 'passed' }, 'The password opens the certificate file.'));
      show(panel, renderReport(report));
    } catch (error) {
      // Errors carry the field they are about: a wrong password sits next to the password.
      const item = h('li', { class: 'error', dataset: { code: error.code ?? '' } }, error.message);
      if (error.field === 'certificatePassword') {
        passwordMessages.replaceChildren(item);
        show(panel, h('p', { class: 'outcome failed', id: 'certificate-not-opened' }, error.message));
      } else {
        passwordMessages.replaceChildren();
        show(panel, issueList([{ severity: 'error', code: error.code, message: error.message }], { id: 'certificate-issues' }));
      }
    }
  });
}
