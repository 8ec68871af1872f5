// datafordeler-cpr/relay: a credential-holding relay for browsers (Node).
//
// The relay holds the setup (secrets included) and one CprClient; callers (an ERP front-end in
// a browser) reach a narrow API below a base path: lookup, test-connection, schema, endpoints,
// health. Every Datafordeleren request is built by the library from the relay's own setup; no
// URL, header, token or query from a caller is ever forwarded. Answers are JSON (or the SDL as
// text), problems are `application/problem+json` with a stable `code`. See README, "Relay".
import { createHmac, randomBytes } from 'node:crypto';
import { CprClient, CprError, isCprError, redact, validateCpr, validateSetup } from './index.node.js';

const ROUTES = {
  '/lookup': { POST: 'lookup' },
  '/test-connection': { POST: 'testConnection' },
  '/schema': { GET: 'schema' },
  '/endpoints': { GET: 'endpoints' },
  '/health': { GET: 'health' },
};
const OPTION_KEYS = ['setup', 'fetch', 'authorize', 'allowedOrigins', 'allowedHeaders', 'limits', 'audit', 'auditKey',
  'maxBodyBytes', 'basePath', 'clientOptions', 'now'];
const LIMIT_KEYS = ['lookupsPerMinute', 'maxBatch', 'concurrency'];
// Client options the relay decides itself (its transport, debug output, merging in the browser);
// every other key is the client's to check, against its own declared options.
const RELAY_OWNED_CLIENT_OPTIONS = ['fetch', 'onDebug', 'debugKeepCprNumbers', 'merge'];
const DEFAULT_HEADERS = ['authorization', 'content-type'];
const WINDOW_MS = 60_000;
const MAX_KEY_TEXT = 64;
const TITLES = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  413: 'Content Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable',
};

/** A CprError (what the library throws): a stable `code`, `field` when an option is at fault. */
function cprError(code, message, field) {
  return new CprError(message, { code, field });
}

const isPlainObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

function refuseUnknownKeys(value, allowed, where) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw cprError('invalid_options', `${where}: unknown option \`${String(key).slice(0, MAX_KEY_TEXT)}\`, expected one of ${allowed.join(', ')}`, key);
    }
  }
}

function positiveInteger(value, field, fallback, max) {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw cprError('invalid_options', `${field} must be a whole number from 1 to ${max}.`, field);
  }
  return value;
}

function readOrigins(list) {
  if (!Array.isArray(list) || list.length > 1000) throw cprError('invalid_options', 'allowedOrigins must be a list (at most 1000) of origins (e.g. ["https://erp.example.com"]); use [] for no browser access.', 'allowedOrigins');
  return new Set(list.map((origin, i) => {
    let parsed;
    try { parsed = typeof origin === 'string' ? new URL(origin) : null; } catch { parsed = null; }
    if (!parsed || parsed.origin === 'null' || parsed.origin !== origin) {
      throw cprError('invalid_options', `allowedOrigins[${i}] must be an origin exactly as a browser sends it: scheme, host and port only, e.g. https://erp.example.com (no "*", no path, no trailing slash).`, `allowedOrigins[${i}]`);
    }
    return origin;
  }));
}

function readBasePath(value) {
  if (value === undefined) return '';
  if (typeof value !== 'string' || !value.startsWith('/') || /[?#\\]/.test(value)) {
    throw cprError('invalid_options', 'basePath must be a path starting with "/", e.g. "/cpr-relay".', 'basePath');
  }
  return value.replace(/\/+$/, '');
}

/**
 * Create a relay. Throws a CprError when the setup or an option is unusable.
 * @param {import('./relay').RelayOptions} options
 * @returns {import('./relay').Relay}
 */
export function createRelay(options) {
  try {
    return buildRelay(options);
  } catch (error) {
    if (isCprError(error)) throw error;
    // An option whose reading throws (a getter, a Proxy): refused without repeating what it threw.
    throw cprError('invalid_options', 'createRelay: an option could not be read.');
  }
}

function buildRelay(options) {
  if (!isPlainObject(options)) throw cprError('invalid_options', 'createRelay needs an options object with at least setup, authorize, allowedOrigins and audit.');
  refuseUnknownKeys(options, OPTION_KEYS, 'createRelay');
  const { setup, authorize, audit } = options;
  if (typeof authorize !== 'function') throw cprError('invalid_options', 'authorize must be a function (request) => principal | null: the relay serves no caller it cannot identify.', 'authorize');
  if (typeof audit !== 'function') throw cprError('invalid_options', 'audit must be a function (event) => void: the relay keeps an audit trail of every operation.', 'audit');
  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw cprError('invalid_options', 'fetch must be a function (e.g. createCertificateFetch({ pfx, passphrase })).', 'fetch');
  if (options.now !== undefined && typeof options.now !== 'function') throw cprError('invalid_options', 'now must be a function returning the time in ms.', 'now');
  const allowedOrigins = readOrigins(options.allowedOrigins);
  const allowedHeaders = [...DEFAULT_HEADERS];
  if (options.allowedHeaders !== undefined) {
    if (!Array.isArray(options.allowedHeaders) || options.allowedHeaders.length > 100 || !options.allowedHeaders.every((h) => typeof h === 'string' && /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(h))) {
      throw cprError('invalid_options', 'allowedHeaders must be a list of header names.', 'allowedHeaders');
    }
    for (const header of options.allowedHeaders) if (!allowedHeaders.includes(header.toLowerCase())) allowedHeaders.push(header.toLowerCase());
  }
  const limitsInput = options.limits ?? {};
  if (!isPlainObject(limitsInput)) throw cprError('invalid_options', 'limits must be an object { lookupsPerMinute, maxBatch, concurrency }.', 'limits');
  refuseUnknownKeys(limitsInput, LIMIT_KEYS, 'limits');
  const lookupsPerMinute = positiveInteger(limitsInput.lookupsPerMinute, 'limits.lookupsPerMinute', 120, 1_000_000);
  const maxBatch = positiveInteger(limitsInput.maxBatch, 'limits.maxBatch', Math.min(50, lookupsPerMinute), 1000);
  if (maxBatch > lookupsPerMinute) throw cprError('invalid_options', 'limits.maxBatch may not exceed limits.lookupsPerMinute: such a batch could never be served.', 'limits.maxBatch');
  const concurrency = positiveInteger(limitsInput.concurrency, 'limits.concurrency', 4, 64);
  const maxBodyBytes = positiveInteger(options.maxBodyBytes, 'maxBodyBytes', 16 * 1024, 16 * 1024 * 1024);
  const basePath = readBasePath(options.basePath);
  const clientOptions = options.clientOptions ?? {};
  if (!isPlainObject(clientOptions)) throw cprError('invalid_options', 'clientOptions must be an object.', 'clientOptions');
  const owned = Object.keys(clientOptions).find((key) => RELAY_OWNED_CLIENT_OPTIONS.includes(key));
  if (owned) throw cprError('invalid_options', `clientOptions.${owned} is set by the relay itself.`, `clientOptions.${owned}`);
  let auditKey = options.auditKey;
  if (auditKey === undefined) auditKey = randomBytes(32);
  else if (!(typeof auditKey === 'string' && auditKey.length >= 16) && !(auditKey instanceof Uint8Array && auditKey.length >= 16)) {
    throw cprError('invalid_options', 'auditKey must be text or bytes of at least 16 characters/bytes.', 'auditKey');
  }
  const now = options.now ?? Date.now;

  // --- the client, with a transport the relay watches for the health route's token outcome.
  // Secrets and tokens need no watching: everything the client hands back has passed its one
  // exit, which removes every secret and token it holds.
  const inner = options.fetch ?? defaultFetch;
  let lastToken = 'none';
  const watchedFetch = async (request) => {
    try {
      const response = await inner(request);
      if (request.purpose === 'token') lastToken = response && response.status >= 200 && response.status < 300 ? 'succeeded' : 'failed';
      return response;
    } catch (error) {
      if (request.purpose === 'token' && !request.signal?.aborted) lastToken = 'failed';
      throw error;
    }
  };
  // The constructor throws the library's CprError for a setup it cannot use, and for client
  // options it cannot use: those are the relay's clientOptions, so the error names them so.
  let client;
  try {
    client = new CprClient(setup, { ...clientOptions, fetch: watchedFetch });
  } catch (error) {
    if (error?.code !== 'invalid_options') throw error;
    throw cprError('invalid_options', String(error.message).replace(/^options: /, 'clientOptions: '), 'clientOptions');
  }
  // A setup the constructor accepts but whose operations would all refuse (integration off,
  // legacy mode on) is refused here too: a relay that can never answer should not start.
  const report = validateSetup(setup);
  const blocking = report.issues.find((issue) => issue.severity === 'error');
  if (blocking) throw cprError(blocking.code, blocking.message, blocking.field);

  // What the relay writes itself (problem details, audit principals) and what the client hands
  // back go through the pattern redaction once more here for the CPR numbers: a caller sees only
  // the numbers it asked for.
  const safe = (value, maskCpr = true) => redact(value, { maskCpr });
  const hmac = (text) => createHmac('sha256', auditKey).update(text).digest('hex');

  // --- per-principal sliding window: the lookups (or other upstream operations) of the last minute
  const windows = new Map();
  function takeAllowance(key, cost) {
    const t = now();
    let entries = windows.get(key);
    if (entries) while (entries.length && entries[0].t <= t - WINDOW_MS) entries.shift();
    else entries = [];
    const used = entries.reduce((sum, e) => sum + e.n, 0);
    if (used + cost > lookupsPerMinute) {
      let freed = 0;
      let until = t;
      for (const entry of entries) {
        freed += entry.n;
        until = entry.t + WINDOW_MS;
        if (used - freed + cost <= lookupsPerMinute) break;
      }
      windows.set(key, entries);
      return { ok: false, retryAfter: Math.max(1, Math.ceil((until - t) / 1000)) };
    }
    entries.push({ t, n: cost });
    windows.set(key, entries);
    if (windows.size > 10_000) {
      for (const [k, list] of windows) if (!list.length || list.at(-1).t <= t - WINDOW_MS) windows.delete(k);
    }
    return { ok: true };
  }

  // --- closing
  let closing = false;
  let closePromise;
  let cancelled = false;
  const operations = new Set();
  const inflight = new Set();
  /** One operation's signal: aborts when the caller goes away or close() cancels; `release` when done. */
  function operationSignal(callerSignal) {
    const controller = new AbortController();
    const abort = () => controller.abort();
    if (cancelled || callerSignal?.aborted) controller.abort();
    else callerSignal?.addEventListener('abort', abort, { once: true });
    operations.add(controller);
    return {
      signal: controller.signal,
      release: () => { operations.delete(controller); callerSignal?.removeEventListener('abort', abort); },
    };
  }

  // --- responses
  function headersFor(origin, extra = {}) {
    const headers = {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      vary: 'Origin',
      ...extra,
    };
    if (origin && allowedOrigins.has(origin)) {
      headers['access-control-allow-origin'] = origin;
      headers['access-control-allow-credentials'] = 'true';
      headers['access-control-expose-headers'] = 'Retry-After, Content-Type';
    }
    return headers;
  }
  function json(status, body, origin, extra) {
    return new Response(JSON.stringify(body), { status, headers: headersFor(origin, { 'content-type': 'application/json; charset=utf-8', ...extra }) });
  }
  function problem(status, code, detail, origin, more = {}, extra = {}) {
    const body = safe({ type: `urn:datafordeler-cpr:relay:${code}`, title: TITLES[status] ?? 'Error', status, code, detail, ...more });
    return new Response(JSON.stringify(body), { status, headers: headersFor(origin, { 'content-type': 'application/problem+json; charset=utf-8', ...extra }) });
  }
  /** A problem from a library error: its code, message and diagnosis (redacted). */
  function operationProblem(error, origin, ctx) {
    const code = typeof error?.code === 'string' ? error.code : 'relay_error';
    const diagnosis = isPlainObject(error?.diagnosis) ? error.diagnosis : undefined;
    if (diagnosis?.status !== undefined) ctx.upstreamStatus = diagnosis.status;
    const status = code === 'cancelled' ? 503 : diagnosis ? 502 : 500;
    const detail = typeof error?.message === 'string' ? error.message : 'The operation failed.';
    const extra = diagnosis?.retryAfterSeconds !== undefined ? { 'retry-after': String(diagnosis.retryAfterSeconds) } : {};
    return problem(status, code, detail, origin, diagnosis ? { diagnosis } : {}, extra);
  }

  async function emit(ctx, response) {
    const event = {
      time: new Date(ctx.started).toISOString(),
      operation: ctx.operation,
      outcome: ctx.outcome ?? 'ok',
      status: response.status,
      durationMs: Math.max(0, now() - ctx.started),
    };
    if (ctx.principal !== undefined && ctx.principal !== null) event.principal = safe(ctx.principal);
    if (ctx.upstreamStatus !== undefined) event.upstreamStatus = ctx.upstreamStatus;
    if (ctx.numbers) event.cprNumbers = ctx.numbers;
    await audit(event);
  }

  async function run(request, ctx, context) {
    const origin = request.headers.get('origin') ?? undefined;
    const refuse = (status, code, detail, extra) => {
      ctx.outcome = code;
      return problem(status, code, detail, origin, {}, extra);
    };
    let url;
    try { url = new URL(request.url); } catch { return refuse(400, 'invalid_request', 'The request URL cannot be read.'); }
    const route = url.pathname.startsWith(`${basePath}/`) ? url.pathname.slice(basePath.length) : undefined;
    const methods = route !== undefined && Object.hasOwn(ROUTES, route) ? ROUTES[route] : undefined;
    if (methods && Object.hasOwn(methods, request.method)) ctx.operation = methods[request.method];

    // 1. who is calling
    let principal;
    try {
      principal = await authorize(request, context);
    } catch {
      return refuse(500, 'authorize_failed', 'The relay could not check who is calling.');
    }
    if (principal === null || principal === undefined || principal === false) {
      return refuse(401, 'unauthorized', 'The relay does not know this caller: sign in to the ERP again.');
    }
    ctx.principal = principal;
    // 2. from where (a browser always says; a server-side caller sends no Origin)
    if (origin !== undefined && !allowedOrigins.has(origin)) {
      return refuse(403, 'origin_not_allowed', 'This page\'s origin is not among the relay\'s allowed origins.');
    }
    // 3. what
    if (!methods) return refuse(404, 'not_found', `The relay serves ${Object.keys(ROUTES).map((r) => basePath + r).join(', ')}.`);
    if (!ctx.operation) {
      return refuse(405, 'method_not_allowed', `${route} answers ${Object.keys(methods).join(', ')} only.`, { allow: Object.keys(methods).join(', ') });
    }
    if (url.search) return refuse(400, 'invalid_request', 'The relay takes no query parameters.');

    // 4. the body (POST routes)
    let body;
    if (request.method === 'POST') {
      const read = await readBody(request, maxBodyBytes);
      if (read.tooLarge) return refuse(413, 'body_too_large', `The request body exceeds ${maxBodyBytes} bytes.`, { connection: 'close' });
      if (read.error) return refuse(400, 'invalid_request', 'The request body could not be read.');
      const type = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
      if (read.text.length > 0 && type !== 'application/json') return refuse(415, 'unsupported_media_type', 'Send the body as application/json.');
      if (read.text.length > 0) {
        try { body = JSON.parse(read.text); } catch { return refuse(400, 'invalid_request', 'The request body is not JSON.'); }
        if (!isPlainObject(body)) return refuse(400, 'invalid_request', 'The request body must be a JSON object.');
      }
    }

    switch (ctx.operation) {
      case 'health':
        return json(200, { ok: lastToken !== 'failed', lastToken }, origin);
      case 'endpoints':
        return json(200, safe(client.endpoints), origin);
      case 'testConnection': {
        const unknown = Object.keys(body ?? {});
        if (unknown.length) return refuse(400, 'invalid_request', `test-connection takes no parameters; got \`${unknown[0].slice(0, MAX_KEY_TEXT)}\`.`);
        const allowance = takeAllowance(rateKey(principal), 1);
        if (!allowance.ok) return refuse(429, 'rate_limited', 'Too many requests from this caller; wait before trying again.', { 'retry-after': String(allowance.retryAfter) });
        const link = operationSignal(request.signal);
        try {
          const report = await client.testConnection({ signal: link.signal });
          const failed = report.steps.find((step) => step.status === 'failed');
          if (failed) {
            if (failed.diagnosis?.status !== undefined) ctx.upstreamStatus = failed.diagnosis.status;
            ctx.outcome = failed.diagnosis?.code ?? 'failed';
          } else ctx.upstreamStatus = 200;
          return json(200, safe(report), origin);
        } catch (error) {
          ctx.outcome = typeof error?.code === 'string' ? error.code : 'relay_error';
          return operationProblem(error, origin, ctx);
        } finally {
          link.release();
        }
      }
      case 'schema': {
        const allowance = takeAllowance(rateKey(principal), 1);
        if (!allowance.ok) return refuse(429, 'rate_limited', 'Too many requests from this caller; wait before trying again.', { 'retry-after': String(allowance.retryAfter) });
        const link = operationSignal(request.signal);
        try {
          const sdl = await client.fetchSchema({ signal: link.signal });
          ctx.upstreamStatus = 200;
          return new Response(String(safe(sdl)), { status: 200, headers: headersFor(origin, { 'content-type': 'text/plain; charset=utf-8' }) });
        } catch (error) {
          ctx.outcome = typeof error?.code === 'string' ? error.code : 'relay_error';
          return operationProblem(error, origin, ctx);
        } finally {
          link.release();
        }
      }
      case 'lookup':
        return lookup(body, principal, request, ctx, origin, refuse);
      default:
        return refuse(404, 'not_found', 'No such operation.');
    }
  }

  async function lookup(body, principal, request, ctx, origin, refuse) {
    if (!body) return refuse(400, 'invalid_request', 'Send { "cprNumbers": [ ... ] }.');
    const unknown = Object.keys(body).find((key) => key !== 'cprNumbers');
    if (unknown !== undefined) {
      return refuse(400, 'invalid_request', `The lookup body takes only "cprNumbers"; \`${unknown.slice(0, MAX_KEY_TEXT)}\` is not accepted (the relay builds every request to Datafordeleren itself).`);
    }
    const numbers = body.cprNumbers;
    if (!Array.isArray(numbers) || numbers.length === 0) return refuse(400, 'invalid_request', '"cprNumbers" must be a list of 1 or more CPR numbers.');
    if (numbers.length > maxBatch) return refuse(400, 'batch_too_large', `At most ${maxBatch} CPR numbers per request; got ${numbers.length}.`);
    const bad = numbers.findIndex((n) => typeof n !== 'string' || n.length > 64);
    if (bad !== -1) return refuse(400, 'invalid_request', `cprNumbers[${bad}] must be text (DDMMYYSSSS or DDMMYY-SSSS).`);

    const checked = numbers.map((n) => validateCpr(n));
    ctx.numbers = numbers.map((n, i) => {
      const entry = { hmac: hmac(checked[i].valid ? checked[i].normalized : n.replace(/[\s-]/g, '')) };
      if (checked[i].masked) entry.masked = checked[i].masked;
      return entry;
    });
    const allowance = takeAllowance(rateKey(principal), numbers.length);
    if (!allowance.ok) {
      for (const entry of ctx.numbers) entry.outcome = 'rate_limited';
      return refuse(429, 'rate_limited', 'Too many lookups from this caller; wait before trying again.', { 'retry-after': String(allowance.retryAfter) });
    }

    const link = operationSignal(request.signal);
    let results;
    try {
      results = await client.lookupMany(numbers, { concurrency, signal: link.signal });
    } finally {
      link.release();
    }
    const statuses = [];
    const out = results.map((result, i) => {
      const entry = ctx.numbers[i];
      if (result.ok) {
        const { person, notifications } = result.value;
        entry.outcome = person ? 'ok' : (notifications.find((n) => n.code === 'person_not_found' || n.code === 'ambiguous_result')?.code ?? 'ok');
        entry.upstreamStatus = 200;
        statuses.push(200);
        const value = { notifications };
        if (person) value.person = person;
        const cleaned = safe(value);
        // The number the caller asked for is its own; every other number stays masked.
        if (person && typeof person.cpr === 'string' && person.cpr === checked[i].normalized) cleaned.person.cpr = person.cpr;
        return { index: result.index, ok: true, value: cleaned };
      }
      const { code, message, diagnosis } = result.error;
      entry.outcome = code;
      if (diagnosis?.status !== undefined) {
        entry.upstreamStatus = diagnosis.status;
        statuses.push(diagnosis.status);
      }
      const error = { code, message };
      if (diagnosis) error.diagnosis = diagnosis;
      return { index: result.index, ok: false, error: safe(error) };
    });
    if (statuses.length) ctx.upstreamStatus = statuses.find((s) => s !== 200) ?? 200;
    // Every item failed the same way, and not for its own input: the operation failed as a whole.
    const first = results[0];
    if (!first.ok && first.error.code !== 'invalid_cpr_number' && results.every((r) => !r.ok && r.error.code === first.error.code)) {
      ctx.outcome = first.error.code;
      const error = cprError(first.error.code, first.error.message);
      if (first.error.diagnosis) error.diagnosis = first.error.diagnosis;
      return operationProblem(error, origin, ctx);
    }
    const failures = out.filter((r) => !r.ok).length;
    if (failures) ctx.outcome = failures === out.length ? 'failed' : 'partial';
    return json(200, { results: out }, origin);
  }

  async function handle(request, context) {
    const ctx = { started: now(), operation: undefined };
    if (!(request instanceof Request)) {
      return problem(500, 'invalid_request', 'handle() needs a fetch API Request.', undefined);
    }
    const origin = request.headers.get('origin') ?? undefined;
    if (request.method === 'OPTIONS') {
      // A CORS preflight carries no credentials, so it is answered before authorize.
      if (closing) return problem(503, 'relay_closing', 'The relay is shutting down.', origin);
      if (!origin || !allowedOrigins.has(origin)) return problem(403, 'origin_not_allowed', 'This origin is not among the relay\'s allowed origins.', undefined);
      return new Response(null, {
        status: 204,
        headers: headersFor(origin, {
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers': allowedHeaders.join(', '),
          'access-control-max-age': '600',
        }),
      });
    }
    if (closing) {
      ctx.outcome = 'relay_closing';
      return answer(ctx, origin, problem(503, 'relay_closing', 'The relay is shutting down; try again shortly.', origin, {}, { 'retry-after': '5' }));
    }
    // In flight from here until the answer (audit included) is ready: close() waits for it.
    const task = run(request, ctx, context)
      .catch(() => {
        ctx.outcome = 'relay_error';
        return problem(500, 'relay_error', 'The relay failed to answer.', origin);
      })
      .then((response) => answer(ctx, origin, response));
    inflight.add(task);
    try { return await task; } finally { inflight.delete(task); }
  }

  async function answer(ctx, origin, response) {
    try {
      await emit(ctx, response);
    } catch {
      // No answer leaves without its audit record.
      return problem(500, 'audit_failed', 'The relay could not record this operation, so it does not answer it.', origin);
    }
    return response;
  }

  function nodeHandler(req, res, next) {
    const controller = new AbortController();
    res.on('close', () => { if (!res.writableFinished) controller.abort(); });
    let request;
    try {
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
      }
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
      request = new Request(new URL(req.url ?? '/', 'http://relay.invalid'), {
        method: req.method,
        headers,
        body: hasBody ? nodeBody(req) : undefined,
        duplex: hasBody ? 'half' : undefined,
        signal: controller.signal,
      });
    } catch {
      res.writeHead(400, headersFor(undefined, { 'content-type': 'application/problem+json; charset=utf-8' }));
      res.end(JSON.stringify({ type: 'urn:datafordeler-cpr:relay:invalid_request', title: 'Bad Request', status: 400, code: 'invalid_request', detail: 'The request cannot be read.' }));
      return;
    }
    handle(request, { nodeRequest: req }).then(async (response) => {
      const body = Buffer.from(await response.arrayBuffer());
      if (res.destroyed) return;
      const headers = Object.fromEntries(response.headers);
      res.writeHead(response.status, headers);
      res.end(body);
    }).catch((error) => {
      if (typeof next === 'function') next(error);
      else if (!res.headersSent) { res.writeHead(500); res.end(); }
    });
  }

  function close({ graceMs = 10_000 } = {}) {
    if (!closePromise) {
      closing = true;
      closePromise = (async () => {
        const all = Promise.allSettled([...inflight]);
        let timer;
        const grace = new Promise((resolve) => { timer = setTimeout(resolve, Math.max(0, graceMs)); timer.unref?.(); });
        await Promise.race([all, grace]);
        clearTimeout(timer);
        cancelled = true;
        for (const controller of operations) controller.abort();
        await Promise.allSettled([...inflight]);
      })();
    }
    return closePromise;
  }

  return { handle: (request) => handle(request, undefined), nodeHandler, close };
}

/** The rate-limit key of a principal: itself when text or a number, else its `id`, else its JSON. */
function rateKey(principal) {
  if (typeof principal === 'string' || typeof principal === 'number') return `p:${principal}`;
  if (isPlainObject(principal) && (typeof principal.id === 'string' || typeof principal.id === 'number')) return `p:${principal.id}`;
  try { return `j:${JSON.stringify(principal)}`; } catch { return 'unkeyed'; }
}

/** The platform fetch for the library's requests; redirects are not followed (a credential never follows one). */
function defaultFetch(request) {
  return globalThis.fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: request.signal,
    redirect: 'manual',
  });
}

/** Read a request body up to `max` bytes; stops reading (and reports) as soon as it is over. */
async function readBody(request, max) {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    request.body?.cancel().catch(() => {});
    return { tooLarge: true };
  }
  if (!request.body) return { text: '' };
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        reader.cancel().catch(() => {});
        return { tooLarge: true };
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) { bytes.set(chunk, at); at += chunk.byteLength; }
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { error: true };
  }
}

/** A node request body as a web stream that, when cancelled, lets the rest drain instead of destroying the socket (so a 413 still reaches the caller). */
function nodeBody(req) {
  let finished = false;
  return new ReadableStream({
    start(controller) {
      req.on('data', (chunk) => {
        if (finished) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if (controller.desiredSize <= 0) req.pause();
      });
      req.on('end', () => { if (!finished) { finished = true; controller.close(); } });
      req.on('error', (error) => { if (!finished) { finished = true; controller.error(error); } });
      req.pause();
    },
    pull() { req.resume(); },
    cancel() { finished = true; req.resume(); },
  }, { highWaterMark: 4 });
}
