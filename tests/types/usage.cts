// A CommonJS TypeScript project (`module`/`moduleResolution` node16, a .cts file) sees the
// require() types of every entry: tsconfig.node16-cjs.json compiles it with the default lib.
import { validateCpr, CprClient, type CprValidation } from 'datafordeler-cpr';
import { init } from 'datafordeler-cpr/init';
import { createCertificateFetch, writeDebugCaptures } from 'datafordeler-cpr/node';
import { downloadDebugCapture } from 'datafordeler-cpr/browser';
import { inspectCertificate, type CertificateReport } from 'datafordeler-cpr/certificate';

const checked: CprValidation = validateCpr('0101701239');
const ready: Promise<void> = init();
const report = (bytes: Uint8Array): CertificateReport => inspectCertificate(bytes, 'pw');
export = { checked, ready, report, CprClient, createCertificateFetch, writeDebugCaptures, downloadDebugCapture };
