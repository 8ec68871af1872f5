// `npm run fuzz`: the fuzz properties of tests/fuzz/properties.mjs (the ones tests/js/fuzz.test.mjs
// runs with a fixed seed) with random seeds, round after round, for minutes. Uses the built
// package: run `npm run build` after changing the Rust code.
//
//   npm run fuzz                                   3 minutes, 200 runs per property per round
//   npm run fuzz -- --minutes 30                   longer
//   npm run fuzz -- --runs 1000                    one round of 1000 runs per property
//   npm run fuzz -- --property redact              one property only
//   npm run fuzz -- --property redact --seed S --path P   replay a failure (printed on failure)
//
// On a failure it prints the property, the seed, the shrunk counterexample, the error and the
// command that replays it, and exits with code 1.
import fc from 'fast-check';
import { parseArgs } from 'node:util';
import { properties, unfuzzed } from './properties.mjs';

const { values: options } = parseArgs({
  options: {
    minutes: { type: 'string' },
    runs: { type: 'string' },
    property: { type: 'string' },
    seed: { type: 'string' },
    path: { type: 'string' },
  },
});

function whole(name, fallback) {
  if (options[name] === undefined) return fallback;
  const n = Number(options[name]);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a number above 0`);
    process.exit(2);
  }
  return n;
}

const missing = unfuzzed();
if (missing.length > 0) {
  console.error(`No fuzz entry for: ${missing.join(', ')} (add them to tests/fuzz/properties.mjs)`);
  process.exit(1);
}

const all = properties();
const selected = options.property === undefined ? all : all.filter(([name]) => name === options.property);
if (selected.length === 0) {
  console.error(`No property named ${options.property}; the properties are: ${all.map(([name]) => name).join(', ')}`);
  process.exit(2);
}

const runs = whole('runs', 200);
const replayCommand = (name, seed, path) => `npm run fuzz -- --property ${JSON.stringify(name)} --seed ${seed} --path ${JSON.stringify(path)}`;

/** Check one property; on failure print everything needed to replay it and exit. */
async function check(name, property, parameters) {
  const details = await fc.check(property, { numRuns: runs, includeErrorInReport: true, ...parameters });
  if (!details.failed) return details.numRuns;
  console.error(`\nFAILED: ${name}`);
  console.error(`seed: ${details.seed}, path: ${details.counterexamplePath}`);
  console.error(`counterexample: ${fc.stringify(details.counterexample)}`);
  console.error(`error: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`);
  console.error(`replay: ${replayCommand(name, details.seed, details.counterexamplePath)}`);
  process.exit(1);
}

if (options.seed !== undefined) {
  const seed = Number(options.seed);
  for (const [name, property] of selected) {
    await check(name, property, { seed, ...(options.path === undefined ? {} : { path: options.path, endOnFailure: true }) });
    console.log(`${name}: passes with seed ${seed}${options.path === undefined ? '' : ` at path ${options.path}`}`);
  }
  process.exit(0);
}

// With --runs alone: one round. Otherwise rounds until the time is up (at least one).
const minutes = whole('minutes', options.runs !== undefined ? 0 : 3);
const deadline = Date.now() + minutes * 60_000;
const started = Date.now();
let total = 0;
for (let round = 1; round === 1 || Date.now() < deadline; round++) {
  const seed = (Math.random() * 2 ** 31) | 0;
  console.log(`round ${round}: seed ${seed}, ${selected.length} properties x ${runs} runs`);
  for (const [name, property] of selected) total += await check(name, property, { seed });
}
console.log(`no failure in ${total} runs (${Math.round((Date.now() - started) / 1000)} s)`);
