// Fault injection (every mode), the IP allowlist and the closed port.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startEmulator } from './server.mjs';
import { certificateTokenRequest, getToken, graphql, json, PRIVATE_QUERY, request, tokenForm } from './helpers.mjs';

let emu;
let token;
before(async () => {
  emu = await startEmulator({ port: 0, httpsPort: 0 });
  token = await getToken(emu, emu.credentials.privateSector);
});
afterEach(() => {
  emu.faults.clear();
  emu.setAllowlist(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
});
after(() => emu?.stop());

const lookup = () => graphql(emu.urls.privateSectorUrl('v1'), token, PRIVATE_QUERY, { numbers: ['0707610123'] });
const tokenRequest = () => {
  const c = emu.credentials.privateSector;
  return request(emu.urls.tokenUrl, tokenForm({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret }));
};
const lastEntry = (purpose) => emu.log.filter((e) => e.purpose === purpose).at(-1);

describe('fault modes', () => {
  it('http500 once, then normal service', async () => {
    emu.faults.add({ mode: 'http500', purpose: 'graphql' });
    const first = await lookup();
    assert.equal(first.status, 500);
    assert.equal(json(first).status, 500);
    assert.equal(lastEntry('graphql').fault, 'http500');
    assert.equal((await lookup()).status, 200);
  });

  it('http503 and http429 carry Retry-After', async () => {
    emu.faults.add({ mode: 'http503', purpose: 'graphql', retryAfter: 7 });
    emu.faults.add({ mode: 'http429', purpose: 'graphql', retryAfter: 3 });
    const a = await lookup();
    const b = await lookup();
    assert.deepEqual([a.status, a.headers['retry-after']], [503, '7']);
    assert.deepEqual([b.status, b.headers['retry-after']], [429, '3']);
    assert.equal((await lookup()).status, 200);
  });

  it('http403, with an optional custom body', async () => {
    emu.faults.add({ mode: 'http403', body: '<html>Forbidden</html>', contentType: 'text/html' });
    const res = await lookup();
    assert.equal(res.status, 403);
    assert.equal(res.body, '<html>Forbidden</html>');
    assert.match(res.headers['content-type'], /^text\/html/);
  });

  it('delay, then the normal answer', async () => {
    emu.faults.add({ mode: 'delay', delayMs: 30, purpose: 'graphql' });
    const res = await lookup();
    assert.equal(res.status, 200);
    assert.equal(json(res).data.CPRCustom_PrivateSectorPerson.nodes.length, 1);
    assert.deepEqual([lastEntry('graphql').fault, lastEntry('graphql').delayMs], ['delay', 30]);
  });

  it('malformedJson: 200 with a body that does not parse', async () => {
    emu.faults.add({ mode: 'malformedJson', purpose: 'token' });
    const res = await tokenRequest();
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^application\/json/);
    assert.throws(() => JSON.parse(res.body), SyntaxError);
  });

  it('truncatedBody: promises more bytes than it sends, then closes', async () => {
    emu.faults.add({ mode: 'truncatedBody', purpose: 'graphql' });
    await assert.rejects(lookup(), (err) => ['ABORTED', 'ECONNRESET'].includes(err.code) || /aborted|hang up/.test(err.message));
    assert.equal(lastEntry('graphql').fault, 'truncatedBody');
    assert.equal((await lookup()).status, 200);
  });

  it('oversizedBody: megabytes of valid JSON with a matching Content-Length', async () => {
    emu.faults.add({ mode: 'oversizedBody', sizeMb: 2, purpose: 'graphql' });
    const res = await lookup();
    assert.equal(res.status, 200);
    assert.ok(Buffer.byteLength(res.body) >= 2 * 1024 * 1024);
    assert.equal(Number(res.headers['content-length']), Buffer.byteLength(res.body));
    assert.ok(json(res).data.CPRCustom_PrivateSectorPerson.nodes.length > 1000);
  });

  it('ipNotVerified every other request: 401 problem+json DAF-AUTH-0005 (transient detail), then 200, ...', async () => {
    emu.faults.add({ mode: 'ipNotVerified', every: 2, count: 2, purpose: 'graphql' });
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      const res = await lookup();
      statuses.push(res.status);
      if (res.status === 401) {
        assert.match(res.headers['content-type'], /^application\/problem\+json/);
        const body = json(res);
        assert.equal(body.errorCode, 'DAF-AUTH-0005');
        assert.equal(body.status, 401);
        assert.equal(body.detail, 'Authorization failed');
        assert.doesNotMatch(body.detail, /ip address/i, 'must not read as the permanent allowlist rejection');
      }
    }
    assert.deepEqual(statuses, [401, 200, 401, 200, 200], 'count 2 retires the rule');
    assert.deepEqual(emu.log.filter((e) => e.purpose === 'graphql').slice(-5).map((e) => e.fault),
      ['ipNotVerified', null, 'ipNotVerified', null, null]);
  });

  it('connectionReset: the socket dies without a response', async () => {
    emu.faults.add({ mode: 'connectionReset', purpose: 'schema' });
    await assert.rejects(request(`${emu.urls.privateSectorUrl('v1')}/schema`, { headers: { Authorization: `Bearer ${token}` } }),
      (err) => err.code === 'ECONNRESET' || /socket hang up/.test(err.message));
    assert.equal(lastEntry('schema').status, null);
    assert.equal(lastEntry('schema').fault, 'connectionReset');
  });

  it('matches by purpose, including the certificate token endpoint', async () => {
    emu.faults.add({ mode: 'http503', purpose: 'certificateToken', retryAfter: 2 });
    assert.equal((await tokenRequest()).status, 200, 'the shared-secret endpoint is not affected');
    assert.equal((await lookup()).status, 200);
    const cert = emu.credentials.certificate;
    const faulted = await certificateTokenRequest(emu, { certificate: cert, clientId: cert.clientId });
    assert.deepEqual([faulted.status, faulted.headers['retry-after']], [503, '2']);
    assert.equal((await certificateTokenRequest(emu, { certificate: cert, clientId: cert.clientId })).status, 200);
  });

  it('count N faults the next N matching requests; null means until cleared', async () => {
    emu.faults.add({ mode: 'http500', purpose: 'token', count: 2 });
    assert.deepEqual([(await tokenRequest()).status, (await tokenRequest()).status, (await tokenRequest()).status], [500, 500, 200]);
    emu.faults.add({ mode: 'http500', purpose: 'token', count: null });
    for (let i = 0; i < 4; i++) assert.equal((await tokenRequest()).status, 500);
    assert.equal(emu.faults.list().length, 1);
    emu.faults.clear();
    assert.equal((await tokenRequest()).status, 200);
  });

  it('rejects an unknown mode or purpose', () => {
    assert.throws(() => emu.faults.add({ mode: 'explode' }), TypeError);
    assert.throws(() => emu.faults.add({ mode: 'http500', purpose: 'everything' }), TypeError);
    assert.throws(() => emu.faults.add({ mode: 'http500', count: 0 }), TypeError);
  });
});

describe('IP allowlist', () => {
  it('rejects a caller that is not on the list with DAF-AUTH-0005, changeable at run time', async () => {
    emu.setAllowlist(['10.1.2.3']);
    for (const res of [await lookup(), await request(`${emu.urls.privateSectorUrl('v1')}/schema`, { headers: { Authorization: `Bearer ${token}` } })]) {
      assert.equal(res.status, 401);
      assert.match(res.headers['content-type'], /^application\/problem\+json/);
      const body = json(res);
      assert.deepEqual(
        { status: body.status, errorCode: body.errorCode, detail: body.detail, hasType: typeof body.type, hasTitle: typeof body.title },
        { status: 401, errorCode: 'DAF-AUTH-0005', detail: 'IP address is not verified', hasType: 'string', hasTitle: 'string' },
      );
    }
    // The token service does not check the allowlist (documented choice).
    assert.equal((await tokenRequest()).status, 200);
    emu.setAllowlist(['10.1.2.3', '127.0.0.1']);
    assert.equal((await lookup()).status, 200);
  });

  it('refuses an allowlist entry that is not an IP address', () => {
    assert.throws(() => emu.setAllowlist(['localhost']), TypeError);
  });
});

describe('closed port', () => {
  it('refuses connections', async () => {
    assert.ok(emu.urls.closedPort > 0);
    assert.notEqual(emu.urls.closedPort, emu.urls.port);
    await assert.rejects(request(emu.urls.closedPortUrl), (err) => err.code === 'ECONNREFUSED');
  });
});
