'use strict';
// Node, CommonJS: the wasm module is compiled synchronously when this file is required.
const core = require('./node/datafordeler_cpr.js');
const hostHelpers = require('./node-host.cjs');

module.exports = { ...core, ...hostHelpers };
