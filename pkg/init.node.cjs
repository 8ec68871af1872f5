'use strict';
// `datafordeler-cpr/init` in Node, CommonJS: the Node binding is ready when it is required, so
// `init()` only resolves (its argument is not needed and not read).
const core = require('./node/datafordeler_cpr.js');

module.exports = { ...core, init: () => Promise.resolve() };
