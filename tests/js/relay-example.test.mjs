// examples/relay-server.mjs as a process against the emulator: setup from a file and the secret
// from the environment, the relay under /cpr-relay and the page on one origin, audit events as
// JSON lines on stdout, a clean stop on SIGTERM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../emulator/server.mjs';

const EXAMPLE = fileURLToPath(new URL('../../examples/relay-server.mjs', import.meta.url));
const ACCESS = 'example-relay-access-token-7d2e';

let emu;
let dir;
let child;
before(async () => {
  emu = await startEmulator({ port: 0, httpsPort: 0 });
  dir = mkdtempSync(join(tmpdir(), 'relay-example-'));
});
after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await emu?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Start the example; resolves with its base URL once it says where it listens (bounded wait). */
function startExample(setupFile, env) {
  child = spawn(process.execPath, [EXAMPLE, setupFile, '--port', '0'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => { out.stdout += chunk; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const listening = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example did not start: ${out.stderr}`)), 15000);
    child.stderr.on('data', (chunk) => {
      out.stderr += chunk;
      const match = /relay: (http:\/\/127\.0\.0\.1:\d+)\/cpr-relay/.exec(out.stderr);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    exited.then(() => { clearTimeout(timer); reject(new Error(`the example exited: ${out.stderr}`)); });
  });
  return { listening, exited, out };
}

test('the example serves the relay and the page, writes audit lines, and stops on SIGTERM', async () => {
  const { clientId, clientSecret } = emu.credentials.privateSector;
  const setupFile = join(dir, 'setup.json');
  writeFileSync(setupFile, JSON.stringify({
    enabled: true, environment: emu.environment, sectorType: 'private', authMethod: 'sharedSecret', clientId,
    endpoints: { graphqlBaseUrl: emu.urls.graphqlBaseUrl, sharedSecretTokenUrl: emu.urls.tokenUrl },
  }));
  const run = startExample(setupFile, { CPR_CLIENT_SECRET: clientSecret, RELAY_ACCESS_TOKEN: ACCESS });
  const origin = await run.listening;
  const auth = { authorization: `Bearer ${ACCESS}` };

  assert.equal((await fetch(`${origin}/cpr-relay/health`)).status, 401);
  const lookup = await fetch(`${origin}/cpr-relay/lookup`, {
    method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ cprNumbers: ['0707610123'] }),
  });
  const answer = await lookup.text();
  assert.equal(lookup.status, 200, answer);
  assert.equal(JSON.parse(answer).results[0].value.person.name.addressing, 'Jens Peter Testesen');
  assert.ok(!answer.includes(clientSecret));
  assert.deepEqual(await (await fetch(`${origin}/cpr-relay/health`, { headers: auth })).json(), { ok: true, lastToken: 'succeeded' });

  const page = await fetch(`${origin}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Identity Integration Setup/);
  assert.equal((await fetch(`${origin}/package.json`)).status, 404, 'only www/ and pkg/ are served');
  assert.equal((await fetch(`${origin}/examples/relay-server.mjs`)).status, 404);

  child.kill('SIGTERM');
  assert.deepEqual(await run.exited, { code: 0, signal: null });
  const events = run.out.stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.ok(events.some((e) => e.operation === 'lookup' && e.cprNumbers[0].masked === '070761-xxxx' && /^[0-9a-f]{64}$/.test(e.cprNumbers[0].hmac)));
  assert.ok(events.some((e) => e.outcome === 'unauthorized' && e.status === 401));
  for (const text of [run.out.stdout, run.out.stderr]) {
    assert.ok(!text.includes(clientSecret) && !text.includes(ACCESS) && !text.includes('0707610123') && !text.includes('Testesen'));
  }
});

test('the example refuses a setup it cannot use and names the field, not the value', async () => {
  const setupFile = join(dir, 'bad-setup.json');
  writeFileSync(setupFile, JSON.stringify({ enabled: true, environment: 'test04', sectorType: 'private', authMethod: 'sharedSecret', clientId: 'x' }));
  const run = startExample(setupFile, { CPR_CLIENT_SECRET: '', RELAY_ACCESS_TOKEN: ACCESS });
  await assert.rejects(run.listening, /The setup cannot be used \(\w+, clientSecret\)/);
  assert.equal((await run.exited).code, 1);
});
