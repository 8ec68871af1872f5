// A small deployable relay: node:http serving datafordeler-cpr/relay under /cpr-relay and the
// setup page (www/) on the same origin. The secrets come from the environment, never from the
// setup file or the browser.
//
//   CPR_CLIENT_SECRET=… RELAY_ACCESS_TOKEN=… node examples/relay-server.mjs setup.json \
//     [--port 8090] [--host 127.0.0.1] [--origin https://erp.example.com]… [--audit-file audit.jsonl]
//
// setup.json is a setup without secrets ({ enabled, environment, sectorType, authMethod,
// clientId, endpoints? … }); for the certificate method it holds the PFX as base64 in
// `certificate`, and CPR_CERTIFICATE_PASSWORD holds its password. Callers authenticate with
// `Authorization: Bearer <RELAY_ACCESS_TOKEN>`: replace `authorize` below with your ERP's own
// session check. Audit events are written as JSON lines (stdout, or --audit-file). Listens on
// 127.0.0.1 unless --host says otherwise; stops on SIGINT/SIGTERM, letting lookups in flight finish.
import { createServer } from 'node:http';
import { createWriteStream, readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { timingSafeEqual, createHash } from 'node:crypto';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCertificateFetch } from 'datafordeler-cpr/node';
import { createRelay } from 'datafordeler-cpr/relay';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string', default: process.env.PORT ?? '8090' },
    host: { type: 'string', default: '127.0.0.1' },
    origin: { type: 'string', multiple: true, default: [] },
    'audit-file': { type: 'string' },
  },
});
if (positionals.length !== 1) {
  console.error('usage: node examples/relay-server.mjs <setup.json> [--port 8090] [--host 127.0.0.1] [--origin <origin>]… [--audit-file <path>]');
  process.exit(2);
}
const accessToken = process.env.RELAY_ACCESS_TOKEN ?? '';
if (accessToken.length < 16) {
  console.error('Set RELAY_ACCESS_TOKEN (at least 16 characters): the credential callers present to this relay.');
  process.exit(2);
}

const setup = JSON.parse(readFileSync(positionals[0], 'utf8'));
for (const field of ['clientSecret', 'certificatePassword']) {
  if (setup[field] !== undefined) console.error(`warning: ${positionals[0]} holds ${field}; keep secrets in the environment instead.`);
}
if (process.env.CPR_CLIENT_SECRET) setup.clientSecret = process.env.CPR_CLIENT_SECRET;
if (process.env.CPR_CERTIFICATE_PASSWORD) setup.certificatePassword = process.env.CPR_CERTIFICATE_PASSWORD;
const fetch = setup.authMethod === 'certificate' && typeof setup.certificate === 'string'
  ? createCertificateFetch({ pfx: Buffer.from(setup.certificate, 'base64'), passphrase: setup.certificatePassword })
  : undefined;

const port = Number(args.port);
const host = args.host;
const ownOrigin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
const auditOut = args['audit-file'] ? createWriteStream(args['audit-file'], { flags: 'a' }) : process.stdout;
const digest = (text) => createHash('sha256').update(text).digest();

let relay;
try {
  relay = createRelay({
    setup,
    fetch,
    basePath: '/cpr-relay',
    // Who is calling: here one shared caller credential; in an ERP, its session.
    authorize: (request) => {
      const presented = (request.headers.get('authorization') ?? '').replace(/^Bearer\s+/i, '');
      return presented && timingSafeEqual(digest(presented), digest(accessToken)) ? 'erp' : null;
    },
    // Browsers send Origin on every POST, also to their own origin: list the page's origin too.
    allowedOrigins: port === 0 ? args.origin : [ownOrigin, ...args.origin],
    limits: { lookupsPerMinute: 120, maxBatch: 50 },
    auditKey: process.env.RELAY_AUDIT_KEY,
    audit: (event) => new Promise((resolve, reject) => {
      auditOut.write(`${JSON.stringify(event)}\n`, (error) => (error ? reject(error) : resolve()));
    }),
  });
} catch (error) {
  // A CprError: its code and message name the setup field, never its value.
  console.error(`The setup cannot be used (${error.code ?? 'error'}${error.field ? `, ${error.field}` : ''}): ${error.message}`);
  process.exit(1);
}

// The setup page and the package it loads, read-only, from the repository.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json; charset=utf-8', '.wasm': 'application/wasm' };
async function serveStatic(req, res) {
  try {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
    const wanted = path === '/' ? '/www/index.html' : path;
    const file = normalize(join(root, wanted));
    const allowed = [join(root, 'www') + sep, join(root, 'pkg') + sep];
    if (!allowed.some((prefix) => file.startsWith(prefix))) return void res.writeHead(404).end();
    if (!(await stat(file)).isFile()) return void res.writeHead(404).end();
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    if (!res.headersSent) res.writeHead(404).end();
  }
}

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/cpr-relay' || path.startsWith('/cpr-relay/')) relay.nodeHandler(req, res);
  else serveStatic(req, res);
});
server.on('error', (error) => {
  console.error(error.code === 'EADDRINUSE' ? `Port ${port} is taken; choose another with --port.` : `Cannot listen: ${error.message}`);
  process.exit(1);
});
server.listen(port, host, () => {
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${server.address().port}`;
  console.error(`relay: ${origin}/cpr-relay (page: ${origin}/)`);
});

let stopping;
function stop() {
  stopping ??= (async () => {
    await relay.close({ graceMs: 10_000 });
    await new Promise((resolve) => { server.close(resolve); server.closeIdleConnections?.(); });
    if (auditOut !== process.stdout) await new Promise((resolve) => auditOut.end(resolve));
    process.exit(0);
  })();
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
