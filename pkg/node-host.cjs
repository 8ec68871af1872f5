'use strict';
// Node-only host helpers: certificate (mutual TLS) calls and debug files. They implement the
// host side of the bridge; no business rule lives here.
const http = require('node:http');
const https = require('node:https');
const tls = require('node:tls');
const fs = require('node:fs');
const path = require('node:path');

const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

function hostError(code, message) {
  const error = new Error(message);
  error.name = 'CprError';
  error.code = code;
  return error;
}

function toBuffer(value, what) {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (typeof value === 'string') return fs.readFileSync(value);
  throw hostError('invalid_certificate', `${what} must be the PFX bytes (Buffer, Uint8Array, ArrayBuffer) or a file path.`);
}

/**
 * A `host.fetch` for the Certificate method: token requests present the PFX's certificate in
 * the TLS handshake (mutual TLS); other requests use ordinary TLS. Certificate verification is
 * always on; pass `ca` only to trust an additional CA (e.g. a test environment's).
 */
function createCertificateFetch({ pfx, passphrase, ca, maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES } = {}) {
  const pfxBytes = toBuffer(pfx, 'pfx');
  try {
    // Open the PFX now, so a wrong password is reported at setup time, not at the first lookup.
    tls.createSecureContext({ pfx: pfxBytes, passphrase });
  } catch (cause) {
    throw hostError(
      'certificate_unreadable',
      `The PFX file could not be opened (${cause.message}). Check the Certificate Password, or export the certificate with its private key again.`,
    );
  }
  const caList = ca === undefined ? undefined : [].concat(ca).map((c) => (typeof c === 'string' && !c.includes('-----BEGIN') ? fs.readFileSync(c) : c));
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
 * A `host.onDebug` that writes each debug capture as a JSON file into `directory`
 * (the setup guide's debug mode "downloads the request and response as JSON files").
 */
function writeDebugCaptures(directory) {
  fs.mkdirSync(directory, { recursive: true });
  let counter = 0;
  return function onDebug(capture) {
    counter += 1;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = path.join(directory, `cpr-debug-${stamp}-${String(counter).padStart(4, '0')}-${capture.operation}.json`);
    fs.writeFileSync(file, JSON.stringify(capture, null, 2));
    return file;
  };
}

function downloadDebugCapture() {
  throw hostError('not_in_a_browser', 'downloadDebugCapture offers a file download in a browser; in Node use writeDebugCaptures(directory) as host.onDebug.');
}

module.exports = { createCertificateFetch, writeDebugCaptures, downloadDebugCapture };
