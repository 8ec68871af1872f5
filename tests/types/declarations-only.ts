// Every entry's declarations, with tsc's defaults otherwise (no target, so the ES5 default lib;
// no @types/node; no skipLibCheck): tsconfig.default-lib.json. The generated declarations use
// `[Symbol.dispose]`; scripts/build.mjs adds the lib references that make it compile.
export * as main from 'datafordeler-cpr';
export * as initEntry from 'datafordeler-cpr/init';
export * as nodeHelpers from 'datafordeler-cpr/node';
export * as browserHelpers from 'datafordeler-cpr/browser';
export * as certificate from 'datafordeler-cpr/certificate';
