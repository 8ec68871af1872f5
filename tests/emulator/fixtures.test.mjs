// The README fixture table is the contract: it must equal what fixtures.mjs generates, and the
// running emulator must answer every row as the table says. The CPR rules are re-implemented
// here independently, so a bug in fixtures.mjs cannot confirm itself.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { birthDate, birthYear, FIXTURES, fixtureTableRows, maskCpr, NOT_FOUND, passesMod11, TABLE_HEADER } from './fixtures.mjs';
import { startEmulator } from './server.mjs';
import { getToken, graphql, json, nodesByCpr, PRIVATE_QUERY, PUBLIC_QUERY } from './helpers.mjs';

const README = readFileSync(new URL('./README.md', import.meta.url), 'utf8');

function readmeTable() {
  const block = /<!-- fixture-table:begin -->\n([\s\S]*?)\n<!-- fixture-table:end -->/.exec(README);
  assert.ok(block, 'README has the fixture table markers');
  const rows = block[1].split('\n').map((line) => line.replace(/^\|\s*|\s*\|$/g, '').split(/\s*\|\s*/));
  return { header: rows[0], rows: rows.slice(2) };
}

// Independent versions of the rules, written differently from fixtures.mjs on purpose.
const independentMod11 = (cpr) => [...cpr].map(Number).reduce((sum, d, i) => sum + d * '4327654321'[i], 0) % 11 === 0;
function independentBirthYear(cpr) {
  const yy = +cpr.slice(4, 6);
  const century = { 0: 19, 1: 19, 2: 19, 3: 19, 4: yy <= 36 ? 20 : 19, 9: yy <= 36 ? 20 : 19 }[cpr[6]]
    ?? (yy <= 57 ? 20 : 18);
  return century * 100 + yy;
}

let emu;
let pubNodes;
let privNodes;
const { header, rows } = readmeTable();

before(async () => {
  emu = await startEmulator({ port: 0, httpsPort: 0 });
  const numbers = rows.map((r) => r[0]);
  const pubToken = await getToken(emu, emu.credentials.publicSector);
  const privToken = await getToken(emu, emu.credentials.privateSector);
  pubNodes = nodesByCpr(json(await graphql(emu.urls.publicSectorUrl('v1'), pubToken, PUBLIC_QUERY, { numbers })));
  privNodes = nodesByCpr(json(await graphql(emu.urls.privateSectorUrl('v1'), privToken, PRIVATE_QUERY, { numbers })));
});
after(() => emu?.stop());

describe('README fixture table', () => {
  it('equals the table generated from fixtures.mjs', () => {
    assert.deepEqual(header, TABLE_HEADER);
    assert.deepEqual(rows, fixtureTableRows());
  });

  it('documents about twenty persons and the not-found cases', () => {
    assert.ok(FIXTURES.size >= 18, `${FIXTURES.size} fixtures`);
    assert.ok(rows.filter((r) => r[1] === 'not found').length >= 3);
    const statuses = new Set(rows.map((r) => r[1]));
    for (const s of ['bopael_i_danmark', 'doed', 'udrejst', 'forsvundet', 'not found']) assert.ok(statuses.has(s), s);
    assert.ok(rows.some((r) => r[3] === 'withheld (null)'));
    assert.ok(rows.some((r) => r[1] !== 'not found' && r[4] === 'fails'), 'a found number failing modulus 11');
  });

  for (const [cpr, status, publicName, privateName, mod11, demonstrates] of rows) {
    it(`${cpr}: ${demonstrates}`, () => {
      assert.match(cpr, /^\d{10}$/);
      assert.equal(mod11, independentMod11(cpr) ? 'passes' : 'fails');
      if (status === 'not found') {
        assert.equal(pubNodes.has(cpr), false, 'public sector finds nothing');
        assert.equal(privNodes.has(cpr), false, 'private sector finds nothing');
        return;
      }
      assert.doesNotMatch(cpr, /(000|001|002)$/);
      const pub = pubNodes.get(cpr);
      const priv = privNodes.get(cpr);
      assert.ok(pub && priv, 'found in both sectors');
      assert.equal(pub.status, status);
      assert.equal(priv.status, status);
      const year = independentBirthYear(cpr);
      assert.equal(pub.foedselsdato, `${year}-${cpr.slice(2, 4)}-${cpr.slice(0, 2)}`);
      const claimedYear = /→ (\d{4})/.exec(demonstrates);
      if (claimedYear) assert.equal(String(year), claimedYear[1], 'the century claim in the table');
      assert.equal(pub.koen, Number(cpr[9]) % 2 ? 'mand' : 'kvinde');
      assert.equal(pub.navne.filter((n) => n.status === 'aktuel')[0].adresseringsnavn, publicName);
      if (privateName === 'withheld (null)') {
        assert.equal(priv.navne, null);
        assert.equal(priv.adresseoplysninger, null);
        assert.ok(priv.beskyttelser.some((b) => b.beskyttelsestype === 'navne_og_adressebeskyttelse' && b.status === 'aktuel'));
      } else {
        assert.deepEqual(priv.navne.map((n) => n.adresseringsnavn), [privateName]);
      }
      for (const list of ['navne', 'adresseoplysninger', 'beskyttelser', 'udrejseIndrejser', 'forsvindinger', 'kontaktadresse', 'vaergemaal']) {
        assert.ok((priv[list] ?? []).every((row) => row.status !== 'historisk'), `private ${list} has no history`);
      }
    });
  }

  it('lists every fixture and every not-found example', () => {
    const documented = new Set(rows.map((r) => r[0]));
    for (const cpr of FIXTURES.keys()) assert.ok(documented.has(cpr), cpr);
    for (const { cpr } of NOT_FOUND) assert.ok(documented.has(cpr), cpr);
  });
});

describe('CPR rules in fixtures.mjs', () => {
  it('apply the century rule for every digit 7 and every year', () => {
    for (let d7 = 0; d7 <= 9; d7++) {
      for (let yy = 0; yy <= 99; yy++) {
        const cpr = `0101${String(yy).padStart(2, '0')}${d7}123`;
        assert.equal(birthYear(cpr), independentBirthYear(cpr), cpr);
      }
    }
    assert.equal(birthDate('2902004123'), '2000-02-29', 'leap year 2000');
    assert.equal(birthDate('2902003123'), null, '1900 was no leap year');
    assert.equal(birthDate('3104801234'), null);
    assert.equal(birthDate('12345'), null);
  });

  it('compute modulus 11 and mask numbers as DDMMYY-xxxx', () => {
    for (const cpr of [...FIXTURES.keys(), '0101204318', '0101801234', '1111111118', '0000000000']) {
      assert.equal(passesMod11(cpr), independentMod11(cpr), cpr);
    }
    assert.equal(maskCpr('0707610123'), '070761-xxxx');
    assert.equal(maskCpr('070761-0123'), 'invalid');
  });
});
