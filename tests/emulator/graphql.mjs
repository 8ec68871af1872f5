// GraphQL execution against the committed, modelled SDL files, with Datafordeleren's own
// server rules (no aliases; `beskyttelser` required on every person selection) layered on top of
// the standard validation.
import { readFileSync } from 'node:fs';
import {
  buildSchema, execute, getNamedType, GraphQLError, isObjectType, Kind, parse, print, printSchema,
  specifiedRules, TypeInfo, validate, visit, visitWithTypeInfo,
} from 'graphql';
import { findPerson, maskCpr, toPrivateNode, toPublicNode } from './fixtures.mjs';

export const SECTORS = {
  PrivateSector: {
    file: new URL('../../schema/cpr-private-sector.graphql', import.meta.url),
    rootField: 'CPRCustom_PrivateSectorPerson',
    project: toPrivateNode,
  },
  PublicSector: {
    file: new URL('../../schema/cpr-public-sector.graphql', import.meta.url),
    rootField: 'CPRCustom_PublicSectorPerson',
    project: toPublicNode,
  },
};

/** Exact error texts, exported so tests and documentation use the same strings. */
export const MESSAGES = {
  missingBeskyttelser: 'Required fields are missing in query selection: beskyttelser',
  aliases: 'Aliases are not allowed in queries',
  invalidJson: 'Request body is not valid JSON',
  missingQuery: 'Request body must be a JSON object with a "query" string',
  badVariables: '"variables" must be a JSON object',
  noFilter: 'The personnummer filter needs "eq" or "in"',
  invalidPersonnummer: (index) => `Invalid personnummer at position ${index}: expected exactly 10 digits`,
  tooMany: (max) => `Too many personnumre in one request (at most ${max})`,
};

export const MAX_NUMBERS_PER_REQUEST = 1000;

/**
 * The schema variants a version can serve. `base` is the committed SDL. `v3` is how the emulator
 * models v3's differences from v2, ones the library must survive: the root field takes `where`
 * instead of `input`, the private entity lost `statusdato` and gained
 * `registreringstidspunkt` (a field the library does not map). `v3-next` is a later v3 that also
 * dropped `navne.adresseringsnavn`, to change the schema under a running client.
 */
export const SCHEMA_VARIANTS = ['base', 'v3', 'v3-next'];
export const DEFAULT_SCHEMAS = Object.freeze({ v1: 'base', v2: 'base', v3: 'v3' });

const FIELD_REMOVALS = {
  base: [],
  v3: [{ sector: 'PrivateSector', type: 'CPRCustom_PrivateSectorPerson', field: 'statusdato' }],
  'v3-next': [
    { sector: 'PrivateSector', type: 'CPRCustom_PrivateSectorPerson', field: 'statusdato' },
    { sector: 'PrivateSector', type: 'Navn', field: 'adresseringsnavn' },
  ],
};

/** The SDL text of a variant: the committed file edited through its syntax tree. */
function variantSdl(sector, variant) {
  const text = readFileSync(SECTORS[sector].file, 'utf8');
  if (variant === 'base') return text;
  const { rootField } = SECTORS[sector];
  const removals = FIELD_REMOVALS[variant].filter((r) => r.sector === sector);
  const document = visit(parse(text), {
    ObjectTypeDefinition(node) {
      let fields = node.fields.filter((f) => !removals.some((r) => r.type === node.name.value && r.field === f.name.value));
      if (node.name.value === 'Query') {
        fields = fields.map((f) => (f.name.value !== rootField ? f : {
          ...f,
          arguments: f.arguments.map((a) => (a.name.value === 'input' ? { ...a, name: { ...a.name, value: 'where' } } : a)),
        }));
      }
      if (sector === 'PrivateSector' && node.name.value === rootField && !fields.some((f) => f.name.value === 'registreringstidspunkt')) {
        fields = [...fields, {
          kind: Kind.FIELD_DEFINITION,
          name: { kind: Kind.NAME, value: 'registreringstidspunkt' },
          arguments: [],
          type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'String' } },
          directives: [],
        }];
      }
      return { ...node, fields };
    },
  });
  return print(document);
}

// Built once per process and variant: the SDL files do not change while tests run.
const cache = new Map();
export function sectorSchema(sector, variant = 'base') {
  if (!SCHEMA_VARIANTS.includes(variant)) throw new TypeError(`schema variant must be one of ${SCHEMA_VARIANTS.join(', ')}`);
  const key = `${sector} ${variant}`;
  if (!cache.has(key)) {
    const schema = buildSchema(variantSdl(sector, variant));
    cache.set(key, { schema, sdl: printSchema(schema) });
  }
  return cache.get(key);
}

const gqlError = (message, code, nodes) => new GraphQLError(message, { nodes, extensions: { code } });

function collectFieldNames(selectionSet, fragments, names, seenFragments) {
  for (const sel of selectionSet.selections) {
    if (sel.kind === Kind.FIELD) names.add(sel.name.value);
    else if (sel.kind === Kind.INLINE_FRAGMENT) collectFieldNames(sel.selectionSet, fragments, names, seenFragments);
    else if (sel.kind === Kind.FRAGMENT_SPREAD && !seenFragments.has(sel.name.value)) {
      seenFragments.add(sel.name.value);
      const fragment = fragments.get(sel.name.value);
      if (fragment) collectFieldNames(fragment.selectionSet, fragments, names, seenFragments);
    }
  }
}

/** Datafordeleren's server rules. Run after standard validation (fragments then resolve). */
export function serverRuleErrors(schema, document) {
  const errors = [];
  visit(document, {
    Field(node) {
      if (node.alias) errors.push(gqlError(MESSAGES.aliases, 'ALIASES_NOT_ALLOWED', node));
    },
  });

  // Any selection on an object type that has a `beskyttelser` field (the person types, nested
  // barn/foraelder persons included) must select it, directly or through fragments.
  const fragments = new Map(document.definitions
    .filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)
    .map((d) => [d.name.value, d]));
  const typeInfo = new TypeInfo(schema);
  visit(document, visitWithTypeInfo(typeInfo, {
    Field(node) {
      if (!node.selectionSet) return;
      const type = getNamedType(typeInfo.getType());
      if (!isObjectType(type) || !type.getFields().beskyttelser) return;
      const names = new Set();
      collectFieldNames(node.selectionSet, fragments, names, new Set());
      if (!names.has('beskyttelser')) errors.push(gqlError(MESSAGES.missingBeskyttelser, 'REQUIRED_FIELDS_MISSING', node));
    },
  }));
  return errors;
}

function rootValue(sector, entry, today) {
  const { rootField, project } = SECTORS[sector];
  return {
    // `input` in v1/v2, `where` in the emulator's v3.
    [rootField]: (args) => {
      const filter = (args.input ?? args.where).personnummer.personnummer;
      if (filter.eq == null && filter.in == null) throw gqlError(MESSAGES.noFilter, 'INVALID_FILTER');
      const values = [...(filter.eq != null ? [filter.eq] : []), ...(filter.in ?? [])];
      if (values.length > MAX_NUMBERS_PER_REQUEST) throw gqlError(MESSAGES.tooMany(MAX_NUMBERS_PER_REQUEST), 'TOO_MANY_PERSONNUMRE');
      const bad = values.findIndex((v) => !/^\d{10}$/.test(v));
      // The message names the position only: the value itself may be a CPR number in another format.
      if (bad >= 0) throw gqlError(MESSAGES.invalidPersonnummer(bad), 'INVALID_PERSONNUMMER');
      const unique = [...new Set(values)].sort();
      entry.cprCount = values.length;
      entry.cprNumbers = unique.map(maskCpr);
      // Sorted by number, not in request order: like a database IN filter, the order carries no
      // meaning, and clients must match answers by personnumre.
      const nodes = unique.map((cpr) => findPerson(cpr, today)).filter(Boolean).map(project);
      entry.cprFound = nodes.length;
      return { nodes };
    },
  };
}

/**
 * Runs one GraphQL-over-HTTP request body (already read as text) for a sector.
 * Returns `{ status, body }` where body is a JSON-serialisable object.
 */
export function runGraphQL({ sector, bodyText, entry, today, variant = 'base' }) {
  let request;
  try {
    request = JSON.parse(bodyText);
  } catch {
    return { status: 400, body: { errors: [{ message: MESSAGES.invalidJson, extensions: { code: 'INVALID_JSON' } }] } };
  }
  if (!request || typeof request !== 'object' || typeof request.query !== 'string') {
    return { status: 400, body: { errors: [{ message: MESSAGES.missingQuery, extensions: { code: 'BAD_REQUEST' } }] } };
  }
  const variables = request.variables ?? null;
  if (variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) {
    return { status: 400, body: { errors: [{ message: MESSAGES.badVariables, extensions: { code: 'BAD_REQUEST' } }] } };
  }
  if (typeof request.operationName === 'string') entry.operationName = request.operationName.replace(/\d/g, '#');

  let document;
  try {
    document = parse(request.query);
  } catch (err) {
    const e = err instanceof GraphQLError ? err : gqlError(String(err?.message ?? err), 'GRAPHQL_PARSE_FAILED');
    return { status: 400, body: { errors: [withCode(e, 'GRAPHQL_PARSE_FAILED')] } };
  }
  const { schema } = sectorSchema(sector, variant);
  const validationErrors = validate(schema, document, specifiedRules);
  if (validationErrors.length) {
    return { status: 400, body: { errors: validationErrors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED')) } };
  }
  const ruleErrors = serverRuleErrors(schema, document);
  if (ruleErrors.length) return { status: 200, body: { errors: ruleErrors } };

  const result = execute({
    schema,
    document,
    rootValue: rootValue(sector, entry, today),
    variableValues: variables,
    operationName: typeof request.operationName === 'string' ? request.operationName : undefined,
  });
  // Request errors (e.g. bad variables, unknown operation) come back without `data`.
  return { status: 'data' in result ? 200 : 400, body: result };
}

function withCode(error, code) {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { ...error.extensions, code },
  });
}
