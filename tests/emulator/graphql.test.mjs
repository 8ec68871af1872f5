// CPR GraphQL services: entitlement, sector differences, server rules, request errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ERRORS, startEmulator } from './server.mjs';
import { getToken, graphql, json, nodesByCpr, PRIVATE_QUERY, PUBLIC_QUERY, request } from './helpers.mjs';

let emu;
let privateToken;
let publicToken;
before(async () => {
  emu = await startEmulator({ port: 0, httpsPort: 0 });
  privateToken = await getToken(emu, emu.credentials.privateSector);
  publicToken = await getToken(emu, emu.credentials.publicSector);
});
after(() => emu?.stop());

const priv = (query, variables) => graphql(emu.urls.privateSectorUrl('v1'), privateToken, query, variables);
const pub = (query, variables) => graphql(emu.urls.publicSectorUrl('v1'), publicToken, query, variables);
const privNodes = async (numbers) => nodesByCpr(json(await priv(PRIVATE_QUERY, { numbers })));
const pubNodes = async (numbers) => nodesByCpr(json(await pub(PUBLIC_QUERY, { numbers })));
const current = (rows) => rows.filter((r) => r.status === 'aktuel');

describe('entitlement', () => {
  it('answers the other sector with DAF-AUTH-0001 and data null', async () => {
    for (const [res, sector] of [
      [await graphql(emu.urls.publicSectorUrl('v1'), privateToken, PUBLIC_QUERY, { numbers: ['0707610123'] }), 'PublicSector'],
      [await graphql(emu.urls.privateSectorUrl('v2'), publicToken, PRIVATE_QUERY, { numbers: ['0707610123'] }), 'PrivateSector'],
    ]) {
      assert.equal(res.status, 200);
      const body = json(res);
      assert.equal(body.data, null);
      assert.equal(body.errors[0].extensions.code, 'DAF-AUTH-0001');
      assert.match(body.errors[0].message, /not authorized/);
      assert.equal(body.errors[0].message, ERRORS.notAuthorized(sector, 'test04'));
    }
  });

  it('refuses a client granted in another environment', async () => {
    const token = await getToken(emu, emu.credentials.otherEnvironment);
    const body = json(await graphql(emu.urls.privateSectorUrl('v1'), token, PRIVATE_QUERY, { numbers: ['0707610123'] }));
    assert.equal(body.data, null);
    assert.equal(body.errors[0].extensions.code, 'DAF-AUTH-0001');
  });

  it('applies the entitlement to the schema endpoint too', async () => {
    const res = await request(`${emu.urls.publicSectorUrl('v1')}/schema`, { headers: { Authorization: `Bearer ${privateToken}` } });
    assert.equal(res.status, 200);
    assert.equal(json(res).errors[0].extensions.code, 'DAF-AUTH-0001');
  });
});

describe('sector differences', () => {
  it('withholds name and address of a protected person in the private sector only', async () => {
    const p = (await privNodes(['0204882126'])).get('0204882126');
    assert.equal(p.navne, null);
    assert.equal(p.adresseoplysninger, null);
    assert.deepEqual(p.beskyttelser.map((b) => [b.beskyttelsestype, b.status]), [['navne_og_adressebeskyttelse', 'aktuel']]);
    const q = (await pubNodes(['0204882126'])).get('0204882126');
    assert.equal(q.navne[0].adresseringsnavn, 'Lone Skjult');
    assert.equal(q.adresseoplysninger[0].cprAdresse.vejadresseringsnavn, 'Gemmestien');
  });

  it('does not withhold for marketing protection or an expired protection', async () => {
    const nodes = await privNodes(['1710671199', '2502913126']);
    assert.equal(nodes.get('1710671199').navne[0].adresseringsnavn, 'Henrik Holm Testrup');
    assert.equal(nodes.get('1710671199').beskyttelser[0].beskyttelsestype, 'markedsfoeringsbeskyttelse');
    assert.equal(nodes.get('2502913126').navne[0].adresseringsnavn, 'Camilla Prøvelund');
    assert.deepEqual(nodes.get('2502913126').beskyttelser, []);
    const pubExpired = (await pubNodes(['2502913126'])).get('2502913126');
    assert.deepEqual(pubExpired.beskyttelser.map((b) => b.status), ['historisk']);
  });

  it('returns history in the public sector and current rows only in the private sector', async () => {
    const p = (await privNodes(['2906790168'])).get('2906790168');
    assert.deepEqual(p.navne.map((n) => n.adresseringsnavn), ['Hanne Marie Testesen']);
    assert.deepEqual(p.adresseoplysninger.map((a) => a.cprAdresse.vejadresseringsnavn), ['Prøvevej']);
    const q = (await pubNodes(['2906790168'])).get('2906790168');
    assert.deepEqual(q.navne.map((n) => [n.adresseringsnavn, n.status]), [['Hanne Marie Hansen', 'historisk'], ['Hanne Marie Testesen', 'aktuel']]);
    assert.equal(q.navne[0].virkningtil, '2005-06-18T00:00:00+02:00');
    assert.deepEqual(q.adresseoplysninger.map((a) => a.status), ['historisk', 'historisk', 'aktuel']);
    assert.deepEqual(current(q.civilstande).map((c) => c.civilstandstype), ['gift']);
  });

  it('nests children and parents with their own protections (public sector)', async () => {
    const nodes = await pubNodes(['1908801179', '0406104168']);
    const boern = nodes.get('1908801179').boern;
    assert.deepEqual(boern.map((b) => b.barn.personnummer), ['0406104168', '2109145125']);
    assert.deepEqual(boern[0].barn.beskyttelser, []);
    assert.equal(boern[1].barn.beskyttelser[0].beskyttelsestype, 'navne_og_adressebeskyttelse');
    assert.equal(boern[1].barn.navn.adresseringsnavn, 'Kasper Holm Familiesen');
    const parents = nodes.get('0406104168').foraeldreoplysninger;
    assert.deepEqual(parents.map((f) => [f.foraelderrolle, f.foraelder.personnummer]), [['far', '1908801179'], ['mor', '0204882126']]);
    assert.equal(parents[1].foraelder.beskyttelser[0].status, 'aktuel');
  });
});

describe('fixture details', () => {
  it('serves each special case with its data (private sector)', async () => {
    const n = await privNodes(['0707610123', '1203750168', '1406322129', '0808940124', '1002701169', '2207993126', '0511481139', '1512532159', '0303962158']);
    const addr = (cpr) => n.get(cpr).adresseoplysninger[0];
    assert.deepEqual([addr('0707610123').cprAdresse.etage, addr('0707610123').cprAdresse.sidedoer], ['2', 'tv']);
    assert.deepEqual([addr('1203750168').cprAdresse.etage, addr('1203750168').cprAdresse.sidedoer], ['st', 'th']);

    const dead = n.get('1406322129');
    assert.deepEqual([dead.status, dead.statusdato], ['doed', '2021-06-14']);
    assert.deepEqual(dead.adresseoplysninger, [], 'the last address is history, so the private sector sees none');

    const emigrated = n.get('0808940124');
    assert.equal(emigrated.status, 'udrejst');
    assert.equal(emigrated.udrejseIndrejser[0].udrejsedato, '2019-08-01');
    assert.deepEqual(emigrated.udrejseIndrejser[0].cprlandUdrejse, { kode: '5120', navn: 'Sverige', landekode: 'SE' });
    assert.equal(emigrated.udrejseIndrejser[0].udlandsadresse.adresselinie2, '211 20 Malmö');

    const gone = n.get('1002701169');
    assert.deepEqual([gone.status, gone.forsvindinger[0].forsvindingsdato], ['forsvundet', '2016-02-10']);
    assert.equal(addr('2207993126').conavn, 'c/o Karen Eksempel');
    assert.equal(addr('0511481139').cprAdresse.bynavn, 'Lille Prøvstrup');
    assert.equal(n.get('1512532159').vaergemaal[0].vaergenavn, 'Advokat Lise Værgesen');
    assert.equal(n.get('0303962158').kontaktadresse[0].adresselinie1, 'Postboks 123');
  });

  it('answers the modulus-11-failing number like any other', async () => {
    const n = await privNodes(['0101204318']);
    assert.equal(n.get('0101204318').navne[0].adresseringsnavn, 'Alma Juhl Prøvesen');
  });

  it('seeds non-fixture numbers deterministically and never finds 000/001/002 endings', async () => {
    const numbers = ['0101801234', '1506702345', '0707610001', '0707610002', '1203750000', '3102901235'];
    const first = await privNodes(numbers);
    const second = await privNodes(numbers);
    assert.deepEqual([...first.keys()], ['0101801234', '1506702345']);
    assert.deepEqual(first.get('1506702345'), second.get('1506702345'));
    assert.equal(first.get('0101801234').navne[0].adresseringsnavn, 'Mette Andersen');
  });

  it('accepts eq as well as in, and sorts nodes by number', async () => {
    const byEq = json(await priv(`{ CPRCustom_PrivateSectorPerson(input: { personnummer: { personnummer: { eq: "1203750168" } } }) {
      nodes { personnumre { personnummer } beskyttelser { status } } } }`));
    assert.deepEqual(byEq.data.CPRCustom_PrivateSectorPerson.nodes.map((x) => x.personnumre[0].personnummer), ['1203750168']);
    const sorted = json(await priv(PRIVATE_QUERY, { numbers: ['2906790168', '0707610123', '1203750168', '0707610123'] }));
    assert.deepEqual(sorted.data.CPRCustom_PrivateSectorPerson.nodes.map((x) => x.personnumre[0].personnummer),
      ['0707610123', '1203750168', '2906790168']);
  });

  it('answers invalid CPR text with a GraphQL error, not a crash', async () => {
    for (const bad of ['070761-0123', '070761012', 'abcdefghij', '']) {
      const res = await priv(PRIVATE_QUERY, { numbers: ['0707610123', bad] });
      assert.equal(res.status, 200);
      const body = json(res);
      assert.equal(body.data.CPRCustom_PrivateSectorPerson, null);
      assert.equal(body.errors[0].message, 'Invalid personnummer at position 1: expected exactly 10 digits');
      assert.equal(body.errors[0].extensions.code, 'INVALID_PERSONNUMMER');
    }
  });
});

describe('server rules', () => {
  const priv1 = (selection) => `{ CPRCustom_PrivateSectorPerson(input: { personnummer: { personnummer: { in: ["0707610123"] } } }) { nodes { ${selection} } } }`;
  const pub1 = (selection) => `{ CPRCustom_PublicSectorPerson(input: { personnummer: { personnummer: { in: ["1908801179"] } } }) { nodes { ${selection} } } }`;

  it('requires beskyttelser on the person selection', async () => {
    const res = await priv(priv1('id navne { adresseringsnavn }'));
    assert.equal(res.status, 200);
    const body = json(res);
    assert.equal(body.data, undefined);
    assert.deepEqual(body.errors.map((e) => e.message), ['Required fields are missing in query selection: beskyttelser']);
    assert.equal(body.errors[0].extensions.code, 'REQUIRED_FIELDS_MISSING');
  });

  it('requires beskyttelser on nested barn and foraelder persons', async () => {
    const barn = json(await pub(pub1('id beskyttelser { status } boern { barn { personnummer } }')));
    assert.deepEqual(barn.errors.map((e) => e.message), [ERRORS.missingBeskyttelser]);
    const foraelder = json(await pub(pub1('beskyttelser { status } foraeldreoplysninger { foraelder { personnummer } }')));
    assert.deepEqual(foraelder.errors.map((e) => e.message), [ERRORS.missingBeskyttelser]);
    const ok = json(await pub(pub1('beskyttelser { status } boern { barn { personnummer beskyttelser { status } } }')));
    assert.equal(ok.errors, undefined);
    assert.equal(ok.data.CPRCustom_PublicSectorPerson.nodes[0].boern.length, 2);
  });

  it('counts beskyttelser selected through fragments', async () => {
    const viaFragment = json(await priv(`query { CPRCustom_PrivateSectorPerson(input: { personnummer: { personnummer: { in: ["0707610123"] } } }) {
      nodes { id ...Protection } } }
      fragment Protection on CPRCustom_PrivateSectorPerson { beskyttelser { status } }`));
    assert.equal(viaFragment.errors, undefined);
    const inline = json(await priv(priv1('id ... on CPRCustom_PrivateSectorPerson { beskyttelser { status } }')));
    assert.equal(inline.errors, undefined);
  });

  it('refuses aliases, top-level and nested', async () => {
    const top = json(await priv(`{ people: CPRCustom_PrivateSectorPerson(input: { personnummer: { personnummer: { in: ["0707610123"] } } }) {
      nodes { beskyttelser { status } } } }`));
    assert.deepEqual(top.errors.map((e) => [e.message, e.extensions.code]), [['Aliases are not allowed in queries', 'ALIASES_NOT_ALLOWED']]);
    const nested = json(await pub(pub1('beskyttelser { status } navne { name: adresseringsnavn }')));
    assert.deepEqual(nested.errors.map((e) => e.message), [ERRORS.aliases]);
    assert.equal(nested.data, undefined);
  });
});

describe('request errors', () => {
  it('answers invalid JSON, syntax errors and validation errors with 400', async () => {
    const badJson = await request(emu.urls.privateSectorUrl('v1'), {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${privateToken}` }, body: '{"query": ',
    });
    assert.equal(badJson.status, 400);
    assert.deepEqual(json(badJson).errors.map((e) => e.message), ['Request body is not valid JSON']);

    const syntax = await priv('{ CPRCustom_PrivateSectorPerson( ');
    assert.equal(syntax.status, 400);
    assert.equal(json(syntax).errors[0].extensions.code, 'GRAPHQL_PARSE_FAILED');
    assert.match(json(syntax).errors[0].message, /^Syntax Error/);

    const unknownField = await priv('{ CPRCustom_PrivateSectorPerson(input: { personnummer: { personnummer: { in: [] } } }) { nodes { beskyttelser { status } koen } } }');
    assert.equal(unknownField.status, 400, 'koen exists only in the public schema');
    assert.equal(json(unknownField).errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');

    const noQuery = await request(emu.urls.privateSectorUrl('v1'), {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${privateToken}` }, body: '{"variables":{}}',
    });
    assert.equal(noQuery.status, 400);

    const badVariable = await priv(PRIVATE_QUERY, { numbers: [707610123] });
    assert.equal(badVariable.status, 400, 'a number is not a String variable');
  });

  it('answers a non-JSON content type with 415 and a body over 1 MB with 413', async () => {
    const text = await request(emu.urls.privateSectorUrl('v1'), {
      method: 'POST', headers: { 'Content-Type': 'text/plain', Authorization: `Bearer ${privateToken}` }, body: '{}',
    });
    assert.equal(text.status, 415);
    const big = await request(emu.urls.privateSectorUrl('v1'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${privateToken}` },
      body: JSON.stringify({ query: `#${'x'.repeat(1024 * 1024)}` }),
    });
    assert.equal(big.status, 413);
    assert.equal(json(big).detail, ERRORS.bodyTooLarge);
  });

  it('serves configured versions only, and the SDL under /schema', async () => {
    for (const v of ['v1', 'v2']) {
      assert.equal((await graphql(emu.urls.privateSectorUrl(v), privateToken, PRIVATE_QUERY, { numbers: [] })).status, 200);
    }
    // v3 serves its own schema, strictly: the v2 query fails validation there, a v3 one passes.
    const v3 = await graphql(emu.urls.privateSectorUrl('v3'), privateToken, PRIVATE_QUERY, { numbers: [] });
    assert.equal(v3.status, 400);
    assert.deepEqual(json(v3).errors.map((e) => e.message).sort(), [
      'Cannot query field "statusdato" on type "CPRCustom_PrivateSectorPerson". Did you mean "status"?',
      'Field "CPRCustom_PrivateSectorPerson" argument "where" of type "CPRCustom_PrivateSectorPersonInput!" is required, but it was not provided.',
      'Unknown argument "input" on field "Query.CPRCustom_PrivateSectorPerson".',
    ]);
    const v3Query = PRIVATE_QUERY.replace('(input:', '(where:').replace(' statusdato', ' registreringstidspunkt');
    assert.equal((await graphql(emu.urls.privateSectorUrl('v3'), privateToken, v3Query, { numbers: [] })).status, 200);
    const v9 = await graphql(`${emu.urls.graphqlBaseUrl}/CPR/custom/PrivateSector/v9`, privateToken, PRIVATE_QUERY, { numbers: [] });
    assert.equal(v9.status, 404);

    const sdl = await request(`${emu.urls.privateSectorUrl('v2')}/schema`, { headers: { Authorization: `Bearer ${privateToken}` } });
    assert.equal(sdl.status, 200);
    assert.match(sdl.headers['content-type'], /^text\/plain/);
    assert.match(sdl.body, /CPRCustom_PrivateSectorPerson\(input: CPRCustom_PrivateSectorPersonInput!\)/);
    assert.match(sdl.body, /beskyttelser: \[Beskyttelse!\]!/);

    const v3Sdl = await request(`${emu.urls.privateSectorUrl('v3')}/schema`, { headers: { Authorization: `Bearer ${privateToken}` } });
    assert.match(v3Sdl.body, /CPRCustom_PrivateSectorPerson\(where: CPRCustom_PrivateSectorPersonInput!\)/);
    assert.match(v3Sdl.body, /registreringstidspunkt: String/);
    assert.doesNotMatch(v3Sdl.body, /statusdato/);

    // v3 absent: 404 at run time, back after reset().
    emu.setVersions(['v1', 'v2']);
    const gone = await request(`${emu.urls.privateSectorUrl('v3')}/schema`, { headers: { Authorization: `Bearer ${privateToken}` } });
    assert.equal(gone.status, 404);
    assert.match(gone.body, /Unknown service version v3/);
    emu.reset();
    assert.deepEqual(emu.versions, ['v1', 'v2', 'v3']);

    const noToken = await request(`${emu.urls.publicSectorUrl('v1')}/schema`);
    assert.equal(noToken.status, 401);
    assert.match(noToken.headers['www-authenticate'], /invalid_token/);
  });
});
