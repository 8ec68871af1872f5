// Types of the `datafordeler-cpr/certificate` entry: the declarations generated from the Rust
// types of src/certificate.rs (the same for the Node and the browser build). scripts/build.mjs
// makes certificate.d.cts (for require) from this file.
export { inspectCertificate } from './cert/node/cpr_certificate.js';
export type {
  CertificateReport,
  CertificateInfo,
  CertificateValidity,
  PfxProtection,
  InspectCertificateOptions,
  Issue,
  Severity,
} from './cert/node/cpr_certificate.js';
