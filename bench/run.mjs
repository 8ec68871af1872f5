// `npm run bench`: bundle sizes, start-up, per-operation cost and batch throughput, side by side
// with the alternatives. Prints tables and writes the figures as JSON to bench/results/.
//
//   node bench/run.mjs [--quick] [--skip-browser] [--only sizes,startup,operations,batch,redaction,refresh,refresh-memory]
//                      [--package DIR] [--compare DIR] [--redact-kb 64,256,1024] [--refresh-memory-rows N]
//                                                             (BENCH_QUICK=1 is --quick)
//
// --quick runs every part briefly (CI checks only that the benchmark runs). --package measures
// another build of the package (e.g. an older one) in the per-operation, batch and redaction
// parts. --redact-kb sets the sizes of the redaction inputs (default 1024 KB; smaller ones
// show how an older, quadratic build's time grows). --refresh-memory-rows sets the rows of the
// refresh-memory part (default 100,000; 1,000 with --quick).
// --compare DIR adds a before/after: that build and this one timed side by side in alternating
// rounds in one process (bench/compare.mjs), the figures to trust on a noisy machine.
// Timings are never asserted: they depend on the machine. Servers listen on 127.0.0.1 only and
// stop by themselves.
import { spawn, execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { coreSizes, measure, CORE_BUDGET_GZIP_BYTES } from '../scripts/size-check.mjs';
import { summarize, timeOp, round, table } from './stats.mjs';
import * as plain from './plain.mjs';
import { compareBuilds } from './compare.mjs';

// Re-run with --expose-gc (memory figures are taken after a full collection).
if (typeof global.gc !== 'function') {
  const child = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 1));
} else {
  await main();
}

async function main() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
  const skipBrowser = process.argv.includes('--skip-browser') || process.env.BENCH_SKIP_BROWSER === '1';
  const settings = quick
    ? { startupRuns: 2, browserRuns: 1, warmup: 200, iterations: 500, batch: 200, batchWarmup: 50, concurrencies: [1, 8, 32], refreshRows: 500, refreshMemoryRows: 1_000 }
    : { startupRuns: 15, browserRuns: 7, warmup: 5_000, iterations: 20_000, batch: 10_000, batchWarmup: 1_000, concurrencies: [1, 8, 32], refreshRows: 20_000, refreshMemoryRows: 100_000 };

  // The wasm module's memory: the glue keeps its instance private, so catch it as it is made.
  let wasmMemory;
  const Instance = WebAssembly.Instance;
  WebAssembly.Instance = function (module, imports) {
    const instance = new Instance(module, imports);
    wasmMemory ??= instance.exports.memory;
    return instance;
  };
  const packageDir = option('--package');
  const lib = await import(packageDir ? pathToFileURL(join(resolve(packageDir), 'index.node.js')).href : 'datafordeler-cpr');
  WebAssembly.Instance = Instance;
  const only = option('--only')?.split(',');
  const part = (name) => !only || only.includes(name);

  const results = { date: new Date().toISOString(), quick, package: packageDir ?? 'pkg', machine: machine(), settings };
  const t = Date.now();
  if (part('sizes')) results.sizes = sizes(root);
  if (part('startup')) {
    results.startup = { node: nodeStartup(root, settings.startupRuns) };
    if (!skipBrowser) results.startup.chromium = await browserStartup(root, settings.browserRuns);
  }
  const comparisons = { stdnum: (await loadOptional('stdnum'))?.stdnum, danishSsn: (await loadOptional('danish-ssn'))?.default };
  if (part('operations')) {
    const ops = operations(root, lib, settings, comparisons);
    const inMemory = await clientPerLookup(lib, ops, { ...settings, quick }, () => wasmMemory.buffer.byteLength);
    const clientUs = inMemory.cpuPerLookupUs;
    results.operations = {
      responseBytes: Buffer.byteLength(ops.body),
      iterations: settings.iterations,
      warmup: settings.warmup,
      rows: ops.rows,
      ...operationsSummary(ops.rows, clientUs),
      inMemoryRounds: { lookupsPerRound: inMemory.lookupsPerRound, wasmMemoryBytesAfterRound: inMemory.wasmAfterRound },
      validationDifferences: validationDifferences(lib, comparisons.stdnum, comparisons.danishSsn),
    };
  }
  if (part('batch')) results.batch = await batch(root, lib, settings, () => wasmMemory.buffer.byteLength);
  if (part('refresh')) results.refresh = await refresh(root, settings, packageDir ? resolve(packageDir) : join(root, 'pkg'));
  if (part('refresh-memory')) results.refreshMemory = await refreshMemory(root, { ...settings, quick }, packageDir ? resolve(packageDir) : join(root, 'pkg'));
  if (part('redaction')) results.redaction = redaction(lib, { quick, sizesKb: option('--redact-kb')?.split(',').map(Number) });
  const compareDir = option('--compare');
  if (compareDir) {
    const other = await import(pathToFileURL(join(resolve(compareDir), 'index.node.js')).href);
    results.compare = { other: compareDir, rows: await compare(root, lib, other, quick) };
  }
  results.durationSeconds = round((Date.now() - t) / 1000, 1);

  report(results);
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  // Full runs are kept (to compare later); a quick run (every npm test) only replaces the last.
  const name = quick ? 'latest-quick.json' : `full-${results.date.replace(/[:.]/g, '-')}.json`;
  writeFileSync(join(dir, name), `${JSON.stringify(results, null, 2)}\n`);
  if (!quick) writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwritten: bench/results/${name} (${results.durationSeconds} s)`);
}

/** The per-operation and per-lookup figures of two builds, side by side (bench/compare.mjs). */
async function compare(root, current, other, quick) {
  const { cpr, setup, body, number, existing, options } = workload(root);
  const ops = (lib) => {
    const person = lib.parseLookupResponse(body, options).persons[0];
    return [
      ['validateCpr', () => lib.validateCpr(cpr)],
      ['validateSetup', () => lib.validateSetup(setup)],
      ['buildLookupQuery', () => lib.buildLookupQuery(options)],
      ['parseLookupResponse', () => lib.parseLookupResponse(body, options)],
      ['mergePerson', () => lib.mergePerson(existing, person)],
      ['parse + merge', () => lib.mergePerson(existing, lib.parseLookupResponse(body, options).persons[0])],
    ];
  };
  const lookups = quick ? 100 : 1000;
  const asyncOps = (lib) => {
    const client = inMemoryClient(lib, body);
    const items = Array.from({ length: lookups }, () => ({ cpr: number, existing }));
    return [['lookupMany, CPU per lookup (in-memory host)', () => lookupManyCpuPerLookup(client, items)]];
  };
  const settings = quick ? { rounds: 4, callsPerRound: 50, warmup: 100 } : { rounds: 40, callsPerRound: 250, warmup: 3000 };
  return compareBuilds(current, other, settings, ops, asyncOps);
}

function option(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function machine() {
  const cpu = cpus();
  return {
    cpus: cpu.length,
    nproc: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    v8: process.versions.v8,
  };
}

// 1. Bundle sizes ------------------------------------------------------------------------------

function sizes(root) {
  const core = coreSizes();
  const out = { budgetGzipBytes: CORE_BUDGET_GZIP_BYTES, web: core.web, node: core.node };
  // The optional certificate-inspection module, when the build made it (one .wasm, in cert/web,
  // loaded by both bindings).
  if (existsSync(join(root, 'pkg', 'cert', 'web', 'cpr_certificate_bg.wasm'))) {
    const wasm = measure('cert/web', ['cpr_certificate_bg.wasm']).rows;
    for (const build of ['web', 'node']) {
      const rows = [...wasm, ...measure(`cert/${build}`, ['cpr_certificate.js']).rows];
      out[`certificate-${build}`] = { rows, gzip: rows.reduce((sum, r) => sum + r.gzip, 0), raw: rows.reduce((sum, r) => sum + r.raw, 0) };
    }
  }
  out.packed = packedSize(root);
  return out;
}

/** What `npm pack` of pkg/ would publish: the tarball's size, unpacked size and file count. */
function packedSize(root) {
  const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: join(root, 'pkg'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  return { bytes: pack.size, unpackedBytes: pack.unpackedSize, files: pack.entryCount };
}

// 2. Start-up ----------------------------------------------------------------------------------

function nodeStartup(root, runs) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const out = execFileSync(process.execPath, [join(root, 'bench', 'startup-node.mjs')], { cwd: root, encoding: 'utf8' });
    const wall = Number(process.hrtime.bigint() - started) / 1e6;
    samples.push({ ...JSON.parse(out), spawnToExitMs: wall });
  }
  const pick = (k) => round(summarize(samples.map((s) => s[k])).median, 1);
  return { runs, importMs: pick('importMs'), firstResultMs: pick('firstResultMs'), processStartToResultMs: pick('processMs'), spawnToExitMs: pick('spawnToExitMs') };
}

async function browserStartup(root, runs) {
  let launchChromium, startStaticServer;
  try {
    ({ launchChromium } = await import('../tests/support/browser.mjs'));
    ({ startStaticServer } = await import('../scripts/serve.mjs'));
  } catch (e) {
    return { skipped: `browser support unavailable: ${e.message}` };
  }
  const server = await startStaticServer({ root, index: '/bench/startup.html' });
  let browser;
  try {
    browser = await launchChromium();
    const samples = [];
    for (let i = 0; i < runs; i++) {
      // A fresh context each time: nothing cached from the previous load.
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${server.url.replace(/\/$/, '')}/bench/startup.html`);
      await page.waitForFunction(() => window.__startup, null, { timeout: 30_000 });
      samples.push(await page.evaluate(() => window.__startup));
      await context.close();
    }
    const pick = (k) => round(summarize(samples.map((s) => s[k])).median, 1);
    return { runs, importMs: pick('importMs'), firstResultMs: pick('firstResultMs'), navigationToResultMs: pick('navigationMs') };
  } catch (e) {
    return { skipped: `Chromium could not run: ${e.message.split('\n')[0]}` };
  } finally {
    await browser?.close();
    await server.close();
  }
}

// 3. Per-operation cost ------------------------------------------------------------------------

async function loadOptional(name) {
  try {
    return await import(name);
  } catch {
    return null;
  }
}

function operations(root, lib, settings, { stdnum, danishSsn }) {
  const { warmup, iterations } = settings;
  const { cpr, setup, body, number, existing, options } = workload(root);
  const person = lib.parseLookupResponse(body, options).persons[0];
  const plainPerson = plain.parseResponse(body, 'public')[0];
  const rows = [];
  const op = (group, name, fn) => {
    const s = timeOp(fn, { warmup, iterations });
    rows.push({ group, name, medianUs: round(s.median, 2), p99Us: round(s.p99, 2), meanUs: round(s.mean, 2) });
  };

  op('validateCpr', 'library validateCpr', () => lib.validateCpr(cpr));
  if (stdnum) op('validateCpr', 'stdnum dk.cpr.validate', () => stdnum.DK.cpr.validate(cpr));
  if (danishSsn) op('validateCpr', 'danish-ssn', () => danishSsn(cpr));
  op('validateSetup', 'library validateSetup', () => lib.validateSetup(setup));
  op('query', 'library buildLookupQuery', () => lib.buildLookupQuery(options));
  op('query', 'plain buildQuery', () => plain.buildQuery('public', [number]));
  op('parse', 'library parseLookupResponse', () => lib.parseLookupResponse(body, options));
  op('parse', 'plain parseResponse', () => plain.parseResponse(body, 'public'));
  op('merge', 'library mergePerson', () => lib.mergePerson(existing, person));
  op('merge', 'plain mergePerson', () => plain.mergePerson(existing, plainPerson));
  op('parse+merge', 'library parse + merge', () => lib.mergePerson(existing, lib.parseLookupResponse(body, options).persons[0]));
  op('parse+merge', 'plain parse + merge', () => plain.mergePerson(existing, plain.parseResponse(body, 'public')[0]));
  op('per lookup', 'library validate + build + parse + merge', () => {
    lib.validateCpr(number);
    JSON.stringify(lib.buildLookupQuery(options));
    lib.mergePerson(existing, lib.parseLookupResponse(body, options).persons[0]);
  });
  op('per lookup', 'plain build + parse + merge', () => {
    JSON.stringify(plain.buildQuery('public', [number]));
    plain.mergePerson(existing, plain.parseResponse(body, 'public')[0]);
  });
  return { rows, body, number, existing };
}

/** What every per-operation figure is measured on: the same setup, answer, number and record. */
function workload(root) {
  const number = '2906790168';
  return {
    cpr: '010170-1239',
    setup: { enabled: true, environment: 'test04', sectorType: 'private', authMethod: 'sharedSecret', clientId: 'erp-client', clientSecret: 's3cret-value', apiVersion: 'v2' },
    body: readFileSync(join(root, 'tests', 'fixtures', 'graphql', 'public-history.json'), 'utf8'),
    number,
    existing: { customerNo: 'C-10001', name: 'Hanne Hansen', address: 'Første Vej 1', postCode: '8000', city: 'Aarhus C' },
    options: { sectorType: 'public', cprNumbers: [number] },
  };
}

/** A client whose host fetch answers at once: a token, then `body` for every lookup. */
function inMemoryClient(lib, body) {
  const host = {
    fetch: (request) => (request.purpose === 'token'
      ? { status: 200, headers: { 'content-type': 'application/json' }, body: '{"access_token":"t","token_type":"Bearer","expires_in":300}' }
      : { status: 200, headers: { 'content-type': 'application/json' }, body }),
  };
  const setup = { enabled: true, environment: 'test04', sectorType: 'public', authMethod: 'sharedSecret', clientId: 'erp', clientSecret: 's3cret-value' };
  return new lib.CprClient(setup, host);
}

/** The process CPU of one `lookupMany` over `items`, in µs per lookup. */
async function lookupManyCpuPerLookup(client, items) {
  const cpu0 = process.cpuUsage();
  const results = await client.lookupMany(items, { concurrency: 8 });
  const cpu = process.cpuUsage(cpu0);
  if (results.some((r) => !r.ok)) throw new Error(`in-memory lookup failed: ${JSON.stringify(results.find((r) => !r.ok).error)}`);
  return (cpu.user + cpu.system) / items.length;
}

/**
 * The whole per-lookup cost inside the client, without a network: `lookupMany` with a host
 * fetch that answers at once (a token, then the fixture for every lookup). What remains is the
 * library's own work per lookup: the query, the host bridge, parsing, merging, the results.
 */
async function clientPerLookup(lib, { body, number, existing }, settings, wasmBytes) {
  const client = inMemoryClient(lib, body);
  const n = settings.quick ? 200 : 2000;
  const items = Array.from({ length: n }, () => ({ cpr: number, existing }));
  await client.lookupMany(items.slice(0, 200), { concurrency: 8 });
  const samples = [];
  const wasmAfterRound = [];
  for (let round = 0; round < (settings.quick ? 2 : 10); round++) {
    samples.push(await lookupManyCpuPerLookup(client, items));
    wasmAfterRound.push(wasmBytes());
  }
  client.free?.();
  // Rounds of the same size: a leak would raise the wasm memory round after round.
  return { cpuPerLookupUs: round(summarize(samples).median, 1), lookupsPerRound: n, wasmAfterRound };
}

function operationsSummary(rows, clientUs) {
  const get = (name) => rows.find((r) => r.name === name);
  return {
    clientLookupManyCpuPerLookupUs: clientUs,
    targets: {
      parseMergeAtLeastAsFastAsPlain: get('library parse + merge').medianUs <= get('plain parse + merge').medianUs,
      perLookupUnder25Us: clientUs < 25 || get('library validate + build + parse + merge').medianUs < 25,
    },
  };
}

/** Where the packages' rules differ from the library's (the library is the reference). */
function validationDifferences(lib, stdnum, danishSsn) {
  const cases = ['010170-1239', '0101701238', '010107-4000', '3201701239', '290200-1234', '010170 1239', '0101701239 ', '０１０１７０１２３９'];
  return cases.map((n) => ({
    input: n,
    library: lib.validateCpr(n).valid,
    stdnum: stdnum ? stdnum.DK.cpr.validate(n).isValid : null,
    danishSsn: danishSsn ? safe(() => danishSsn(n).valid) : null,
  }));
}

function safe(fn) {
  try {
    return fn();
  } catch {
    return 'throws';
  }
}

// 4. Batch throughput --------------------------------------------------------------------------

/** The emulator in its own process, so its CPU is not the client's. */
async function startEmulatorProcess(root, { maxLifetimeSeconds = 1200 } = {}) {
  const child = spawn(process.execPath, [join(root, 'tests', 'emulator', 'cli.mjs'), '--port', '0', '--https-port', '0', '--max-lifetime', String(maxLifetimeSeconds)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const info = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`emulator exited (${code})`)));
    lines.once('line', (line) => resolve(JSON.parse(line)));
  });
  lines.on('line', () => {});
  const control = async (method, path) => {
    const response = await fetch(`${info.urls.controlUrl}${path}`, { method });
    return response.json();
  };
  return { info, control, stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }) };
}

function heapAfterGc() {
  global.gc();
  global.gc();
  return process.memoryUsage().heapUsed;
}

async function batch(root, lib, settings, wasmBytes) {
  const emu = await startEmulatorProcess(root);
  try {
    const { clientId, clientSecret } = emu.info.credentials.privateSector;
    const setup = {
      enabled: true,
      environment: emu.info.environment,
      sectorType: 'private',
      authMethod: 'sharedSecret',
      clientId,
      clientSecret,
      endpoints: { graphqlBaseUrl: emu.info.urls.origin, sharedSecretTokenUrl: emu.info.urls.tokenUrl },
    };
    // Realistic items: valid numbers (the emulator answers each with a person) with records.
    const numbers = ['0707610123', '2906790168', '1203750168', '0101701239', '1508820127'];
    const items = (n) => Array.from({ length: n }, (_, i) => ({
      cpr: numbers[i % numbers.length],
      existing: { customerNo: `C-${i}`, name: 'Old Name', address: 'Old Street 1', postCode: '1000', city: 'København K' },
    }));
    const runs = [];
    for (const concurrency of settings.concurrencies) {
      const client = new lib.CprClient(setup);
      const tokenSeqs = new Set();
      const poll = async () => {
        for (const entry of await emu.control('GET', '/log?purpose=token')) tokenSeqs.add(entry.seq);
      };
      await emu.control('DELETE', '/log');
      // Warm-up: JIT, wasm tier-up, connection pool, the token.
      await client.lookupMany(items(settings.batchWarmup), { concurrency });
      await poll();
      const before = { wasm: wasmBytes(), heap: heapAfterGc() };
      // The emulator keeps its last 10,000 log entries: poll token requests during the run.
      const poller = setInterval(() => { poll().catch(() => {}); }, 500);
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      let results = await client.lookupMany(items(settings.batch), { concurrency });
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const cpu = process.cpuUsage(cpu0);
      clearInterval(poller);
      await poll();
      const failures = results.filter((r) => !r.ok);
      // The caller lets go of the results; what stays is the library's.
      results = null;
      const after = { wasm: wasmBytes(), heap: heapAfterGc() };
      client.free?.();
      runs.push({
        concurrency,
        lookups: settings.batch,
        failures: failures.length,
        firstFailure: failures[0]?.error?.code,
        wallMs: round(wallMs, 1),
        lookupsPerSecond: Math.round(settings.batch / (wallMs / 1000)),
        tokenRequests: tokenSeqs.size,
        clientCpuMs: round((cpu.user + cpu.system) / 1000, 1),
        clientCpuPerLookupUs: round((cpu.user + cpu.system) / settings.batch, 1),
        clientCpuShare: round((cpu.user + cpu.system) / 1000 / wallMs, 3),
        wasmMemoryBytes: { afterWarmup: before.wasm, afterRun: after.wasm },
        heapUsedBytes: { afterWarmup: before.heap, afterRun: after.heap },
      });
    }
    // Wasm memory never shrinks: it is the high-water mark. A batch holds its results until it
    // ends, so the first run sets the mark for its size; later runs (as many lookups again)
    // must not raise it, and the heap must come back once the results are let go.
    const first = runs[0];
    const last = runs[runs.length - 1];
    return {
      tokenLifetimeSeconds: 300,
      runs,
      memory: {
        lookupsAfterFirstRun: runs.slice(1).reduce((n, r) => n + r.lookups, 0),
        wasmGrowthAfterFirstRunBytes: last.wasmMemoryBytes.afterRun - first.wasmMemoryBytes.afterRun,
        heapGrowthWarmupToLastRunBytes: last.heapUsedBytes.afterRun - first.heapUsedBytes.afterWarmup,
      },
    };
  } finally {
    await emu.stop();
  }
}

// 4b. The command line's refresh -----------------------------------------------------------------

/** A setup file for the emulator and a CSV of `rows` distinct seeded persons as Danish Excel writes it. */
function refreshFiles(dir, emu, rows) {
  const { clientId } = emu.info.credentials.privateSector;
  const setup = join(dir, 'setup.json');
  writeFileSync(setup, JSON.stringify({
    enabled: true, environment: emu.info.environment, sectorType: 'private', authMethod: 'sharedSecret', clientId,
    endpoints: { graphqlBaseUrl: emu.info.urls.origin, sharedSecretTokenUrl: emu.info.urls.tokenUrl },
  }));
  // Distinct seeded persons (valid dates in the 1900s, never ending 000-002; distinct for up to
  // 100,800 rows), as Danish Excel writes them (BOM, ";", CRLF).
  const number = (i) => `${String((i % 28) + 1).padStart(2, '0')}${String((Math.floor(i / 28) % 12) + 1).padStart(2, '0')}`
    + `${String(Math.floor(i / 336) % 100).padStart(2, '0')}${1 + (Math.floor(i / 33_600) % 3)}${String(3 + (i % 990)).padStart(3, '0')}`;
  const input = join(dir, 'customers.csv');
  writeFileSync(input, `\uFEFFcustomerNo;cpr;name;address;postCode;city\r\n`);
  for (let from = 0; from < rows; from += 10_000) {
    const block = Array.from({ length: Math.min(10_000, rows - from) }, (_, k) => `C-${from + k};${number(from + k)};Old Name ${from + k};Old Street ${from + k};1000;\r\n`);
    appendFileSync(input, block.join(''));
  }
  return { setup, input };
}

/** One `refresh` process over `input`; resolves with its --json summary and wall time. */
function refreshProcess({ packageDir, emu, dir, setup, input, concurrency, nodeArgs = [], env = {} }) {
  const out = join(dir, `refreshed-${concurrency}.csv`);
  const t0 = process.hrtime.bigint();
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, join(packageDir, 'cli.js'), 'refresh', setup, '--in', input, '--out', out,
      '--journal', join(dir, `changes-${concurrency}.jsonl`), '--policy', 'city=ifEmpty', '--concurrency', String(concurrency), '--quiet', '--json'], {
      env: { ...process.env, CPR_CLIENT_SECRET: emu.info.credentials.privateSector.clientSecret, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`refresh exited ${code}: ${stderr.slice(-500)}`));
        return;
      }
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      resolveRun({ summary: JSON.parse(stdout), wallMs, out });
    });
  });
}

/** `datafordeler-cpr refresh` of a CSV as a process against the emulator: rows per second. */
async function refresh(root, settings, packageDir) {
  const emu = await startEmulatorProcess(root);
  const dir = mkdtempSync(join(tmpdir(), 'cpr-bench-refresh-'));
  try {
    const { setup, input } = refreshFiles(dir, emu, settings.refreshRows);
    const runs = [];
    for (const concurrency of [8, 32]) {
      const { summary, wallMs } = await refreshProcess({ packageDir, emu, dir, setup, input, concurrency });
      runs.push({ concurrency, rows: summary.rows, changed: summary.changed, failed: summary.failed, wallMs: round(wallMs, 1), rowsPerSecond: Math.round(summary.rows / (wallMs / 1000)) });
    }
    return { runs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await emu.stop();
  }
}

function reportRefresh(r) {
  console.log(`\n4b. datafordeler-cpr refresh of a CSV against the emulator on 127.0.0.1 (a process, start-up included; ${r.runs[0]?.rows} rows)`);
  console.log(table(['concurrency', 'rows/s', 'changed', 'failed', 'wall ms'], r.runs.map((x) => [x.concurrency, x.rowsPerSecond, x.changed, x.failed, x.wallMs])));
}

// 4c. The refresh's memory over a long file ------------------------------------------------------

/**
 * One `refresh` of `settings.refreshMemoryRows` rows (100,000 in a full run) with
 * bench/memory-probe.mjs loaded into the CLI process: wasm memory and JS heap (after a full
 * collection) sampled at intervals with the rows the checkpoint had recorded, so a series shows
 * whether memory grows with the input. Warm-up: the first tenth of the rows (at most 10,000).
 */
async function refreshMemory(root, settings, packageDir) {
  const rows = Number(option('--refresh-memory-rows') ?? settings.refreshMemoryRows);
  const emu = await startEmulatorProcess(root, { maxLifetimeSeconds: 7200 });
  const dir = mkdtempSync(join(tmpdir(), 'cpr-bench-refresh-memory-'));
  try {
    const { setup, input } = refreshFiles(dir, emu, rows);
    const samplesFile = join(dir, 'samples.jsonl');
    const concurrency = 8;
    const { summary, wallMs } = await refreshProcess({
      packageDir, emu, dir, setup, input, concurrency,
      nodeArgs: ['--expose-gc', '--import', pathToFileURL(join(root, 'bench', 'memory-probe.mjs')).href],
      env: {
        CPR_BENCH_MEMORY_SAMPLES: samplesFile,
        CPR_BENCH_CHECKPOINT: join(dir, `refreshed-${concurrency}.csv.checkpoint.json`),
        CPR_BENCH_SAMPLE_MS: String(settings.quick ? 250 : 2000),
      },
    });
    const series = readFileSync(samplesFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line))
      .map((s) => ({ ...s, rows: s.rows === 'end' ? summary.rows : s.rows }))
      .filter((s) => s.rows !== null);
    const warmupRows = Math.min(10_000, Math.ceil(rows / 10));
    const afterWarmup = series.filter((s) => s.rows >= warmupRows);
    const warm = afterWarmup[0] ?? series[0];
    const end = series[series.length - 1];
    const max = (key) => Math.max(...afterWarmup.map((s) => s[key]));
    return {
      rows: summary.rows,
      concurrency,
      failed: summary.failed,
      wallMs: round(wallMs, 1),
      rowsPerSecond: Math.round(summary.rows / (wallMs / 1000)),
      warmupRows,
      atWarmup: { rows: warm.rows, wasmBytes: warm.wasmBytes, heapUsedBytes: warm.heapUsedBytes, rssBytes: warm.rssBytes },
      atEnd: { rows: end.rows, wasmBytes: end.wasmBytes, heapUsedBytes: end.heapUsedBytes, rssBytes: end.rssBytes },
      maxAfterWarmup: { wasmBytes: max('wasmBytes'), heapUsedBytes: max('heapUsedBytes'), rssBytes: max('rssBytes') },
      series,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await emu.stop();
  }
}

function reportRefreshMemory(r, kb) {
  console.log(`\n4c. refresh's memory: ${r.rows} rows at concurrency ${r.concurrency} against the emulator, ${r.rowsPerSecond} rows/s (${round(r.wallMs / 1000, 1)} s, ${r.failed} failed);`
    + ' wasm memory and JS heap after a full collection, sampled in the CLI process (bench/memory-probe.mjs)');
  // About ten points of the series: the first sample at or after each tenth of the rows, and the end.
  const marks = Array.from({ length: 10 }, (_, i) => Math.ceil((r.rows * i) / 10));
  const picked = [...new Set([...marks.map((m) => r.series.find((s) => s.rows >= m)).filter(Boolean), r.series[r.series.length - 1]])];
  console.log(table(['rows', 'seconds', 'wasm KB', 'heap KB', 'rss MB'], picked.map((s) => [s.rows, round(s.seconds, 1), kb(s.wasmBytes), kb(s.heapUsedBytes), round(s.rssBytes / 2 ** 20, 1)])));
  console.log(`after warm-up (${r.atWarmup.rows} rows) -> end (${r.atEnd.rows} rows): wasm ${kb(r.atWarmup.wasmBytes)} -> ${kb(r.atEnd.wasmBytes)} KB (max ${kb(r.maxAfterWarmup.wasmBytes)}), `
    + `JS heap ${kb(r.atWarmup.heapUsedBytes)} -> ${kb(r.atEnd.heapUsedBytes)} KB (max ${kb(r.maxAfterWarmup.heapUsedBytes)}); ${r.series.length} samples`);
}

// 5. Redaction ---------------------------------------------------------------------------------

/**
 * Adversarial texts for `redact`, `kb` KB each: the start of a pattern repeated (where a
 * redactor that rescans from each match turns quadratic), and a mix of every pattern's start.
 */
function redactionInputs(kb) {
  const fill = (piece) => piece.repeat(Math.ceil((kb * 1024) / piece.length)).slice(0, kb * 1024);
  return [
    ["'Bearer ' repeated", fill('Bearer ')],
    ['mixed', fill('Bearer x client_secret=y&token= eyJ.eyJ1.c2ln "access_token":"z", %5F 0101701239 07.07.61-0123 Basic ')],
  ];
}

/** The time of one `redact` call on each input (a known secret given, as the client does). */
function redaction(lib, { quick, sizesKb }) {
  const sizes = sizesKb ?? [1024];
  const runs = quick ? 1 : 7;
  const secrets = ['S3cret-Value-42'];
  const rows = [];
  for (const kb of sizes) {
    for (const [input, text] of redactionInputs(kb)) {
      lib.redact(text.slice(0, 4096), { secrets }); // warm-up: the code path compiled
      const samples = [];
      for (let i = 0; i < runs; i++) {
        const t0 = process.hrtime.bigint();
        lib.redact(text, { secrets });
        samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      const ms = summarize(samples).median;
      rows.push({ input, kb, runs, medianMs: round(ms, 1), mbPerSecond: round(kb / 1024 / (ms / 1000), 1) });
    }
  }
  return { knownSecrets: secrets.length, rows };
}

// Report ---------------------------------------------------------------------------------------

function report(r) {
  const kb = (n) => (n / 1024).toFixed(1);
  console.log(`\nMachine: ${r.machine.nproc} cores (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB, Node ${r.machine.node}${r.quick ? '  [quick run]' : ''}`);
  if (r.sizes) reportSizes(r.sizes, kb);
  if (r.startup) reportStartup(r.startup);
  if (r.operations) reportOperations(r.operations, kb);
  if (r.batch) reportBatch(r.batch, kb);
  if (r.refresh) reportRefresh(r.refresh);
  if (r.refreshMemory) reportRefreshMemory(r.refreshMemory, kb);
  if (r.redaction) reportRedaction(r.redaction);
  if (r.compare) {
    console.log(`\n6. Before/after: ${r.compare.other} (before) and this build (after), alternating rounds in one process (µs, median of round means)`);
    console.log(table(['operation', 'before', 'after', 'after/before', 'rounds'], r.compare.rows.map((x) => [x.name, x.beforeUs, x.afterUs, x.afterOverBefore, x.rounds])));
  }
}

function reportSizes(sizes, kb) {
  const budget = sizes.budgetGzipBytes;
  console.log('\n1. Bundle size (KB)');
  console.log(table(['module', 'wasm raw', 'wasm gz', 'glue raw', 'glue gz', 'total gz', 'budget'], Object.entries(sizes)
    .filter(([k]) => k !== 'budgetGzipBytes' && k !== 'packed')
    .map(([k, s]) => [k, kb(s.rows[0].raw), kb(s.rows[0].gzip), kb(s.rows[1].raw), kb(s.rows[1].gzip), kb(s.gzip),
      k.startsWith('certificate') ? '-' : `${s.gzip <= budget ? 'within' : 'OVER'} ${kb(budget)}`])));
  if (sizes.packed) console.log(`npm package (npm pack of pkg/): ${kb(sizes.packed.bytes)} KB packed, ${kb(sizes.packed.unpackedBytes)} KB unpacked, ${sizes.packed.files} files`);
}

function reportStartup(startup) {
  const n = startup.node;
  const c = startup.chromium;
  console.log('\n2. Start-up, import -> first validateSetup result (median ms)');
  console.log(table(['runtime', 'runs', 'import', 'first result', 'from process/page start'], [
    ['Node', n.runs, n.importMs, n.firstResultMs, n.processStartToResultMs],
    c && !c.skipped ? ['Chromium (headless)', c.runs, c.importMs, c.firstResultMs, c.navigationToResultMs] : ['Chromium', '', c?.skipped ?? 'skipped', '', ''],
  ]));
}

function reportOperations(ops, kb) {
  console.log(`\n3. Per-operation cost in Node (µs; ${ops.iterations} timed calls after ${ops.warmup} warm-up; response ${ops.responseBytes} bytes)`);
  console.log(table(['operation', 'median', 'p99', 'mean'], ops.rows.map((x) => [x.name, x.medianUs, x.p99Us, x.meanUs])));
  const rounds = ops.inMemoryRounds;
  console.log(`library CprClient.lookupMany, in-memory host fetch (no network): ${ops.clientLookupManyCpuPerLookupUs} µs CPU per lookup; `
    + `wasm memory after each round of ${rounds.lookupsPerRound}: ${rounds.wasmMemoryBytesAfterRound.map((b) => kb(b)).join(', ')} KB`);
  const tg = ops.targets;
  console.log(`targets: parse+merge at least as fast as plain: ${tg.parseMergeAtLeastAsFastAsPlain ? 'met' : 'MISSED'}; per lookup < 25 µs: ${tg.perLookupUnder25Us ? 'met' : 'MISSED'}`);
  console.log(table(['input', 'library', 'stdnum', 'danish-ssn'], ops.validationDifferences.map((d) => [JSON.stringify(d.input), d.library, d.stdnum, d.danishSsn])));
}

function reportRedaction(r) {
  console.log(`\n5. redact() on adversarial text, ${r.knownSecrets} known secret (median of ${r.rows[0]?.runs} calls, text in and out included)`);
  console.log(table(['input', 'size', 'ms', 'MB/s'], r.rows.map((x) => [x.input, `${x.kb} KB`, x.medianMs, x.mbPerSecond])));
}

function reportBatch(batch, kb) {
  console.log(`\n4. Batch against the emulator on 127.0.0.1 (${batch.runs[0]?.lookups} lookups per run)`);
  console.log(table(['concurrency', 'lookups/s', 'failures', 'token req.', 'client CPU share', 'CPU/lookup µs', 'wasm mem KB (warm -> end)', 'heap KB (warm -> end)'], batch.runs.map((b) => [
    b.concurrency, b.lookupsPerSecond, b.failures, b.tokenRequests, b.clientCpuShare, b.clientCpuPerLookupUs,
    `${kb(b.wasmMemoryBytes.afterWarmup)} -> ${kb(b.wasmMemoryBytes.afterRun)}`, `${kb(b.heapUsedBytes.afterWarmup)} -> ${kb(b.heapUsedBytes.afterRun)}`,
  ])));
  const m = batch.memory;
  console.log(`memory: wasm grew ${kb(m.wasmGrowthAfterFirstRunBytes)} KB over the ${m.lookupsAfterFirstRun} lookups after the first run; `
    + `JS heap ${kb(m.heapGrowthWarmupToLastRunBytes)} KB from the first warm-up to the end`);
}
