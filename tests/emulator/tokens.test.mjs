// Token service: shared secret and mutual TLS, expiry, revocation, bearer checking.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ERRORS, startEmulator } from './server.mjs';
import { certificateTokenRequest, getToken, graphql, json, PRIVATE_QUERY, request, tokenForm } from './helpers.mjs';

let emu;
before(async () => { emu = await startEmulator({ port: 0, httpsPort: 0, tokenLifetimeSeconds: 60 }); });
after(() => emu?.stop());

const form = (fields) => request(emu.urls.tokenUrl, tokenForm(fields));
const privateClient = () => emu.credentials.privateSector;
const lookup = (token) => graphql(emu.urls.privateSectorUrl('v1'), token, PRIVATE_QUERY, { numbers: ['0707610123'] });

describe('shared-secret token endpoint', () => {
  it('issues a JWT-shaped bearer token with the configured lifetime', async () => {
    const c = privateClient();
    const res = await form({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret });
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^application\/json/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = json(res);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 60);
    const parts = body.access_token.split('.');
    assert.equal(parts.length, 3);
    for (const p of parts) assert.match(p, /^[A-Za-z0-9_-]+$/);
    const header = JSON.parse(Buffer.from(parts[0], 'base64url'));
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url'));
    assert.equal(header.alg, 'HS256');
    assert.equal(payload.client_id, c.clientId);
    assert.equal(payload.sector, 'PrivateSector');
    assert.equal(payload.environment, 'test04');
    assert.equal(payload.exp - payload.iat, 60);
    assert.match(payload.jti, /^[0-9a-f-]{36}$/);
  });

  it('rejects a wrong secret and an unknown client with 401 invalid_client', async () => {
    const c = privateClient();
    for (const fields of [
      { grant_type: 'client_credentials', client_id: c.clientId, client_secret: `${c.clientSecret}x` },
      { grant_type: 'client_credentials', client_id: 'nobody', client_secret: c.clientSecret },
      // The public client's id with the private client's secret.
      { grant_type: 'client_credentials', client_id: emu.credentials.publicSector.clientId, client_secret: c.clientSecret },
      // The certificate client has no secret at all.
      { grant_type: 'client_credentials', client_id: emu.credentials.certificate.clientId, client_secret: c.clientSecret },
    ]) {
      const res = await form(fields);
      assert.equal(res.status, 401, JSON.stringify(fields.client_id));
      assert.deepEqual(json(res), { error: 'invalid_client', error_description: ERRORS.invalidClient });
    }
  });

  it('rejects another grant type with 400 unsupported_grant_type', async () => {
    const c = privateClient();
    const res = await form({ grant_type: 'password', client_id: c.clientId, client_secret: c.clientSecret });
    assert.equal(res.status, 400);
    assert.deepEqual(json(res), { error: 'unsupported_grant_type', error_description: 'Unsupported grant_type' });
  });

  it('rejects missing fields, duplicates and a wrong content type with 400 invalid_request', async () => {
    const c = privateClient();
    const cases = [
      [{ client_id: c.clientId, client_secret: c.clientSecret }, 'Missing form parameter: grant_type'],
      [{ grant_type: 'client_credentials', client_secret: c.clientSecret }, 'Missing form parameter: client_id'],
      [{ grant_type: 'client_credentials', client_id: c.clientId }, 'Missing form parameter: client_secret'],
    ];
    for (const [fields, description] of cases) {
      const res = await form(fields);
      assert.equal(res.status, 400);
      assert.deepEqual(json(res), { error: 'invalid_request', error_description: description });
    }
    const dup = await request(emu.urls.tokenUrl, {
      ...tokenForm({}),
      body: `grant_type=client_credentials&client_id=${c.clientId}&client_id=${c.clientId}&client_secret=${c.clientSecret}`,
    });
    assert.equal(dup.status, 400);
    assert.equal(json(dup).error_description, 'Duplicated form parameter: client_id');

    const asJson = await request(emu.urls.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret }),
    });
    assert.equal(asJson.status, 400);
    assert.deepEqual(json(asJson), { error: 'invalid_request', error_description: ERRORS.formContentType });

    const get = await request(emu.urls.tokenUrl);
    assert.equal(get.status, 405);
  });
});

describe('certificate token endpoint (mutual TLS)', () => {
  it('issues a token for the registered certificate and its client id', async () => {
    const cert = emu.credentials.certificate;
    const res = await certificateTokenRequest(emu, { certificate: cert, clientId: cert.clientId });
    assert.equal(res.status, 200);
    const body = json(res);
    assert.equal(body.token_type, 'Bearer');
    const payload = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url'));
    assert.equal(payload.client_id, 'emulator-certificate-client');
    assert.equal(payload.sector, cert.sectorType);
    // The token works on the data service of its sector.
    const data = await lookup(body.access_token);
    assert.equal(data.status, 200);
    assert.equal(json(data).data.CPRCustom_PrivateSectorPerson.nodes.length, 1);
  });

  it('exposes the PFX as file, bytes and passphrase', async () => {
    const cert = emu.credentials.certificate;
    const { readFileSync } = await import('node:fs');
    assert.ok(Buffer.isBuffer(cert.pfx) && cert.pfx.length > 500);
    assert.deepEqual(readFileSync(cert.pfxPath), cert.pfx);
    assert.equal(Buffer.from(cert.pfxBase64, 'base64').compare(cert.pfx), 0);
    assert.ok(cert.passphrase.length >= 16);
    assert.match(readFileSync(cert.caPath, 'utf8'), /BEGIN CERTIFICATE/);
    assert.match(cert.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('rejects a connection without a client certificate during the TLS handshake', async () => {
    const before = emu.log.filter((e) => e.tlsError).length;
    await assert.rejects(certificateTokenRequest(emu, { clientId: emu.credentials.certificate.clientId }),
      (err) => /certificate|ECONNRESET|socket hang up/i.test(`${err.code} ${err.message}`));
    assert.ok(emu.log.filter((e) => e.tlsError).length > before, 'the handshake failure is logged');
  });

  it('rejects a certificate from an untrusted CA during the TLS handshake', async () => {
    await assert.rejects(certificateTokenRequest(emu, {
      certificate: emu.credentials.untrustedCertificate,
      clientId: emu.credentials.certificate.clientId,
    }), (err) => typeof err.code === 'string');
  });

  it('rejects a trusted but unregistered certificate with 401 invalid_client', async () => {
    const res = await certificateTokenRequest(emu, {
      certificate: emu.credentials.unregisteredCertificate,
      clientId: emu.credentials.certificate.clientId,
    });
    assert.equal(res.status, 401);
    assert.equal(json(res).error, 'invalid_client');
  });

  it('rejects the right certificate with another client_id with 401 invalid_client', async () => {
    for (const clientId of [emu.credentials.privateSector.clientId, 'someone-else']) {
      const res = await certificateTokenRequest(emu, { certificate: emu.credentials.certificate, clientId });
      assert.equal(res.status, 401);
      assert.deepEqual(json(res), { error: 'invalid_client', error_description: ERRORS.invalidClient });
    }
  });

  it('applies the same form rules as the shared-secret endpoint', async () => {
    const res = await certificateTokenRequest(emu, {
      certificate: emu.credentials.certificate,
      fields: { grant_type: 'authorization_code', client_id: emu.credentials.certificate.clientId },
    });
    assert.equal(res.status, 400);
    assert.equal(json(res).error, 'unsupported_grant_type');
  });

  it('serves only the token path on the TLS port', async () => {
    const res = await request(`https://127.0.0.1:${emu.urls.httpsPort}/CPR/custom/PrivateSector/v1`, {
      method: 'POST', ca: emu.credentials.caPem, pfx: emu.credentials.certificate.pfx, passphrase: emu.credentials.certificate.passphrase,
    });
    assert.equal(res.status, 404);
  });
});

describe('bearer tokens on the data services', () => {
  const expectInvalidToken = (res, detail) => {
    assert.equal(res.status, 401);
    assert.match(res.headers['www-authenticate'], /^Bearer error="invalid_token"/);
    assert.match(res.headers['content-type'], /^application\/problem\+json/);
    const body = json(res);
    assert.equal(body.status, 401);
    assert.equal(body.error, 'invalid_token');
    assert.equal(body.detail, detail);
  };

  it('rejects a missing, malformed or forged token', async () => {
    expectInvalidToken(await lookup(null), 'Missing bearer token');
    expectInvalidToken(await lookup('not-a-jwt'), 'Malformed token');
    const real = await getToken(emu, privateClient());
    const [h, p, s] = real.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url')), sector: 'PublicSector' })).toString('base64url');
    expectInvalidToken(await lookup(`${h}.${forgedPayload}.${s}`), 'Invalid token signature');
  });

  it('rejects a token once its lifetime has passed (emulator clock advanced)', async () => {
    const token = await getToken(emu, privateClient());
    assert.equal((await lookup(token)).status, 200);
    emu.advanceClock(61);
    try {
      expectInvalidToken(await lookup(token), 'Token expired');
      // A fresh token works again at the advanced time.
      assert.equal((await lookup(await getToken(emu, privateClient()))).status, 200);
    } finally {
      emu.advanceClock(-61);
    }
  });

  it('issues tokens with the lifetime set at run time', async () => {
    emu.setTokenLifetime(2);
    try {
      const token = await getToken(emu, privateClient());
      assert.equal(JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).exp
        - JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).iat, 2);
      emu.advanceClock(2);
      expectInvalidToken(await lookup(token), 'Token expired');
    } finally {
      emu.advanceClock(-2);
      emu.setTokenLifetime(60);
    }
  });

  it('revokeTokens() invalidates every issued token; new ones work', async () => {
    const a = await getToken(emu, privateClient());
    const b = emu.issueToken(emu.credentials.privateSector.clientId);
    emu.revokeTokens();
    expectInvalidToken(await lookup(a), 'Token is not active');
    expectInvalidToken(await lookup(b), 'Token is not active');
    assert.equal((await lookup(await getToken(emu, privateClient()))).status, 200);
  });
});
