// The setup page through a relay, in headless Chromium against `npm start`'s servers (startApp:
// the emulator, a relay holding the emulator's credentials, the page). The page starts in relay
// mode and holds no secret: every byte it receives is kept and scanned for the client secret,
// tokens and CPR numbers it did not ask for.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startApp } from '../../scripts/app.mjs';
import { launchChromium, screenshot } from '../support/browser.mjs';

let app;
let browser;
let page;
const audit = [];
/** Everything the page received this test: { url, text } per response (headers and body). */
let received = [];
/** The CPR numbers typed into the page this test (digits only). */
let asked = new Set();

before(async () => {
  app = await startApp({ port: 0, maxLifetimeSeconds: 300, audit: (event) => { audit.push(event); } });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

beforeEach(async () => {
  await page?.close();
  received = [];
  asked = new Set();
  app.emulator.clearLog();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('response', async (response) => {
    const headers = JSON.stringify(await response.allHeaders());
    const body = await response.body().then((b) => b.toString('utf8')).catch(() => '');
    received.push({ url: response.url(), text: `${headers}\n${body}` });
  });
  await page.goto(app.pageUrl);
  await page.waitForSelector('body[data-ready="true"]');
});

const ask = (cpr) => asked.add(cpr.replace(/\D/g, ''));
const graphqlCalls = () => app.emulator.log.filter((e) => e.purpose === 'graphql').length;

/** No secret, token or unasked CPR number in anything the page received or shows. */
async function assertNothingLeaked() {
  const secret = app.emulator.credentials.privateSector.clientSecret;
  const texts = [...received.map((r) => r.text), await page.content()];
  assert.ok(received.length > 5, `${received.length} responses kept`);
  for (const text of texts) {
    assert.ok(!text.includes(secret), 'the client secret reached the page');
    assert.ok(!/eyJ[\w-]{4,}\.[\w-]{4,}/.test(text), 'a token reached the page');
  }
  // Personal data and credentials would come from the relay and the page's configuration (the
  // library's code and module hold digit runs that only look like numbers, and the words that
  // build an Authorization header); and the page shows what it has.
  const data = [...received.filter((r) => /\/(cpr-relay|config)/.test(new URL(r.url).pathname)).map((r) => r.text), await page.content()];
  assert.ok(data.length > 1);
  for (const text of data) {
    assert.ok(!/bearer\s+\S/i.test(text), 'an authorization value reached the page');
    for (const match of text.matchAll(/(?<![\d.])(\d{6})-?(\d{4})(?![\d.])/g)) {
      assert.ok(asked.has(match[1] + match[2]), `a CPR number the page did not ask for: ${match[1]}-xxxx`);
    }
  }
}

test('relay mode is the default: no secret field, no secret in the page, the relay\'s endpoints shown', async () => {
  assert.equal(await page.isChecked('#mode-relay'), true);
  assert.equal(await page.inputValue('#field-relay'), app.relayUrl);
  for (const key of ['clientSecret', 'certificatePassword', 'certificate', 'clientId', 'environment', 'authMethod', 'sectorType']) {
    assert.equal(await page.isVisible(`#field-${key}`), false, key);
  }
  assert.deepEqual(await page.$$eval('input[type=password]', (inputs) => inputs.map((i) => i.value).filter(Boolean)), []);
  await page.waitForSelector('[data-endpoint="entity"]');
  const endpoints = await page.textContent('#endpoints');
  assert.match(endpoints, new RegExp(app.relayUrl.replace(/[.]/g, '\\.')));
  assert.match(endpoints, /CPRCustom_PrivateSectorPerson/);
  assert.match(endpoints, /override/); // the relay's own setup points at the emulator
  assert.match(await page.textContent('#setup-summary'), /valid/i);
  await assertNothingLeaked();
  await screenshot(page, 'page-relay-mode');
});

test('test connection through the relay: every step passed', async () => {
  await page.click('#test-connection');
  await page.waitForSelector('#connection-outcome');
  assert.match(await page.textContent('#connection-outcome'), /passed/);
  const steps = await page.$$eval('#connection-steps li', (items) => items.map((li) => li.dataset.status));
  assert.ok(steps.length >= 4 && steps.every((s) => s === 'passed'), steps.join());
  assert.ok(audit.some((e) => e.operation === 'testConnection' && e.outcome === 'ok'));
  await assertNothingLeaked();
});

test('an ordinary and a protected person through the relay, merged in the page (the card never travels)', async () => {
  await page.fill('#customer-name', 'Gammelt Navn');
  await page.fill('#customer-address', 'Kendt Adresse 1');
  await page.fill('#customer-cpr', '0707610123');
  ask('0707610123');
  await page.click('button:has-text("Get Data From CVR/CPR")');
  await page.waitForSelector('#changes');
  const names = await page.$$eval('#changes tr[data-field="name"] td', (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(names, ['Gammelt Navn', 'Jens Peter Testesen']);
  await page.click('#accept-changes');
  assert.equal(await page.inputValue('#customer-name'), 'Jens Peter Testesen');

  // Protected: the card keeps its name and address, and the page says why.
  await page.fill('#customer-name', 'Skjult Person');
  await page.fill('#customer-address', 'Hemmelig Vej 2');
  await page.fill('#customer-cpr', '0204882126');
  ask('0204882126');
  await page.click('button:has-text("Get Data From CVR/CPR")');
  await page.waitForSelector('#lookup-notifications');
  assert.match(await page.textContent('#lookup-notifications'), /protect/i);
  assert.equal(await page.isVisible('#changes tr[data-field="name"]'), false);

  // The record stayed in the page: the relay got CPR numbers only.
  const record = received.filter((r) => r.url.includes('/cpr-relay/'));
  assert.ok(record.length >= 2);
  const requests = audit.filter((e) => e.operation === 'lookup').slice(-2);
  assert.deepEqual(requests.map((e) => e.cprNumbers.map((n) => n.masked)), [['070761-xxxx'], ['020488-xxxx']]);
  const text = await page.content();
  assert.ok(!text.includes('Hemmelig Vej 2') || (await page.inputValue('#customer-address')) === 'Hemmelig Vej 2');
  await assertNothingLeaked();
});

test('a batch through the relay, with progress to the end and one row per number', async () => {
  const numbers = Array.from({ length: 60 }, (_, i) => `${String((i % 28) + 1).padStart(2, '0')}0581${String(3000 + i)}`);
  numbers.forEach(ask);
  const before = graphqlCalls();
  await page.fill('#batch-numbers', numbers.join('\n'));
  await page.click('#batch-form button[type="submit"]');
  await page.waitForSelector('#batch-results');
  assert.equal(await page.$eval('#batch-progress', (p) => `${p.value}/${p.max}`), '60/60');
  const rows = await page.$$eval('#batch-results tbody tr', (trs) => trs.map((tr) => [Number(tr.dataset.index), tr.dataset.code]));
  assert.deepEqual(rows, numbers.map((_, i) => [i, 'ok']));
  // Batches of at most 50 numbers to the relay: 60 numbers take at least two relay lookups.
  const lookups = audit.filter((e) => e.operation === 'lookup' && e.cprNumbers?.length);
  assert.ok(lookups.every((e) => e.cprNumbers.length <= 50));
  assert.ok(graphqlCalls() > before, 'the relay reached the emulator');
  await assertNothingLeaked();
  await screenshot(page, 'page-relay-batch');
});

test('the switches that apply through a relay stay, and count: legacy mode is refused with its message', async () => {
  assert.equal(await page.isVisible('#field-legacyMode'), true);
  await page.check('#field-legacyMode');
  assert.match(await page.textContent('#field-legacyMode-messages'), /Turn off CPR Legacy Mode/);
  assert.match(await page.textContent('#setup-summary'), /1 setting to fix/);
  await page.uncheck('#field-legacyMode');
  assert.match(await page.textContent('#setup-summary'), /valid/i);
});

test('switching to direct access brings the secret field; switching back clears it', async () => {
  await page.check('#mode-direct');
  await page.waitForFunction(() => document.querySelector('#field-clientSecret').value !== '');
  assert.equal(await page.isVisible('#field-clientSecret'), true);
  assert.equal(await page.isVisible('#field-relay'), false);
  await page.check('#mode-relay');
  await page.waitForFunction(() => document.querySelector('#field-clientSecret').value === '');
  assert.equal(await page.isVisible('#field-clientSecret'), false);
  assert.equal(await page.inputValue('#field-clientSecret'), '');
});

test('a relay that refuses the caller: the page shows the relay\'s diagnosis, not a crash', async () => {
  // Without its session cookie, the page is a caller the relay does not know.
  await page.context().clearCookies();
  await page.click('#test-connection');
  await page.waitForSelector('#action-result .outcome');
  const text = await page.textContent('#action-result');
  assert.match(text, /failed/i);
  assert.match(text, /relay/i);
  await assertNothingLeaked();
});
