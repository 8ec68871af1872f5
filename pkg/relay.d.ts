// datafordeler-cpr/relay (Node): a credential-holding relay so a browser can look people up
// without ever holding a secret. See README, "Relay".
import type {
  ClientOptions, ConnectionReport, Diagnosis, HostRequest, HostResponse, Issue, Person, ResolvedEndpoints, SetupInput,
} from './index.js';

/** What the relay reads of a `node:http` IncomingMessage (a real one fits). */
export interface NodeRequestLike {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
}

/** What the relay uses of a `node:http` ServerResponse (a real one fits). */
export interface NodeResponseLike {
  writeHead(status: number, headers?: Record<string, string>): unknown;
  end(body?: unknown): unknown;
}

/** Per-principal limits. */
export interface RelayLimits {
  /** Lookups (one per CPR number; test-connection and schema count one each) per principal in any 60 s window. Default 120. */
  lookupsPerMinute?: number;
  /** Most CPR numbers in one lookup request. Default 50 (or `lookupsPerMinute` when lower); never above `lookupsPerMinute`. */
  maxBatch?: number;
  /** Lookups of one request running at once (`lookupMany`'s concurrency). Default 4, at most 64. */
  concurrency?: number;
}

/** The per-number part of a lookup's audit event. */
export interface AuditedNumber {
  /** `DDMMYY-xxxx`; absent when the input was not a valid CPR number. */
  masked?: string;
  /** HMAC-SHA256 (hex) of the normalized number (10 digits; an invalid input without spaces and hyphens), keyed with `auditKey`. */
  hmac: string;
  /** `ok` (found), `person_not_found`, `ambiguous_result`, a failure code, or `rate_limited`. */
  outcome?: string;
  /** Datafordeleren's HTTP status for this number, when known. */
  upstreamStatus?: number;
}

/** One audit event per request (preflights excluded). Never a name, a secret, a token or a full CPR number. */
export interface AuditEvent {
  /** When the request arrived (ISO 8601). */
  time: string;
  /** What `authorize` returned (redacted: secret-named keys and CPR numbers hidden); absent when refused before or by `authorize`. */
  principal?: unknown;
  /** The route's operation; absent for an unknown route or method. */
  operation?: 'lookup' | 'testConnection' | 'schema' | 'endpoints' | 'health';
  /** `ok`, `partial` (some numbers failed), `failed` (all failed, differently), or the problem's / failure's code. */
  outcome: string;
  /** The relay's HTTP status. */
  status: number;
  durationMs: number;
  /** Datafordeleren's HTTP status, when the operation reached it. */
  upstreamStatus?: number;
  /** Lookups only: one entry per number, in request order. */
  cprNumbers?: AuditedNumber[];
}

export interface RelayOptions {
  /** The full setup, secrets included; validated now (throws CprError). */
  setup: SetupInput;
  /** The relay's transport to Datafordeleren, e.g. `createCertificateFetch({ pfx, passphrase })`. Default: the platform fetch, redirects not followed. */
  fetch?: (request: HostRequest) => Promise<HostResponse | Response> | HostResponse;
  /** Who is calling, from the request (a session cookie, the ERP's own bearer, mTLS via `context.nodeRequest`). Runs first on every request but a CORS preflight; `null`/`undefined`/`false` is a 401. */
  authorize: (request: Request, context?: { nodeRequest?: NodeRequestLike }) => unknown | Promise<unknown>;
  /** Origins (`https://erp.example.com`) that get a CORS grant with credentials. A request with any other `Origin` is refused (403). */
  allowedOrigins: string[];
  /** Request headers a preflight allows besides `authorization` and `content-type` (e.g. the ERP's CSRF header). */
  allowedHeaders?: string[];
  limits?: RelayLimits;
  /** Receives one event per request; awaited before the answer is sent. If it throws or rejects, the caller gets a 500 `audit_failed` problem instead of the data. */
  audit: (event: AuditEvent) => void | Promise<void>;
  /** HMAC key for the audit hashes (at least 16 characters or bytes). Default: random per relay (hashes then match within one relay's life only). */
  auditKey?: string | Uint8Array;
  /** Largest request body in bytes (413 above). Default 16384. */
  maxBodyBytes?: number;
  /** Where the relay is mounted, e.g. `/cpr-relay` (default `/`). With Express `app.use('/cpr-relay', relay.nodeHandler)`, leave it at `/`. */
  basePath?: string;
  /** The relay client's tuning. */
  clientOptions?: Pick<ClientOptions, 'timeoutMs' | 'maxAttempts' | 'retryBaseDelayMs' | 'retryMaxDelayMs' | 'maxResponseBytes' | 'tokenRefreshMarginSeconds'>;
  /** The clock in ms for rate limiting and durations (default `Date.now`). */
  now?: () => number;
}

export interface Relay {
  /** Fetch-API handler (Hono, Next.js route handlers, Deno, Bun). */
  handle(request: Request): Promise<Response>;
  /** `node:http`, Express or Fastify's raw handler. */
  nodeHandler(req: NodeRequestLike, res: NodeResponseLike, next?: (error: unknown) => void): void;
  /** Refuse new requests (503 `relay_closing`), let in-flight ones finish for `graceMs` (default 10000), then cancel the rest. */
  close(options?: { graceMs?: number }): Promise<void>;
}

export declare function createRelay(options: RelayOptions): Relay;

// ---- The wire protocol (what a browser sends and receives) ----

/** `POST <base>/lookup` body: only this key; anything else is a 400 `invalid_request`. */
export interface RelayLookupRequest {
  cprNumbers: string[];
}

/** A lookup outcome as the relay sends it: no `merge` (the browser merges) and no `debug`. */
export interface RelayLookupValue {
  person?: Person;
  notifications: Issue[];
}

export type RelayLookupItem =
  | { index: number; ok: true; value: RelayLookupValue }
  | { index: number; ok: false; error: { code: string; message: string; diagnosis?: Diagnosis } };

/** `POST <base>/lookup` 200 answer. */
export interface RelayLookupResponse {
  results: RelayLookupItem[];
}

/** `GET <base>/health` answer. */
export interface RelayHealth {
  /** False when the last token request failed. */
  ok: boolean;
  lastToken: 'succeeded' | 'failed' | 'none';
}

/** Every refusal and failure: `application/problem+json`. */
export interface RelayProblem {
  /** `urn:datafordeler-cpr:relay:<code>`. */
  type: string;
  title: string;
  status: number;
  /** A library code (e.g. `token_invalid_client`) or a relay one: `unauthorized`, `authorize_failed`, `origin_not_allowed`, `not_found`, `method_not_allowed`, `invalid_request`, `batch_too_large`, `body_too_large`, `unsupported_media_type`, `rate_limited`, `relay_closing`, `audit_failed`, `relay_error`. */
  code: string;
  detail: string;
  /** For a failed operation: the library's diagnosis (its `settings` name setup fields, never their values). */
  diagnosis?: Diagnosis;
}

export type { ConnectionReport, ResolvedEndpoints };
