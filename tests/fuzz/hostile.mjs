// Hostile JS values: what a caller can hand the library that plain JSON cannot express. Each is
// made fresh by name, so a property's counterexample prints as `hostile("revoked proxy")`
// instead of the value itself (printing a revoked proxy throws).
import fc from 'fast-check';

/** A marker secret: placed in secret fields and in the text of thrown errors, it must never
 * appear in an error the library throws, in a message, or in a debug capture. */
export const SECRET = 'Fuzz-Marker-Secret-5cb1e2d7';

/** Keys the library reads somewhere (setup, options, host, failures, batch items, person). */
export const FIELD_NAMES = [
  'enabled', 'legacyMode', 'environment', 'sectorType', 'authMethod', 'clientId', 'clientSecret', 'certificate',
  'certificatePassword', 'debugMode', 'apiVersion', 'endpoints', 'graphqlBaseUrl', 'graphqlUrl', 'signal', 'fetch',
  'onDebug', 'onProgress', 'concurrency', 'cpr', 'existing', 'cprNumbers', 'stage', 'status', 'headers', 'body',
  'transportError', 'maskCpr', 'secrets', 'merge', 'fieldMap', 'policies', 'timeoutMs', 'maxAttempts', 'now',
  'warnDays', 'pfx', 'passphrase', 'ca', 'maxResponseBytes', 'toJSON', 'length', 'then', 'data', 'errors', 'nodes',
];

/** A function that throws an Error whose text holds the secret. */
const thrower = (what) => () => {
  throw new Error(`${what} threw with ${SECRET}`);
};

/** Every proxy trap, each throwing. */
const throwingTraps = Object.fromEntries(
  ['get', 'set', 'has', 'deleteProperty', 'ownKeys', 'getOwnPropertyDescriptor', 'defineProperty', 'getPrototypeOf',
    'setPrototypeOf', 'isExtensible', 'preventExtensions', 'apply', 'construct'].map((trap) => [trap, thrower(trap)]),
);

function revoked(target) {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

function withThrowingGetters(object) {
  for (const name of FIELD_NAMES) Object.defineProperty(object, name, { get: thrower(name), enumerable: true });
  return object;
}

function nested(depth, make) {
  let value = {};
  for (let i = 0; i < depth; i++) value = make(value);
  return value;
}

function detachedBuffer() {
  const buffer = new ArrayBuffer(16);
  structuredClone(buffer, { transfer: [buffer] });
  return buffer;
}

/** The catalogue: name -> a maker of a fresh value. */
export const HOSTILE = {
  'revoked proxy': () => revoked({}),
  'revoked array proxy': () => revoked([]),
  'revoked function proxy': () => revoked(function target() {}),
  'proxy whose every trap throws': () => new Proxy({}, throwingTraps),
  'array proxy whose every trap throws': () => new Proxy([], throwingTraps),
  'function proxy whose every trap throws': () => new Proxy(function target() {}, throwingTraps),
  'array proxy whose get throws': () => new Proxy(['0101701239', 1, 2], { get: thrower('get') }),
  'array proxy claiming 2**32-1 items': () => new Proxy([], { get: (target, key) => (key === 'length' ? 2 ** 32 - 1 : undefined) }),
  'array proxy whose length is an object': () => new Proxy([], { get: (target, key) => (key === 'length' ? {} : undefined) }),
  'object whose getters throw': () => withThrowingGetters({}),
  'object inheriting getters that throw': () => Object.create(withThrowingGetters({})),
  'array whose items throw': () => Object.defineProperty(['0101701239'], '0', { get: thrower('item'), enumerable: true }),
  'object with a typed array prototype': () => Object.create(Uint8Array.prototype),
  'setup with a typed array prototype': () => Object.setPrototypeOf({ enabled: true, clientId: 'x', clientSecret: SECRET }, Uint8Array.prototype),
  'object with an ArrayBuffer prototype': () => Object.create(ArrayBuffer.prototype),
  'object with a DataView prototype': () => Object.create(DataView.prototype),
  'object with an AbortSignal prototype': () => Object.create(AbortSignal.prototype),
  'Uint8Array with Object.prototype': () => Object.setPrototypeOf(new Uint8Array([48, 130, 1, 2]), Object.prototype),
  'Uint8Array with a null prototype': () => Object.setPrototypeOf(new Uint8Array([1, 2, 3]), null),
  'Uint8Array with Array.prototype': () => Object.setPrototypeOf(new Uint8Array([1, 2, 3]), Array.prototype),
  'Uint8Array whose prototype getters throw': () =>
    Object.setPrototypeOf(new Uint8Array(8), Object.create(Uint8Array.prototype, { length: { get: thrower('length') }, byteLength: { get: thrower('byteLength') } })),
  'Uint8Array whose prototype lies about its length': () =>
    Object.setPrototypeOf(new Uint8Array(64), Object.create(Uint8Array.prototype, { length: { value: 2 }, byteLength: { value: 2 } })),
  'ArrayBuffer with Object.prototype': () => Object.setPrototypeOf(new ArrayBuffer(8), Object.prototype),
  'DataView': () => new DataView(new ArrayBuffer(8)),
  // A DataView posing as a list of 30 million items: a library that builds a typed array from
  // it would iterate for seconds (the call bound catches that; a real hang would not end).
  'DataView with an iterable prototype': () =>
    Object.setPrototypeOf(new DataView(new ArrayBuffer(4)), {
      length: 30_000_000,
      *[Symbol.iterator]() {
        for (let i = 0; i < 30_000_000; i++) yield 1;
      },
    }),
  'Float64Array': () => new Float64Array([1.5, -0, NaN, Infinity]),
  'BigInt64Array': () => new BigInt64Array([1n, -1n]),
  'Uint8Array of 2 MB': () => new Uint8Array(2 << 20),
  'detached ArrayBuffer': () => detachedBuffer(),
  'Uint8Array over a detached buffer': () => {
    const buffer = new ArrayBuffer(8);
    const view = new Uint8Array(buffer);
    structuredClone(buffer, { transfer: [buffer] });
    return view;
  },
  'Symbol.toStringTag posing as Uint8Array': () => ({ [Symbol.toStringTag]: 'Uint8Array', length: 3, 0: 48, 1: 130, 2: 1 }),
  'Symbol.toStringTag getter that throws': () => ({ get [Symbol.toStringTag]() { throw new Error(SECRET); } }),
  '__proto__ and constructor keys': () => JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "prototype": {"polluted": "yes"}}'),
  'object refers to itself': () => {
    const o = { clientId: 'x' };
    o.self = o;
    return o;
  },
  'list contains itself': () => {
    const a = ['0101701239'];
    a.push(a);
    return a;
  },
  'cycle below a field': () => {
    const o = { graphqlUrl: 'https://x.dk' };
    o.again = { back: o };
    return { endpoints: o, headers: o, existing: o, body: o };
  },
  'the same object twice (no cycle)': () => {
    const shared = { a: 1 };
    return { one: shared, two: shared, list: [shared, shared] };
  },
  'objects nested 10,000 deep': () => nested(10_000, (inner) => ({ inner })),
  'lists nested 10,000 deep': () => nested(10_000, (inner) => [inner]),
  'object with 100,000 keys': () => Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i])),
  'object with 100,000 undefined values': () => Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, undefined])),
  'sparse list of length 2**32-1': () => {
    const a = [];
    a.length = 2 ** 32 - 1;
    return a;
  },
  'text of 1 MB': () => '0'.repeat(1 << 20),
  'lone surrogates': () => '\uD800 0101701239 \uDFFF',
  'lone surrogate keys': () => ({ '\uD800': '\uDC00', clientId: '\uDBFF' }),
  'toJSON that throws': () => ({ toJSON: thrower('toJSON') }),
  'toJSON returning a BigInt': () => ({ toJSON: () => 10n }),
  'boxed text and number': () => [new String('0101701239'), new Number(401), new Boolean(false)],
  'aborted AbortSignal': () => AbortSignal.abort(SECRET),
  'live AbortSignal': () => new AbortController().signal,
  'AbortSignal whose own aborted throws': () => Object.defineProperty(new AbortController().signal, 'aborted', { get: thrower('aborted') }),
  'AbortSignal whose prototype throws': () =>
    Object.setPrototypeOf(new AbortController().signal, Object.create(AbortSignal.prototype, { aborted: { get: thrower('aborted') } })),
  'AbortSignal behind a proxy': () => new Proxy(new AbortController().signal, {}),
  'AbortSignal behind a proxy whose prototype trap throws': () => new Proxy(new AbortController().signal, { getPrototypeOf: thrower('getPrototypeOf') }),
  'function that throws': () => thrower('call'),
  'function with a null prototype': () => Object.setPrototypeOf(() => ({ status: 200 }), null),
  'Symbol': () => Symbol(SECRET),
  'BigInt': () => 10n ** 30n,
  'numbers -0, NaN, Infinity': () => [-0, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE],
  'Date, Map and Set': () => [new Date(NaN), new Map([[1, 2]]), new Set([1])],
};

/** A hostile value, by name (see [`HOSTILE`]). */
export class Hostile {
  constructor(name) {
    this.name = name;
  }

  [fc.toStringMethod]() {
    return `hostile(${JSON.stringify(this.name)})`;
  }
}

/** A valid value with the value at `path` replaced. */
export class Mutation {
  constructor(baseName, base, path, value) {
    Object.assign(this, { baseName, base, path, value });
  }

  [fc.toStringMethod]() {
    return `${this.baseName} with ${this.path.join('.')} = ${fc.stringify(this.value)}`;
  }
}

/** Any value that shows where hostile values go. */
export const hostile = fc.constantFrom(...Object.keys(HOSTILE)).map((name) => new Hostile(name));

/**
 * The real value of a generated input: markers become fresh hostile values. Generated values
 * are copied, never changed, since the generator reuses them while shrinking.
 */
export function materialize(value, depth = 0) {
  if (value instanceof Hostile) return HOSTILE[value.name]();
  if (value instanceof Mutation) return mutate(materialize(value.base, depth + 1), value.path, materialize(value.value, depth + 1));
  if (typeof value !== 'object' || value === null || depth > 50) return value;
  if (Array.isArray(value)) {
    const copy = new Array(value.length);
    for (const key of Object.keys(value)) copy[key] = materialize(value[key], depth + 1);
    return copy;
  }
  const prototype = Object.getPrototypeOf(value);
  // Maps, Sets, Dates, typed arrays and boxed values stay as generated.
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy = Object.create(prototype);
  for (const key of Object.keys(value)) {
    // defineProperty: a generated "__proto__" key stays an own key, as JSON.parse makes it.
    Object.defineProperty(copy, key, { value: materialize(value[key], depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

function mutate(base, path, value) {
  if (path.length === 0) return value;
  const [key, ...rest] = path;
  const copy = Array.isArray(base) ? [...base] : { ...base };
  Object.defineProperty(copy, key, { value: mutate(copy[key] ?? {}, rest, value), enumerable: true, writable: true, configurable: true });
  return copy;
}

/** Every key path of a plain value, two levels deep (where a mutation may go). */
export function pathsOf(value, depth = 2) {
  if (depth === 0 || typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return [];
  return Object.keys(value).flatMap((key) => [[key], ...pathsOf(value[key], depth - 1).map((rest) => [key, ...rest])]);
}
