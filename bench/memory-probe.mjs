// Loaded into a `datafordeler-cpr refresh` process by bench/run.mjs (the refresh-memory part):
//   node --expose-gc --import ./bench/memory-probe.mjs pkg/cli.js refresh …
// Every CPR_BENCH_SAMPLE_MS (default 1000) it runs a full collection and appends one JSON line
// to CPR_BENCH_MEMORY_SAMPLES: seconds since start, the rows the refresh's checkpoint has
// recorded (CPR_BENCH_CHECKPOINT; null before the first one), the wasm module's memory
// (its buffer's byteLength, the high-water mark of the module's linear memory) and the JS heap
// in use. A last line is written as the process exits. It changes nothing the CLI does.
import { appendFileSync, readFileSync } from 'node:fs';

const samplesFile = process.env.CPR_BENCH_MEMORY_SAMPLES;
const checkpointFile = process.env.CPR_BENCH_CHECKPOINT;
const everyMs = Number(process.env.CPR_BENCH_SAMPLE_MS ?? 1000);
const started = process.hrtime.bigint();

// The glue keeps its instance private: catch the module's memory as the instance is made.
let memory;
const Instance = WebAssembly.Instance;
WebAssembly.Instance = function (module, imports) {
  const instance = new Instance(module, imports);
  memory ??= instance.exports.memory;
  WebAssembly.Instance = Instance;
  return instance;
};

function rowsRecorded() {
  try {
    return JSON.parse(readFileSync(checkpointFile, 'utf8')).state.rowsDone;
  } catch {
    return null; // not written yet, being replaced, or removed at the end
  }
}

function sample(final) {
  if (typeof global.gc === 'function') {
    global.gc();
    global.gc();
  }
  const usage = process.memoryUsage();
  appendFileSync(samplesFile, `${JSON.stringify({
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    rows: final ? 'end' : rowsRecorded(),
    wasmBytes: memory?.buffer.byteLength ?? null,
    heapUsedBytes: usage.heapUsed,
    rssBytes: usage.rss,
  })}\n`);
}

if (samplesFile) {
  setInterval(() => sample(false), everyMs).unref();
  process.on('exit', () => sample(true));
}
