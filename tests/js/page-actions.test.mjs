// The setup page's actions in headless Chromium against `npm start`'s servers (startApp: the
// emulator and the page): Test connection, Fetch CPR Schema, and the debug files.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startApp } from '../../scripts/app.mjs';
import { launchChromium, screenshot, useDirectAccess } from '../support/browser.mjs';

let app;
let browser;
let page;
const pageErrors = [];

before(async () => {
  app = await startApp({ port: 0, maxLifetimeSeconds: 300 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

beforeEach(async () => {
  await page?.context().close();
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e));
  await page.goto(app.pageUrl);
  await page.waitForSelector('body[data-ready="true"]');
  await useDirectAccess(page);
  app.emulator.reset();
});

const stepStatuses = () => page.$$eval('#connection-steps > li', (items) => items.map((li) => [li.dataset.step, li.dataset.status]));

test('Test connection against the emulator: every step passes', async () => {
  assert.equal(await page.inputValue('#field-environment'), 'local', 'the page starts on the local emulator');
  assert.equal(await page.inputValue('#field-clientId'), app.emulator.credentials.privateSector.clientId);
  await page.click('#test-connection');
  await page.waitForSelector('#connection-outcome');
  assert.equal(await page.textContent('#connection-outcome'), 'Connection test passed: every step passed (answered by v3).');
  assert.deepEqual(await stepStatuses(), [
    ['setupValid', 'passed'],
    ['endpointsResolved', 'passed'],
    ['tokenObtained', 'passed'],
    ['graphqlReachable', 'passed'],
    ['entityAuthorised', 'passed'],
  ]);
  assert.equal(app.emulator.log.filter((e) => e.purpose === 'token' && e.status === 200).length, 1);
  assert.deepEqual(pageErrors, []);
  await screenshot(page, 'page-test-connection-passed');
});

test('a wrong client secret: the 401 invalid_client diagnosis with its cause, fix and the settings to check', async () => {
  await page.fill('#field-clientSecret', 'not-the-emulator-secret');
  await page.click('#test-connection');
  await page.waitForSelector('#connection-outcome');
  assert.match(await page.textContent('#connection-outcome'), /Connection test failed/);
  assert.deepEqual(await stepStatuses(), [
    ['setupValid', 'passed'],
    ['endpointsResolved', 'passed'],
    ['tokenObtained', 'failed'],
    ['graphqlReachable', 'skipped'],
    ['entityAuthorised', 'skipped'],
  ]);
  const diagnosis = page.locator('[data-step="tokenObtained"] .diagnosis');
  assert.equal(await diagnosis.getAttribute('data-code'), 'token_invalid_client');
  assert.match(await diagnosis.locator('.diagnosis-title').textContent(), /Client ID or secret rejected \(HTTP 401\)/);
  assert.match(await diagnosis.locator('[data-part="cause"]').textContent(), /invalid_client/);
  assert.match(await diagnosis.locator('[data-part="solution"]').textContent(), /Copy the Client ID and the secret again/);
  const settings = await diagnosis.locator('[data-part="settings"] a').allTextContents();
  assert.ok(settings.includes('CPR Client Secret') && settings.includes('CPR Client ID'), settings.join(', '));
  assert.match(await diagnosis.locator('[data-part="detail"]').textContent(), /invalid_client/);
  // How sure the cause is, as a badge whose title explains the word: rejected client credentials
  // are seen in public clients' handling, not in Datafordeleren's documentation.
  const badge = diagnosis.locator('[data-part="cause"] .badge.provenance');
  assert.equal(await badge.textContent(), 'observed');
  assert.match(await badge.getAttribute('title'), /^observed: seen in other integrators' public code/);
  assert.equal(await badge.isVisible(), true);
  // The setting links lead to the field (keyboard users land in it).
  await diagnosis.locator('[data-part="settings"] a', { hasText: 'CPR Client Secret' }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'field-clientSecret');
  assert.equal(await page.textContent('#action-result').then((t) => t.includes('not-the-emulator-secret')), false, 'the secret is never shown');
  await screenshot(page, 'page-test-connection-wrong-secret');
});

test('Fetch CPR Schema downloads the .graphql file and shows the drift report', async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#fetch-schema')]);
  assert.equal(download.suggestedFilename(), 'cpr-schema-private-v3.graphql', 'named after the version that answered');
  const sdl = await readFile(await download.path(), 'utf8');
  assert.match(sdl, /CPRCustom_PrivateSectorPerson/);
  assert.match(sdl, /type Query/);
  assert.match(sdl, /beskyttelser/);
  await page.waitForSelector('#drift-outcome');
  assert.equal(await page.textContent('#drift-outcome'), 'Lookups work with this schema.');
  assert.match(await page.textContent('#drift-report'), /CPRCustom_PrivateSectorPerson/);
  assert.match(await page.textContent('#drift-report'), /personnummer/);
  assert.equal(await page.getAttribute('#schema-download', 'download'), 'cpr-schema-private-v3.graphql');
  await screenshot(page, 'page-fetch-schema');
});

test('the actions work from the keyboard alone', async () => {
  await page.focus('#field-apiVersion');
  let focused = '';
  for (let i = 0; i < 30 && focused !== 'test-connection'; i += 1) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => document.activeElement?.id);
  }
  assert.equal(focused, 'test-connection');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#connection-outcome');
  assert.match(await page.textContent('#connection-outcome'), /passed/);
  const outline = await page.evaluate(() => {
    document.getElementById('fetch-schema').focus();
    return getComputedStyle(document.activeElement).outlineStyle;
  });
  assert.notEqual(outline, 'none', 'focus is visible');
});

test('debug mode: each operation offers its capture, redacted (no secret, no token, CPR numbers masked)', async () => {
  assert.equal(await page.isVisible('#debug-section'), false);
  await page.check('#field-debugMode');
  assert.equal(await page.isVisible('#debug-section'), true);

  await page.click('#test-connection');
  await page.waitForSelector('#connection-outcome');
  await page.fill('#customer-cpr', '070761-0123');
  await page.click('text=Get Data From CVR/CPR');
  await page.waitForSelector('#review-heading');
  await page.waitForSelector('#debug-links li[data-operation="lookup"]');
  const operations = await page.$$eval('#debug-links li', (items) => items.map((li) => li.dataset.operation));
  assert.deepEqual(operations, ['lookup', 'testConnection'], 'newest first');

  const secret = app.emulator.credentials.privateSector.clientSecret;
  const captures = {};
  for (const operation of operations) {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click(`#debug-links li[data-operation="${operation}"] a`),
    ]);
    assert.match(download.suggestedFilename(), new RegExp(`^cpr-debug-.*-${operation}\\.json$`));
    const text = await readFile(await download.path(), 'utf8');
    assert.equal(text.includes(secret), false, `${operation}: the client secret is redacted`);
    assert.doesNotMatch(text, /eyJ[\w-]+\.[\w-]+\.[\w-]+/, `${operation}: no access token`);
    assert.doesNotMatch(text, /Bearer (?!\[REDACTED\])/i, `${operation}: no bearer token`);
    assert.equal(text.includes('0707610123'), false, `${operation}: no full CPR number`);
    captures[operation] = JSON.parse(text);
  }
  const lookup = JSON.stringify(captures.lookup);
  assert.match(lookup, /070761-xxxx/, 'the CPR number appears masked');
  assert.match(lookup, /\[REDACTED\]/);
  assert.equal(captures.lookup.cprMasked, true);
  assert.ok(captures.testConnection.exchanges.some((e) => e.purpose === 'token'));
  const tokenRequest = JSON.stringify(captures.testConnection.exchanges.find((e) => e.purpose === 'token').request);
  assert.match(tokenRequest, /client_secret=\[REDACTED\]|"client_secret":"\[REDACTED\]"/);
  await screenshot(page, 'page-debug-files');
});
