// `datafordeler-cpr refresh` as a process against the emulator over real HTTP: a Danish Excel
// CSV (BOM, ";", CRLF, quotes, embedded newlines) with blank and invalid CPR cells, protected,
// deceased and unknown persons and injected faults (503, timeouts): every row out, in order,
// unchanged where the register gave nothing, the journal matching the differences; JSON Lines;
// interrupted by SIGINT and SIGKILL, then --resume gives the uninterrupted output and looks no
// row up again that the last checkpoint had recorded (the emulator's request log).
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { CLI, FULL_CPR, closeEmulatorAndFolder, openEmulatorAndFolder } from '../support/cli.mjs';

let emu;
let dir;
before(async () => { ({ emu, dir } = await openEmulatorAndFolder('cpr-refresh-')); });
after(() => closeEmulatorAndFolder({ emu, dir }));
beforeEach(() => { emu.reset(); emu.clearLog(); });

function setupFile() {
  const { clientId } = emu.credentials.privateSector;
  const path = join(dir, 'setup.json');
  writeFileSync(path, JSON.stringify({
    enabled: true, environment: emu.environment, sectorType: 'private', authMethod: 'sharedSecret', clientId,
    endpoints: { graphqlBaseUrl: emu.urls.graphqlBaseUrl, sharedSecretTokenUrl: emu.urls.tokenUrl },
  }));
  return path;
}

/** Seeded persons: valid dates, not ending 000-002, a distinct DDMMYY for each (so masked numbers tell rows apart). */
function seeded(i) {
  return `${String((i % 28) + 1).padStart(2, '0')}0${(i % 9) + 1}${String(50 + Math.floor(i / 252)).padStart(2, '0')}${String(1003 + (i % 990))}`;
}

function env(extra = {}) {
  return { PATH: process.env.PATH, CPR_CLIENT_SECRET: emu.credentials.privateSector.clientSecret, ...extra };
}

function cli(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: env(), timeout: 60000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      assert.ok(!`${stdout}${stderr}`.includes(emu.credentials.privateSector.clientSecret), 'no secret printed');
      assert.doesNotMatch(stdout, FULL_CPR);
      assert.doesNotMatch(stderr, FULL_CPR);
      resolve({ code, stdout, stderr });
    });
  });
}

const HEADER = ['Kundenr', 'Navn', 'Adresse1', 'Postnr', 'By', 'CPR', 'Note'];
const PROTECTED = '0204882126';
const DECEASED = '1406322129';
const UNKNOWN = '1203750000';

/** 300 rows as Danish Excel writes them, and what each row's CPR cell is. */
function excelCsv(rows = 300) {
  const kinds = [];
  const data = [];
  for (let i = 0; i < rows; i += 1) {
    let cpr;
    let kind;
    if (i % 10 === 9) { cpr = ''; kind = 'blank'; }
    else if (i % 13 === 12) { cpr = '12345'; kind = 'invalid'; }
    else if (i === 20) { cpr = PROTECTED; kind = 'protected'; }
    else if (i === 21) { cpr = DECEASED; kind = 'deceased'; }
    else if (i === 22) { cpr = UNKNOWN; kind = 'unknown'; }
    else { cpr = i % 2 ? seeded(i) : `${seeded(i).slice(0, 6)}-${seeded(i).slice(6)}`; kind = 'seeded'; }
    kinds.push(kind);
    const note = i % 7 === 0 ? `Sagde "hej"; ring\nigen ${i}` : i % 11 === 0 ? 'Æble, øl; å' : '';
    data.push([`K-${i}`, i % 5 === 0 ? `Gammel "Navn"; nr ${i}` : `Gammelt Navn ${i}`, `Gl. Vej ${i}`, i % 3 ? '' : '9999', 'Gammelby', cpr, note]);
  }
  const quote = (cell) => (/[";\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
  const text = `\uFEFF${[HEADER, ...data].map((row) => row.map(quote).join(';')).join('\r\n')}\r\n`;
  return { text, data, kinds };
}

const readCsv = (path, delimiter = ';') => parse(readFileSync(path), { bom: true, delimiter, relax_column_count: true });
const readJournal = (path) => readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));

test('refresh of a Danish Excel CSV with faults: every row out in order, unchanged where the register gave nothing, the journal matches', async () => {
  const { text, data, kinds } = excelCsv();
  const input = join(dir, 'customers.csv');
  writeFileSync(input, text);
  const out = join(dir, 'refreshed.csv');
  const journal = join(dir, 'changes.jsonl');
  emu.faults.add({ mode: 'http503', purpose: 'graphql', every: 23, count: null, retryAfter: 0 });
  emu.faults.add({ mode: 'delay', purpose: 'graphql', every: 41, count: null, delayMs: 2000 });
  const result = await cli(['refresh', setupFile(), '--in', input, '--out', out, '--journal', journal,
    '--cpr-column', 'CPR', '--map', 'name=Navn,address=Adresse1,postCode=Postnr,city=By', '--policy', 'city=ifEmpty',
    '--concurrency', '8', '--max-attempts', '1', '--timeout-ms', '1000']);
  assert.equal(result.code, 1, result.stderr);
  assert.ok(!existsSync(`${out}.partial`) && !existsSync(`${out}.checkpoint.json`) && !existsSync(`${out}.failures.partial`), 'no leftovers');
  assert.equal(readFileSync(input, 'utf8'), text, 'the input is untouched');

  const raw = readFileSync(out, 'utf8');
  assert.ok(raw.startsWith('\uFEFF'), 'the BOM is kept');
  assert.equal(raw.split('\r\n').length - 1, data.length + 1, 'CRLF ends every record (the embedded newlines stay \\n)');
  const rows = readCsv(out);
  assert.deepEqual(rows[0], HEADER, 'the same columns in the same order');
  assert.equal(rows.length - 1, data.length, 'every input row is out');

  const failed = new Set([...result.stderr.matchAll(/^row (\d+)[ :]/gm)].map((m) => Number(m[1]) - 1));
  const changes = readJournal(journal);
  assert.doesNotMatch(readFileSync(journal, 'utf8'), FULL_CPR, 'the journal masks CPR numbers');
  assert.ok(!readFileSync(journal, 'utf8').includes(emu.credentials.privateSector.clientSecret), 'no secret in the journal');
  let changedRows = 0;
  for (let i = 0; i < data.length; i += 1) {
    const before = data[i];
    const afterRow = rows[i + 1];
    for (const column of ['Kundenr', 'CPR', 'Note']) {
      assert.equal(afterRow[HEADER.indexOf(column)], before[HEADER.indexOf(column)], `row ${i + 1} ${column} is kept (in order)`);
    }
    assert.equal(afterRow[HEADER.indexOf('By')], 'Gammelby', 'city=ifEmpty keeps a filled city');
    const differences = HEADER.flatMap((column, c) => (afterRow[c] === before[c] ? [] : [{ field: column, before: before[c], after: afterRow[c] }]));
    const journalled = changes.filter((change) => change.row === i + 1).map(({ field, before: b, after: a }) => ({ field, before: b ?? '', after: a }));
    assert.deepEqual(journalled, differences, `row ${i + 1}: the journal lists exactly the changed cells`);
    if (differences.length) changedRows += 1;
    if (['blank', 'invalid', 'unknown'].includes(kinds[i]) || failed.has(i)) {
      assert.deepEqual(afterRow, before, `row ${i + 1} (${kinds[i]}) is unchanged`);
    }
    if (kinds[i] === 'blank') assert.ok(failed.has(i), `row ${i + 1}: a blank CPR cell is listed`);
    if (kinds[i] === 'invalid') assert.match(result.stderr, new RegExp(`^row ${i + 1}: invalid_cpr_number: `, 'm'));
    if (kinds[i] === 'protected') {
      assert.equal(afterRow[1], before[1], 'a protected name is kept');
      assert.equal(afterRow[2], before[2], 'a protected address is kept');
    }
    if (kinds[i] === 'seeded' && !failed.has(i)) assert.notEqual(afterRow[1], before[1], `row ${i + 1}: the register's name`);
  }
  assert.ok(changes.every((change) => /^\d{6}-xxxx$/.test(change.cpr)));
  assert.match(result.stderr, /server_error/, 'a 503 is listed with its diagnosis');
  assert.match(result.stderr, /timeout/, 'a timeout is listed');
  const summary = /Refreshed 300 rows into .*: (\d+) changed, (\d+) unchanged, (\d+) not found, (\d+) failed/.exec(result.stderr);
  assert.ok(summary, result.stderr);
  assert.equal(Number(summary[1]), changedRows);
  assert.equal(Number(summary[1]) + Number(summary[2]) + Number(summary[3]) + Number(summary[4]), 300);
  assert.equal(Number(summary[4]), failed.size, 'every failed row is listed');
});

test('refresh of JSON Lines keeps key order and unchanged lines byte for byte', async () => {
  const input = join(dir, 'customers.jsonl');
  const lines = [
    JSON.stringify({ id: 1, cpr: '0707610123', name: 'J. T.', address: 'Gl. Vej 1', extra: { a: [1, 2] } }),
    JSON.stringify({ id: 2, cpr: UNKNOWN, name: 'Ukendt' }),
    'not json',
    JSON.stringify({ id: 4, cpr: PROTECTED, name: 'Beskyttet', address: 'Hemmelig 1' }),
  ];
  writeFileSync(input, `${lines.join('\n')}\n`);
  const out = join(dir, 'refreshed.jsonl');
  const result = await cli(['refresh', setupFile(), '--in', input, '--out', out, '--quiet', '--json']);
  assert.equal(result.code, 1, result.stderr);
  assert.doesNotMatch(result.stderr, /^refresh: /m, '--quiet: no progress');
  assert.match(result.stderr, /^row 3: not a JSON object; kept as it is$/m);
  const outLines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(outLines.length, 4);
  assert.deepEqual(Object.keys(JSON.parse(outLines[0])), ['id', 'cpr', 'name', 'address', 'extra']);
  assert.equal(JSON.parse(outLines[0]).name, 'Jens Peter Testesen');
  assert.deepEqual(outLines.slice(1), lines.slice(1), 'unknown, broken and protected lines are kept as they were');
  assert.match(result.stderr, /Refreshed 4 rows into .*: 1 changed, 1 unchanged, 1 not found, 1 failed/);
  assert.deepEqual(JSON.parse(result.stdout), { rows: 4, changed: 1, unchanged: 1, notFound: 1, failed: 1, out });
});

test('refresh refuses bad usage with exit 2 and a clear message', async () => {
  const input = join(dir, 'small.csv');
  writeFileSync(input, 'cpr,name\n0707610123,X\n');
  const setup = setupFile();
  const out = join(dir, 'small-out.csv');
  const cases = [
    [['refresh', setup, '--out', out], /refresh needs --in <file>/],
    [['refresh', setup, '--in', input], /refresh needs --out <file>/],
    [['refresh', setup, '--in', input, '--out', input], /another file than --in/],
    [['refresh', setup, '--in', join(dir, 'small.txt'), '--out', out], /--format csv or --format jsonl/],
    [['refresh', setup, '--in', input, '--out', out, '--format', 'xml'], /--format must be csv or jsonl/],
    [['refresh', setup, '--in', input, '--out', out, '--cpr-column', 'CPR'], /no column "CPR" \(the columns are cpr, name\)/],
    [['refresh', setup, '--in', input, '--out', out, '--map', 'nme=Navn'], /--map: .*"nme"/],
    [['refresh', setup, '--in', input, '--out', out, '--policy', 'city=sometimes'], /--policy: /],
    [['refresh', setup, '--in', input, '--out', out, '--map', 'name'], /field=value pairs/],
    [['refresh', setup, '--in', input, '--out', out, '--concurrency', '100'], /--concurrency must be a whole number from 1 to 64/],
    [['refresh', setup, '--in', input, '--out', out, '--resume'], /nothing to resume/],
    [['refresh', setup, '--in', join(dir, 'absent.csv'), '--out', out], /Cannot read the input/],
  ];
  for (const [args, message] of cases) {
    const result = await cli(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(' '));
  }
  assert.equal(emu.log.filter((e) => e.purpose === 'graphql').length, 0);
  assert.ok(!existsSync(out));
});

// --- interruption ---

const ROWS = 90;
function plainCsv() {
  return `cpr,name,address\n${Array.from({ length: ROWS }, (_, i) => `${seeded(i)},Old ${i},Street ${i}`).join('\n')}\n`;
}

async function waitFor(predicate) {
  for (let i = 0; i < 2000; i += 1) {
    if (predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('gave up waiting');
}

/** Starts a refresh, kills it with `signal` once a checkpoint holds some rows, then resumes it. */
async function interruptAndResume(signal, name) {
  const input = join(dir, `${name}.csv`);
  writeFileSync(input, plainCsv());
  const out = join(dir, `${name}-out.csv`);
  const journal = join(dir, `${name}-changes.jsonl`);
  const checkpoint = `${out}.checkpoint.json`;
  const args = ['refresh', setupFile(), '--in', input, '--out', out, '--journal', journal, '--concurrency', '2', '--quiet'];
  emu.faults.add({ mode: 'delay', purpose: 'graphql', count: null, delayMs: 40 });
  const child = spawn(process.execPath, [CLI, ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  await waitFor(() => existsSync(checkpoint) && JSON.parse(readFileSync(checkpoint, 'utf8')).state.rowsDone >= 10);
  child.kill(signal);
  const { code, sig } = await exited;
  if (signal === 'SIGINT') {
    assert.equal(code, 130, stderr);
    assert.match(stderr, /Interrupted after \d+ of 90 rows; .* Run the same command with --resume/);
  } else {
    assert.equal(sig, 'SIGKILL');
  }
  assert.ok(!existsSync(out), 'no output while interrupted');
  const done = JSON.parse(readFileSync(checkpoint, 'utf8')).state.rowsDone;
  assert.ok(done >= 10 && done < ROWS, `interrupted mid-run (${done} rows recorded)`);
  emu.faults.clear();
  emu.clearLog();

  const again = await cli(args);
  assert.equal(again.code, 2, 'a new run next to a checkpoint is refused');
  assert.match(again.stderr, /add --resume to continue it/);
  const other = await cli([...args, '--resume', '--policy', 'name=never']);
  assert.equal(other.code, 2, 'a resume with other options is refused');
  assert.match(other.stderr, /is of another run/);
  const resumed = await cli([...args, '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /Refreshed 90 rows into /);
  const looked = emu.log.filter((e) => e.purpose === 'graphql').flatMap((e) => e.cprNumbers ?? []);
  for (let i = 0; i < done; i += 1) {
    const masked = `${seeded(i).slice(0, 6)}-xxxx`;
    assert.ok(!looked.includes(masked), `row ${i + 1} was recorded by the checkpoint and not looked up again`);
  }
  assert.equal(new Set(looked).size, looked.length, 'nobody looked up twice');
  assert.equal(looked.length, ROWS - done, 'exactly the rows after the checkpoint');
  return { out: readFileSync(out, 'utf8'), journal: readFileSync(journal, 'utf8') };
}

test('interrupted by SIGINT or SIGKILL, --resume gives the uninterrupted output and looks nobody up twice', async () => {
  const input = join(dir, 'whole.csv');
  writeFileSync(input, plainCsv());
  const out = join(dir, 'whole-out.csv');
  const journal = join(dir, 'whole-changes.jsonl');
  const whole = await cli(['refresh', setupFile(), '--in', input, '--out', out, '--journal', journal, '--concurrency', '2']);
  assert.equal(whole.code, 0, whole.stderr);
  assert.match(whole.stderr, /^refresh: 90\/90 rows, 0 failed, [\d.]+ rows\/s$/m, 'plain progress lines when not a terminal');
  const reference = { out: readFileSync(out, 'utf8'), journal: readFileSync(journal, 'utf8') };
  assert.deepEqual(readCsv(out, ',').map((row) => row[0]), ['cpr', ...Array.from({ length: ROWS }, (_, i) => seeded(i))], 'every row, in order');
  assert.equal(readJournal(journal).length, ROWS * 2, 'name and address of every row');
  emu.clearLog();

  for (const signal of ['SIGINT', 'SIGKILL']) {
    const result = await interruptAndResume(signal, signal.toLowerCase());
    assert.equal(result.out, reference.out, `${signal}: the same output as an uninterrupted run`);
    assert.equal(result.journal, reference.journal, `${signal}: the same journal`);
  }
});

test('on a terminal the progress is a bar with advancing counts (run in a pseudo-terminal by script(1))', async (t) => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
  } catch {
    t.skip('script(1) is not installed');
    return;
  }
  const input = join(dir, 'tty.csv');
  writeFileSync(input, plainCsv());
  const out = join(dir, 'tty-out.csv');
  emu.faults.add({ mode: 'delay', purpose: 'graphql', count: null, delayMs: 30 });
  const command = [process.execPath, CLI, 'refresh', setupFile(), '--in', input, '--out', out, '--concurrency', '2']
    .map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  const screen = await new Promise((resolve) => {
    execFile('script', ['-qec', command, '/dev/null'], { env: env(), timeout: 60000 }, (error, stdout) => resolve(`${stdout}`));
  });
  assert.doesNotMatch(screen, FULL_CPR);
  assert.ok(!screen.includes(emu.credentials.privateSector.clientSecret));
  const counts = [...screen.matchAll(/refresh \[[^\]]*\] (\d+)\/90 rows \| (\d+) failed \| [\d.]+ rows\/s \| ETA /g)].map((m) => Number(m[1]));
  assert.ok(counts.length >= 3, `the bar was drawn several times: ${JSON.stringify(screen.slice(0, 400))}`);
  assert.ok(counts.some((n, i) => i > 0 && n > counts[i - 1]), 'the count advances');
  assert.equal(counts.at(-1), 90);
  assert.doesNotMatch(screen, /^refresh: \d+\/90/m, 'no plain progress lines on a terminal');
  assert.match(screen, /Refreshed 90 rows into /);
  assert.equal(readCsv(out, ',').length, 91);
});
