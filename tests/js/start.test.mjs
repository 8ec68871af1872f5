// `npm start`'s server script: a taken port is reported with what to do, never silently swapped
// for another one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const startScript = fileURLToPath(new URL('../../scripts/start.mjs', import.meta.url));

function run(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [startScript, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? error.code : 0, stdout, stderr });
    });
  });
}

test('a taken port stops npm start with the port named and the way out', async () => {
  const blocker = createServer();
  await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const { port } = blocker.address();
  try {
    const result = await run(['--port', String(port), '--smoke']);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stderr, new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is taken`));
    assert.match(result.stderr, new RegExp(`npm start -- --port ${port + 1}`));
    assert.doesNotMatch(result.stdout, /page answers/);
  } finally {
    blocker.close();
  }
});

test('a free port serves the page there', async () => {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  const result = await run(['--port', String(port), '--smoke']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, new RegExp(`smoke: page answers at http://127\\.0\\.0\\.1:${port}/`));
  // The relay is mounted on the page's origin and answers the page's session cookie.
  assert.match(result.stdout, new RegExp(`smoke: relay answers at http://127\\.0\\.0\\.1:${port}/cpr-relay`));
  assert.match(result.stdout, /relay audit: \{"time":"[^"]+","operation":"health","outcome":"ok","status":200,/);
});
