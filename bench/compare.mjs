// Before/after of two builds of the package in one process: `node bench/run.mjs --compare DIR`.
//
// On a shared machine the speed of the same code moves by tens of percent between runs, so two
// builds measured one after the other can disagree more than they differ. Here both builds are
// loaded side by side and timed in alternating rounds (A, B, A, B, …), each round a batch of
// calls; the figure per build is the median of its round means. Drift then hits both alike.
import { summarize, round } from './stats.mjs';

/**
 * Time the same operations on two loaded packages in alternating rounds.
 * `ops(lib)` returns `[name, fn]` pairs for one package; `asyncOps(lib)` returns async ones
 * whose result is the CPU µs of one round (e.g. per lookup of a batch).
 */
export async function compareBuilds(current, other, { rounds, callsPerRound, warmup }, ops, asyncOps) {
  const rows = [];
  const a = ops(other);
  const b = ops(current);
  for (let i = 0; i < a.length; i++) {
    const [name, before] = a[i];
    const [, after] = b[i];
    for (let w = 0; w < warmup; w++) {
      before();
      after();
    }
    const samples = { before: [], after: [] };
    for (let r = 0; r < rounds; r++) {
      // Alternate which build goes first, so neither always runs on a warmer cache.
      const order = r % 2 ? [['after', after], ['before', before]] : [['before', before], ['after', after]];
      for (const [which, fn] of order) {
        const t0 = process.hrtime.bigint();
        for (let c = 0; c < callsPerRound; c++) fn();
        samples[which].push(Number(process.hrtime.bigint() - t0) / 1000 / callsPerRound);
      }
    }
    rows.push(row(name, samples));
  }
  const asyncA = asyncOps(other);
  const asyncB = asyncOps(current);
  for (let i = 0; i < asyncA.length; i++) {
    const [name, before] = asyncA[i];
    const [, after] = asyncB[i];
    await before();
    await after();
    const samples = { before: [], after: [] };
    for (let r = 0; r < Math.max(4, Math.round(rounds / 3)); r++) {
      samples.before.push(await before());
      samples.after.push(await after());
    }
    rows.push(row(name, samples));
  }
  return rows;
}

function row(name, samples) {
  const before = summarize(samples.before).median;
  const after = summarize(samples.after).median;
  return { name, beforeUs: round(before, 2), afterUs: round(after, 2), afterOverBefore: round(after / before, 2), rounds: samples.before.length };
}
