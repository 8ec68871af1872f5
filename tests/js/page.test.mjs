// The setup page (what `npm start` serves) in headless Chromium: validation runs live in wasm
// and each message sits next to its field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp } from '../../scripts/app.mjs';
import { launchChromium, screenshot, useDirectAccess } from '../support/browser.mjs';

let app;
let browser;
let page;

before(async () => {
  app = await startApp({ port: 0, maxLifetimeSeconds: 300 });
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(app.pageUrl);
  await page.waitForSelector('body[data-ready="true"]');
  await useDirectAccess(page);
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const messagesOf = (field) => page.locator(`#field-${field}-messages li`).allTextContents();

test('the setup form validates as you type, next to each field', async () => {
  await page.selectOption('#field-environment', 'production');
  await page.fill('#field-clientId', '');
  assert.match((await messagesOf('clientId')).join(' '), /Enter the CPR Client ID/);
  await page.fill('#field-clientId', ' my-it-system ');
  assert.match((await messagesOf('clientId')).join(' '), /starts or ends with spaces/);
  await page.fill('#field-clientId', 'my-it-system');
  await page.fill('#field-clientSecret', 'not-a-real-secret');
  assert.deepEqual(await messagesOf('clientId'), []);
  assert.equal(await page.textContent('#setup-summary'), 'The setup is valid.');

  await page.check('#field-legacyMode');
  assert.match((await messagesOf('legacyMode')).join(' '), /Turn off CPR Legacy Mode/);
  await page.uncheck('#field-legacyMode');

  await page.selectOption('#field-environment', 'test06');
  assert.match((await messagesOf('environment')).join(' '), /CPR's test persons are kept in Test 04: choose it/);
  await screenshot(page, 'setup-form-messages');
});

test('fields of the other authentication method are hidden', async () => {
  await page.selectOption('#field-authMethod', 'certificate');
  assert.equal(await page.isVisible('#field-clientSecret'), false);
  assert.equal(await page.isVisible('#field-certificatePassword'), true);
  assert.match((await messagesOf('certificate')).join(' '), /Upload the certificate as a PFX/);
  await screenshot(page, 'setup-form-certificate-method');
  await page.selectOption('#field-authMethod', 'sharedSecret');
  assert.equal(await page.isVisible('#field-certificatePassword'), false);
});

test('resolved endpoints follow the chosen environment and mark inferred hosts', async () => {
  await page.selectOption('#field-environment', 'test04');
  await page.selectOption('#field-sectorType', 'public');
  const text = await page.textContent('#endpoints');
  assert.match(text, /https:\/\/test04-graphql\.datafordeler\.dk\/CPR\/custom\/PublicSector\/v3/);
  assert.match(text, /inferred/);
  // Each URL carries a badge with its provenance; the title says what the word means.
  const badge = (name) => page.locator(`#endpoints dd[data-endpoint="${name}"] .badge.provenance`);
  assert.equal(await badge('graphql').textContent(), 'inferred');
  assert.match(await badge('graphql').getAttribute('title'), /^inferred: no public source/);
  assert.equal(await badge('portal').textContent(), 'observed');
  await page.selectOption('#field-environment', 'production');
  assert.match(await page.textContent('#endpoints'), /https:\/\/auth\.datafordeler\.dk\/realms\/distribution/);
  // apiVersion auto: the first candidate is v3, whose URL no public source prints.
  assert.equal(await badge('graphql').textContent(), 'inferred');
  await page.fill('#field-apiVersion', 'v2');
  assert.equal(await badge('graphql').textContent(), 'verified');
  assert.match(await badge('graphql').getAttribute('title'), /^verified: stated by Datafordeleren's or CPR's own documentation/);
  assert.equal(await badge('token').textContent(), 'observed');
  await page.fill('#field-apiVersion', '');
  await screenshot(page, 'setup-form-endpoints');
});

test('every field of the setup guide is there, with its label', async () => {
  const labels = [
    'Enable CPR No. Integration', 'CPR Legacy Mode', 'CPR Environment', 'CPR Sector Type',
    'CPR Authentication Method', 'CPR Client ID', 'CPR Client Secret', 'Certificate Password',
    'Upload Certificate', 'CPR Debug Mode',
  ];
  await page.selectOption('#field-authMethod', 'certificate');
  const shown = await page.$$eval('#setup-form label', (items) => items.map((l) => l.textContent));
  for (const label of labels) {
    assert.ok(shown.includes(label), `${label} is on the form`);
    // A real <label for>: the control is found by its label.
    assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, `${label} labels one control`);
  }
  assert.deepEqual(await page.$$eval('#field-environment option', (o) => o.map((x) => x.textContent)),
    ['Local emulator', 'Production', 'Test 03', 'Test 04', 'Test 06']);
  await page.selectOption('#field-authMethod', 'sharedSecret');
  assert.equal(await page.isVisible('#field-certificate'), false);
  assert.equal(await page.isVisible('#field-clientSecret'), true);
  // Messages are tied to their fields for screen readers.
  assert.equal(await page.getAttribute('#field-clientId', 'aria-describedby'), 'field-clientId-messages');
  await page.fill('#field-clientId', '');
  assert.equal(await page.getAttribute('#field-clientId', 'aria-invalid'), 'true');
  await screenshot(page, 'setup-form-labels');
  await page.fill('#field-clientId', 'my-it-system');
});

test('readable at 360 px: no horizontal scrolling, with results on the page', async () => {
  await page.selectOption('#field-environment', 'local');
  await page.selectOption('#field-sectorType', 'private');
  await page.fill('#field-clientId', app.emulator.credentials.privateSector.clientId);
  await page.fill('#field-clientSecret', 'a-wrong-secret-for-a-long-diagnosis');
  await page.setViewportSize({ width: 360, height: 800 });
  await page.click('#test-connection');
  await page.waitForSelector('#connection-outcome');
  await page.fill('#customer-name', 'Gammelt Navn');
  await page.fill('#field-clientSecret', app.emulator.credentials.privateSector.clientSecret);
  await page.fill('#customer-cpr', '0707610123');
  await page.click('button:has-text("Get Data From CVR/CPR")');
  await page.waitForSelector('#changes');
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  assert.ok(widths.scroll <= widths.client, `page is ${widths.scroll}px wide in a ${widths.client}px window`);
  // Nothing sticks out of the viewport either (wide tables, long URLs and fingerprints wrap).
  const overflowing = await page.evaluate(() => [...document.querySelectorAll('main *')]
    .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .map((el) => el.id || el.className || el.tagName));
  assert.deepEqual(overflowing, []);
  await screenshot(page, 'page-360px');
  await page.setViewportSize({ width: 1280, height: 900 });
  await screenshot(page, 'page-desktop');
});
