// Access tokens: JWT-shaped (header.payload.signature, base64url, HMAC-SHA256) like Keycloak's,
// so clients that peek at `exp` or log token shapes see something realistic. Only this emulator
// can verify them: the HMAC key is random per start.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

// Issued tokens are remembered so revokeAll() can invalidate them; this bounds the memory.
const MAX_REMEMBERED = 20_000;

export class TokenIssuer {
  /**
   * @param {object} o
   * @param {() => number} o.now           emulator clock in ms (can be advanced by tests)
   * @param {number} o.lifetimeSeconds
   * @param {string} o.issuer              the `iss` claim (the realm URL)
   */
  constructor({ now, lifetimeSeconds, issuer }) {
    this.now = now;
    this.lifetimeSeconds = lifetimeSeconds;
    this.issuer = issuer;
    this.key = randomBytes(32);
    this.active = new Map(); // jti -> expiry in ms
  }

  sign(headerAndPayload) {
    return createHmac('sha256', this.key).update(headerAndPayload).digest('base64url');
  }

  /** A Keycloak-style token response for a client `{ clientId, sectorType, environment }`. */
  issue(client) {
    const nowMs = this.now();
    const lifetimeMs = this.lifetimeSeconds * 1000;
    const jti = randomUUID();
    const iat = Math.floor(nowMs / 1000);
    const payload = {
      iss: this.issuer,
      sub: client.clientId,
      azp: client.clientId,
      typ: 'Bearer',
      client_id: client.clientId,
      sector: client.sectorType,
      environment: client.environment,
      iat,
      exp: Math.floor((nowMs + lifetimeMs) / 1000),
      jti,
    };
    const unsigned = `${b64url({ alg: 'HS256', typ: 'JWT', kid: 'emulator' })}.${b64url(payload)}`;
    this.remember(jti, nowMs + lifetimeMs);
    return {
      access_token: `${unsigned}.${this.sign(unsigned)}`,
      expires_in: this.lifetimeSeconds,
      refresh_expires_in: 0,
      token_type: 'Bearer',
      'not-before-policy': 0,
      scope: '',
    };
  }

  remember(jti, expiresAtMs) {
    const nowMs = this.now();
    if (this.active.size >= MAX_REMEMBERED) {
      for (const [id, exp] of this.active) if (exp <= nowMs) this.active.delete(id);
      // Still full: forget the oldest (Map keeps insertion order).
      while (this.active.size >= MAX_REMEMBERED) this.active.delete(this.active.keys().next().value);
    }
    this.active.set(jti, expiresAtMs);
  }

  /** `{ ok: true, claims }` or `{ ok: false, reason }` with a short human-readable reason. */
  verify(token) {
    const parts = typeof token === 'string' ? token.split('.') : [];
    if (parts.length !== 3) return { ok: false, reason: 'Malformed token' };
    const expected = Buffer.from(this.sign(`${parts[0]}.${parts[1]}`));
    const given = Buffer.from(parts[2]);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return { ok: false, reason: 'Invalid token signature' };
    }
    let claims;
    try {
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'Malformed token' };
    }
    const expiresAtMs = this.active.get(claims.jti);
    if (expiresAtMs === undefined) return { ok: false, reason: 'Token is not active' };
    if (this.now() >= expiresAtMs) return { ok: false, reason: 'Token expired' };
    return { ok: true, claims };
  }

  revokeAll() {
    this.active.clear();
  }
}
