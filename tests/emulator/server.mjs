// Datafordeleren emulator: token service (shared secret and mutual TLS) plus the CPR custom
// GraphQL services, on 127.0.0.1 only. See README.md in this folder for the full contract.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki } from './certs.mjs';
import { applyFault, FaultRules, TRANSIENT_AUTH_DETAIL } from './faults.mjs';
import { DEFAULT_SCHEMAS, MESSAGES, runGraphQL, SCHEMA_VARIANTS, sectorSchema, SECTORS } from './graphql.mjs';
import { TokenIssuer } from './tokens.mjs';

export const TOKEN_PATH = '/realms/distribution/protocol/openid-connect/token';
export const CONTROL_PREFIX = '/__emulator';
export const HOST = '127.0.0.1';

export const DEFAULTS = Object.freeze({
  tokenLifetimeSeconds: 300,
  versions: ['v1', 'v2', 'v3'],
  environment: 'test04',
  allowlist: ['127.0.0.1', '::1', '::ffff:127.0.0.1'],
  corsOrigins: ['http://127.0.0.1:*', 'http://localhost:*', 'http://[::1]:*'],
  maxLifetimeSeconds: 3600,
  certificateSectorType: 'PrivateSector',
  keyType: 'ec',
});

export const MAX_BODY_BYTES = 1024 * 1024;
// Past the limit the rest of the body is read and thrown away (so the client gets to read the
// 413), but only up to this much; beyond it the connection is cut.
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;
const MAX_LOG_ENTRIES = 10_000;

/** Every error text the emulator itself produces (besides graphql-js's validation messages). */
export const ERRORS = Object.freeze({
  ...MESSAGES,
  ipNotVerified: 'IP address is not verified',
  ipNotVerifiedCode: 'DAF-AUTH-0005',
  transientAuthDetail: TRANSIENT_AUTH_DETAIL,
  notAuthorizedCode: 'DAF-AUTH-0001',
  notAuthorized: (sector, environment) => `Access denied: the client is not authorized for CPR/custom/${sector} in environment ${environment}`,
  invalidClient: 'Invalid client or Invalid client credentials',
  unsupportedGrantType: 'Unsupported grant_type',
  missingParameter: (name) => `Missing form parameter: ${name}`,
  duplicatedParameter: (name) => `Duplicated form parameter: ${name}`,
  formContentType: 'Content-Type must be application/x-www-form-urlencoded',
  jsonContentType: 'Content-Type must be application/json',
  missingBearer: 'Missing bearer token',
  bodyTooLarge: `Request body exceeds ${MAX_BODY_BYTES} bytes`,
});

function checkSchemas(map) {
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw new TypeError('schemas must be an object of version → variant');
  for (const [version, variant] of Object.entries(map)) {
    if (!SCHEMA_VARIANTS.includes(variant)) throw new TypeError(`schemas.${version} must be one of ${SCHEMA_VARIANTS.join(', ')}`);
  }
}

const SECTOR_PATH = /^\/CPR\/custom\/(PrivateSector|PublicSector)\/([^/]+)(\/schema)?\/?$/;

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

// Long digit runs in a logged path could be CPR numbers: keep only the DDMMYY part.
const maskPath = (path) => path.replace(/\d{10,}/g, (m) => `${m.slice(0, 6)}-xxxx`);

function safeEqual(a, b) {
  const ha = createHash('sha256').update(String(a)).digest();
  const hb = createHash('sha256').update(String(b)).digest();
  return timingSafeEqual(ha, hb);
}

function originMatcher(patterns) {
  // 'http://127.0.0.1:*' means that host with any (or no) port; '*' alone means any origin.
  const regexes = patterns.map((p) => {
    if (p === '*') return /^.*$/;
    const escaped = p.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`^${escaped.replace(/:\*$/, '(?::\\d+)?').replace(/\*/g, '[^/]*')}$`);
  });
  return (origin) => regexes.some((r) => r.test(origin));
}

function checkStringList(list, name) {
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) throw new TypeError(`${name} must be an array of strings`);
}

function checkAllowlist(list) {
  checkStringList(list, 'allowlist');
  const bad = list.find((ip) => net.isIP(ip) === 0);
  if (bad !== undefined) throw new TypeError(`allowlist entry is not an IP address: ${JSON.stringify(bad)}`);
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    let settled = false;
    const done = (result) => { if (!settled) { settled = true; resolve(result); } };
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > DRAIN_LIMIT_BYTES) { req.destroy(); done({ aborted: true }); }
    });
    req.on('end', () => done({ text: Buffer.concat(chunks).toString('utf8'), size, tooLarge: size > MAX_BODY_BYTES }));
    req.on('error', () => done({ aborted: true }));
    req.on('close', () => done({ aborted: true }));
  });
}

/**
 * Starts the emulator. Options (all optional): port, httpsPort (0 = random), tokenLifetimeSeconds,
 * versions, environment, allowlist, corsOrigins, maxLifetimeSeconds (self-stop; 0 = never),
 * certificateSectorType, keyType ('ec' | 'rsa'), schemas (version → schema variant, see
 * SCHEMA_VARIANTS in graphql.mjs; default v1 and v2 `base`, v3 `v3`).
 */
export async function startEmulator(options = {}) {
  const config = { ...DEFAULTS, port: 0, httpsPort: 0, ...options };
  checkStringList(config.versions, 'versions');
  checkAllowlist(config.allowlist);
  checkStringList(config.corsOrigins, 'corsOrigins');
  if (!(config.tokenLifetimeSeconds > 0)) throw new TypeError('tokenLifetimeSeconds must be positive');
  if (!['ec', 'rsa'].includes(config.keyType)) throw new TypeError("keyType must be 'ec' or 'rsa'");
  if (!SECTORS[config.certificateSectorType]) throw new TypeError('certificateSectorType must be PrivateSector or PublicSector');
  const { environment } = config;
  let versions = [...config.versions];
  const startSchemas = { ...DEFAULT_SCHEMAS, ...config.schemas };
  checkSchemas(startSchemas);
  let schemas = { ...startSchemas };
  const variantOf = (version) => schemas[version] ?? 'base';
  // Fail early on a broken SDL.
  for (const sector of Object.keys(SECTORS)) for (const variant of new Set(Object.values(schemas))) sectorSchema(sector, variant);

  const dir = mkdtempSync(join(tmpdir(), 'datafordeler-emulator-'));
  let pki;
  try {
    pki = createTestPki(dir, { keyType: config.keyType });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  // ---- clients -------------------------------------------------------------------------------
  const secret = () => randomBytes(24).toString('base64url');
  const otherEnvironment = environment === 'prod' ? 'test04' : 'prod';
  const sharedClients = {
    privateSector: { clientId: 'emulator-private-sector', clientSecret: secret(), sectorType: 'PrivateSector', environment },
    publicSector: { clientId: 'emulator-public-sector', clientSecret: secret(), sectorType: 'PublicSector', environment },
    // Valid credentials, but granted in another environment than the one this emulator serves.
    otherEnvironment: { clientId: 'emulator-other-environment', clientSecret: secret(), sectorType: 'PrivateSector', environment: otherEnvironment },
  };
  const certificateFields = (leaf) => ({
    pfxPath: leaf.pfxPath,
    pfx: leaf.pfx,
    pfxBase64: leaf.pfxBase64,
    passphrase: leaf.passphrase,
    fingerprint256: leaf.fingerprint256,
    subject: leaf.subject,
    caPem: pki.caPem,
    caPath: pki.caPath,
  });
  const certificateClient = {
    clientId: 'emulator-certificate-client',
    sectorType: config.certificateSectorType,
    environment,
    ...certificateFields(pki.client),
  };
  const credentials = {
    ...sharedClients,
    // The same shared-secret clients as a list, private sector first.
    sharedSecretClients: Object.values(sharedClients),
    certificate: certificateClient,
    // Signed by the emulator's CA (TLS accepts it) but registered to no client: HTTP 401.
    unregisteredCertificate: certificateFields(pki.unregistered),
    // Signed by another CA: the TLS handshake rejects it.
    untrustedCertificate: certificateFields(pki.untrusted),
    caPem: pki.caPem,
    caPath: pki.caPath,
  };
  const clientsById = new Map(Object.values(sharedClients).map((c) => [c.clientId, c]));
  const certificateClients = new Map([[pki.client.fingerprint256, certificateClient]]);

  // ---- mutable state -------------------------------------------------------------------------
  let clockOffsetMs = 0;
  const now = () => Date.now() + clockOffsetMs;
  let allowlist = new Set(config.allowlist);
  let corsOrigins = [...config.corsOrigins];
  let originAllowed = originMatcher(corsOrigins);
  const faults = new FaultRules();
  const log = [];
  let seq = 0;
  const sockets = new Set();
  const waits = new Set();
  let stopping = null;
  let resolveStopped;
  const stopped = new Promise((resolve) => { resolveStopped = resolve; });

  // ---- servers -------------------------------------------------------------------------------
  const httpServer = http.createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => guarded(req, res, false));
  const httpsServer = https.createServer({
    key: pki.server.keyPem,
    cert: pki.server.certPem,
    ca: [pki.caPem],
    requestCert: true,
    rejectUnauthorized: true,
    requestTimeout: 30_000,
    headersTimeout: 10_000,
  }, (req, res) => guarded(req, res, true));
  for (const server of [httpServer, httpsServer]) {
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
  }
  // Handshake failures (no or untrusted client certificate) never reach a request handler.
  httpsServer.on('tlsClientError', (err) => {
    if (stopping) return;
    pushLog({ method: null, path: null, purpose: 'certificateToken', status: null, tlsError: err.code ?? err.message });
  });

  const listen = (server, port) => new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => { server.off('error', reject); resolve(server.address().port); });
  });
  let port, httpsPort, closedPort;
  try {
    port = await listen(httpServer, config.port);
    httpsPort = await listen(httpsServer, config.httpsPort);
    // Bind and release an ephemeral port so clients can provoke "connection refused".
    const probe = net.createServer();
    closedPort = await listen(probe, 0);
    await new Promise((resolve) => probe.close(resolve));
  } catch (err) {
    httpServer.close();
    httpsServer.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const origin = `http://${HOST}:${port}`;
  // The same meaning as a setup's `endpoints.graphqlBaseUrl`: the origin the library appends
  // `/CPR/custom/<Sector>/<version>` to, so one can be passed to the other.
  const graphqlBaseUrl = origin;
  const customPrefix = `${origin}/CPR/custom`;
  const tokens = new TokenIssuer({ now, lifetimeSeconds: config.tokenLifetimeSeconds, issuer: `${origin}/realms/distribution` });
  const sectorUrls = (sector) => Object.fromEntries(versions.map((v) => [v, `${customPrefix}/${sector}/${v}`]));
  const urls = {
    origin,
    port,
    httpsPort,
    tokenUrl: `${origin}${TOKEN_PATH}`,
    certificateTokenUrl: `https://${HOST}:${httpsPort}${TOKEN_PATH}`,
    graphqlBaseUrl,
    privateSectorUrl: (version = versions[0]) => `${customPrefix}/PrivateSector/${version}`,
    publicSectorUrl: (version = versions[0]) => `${customPrefix}/PublicSector/${version}`,
    privateSectorUrls: sectorUrls('PrivateSector'),
    publicSectorUrls: sectorUrls('PublicSector'),
    closedPort,
    closedPortUrl: `http://${HOST}:${closedPort}`,
    controlUrl: `${origin}${CONTROL_PREFIX}`,
  };

  // ---- helpers -------------------------------------------------------------------------------
  function pushLog(fields) {
    const entry = { seq: ++seq, time: new Date(now()).toISOString(), ...fields };
    log.push(entry);
    if (log.length > MAX_LOG_ENTRIES) log.splice(0, log.length - MAX_LOG_ENTRIES);
    return entry;
  }

  function wait(ms) {
    return new Promise((resolve) => {
      const w = { timer: setTimeout(() => { waits.delete(w); resolve(); }, ms), resolve };
      waits.add(w);
    });
  }

  function classify(path, tls) {
    if (tls) return path === TOKEN_PATH ? 'certificateToken' : 'other';
    if (path === TOKEN_PATH) return 'token';
    const m = SECTOR_PATH.exec(path);
    if (m) return m[3] ? 'schema' : 'graphql';
    if (path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`)) return 'control';
    return 'other';
  }

  function setCors(req, res) {
    const requestOrigin = req.headers.origin;
    if (!requestOrigin || !originAllowed(requestOrigin)) return false;
    res.setHeader('Access-Control-Allow-Origin', requestOrigin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', 'retry-after, www-authenticate, content-type');
    return true;
  }

  // ---- request handling ----------------------------------------------------------------------
  // A bug in a handler must cost one connection, never the process (unhandled rejections exit).
  function guarded(req, res, tls) {
    handle(req, res, tls).catch(() => res.destroy());
  }

  async function handle(req, res, tls) {
    const url = new URL(req.url ?? '/', origin);
    const path = url.pathname;
    const purpose = classify(path, tls);
    const corsOk = setCors(req, res);

    if (purpose === 'control') {
      return handleControl(req, res, url).catch(() => { if (!res.headersSent) res.destroy(); });
    }

    const entry = pushLog({
      method: req.method,
      path: maskPath(path),
      purpose: req.method === 'OPTIONS' ? 'preflight' : purpose,
      status: null,
      clientId: null,
      remoteAddress: req.socket.remoteAddress,
      // Present on every request entry so filters never meet `undefined`.
      formFields: [],
      secretSha256: null,
      cprCount: 0,
      cprNumbers: [],
      fault: null,
      error: null,
    });
    const sendRaw = (status, headers, body) => {
      if (res.headersSent || res.destroyed) return;
      entry.status = status;
      res.writeHead(status, { 'Content-Length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    const sendJson = (status, body, headers = {}, type = 'application/json; charset=utf-8') =>
      sendRaw(status, { 'Content-Type': type, ...headers }, JSON.stringify(body));
    const ctx = { entry, purpose, sendRaw, sendJson, wait };

    try {
      if (req.method === 'OPTIONS') return preflight(req, res, ctx, corsOk);
      const body = await readBody(req);
      if (body.aborted) { entry.error = 'request aborted'; return; }
      if (body.tooLarge) {
        entry.error = 'body too large';
        return sendJson(413, { type: 'about:blank', title: 'Payload Too Large', status: 413, detail: ERRORS.bodyTooLarge },
          { Connection: 'close' }, 'application/problem+json');
      }
      if (purpose === 'token' || purpose === 'certificateToken') return await handleToken(req, res, ctx, body.text, tls);
      if (purpose === 'graphql' || purpose === 'schema') return await handleSector(req, res, ctx, body.text, path);
      entry.error = 'no such endpoint';
      return sendJson(404, { type: 'about:blank', title: 'Not Found', status: 404, detail: 'No such endpoint' }, {}, 'application/problem+json');
    } catch (err) {
      entry.error = `emulator error: ${err?.message ?? err}`;
      if (!res.headersSent) sendJson(500, { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'Emulator error' }, {}, 'application/problem+json');
      else res.destroy();
    }
  }

  function preflight(req, res, { sendRaw, entry }, corsOk) {
    if (req.headers.origin && !corsOk) {
      entry.error = 'origin not allowed';
      return sendRaw(403, { 'Content-Type': 'text/plain; charset=utf-8' }, 'CORS origin not allowed');
    }
    return sendRaw(204, {
      'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
      'Access-Control-Allow-Headers': 'authorization, content-type, accept',
      'Access-Control-Max-Age': '600',
      Allow: 'GET, POST, OPTIONS',
    }, '');
  }

  /** Runs the fault (if any) for this request; true when the request is fully answered. */
  async function injectFault(req, res, ctx) {
    const rule = faults.take(ctx.purpose);
    if (!rule) return false;
    return (await applyFault(rule, req, res, ctx)) === 'done';
  }

  async function handleToken(req, res, ctx, bodyText, tls) {
    const { entry, sendJson } = ctx;
    const oauthError = (status, error, description) => {
      entry.error = error;
      return sendJson(status, { error, error_description: description }, { 'Cache-Control': 'no-store' });
    };
    if (await injectFault(req, res, ctx)) return;
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST, OPTIONS');
      return oauthError(405, 'invalid_request', 'HTTP method not allowed');
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== 'application/x-www-form-urlencoded') return oauthError(400, 'invalid_request', ERRORS.formContentType);

    const form = new URLSearchParams(bodyText);
    entry.formFields = [...new Set(form.keys())];
    const clientSecret = form.get('client_secret');
    if (clientSecret !== null) entry.secretSha256 = sha256(clientSecret);
    const clientId = form.get('client_id');
    entry.clientId = clientId;

    for (const name of ['grant_type', 'client_id', 'client_secret']) {
      if (form.getAll(name).length > 1) return oauthError(400, 'invalid_request', ERRORS.duplicatedParameter(name));
    }
    const grantType = form.get('grant_type');
    if (!grantType) return oauthError(400, 'invalid_request', ERRORS.missingParameter('grant_type'));
    if (grantType !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', ERRORS.unsupportedGrantType);
    if (!clientId) return oauthError(400, 'invalid_request', ERRORS.missingParameter('client_id'));

    let client;
    if (tls) {
      // The certificate identifies the client; client_id must name the same client.
      const peer = req.socket.getPeerCertificate();
      const known = req.socket.authorized ? certificateClients.get(peer?.fingerprint256) : undefined;
      entry.certificate = known ? 'registered' : 'unregistered';
      if (!known || known.clientId !== clientId) return oauthError(401, 'invalid_client', ERRORS.invalidClient);
      client = known;
    } else {
      if (!clientSecret) return oauthError(400, 'invalid_request', ERRORS.missingParameter('client_secret'));
      const known = clientsById.get(clientId);
      if (!known || !safeEqual(clientSecret, known.clientSecret)) return oauthError(401, 'invalid_client', ERRORS.invalidClient);
      client = known;
    }
    entry.sector = client.sectorType;
    return sendJson(200, tokens.issue(client), { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  }

  async function handleSector(req, res, ctx, bodyText, path) {
    const { entry, sendJson, sendRaw } = ctx;
    const [, sector, version, schemaSuffix] = SECTOR_PATH.exec(path);
    entry.sector = sector;
    entry.version = maskPath(version);
    const problem = (status, title, detail, extra = {}, headers = {}) => {
      entry.error = detail;
      return sendJson(status, { type: 'about:blank', title, status, detail, ...extra }, headers, 'application/problem+json');
    };
    if (!versions.includes(version)) return problem(404, 'Not Found', `Unknown service version ${maskPath(version)}`);
    if (await injectFault(req, res, ctx)) return;

    if (!allowlist.has(req.socket.remoteAddress)) {
      return problem(401, 'Unauthorized', ERRORS.ipNotVerified, { errorCode: ERRORS.ipNotVerifiedCode });
    }
    const wantMethod = schemaSuffix ? 'GET' : 'POST';
    if (req.method !== wantMethod) return problem(405, 'Method Not Allowed', `Use ${wantMethod}`, {}, { Allow: `${wantMethod}, OPTIONS` });

    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const verdict = match ? tokens.verify(match[1]) : { ok: false, reason: ERRORS.missingBearer };
    if (!verdict.ok) {
      return problem(401, 'Unauthorized', verdict.reason, { error: 'invalid_token' },
        { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${verdict.reason}"` });
    }
    const { claims } = verdict;
    entry.clientId = claims.client_id;
    if (claims.sector !== sector || claims.environment !== environment) {
      entry.error = 'not authorized';
      return sendJson(200, {
        data: null,
        errors: [{ message: ERRORS.notAuthorized(sector, environment), extensions: { code: ERRORS.notAuthorizedCode } }],
      });
    }
    if (schemaSuffix) return sendRaw(200, { 'Content-Type': 'text/plain; charset=utf-8' }, sectorSchema(sector, variantOf(version)).sdl);

    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== 'application/json') {
      entry.error = 'content type';
      return sendJson(415, { errors: [{ message: ERRORS.jsonContentType, extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' } }] });
    }
    const today = new Date(now()).toISOString().slice(0, 10);
    const { status, body } = runGraphQL({ sector, bodyText, entry, today, variant: variantOf(version) });
    if (body.errors?.length) entry.errorCodes = [...new Set(body.errors.map((e) => e.extensions?.code ?? 'GRAPHQL_ERROR'))];
    return sendJson(status, body);
  }

  // ---- control API ---------------------------------------------------------------------------
  const jsonSafeCredentials = () => JSON.parse(JSON.stringify(credentials, (key, value) => (key === 'pfx' ? undefined : value)));
  const info = () => ({ urls: JSON.parse(JSON.stringify(urls)), credentials: jsonSafeCredentials(), environment, versions: [...versions], schemas: { ...schemas } });

  async function handleControl(req, res, url) {
    const send = (status, body) => {
      if (res.headersSent) return;
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
        'Access-Control-Allow-Headers': 'authorization, content-type, accept',
        'Access-Control-Max-Age': '600',
      });
      return res.end();
    }
    const body = await readBody(req);
    if (body.aborted) return;
    if (body.tooLarge) return send(413, { error: ERRORS.bodyTooLarge });
    let input = {};
    if (body.text.trim()) {
      try {
        input = JSON.parse(body.text);
      } catch {
        return send(400, { error: 'Body must be JSON' });
      }
    }
    const route = `${req.method} ${url.pathname.slice(CONTROL_PREFIX.length) || '/'}`;
    try {
      switch (route) {
        case 'GET /':
        case 'GET /info':
          return send(200, info());
        case 'GET /log': {
          const purpose = url.searchParams.get('purpose');
          return send(200, purpose ? log.filter((e) => e.purpose === purpose) : log);
        }
        case 'DELETE /log':
          api.clearLog();
          return send(200, { cleared: true });
        case 'GET /faults':
          return send(200, faults.list());
        case 'POST /faults': {
          const specs = Array.isArray(input) ? input : Array.isArray(input.faults) ? input.faults : [input];
          // Validate all before adding any, so a bad batch changes nothing.
          const probe = new FaultRules();
          specs.forEach((s) => probe.add(s));
          return send(201, { ids: specs.map((s) => faults.add(s)) });
        }
        case 'DELETE /faults':
        case 'POST /faults/clear':
          faults.clear();
          return send(200, { cleared: true });
        case 'GET /allowlist':
          return send(200, { allowlist: api.getAllowlist() });
        case 'POST /allowlist':
          api.setAllowlist(input.allowlist);
          return send(200, { allowlist: api.getAllowlist() });
        case 'POST /cors':
          api.setCorsOrigins(input.corsOrigins);
          return send(200, { corsOrigins });
        case 'POST /revoke-tokens':
          api.revokeTokens();
          return send(200, { revoked: true });
        case 'POST /clock':
          api.advanceClock(input.advanceSeconds);
          return send(200, { now: new Date(now()).toISOString() });
        case 'POST /versions':
          api.setVersions(input.versions);
          return send(200, { versions: [...versions] });
        case 'POST /schemas':
          api.setSchemas(input.schemas);
          return send(200, { schemas: { ...schemas } });
        case 'POST /token-lifetime':
          api.setTokenLifetime(input.seconds);
          return send(200, { tokenLifetimeSeconds: tokens.lifetimeSeconds });
        case 'POST /reset':
          api.reset();
          return send(200, { reset: true });
        case 'POST /stop':
          send(200, { stopping: true });
          res.on('finish', () => api.stop());
          return undefined;
        default: {
          const m = /^DELETE \/faults\/(\d+)$/.exec(route);
          if (m) return send(faults.remove(Number(m[1])) ? 200 : 404, { removed: Number(m[1]) });
          return send(404, { error: `Unknown control route ${route}` });
        }
      }
    } catch (err) {
      return send(err instanceof TypeError ? 400 : 500, { error: err.message });
    }
  }

  // ---- lifetime ------------------------------------------------------------------------------
  // If the process exits without stop() (a test forgot it, an uncaught error), still delete the
  // private keys.
  const removeDir = () => {
    process.off('exit', removeDir);
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', removeDir);
  const lifetimeTimer = config.maxLifetimeSeconds > 0
    ? setTimeout(() => api.stop(), config.maxLifetimeSeconds * 1000)
    : null;
  // The timer alone must not keep a process alive whose servers are already closed.
  lifetimeTimer?.unref();

  const api = {
    urls,
    credentials,
    environment,
    /** The versions served now (others answer 404). */
    get versions() { return [...versions]; },
    /** Which schema variant each version serves. */
    get schemas() { return { ...schemas }; },
    /** Live array of request log entries (see README for the fields). */
    log,
    stopped,
    clearLog() { log.length = 0; },
    faults: {
      add: (spec) => faults.add(spec),
      remove: (id) => faults.remove(id),
      clear: () => faults.clear(),
      list: () => faults.list(),
    },
    setAllowlist(list) { checkAllowlist(list); allowlist = new Set(list); },
    getAllowlist() { return [...allowlist]; },
    setCorsOrigins(list) { checkStringList(list, 'corsOrigins'); corsOrigins = [...list]; originAllowed = originMatcher(corsOrigins); },
    setTokenLifetime(seconds) {
      if (!(typeof seconds === 'number' && seconds > 0)) throw new TypeError('seconds must be a positive number');
      tokens.lifetimeSeconds = seconds;
    },
    revokeTokens() { tokens.revokeAll(); },
    /** Serve only these versions from now on (a version not listed answers 404). */
    setVersions(list) { checkStringList(list, 'versions'); versions = [...list]; },
    /** Change the schema variant of some versions, e.g. `{ v3: 'v3-next' }`. */
    setSchemas(map) { const next = { ...schemas, ...map }; checkSchemas(next); schemas = next; },
    /** Moves the emulator's clock forward (token expiry, "today"), without waiting. */
    advanceClock(seconds) {
      if (!(typeof seconds === 'number' && Number.isFinite(seconds))) throw new TypeError('advanceSeconds must be a number');
      clockOffsetMs += seconds * 1000;
    },
    now: () => now(),
    /** Issues a token directly (no HTTP request, nothing logged), for a client id from credentials. */
    issueToken(clientId) {
      const client = clientsById.get(clientId) ?? (clientId === certificateClient.clientId ? certificateClient : null);
      if (!client) throw new TypeError(`Unknown client ${clientId}`);
      return tokens.issue(client).access_token;
    },
    info,
    /** Back to the start-up configuration; issued tokens stay valid. */
    reset() {
      faults.clear();
      allowlist = new Set(config.allowlist);
      corsOrigins = [...config.corsOrigins];
      originAllowed = originMatcher(corsOrigins);
      tokens.lifetimeSeconds = config.tokenLifetimeSeconds;
      versions = [...config.versions];
      schemas = { ...startSchemas };
      clockOffsetMs = 0;
      log.length = 0;
    },
    /** Closes both servers and every connection, removes the temp dir. Idempotent. */
    stop() {
      if (stopping) return stopping;
      stopping = (async () => {
        if (lifetimeTimer) clearTimeout(lifetimeTimer);
        for (const w of waits) { clearTimeout(w.timer); w.resolve(); }
        waits.clear();
        const closed = [httpServer, httpsServer].map((s) => new Promise((resolve) => s.close(() => resolve())));
        for (const socket of sockets) socket.destroy();
        // The keys are in memory by now: remove the files at once, not after the close callbacks.
        removeDir();
        await Promise.all(closed);
        resolveStopped();
      })();
      return stopping;
    },
  };
  return api;
}
