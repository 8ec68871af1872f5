// The certificate check on the setup page (headless Chromium, `npm start`'s servers) with the
// emulator's test PFX, and the same module through the package's `datafordeler-cpr/certificate`
// entry in Node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startApp } from '../../scripts/app.mjs';
import { launchChromium, screenshot, useDirectAccess } from '../support/browser.mjs';

let app;
let browser;
let page;
const requests = [];
const pageErrors = [];

before(async () => {
  app = await startApp({ port: 0, maxLifetimeSeconds: 300 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  page.on('pageerror', (e) => pageErrors.push(e));
  await page.goto(app.pageUrl);
  await page.waitForSelector('body[data-ready="true"]');
  await useDirectAccess(page);
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const certRequests = () => requests.filter((p) => p.startsWith('/pkg/cert/') || p === '/pkg/certificate.web.js');
const fact = (name) => page.textContent(`#certificate-facts [data-fact="${name}"]`);

test('the right password: subject, thumbprints, expiry and the warning, from a module loaded only now', async () => {
  const certificate = app.emulator.credentials.certificate;
  assert.deepEqual(certRequests(), [], 'the certificate module is not loaded with the page');
  await page.selectOption('#field-authMethod', 'certificate');
  assert.equal(await page.isVisible('#field-clientSecret'), false);
  assert.match(await page.textContent('#certificate-note'), /mutual TLS/);
  assert.match(await page.textContent('#certificate-note'), /server host/);
  assert.deepEqual(certRequests(), [], 'choosing the method alone loads nothing');

  await page.fill('#field-certificatePassword', certificate.passphrase);
  await page.setInputFiles('#field-certificate', certificate.pfxPath);
  await page.waitForSelector('#certificate-opened');
  assert.ok(certRequests().includes('/pkg/cert/web/cpr_certificate_bg.wasm'), certRequests().join(', '));

  assert.equal(await fact('subject'), 'CN=emulator-certificate-client,O=Emulator Test Company');
  assert.equal(await fact('sha256'), certificate.fingerprint256);
  assert.match(await fact('sha1'), /^[0-9A-F]{40}$/);
  // The emulator's certificates live 7 days: inside the 30-day warning window.
  assert.match(await fact('expiry'), /expires soon/);
  const warnings = await page.$$eval('#certificate-issues li', (items) => items.map((li) => [li.dataset.code, li.className, li.textContent]));
  const soon = warnings.find(([code]) => code === 'certificate_expires_soon');
  assert.ok(soon, JSON.stringify(warnings));
  assert.equal(soon[1], 'warning');
  assert.match(soon[2], /Renew it now/);
  assert.deepEqual(await page.locator('#field-certificatePassword-check li').allTextContents(), ['The password opens the certificate file.']);
  assert.deepEqual(pageErrors, []);
  await screenshot(page, 'page-certificate-right-password');
});

test('a wrong password: the message sits next to Certificate Password and never repeats the password', async () => {
  const wrong = 'definitely-not-the-passphrase';
  await page.fill('#field-certificatePassword', wrong);
  await page.waitForSelector('#field-certificatePassword-check li.error');
  const item = page.locator('#field-certificatePassword-check li.error');
  assert.equal(await item.getAttribute('data-code'), 'wrong_password');
  assert.match(await item.textContent(), /does not open this PFX file/);
  assert.equal(await page.isVisible('#certificate-facts'), false);
  const text = await page.textContent('main');
  assert.equal(text.includes(wrong), false);
  assert.equal(text.includes(app.emulator.credentials.certificate.passphrase), false);
  await screenshot(page, 'page-certificate-wrong-password');

  // Typing the right one again opens it (the module is loaded once).
  const loads = certRequests().filter((p) => p.endsWith('.wasm')).length;
  await page.fill('#field-certificatePassword', app.emulator.credentials.certificate.passphrase);
  await page.waitForSelector('#certificate-opened');
  assert.equal(certRequests().filter((p) => p.endsWith('.wasm')).length, loads);
});

test('a file that is no PFX is named as such next to the certificate', async () => {
  await page.setInputFiles('#field-certificate', { name: 'certificate.pem', mimeType: 'text/plain', buffer: Buffer.from(app.emulator.credentials.caPem) });
  await page.waitForSelector('#certificate-issues li[data-code="not_pkcs12"]');
  assert.match(await page.textContent('#certificate-issues'), /not a PFX \(PKCS#12\) file \(it is PEM text/);
});

test('Node: the same check through datafordeler-cpr/certificate (ESM and CommonJS)', async () => {
  const certificate = app.emulator.credentials.certificate;
  const { inspectCertificate } = await import('datafordeler-cpr/certificate');
  const report = inspectCertificate(new Uint8Array(certificate.pfx), certificate.passphrase);
  assert.equal(report.certificate.sha256Fingerprint, certificate.fingerprint256);
  assert.equal(report.certificate.commonName, 'emulator-certificate-client');
  assert.equal(report.hasPrivateKey, true);
  assert.equal(report.protection.mac, 'HMAC-SHA256');
  assert.deepEqual(report.protection.encryption, ['PBES2 AES-256-CBC, PBKDF2-HMAC-SHA256 (2048 iterations)']);
  // An explicit clock: after notAfter the certificate is expired, an error.
  const expired = inspectCertificate(certificate.pfx, certificate.passphrase, { now: Date.parse(report.certificate.notAfter) + 86_400_000 });
  assert.equal(expired.ok, false);
  assert.equal(expired.certificate.validity, 'expired');
  assert.ok(expired.issues.some((i) => i.code === 'certificate_expired' && i.severity === 'error'));

  assert.throws(() => inspectCertificate(certificate.pfx, 'wrong'), (e) => e.name === 'CprError' && e.code === 'wrong_password'
    && e.field === 'certificatePassword' && !e.message.includes('wrong'));
  assert.throws(() => inspectCertificate('not bytes', 'x'), (e) => e.code === 'invalid_certificate');
  assert.throws(() => inspectCertificate(new Uint8Array(300 * 1024), 'x'), (e) => e.code === 'certificate_too_large');
  const require = createRequire(import.meta.url);
  assert.equal(require('datafordeler-cpr/certificate').inspectCertificate(certificate.pfx, certificate.passphrase).certificate.sha256Fingerprint, certificate.fingerprint256);
});
