// The package as its consumers meet it: `npm pack` of pkg/, installed into tiny fixture projects
// (tests/consumers/fixtures), each used the way its kind of project uses a package. Runs offline:
// the tools (TypeScript, bundlers, test runners, package linters) are the workspace's own
// devDependencies, found by Node's resolution from the fixtures' work copies inside the
// repository; each fixture's own node_modules holds only the packed package.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = join(root, 'tests', 'consumers', 'fixtures');
const work = join(root, 'tests', 'consumers', '.work');
const bin = (path) => join(root, 'node_modules', ...path.split('/'));
let tarball;
let browser;

/** Run a command; resolve with its status and output (never throws). */
function run(command, args, cwd, env = {}) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 180_000, env: { ...process.env, NO_COLOR: '1', CI: 'true', ...env } });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
}

function succeeds(result, what) {
  assert.equal(result.status, 0, `${what} failed:\n${result.output.slice(-4000)}`);
}

/** The sources several fixtures share (fixtures/common/<kind>), and where each fixture takes them. */
const COMMON = {
  'ts-node16-cjs': ['typescript', '.'],
  'ts-node16-esm': ['typescript', '.'],
  'ts-bundler': ['typescript', '.'],
  'ts-nodenext': ['typescript', '.'],
  vite: ['browser', 'src'],
  webpack: ['browser', 'src'],
  esbuild: ['browser', 'src'],
};

/** A fresh work copy of a fixture (with its shared sources) and the packed package installed. */
function prepare(name) {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(fixtures, name), dir, { recursive: true });
  if (COMMON[name]) cpSync(join(fixtures, 'common', COMMON[name][0]), join(dir, COMMON[name][1]), { recursive: true });
  succeeds(run('npm', ['install', '--offline', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--ignore-scripts', tarball], dir), `installing the package into ${name}`);
  return dir;
}

before(() => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  execFileSync('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: join(root, 'pkg'), stdio: 'ignore' });
  const packed = readdirSync(work).find((file) => file.endsWith('.tgz'));
  assert.ok(packed, 'npm pack produced no tarball');
  tarball = join(work, packed);
});

for (const name of ['node-esm', 'node-cjs']) {
  test(`${name}: imports the package and its errors`, () => {
    const dir = prepare(name);
    const result = run(process.execPath, ['main.js'], dir);
    succeeds(result, 'node main.js');
    const printed = JSON.parse(result.output.trim().split('\n').at(-1));
    assert.equal(printed.valid, true);
    assert.equal(printed.instance, true, 'a thrown error is an instance of the exported CprError');
    assert.equal(printed.guard, true);
    assert.equal(typeof printed.code, 'string');
  });
}

for (const name of ['ts-node16-cjs', 'ts-node16-esm', 'ts-bundler', 'ts-nodenext']) {
  test(`${name}: strict TypeScript without skipLibCheck or @types/node compiles a narrowed batch and instanceof CprError`, () => {
    const dir = prepare(name);
    succeeds(run(process.execPath, [bin('typescript/bin/tsc'), '-p', dir], dir), 'tsc');
  });
}

test('the packed package passes @arethetypeswrong/cli and publint --strict', () => {
  succeeds(run(process.execPath, [bin('@arethetypeswrong/cli/dist/index.js'), tarball, '--format', 'table'], work), 'attw');
  succeeds(run(process.execPath, [bin('publint/src/cli.js'), '--strict', join(root, 'pkg')], work), 'publint --strict');
});

for (const name of ['vitest-node', 'vitest-dom']) {
  test(`${name}: the package in Vitest`, () => {
    const dir = prepare(name);
    succeeds(run(process.execPath, [bin('vitest/vitest.mjs'), 'run', '--root', dir], dir), 'vitest');
  });
}

for (const name of ['jest-node', 'jest-jsdom']) {
  test(`${name}: the package in Jest`, () => {
    const dir = prepare(name);
    succeeds(run(process.execPath, [bin('jest/bin/jest.js'), '--rootDir', dir, '--ci'], dir), 'jest');
  });
}

/** Build a browser fixture, serve its `dist/` on 127.0.0.1 and open it in headless Chromium:
 * the page's own result and its module worker's answers, and every console error. */
async function loadInChromium(dir) {
  const { startStaticServer } = await import('../../scripts/serve.mjs');
  const { launchChromium } = await import('../support/browser.mjs');
  browser ??= await launchChromium();
  const server = await startStaticServer({ root: join(dir, 'dist'), index: '/index.html' });
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  page.on('response', (response) => { if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`); });
  try {
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => document.body?.dataset.page && document.body.dataset.worker, null, { timeout: 30_000 }).catch(() => {});
    const data = await page.evaluate(() => ({ ...document.body.dataset }));
    return { page: data.page && JSON.parse(data.page), worker: data.worker && JSON.parse(data.worker), problems };
  } finally {
    await page.close();
    await server.close();
  }
}

const BUILDS = {
  vite: (dir) => run(process.execPath, [bin('vite/bin/vite.js'), 'build', dir, '--config', join(dir, 'vite.config.js')], dir),
  webpack: (dir) => run(process.execPath, [join(dir, 'build.mjs')], dir),
  esbuild: (dir) => run(process.execPath, [join(dir, 'build.mjs')], dir),
};

for (const [name, build] of Object.entries(BUILDS)) {
  test(`${name}: a page on the main entry and a module worker on /init, messaged at once, in Chromium`, async () => {
    const dir = prepare(name);
    succeeds(build(dir), `${name} build`);
    const result = await loadInChromium(dir);
    assert.deepEqual(result.problems, [], 'no console error, failed request or uncaught exception');
    assert.equal(result.page, '010170-1239');
    assert.deepEqual(result.worker, [{ id: 1, valid: true }, { id: 2, valid: false }], 'both messages posted right after new Worker() are answered, in order');
  });
}

after(async () => {
  await browser?.close();
});
