'use strict';
// Node, CommonJS: the certificate check (its own wasm module in pkg/cert, loaded synchronously
// on first require).
const { inspectCertificate } = require('./cert/node/cpr_certificate.js');

module.exports = { inspectCertificate };
