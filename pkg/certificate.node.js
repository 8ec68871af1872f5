// Node, ES modules: the same binding as the CommonJS entry.
export { inspectCertificate } from './cert/node/cpr_certificate.js';
