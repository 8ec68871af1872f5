// Node, ES modules: the same binding as the CommonJS entry (one wasm instance per process).
export * from './node/datafordeler_cpr.js';
