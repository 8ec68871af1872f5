// Fault injection: rules that make the next matching request(s) fail in one specific way.
//
// A rule: { mode, purpose?, count?, every?, retryAfter?, delayMs?, sizeMb?, detail?, body?, contentType? }
//   mode      one of FAULT_MODES
//   purpose   'token' | 'certificateToken' | 'graphql' | 'schema'; omitted = all four
//   every     apply to every k-th matching request (1st, 1+k-th, ...); e.g. 2 = every other one
//   count     how many times to inject before the rule retires; default 1, or unlimited when
//             `every` is given; null = unlimited (until cleared)
// The first rule that applies wins; one fault per request.

export const FAULT_MODES = [
  'http500', 'http503', 'http429', 'http403', 'delay', 'malformedJson', 'truncatedBody',
  'oversizedBody', 'ipNotVerified', 'connectionReset',
];
export const FAULT_PURPOSES = ['token', 'certificateToken', 'graphql', 'schema'];

const MAX_DELAY_MS = 60_000;
const MAX_OVERSIZED_MB = 64;

export class FaultRules {
  constructor() {
    this.rules = [];
    this.nextId = 1;
  }

  /** Validates and adds a rule; returns its id. Throws TypeError on a bad spec. */
  add(spec) {
    if (!spec || typeof spec !== 'object') throw new TypeError('A fault must be an object');
    if (!FAULT_MODES.includes(spec.mode)) throw new TypeError(`Unknown fault mode ${JSON.stringify(spec.mode)}; one of ${FAULT_MODES.join(', ')}`);
    if (spec.purpose !== undefined && spec.purpose !== null && !FAULT_PURPOSES.includes(spec.purpose)) {
      throw new TypeError(`Unknown purpose ${JSON.stringify(spec.purpose)}; one of ${FAULT_PURPOSES.join(', ')}`);
    }
    const positiveInt = (v, name) => {
      if (v !== undefined && v !== null && !(Number.isInteger(v) && v > 0)) throw new TypeError(`${name} must be a positive integer`);
    };
    positiveInt(spec.count, 'count');
    positiveInt(spec.every, 'every');
    if (spec.delayMs !== undefined && !(Number.isFinite(spec.delayMs) && spec.delayMs >= 0 && spec.delayMs <= MAX_DELAY_MS)) {
      throw new TypeError(`delayMs must be between 0 and ${MAX_DELAY_MS}`);
    }
    if (spec.sizeMb !== undefined && !(Number.isFinite(spec.sizeMb) && spec.sizeMb > 0 && spec.sizeMb <= MAX_OVERSIZED_MB)) {
      throw new TypeError(`sizeMb must be above 0 and at most ${MAX_OVERSIZED_MB}`);
    }
    const defaultCount = spec.every ? null : 1;
    const rule = {
      id: this.nextId++,
      mode: spec.mode,
      purpose: spec.purpose ?? null,
      count: spec.count === undefined ? defaultCount : spec.count,
      every: spec.every ?? 1,
      retryAfter: spec.retryAfter ?? 1,
      delayMs: spec.delayMs ?? 1000,
      sizeMb: spec.sizeMb ?? 5,
      detail: spec.detail ?? null,
      body: typeof spec.body === 'string' ? spec.body : null,
      contentType: typeof spec.contentType === 'string' ? spec.contentType : null,
      seen: 0,
      applied: 0,
    };
    this.rules.push(rule);
    return rule.id;
  }

  remove(id) {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear() {
    this.rules = [];
  }

  list() {
    return this.rules.map((r) => ({ ...r }));
  }

  /** The rule to apply to one request of `purpose`, or null. Updates counters. */
  take(purpose) {
    for (const rule of this.rules) {
      if (rule.purpose && rule.purpose !== purpose) continue;
      rule.seen += 1;
      if ((rule.seen - 1) % rule.every !== 0) continue;
      rule.applied += 1;
      if (rule.count !== null && rule.applied >= rule.count) this.remove(rule.id);
      return { ...rule };
    }
    return null;
  }
}

/** Default detail of the intermittent DAF-AUTH-0005 fault. */
export const TRANSIENT_AUTH_DETAIL = 'Authorization failed';

const problem = (status, title, detail, extra = {}) => JSON.stringify({ type: 'about:blank', title, status, detail, ...extra });

// Looks like the start of a real answer for the purpose, then stops mid-string.
function brokenJsonFor(purpose) {
  return purpose === 'token' || purpose === 'certificateToken'
    ? '{"access_token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIi'
    : '{"data":{"CPRCustom_PrivateSectorPerson":{"nodes":[{"id":"3f6c1a2e-';
}

const OVERSIZED_UNIT = JSON.stringify({
  id: '00000000-0000-4000-8000-000000000000',
  status: 'bopael_i_danmark',
  beskyttelser: [],
  navne: [{ adresseringsnavn: 'Padding Paddingsen', status: 'aktuel' }],
});

/**
 * Writes the fault response (or none, for connectionReset / delay).
 * Returns 'continue' when normal handling should proceed (delay), otherwise 'done'.
 * `ctx` supplies: sendRaw(status, headers, body), wait(ms) (cancelled on stop), entry, purpose.
 */
export async function applyFault(rule, req, res, ctx) {
  const { entry } = ctx;
  entry.fault = rule.mode;
  const retryAfter = { 'Retry-After': String(rule.retryAfter) };
  const custom = (status, fallbackTitle, headers = {}) => ctx.sendRaw(
    status,
    { 'Content-Type': rule.contentType ?? 'application/problem+json', ...headers },
    rule.body ?? problem(status, fallbackTitle, rule.detail ?? fallbackTitle),
  );

  switch (rule.mode) {
    case 'http500': custom(500, 'Internal Server Error'); return 'done';
    case 'http503': custom(503, 'Service Unavailable', retryAfter); return 'done';
    case 'http429': custom(429, 'Too Many Requests', retryAfter); return 'done';
    case 'http403': custom(403, 'Forbidden'); return 'done';
    case 'ipNotVerified':
      // The sporadic gateway failure: the same code as the allowlist rejection, but WITHOUT its
      // "IP address is not verified" detail; that difference is how a client tells a transient
      // DAF-AUTH-0005 (retry) from a permanent one (fix the allowlist).
      ctx.sendRaw(401, { 'Content-Type': 'application/problem+json' }, problem(401, 'Unauthorized',
        rule.detail ?? TRANSIENT_AUTH_DETAIL, { errorCode: 'DAF-AUTH-0005' }));
      return 'done';
    case 'delay':
      entry.delayMs = rule.delayMs;
      await ctx.wait(rule.delayMs);
      return 'continue';
    case 'malformedJson':
      ctx.sendRaw(200, { 'Content-Type': 'application/json; charset=utf-8' }, brokenJsonFor(ctx.purpose));
      return 'done';
    case 'truncatedBody': {
      // Promise 4 KiB, send the first 100 bytes, then end the connection.
      const partial = brokenJsonFor(ctx.purpose).padEnd(100, ' ');
      entry.status = 200;
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': '4096', Connection: 'close' });
      // destroySoon: flush what was written, then close without sending the rest.
      res.write(partial, () => res.socket?.destroySoon());
      return 'done';
    }
    case 'oversizedBody': {
      const target = Math.ceil(rule.sizeMb * 1024 * 1024);
      const head = '{"data":{"CPRCustom_PrivateSectorPerson":{"nodes":[';
      const tail = ']}}}';
      const units = Math.max(1, Math.ceil((target - head.length - tail.length) / (OVERSIZED_UNIT.length + 1)));
      const length = head.length + tail.length + units * OVERSIZED_UNIT.length + (units - 1);
      entry.status = 200;
      entry.bytesSent = length;
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(length) });
      // Stream in chunks and honour back-pressure, so memory stays flat whatever the size.
      const perChunk = 256;
      const chunkOf = (n) => Array(n).fill(OVERSIZED_UNIT).join(',');
      let written = 0;
      res.write(head);
      while (written < units && !res.destroyed) {
        const n = Math.min(perChunk, units - written);
        const ok = res.write((written > 0 ? ',' : '') + chunkOf(n));
        written += n;
        if (!ok) await drainOrClose(res);
      }
      if (!res.destroyed) res.end(tail);
      return 'done';
    }
    case 'connectionReset':
      entry.status = null;
      // RST rather than FIN where supported, like a middlebox dropping the connection.
      // (TLS sockets cannot be reset that way and are simply destroyed.)
      try {
        req.socket.resetAndDestroy();
      } catch {
        req.socket.destroy();
      }
      return 'done';
    default:
      return 'continue';
  }
}

// Wait for backpressure to clear (or the client to go away), removing both listeners afterwards
// so a long stream does not pile up 'close' listeners on one response.
function drainOrClose(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
