// The CLI: one JSON line on stdout, a working emulator, and an end by signal, by the control
// API's stop route, and by the max lifetime.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getToken, request } from './helpers.mjs';

const CLI = fileURLToPath(new URL('./cli.mjs', import.meta.url));
const children = new Set();
// Safety net: a failed assertion must not leave a child behind.
after(() => { for (const child of children) child.kill('SIGKILL'); });

function startCli(args) {
  const child = spawn(process.execPath, [CLI, '--port', '0', '--https-port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => { children.delete(child); resolve({ code, signal }); }));
  const firstLine = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ line: out.slice(0, nl), rest: () => out.slice(nl + 1) });
    });
    child.on('exit', (code) => reject(new Error(`cli exited with ${code} before printing`)));
  });
  firstLine.catch(() => {}); // awaited by the tests that expect a line; others ignore it
  return { child, exited, firstLine };
}

describe('cli.mjs', () => {
  it('prints one JSON line, serves, and stops on SIGTERM', async () => {
    const { child, exited, firstLine } = startCli(['--max-lifetime', '60', '--token-lifetime', '42']);
    const { line, rest } = await firstLine;
    const info = JSON.parse(line);
    assert.equal(info.maxLifetimeSeconds, 60);
    assert.match(info.urls.tokenUrl, /^http:\/\/127\.0\.0\.1:\d+\/realms\/distribution\/protocol\/openid-connect\/token$/);
    assert.equal(typeof info.credentials.privateSector.clientSecret, 'string');
    assert.ok(existsSync(info.credentials.certificate.pfxPath));
    assert.ok(info.credentials.certificate.pfxBase64.length > 100);

    const token = await getToken({ urls: info.urls }, info.credentials.privateSector);
    assert.equal(JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).exp
      - JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).iat, 42);

    child.kill('SIGTERM');
    assert.deepEqual(await exited, { code: 0, signal: null });
    assert.equal(rest(), '', 'nothing else on stdout');
    assert.equal(existsSync(info.credentials.certificate.pfxPath), false, 'temp dir removed');
    await assert.rejects(request(info.urls.tokenUrl), (err) => err.code === 'ECONNREFUSED');
  });

  it('stops on POST /__emulator/stop', async () => {
    const { exited, firstLine } = startCli(['--max-lifetime', '60']);
    const info = JSON.parse((await firstLine).line);
    const res = await request(`${info.urls.controlUrl}/stop`, { method: 'POST' });
    assert.equal(res.status, 200);
    assert.deepEqual(await exited, { code: 0, signal: null });
  });

  it('stops by itself after --max-lifetime', async () => {
    const { exited, firstLine } = startCli(['--max-lifetime', '1']);
    JSON.parse((await firstLine).line);
    assert.deepEqual(await exited, { code: 0, signal: null });
  });

  it('refuses a bad option', async () => {
    const { exited } = startCli(['--port', 'abc']);
    assert.equal((await exited).code, 2);
  });
});
