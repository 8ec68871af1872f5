// The GraphQL layer through the Node package: every query the builder can produce is checked
// against the schema it was built for with graphql-js (the reference implementation), and
// against the service's own rules (no aliases, `beskyttelser` on every person). Answers are
// the fixtures in tests/fixtures/graphql/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  buildSchema, execute, getNamedType, isObjectType, parse, TypeInfo, validate, visit, visitWithTypeInfo,
} from 'graphql';
import * as cpr from 'datafordeler-cpr';

const require = createRequire(import.meta.url);
const root = new URL('../../', import.meta.url);
const read = (path) => readFileSync(new URL(path, root), 'utf8');
const fixture = (name) => read(`tests/fixtures/graphql/${name}.json`);

const SDL = {
  private: read('schema/cpr-private-sector.graphql'),
  public: read('schema/cpr-public-sector.graphql'),
};
const ENTITY = { private: 'CPRCustom_PrivateSectorPerson', public: 'CPRCustom_PublicSectorPerson' };
const GROUPS = ['status', 'protections', 'name', 'address', 'emigration', 'disappearance', 'contactAddress', 'guardianship', 'occupation', 'maritalStatus', 'history', 'relations'];

// The dialects a fetched schema may speak: the documented `input` form or a generic `where`
// filter, each with `in` (batches) or only `eq` (one number per request).
function dialects(sector) {
  const sdl = SDL[sector];
  const entity = ENTITY[sector];
  const inputArg = `${entity}(input: ${entity}Input!)`;
  assert.ok(sdl.includes(inputArg));
  const where = sdl.replace(inputArg, `${entity}(where: ${entity}Filter, first: Int)`)
    + `\ninput ${entity}Filter {\n  and: [${entity}Filter!]\n  or: [${entity}Filter!]\n  personnummer: StringOperationFilterInput\n}\n`;
  const eqOnly = (text) => text.replace('  in: [String!]\n', '');
  return {
    'input/in': { sdl, argument: 'input', operator: 'in' },
    'input/eq': { sdl: eqOnly(sdl), argument: 'input', operator: 'eq' },
    'where/in': { sdl: where, argument: 'where', operator: 'in' },
    'where/eq': { sdl: eqOnly(where), argument: 'where', operator: 'eq' },
  };
}

// Datafordeleren's own rules, on top of graphql-js validation.
function serviceRuleViolations(schema, document) {
  const problems = [];
  const typeInfo = new TypeInfo(schema);
  visit(document, visitWithTypeInfo(typeInfo, {
    Field(node) {
      if (node.alias) problems.push(`alias ${node.alias.value}`);
      if (!node.selectionSet) return;
      const type = getNamedType(typeInfo.getType());
      if (!isObjectType(type) || !type.getFields().beskyttelser) return;
      const selected = node.selectionSet.selections.some((s) => s.kind === 'Field' && s.name.value === 'beskyttelser');
      if (!selected) problems.push(`${node.name.value} without beskyttelser`);
    },
  }));
  return problems;
}

function fieldSets(sector) {
  return [undefined, [], ...GROUPS.map((g) => [g]), GROUPS];
}

const NUMBERS = ['070761-0123', '1203750168', '2311054123'];

test('the four functions are exported from ESM and CommonJS', () => {
  const cjs = require('datafordeler-cpr');
  for (const name of ['checkSchema', 'buildLookupQuery', 'parseLookupResponse', 'mergePerson']) {
    assert.equal(typeof cpr[name], 'function', name);
    assert.equal(typeof cjs[name], 'function', name);
  }
});

test('every query the builder produces is valid for its schema, in both sectors and every dialect', () => {
  let checked = 0;
  for (const sector of ['private', 'public']) {
    for (const [name, dialect] of Object.entries(dialects(sector))) {
      const schema = buildSchema(dialect.sdl);
      const report = cpr.checkSchema(dialect.sdl, { sectorType: sector });
      assert.equal(report.ok, true, `${sector} ${name}: ${JSON.stringify(report.issues)}`);
      assert.equal(report.filter.argument, dialect.argument);
      assert.equal(report.filter.operator, dialect.operator);
      for (const fields of fieldSets(sector)) {
        const numbers = dialect.operator === 'in' ? NUMBERS : NUMBERS.slice(0, 1);
        const built = cpr.buildLookupQuery({ sectorType: sector, cprNumbers: numbers, schema: dialect.sdl, fields });
        const label = `${sector} ${name} ${JSON.stringify(fields)}`;
        const document = parse(built.query);
        assert.deepEqual(validate(schema, document).map((e) => e.message), [], label);
        assert.deepEqual(serviceRuleViolations(schema, document), [], label);
        assert.equal(built.operationName, 'CprPersonLookup');
        // Numbers only in variables, as ten digits.
        for (const n of ['0707610123', '070761', '1203750168']) assert.ok(!built.query.includes(n), label);
        const expected = dialect.operator === 'in'
          ? { cprNumbers: ['0707610123', '1203750168', '2311054123'] }
          : { cprNumber: '0707610123' };
        assert.deepEqual(built.variables, expected, label);
        // The variables fit the query: graphql-js coerces them and the query executes.
        const result = execute({
          schema, document, variableValues: built.variables, operationName: built.operationName,
          rootValue: { [ENTITY[sector]]: () => ({ nodes: [] }) },
        });
        assert.equal(result.errors, undefined, `${label}: ${JSON.stringify(result.errors)}`);
        assert.deepEqual(JSON.parse(JSON.stringify(result.data)), { [ENTITY[sector]]: { nodes: [] } });
        // Only the eq warning, and the sector's own limits, are reported.
        for (const w of built.warnings) assert.ok(['filter_eq_only', 'group_not_available'].includes(w.code), `${label}: ${w.code}`);
        checked += 1;
      }
    }
  }
  assert.equal(checked, 2 * 4 * 15);
});

test('the embedded schemas are the defaults; the same text given as a schema counts as fetched', () => {
  for (const sector of ['private', 'public']) {
    const withDefault = cpr.buildLookupQuery({ sectorType: sector, cprNumbers: ['0707610123'] });
    const withSchema = cpr.buildLookupQuery({ sectorType: sector, cprNumbers: ['0707610123'], schema: SDL[sector] });
    assert.deepEqual(withDefault.warnings, []);
    assert.deepEqual(withSchema.warnings, []);
    // The bundled model selects only evidenced fields; a given schema is taken as the service's,
    // so the inferred fields it has are selected too.
    assert.doesNotMatch(withDefault.query, /udrejseIndrejser|vaergemaal/);
    assert.match(withSchema.query, /udrejseIndrejser \{/);
    assert.match(withSchema.query, /vaergemaal \{/);
    const report = cpr.checkSchema(SDL[sector], { sectorType: sector });
    assert.deepEqual([report.issues, report.missingFields, report.missingRequired], [[], [], []]);
  }
});

test('a schema with renamed and missing fields gives the documented warnings and a query valid for it', () => {
  const sdl = SDL.private
    .replace('  mellemnavn: String\n', '  mellemnavne: String\n')
    .replace('  postdistrikt: String\n', '')
    .replace('type Forsvinding {\n  status: String\n  forsvindingsdato: String\n}', 'type Forsvinding {\n  id: ID\n}');
  const built = cpr.buildLookupQuery({ sectorType: 'private', cprNumbers: ['0707610123'], schema: sdl });
  // The disappearance's sub-fields are inferred: a live schema without them is no drift, and
  // the query leaves them out without a word.
  assert.deepEqual(built.warnings.map((w) => [w.code, w.field, w.severity]), [
    ['field_missing', 'navne.mellemnavn', 'warning'],
    ['field_missing', 'adresseoplysninger.cprAdresse.postdistrikt', 'warning'],
  ]);
  assert.doesNotMatch(built.query, /forsvindinger/);
  assert.match(built.query, /stillinger \{/);
  const schema = buildSchema(sdl);
  assert.deepEqual(validate(schema, parse(built.query)).map((e) => e.message), []);

  const report = cpr.checkSchema(sdl, { sectorType: 'private' });
  assert.equal(report.ok, true);
  assert.deepEqual(report.missingFields, ['navne.mellemnavn', 'adresseoplysninger.cprAdresse.postdistrikt']);
  assert.ok(report.unusedFields.includes('navne.mellemnavne'));

  // A field the service requires is an error, never a silent drop.
  const noProtections = SDL.public.replace('  beskyttelser: [Beskyttelse!]!\n  navne:', '  navne:');
  assert.throws(
    () => cpr.buildLookupQuery({ sectorType: 'public', cprNumbers: ['0707610123'], schema: noProtections }),
    (e) => e.name === 'CprError' && e.code === 'required_field_missing',
  );
  const drift = cpr.checkSchema(noProtections, { sectorType: 'public' });
  assert.equal(drift.ok, false);
  assert.deepEqual(drift.missingRequired, ['beskyttelser']);
  // The other sector's schema is named as such.
  assert.deepEqual(cpr.checkSchema(SDL.public, { sectorType: 'private' }).issues.map((i) => i.code), ['wrong_sector_schema']);
});

test('bad arguments throw CprError with a code, and never show a full CPR number', () => {
  const cases = [
    [{ sectorType: 'privat', cprNumbers: ['0707610123'] }, 'invalid_sector_type'],
    [{ sectorType: 'private', cprNumbers: [] }, 'no_cpr_numbers'],
    [{ sectorType: 'private', cprNumbers: [707610123] }, 'invalid_cpr_numbers'],
    [{ sectorType: 'private', cprNumbers: ['3202761234'] }, 'invalid_cpr_number'],
    [{ sectorType: 'private', cprNumbers: Array(51).fill('0707610123') }, 'batch_too_large'],
    [{ sectorType: 'private', cprNumbers: ['0707610123', '1203750168'], maxBatch: 1 }, 'batch_too_large'],
    [{ sectorType: 'private', cprNumbers: ['0707610123'], fields: ['everything'] }, 'invalid_fields'],
    [{ sectorType: 'private', cprNumbers: ['0707610123'], schema: 'type Query {' }, 'schema_syntax'],
    [{ sectorType: 'private', cprNumbers: ['0707610123', '1203750168'], schema: dialects('private')['input/eq'].sdl }, 'batch_not_supported'],
  ];
  for (const [input, code] of cases) {
    assert.throws(() => cpr.buildLookupQuery(input), (e) => {
      assert.equal(e.code, code, JSON.stringify(input).slice(0, 80));
      assert.ok(!/\d{10}/.test(e.message), e.message);
      return true;
    });
  }
  assert.throws(() => cpr.buildLookupQuery({ sectorType: 'private', cprNumbers: ['3202761234'] }), /320276-xxxx/);
  assert.throws(() => cpr.checkSchema(42, { sectorType: 'private' }), (e) => e.code === 'invalid_schema');
});

test('answers become persons and diagnosed outcomes', () => {
  const r = cpr.parseLookupResponse(fixture('private-batch'), { sectorType: 'private', cprNumbers: ['0707610123', '0707610001', '1203750168'] });
  assert.deepEqual(r.persons.map((p) => p.cpr), ['0707610123', '1203750168']);
  assert.deepEqual(r.errors.map((e) => [e.code, e.index, e.cpr]), [['person_not_found', 1, '070761-xxxx']]);
  assert.equal(r.errors[0].diagnosis.code, 'person_not_found');

  const [p] = cpr.parseLookupResponse(fixture('private-ordinary'), { sectorType: 'private' }).persons;
  assert.deepEqual(p.name, { given: 'Jens Peter', family: 'Testesen', addressing: 'Jens Peter Testesen', from: '1961-07-07' });
  assert.deepEqual(p.address.lines, ['Prøvevej 12, 2. tv', '2100 København Ø']);
  assert.equal(p.status, 'bopael_i_danmark');

  // Objects work as well as text.
  const asObject = cpr.parseLookupResponse(JSON.parse(fixture('private-protected')), { sectorType: 'private' });
  const protectedPerson = asObject.persons[0];
  assert.equal(protectedPerson.name, undefined);
  assert.equal(protectedPerson.nameWithheld, true);
  assert.equal(protectedPerson.addressWithheld, true);

  const outcomes = {
    'errors-required-fields': 'required_fields_missing',
    'errors-not-authorized': 'not_entitled',
    'private-partial-data': 'partial_data',
    'private-ambiguous': 'ambiguous_result',
    'private-not-found': 'person_not_found',
  };
  for (const [name, code] of Object.entries(outcomes)) {
    const result = cpr.parseLookupResponse(fixture(name), { sectorType: 'private', cprNumbers: ['0707610123'] });
    assert.deepEqual(result.errors.map((e) => e.code), [code], name);
  }
  for (const [body, code] of [['<html>', 'malformed_response'], ['{"data": {"X": {"nodes": [{"navne": 1}]}}}', 'unexpected_response_shape'], [[], 'unexpected_response_shape']]) {
    assert.throws(() => cpr.parseLookupResponse(body, { sectorType: 'private' }), (e) => e.code === code);
  }
});

test('merging reads the person as its declared type: every field the parser writes, wrong types refused', () => {
  // A person with every part filled, as parseLookupResponse writes it (public sector, history).
  const [person] = cpr.parseLookupResponse(fixture('public-history'), { sectorType: 'public' }).persons;
  const record = { name: 'X', address: 'Y', postCode: '1', city: 'Z', countryCode: 'SE' };
  const merged = cpr.mergePerson(record, person);
  // The same person with unknown fields added and its objects in a different key order merges the same.
  const shuffled = Object.fromEntries(Object.entries({ ...person, extra: { deep: [1, { x: null }] } }).reverse());
  assert.deepEqual(cpr.mergePerson(record, shuffled), merged);
  // What the merge took from the person is what the person says.
  assert.equal(merged.record.name, [person.name.given, person.name.middle, person.name.family].filter(Boolean).join(' '));
  assert.equal(merged.record.postCode, person.address.postCode);
  assert.equal(merged.record.city, person.address.postDistrict);

  const refused = [
    ['text', 'Jens'],
    ['number', 42],
    ['list', [person]],
    ['name as text', { name: 'Jens Hansen 0101701239' }],
    ['flag as text', { nameWithheld: 'yes' }],
    ['protections as a number', { protections: 5 }],
    ['protection type null', { protections: [{ type: null, active: true }] }],
    ['number in address lines', { address: { lines: [1] } }],
    ['relation without kind', { relations: [{ cpr: '0101701239' }] }],
    ['another lookup error', { code: 'not_entitled', message: 'm' }],
  ];
  for (const [what, value] of refused) {
    assert.throws(() => cpr.mergePerson(record, value), (e) => {
      assert.equal(e.code, 'invalid_person', what);
      assert.ok(!/Jens|0101701239/.test(e.message), `${what}: ${e.message}`);
      return true;
    });
  }
  // Nesting in fields the merge does not read is skipped without recursion, at any depth.
  const deep = Array.from({ length: 1500 }).reduce((inner) => [inner], []);
  assert.deepEqual(cpr.mergePerson(record, { ...person, unknown: deep }).record, merged.record);
  assert.throws(() => cpr.mergePerson(record, { ...person, unknown: 'x'.repeat(9 * 1024 * 1024) }), (e) => e.code === 'input_too_large');
  assert.throws(() => cpr.mergePerson(record, { ...person, n: 1n }), (e) => e.code === 'unsupported_value' && /^person\.n: holds a JavaScript bigint/.test(e.message));
  // undefined and functions are no person, as null is.
  assert.deepEqual(cpr.mergePerson(record, undefined).notifications.map((n) => n.code), ['person_not_found']);
});

test('merging: record, changes, notifications, idempotent, never empties a field', () => {
  const [emigrated] = cpr.parseLookupResponse(fixture('private-emigrated'), { sectorType: 'private' }).persons;
  const existing = { Navn: 'Signe R.', Adresse: 'Havnegade 5, 1. th', Postnr: '8000', By: 'Aarhus C', Land: 'DK', Kundenr: 'K-7' };
  const fieldMap = { name: 'Navn', address: 'Adresse', address2: null, postCode: 'Postnr', city: 'By', countryCode: 'Land' };
  const first = cpr.mergePerson(existing, emigrated, { fieldMap });
  assert.deepEqual(first.record, { ...existing, Navn: 'Signe Rejsholm' });
  assert.deepEqual(first.changes, [{ field: 'Navn', before: 'Signe R.', after: 'Signe Rejsholm' }]);
  assert.deepEqual(first.notifications.map((n) => [n.code, n.severity, n.field]), [
    ['person_emigrated', 'warning', undefined],
    ['address_abroad', 'warning', 'Adresse'],
  ]);
  const second = cpr.mergePerson(first.record, emigrated, { fieldMap });
  assert.deepEqual(second.changes, []);

  const [withheld] = cpr.parseLookupResponse(fixture('private-protected'), { sectorType: 'private' }).persons;
  const kept = cpr.mergePerson({ name: 'Lone Skjult', address: 'Gemmestien 4, 3. th' }, withheld);
  assert.deepEqual(kept.record, { name: 'Lone Skjult', address: 'Gemmestien 4, 3. th' });
  assert.deepEqual(kept.notifications.map((n) => n.code), ['name_withheld', 'address_withheld']);

  const notFound = cpr.mergePerson({ name: 'X' }, null);
  assert.deepEqual(notFound.notifications.map((n) => n.code), ['person_not_found']);
  const lookupError = cpr.parseLookupResponse(fixture('private-ambiguous'), { sectorType: 'private', cprNumbers: ['0707610123'] }).errors[0];
  assert.deepEqual(cpr.mergePerson({ name: 'X' }, lookupError).notifications.map((n) => n.code), ['ambiguous_result']);

  assert.throws(() => cpr.mergePerson({}, { name: 'Jens' }), (e) => e.code === 'invalid_person');
  const cyclic = { name: 'x' };
  cyclic.self = cyclic;
  assert.throws(() => cpr.mergePerson(cyclic, emigrated), (e) => e.code === 'input_too_deep' && /refers to itself/.test(e.message));
  const deep = Array.from({ length: 100 }).reduce((inner) => ({ inner }), {});
  assert.throws(() => cpr.mergePerson({ deep }, emigrated), (e) => e.code === 'input_too_deep');
  assert.throws(() => cpr.mergePerson({ n: 10n }, emigrated), (e) => e.code === 'unsupported_value' && /^existing\.n:/.test(e.message));
  assert.throws(() => cpr.mergePerson({}, emigrated, { policies: { name: 'sometimes' } }), (e) => e.code === 'invalid_policies');
});
