// The setup page (what `npm start` serves) in headless Chromium: validation runs live in wasm
// and each message sits next to its field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp } from '../../scripts/app.mjs';
import { launchChromium, screenshot } from '../support/browser.mjs';

let app;
let browser;
let page;

before(async () => {
  app = await startApp({ port: 0, maxLifetimeSeconds: 300 });
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(app.pageUrl);
  await page.waitForSelector('body[data-ready="true"]');
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
  assert.match((await messagesOf('environment')).join(' '), /CPR test data exists only in Test 04/);
  await screenshot(page, 'setup-form-messages');
});

test('fields of the other authentication method are hidden', async () => {
  await page.selectOption('#field-authMethod', 'certificate');
  assert.equal(await page.isVisible('#field-clientSecret'), false);
  assert.equal(await page.isVisible('#field-certificatePassword'), true);
  assert.match((await messagesOf('certificate')).join(' '), /Upload the certificate as a PFX/);
  await page.selectOption('#field-authMethod', 'sharedSecret');
  assert.equal(await page.isVisible('#field-certificatePassword'), false);
});

test('resolved endpoints follow the chosen environment and mark inferred hosts', async () => {
  await page.selectOption('#field-environment', 'test04');
  await page.selectOption('#field-sectorType', 'public');
  const text = await page.textContent('#endpoints');
  assert.match(text, /https:\/\/test04-graphql\.datafordeler\.dk\/CPR\/custom\/PublicSector\/v2/);
  assert.match(text, /inferred/);
  await page.selectOption('#field-environment', 'production');
  assert.match(await page.textContent('#endpoints'), /https:\/\/auth\.datafordeler\.dk\/realms\/distribution/);
});
