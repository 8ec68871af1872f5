// The one class of every error the library throws or rejects with. It lives in this snippet,
// which the wasm-bindgen glue imports, so the module constructs it (`makeError`) and the package
// entries export it (scripts/build.mjs re-exports this file from the glue; the certificate
// module's copy re-exports the core's, so both throw the same class).

/**
 * An error of the library: `code` is stable (one of the `ErrorCode` texts), `field` names the
 * setup field to change, `diagnosis` and `debug` come with a failed call, `cause` with an error
 * that has one.
 */
export class CprError extends Error {
  /**
   * @param {string} message
   * @param {{ code: string, field?: string, diagnosis?: unknown, debug?: unknown, cause?: unknown }} options
   */
  constructor(message, options) {
    const { code, field, diagnosis, debug } = options ?? {};
    super(message, options !== undefined && options !== null && 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'CprError';
    this.code = code;
    if (field !== undefined) this.field = field;
    if (diagnosis !== undefined) this.diagnosis = diagnosis;
    if (debug !== undefined) this.debug = debug;
  }
}

const objectToString = Function.prototype.call.bind(Object.prototype.toString);
const isError = typeof Error.isError === 'function' ? Error.isError : (value) => objectToString(value) === '[object Error]';

/**
 * Whether `value` is an error of this library: an instance of this `CprError`, or, for an error
 * from another realm (an iframe, a worker's structured clone is not one) or another copy of the
 * package, an `Error` whose `name` is `'CprError'` and whose `code` is text. Never throws: a
 * getter, a proxy trap or a revoked proxy makes the answer `false`.
 * @param {unknown} value
 * @returns {value is CprError}
 */
export function isCprError(value) {
  try {
    if (value instanceof CprError) return true;
    if (typeof value !== 'object' || value === null) return false;
    return value.name === 'CprError' && typeof value.code === 'string' && isError(value);
  } catch {
    return false;
  }
}

/**
 * A `CprError` for the module (absent parts are `undefined`). Never throws: should the
 * constructor fail (a frozen or altered `Error`), the error is a plain `Error` with the same
 * properties.
 */
export function makeError(message, code, field, diagnosis, debug) {
  try {
    return new CprError(message, { code, field, diagnosis, debug });
  } catch {
    try {
      return Object.assign(new Error(message), { name: 'CprError', code, field, diagnosis, debug });
    } catch {
      return undefined;
    }
  }
}
