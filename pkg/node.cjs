'use strict';
// `datafordeler-cpr/node`: the Node-only host helpers, certificate (mutual TLS) calls and debug
// files. They implement the host side of the bridge; no business rule lives here.
const http = require('node:http');
const https = require('node:https');
const tls = require('node:tls');
const fs = require('node:fs');
const path = require('node:path');
const { CprError } = require('./node/datafordeler_cpr.js');

const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

// Errors made here, told apart from whatever a caller's getter or proxy throws.
const ownErrors = new WeakSet();

function hostError(code, message) {
  const error = new CprError(message, { code });
  ownErrors.add(error);
  return error;
}

// Run `read` on a caller's value: what it throws (a getter, a proxy, a file that cannot be read)
// becomes a CprError saying what could not be read. The thrown value itself is not looked at:
// it may be anything, and its text may hold a secret.
function reading(code, what, read) {
  try {
    return read();
  } catch (cause) {
    if (ownErrors.has(cause)) throw cause;
    throw hostError(code, `${what} could not be read: reading it threw an error (a getter, a proxy, or a file that does not exist). Pass plain values and existing files.`);
  }
}

function toBuffer(value, what) {
  if (typeof value === 'string') return reading('certificate_unreadable', `The ${what} file`, () => fs.readFileSync(value));
  return reading('invalid_certificate', what, () => {
    // A look-alike (Uint8Array's prototype, no bytes) throws on `.buffer`: caught above.
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (value instanceof ArrayBuffer) return Buffer.from(value);
    throw hostError('invalid_certificate', `${what} must be the PFX bytes (Buffer, Uint8Array, ArrayBuffer) or a file path.`);
  });
}

/**
 * A `fetch` option for the Certificate method: token requests present the PFX's certificate in
 * the TLS handshake (mutual TLS); other requests use ordinary TLS. Certificate verification is
 * always on; pass `ca` only to trust an additional CA (e.g. a test environment's).
 * Throws only `CprError`s.
 */
function createCertificateFetch(options) {
  const { pfx, passphrase, ca, maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES } = reading('unreadable_input', 'The createCertificateFetch options', () => {
    if (options === undefined || options === null) return {};
    if (typeof options !== 'object') throw hostError('invalid_options', 'createCertificateFetch takes { pfx, passphrase, ca?, maxResponseBytes? }.');
    // Read once each, into a plain object: a getter is not asked twice.
    return { pfx: options.pfx, passphrase: options.passphrase, ca: options.ca, maxResponseBytes: options.maxResponseBytes };
  });
  if (typeof maxResponseBytes !== 'number' || !(maxResponseBytes > 0)) {
    throw hostError('invalid_options', 'maxResponseBytes must be a number of bytes above 0.');
  }
  if (passphrase !== undefined && typeof passphrase !== 'string') {
    throw hostError('invalid_options', 'passphrase (the Certificate Password) must be text.');
  }
  const pfxBytes = toBuffer(pfx, 'pfx');
  try {
    // Open the PFX now, so a wrong password is reported at setup time, not at the first lookup.
    tls.createSecureContext({ pfx: pfxBytes, passphrase });
  } catch (cause) {
    // Node's own error; its text is kept (it names what OpenSSL refused), never the password.
    const reason = typeof passphrase === 'string' && passphrase ? String(cause.message).split(passphrase).join('[REDACTED]') : String(cause.message);
    throw hostError(
      'certificate_unreadable',
      `The PFX file could not be opened (${reason}). Check the Certificate Password, or export the certificate with its private key again.`,
    );
  }
  const caList = ca === undefined ? undefined : reading('certificate_unreadable', 'ca', () => [].concat(ca).map((c) => (typeof c === 'string' && !c.includes('-----BEGIN') ? fs.readFileSync(c) : c)));
  const certificateAgent = new https.Agent({ pfx: pfxBytes, passphrase, ca: caList, keepAlive: true });
  const plainAgent = new https.Agent({ ca: caList, keepAlive: true });

  return function certificateFetch(request) {
    return new Promise((resolve, reject) => {
      let url;
      try {
        url = new URL(request.url);
      } catch {
        reject(new TypeError(`invalid URL: ${request.url}`));
        return;
      }
      const secure = url.protocol === 'https:';
      if (!secure && url.protocol !== 'http:') {
        reject(new TypeError(`unsupported protocol ${url.protocol}`));
        return;
      }
      const agent = secure ? (request.purpose === 'token' ? certificateAgent : plainAgent) : undefined;
      const req = (secure ? https : http).request(url, { method: request.method, headers: request.headers, agent, signal: request.signal }, (res) => {
        const chunks = [];
        let size = 0;
        res.on('data', (chunk) => {
          size += chunk.length;
          if (size > maxResponseBytes) req.destroy(new Error('response too large: the body exceeds the limit'));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          const headers = {};
          for (const [name, value] of Object.entries(res.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
          resolve({ status: res.statusCode, headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (request.body !== undefined) req.write(request.body);
      req.end();
    });
  };
}

/**
 * An `onDebug` option that writes each debug capture as a JSON file into `directory`
 * (the setup guide's debug mode "downloads the request and response as JSON files").
 */
function writeDebugCaptures(directory) {
  if (typeof directory !== 'string' || directory === '') {
    throw hostError('invalid_directory', 'writeDebugCaptures takes the directory to write the captures to, as text.');
  }
  reading('invalid_directory', 'The debug capture directory', () => fs.mkdirSync(directory, { recursive: true }));
  let counter = 0;
  return function onDebug(capture) {
    counter += 1;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = path.join(directory, `cpr-debug-${stamp}-${String(counter).padStart(4, '0')}-${capture.operation}.json`);
    fs.writeFileSync(file, JSON.stringify(capture, null, 2));
    return file;
  };
}

module.exports = { createCertificateFetch, writeDebugCaptures };
