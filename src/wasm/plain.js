// The first step of every value a caller hands the library: a plain copy made by the engine.
//
// serde-wasm-bindgen reads a JS value with ordinary property reads, so a getter or a proxy
// trap that throws would unwind through the wasm module into the caller (skipping Rust's
// cleanup), and a value nested inside itself would recurse until the stack ends. It therefore
// never sees the caller's value: the engine's own JSON.stringify reads that (inside a `try`,
// with the limits below checked as it goes) and JSON.parse makes the copy serde-wasm-bindgen
// reads, made of fresh plain objects, lists, text, numbers and booleans, none of which can run
// code. The copy is what JSON would carry (`toJSON` is honoured, functions, symbols and
// `undefined` values are left out, a Date becomes its ISO text), except that binary data (an
// ArrayBuffer, a typed array of bytes, Node's Buffer) becomes the list of its bytes.

/** Why a copy could not be made, with the keys leading to the value at fault. */
class Refusal {
  constructor(why, path) {
    this.why = why;
    this.path = path;
  }
}

/**
 * @param {unknown} value the caller's value
 * @param {number} maxValues most values (and list items, and bytes) in it
 * @param {number} maxDepth most levels of nesting
 * @param {number} maxChars most characters of its JSON text
 * @returns {[unknown] | [undefined, string, string[]]} `[copy]`, or `[undefined, why, path]`
 *   where `why` is `too_many`, `too_deep`, `too_large`, `circular`, `binary_too_large`,
 *   `unsupported_<typeof>` or `unreadable`. Never throws.
 */
export function plainCopy(value, maxValues, maxDepth, maxChars) {
  if (typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function') {
    return [undefined, `unsupported_${typeof value}`, []];
  }
  // Text, numbers, booleans, undefined and null need no copy.
  if (value === null || typeof value !== 'object') return [value];
  // For each object met: its depth, the object holding it and its key there.
  const seen = new Map();
  let text;
  try {
    let count = 0;
    text = JSON.stringify(value, function limit(key, item) {
      count += 1;
      if (count > maxValues) throw new Refusal('too_many', []);
      const holder = this;
      // The outermost holder is JSON.stringify's own wrapper, which is never in `seen`.
      const refuse = (why) => new Refusal(why, seen.has(holder) ? [...pathTo(seen, holder), String(key)] : []);
      // JSON would drop a function or a symbol and refuse a BigInt; as data, each is a mistake.
      if (typeof item === 'bigint' || typeof item === 'symbol' || typeof item === 'function') throw refuse(`unsupported_${typeof item}`);
      if (typeof item !== 'object' || item === null) return item;
      // The value before its toJSON (a Buffer's is `{ type, data }`).
      const bytes = byteView(holder[key]);
      if (bytes !== undefined) {
        if (bytes.length > maxBytes) throw refuse('binary_too_large');
        if (bytes.length > maxValues - count) throw refuse('too_many');
        count += bytes.length;
        return Array.from(bytes);
      }
      const depth = (seen.get(holder)?.depth ?? 0) + 1;
      for (let outer = holder; outer !== undefined; outer = seen.get(outer)?.holder) {
        if (outer === item) throw refuse('circular');
      }
      if (depth > maxDepth) throw refuse('too_deep');
      // Checked before the items are visited: a sparse list may claim billions of them.
      if (Array.isArray(item) && item.length > maxValues - count) throw refuse('too_many');
      seen.set(item, { depth, holder, key });
      return item;
    });
  } catch (error) {
    if (error instanceof Refusal) return [undefined, error.why, error.path];
    const why = reason(error);
    return [undefined, why, why === 'unreadable' ? locate(value, maxDepth) : []];
  }
  if (text === undefined) return [undefined];
  if (text.length > maxChars) return [undefined, 'too_large', []];
  return [JSON.parse(text)];
}

/** Binary data larger than this is not something the library reads (a PFX file is a few KB). */
const maxBytes = 1024 * 1024;

/** The keys from the outermost value to `object` (which is in `seen`). */
function pathTo(seen, object) {
  const path = [];
  for (let entry = seen.get(object); entry !== undefined && seen.has(entry.holder); entry = seen.get(entry.holder)) {
    path.push(String(entry.key));
  }
  return path.reverse();
}

// The engine's own getters of typed arrays and ArrayBuffers: called on a value, each checks
// that the value really is one (it throws otherwise, caught by the caller) and runs no code of
// the caller's, whatever prototype the value was given.
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const getter = (prototype, name) => Object.getOwnPropertyDescriptor(prototype, name).get;
const typedLength = getter(typedArrayPrototype, 'length');
const typedByteLength = getter(typedArrayPrototype, 'byteLength');
const typedByteOffset = getter(typedArrayPrototype, 'byteOffset');
const typedBuffer = getter(typedArrayPrototype, 'buffer');
const bufferByteLength = getter(ArrayBuffer.prototype, 'byteLength');

/** A Uint8Array over binary data's bytes (an ArrayBuffer, or a typed array of one-byte
 *  elements), or undefined for anything else, look-alikes with a typed array's prototype
 *  included. A typed array of wider numbers is read like any object. */
function byteView(value) {
  if (ArrayBuffer.isView(value)) {
    if (value instanceof DataView) return undefined;
    const length = typedLength.call(value);
    const byteLength = typedByteLength.call(value);
    return length === byteLength ? new Uint8Array(typedBuffer.call(value), typedByteOffset.call(value), byteLength) : undefined;
  }
  if (!(value instanceof ArrayBuffer)) return undefined;
  bufferByteLength.call(value);
  return new Uint8Array(value);
}

/** What an exception of JSON.stringify means. Reading the caller's exception may throw too. */
function reason(error) {
  try {
    if (error instanceof TypeError) {
      const message = String(error.message);
      if (/circular|cyclic/i.test(message)) return 'circular';
      if (/bigint/i.test(message)) return 'unsupported_bigint';
    } else if (error instanceof RangeError) {
      return /stack|recursion/i.test(String(error.message)) ? 'too_deep' : 'too_large';
    }
  } catch {
    // The exception itself could not be read.
  }
  return 'unreadable';
}

/** After a read threw: the keys leading to the first own property whose reading throws, found
 *  by reading again with every step caught (only on this failure path, and as bounded). */
function locate(value, maxDepth) {
  let budget = 10000;
  const search = (item, depth) => {
    if (typeof item !== 'object' || item === null || depth > maxDepth || --budget < 0) return undefined;
    let keys;
    try {
      keys = Object.keys(item);
    } catch {
      return [];
    }
    for (const key of keys) {
      let child;
      try {
        child = item[key];
      } catch {
        return [key];
      }
      const below = search(child, depth + 1);
      if (below !== undefined) return [key, ...below];
    }
    return undefined;
  };
  try {
    return search(value, 0) ?? [];
  } catch {
    return [];
  }
}
