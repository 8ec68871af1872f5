// Small statistics and timing helpers for the benchmarks.

/** Median and other percentiles of numbers (sorted copy; nearest-rank). */
export function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  const mean = sorted.reduce((s, x) => s + x, 0) / (sorted.length || 1);
  return { n: sorted.length, median: at(0.5), p99: at(0.99), min: sorted[0], max: sorted[sorted.length - 1], mean };
}

/**
 * Time one synchronous operation per call: `warmup` calls first (so V8 and the wasm tier-up
 * have settled), then `iterations` calls each timed with the monotonic clock. Returns
 * microseconds. The clock read costs some tens of nanoseconds, included in every sample.
 */
export function timeOp(fn, { warmup, iterations }) {
  for (let i = 0; i < warmup; i++) fn();
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return summarize(samples);
}

export const round = (x, digits = 2) => (x == null || Number.isNaN(x) ? null : Number(x.toFixed(digits)));

/** A fixed-width text table. */
export function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((c) => (c == null ? '' : String(c))));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
