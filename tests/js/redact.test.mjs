// `redact` through the built package: every form of secret and CPR number it must catch, its
// limits, and a property over random secrets in random spellings. The spellings are made
// with the platform's own encoders (URLSearchParams, JSON.stringify, Buffer's base64), not
// with the library's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { redact } from 'datafordeler-cpr';

const R = '[REDACTED]';
const check = (cases) => {
  for (const [input, want] of cases) assert.equal(redact(input), want, JSON.stringify(input));
};

test('Bearer and Basic credentials in any case, after authorization:, inside JSON strings', () => {
  check([
    ['Authorization: Bearer abc.def', `Authorization: Bearer ${R}`],
    ['authorization:bearer abc', `authorization:bearer ${R}`],
    ['sent BEARER abc then', `sent BEARER ${R} then`],
    ['Basic dXNlcjpwdw==', `Basic ${R}`],
    ['basic   a+b/c=.d~e_f-g', `basic   ${R}`],
    ['{"h":"Bearer abc=+/.~"}', `{"h":"Bearer ${R}"}`],
    ['{\\"h\\":\\"Bearer abc\\"}', `{\\"h\\":\\"Bearer ${R}\\"}`],
  ]);
  assert.deepEqual(redact({ headers: [['x-auth', 'Bearer abc']] }), { headers: [['x-auth', `Bearer ${R}`]] });
});

test('JWTs anywhere: after = in any key, and short ones', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln';
  for (const prefix of ['token=', 'jwt=', 'code=', 'id_token=', 'state=', 'x ']) {
    assert.equal(redact(`${prefix}${jwt}&z=1`), `${prefix}${R}&z=1`, prefix);
  }
  check([
    ['eyJhbGciOiJub25lIn0.e30.', R],
    ['a eyJ0.eyJ1.c2ln b', `a ${R} b`],
    ['keyJar.value stays', 'keyJar.value stays'],
  ]);
});

test('secret-named values: any case, _ - %5F alike, spaces around = and :, at word starts only', () => {
  check([
    ['CLIENT_SECRET=a', `CLIENT_SECRET=${R}`],
    ['Client_Secret=a', `Client_Secret=${R}`],
    ['client%5Fsecret=a&x=1', `client%5Fsecret=${R}&x=1`],
    ['client_secret = a b', `client_secret = ${R} b`],
    ['https://h/cb?client_secret=a&code=b&state=c', `https://h/cb?client_secret=${R}&code=b&state=c`],
    ['{"extensions":{"code":"UNAUTHENTICATED"}} status code: 500', '{"extensions":{"code":"UNAUTHENTICATED"}} status code: 500'],
    ['x=1&token=a', `x=1&token=${R}`],
    ['my_client_secret=keep', 'my_client_secret=keep'],
  ]);
  const names = ['client_secret', 'secret', 'password', 'passwd', 'pwd', 'passphrase', 'certificate_password', 'api_key', 'apikey',
    'x-api-key', 'access_token', 'refresh_token', 'id_token', 'token', 'jwt', 'client_assertion', 'assertion', 'private_key',
    'authorization', 'cookie'];
  for (const name of names) {
    for (const [separator, end] of [['=', '&'], [': ', ' '], [' = ', ','], ['=', ';'], ['=', '}'], ['=', "'"], ['=', '"']]) {
      assert.equal(redact(`${name}${separator}s3cr3t${end}next`), `${name}${separator}${R}${end}next`, `${name}${separator}…${end}`);
    }
  }
});

test('JSON fields, with escaped quotes, nested in a JSON string, and truncated', () => {
  const body = JSON.stringify({ access_token: 'a"b', token_type: 'Bearer', expires_in: 300 });
  assert.equal(redact(body), `{"access_token":"${R}","token_type":"Bearer","expires_in":300}`);
  // The body kept as text inside another JSON text: \"access_token\":\"…\"
  const outer = JSON.stringify({ body });
  assert.equal(JSON.parse(JSON.parse(redact(outer)).body).access_token, R);
  assert.equal(redact('{"refresh_token":"abc'), `{"refresh_token":"${R}`);
});

test('object keys are compared like names in text', () => {
  const safe = redact({ 'Client-Secret': 'a', 'client%5Fsecret': 'b', X_API_KEY: 'c', PASSWD: 'd', clientId: 'kept', my_client_secret: 'kept' });
  assert.deepEqual(safe, { 'Client-Secret': R, 'client%5Fsecret': R, X_API_KEY: R, PASSWD: R, clientId: 'kept', my_client_secret: 'kept' });
});

/** Percent-encoding of every byte outside A-Za-z0-9-._~, in either hex case. */
const percent = (text, lower) => [...Buffer.from(text)]
  .map((b) => {
    if (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b))) return String.fromCharCode(b);
    const hex = b.toString(16).padStart(2, '0');
    return `%${lower ? hex : hex.toUpperCase()}`;
  })
  .join('');
const form = (text) => new URLSearchParams({ x: text }).toString().slice(2);
/** JSON string content; optionally / as \/ and non-ASCII as \uXXXX. */
const json = (text, { slash = false, unicode = null } = {}) => {
  let out = JSON.stringify(text).slice(1, -1);
  if (slash) out = out.replaceAll('/', '\\/');
  if (unicode) out = out.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return unicode === 'upper' ? out.replace(/\\u([0-9a-f]{4})/g, (_, h) => `\\u${h.toUpperCase()}`) : out;
};
const spellingsOf = (secret) => [
  secret, percent(secret, false), percent(secret, true), form(secret), form(secret).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
  json(secret), json(secret, { slash: true }), json(secret, { unicode: 'lower' }), json(secret, { slash: true, unicode: 'upper' }),
  Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64').replace(/=+$/, ''), Buffer.from(secret).toString('base64url'),
];

test('known secrets in every spelling, also inside a longer base64 text', () => {
  const secret = 'Hunter2/é x*~😀';
  for (const spelling of spellingsOf(secret)) {
    assert.equal(redact(`echo ${spelling}!`, { secrets: [secret] }), `echo ${R}!`, spelling);
  }
  // Basic base64(clientId:secret), without the Basic: the secret at each alignment.
  for (const clientId of ['id', 'id1', 'id12']) {
    const encoded = Buffer.from(`${clientId}:${secret}`).toString('base64');
    const out = redact(`blob ${encoded} end`, { secrets: [secret] });
    assert.ok(out.includes(R) && !out.includes(encoded.slice(8, 20)), `${clientId}: ${out}`);
  }
  assert.deepEqual(redact({ m: `a ${form(secret)} b` }, { secrets: ['other', secret] }), { m: `a ${R} b` });
});

test('CPR numbers with dots, full-width digits, and as whole numbers', () => {
  check([
    ['born 07.07.61-0123.', 'born 070761-xxxx.'],
    ['07.07.61 0123', '070761-xxxx'],
    ['０７０７６１０１２３', '070761-xxxx'],
    ['０７０７６１－０１２３', '070761-xxxx'],
    ['order 12345678901, phone 12345678, 9999999999, 2024-01-01', 'order 12345678901, phone 12345678, 9999999999, 2024-01-01'],
  ]);
  assert.deepEqual(redact({ pnr: 101701239, cpr: 707610123, n: 12345678 }), { pnr: '010170-xxxx', cpr: '070761-xxxx', n: 12345678 });
  assert.deepEqual(redact({ pnr: 101701239 }, { maskCpr: false }), { pnr: 101701239 });
});

test('secrets are limited in number and length (the work grows with each)', () => {
  const many = Array.from({ length: 17 }, (_, i) => `secret-${i}`);
  assert.throws(() => redact('x', { secrets: many }), { code: 'invalid_options', message: /at most 16/ });
  assert.throws(() => redact('x', { secrets: ['x'.repeat(4097)] }), { code: 'invalid_options', message: /4096 characters/ });
  assert.equal(redact('x secret-1 y', { secrets: many.slice(0, 16) }), `x ${R} y`);
});

test('a megabyte of adversarial text is redacted whole', () => {
  const n = 150_000;
  assert.equal(redact('Bearer '.repeat(n)), `Bearer ${R} `.repeat(n / 2));
  assert.equal(redact('client_secret='.repeat(n / 2)), `client_secret=${R}`);
  assert.equal(redact('eyJ.'.repeat(n / 2)), R);
});

test('property: a random secret in random spellings never survives, and redaction is idempotent', () => {
  const secretChar = fc.constantFrom(...'abkqxz0379 /+=&"\\~*%:\néø€😀');
  const filler = fc.array(fc.constantFrom(...'aBeyJx0179 =&:"\',;.-_\n\\%{}é'), { maxLength: 12 }).map((c) => c.join(''));
  const keyword = fc.constantFrom('Bearer ', 'token=', '"password":"', 'eyJ', '0101701239', '%5F', 'authorization: ');
  fc.assert(
    fc.property(
      fc.array(secretChar, { minLength: 4, maxLength: 14 }).map((c) => c.join('')),
      fc.array(fc.oneof(filler, keyword, fc.nat(11)), { minLength: 1, maxLength: 12 }),
      (secret, pieces) => {
        const spellings = spellingsOf(secret);
        const text = pieces.map((p) => (typeof p === 'number' ? spellings[p] : p)).join('');
        const out = redact(text, { secrets: [secret] });
        for (const s of spellings) assert.ok(!out.includes(s), `${JSON.stringify(s)} left in ${JSON.stringify(out)}`);
        assert.equal(redact(out, { secrets: [secret] }), out);
      },
    ),
    { seed: 20240611, numRuns: 300 },
  );
});
