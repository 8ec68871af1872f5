// `datafordeler-cpr refresh` as a process against the emulator over real HTTP: 2,000 rows of a
// Danish Excel CSV (BOM, ";", CRLF, quotes, embedded newlines) with blank and invalid CPR cells,
// protected, deceased and unknown persons and injected faults (503s, timeouts): every row out,
// in order, columns kept, unchanged where the register gave nothing, and the journal equal to
// the differences the test computes from the two files with its own CSV reader; JSON Lines;
// killed by SIGINT and SIGKILL at random points (seeded; CLI_KILL_SEED=<seed> repeats a run),
// then --resume until done: the uninterrupted output byte for byte, and no row looked up again
// that a checkpoint had recorded (the emulator's request log); killed while completing; the
// progress bar in a pseudo-terminal.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { CLI, FULL_CPR, closeEmulatorAndFolder, maskedCell, openEmulatorAndFolder, readCsvText, seededRandom } from '../support/cli.mjs';

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

function cli(args, { timeout = 60000 } = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: env(), timeout }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      assert.ok(!`${stdout}${stderr}`.includes(emu.credentials.privateSector.clientSecret), 'no secret printed');
      assert.doesNotMatch(stdout, FULL_CPR);
      assert.doesNotMatch(stderr, FULL_CPR);
      resolve({ code, stdout, stderr });
    });
  });
}

const HEADER = ['Kundenr', 'Navn', 'Adresse1', 'Postnr', 'By', 'CPR', 'Note'];
const MAPPED = ['Navn', 'Adresse1', 'Postnr', 'By'];
const PROTECTED = ['0204882126', '2109145125'];
const DECEASED = ['1406322129', '1203895123'];
const UNKNOWN = '1203750000';
const INVALID = ['12345', '0101701239x', '3213001234', '3102901235'];

/** The kind of row `i` and its CPR cell: blank, invalid, protected, deceased, unknown or seeded. */
function cprCell(i) {
  if (i % 10 === 9) return { kind: 'blank', cpr: i % 20 === 9 ? '' : '   ' };
  if (i % 13 === 12) return { kind: 'invalid', cpr: INVALID[i % INVALID.length] };
  if (i % 97 === 5) return { kind: 'protected', cpr: PROTECTED[i % 2] };
  if (i % 89 === 7) return { kind: 'deceased', cpr: DECEASED[i % 2] };
  if (i % 83 === 11) return { kind: 'unknown', cpr: i % 2 ? UNKNOWN : `${seeded(i).slice(0, 7)}001` };
  const cpr = seeded(i);
  return { kind: 'seeded', cpr: i % 2 ? cpr : i % 4 === 0 ? `${cpr.slice(0, 6)}-${cpr.slice(6)}` : ` ${cpr} ` };
}

/** `rows` customers as Danish Excel writes them: BOM, ";", CRLF, quotes where needed, "\n" inside cells. */
function excelCsv(rows) {
  const kinds = [];
  const data = [];
  for (let i = 0; i < rows; i += 1) {
    const { kind, cpr } = cprCell(i);
    kinds.push(kind);
    const note = i % 7 === 0 ? `Sagde "hej"; ring\nigen ${i}` : i % 11 === 0 ? 'Æble, øl; å' : i % 17 === 0 ? '"' : '';
    const name = i % 5 === 0 ? `Gammel "Navn"; nr ${i}` : i % 19 === 0 ? `Flere\nlinjer ${i}` : `Gammelt Navn ${i}`;
    data.push([`K-${i}`, name, `Gl. Vej ${i}`, i % 3 ? '' : '9999', i % 4 === 1 ? '' : 'Gammelby', cpr, note]);
  }
  const quote = (cell) => (/[";\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
  const text = `\uFEFF${[HEADER, ...data].map((row) => `${row.map(quote).join(';')}\r\n`).join('')}`;
  return { text, data, kinds };
}

const readCsv = (path, delimiter = ';') => parse(readFileSync(path), { bom: true, delimiter, relax_column_count: true });
const readJournal = (path) => readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));

test('refresh of 2,000 Danish Excel rows with faults: every row out in order, columns kept, unchanged where the register gave nothing, the journal is the difference of the two files', async () => {
  const ROWS = 2000;
  const { text, data, kinds } = excelCsv(ROWS);
  const input = join(dir, 'customers.csv');
  writeFileSync(input, text);
  const out = join(dir, 'refreshed.csv');
  const journal = join(dir, 'changes.jsonl');
  // A 503 on every 37th lookup, a lookup held past the client's timeout on every 150th (not
  // retried: --max-attempts 1, so each fault is one failed row).
  emu.faults.add({ mode: 'http503', purpose: 'graphql', every: 37, count: null, retryAfter: 0 });
  emu.faults.add({ mode: 'delay', purpose: 'graphql', every: 150, count: null, delayMs: 1500 });
  const result = await cli(['refresh', setupFile(), '--in', input, '--out', out, '--journal', journal,
    '--cpr-column', 'CPR', '--map', 'name=Navn,address=Adresse1,postCode=Postnr,city=By', '--policy', 'city=ifEmpty',
    '--concurrency', '8', '--max-attempts', '1', '--timeout-ms', '1000'], { timeout: 180000 });
  assert.equal(result.code, 1, result.stderr);
  assert.ok(!existsSync(`${out}.partial`) && !existsSync(`${out}.checkpoint.json`) && !existsSync(`${out}.failures.partial`) && !existsSync(`${journal}.partial`), 'no leftovers');
  assert.equal(readFileSync(input, 'utf8'), text, 'the input is untouched');

  // Both files read by the test's own CSV reader (not csv-parse, which the CLI uses).
  const before = readCsvText(readFileSync(input, 'utf8'), ';');
  assert.deepEqual(before.records, [HEADER, ...data], 'the generated file reads back as generated');
  const outText = readFileSync(out, 'utf8');
  const after = readCsvText(outText, ';');
  assert.ok(after.bom, 'the BOM is kept');
  assert.deepEqual(after.texts.filter((record) => !record.endsWith('\r\n')), [], 'every record ends in CRLF, as the input\'s');
  assert.deepEqual(after.records[0], HEADER, 'the same columns in the same order');
  assert.equal(after.records.length, before.records.length, 'every input row is out, none added');
  assert.deepEqual(readCsv(out).slice(1), after.records.slice(1), 'csv-parse reads the output as the test does');

  // What failed, by the CLI's list on stderr; what was injected, by the emulator's log.
  const listed = new Map([...result.stderr.matchAll(/^row (\d+)(?: \((\d{6}-xxxx)\))?: (.*)$/gm)].map((m) => [Number(m[1]) - 1, { masked: m[2], text: m[3] }]));
  const graphql = emu.log.filter((e) => e.purpose === 'graphql');
  const injected503 = graphql.filter((e) => e.fault === 'http503').length;
  const injectedDelays = graphql.filter((e) => e.fault === 'delay').length;
  assert.ok(injected503 >= 40 && injectedDelays >= 8, `faults were injected (${injected503} 503s, ${injectedDelays} delays)`);
  assert.equal([...listed.values()].filter((f) => /^server_error: /.test(f.text)).length, injected503, 'each 503 is one failed row, listed with its diagnosis');
  assert.equal([...listed.values()].filter((f) => /^timeout: /.test(f.text)).length, injectedDelays, 'each held lookup is one timed-out row');
  assert.equal(graphql.length, kinds.filter((k) => k !== 'blank' && k !== 'invalid').length, 'one lookup per row with a well-formed number, none for blank or invalid cells');

  // The journal against the differences the test computes from the two files.
  const journalText = readFileSync(journal, 'utf8');
  assert.doesNotMatch(journalText, FULL_CPR, 'the journal masks CPR numbers');
  assert.ok(!journalText.includes(emu.credentials.privateSector.clientSecret), 'no secret in the journal');
  const entries = readJournal(journal);
  assert.deepEqual(entries.map((e) => e.row), [...entries.map((e) => e.row)].sort((a, b) => a - b), 'the journal is in row order');
  const byField = (a, b) => a.field.localeCompare(b.field);
  const counts = { changed: 0, unchanged: 0, notFound: 0, failed: 0 };
  for (let i = 0; i < ROWS; i += 1) {
    const was = before.records[i + 1];
    const now = after.records[i + 1];
    const row = `row ${i + 1} (${kinds[i]})`;
    assert.equal(now.length, HEADER.length, `${row}: every column`);
    for (const column of ['Kundenr', 'CPR', 'Note']) {
      assert.equal(now[HEADER.indexOf(column)], was[HEADER.indexOf(column)], `${row}: ${column} is kept, in order`);
    }
    const differences = HEADER.flatMap((column, c) => (now[c] === was[c] ? [] : [{ row: i + 1, cpr: maskedCell(was[5]), field: column, before: was[c], after: now[c] }]));
    const journalled = entries.filter((e) => e.row === i + 1);
    assert.deepEqual(journalled.map(({ row: r, cpr, field, before: b, after: a }) => ({ row: r, cpr, field, before: b ?? '', after: a ?? '' })).sort(byField),
      differences.sort(byField), `${row}: the journal lists exactly the cells that differ`);
    if (differences.length === 0) assert.equal(after.texts[i + 1], before.texts[i + 1], `${row}: an unchanged row is written back byte for byte`);
    const failure = listed.get(i);
    if (failure) counts.failed += 1;
    else if (differences.length) counts.changed += 1;
    else if (kinds[i] === 'unknown') counts.notFound += 1;
    else counts.unchanged += 1;
    if (kinds[i] === 'blank') assert.equal(failure?.text, 'no CPR number; kept as it is', `${row} is listed`);
    if (kinds[i] === 'invalid') assert.match(failure?.text ?? '', /^invalid_cpr_number: /, `${row} is listed`);
    if (['blank', 'invalid', 'unknown', 'protected'].includes(kinds[i]) || failure) {
      assert.deepEqual(now, was, `${row}: the register gave nothing, so the row is as it was`);
    }
    if (failure && !['blank', 'invalid'].includes(kinds[i])) assert.match(failure.text, /^(server_error|timeout): /, `${row}: only an injected fault fails a well-formed number (not found is an outcome)`);
    if (kinds[i] === 'deceased' && !failure) {
      assert.deepEqual(MAPPED.slice(1).map((c) => now[HEADER.indexOf(c)]), MAPPED.slice(1).map((c) => was[HEADER.indexOf(c)]), `${row}: a deceased person's address (history only) is kept`);
      assert.ok(journalled.length > 0 && journalled.every((e) => e.notifications.includes('person_deceased')), `${row}: the journal says the person is deceased`);
    }
    if (kinds[i] === 'seeded' && !failure) {
      assert.notEqual(now[1], was[1], `${row}: the register's name`);
      assert.notEqual(now[2], was[2], `${row}: the register's address`);
      const city = now[HEADER.indexOf('By')];
      assert.equal(city === 'Gammelby', was[HEADER.indexOf('By')] === 'Gammelby', `${row}: city=ifEmpty fills an empty city and keeps a filled one`);
    }
    if (failure?.masked) assert.equal(failure.masked, maskedCell(was[5]), `${row}: listed with its masked number`);
  }
  const summary = /Refreshed 2000 rows into .*: (\d+) changed, (\d+) unchanged, (\d+) not found, (\d+) failed/.exec(result.stderr);
  assert.ok(summary, result.stderr);
  assert.deepEqual({ changed: Number(summary[1]), unchanged: Number(summary[2]), notFound: Number(summary[3]), failed: Number(summary[4]) }, counts,
    'the summary counts what the files show: changed rows differ, failed rows are listed, unknown numbers are not found');
});

test('refresh of JSON Lines keeps key order and unchanged lines byte for byte', async () => {
  const input = join(dir, 'customers.jsonl');
  const lines = [
    JSON.stringify({ id: 1, cpr: '0707610123', name: 'J. T.', address: 'Gl. Vej 1', extra: { a: [1, 2] } }),
    JSON.stringify({ id: 2, cpr: UNKNOWN, name: 'Ukendt' }),
    'not json',
    JSON.stringify({ id: 4, cpr: PROTECTED[0], name: 'Beskyttet', address: 'Hemmelig 1' }),
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
function plainCsv(rows = ROWS) {
  return `cpr,name,address\n${Array.from({ length: rows }, (_, i) => `${seeded(i)},Old ${i},Street ${i}`).join('\n')}\n`;
}

async function waitFor(predicate, { tries = 3000, everyMs = 2 } = {}) {
  for (let i = 0; i < tries; i += 1) {
    if (predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error('gave up waiting');
}

/** The rows the checkpoint next to `out` has recorded (0 when there is none). */
function recordedRows(out) {
  const path = `${out}.checkpoint.json`;
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')).state.rowsDone : 0;
}

const lastSeq = () => emu.log.at(-1)?.seq ?? 0;
const lookupsAfter = (seq) => emu.log.filter((e) => e.purpose === 'graphql' && e.seq > seq);

/** Shuffles `list` in place with `random`. */
function shuffle(list, random) {
  for (let i = list.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

const KILL_ROWS = 240;

test('killed at random points by SIGINT and SIGKILL, then --resume until done: the uninterrupted output byte for byte, the input untouched, the output absent or complete at every kill, nobody looked up again whom a checkpoint recorded', async (t) => {
  // CLI_KILL_SEED=<seed> repeats a run's kill points; every assertion names the seed.
  const seed = Number(process.env.CLI_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.diagnostic(`kill points from seed ${seed} (CLI_KILL_SEED=${seed} repeats them)`);
  const random = seededRandom(seed);
  const plan = [];
  const why = (text) => `${text} [seed ${seed}; CLI_KILL_SEED=${seed} repeats these kill points: ${JSON.stringify(plan)}]`;
  const setup = setupFile();
  const inputText = plainCsv(KILL_ROWS);
  const input = join(dir, 'kill.csv');
  writeFileSync(input, inputText);

  // The reference: the same command, never interrupted.
  const refOut = join(dir, 'kill-reference.csv');
  const refJournal = join(dir, 'kill-reference.jsonl');
  const whole = await cli(['refresh', setup, '--in', input, '--out', refOut, '--journal', refJournal, '--concurrency', '4']);
  assert.equal(whole.code, 0, whole.stderr);
  assert.match(whole.stderr, new RegExp(`^refresh: ${KILL_ROWS}/${KILL_ROWS} rows, 0 failed, [\\d.]+ rows/s$`, 'm'), 'plain progress lines when not a terminal');
  const reference = { out: readFileSync(refOut, 'utf8'), journal: readFileSync(refJournal, 'utf8') };
  assert.deepEqual(readCsv(refOut, ',').map((row) => row[0]), ['cpr', ...Array.from({ length: KILL_ROWS }, (_, i) => seeded(i))], 'every row, in order');
  assert.equal(readJournal(refJournal).length, KILL_ROWS * 2, 'name and address of every row');

  const out = join(dir, 'kill-out.csv');
  const journal = join(dir, 'kill-changes.jsonl');
  const args = ['refresh', setup, '--in', input, '--out', out, '--journal', journal, '--concurrency', '4', '--quiet'];
  // Each signal once, in either order, after some lookups; then two more of either, at any
  // point (also during start-up, before the signal handler exists).
  const signals = [...shuffle([{ signal: 'SIGINT', anyTime: false }, { signal: 'SIGKILL', anyTime: false }], random),
    ...[0, 1].map(() => ({ signal: random() < 0.5 ? 'SIGINT' : 'SIGKILL', anyTime: true }))];
  const kills = [];
  const runStarts = [];
  let refusalsChecked = false;
  for (const { signal, anyTime } of signals) {
    const remaining = KILL_ROWS - recordedRows(out);
    if (remaining < 20) break;
    const point = anyTime && random() < 0.3
      ? { signal, afterMs: Math.floor(random() * 300) }
      : { signal, afterLookups: 1 + Math.floor(random() * Math.floor(remaining * 0.8)) };
    plan.push(point);
    const resume = existsSync(`${out}.checkpoint.json`);
    const startSeq = lastSeq();
    runStarts.push(startSeq);
    const child = spawn(process.execPath, [CLI, ...args, ...(resume ? ['--resume'] : [])], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    let ended = false;
    const exited = new Promise((resolve) => child.on('exit', (code, sig) => { ended = true; resolve({ code, sig }); }));
    if (point.afterMs !== undefined) await new Promise((resolve) => setTimeout(resolve, point.afterMs));
    else await waitFor(() => ended || lookupsAfter(startSeq).length >= point.afterLookups);
    child.kill(signal);
    const { code, sig } = await exited;
    // Requests the process wrote before it died reach the emulator's log by now.
    await new Promise((resolve) => setTimeout(resolve, 50));
    point.outcome = code ?? sig;
    assert.ok(code === 130 || code === 0 || sig === signal, why(`${signal}: exit ${code} ${sig}: ${stderr}`));
    if (code === 130) assert.match(stderr, new RegExp(`Interrupted after \\d+ of ${KILL_ROWS} rows; .* Run the same command with --resume`), why('the interruption says how to go on'));
    assert.equal(readFileSync(input, 'utf8'), inputText, why(`${signal}: the input is untouched`));
    assert.ok(!existsSync(out) || readFileSync(out, 'utf8') === reference.out, why(`${signal}: the output is absent or complete`));
    assert.ok(!existsSync(journal) || readFileSync(journal, 'utf8') === reference.journal, why(`${signal}: the journal is absent or complete`));
    kills.push({ signal, code, sig, recorded: recordedRows(out), seq: lastSeq() });
    if (existsSync(out)) break; // it finished before the signal came
    if (!refusalsChecked && existsSync(`${out}.checkpoint.json`)) {
      refusalsChecked = true;
      const seq = lastSeq();
      const again = await cli(args);
      assert.equal(again.code, 2, why('a new run next to a checkpoint is refused'));
      assert.match(again.stderr, /add --resume to continue it/, why('the refusal says to add --resume'));
      const other = await cli([...args, '--resume', '--policy', 'name=never']);
      assert.equal(other.code, 2, why('a resume with other options is refused'));
      assert.match(other.stderr, /is of another run/, why('the refusal says why'));
      assert.equal(lookupsAfter(seq).length, 0, why('a refused run looks nobody up'));
    }
  }
  assert.ok(kills.some((k) => k.signal === 'SIGINT' && k.code === 130), why('a SIGINT interrupted a run (exit 130)'));
  assert.ok(kills.some((k) => k.signal === 'SIGKILL' && k.sig === 'SIGKILL'), why('a SIGKILL ended a run'));

  if (!existsSync(out)) {
    runStarts.push(lastSeq());
    const resumed = await cli([...args, ...(existsSync(`${out}.checkpoint.json`) ? ['--resume'] : [])]);
    assert.equal(resumed.code, 0, why(resumed.stderr));
    assert.match(resumed.stderr, new RegExp(`Refreshed ${KILL_ROWS} rows into `), why('the resumed run completes'));
  }
  assert.equal(readFileSync(out, 'utf8'), reference.out, why('the same output as an uninterrupted run, byte for byte'));
  assert.equal(readFileSync(journal, 'utf8'), reference.journal, why('the same journal as an uninterrupted run'));
  assert.equal(readFileSync(input, 'utf8'), inputText, why('the input is untouched'));
  for (const leftover of [`${out}.partial`, `${out}.checkpoint.json`, `${out}.failures.partial`, `${journal}.partial`]) {
    assert.ok(!existsSync(leftover), why(`${leftover} is removed at the end`));
  }

  // The request log: after each kill, nobody the checkpoint had recorded is looked up again;
  // within a run nobody twice; the last run looks up exactly the rows after the last checkpoint.
  const rowOf = new Map(Array.from({ length: KILL_ROWS }, (_, i) => [`${seeded(i).slice(0, 6)}-xxxx`, i]));
  for (const kill of kills) {
    const again = lookupsAfter(kill.seq).flatMap((e) => e.cprNumbers ?? []).filter((masked) => rowOf.get(masked) < kill.recorded);
    assert.deepEqual(again, [], why(`after the ${kill.signal} (checkpoint at ${kill.recorded} rows) no recorded row is looked up again`));
  }
  runStarts.forEach((start, r) => {
    const end = runStarts[r + 1] ?? Infinity;
    const looked = lookupsAfter(start).filter((e) => e.seq <= end).flatMap((e) => e.cprNumbers ?? []);
    assert.equal(new Set(looked).size, looked.length, why(`run ${r + 1} looks nobody up twice`));
  });
  // The last run started from the checkpoint the last kill left, or, when that run finished
  // before its signal came, from the one before.
  const finishedBeforeKill = existsSync(out) && kills.at(-1).code === 0;
  const from = finishedBeforeKill ? kills.at(-2)?.recorded ?? 0 : kills.at(-1).recorded;
  const lastRun = lookupsAfter(runStarts.at(-1)).flatMap((e) => e.cprNumbers ?? []).map((masked) => rowOf.get(masked)).sort((a, b) => a - b);
  assert.deepEqual(lastRun, Array.from({ length: KILL_ROWS - from }, (_, k) => from + k), why(`the last run looks up exactly the rows after the last checkpoint (${from})`));
});

test('killed while completing (the output renamed, the journal and checkpoint not yet): --resume completes the run without looking anyone up', async () => {
  const input = join(dir, 'completing.csv');
  writeFileSync(input, plainCsv());
  const out = join(dir, 'completing-out.csv');
  const journal = join(dir, 'completing-changes.jsonl');
  const args = ['refresh', setupFile(), '--in', input, '--out', out, '--journal', journal, '--concurrency', '4', '--quiet'];
  const reference = await cli([...args.slice(0, 4), '--out', join(dir, 'completing-reference.csv'), '--journal', join(dir, 'completing-reference.jsonl'), ...args.slice(8)]);
  assert.equal(reference.code, 0, reference.stderr);
  const killed = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', new URL('../support/kill-after-rename.mjs', import.meta.url).href, CLI, ...args], { env: env(), stdio: 'ignore' });
    child.on('exit', (code, sig) => resolve(sig));
  });
  assert.equal(killed, 'SIGKILL');
  assert.equal(readFileSync(out, 'utf8'), readFileSync(join(dir, 'completing-reference.csv'), 'utf8'), 'the output is complete');
  assert.ok(existsSync(`${out}.checkpoint.json`) && existsSync(`${journal}.partial`) && !existsSync(journal), 'killed between the renames');
  emu.clearLog();
  const resumed = await cli([...args, '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /Refreshed 90 rows into .*: 90 changed, 0 unchanged, 0 not found, 0 failed/);
  assert.equal(readFileSync(journal, 'utf8'), readFileSync(join(dir, 'completing-reference.jsonl'), 'utf8'), 'the journal takes its name');
  assert.ok(!existsSync(`${out}.checkpoint.json`) && !existsSync(`${out}.failures.partial`), 'no leftovers');
  assert.equal(emu.log.filter((e) => e.purpose === 'graphql' || e.purpose === 'token').length, 0, 'nobody looked up, no token fetched');
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
