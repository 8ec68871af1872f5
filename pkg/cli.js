#!/usr/bin/env node
// datafordeler-cpr: the command line (README, "Command line"). Written on the library's public
// API only. Exit codes: 0 ok, 1 the operation's outcome was a failure (setup errors, a failed
// connection step, a lookup that failed), 2 the command could not run (usage, unreadable input).
// Nothing secret and no full CPR number is ever printed: every line leaves through `out`/`err`,
// which redact with the setup's own secrets and mask CPR numbers.
import {
  closeSync, createReadStream, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync,
  renameSync, statSync, unlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { createInterface } from 'node:readline';
import { resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { parse as parseCsv } from 'csv-parse';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { CprClient, mergePerson, redact, resolveEndpoints, validateCpr, validateSetup } from './index.node.js';
import { createCertificateFetch, writeDebugCaptures } from './node.js';
import { lookupStream } from './stream.js';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_INTERRUPTED = 130;

/** A failure that ends the command with `exitCode` and a message on stderr. */
class CliError extends Error {
  constructor(message, exitCode = EXIT_USAGE) {
    super(message);
    this.exitCode = exitCode;
  }
}

const SECRET_FLAG = /^--?(client[-_]?secret|secret|password|passwd|pwd|passphrase|certificate[-_]?password|cert[-_]?password|token|access[-_]?token|api[-_]?key)(=|$)/i;

const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  pfx: { type: 'string' },
  ca: { type: 'string' },
  'debug-dir': { type: 'string' },
  'timeout-ms': { type: 'string' },
  'max-attempts': { type: 'string' },
};

const COMMON_HELP = `Setup and secrets:
  <setup.json>             the setup as JSON (the fields of validateSetup; README, "validateSetup")
  CPR_CLIENT_SECRET        environment variable: the client secret (else the setup file's clientSecret)
  CPR_CERTIFICATE_PASSWORD environment variable: the PFX password (else the setup file's certificatePassword)
  --pfx <path>             the certificate (PFX) for the certificate method (else the setup file's certificate, base64)
  --ca <path>              extra CA certificate (PEM) to trust for the certificate token endpoint
  --debug-dir <dir>        write a redacted debug capture (JSON) of each operation into <dir>
  --timeout-ms <n>         per-request timeout (default 20000)
  --max-attempts <n>       attempts for retryable failures (1 to 10, default 4)
  --json                   machine-readable output on stdout
  -h, --help               this help
Secrets are never accepted as arguments (they would show in ps and shell history).`;

const COMMANDS = {
  check: {
    summary: 'validate a setup file',
    usage: 'datafordeler-cpr check <setup.json> [--json]',
    text: `Validates the setup (fields, severities, messages). Exit 0 when it has no errors (warnings
are printed), 1 when it has errors, 2 when the file cannot be read or is not JSON.`,
    examples: ['datafordeler-cpr check setup.json', 'datafordeler-cpr check setup.json --json | jq .issues'],
    options: {},
    run: runCheck,
  },
  endpoints: {
    summary: 'show the resolved URLs and where each comes from',
    usage: 'datafordeler-cpr endpoints <setup.json> [--json]',
    text: `Prints the GraphQL, schema, token and portal URLs the setup resolves to, each with its
provenance (verified, observed, inferred, override). Exit 1 when the setup cannot resolve them.`,
    examples: ['datafordeler-cpr endpoints setup.json', 'datafordeler-cpr endpoints setup.json --json'],
    options: {},
    run: runEndpoints,
  },
  test: {
    summary: 'test the connection step by step',
    usage: 'datafordeler-cpr test <setup.json> [--json] [--pfx file.pfx] [--debug-dir dir]',
    text: `Runs the connection test: setup, endpoints, token, GraphQL reachable, entity authorised.
A failed step shows its cause, the fix and the settings to check. Exit 0 when every step
passed, 1 when one failed.`,
    examples: ['CPR_CLIENT_SECRET=… datafordeler-cpr test setup.json',
      'CPR_CERTIFICATE_PASSWORD=… datafordeler-cpr test setup.json --pfx erp.pfx',
      'datafordeler-cpr test setup.json --json --debug-dir captures'],
    options: {},
    run: runTest,
  },
  schema: {
    summary: 'fetch the CPR schema and report drift',
    usage: 'datafordeler-cpr schema <setup.json> [--out file.graphql] [--json]',
    text: `"Fetch CPR Schema": downloads the service's GraphQL schema (SDL) and reports how it differs
from what the library queries (missing fields, missing required fields, unused fields).
--out writes the SDL to a file. Exit 0 when lookups work with the schema, 1 when the fetch
failed or the drift breaks lookups.`,
    examples: ['datafordeler-cpr schema setup.json --out cpr.graphql', 'datafordeler-cpr schema setup.json --json'],
    options: { out: { type: 'string', short: 'o' } },
    run: runSchema,
  },
  lookup: {
    summary: 'look up persons by CPR number',
    usage: 'datafordeler-cpr lookup <setup.json> <cpr>… [--json]',
    text: `Looks up each number and prints a table (or JSON lines with --json). CPR numbers are shown
masked (DDMMYY-xxxx). A protected person says so; a number CPR does not know is the outcome
"not found", not an error. Exit 0 when every lookup had an outcome, 1 when one failed (an
invalid number, a failed request).`,
    examples: ['datafordeler-cpr lookup setup.json DDMMYY-SSSS DDMMYYSSSS',
      'datafordeler-cpr lookup setup.json DDMMYY-SSSS --json'],
    options: {},
    minPositionals: 2,
    run: runLookup,
  },
  refresh: {
    summary: 'refresh a customer file (CSV or JSON Lines) from the register',
    usage: 'datafordeler-cpr refresh <setup.json> --in customers.csv --out refreshed.csv [options] [--json]',
    text: `The batch refresh an ERP runs: reads every row, looks its CPR number up, merges the person
into the row (never losing a value: a protected name, an unknown number, a failed lookup keep
the row's data) and writes the rows in the same order with the same columns. CSV (BOM, quoting,
embedded newlines, the separator detected: ";" as Danish Excel writes it, "," or tab) or JSON
Lines, by the input's extension or --format. The output is written to <out>.partial and renamed
at the end; <out>.checkpoint.json records the progress, so after Ctrl-C, a crash or a kill
"--resume" continues without looking anyone up twice. Rows that failed are listed on stderr
with their diagnosis. Exit 0 when every row had an outcome, 1 when some failed (the output is
complete), 130 when interrupted (run again with --resume), 2 on usage errors. --json prints
the summary (rows, changed, unchanged, notFound, failed) as JSON on stdout.`,
    examples: ['datafordeler-cpr refresh setup.json --in customers.csv --out refreshed.csv --journal changes.jsonl',
      'datafordeler-cpr refresh setup.json --in customers.csv --out refreshed.csv --cpr-column CPR --map name=Name,address=Address1,postCode=Zip,city=City --policy city=ifEmpty --concurrency 8',
      'datafordeler-cpr refresh setup.json --in customers.csv --out refreshed.csv --resume'],
    options: {
      in: { type: 'string' },
      out: { type: 'string', short: 'o' },
      'cpr-column': { type: 'string' },
      map: { type: 'string' },
      policy: { type: 'string' },
      concurrency: { type: 'string' },
      journal: { type: 'string' },
      format: { type: 'string' },
      resume: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
    },
    run: runRefresh,
  },
};

function mainHelp() {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return `datafordeler-cpr: look up Danish persons in the CPR register through Datafordeleren

Usage: datafordeler-cpr <command> <setup.json> [options]

Commands:
${Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`).join('\n')}

Run "datafordeler-cpr <command> --help" for a command's options and examples.
Exit codes: 0 ok, 1 failed (setup errors, failed test step, failed lookup), 2 usage or unreadable input.`;
}

const OPTION_HELP = {
  out: '-o, --out <file>         write the SDL (schema) or the refreshed rows (refresh) to <file>',
  in: '--in <file>              the rows to refresh (CSV or JSON Lines)',
  'cpr-column': '--cpr-column <name>      the column (JSON key) holding the CPR number (default cpr)',
  map: '--map f=Col,…            the columns of the merged fields (name, address, address2, postCode, city,\n                           countryCode, cprStatus, statusDate, birthDate, deathDate, …); unmapped ones by their own name',
  policy: '--policy f=p,…           per field: always (default), ifEmpty or never',
  concurrency: '--concurrency <n>        lookups at once (1 to 64, default 8)',
  journal: '--journal <file>         a JSON line per changed field: row, masked CPR, field, before, after, notifications',
  format: '--format csv|jsonl       the input and output format (default: by the input\'s extension)',
  resume: '--resume                 continue an interrupted run from its checkpoint',
  quiet: '-q, --quiet              no progress on stderr',
};

function commandHelp(name) {
  const command = COMMANDS[name];
  const own = Object.keys(command.options).map((flag) => `  ${OPTION_HELP[flag]}`);
  return `Usage: ${command.usage}

${command.text}
${own.length ? `\nOptions:\n${own.join('\n')}\n` : ''}
${COMMON_HELP}

Examples:
${command.examples.map((line) => `  ${line}`).join('\n')}`;
}

/** Output that has passed through redaction: secrets of the setup and CPR numbers never leave. */
function makeOutput(io) {
  const secrets = [];
  const clean = (text) => redact(String(text), { secrets: secrets.slice(0, 16) });
  return {
    addSecret(value) { if (typeof value === 'string' && value.length > 0 && value.length <= 4096) secrets.push(value); },
    out(text) { io.stdout.write(`${clean(text)}\n`); },
    help(text) { io.stdout.write(`${text}\n`); }, // static text of this file
    // The library's own composed text (validateSetup's messages quote no value). redact's rules
    // for secret-named fields would blank a word of "Enter the CPR Client Secret: the shared
    // secret …", so such a line is printed as written when redact finds nothing else in it; when
    // it finds one of the setup's secrets (in any form it knows) or a CPR number, or the line
    // holds a secret as it is (also where the rules blank it anyway), it is printed as redact
    // returns it.
    outLibrary(text) {
      const line = String(text);
      const redacted = clean(line);
      const asWritten = redacted === redact(line, { maskCpr: false }) && !secrets.some((secret) => line.includes(secret));
      io.stdout.write(`${asWritten ? line : redacted}\n`);
    },
    err(text) { io.stderr.write(`${clean(text)}\n`); },
    jsonLine(value) { io.stdout.write(`${JSON.stringify(redact(value, { secrets: secrets.slice(0, 16) }))}\n`); },
    json(value) { io.stdout.write(`${JSON.stringify(redact(value, { secrets: secrets.slice(0, 16) }), null, 2)}\n`); },
  };
}

function parseCommand(name, argv) {
  const command = COMMANDS[name];
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs' messages name the flag (never a value we would not print anyway).
    throw new CliError(`${error.message.replace(/\. To specify a positional argument.*$/s, '.')}\nRun "datafordeler-cpr ${name} --help" for usage.`);
  }
  return parsed;
}

function positiveInt(values, flag, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}) {
  const text = values[flag];
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new CliError(`--${flag} must be a whole number from ${min} to ${max}.`);
  }
  return Number(text);
}

function readSetup(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read the setup file ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.code ?? error.message}.`);
  }
  let setup;
  try {
    setup = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    // The parser's message can quote the file's text (a secret): say only where.
    throw new CliError(`The setup file ${path} is not valid JSON (${/position \d+/.exec(error.message)?.[0] ?? 'unreadable'}).`);
  }
  if (setup === null || typeof setup !== 'object' || Array.isArray(setup)) {
    throw new CliError(`The setup file ${path} must hold a JSON object (the setup's fields).`);
  }
  return setup;
}

/** The setup file with the secrets from the environment and the PFX from --pfx. */
function loadSetup(path, values, env, output) {
  const setup = readSetup(path);
  if (env.CPR_CLIENT_SECRET) setup.clientSecret = env.CPR_CLIENT_SECRET;
  if (env.CPR_CERTIFICATE_PASSWORD) setup.certificatePassword = env.CPR_CERTIFICATE_PASSWORD;
  output.addSecret(setup.clientSecret);
  output.addSecret(setup.certificatePassword);
  if (values.pfx !== undefined) {
    try {
      setup.certificate = readFileSync(values.pfx).toString('base64');
    } catch (error) {
      throw new CliError(`Cannot read the PFX file ${values.pfx}: ${error.code === 'ENOENT' ? 'no such file' : error.code ?? error.message}.`);
    }
  }
  if (values['debug-dir'] !== undefined) setup.debugMode = true;
  return setup;
}

function makeClient(setup, values, extra = {}) {
  const options = { ...extra };
  const timeoutMs = positiveInt(values, 'timeout-ms', { min: 1, max: 600000 });
  const maxAttempts = positiveInt(values, 'max-attempts', { min: 1, max: 10 });
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  if (maxAttempts !== undefined) options.maxAttempts = maxAttempts;
  if (values['debug-dir'] !== undefined) {
    try {
      mkdirSync(values['debug-dir'], { recursive: true });
    } catch (error) {
      throw new CliError(`Cannot create the debug directory ${values['debug-dir']}: ${error.code ?? error.message}.`);
    }
    options.onDebug = writeDebugCaptures(values['debug-dir']);
  }
  if (setup.authMethod === 'certificate') {
    if (setup.certificate === undefined || setup.certificate === null || setup.certificate === '') {
      throw new CliError('The certificate method needs the PFX: pass --pfx <path>, or put it (base64) in the setup file\'s "certificate".');
    }
    let ca;
    if (values.ca !== undefined) {
      try {
        ca = readFileSync(values.ca, 'utf8');
      } catch (error) {
        throw new CliError(`Cannot read the CA file ${values.ca}: ${error.code ?? error.message}.`);
      }
    }
    const pfx = typeof setup.certificate === 'string' ? Buffer.from(setup.certificate, 'base64') : Uint8Array.from(setup.certificate);
    options.fetch = createCertificateFetch({ pfx, passphrase: setup.certificatePassword ?? '', ...(ca ? { ca } : {}) });
  }
  return new CprClient(setup, options);
}

function describeError(error) {
  const lines = [`${error.code ? `${error.code}: ` : ''}${error.message ?? String(error)}`];
  const d = error.diagnosis;
  if (d) {
    if (d.cause) lines.push(`  cause: ${d.cause}`);
    if (d.solution) lines.push(`  fix:   ${d.solution}`);
    if (d.settings?.length) lines.push(`  check: ${d.settings.join(', ')}`);
    if (d.detail) lines.push(`  server said: ${d.detail}`);
  }
  return lines.join('\n');
}

function errorJson(error) {
  const result = { code: error.code ?? 'error', message: error.message ?? String(error) };
  if (error.field) result.field = error.field;
  if (error.diagnosis) result.diagnosis = error.diagnosis;
  return result;
}

/** A library error becomes exit 1 with its diagnosis (a bad setup is 1 too: the input was read). */
function operationFailed(error) {
  if (error instanceof CliError) return error;
  return new CliError(describeError(error), EXIT_FAILED);
}

// --- commands ---------------------------------------------------------------------------

function runCheck({ positionals, values, env, output }) {
  const setup = loadSetup(positionals[0], values, env, output);
  const report = validateSetup(setup);
  const errors = report.issues.filter((issue) => issue.severity === 'error').length;
  if (values.json) {
    output.json(report);
  } else {
    for (const issue of report.issues) output.outLibrary(`${issue.severity.padEnd(7)} ${issue.field ?? '-'}: ${issue.message} [${issue.code}]`);
    const warnings = report.issues.filter((issue) => issue.severity === 'warning').length;
    output.out(errors ? `The setup has ${errors} error(s) and ${warnings} warning(s).` : `The setup is valid${warnings ? ` (${warnings} warning(s))` : ''}.`);
  }
  return errors ? EXIT_FAILED : EXIT_OK;
}

function runEndpoints({ positionals, values, output }) {
  const setup = readSetup(positionals[0]);
  let resolved;
  try {
    resolved = resolveEndpoints(setup);
  } catch (error) {
    throw operationFailed(error);
  }
  if (values.json) {
    output.json(resolved);
    return EXIT_OK;
  }
  output.out(`${resolved.environmentLabel} (${resolved.environment}), ${resolved.sectorType} sector, ${resolved.authMethod}, API ${resolved.apiVersion}`);
  output.out(`Entity: ${resolved.entity} (service ${resolved.service})`);
  for (const key of ['graphqlUrl', 'schemaUrl', 'tokenUrl', 'portalUrl']) {
    output.out(`${key.padEnd(10)} ${resolved[key]}  [${resolved.provenance?.[key] ?? 'unknown'}]`);
  }
  // With apiVersion auto the URLs above are the first candidate; a client tries them in order.
  if (resolved.negotiate) {
    output.out('Versions tried in order on first use (the next only after a 404):');
    for (const c of resolved.candidates) output.out(`  ${c.apiVersion.padEnd(4)} ${c.graphqlUrl}  [${c.provenance}]`);
  }
  return EXIT_OK;
}

async function runTest({ positionals, values, env, output }) {
  const setup = loadSetup(positionals[0], values, env, output);
  const client = makeClient(setup, values);
  let report;
  try {
    report = await client.testConnection();
  } catch (error) {
    throw operationFailed(error);
  }
  if (values.json) {
    output.json(report);
  } else {
    for (const step of report.steps) {
      output.out(`${step.status.toUpperCase().padEnd(7)} ${step.step}: ${step.message ?? ''}`);
      const d = step.diagnosis;
      if (d) {
        if (d.cause) output.out(`        cause: ${d.cause}`);
        if (d.solution) output.out(`        fix:   ${d.solution}`);
        if (d.settings?.length) output.out(`        check: ${d.settings.join(', ')}`);
      }
    }
    output.out(report.ok ? 'Connection test passed.' : 'Connection test failed.');
  }
  return report.ok ? EXIT_OK : EXIT_FAILED;
}

async function runSchema({ positionals, values, env, output }) {
  const setup = loadSetup(positionals[0], values, env, output);
  const client = makeClient(setup, values);
  let sdl;
  let drift;
  try {
    sdl = await client.fetchSchema();
    drift = await client.checkSchema();
  } catch (error) {
    throw operationFailed(error);
  }
  if (values.out !== undefined) {
    try {
      writeFileSync(values.out, sdl);
    } catch (error) {
      throw new CliError(`Cannot write ${values.out}: ${error.code ?? error.message}.`, EXIT_FAILED);
    }
  }
  if (values.json) {
    output.json({ ...drift, ...(values.out !== undefined ? { written: values.out } : {}), bytes: Buffer.byteLength(sdl) });
  } else {
    output.out(`Schema fetched (${Buffer.byteLength(sdl)} bytes)${values.out !== undefined ? `, written to ${values.out}` : ''}.`);
    output.out(`Root field: ${drift.rootField ?? '-'}; filter: ${drift.filter?.text ?? '-'}`);
    output.out(`Missing fields: ${drift.missingFields.length ? drift.missingFields.join(', ') : 'none'}`);
    output.out(`Missing required fields: ${drift.missingRequired.length ? drift.missingRequired.join(', ') : 'none'}`);
    output.out(`Unused fields: ${drift.unusedFields.length ? drift.unusedFields.join(', ') : 'none'}`);
    for (const issue of drift.issues) output.out(`${issue.severity ?? 'issue'}: ${issue.message}`);
    output.out(drift.ok ? 'Lookups work with this schema.' : 'The schema breaks lookups: see the issues above.');
  }
  return drift.ok ? EXIT_OK : EXIT_FAILED;
}

function personSummary(person) {
  if (!person) return { status: 'not found', name: '', address: '', protection: '' };
  const protections = (person.protections ?? []).filter((p) => p.active).map((p) => p.type);
  return {
    status: person.status ?? '',
    name: person.nameWithheld ? '(protected)' : person.name?.addressing ?? '',
    address: person.addressWithheld ? '(protected)' : (person.address?.lines ?? []).join(', '),
    protection: protections.join(', '),
  };
}

async function runLookup({ positionals, values, env, output }) {
  const setup = loadSetup(positionals[0], values, env, output);
  const numbers = positionals.slice(1);
  const client = makeClient(setup, values);
  const results = await client.lookupMany(numbers.map((cpr) => ({ cpr })), { concurrency: 4 });
  let failed = 0;
  const rows = [];
  for (const result of results) {
    const check = validateCpr(numbers[result.index]);
    const masked = check.masked ?? '(invalid)';
    if (!result.ok) {
      failed += 1;
      rows.push({ cpr: masked, outcome: 'error', error: errorJson(result.error) });
      continue;
    }
    const { person, notifications } = result.value;
    rows.push({ cpr: masked, outcome: person ? 'found' : 'not_found', ...(person ? { person } : {}), notifications });
  }
  if (values.json) {
    for (const row of rows) output.jsonLine(row);
  } else {
    const table = rows.map((row) => {
      if (row.outcome === 'error') return [row.cpr, 'error', '', '', `${row.error.code}: ${row.error.message}`];
      const s = personSummary(row.person);
      const notes = row.notifications.map((n) => n.code).join(', ');
      return [row.cpr, s.status, s.name, s.address, [s.protection && `protected: ${s.protection}`, notes].filter(Boolean).join('; ')];
    });
    const header = ['CPR', 'STATUS', 'NAME', 'ADDRESS', 'NOTES'];
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
    const line = (cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
    output.out(line(header));
    for (const row of table) output.out(line(row));
    for (const row of rows) {
      if (row.outcome === 'error' && row.error.diagnosis) {
        output.err(`${row.cpr}: ${describeError(row.error)}`);
      }
    }
  }
  return failed ? EXIT_FAILED : EXIT_OK;
}

// --- refresh --------------------------------------------------------------------------

const FLUSH_ROWS = 50;
const FLUSH_MS = 500;
const PROGRESS_MS = 2000;

function pairs(text, flag) {
  const result = {};
  if (text === undefined) return result;
  for (const part of text.split(',')) {
    const match = /^\s*([^=\s]+)\s*=\s*(.+?)\s*$/.exec(part);
    if (!match) throw new CliError(`--${flag} takes field=value pairs separated by commas (e.g. name=Name,city=City); "${part}" is not one.`);
    result[match[1]] = match[2];
  }
  return result;
}

/** BOM, separator and line ending from the start of a CSV file. */
function sniffCsv(path) {
  const fd = openSync(path, 'r');
  const buffer = Buffer.alloc(65536);
  const length = readSync(fd, buffer, 0, buffer.length, 0);
  closeSync(fd);
  const bom = length >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf;
  const text = buffer.subarray(bom ? 3 : 0, length).toString('utf8');
  let quoted = false;
  const counts = { ';': 0, ',': 0, '\t': 0 };
  let end = text.length;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '\n') { end = i; break; }
    else if (!quoted && ch in counts) counts[ch] += 1;
  }
  const delimiter = Object.entries(counts).sort((a, b) => b[1] - a[1])[0][1] > 0
    ? Object.entries(counts).sort((a, b) => b[1] - a[1])[0][0] : ',';
  const crlf = end > 0 && text[end - 1] === '\r';
  return { bom, delimiter, crlf };
}

/** The data rows of the input, as { fields (CSV array) | object (JSONL), raw (JSONL line) }. */
async function* readRows(path, format, csv) {
  if (format === 'csv') {
    const parser = createReadStream(path).pipe(parseCsv({ bom: true, delimiter: csv.delimiter, relax_column_count: true, skip_empty_lines: true, relax_quotes: true }));
    for await (const fields of parser) yield { fields };
    return;
  }
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let object;
    try {
      object = JSON.parse(line);
    } catch {
      object = undefined;
    }
    yield { raw: line, object: object !== null && typeof object === 'object' && !Array.isArray(object) ? object : undefined };
  }
}

function cellText(value) {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : String(value);
}

async function countRows(path, format, csv) {
  let count = 0;
  for await (const _ of readRows(path, format, csv)) count += 1; // eslint-disable-line no-unused-vars
  return format === 'csv' ? Math.max(0, count - 1) : count;
}

function openAt(path, bytes, fresh) {
  if (fresh || !existsSync(path)) {
    const fd = openSync(path, 'w');
    return fd;
  }
  const fd = openSync(path, 'r+');
  ftruncateSync(fd, bytes);
  return fd;
}

function makeProgress(quiet, total, stderr) {
  const started = Date.now();
  if (quiet) return { update() {}, stop() {} };
  if (stderr.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream: stderr,
      format: 'refresh [{bar}] {value}/{total} rows | {failures} failed | {rate} rows/s | ETA {eta_formatted}',
      hideCursor: true,
    }, cliProgress.Presets.shades_classic);
    bar.start(total, 0, { failures: 0, rate: '0' });
    return {
      update(done, failures) {
        const seconds = (Date.now() - started) / 1000;
        bar.update(done, { failures, rate: seconds > 0 ? (done / seconds).toFixed(1) : '0' });
      },
      stop() { bar.stop(); },
    };
  }
  let last = 0;
  let lastDone = -1;
  const line = (done, failures) => {
    const seconds = (Date.now() - started) / 1000;
    stderr.write(`refresh: ${done}/${total} rows, ${failures} failed, ${seconds > 0 ? (done / seconds).toFixed(1) : '0'} rows/s\n`);
    lastDone = done;
  };
  return {
    update(done, failures) {
      if (Date.now() - last >= PROGRESS_MS) {
        last = Date.now();
        line(done, failures);
      }
      this.done = done;
      this.failures = failures;
    },
    stop() { if (this.done !== undefined && this.done !== lastDone) line(this.done, this.failures); },
  };
}

/** The refresh's options from its flags, checked before anything is read or written. */
function refreshOptions(values) {
  for (const flag of ['in', 'out']) {
    if (values[flag] === undefined) throw new CliError(`refresh needs --${flag} <file>. Usage: ${COMMANDS.refresh.usage}`);
  }
  const inPath = values.in;
  const outPath = values.out;
  if (resolvePath(inPath) === resolvePath(outPath)) throw new CliError('--out must be another file than --in: the input is never changed.');
  let format = values.format;
  if (format === undefined) {
    if (/\.csv$/i.test(inPath)) format = 'csv';
    else if (/\.(jsonl|ndjson)$/i.test(inPath)) format = 'jsonl';
    else throw new CliError(`Cannot tell the format of ${inPath} from its extension: pass --format csv or --format jsonl.`);
  }
  if (format !== 'csv' && format !== 'jsonl') throw new CliError('--format must be csv or jsonl.');
  const fieldMap = pairs(values.map, 'map');
  const policies = pairs(values.policy, 'policy');
  try {
    mergePerson({}, null, { fieldMap, policies });
  } catch (error) {
    throw new CliError(`${error.code === 'invalid_field_map' ? '--map' : '--policy'}: ${error.message}`);
  }
  return {
    inPath,
    outPath,
    journalPath: values.journal,
    format,
    cprColumn: values['cpr-column'] ?? 'cpr',
    fieldMap,
    policies,
    concurrency: positiveInt(values, 'concurrency', { min: 1, max: 64 }) ?? 8,
  };
}

/** The files a run writes as it goes: the output, journal and failure list (each `.partial`) and the checkpoint. */
function refreshPaths({ outPath, journalPath }) {
  return {
    out: `${outPath}.partial`,
    journal: journalPath === undefined ? undefined : `${journalPath}.partial`,
    // The failed rows' lines, listed on stderr at the end: kept in a file, not in memory.
    failures: `${outPath}.failures.partial`,
    checkpoint: `${outPath}.checkpoint.json`,
  };
}

/** What a checkpoint belongs to: the same input (path, size, time) and the same options. */
function runIdentity(options) {
  let inStat;
  try {
    inStat = statSync(options.inPath);
  } catch (error) {
    throw new CliError(`Cannot read the input ${options.inPath}: ${error.code === 'ENOENT' ? 'no such file' : error.code ?? error.message}.`);
  }
  return {
    input: resolvePath(options.inPath), size: inStat.size, mtimeMs: inStat.mtimeMs, format: options.format, cprColumn: options.cprColumn,
    fieldMap: options.fieldMap, policies: options.policies, journal: options.journalPath === undefined ? null : resolvePath(options.journalPath),
  };
}

/** The checkpoint of the interrupted run to continue, or null for a new run; refuses what cannot be continued. */
function readCheckpoint(paths, outPath, identity, resume) {
  if (!existsSync(paths.checkpoint)) {
    if (resume) throw new CliError(`There is nothing to resume: ${paths.checkpoint} does not exist. Run without --resume.`);
    return null;
  }
  if (!resume) {
    throw new CliError(`${paths.checkpoint} holds the checkpoint of an interrupted run: add --resume to continue it, or delete it (and ${paths.out}) to start again.`);
  }
  let checkpoint;
  try {
    checkpoint = JSON.parse(readFileSync(paths.checkpoint, 'utf8'));
  } catch {
    throw new CliError(`The checkpoint ${paths.checkpoint} cannot be read: delete it (and ${paths.out}) to start again.`);
  }
  if (JSON.stringify(checkpoint.identity) !== JSON.stringify(identity)) {
    throw new CliError(`The checkpoint ${paths.checkpoint} is of another run (the input changed, or other options): run the same command as before, or delete it (and ${paths.out}) to start again.`);
  }
  // A finished run may have renamed its output already (it was stopped while completing).
  if (!existsSync(paths.out) && !(checkpoint.state.finished && existsSync(outPath))) {
    throw new CliError(`${paths.out} is missing: delete ${paths.checkpoint} to start again.`);
  }
  return checkpoint;
}

function writeCheckpoint(path, checkpoint) {
  writeFileSync(`${path}.tmp`, JSON.stringify(checkpoint));
  renameSync(`${path}.tmp`, path);
}

/**
 * The run's output, journal and failure list, opened at the checkpoint's byte offsets (cut
 * back to them when resuming) and written in blocks: each block is flushed to disk before the
 * checkpoint that counts it is replaced, so a checkpoint never claims rows that were not written.
 */
function openRunFiles(paths, identity, state, fresh) {
  const files = [['failures', 'failuresBytes'], ['out', 'outBytes'], ['journal', 'journalBytes']]
    .filter(([key]) => paths[key] !== undefined)
    .map(([key, offset]) => ({ key, offset, fd: openAt(paths[key], state[offset], fresh), pending: [] }));
  const byKey = Object.fromEntries(files.map((file) => [file.key, file]));
  let lastFlush = Date.now();
  let sinceFlush = 0;
  return {
    /** Queues `text` for the file `key` (out, journal, failures); nothing when there is no such file. */
    write(key, text) { byKey[key]?.pending.push(text); },
    flush() {
      for (const file of files) {
        const bytes = Buffer.from(file.pending.join(''), 'utf8');
        file.pending = [];
        if (bytes.length) writeSync(file.fd, bytes, 0, bytes.length, state[file.offset]);
        fsyncSync(file.fd);
        state[file.offset] += bytes.length;
      }
      writeCheckpoint(paths.checkpoint, { identity, state });
      lastFlush = Date.now();
      sinceFlush = 0;
    },
    /** Counts a row whose lines are queued; flushes every FLUSH_ROWS rows or FLUSH_MS. */
    rowDone() {
      state.rowsDone += 1;
      sinceFlush += 1;
      if (sinceFlush >= FLUSH_ROWS || Date.now() - lastFlush >= FLUSH_MS) this.flush();
    },
    close() { for (const file of files) closeSync(file.fd); },
  };
}

/** The CSV header: its names, and where the CPR column is (null for JSON Lines). */
async function readHeader(rows, options) {
  if (options.format !== 'csv') return null;
  const first = await rows.next();
  if (first.done) throw new CliError(`${options.inPath} is empty: it needs a header row.`);
  const names = first.value.fields;
  const cprIndex = names.indexOf(options.cprColumn);
  if (cprIndex < 0) throw new CliError(`${options.inPath} has no column "${options.cprColumn}" (the columns are ${names.join(', ')}): pass --cpr-column.`);
  return { names, columns: new Set(names), cprIndex };
}

/** A row's CPR cell as text. */
function cprCell(row, options, header) {
  return header ? row.fields[header.cprIndex] ?? '' : cellText(row.object?.[options.cprColumn]);
}

/**
 * The rows after the first `skip` (the ones a checkpoint recorded) as lookupStream's items,
 * each row kept in `pending` under its index until its result is written.
 */
async function* lookupItems(rows, skip, pending, options, header) {
  let index = 0;
  let skipping = skip;
  for await (const row of rows) {
    if (skipping > 0) {
      skipping -= 1;
      continue;
    }
    pending.set(index, row);
    index += 1;
    if (header) {
      yield { cpr: cprCell(row, options, header), existing: Object.fromEntries(header.names.map((name, i) => [name, row.fields[i] ?? ''])) };
    } else if (row.object) {
      yield { cpr: cprCell(row, options, header), existing: row.object };
    } else {
      yield { cpr: '', existing: {} };
    }
  }
}

/** How rows are written in the input's format: the header line, a row as read, a row with changed cells. */
function rowFormat(csv, header) {
  if (header) {
    // A cell with a line break is quoted whatever the record delimiter (csv-stringify quotes only
    // the delimiter it writes, so a lone "\n" in a CRLF file would otherwise split the row).
    const line = (fields) => stringifyCsv([fields], { delimiter: csv.delimiter, record_delimiter: csv.crlf ? 'windows' : 'unix', quoted_match: /[\r\n]/ });
    return {
      header: () => `${csv.bom ? '\uFEFF' : ''}${line(header.names)}`,
      has: (row, field) => header.columns.has(field),
      unchanged: (row) => line(row.fields),
      changed(row, changes) {
        const fields = [...row.fields];
        for (const change of changes) {
          const at = header.names.indexOf(change.field);
          while (fields.length <= at) fields.push('');
          fields[at] = cellText(change.after);
        }
        return line(fields);
      },
    };
  }
  return {
    has: (row, field) => Object.hasOwn(row.object, field),
    unchanged: (row) => `${row.raw}\n`,
    changed(row, changes) {
      const object = { ...row.object };
      for (const change of changes) object[change.field] = change.after ?? null;
      return `${JSON.stringify(object)}\n`;
    },
  };
}

/**
 * One row's result: its outcome (the summary's count it adds to), the line to write, the
 * journal lines of its changed cells (CPR masked) and, for a failed row, its failure line.
 */
function refreshedRow(result, row, rowNumber, { options, header, format }) {
  const cprText = cprCell(row, options, header);
  const masked = validateCpr(cprText).masked;
  const where = `row ${rowNumber}${masked ? ` (${masked})` : ''}`;
  if (!header && !row.object) return { outcome: 'failed', line: format.unchanged(row), failure: `row ${rowNumber}: not a JSON object; kept as it is\n` };
  if (!result.ok) {
    const d = result.error.diagnosis;
    return {
      outcome: 'failed',
      line: format.unchanged(row),
      failure: cprText.trim() === ''
        ? `${where}: no CPR number; kept as it is\n`
        : `${where}: ${result.error.code}: ${result.error.message}${d?.solution ? ` Fix: ${d.solution}` : ''}\n`,
    };
  }
  if (!result.value.person) return { outcome: 'notFound', line: format.unchanged(row) };
  // Only the input's own columns (JSON keys) are written.
  const changes = (result.value.merge?.changes ?? []).filter((change) => format.has(row, change.field));
  if (!changes.length) return { outcome: 'unchanged', line: format.unchanged(row) };
  const notifications = result.value.notifications.map((n) => n.code);
  return {
    outcome: 'changed',
    line: format.changed(row, changes),
    journal: changes.map((change) => `${JSON.stringify(redact({ row: rowNumber, cpr: masked, field: change.field, before: change.before ?? null, after: change.after ?? null, notifications }))}\n`),
  };
}

/** SIGINT and SIGTERM abort the run's lookups (the run then saves its progress and exits 130). */
function interruptOnSignal() {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    release() {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    },
  };
}

/**
 * Looks the rows up through lookupStream (bounded: `concurrency` at once, a small window read
 * ahead) and writes each result in input order. Returns true when a signal interrupted it.
 */
async function refreshRows({ client, items, pending, context, files, state, progress, signal }) {
  const rowsDoneAtStart = state.rowsDone;
  try {
    for await (const result of lookupStream(client, items, { concurrency: context.options.concurrency, signal })) {
      const row = pending.get(result.index);
      pending.delete(result.index);
      const refreshed = refreshedRow(result, row, rowsDoneAtStart + result.index + 1, context);
      state[refreshed.outcome] += 1;
      files.write('out', refreshed.line);
      for (const line of refreshed.journal ?? []) files.write('journal', line);
      if (refreshed.failure) files.write('failures', refreshed.failure);
      files.rowDone();
      progress.update(state.rowsDone, state.failed);
    }
    return false;
  } catch (error) {
    if (signal.aborted) return true;
    throw operationFailed(error);
  }
}

/** Prints a file's lines through `print`, a chunk at a time (bounded memory). */
function printLines(path, print) {
  const fd = openSync(path, 'r');
  const chunk = Buffer.alloc(65536);
  let carry = '';
  for (let length; (length = readSync(fd, chunk, 0, chunk.length, null)) > 0;) {
    const lines = (carry + chunk.subarray(0, length).toString('utf8')).split('\n');
    carry = lines.pop();
    for (const line of lines) print(line);
  }
  closeSync(fd);
}

/**
 * The end of a run whose rows are all written: the checkpoint says so first, then the partial
 * files take their names and the checkpoint goes. Stopped anywhere in here, the run is finished
 * by --resume (which comes straight here). Then the failed rows and the summary.
 */
function completeRefresh(options, paths, identity, state, output) {
  if (!state.finished) writeCheckpoint(paths.checkpoint, { identity, state: { ...state, finished: true } });
  if (existsSync(paths.out)) renameSync(paths.out, options.outPath);
  if (paths.journal !== undefined && existsSync(paths.journal)) renameSync(paths.journal, options.journalPath);
  unlinkSync(paths.checkpoint);
  // The failed rows, through the same redaction as every line.
  if (existsSync(paths.failures)) {
    printLines(paths.failures, (line) => output.err(line));
    unlinkSync(paths.failures);
  }
  output.err(`Refreshed ${state.rowsDone} rows into ${options.outPath}: ${state.changed} changed, ${state.unchanged} unchanged, ${state.notFound} not found, ${state.failed} failed (kept as they were).`);
  return { rows: state.rowsDone, changed: state.changed, unchanged: state.unchanged, notFound: state.notFound, failed: state.failed, out: options.outPath, ...(options.journalPath !== undefined ? { journal: options.journalPath } : {}) };
}

/** The client for the run, from a setup without errors. */
function refreshClient(positionals, values, env, output, options) {
  const setup = loadSetup(positionals[0], values, env, output);
  const setupError = validateSetup(setup).issues.find((issue) => issue.severity === 'error');
  if (setupError) throw new CliError(`The setup cannot be used: ${setupError.field ?? ''}: ${setupError.message} Run "datafordeler-cpr check" for the full report.`, EXIT_FAILED);
  return makeClient(setup, values, { merge: { fieldMap: options.fieldMap, policies: options.policies } });
}

async function runRefresh({ positionals, values, env, output, io }) {
  const options = refreshOptions(values);
  const identity = runIdentity(options);
  const csv = options.format === 'csv' ? sniffCsv(options.inPath) : undefined;
  const paths = refreshPaths(options);
  const checkpoint = readCheckpoint(paths, options.outPath, identity, Boolean(values.resume));
  const summarise = (summary) => {
    if (values.json) output.json(summary);
    return summary.failed ? EXIT_FAILED : EXIT_OK;
  };
  if (checkpoint?.state.finished) return summarise(completeRefresh(options, paths, identity, checkpoint.state, output));

  const client = refreshClient(positionals, values, env, output, options);
  const total = await countRows(options.inPath, options.format, csv);
  const rows = readRows(options.inPath, options.format, csv);
  const header = await readHeader(rows, options);
  const format = rowFormat(csv, header);
  const state = checkpoint?.state ?? { rowsDone: 0, outBytes: 0, journalBytes: 0, failuresBytes: 0, changed: 0, unchanged: 0, notFound: 0, failed: 0 };
  const files = openRunFiles(paths, identity, state, checkpoint === null);
  if (checkpoint === null && header) files.write('out', format.header());

  const pending = new Map();
  const items = lookupItems(rows, state.rowsDone, pending, options, header);
  const interruption = interruptOnSignal();
  const progress = makeProgress(values.quiet, total, io.stderr);
  try {
    let interrupted;
    try {
      interrupted = await refreshRows({ client, items, pending, context: { options, header, format }, files, state, progress, signal: interruption.signal });
    } finally {
      progress.stop();
      files.flush();
      files.close();
    }
    if (interrupted) {
      output.err(`Interrupted after ${state.rowsDone} of ${total} rows; ${options.outPath} is not written yet. Run the same command with --resume to continue.`);
      return EXIT_INTERRUPTED;
    }
    // A signal from here on is too late to stop anything: the run completes.
    return summarise(completeRefresh(options, paths, identity, state, output));
  } finally {
    interruption.release();
  }
}

// --- entry ------------------------------------------------------------------------------

/** Runs the command line; returns the exit code. */
async function main(argv, io = { stdout: process.stdout, stderr: process.stderr, env: process.env }) {
  const output = makeOutput(io);
  const env = io.env ?? {};
  // Refuse a secret before anything else reads the arguments.
  const secretFlag = argv.find((arg) => SECRET_FLAG.test(arg));
  if (secretFlag) {
    const name = secretFlag.split('=')[0];
    const where = /pass|pwd/i.test(name)
      ? 'CPR_CERTIFICATE_PASSWORD (environment) or the setup file\'s "certificatePassword"'
      : 'CPR_CLIENT_SECRET (environment) or the setup file\'s "clientSecret"';
    output.err(`${name} is refused: secrets on the command line show in ps and shell history. Put it in ${where}.`);
    return EXIT_USAGE;
  }
  const [name, ...rest] = argv;
  if (name === undefined) {
    output.err(mainHelp());
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    if (rest[0] && Object.hasOwn(COMMANDS, rest[0])) output.help(commandHelp(rest[0]));
    else output.help(mainHelp());
    return EXIT_OK;
  }
  if (name === '--version') {
    const manifest = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
    output.out(manifest.version);
    return EXIT_OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    output.err(`Unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}. Run "datafordeler-cpr --help".`);
    return EXIT_USAGE;
  }
  try {
    const { values, positionals } = parseCommand(name, rest);
    if (values.help) {
      output.help(commandHelp(name));
      return EXIT_OK;
    }
    const min = command.minPositionals ?? 1;
    const max = command.minPositionals ? Infinity : 1;
    if (positionals.length < min) throw new CliError(`Missing argument. Usage: ${command.usage}`);
    if (positionals.length > max) throw new CliError(`Unexpected argument "${positionals[max]}". Usage: ${command.usage}`);
    return await command.run({ positionals, values, env, output, io });
  } catch (error) {
    if (error instanceof CliError) {
      output.err(error.message);
      return error.exitCode;
    }
    output.err(`Unexpected failure: ${describeError(error)}`);
    return EXIT_FAILED;
  }
}

process.exitCode = await main(process.argv.slice(2));
