// The customer card on the setup page, in headless Chromium against `npm start`'s servers:
// "Get Data From CVR/CPR" shows CPR's changes side by side and applies them on Accept.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startApp } from '../../scripts/app.mjs';
import { launchChromium, screenshot, useDirectAccess } from '../support/browser.mjs';

let app;
let browser;
let page;

before(async () => {
  app = await startApp({ port: 0, maxLifetimeSeconds: 300 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

beforeEach(async () => {
  await page?.close();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(app.pageUrl);
  await page.waitForSelector('body[data-ready="true"]');
  await useDirectAccess(page);
});

async function fillCard(values) {
  for (const [field, value] of Object.entries(values)) await page.fill(`#customer-${field}`, value);
}

const card = () => page.$$eval('#customer-form input', (inputs) => Object.fromEntries(inputs.map((i) => [i.name, i.value])));
const changeRows = () => page.$$eval('#changes tbody tr', (rows) => rows.map((tr) => [
  tr.dataset.field, tr.querySelector('.before').textContent, tr.querySelector('.after').textContent,
]));

async function lookUp(cpr) {
  await page.fill('#customer-cpr', cpr);
  await page.click('button:has-text("Get Data From CVR/CPR")');
  await page.waitForSelector('#review-heading');
}

test('an ordinary person: the changes side by side, and Accept updates the card', async () => {
  await fillCard({ name: 'J. P. Testesen', address: 'Gammel Vej 1', address2: '', postCode: '9999', city: 'Gammel By' });
  await lookUp('0707610123');
  const rows = await changeRows();
  const byField = Object.fromEntries(rows.map(([field, before, after]) => [field, { before, after }]));
  assert.deepEqual(byField.name, { before: 'J. P. Testesen', after: 'Jens Peter Testesen' });
  assert.deepEqual(byField.address, { before: 'Gammel Vej 1', after: 'Prøvevej 12, 2. tv' });
  assert.deepEqual(byField.postCode, { before: '9999', after: '2100' });
  assert.deepEqual(byField.city, { before: 'Gammel By', after: 'København Ø' });
  // Nothing is applied until the user accepts.
  assert.equal((await card()).name, 'J. P. Testesen');
  await screenshot(page, 'page-lookup-ordinary-review');

  await page.click('#accept-changes');
  const after = await card();
  assert.equal(after.name, 'Jens Peter Testesen');
  assert.equal(after.address, 'Prøvevej 12, 2. tv');
  assert.equal(after.postCode, '2100');
  assert.equal(after.city, 'København Ø');
  assert.match(await page.textContent('#review-status'), /Applied \d+ changes to the card/);
  assert.equal(await page.isDisabled('#accept-changes'), true);

  // Looking the same person up again proposes nothing for the card's fields.
  await lookUp('070761-0123');
  const again = (await changeRows()).map(([field]) => field).filter((f) => ['name', 'address', 'postCode', 'city'].includes(f));
  assert.deepEqual(again, []);
  await screenshot(page, 'page-lookup-ordinary-accepted');
});

test('a protected person: the notification says so and the card keeps its name and address', async () => {
  const existing = { name: 'Kunde A/S Kontakt', address: 'Kendt Vej 5', address2: 'Bygning B', postCode: '8000', city: 'Aarhus C' };
  await fillCard(existing);
  await lookUp('0204882126');
  const notifications = await page.$$eval('#lookup-notifications li', (items) => items.map((li) => [li.dataset.code, li.textContent]));
  const codes = notifications.map(([code]) => code);
  assert.ok(codes.includes('name_withheld') && codes.includes('address_withheld'), `notifications: ${JSON.stringify(notifications)}`);
  for (const [, text] of notifications.filter(([code]) => code.endsWith('_withheld'))) {
    assert.match(text, /name and address protection/);
    assert.match(text, /kept/);
  }
  const fields = (await changeRows()).map(([field]) => field);
  for (const field of ['name', 'address', 'address2', 'postCode', 'city']) assert.equal(fields.includes(field), false, `${field} is kept`);
  if (await page.isVisible('#accept-changes')) await page.click('#accept-changes');
  const after = await card();
  for (const [field, value] of Object.entries(existing)) assert.equal(after[field], value, field);
  await screenshot(page, 'page-lookup-protected');
});

test('the CPR number is validated next to its field, and a bad one is not looked up', async () => {
  const lookupsBefore = app.emulator.log.filter((e) => e.purpose === 'graphql').length;
  await page.fill('#customer-cpr', '310290-1235');
  const messages = await page.locator('#customer-cpr-messages li').allTextContents();
  assert.ok(messages.length > 0 && /date|February|exist/i.test(messages.join(' ')), messages.join(' '));
  assert.equal(await page.getAttribute('#customer-cpr', 'aria-invalid'), '');
  await page.click('button:has-text("Get Data From CVR/CPR")');
  assert.equal(await page.isVisible('#lookup-result'), false);
  assert.equal(app.emulator.log.filter((e) => e.purpose === 'graphql').length, lookupsBefore);
  await page.fill('#customer-cpr', '0707610123');
  assert.deepEqual(await page.locator('#customer-cpr-messages li').allTextContents(), []);
  await screenshot(page, 'page-cpr-validation');
});

test('batch refresh: progress to the end, one row per number in input order, failures diagnosed, numbers masked', async () => {
  const numbers = ['0707610123', '0204882126', '1203750000', '3213990000', ...Array.from({ length: 36 }, (_, i) => `${String((i % 28) + 1).padStart(2, '0')}0480${String(2000 + i)}`)];
  await page.fill('#batch-numbers', numbers.join('\n'));
  await page.click('#batch-form button[type="submit"]');
  await page.waitForSelector('#batch-results');
  assert.equal(await page.$eval('#batch-progress', (p) => [p.value, p.max].join('/')), `${numbers.length}/${numbers.length}`);
  assert.match(await page.textContent('#batch-status'), new RegExp(`^${numbers.length} of ${numbers.length} done, 1 failed$`));
  const rows = await page.$$eval('#batch-results tbody tr', (trs) => trs.map((tr) => ({ ...tr.dataset, cpr: tr.children[1].textContent, text: tr.children[2].textContent })));
  assert.deepEqual(rows.map((r) => Number(r.index)), numbers.map((_, i) => i));
  assert.equal(rows[0].code, 'ok');
  assert.match(rows[0].text, /^Jens Peter Testesen/);
  assert.equal(rows[0].cpr, '070761-xxxx');
  assert.equal(rows[1].code, 'ok'); // protected: an outcome, not a failure
  assert.match(rows[2].text, /not|no person/i);
  assert.equal(rows[3].code, 'invalid_cpr_number');
  assert.equal(rows[3].cpr, '321399-xxxx'); // masked as typed, even when not a valid number
  const text = await page.textContent('#batch-result');
  for (const n of numbers) assert.ok(!text.includes(n) && !text.includes(`${n.slice(0, 6)}-${n.slice(6)}`), 'a full CPR number on the batch table');
  await screenshot(page, 'page-batch');
});
