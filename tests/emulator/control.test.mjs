// Control API, CORS, the request log and what it must never contain, and stop().
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startEmulator } from './server.mjs';
import { getToken, graphql, json, PRIVATE_QUERY, request, tokenForm } from './helpers.mjs';

let emu;
before(async () => { emu = await startEmulator({ port: 0, httpsPort: 0 }); });
after(() => emu?.stop());

const control = (path, method = 'GET', body) => request(`${emu.urls.controlUrl}${path}`, {
  method,
  headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
  body: body === undefined ? undefined : JSON.stringify(body),
});

describe('control API', () => {
  it('GET /info gives urls and JSON-safe credentials', async () => {
    const info = json(await control('/info'));
    assert.equal(info.urls.tokenUrl, emu.urls.tokenUrl);
    assert.equal(info.urls.privateSectorUrls.v2, emu.urls.privateSectorUrl('v2'));
    assert.equal(info.credentials.privateSector.clientSecret, emu.credentials.privateSector.clientSecret);
    assert.equal(info.credentials.certificate.pfx, undefined);
    assert.equal(info.credentials.certificate.pfxBase64, emu.credentials.certificate.pfxBase64);
    assert.equal(info.environment, 'test04');
  });

  it('drives faults, allowlist, token revocation, the clock, the log and reset', async () => {
    const token = await getToken(emu, emu.credentials.privateSector);
    const lookup = () => graphql(emu.urls.privateSectorUrl('v1'), token, PRIVATE_QUERY, { numbers: ['0707610123'] });

    const added = await control('/faults', 'POST', { faults: [{ mode: 'http503', purpose: 'graphql', retryAfter: 9 }] });
    assert.equal(added.status, 201);
    assert.equal(json(added).ids.length, 1);
    assert.equal(json(await control('/faults')).length, 1);
    assert.equal((await lookup()).headers['retry-after'], '9');
    assert.equal(json(await control('/faults')).length, 0, 'a count-1 rule retires after use');

    const bad = await control('/faults', 'POST', [{ mode: 'http500' }, { mode: 'nope' }]);
    assert.equal(bad.status, 400);
    assert.equal(json(await control('/faults')).length, 0, 'a bad batch adds nothing');

    await control('/faults', 'POST', { mode: 'http500', count: null });
    assert.equal((await control('/faults', 'DELETE')).status, 200);
    assert.equal((await lookup()).status, 200);

    assert.deepEqual(json(await control('/allowlist', 'POST', { allowlist: ['192.0.2.1'] })).allowlist, ['192.0.2.1']);
    assert.equal(json(await lookup()).errorCode, 'DAF-AUTH-0005');
    assert.equal((await control('/allowlist', 'POST', { allowlist: ['not an ip'] })).status, 400);
    await control('/allowlist', 'POST', { allowlist: ['127.0.0.1'] });
    assert.equal((await lookup()).status, 200);

    await control('/revoke-tokens', 'POST');
    assert.equal((await lookup()).status, 401);

    const fresh = await getToken(emu, emu.credentials.privateSector);
    await control('/clock', 'POST', { advanceSeconds: 301 });
    const expired = await graphql(emu.urls.privateSectorUrl('v1'), fresh, PRIVATE_QUERY, { numbers: [] });
    assert.equal(json(expired).detail, 'Token expired');

    assert.equal(json(await control('/token-lifetime', 'POST', { seconds: 5 })).tokenLifetimeSeconds, 5);

    const tokenCount = json(await control('/log?purpose=token')).length;
    assert.equal(tokenCount, emu.log.filter((e) => e.purpose === 'token').length);
    assert.equal(tokenCount, 2);

    await control('/allowlist', 'POST', { allowlist: ['192.0.2.1'] });
    assert.equal((await control('/reset', 'POST')).status, 200);
    assert.deepEqual(emu.getAllowlist(), ['127.0.0.1', '::1', '::ffff:127.0.0.1']);
    assert.equal(emu.log.length, 0);
    const afterReset = await getToken(emu, emu.credentials.privateSector);
    assert.equal(JSON.parse(Buffer.from(afterReset.split('.')[1], 'base64url')).exp
      - JSON.parse(Buffer.from(afterReset.split('.')[1], 'base64url')).iat, 300, 'lifetime back to the start-up value');
    assert.equal((await graphql(emu.urls.privateSectorUrl('v1'), afterReset, PRIVATE_QUERY, { numbers: [] })).status, 200);

    assert.equal((await control('/nothing-here', 'POST')).status, 404);
    assert.equal(json(await control('/log')).length, emu.log.length, 'control calls are not logged');
  });
});

describe('CORS', () => {
  const preflight = (origin) => request(emu.urls.privateSectorUrl('v1'), {
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' },
  });

  it('answers a preflight from a loopback origin', async () => {
    for (const origin of ['http://127.0.0.1:5173', 'http://localhost:8080', 'http://localhost']) {
      const res = await preflight(origin);
      assert.equal(res.status, 204);
      assert.equal(res.headers['access-control-allow-origin'], origin);
      assert.equal(res.headers['access-control-allow-headers'], 'authorization, content-type, accept');
      assert.match(res.headers['access-control-allow-methods'], /POST/);
    }
  });

  it('refuses other origins, and the list is configurable', async () => {
    const res = await preflight('https://evil.example');
    assert.equal(res.status, 403);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    emu.setCorsOrigins(['https://app.example:8443']);
    try {
      assert.equal((await preflight('https://app.example:8443')).status, 204);
      assert.equal((await preflight('http://localhost:5173')).status, 403);
    } finally {
      emu.reset();
    }
  });

  it('exposes Retry-After, WWW-Authenticate and Content-Type on real responses', async () => {
    const res = await request(emu.urls.privateSectorUrl('v1'), {
      method: 'POST', headers: { Origin: 'http://localhost:3000', 'Content-Type': 'application/json' }, body: '{}',
    });
    assert.equal(res.status, 401);
    assert.equal(res.headers['access-control-allow-origin'], 'http://localhost:3000');
    assert.equal(res.headers['access-control-expose-headers'], 'retry-after, www-authenticate, content-type');
    const tokenRes = await request(emu.urls.tokenUrl, { ...tokenForm({}), headers: { ...tokenForm({}).headers, Origin: 'http://127.0.0.1:9999' } });
    assert.equal(tokenRes.headers['access-control-allow-origin'], 'http://127.0.0.1:9999');
  });
});

describe('request log', () => {
  it('records what tests need and never a secret, a token or a full CPR number', async () => {
    emu.clearLog();
    const c = emu.credentials.publicSector;
    await request(emu.urls.tokenUrl, tokenForm({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: `${c.clientSecret}-wrong` }));
    const token = await getToken(emu, c);
    const numbers = ['0707610123', '0204882126', '0101801234', '070761-0123'];
    await graphql(emu.urls.publicSectorUrl('v1'), token, PRIVATE_QUERY.replace('Private', 'Public'), { numbers: numbers.slice(0, 3) });
    await graphql(emu.urls.publicSectorUrl('v1'), token, PRIVATE_QUERY.replace('Private', 'Public'), { numbers });
    await request(`${emu.urls.graphqlBaseUrl}/CPR/custom/PublicSector/0707610123`, { method: 'POST' });

    const tokens = emu.log.filter((e) => e.purpose === 'token');
    assert.equal(tokens.length, 2);
    assert.deepEqual(tokens.map((e) => e.status), [401, 200]);
    assert.deepEqual(tokens[1].formFields, ['grant_type', 'client_id', 'client_secret']);
    assert.equal(tokens[1].clientId, c.clientId);
    assert.match(tokens[1].secretSha256, /^[0-9a-f]{64}$/);
    assert.notEqual(tokens[0].secretSha256, tokens[1].secretSha256);

    const lookups = emu.log.filter((e) => e.purpose === 'graphql');
    assert.equal(lookups[0].cprCount, 3);
    assert.deepEqual(lookups[0].cprNumbers, ['010180-xxxx', '020488-xxxx', '070761-xxxx']);
    assert.equal(lookups[0].clientId, c.clientId);
    assert.equal(lookups[0].status, 200);
    for (const e of emu.log) {
      assert.equal(typeof e.time, 'string');
      assert.ok(['method', 'path', 'purpose', 'status', 'clientId'].every((k) => k in e));
    }

    const text = JSON.stringify(emu.log) + (await control('/log')).body;
    for (const secret of [c.clientSecret, `${c.clientSecret}-wrong`, token, token.split('.')[2], ...numbers]) {
      assert.ok(!text.includes(secret), `log leaks ${secret.slice(0, 4)}…`);
    }
    assert.ok(text.includes('/PublicSector/070761-xxxx'), 'a CPR-like path segment is masked');
  });
});

describe('stop()', () => {
  it('closes the servers, removes the temp dir and is idempotent', async () => {
    const other = await startEmulator({ port: 0, httpsPort: 0, maxLifetimeSeconds: 60 });
    assert.ok(existsSync(other.credentials.certificate.pfxPath));
    const open = request(`${other.urls.controlUrl}/info`);
    await open;
    await Promise.all([other.stop(), other.stop()]);
    await other.stop();
    await other.stopped;
    assert.equal(existsSync(other.credentials.certificate.pfxPath), false);
    await assert.rejects(request(other.urls.tokenUrl), (err) => err.code === 'ECONNREFUSED');
  });
});
