// Browsers: the certificate check. It is a separate wasm module (pkg/cert, the core plus the
// PKCS#12 and X.509 code) instantiated on first import, so pages that never check a certificate
// never download it: load it with `await import('datafordeler-cpr/certificate')` when needed.
import init, { inspectCertificate } from './cert/web/cpr_certificate.js';

await init({ module_or_path: new URL('./cert/web/cpr_certificate_bg.wasm', import.meta.url) });

export { inspectCertificate };
