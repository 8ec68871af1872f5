// `datafordeler-cpr/node` for ES modules: the same helpers as the CommonJS file.
export { createCertificateFetch, writeDebugCaptures } from './node.cjs';
