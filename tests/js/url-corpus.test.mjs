// Endpoint overrides are read exactly as WHATWG URL parsing (what every fetch uses) reads them.
// The committed corpus (tests/data/url-corpus.json) holds several hundred tricky URLs with the
// answers a WHATWG parser gave when it was written; each test compares the library's reading
// with a live WHATWG parser: Node's URL, Chromium's URL, and the URL the client finally hands to
// fetch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CprClient, resolveEndpoints, validateSetup } from 'datafordeler-cpr';
import { startStaticServer } from '../../scripts/serve.mjs';
import { launchChromium } from '../support/browser.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = JSON.parse(readFileSync(join(root, 'tests', 'data', 'url-corpus.json'), 'utf8'));
// A blank override means "not set" (the environment's URL is used): not a URL to compare.
const urls = corpus.filter(({ input }) => input.trim() !== '');
const OVERRIDES = ['graphqlBaseUrl', 'graphqlUrl', 'schemaUrl', 'sharedSecretTokenUrl', 'certificateTokenUrl', 'portalUrl'];
const RESOLVED = { graphqlBaseUrl: 'graphqlUrl', graphqlUrl: 'graphqlUrl', schemaUrl: 'schemaUrl', sharedSecretTokenUrl: 'tokenUrl', certificateTokenUrl: 'tokenUrl', portalUrl: 'portalUrl' };
const LOOPBACK = (hostname) => hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);

function whatwg(text) {
  try {
    const u = new URL(text);
    return { protocol: u.protocol, hostname: u.hostname, port: u.port, username: u.username, password: u.password };
  } catch {
    return null;
  }
}

function setupWith(field, url) {
  return {
    enabled: true, environment: 'test04', sectorType: 'private',
    authMethod: field === 'certificateTokenUrl' ? 'certificate' : 'sharedSecret',
    clientId: 'corpus-client', clientSecret: 'corpus-secret-value',
    endpoints: { [field]: url },
  };
}

/** What the library makes of `url` in `field`: null when refused, else the URL it will call. */
function libraryReading(field, url) {
  const report = validateSetup(setupWith(field, url));
  const refused = report.issues.some((i) => i.severity === 'error' && i.field === `endpoints.${field}`);
  if (refused) return null;
  return resolveEndpoints(setupWith(field, url))[RESOLVED[field]];
}

test('the corpus is large and its recorded answers are what Node reads today', () => {
  assert.ok(corpus.length >= 300, `${corpus.length} URLs`);
  for (const { input, whatwg: recorded } of corpus) {
    assert.deepEqual(whatwg(input), recorded, JSON.stringify(input));
  }
});

test('every accepted override has WHATWG\'s scheme, host and port, and plain http goes only to loopback', () => {
  let accepted = 0;
  for (const { input } of urls) {
    for (const field of OVERRIDES) {
      const called = libraryReading(field, input);
      if (called === null) continue;
      accepted++;
      const theirs = whatwg(input.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, ''));
      assert.ok(theirs, `accepted ${JSON.stringify(input)}, which WHATWG refuses`);
      assert.equal(theirs.username + theirs.password, '', JSON.stringify(input));
      const ours = whatwg(called);
      assert.ok(ours, `the library calls ${JSON.stringify(called)}, which WHATWG refuses`);
      assert.equal(ours.protocol, theirs.protocol, JSON.stringify(input));
      assert.equal(ours.hostname, theirs.hostname, JSON.stringify(input));
      assert.equal(ours.port, theirs.port, JSON.stringify(input));
      if (ours.protocol === 'http:') assert.ok(LOOPBACK(ours.hostname), `plain http to ${ours.hostname} from ${JSON.stringify(input)}`);
    }
  }
  assert.ok(accepted > 500, `accepted ${accepted}`);
});

test('the reported attack: a backslash cannot turn another computer into "this computer"', () => {
  for (const input of ['http://evil.com\\.localhost/token', 'http://169.254.169.254\\.localhost/', 'http:\\\\evil.com']) {
    for (const field of OVERRIDES) {
      const report = validateSetup(setupWith(field, input));
      const issue = report.issues.find((i) => i.field === `endpoints.${field}`);
      assert.equal(report.ok, false);
      assert.equal(issue?.code, 'invalid_url', JSON.stringify(issue));
      assert.match(issue.message, /backslash/);
      if (field !== 'certificateTokenUrl') { // (that setup also lacks its certificate, reported first)
        assert.throws(() => new CprClient(setupWith(field, input)), (e) => e.name === 'CprError' && e.code === 'invalid_url');
      }
    }
  }
  const plain = validateSetup(setupWith('sharedSecretTokenUrl', 'http://0x7f000001.evil.com/token'));
  assert.equal(plain.issues.find((i) => i.field === 'endpoints.sharedSecretTokenUrl')?.code, 'insecure_url');
});

test('the token request of every accepted http override reaches only a loopback host', async () => {
  let sent = 0;
  for (const { input } of urls) {
    if (libraryReading('sharedSecretTokenUrl', input) === null) continue;
    const seen = [];
    const client = new CprClient(setupWith('sharedSecretTokenUrl', input), { fetch: (request) => { seen.push(request); return { status: 401, body: '{"error":"invalid_client"}' }; }, maxAttempts: 1 });
    await client.testConnection();
    const token = seen.find((r) => r.purpose === 'token');
    assert.ok(token, JSON.stringify(input));
    sent++;
    const target = whatwg(token.url);
    assert.equal(target.hostname, whatwg(input.trim()).hostname, JSON.stringify(input));
    if (target.protocol === 'http:') assert.ok(LOOPBACK(target.hostname), `${token.url} from ${JSON.stringify(input)}`);
    else assert.equal(target.protocol, 'https:');
  }
  assert.ok(sent > 50, `${sent} clients`);
});

let server;
let browser;
before(async () => { server = await startStaticServer({ root }); browser = await launchChromium(); });
after(async () => { await browser?.close(); await server?.close(); });

test('in Chromium, the web build agrees with the browser\'s own URL parser', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/tests/support/blank.html`);
  const disagreements = await page.evaluate(async ({ corpus, OVERRIDES, RESOLVED }) => {
    const cpr = await import('/pkg/index.web.js');
    const read = (text) => { try { const u = new URL(text); return `${u.protocol}//${u.hostname}:${u.port}|${u.username}${u.password}`; } catch { return null; } };
    const problems = [];
    let accepted = 0;
    for (const { input } of corpus) {
      for (const field of OVERRIDES) {
        const setup = { enabled: true, environment: 'test04', sectorType: 'private', authMethod: field === 'certificateTokenUrl' ? 'certificate' : 'sharedSecret', clientId: 'c', clientSecret: 'corpus-secret-value', endpoints: { [field]: input } };
        const report = cpr.validateSetup(setup);
        if (report.issues.some((i) => i.severity === 'error' && i.field === `endpoints.${field}`)) continue;
        accepted++;
        const called = cpr.resolveEndpoints(setup)[RESOLVED[field]];
        const ours = read(called);
        const theirs = read(input.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, ''));
        const [origin] = (ours ?? '').split('|');
        const plainToElsewhere = origin.startsWith('http://') && !/^http:\/\/(localhost|\[::1\]|127\.\d+\.\d+\.\d+):/.test(origin);
        if (ours === null || ours !== theirs || plainToElsewhere) problems.push({ input, field, called, ours, theirs });
      }
    }
    return { accepted, problems };
  }, { corpus: urls, OVERRIDES, RESOLVED });
  await page.close();
  assert.ok(disagreements.accepted > 500);
  assert.deepEqual(disagreements.problems, []);
});
