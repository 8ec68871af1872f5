'use strict';
// Node, CommonJS: the wasm module is compiled synchronously when this file is required.
module.exports = require('./node/datafordeler_cpr.js');
