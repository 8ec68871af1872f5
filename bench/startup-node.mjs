// One Node start-up sample, run in a fresh process by bench/run.mjs: the time from `import`
// of the package (which compiles and instantiates the wasm module) to the first
// `validateSetup` result. Prints one JSON line.
const t0 = performance.now();
const { validateSetup } = await import('datafordeler-cpr');
const t1 = performance.now();
const report = validateSetup({ enabled: true, environment: 'test04', sectorType: 'private', authMethod: 'sharedSecret', clientId: 'erp', clientSecret: 'x' });
const t2 = performance.now();
process.stdout.write(`${JSON.stringify({ importMs: t1 - t0, firstResultMs: t2 - t0, processMs: t2, ok: report.ok })}\n`);
