// The command line (pkg/cli.js) as a process against the emulator over real HTTP(S): every
// command's happy path and failure exit codes, --json output, secrets refused as arguments and
// never printed, no full CPR number on stdout or stderr; the CLI's own dependencies stay out of
// every library entry (bundled with esbuild).
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveEndpoints } from 'datafordeler-cpr';
import { CLI, FULL_CPR, closeEmulatorAndFolder, openEmulatorAndFolder } from '../support/cli.mjs';

let emu;
let dir;
before(async () => { ({ emu, dir } = await openEmulatorAndFolder('cpr-cli-')); });
after(() => closeEmulatorAndFolder({ emu, dir }));
beforeEach(() => { emu.reset(); emu.clearLog(); });

let files = 0;
/** A setup file pointing at the emulator; the secret is NOT in it unless `withSecret`. */
function setupFile(overrides = {}, { withSecret = false } = {}) {
  const { clientId, clientSecret } = emu.credentials.privateSector;
  const setup = {
    enabled: true,
    environment: emu.environment,
    sectorType: 'private',
    authMethod: 'sharedSecret',
    clientId,
    ...(withSecret ? { clientSecret } : {}),
    endpoints: {
      graphqlBaseUrl: emu.urls.graphqlBaseUrl,
      sharedSecretTokenUrl: emu.urls.tokenUrl,
      certificateTokenUrl: emu.urls.certificateTokenUrl,
    },
    ...overrides,
  };
  const path = join(dir, `setup-${files += 1}.json`);
  writeFileSync(path, typeof overrides === 'string' ? overrides : JSON.stringify(setup));
  return path;
}

const secrets = () => [emu.credentials.privateSector.clientSecret, emu.credentials.certificate.passphrase];

/** Runs the CLI as a process (asynchronously: the emulator lives in this process). */
function cli(args, { env = {} } = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, CPR_CLIENT_SECRET: emu.credentials.privateSector.clientSecret, ...env },
      timeout: 30000,
    }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      for (const secret of secrets()) {
        assert.ok(!stdout.includes(secret) && !stderr.includes(secret), 'no secret on stdout or stderr');
      }
      assert.doesNotMatch(stdout, FULL_CPR, 'no full CPR number on stdout');
      assert.doesNotMatch(stderr, FULL_CPR, 'no full CPR number on stderr');
      resolve({ code, stdout, stderr });
    });
  });
}

const count = (purpose) => emu.log.filter((e) => e.purpose === purpose).length;

// --- check ---

test('check: a valid setup exits 0; --json parses', async () => {
  const path = setupFile();
  const text = await cli(['check', path]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /The setup is valid/);
  const json = await cli(['check', path, '--json']);
  assert.equal(json.code, 0);
  assert.deepEqual(JSON.parse(json.stdout), { ok: true, issues: [] });
  assert.equal(emu.log.length, 0, 'check does not call Datafordeleren');
});

test('check: setup errors exit 1 naming field and message; the secret in a wrong field is not repeated', async () => {
  const path = setupFile({ environment: 'test99', clientId: emu.credentials.privateSector.clientSecret });
  const result = await cli(['check', path]);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /^error\s+environment: /m);
  assert.match(result.stdout, /1 error\(s\)/);
  const noSecret = await cli(['check', path], { env: { CPR_CLIENT_SECRET: '' } });
  assert.equal(noSecret.code, 1);
  assert.match(noSecret.stdout, /^error\s+clientSecret: Enter the CPR Client Secret/m, 'the library\'s message reads as written');
  assert.match(noSecret.stdout, /2 error\(s\)/);
  const json = await cli(['check', path, '--json']);
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout);
  assert.equal(report.ok, false);
  assert.ok(report.issues.some((issue) => issue.field === 'environment' && issue.severity === 'error'));
});

test('check: an unreadable setup exits 2 with a clear message', async () => {
  const missing = await cli(['check', join(dir, 'absent.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Cannot read the setup file .*absent\.json: no such file/);
  const notJson = await cli(['check', setupFile('{"clientSecret": "abc" oops')]);
  assert.equal(notJson.code, 2);
  assert.match(notJson.stderr, /is not valid JSON/);
  assert.doesNotMatch(notJson.stderr, /oops|abc/);
  const notObject = await cli(['check', setupFile('[1, 2]')]);
  assert.equal(notObject.code, 2);
  assert.match(notObject.stderr, /must hold a JSON object/);
});

// --- endpoints ---

test('endpoints: the resolved URLs with provenance; --json equals resolveEndpoints', async () => {
  const path = setupFile();
  const text = await cli(['endpoints', path]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`graphqlUrl\\s+${emu.urls.graphqlBaseUrl}/CPR/custom/PrivateSector/v3\\s+\\[override\\]`));
  assert.match(text.stdout, /, API auto\n/);
  assert.match(text.stdout, new RegExp(`Versions tried in order on first use \\(the next only after a 404\\):\n  v3   ${emu.urls.graphqlBaseUrl}/CPR/custom/PrivateSector/v3  \\[override\\]\n  v2   \\S+/v2  \\[override\\]\n  v1   \\S+/v1  \\[override\\]\n`));
  assert.match(text.stdout, /portalUrl\s+https:\/\/\S+\s+\[observed\]/);
  const json = await cli(['endpoints', path, '--json']);
  assert.equal(json.code, 0);
  assert.deepEqual(JSON.parse(json.stdout), resolveEndpoints(JSON.parse(readFileSync(path, 'utf8'))));
  const bad = await cli(['endpoints', setupFile({ environment: 'nowhere' })]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /environment/i);
});

// --- test ---

test('test: every step passes with the secret from CPR_CLIENT_SECRET', async () => {
  const result = await cli(['test', setupFile()]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal((result.stdout.match(/^PASSED /gm) ?? []).length, 5);
  assert.match(result.stdout, /Connection test passed/);
  assert.equal(count('token'), 1);
});

test('test: the secret from the setup file works too', async () => {
  const result = await cli(['test', setupFile({}, { withSecret: true }), '--json'], { env: { CPR_CLIENT_SECRET: '' } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout).ok, true);
});

test('test: a wrong secret exits 1 with the failed step, its cause, fix and settings', async () => {
  const result = await cli(['test', setupFile()], { env: { CPR_CLIENT_SECRET: 'wrong-secret-value-123' } });
  assert.equal(result.code, 1);
  assert.match(result.stdout, /^FAILED\s+tokenObtained: /m);
  assert.match(result.stdout, /fix: .*Client ID and the secret/);
  assert.match(result.stdout, /check: .*clientSecret/);
  assert.match(result.stdout, /^SKIPPED\s+entityAuthorised/m);
  assert.ok(!result.stdout.includes('wrong-secret-value-123'));
  const json = await cli(['test', setupFile(), '--json'], { env: { CPR_CLIENT_SECRET: 'wrong-secret-value-123' } });
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout);
  assert.equal(report.steps.find((s) => s.step === 'tokenObtained').diagnosis.code, 'token_invalid_client');
});

test('test: a caller off the allowlist is diagnosed (exit 1)', async () => {
  emu.setAllowlist(['10.99.99.99']);
  const result = await cli(['test', setupFile(), '--json', '--max-attempts', '1']);
  assert.equal(result.code, 1);
  const step = JSON.parse(result.stdout).steps.find((s) => s.status === 'failed');
  assert.equal(step.diagnosis.code, 'ip_not_allowlisted');
});

test('test: the certificate method with --pfx, CPR_CERTIFICATE_PASSWORD and --ca (mutual TLS)', async () => {
  const cert = emu.credentials.certificate;
  const caPath = join(dir, 'ca.pem');
  writeFileSync(caPath, emu.credentials.caPem);
  const path = setupFile({ authMethod: 'certificate', clientId: cert.clientId });
  const result = await cli(['test', path, '--pfx', cert.pfxPath, '--ca', caPath], { env: { CPR_CERTIFICATE_PASSWORD: cert.passphrase } });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal(count('certificateToken'), 1);
  const noPfx = await cli(['test', path], { env: { CPR_CERTIFICATE_PASSWORD: cert.passphrase } });
  assert.equal(noPfx.code, 2);
  assert.match(noPfx.stderr, /--pfx <path>/);
  const wrongPassword = await cli(['test', path, '--pfx', cert.pfxPath, '--ca', caPath], { env: { CPR_CERTIFICATE_PASSWORD: 'not-the-password' } });
  assert.equal(wrongPassword.code, 1);
  assert.match(wrongPassword.stderr, /certificate_unreadable/);
});

// --- schema ---

test('schema: fetches the SDL into --out and reports no drift; --json parses', async () => {
  const out = join(dir, 'cpr.graphql');
  const result = await cli(['schema', setupFile(), '--out', out]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(readFileSync(out, 'utf8'), /CPRCustom_PrivateSectorPerson/);
  assert.match(result.stdout, /Root field: CPRCustom_PrivateSectorPerson/);
  assert.match(result.stdout, /Missing required fields: none/);
  assert.match(result.stdout, /Lookups work with this schema/);
  assert.equal(count('schema'), 1);
  const json = await cli(['schema', setupFile(), '--json']);
  assert.equal(json.code, 0);
  const drift = JSON.parse(json.stdout);
  assert.equal(drift.ok, true);
  assert.equal(drift.rootField, 'CPRCustom_PrivateSectorPerson');
});

test('schema: a server that keeps failing exits 1 with the diagnosis', async () => {
  emu.faults.add({ mode: 'http500', purpose: 'schema', count: null });
  const result = await cli(['schema', setupFile(), '--max-attempts', '2']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^server_error: /m);
  assert.match(result.stderr, /fix: /);
  assert.equal(count('schema'), 2);
});

// --- lookup ---

test('lookup: a table of ordinary, protected, deceased, not found and invalid numbers; exit 1 for the invalid one', async () => {
  const result = await cli(['lookup', setupFile(), '070761-0123', '0204882126', '1406322129', '1203750000', '12345']);
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stdout.trim().split('\n');
  assert.match(lines[0], /^CPR\s+STATUS\s+NAME\s+ADDRESS\s+NOTES$/);
  assert.match(lines[1], /^070761-xxxx\s+bopael_i_danmark\s+Jens Peter Testesen\s+Prøvevej 12, 2\. tv, 2100 København Ø/);
  assert.match(lines[2], /^020488-xxxx\s+bopael_i_danmark\s+\(protected\)\s+\(protected\)\s+protected: navne_og_adressebeskyttelse; name_withheld, address_withheld$/);
  assert.match(lines[3], /^140632-xxxx\s+doed\s+Erik Testesen\s.*person_deceased/);
  assert.match(lines[4], /^120375-xxxx\s+not found\s+person_not_found$/);
  assert.match(lines[5], /^\(invalid\)\s+error\s+invalid_cpr_number: /);
  assert.equal(lines.length, 6);
});

test('lookup: found and not found exit 0; --json prints one JSON line per number, masked', async () => {
  const result = await cli(['lookup', setupFile(), '0707610123', '1203750000', '--json']);
  assert.equal(result.code, 0, result.stderr);
  const rows = result.stdout.trim().split('\n').map((text) => JSON.parse(text));
  assert.deepEqual(rows.map((row) => [row.cpr, row.outcome]), [['070761-xxxx', 'found'], ['120375-xxxx', 'not_found']]);
  assert.equal(rows[0].person.name.addressing, 'Jens Peter Testesen');
  assert.equal(rows[0].person.cpr, '070761-xxxx');
  assert.equal(rows[1].notifications[0].code, 'person_not_found');
});

test('lookup: a failing service is an error per number with its diagnosis on stderr (exit 1)', async () => {
  emu.faults.add({ mode: 'http503', purpose: 'graphql', count: null, retryAfter: 0 });
  const result = await cli(['lookup', setupFile(), '0707610123', '--max-attempts', '1']);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /^070761-xxxx\s+error\s+server_error: /m);
  assert.match(result.stderr, /070761-xxxx: server_error: .*\n\s+cause: /);
});

test('--debug-dir writes redacted captures (no secret, no token, no full CPR number)', async () => {
  const debugDir = join(dir, 'captures');
  const result = await cli(['lookup', setupFile(), '0707610123', '--debug-dir', debugDir]);
  assert.equal(result.code, 0, result.stderr);
  const captures = readdirSync(debugDir);
  assert.ok(captures.length >= 1);
  for (const name of captures) {
    const text = readFileSync(join(debugDir, name), 'utf8');
    for (const secret of secrets()) assert.ok(!text.includes(secret));
    assert.doesNotMatch(text, /0707610123|eyJ[\w-]{10,}\./);
  }
});

// --- usage ---

test('a secret given as an argument is refused with exit 2 and where to put it; the value is not repeated', async () => {
  const path = setupFile();
  const cases = [
    [['test', path, '--client-secret', 'S3cr3t-value'], /CPR_CLIENT_SECRET/],
    [['test', path, '--client-secret=S3cr3t-value'], /CPR_CLIENT_SECRET/],
    [['lookup', path, '0707610123', '--secret=S3cr3t-value'], /CPR_CLIENT_SECRET/],
    [['test', path, '--password', 'S3cr3t-value'], /CPR_CERTIFICATE_PASSWORD/],
    [['test', path, '--certificate-password=S3cr3t-value'], /CPR_CERTIFICATE_PASSWORD/],
    [['check', path, '--token=S3cr3t-value'], /CPR_CLIENT_SECRET/],
  ];
  for (const [args, where] of cases) {
    const result = await cli(args);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, /refused: secrets on the command line/);
    assert.match(result.stderr, where);
    assert.ok(!result.stderr.includes('S3cr3t-value') && !result.stdout.includes('S3cr3t-value'));
  }
  assert.equal(emu.log.length, 0, 'nothing was sent');
});

test('unknown commands, flags, missing arguments and bad values exit 2 with a clear message', async () => {
  const path = setupFile();
  const cases = [
    [[], /Usage: datafordeler-cpr <command>/],
    [['frobnicate', path], /Unknown command "frobnicate"/],
    [['check', path, '--bogus'], /Unknown option '--bogus'/],
    [['check'], /Missing argument\. Usage: datafordeler-cpr check/],
    [['check', path, 'extra'], /Unexpected argument "extra"/],
    [['lookup', path], /Missing argument\. Usage: datafordeler-cpr lookup/],
    [['test', path, '--max-attempts', '0'], /--max-attempts must be a whole number from 1 to 10/],
    [['test', path, '--timeout-ms', 'soon'], /--timeout-ms must be a whole number/],
    [['schema', path, '--out'], /--out/],
    [['test', path, '--pfx', join(dir, 'absent.pfx')], /Cannot read the PFX file/],
  ];
  for (const [args, message] of cases) {
    const result = await cli(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(' '));
  }
  assert.equal(emu.log.length, 0, 'nothing was sent');
});

test('--help for every command shows usage and examples (exit 0)', async () => {
  const main = await cli(['--help']);
  assert.equal(main.code, 0);
  for (const command of ['check', 'endpoints', 'test', 'schema', 'lookup', 'refresh']) {
    assert.match(main.stdout, new RegExp(`^  ${command}\\s`, 'm'));
    const help = await cli([command, '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, new RegExp(`^Usage: datafordeler-cpr ${command} `));
    assert.match(help.stdout, /\nExamples:\n {2}(CPR_\w+=… )?datafordeler-cpr /);
    assert.match(help.stdout, /CPR_CLIENT_SECRET/);
  }
});

test('the package bin runs through its installed link (node_modules/.bin, the shebang)', async () => {
  const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', '.bin', 'datafordeler-cpr');
  const manifest = JSON.parse(readFileSync(join(dirname(CLI), 'package.json'), 'utf8'));
  assert.deepEqual(manifest.bin, { 'datafordeler-cpr': './cli.js' });
  const result = await new Promise((resolve) => {
    execFile(bin, ['check', setupFile()], { env: { PATH: process.env.PATH, CPR_CLIENT_SECRET: 'x' } }, (error, stdout, stderr) => resolve({ code: error?.code ?? 0, stdout, stderr }));
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /The setup is valid/);
});

test('the CLI\'s dependencies stay out of the library: no entry of the package loads csv-parse, csv-stringify or cli-progress', async () => {
  const { build } = await import('esbuild');
  const pkg = dirname(CLI);
  const entries = new Set();
  const walk = (value) => {
    if (typeof value === 'string' && /\.c?js$/.test(value)) entries.add(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).exports);
  const cliDependency = /node_modules\/(csv-parse|csv-stringify|cli-progress)\//;
  const bundled = async (entry, platform) => Object.keys((await build({
    entryPoints: [join(pkg, entry)], bundle: true, write: false, metafile: true, platform, format: 'esm',
    logLevel: 'silent', loader: { '.wasm': 'file' }, outdir: join(dir, 'esbuild'),
  })).metafile.inputs);
  assert.ok((await bundled('cli.js', 'node')).some((input) => cliDependency.test(input)), 'the check sees them in the CLI');
  assert.ok(entries.size >= 10, [...entries].join(', '));
  for (const entry of entries) {
    const inputs = await bundled(entry, /node|\.cjs$|relay/.test(entry) ? 'node' : 'browser');
    assert.deepEqual(inputs.filter((input) => cliDependency.test(input)), [], `${entry} loads none of the CLI's dependencies`);
  }
});
