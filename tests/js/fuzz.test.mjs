// Property-based fuzzing of every export of the Node build (and of CprClient's methods) with a
// fixed seed, so that it runs the same way every time; `npm run fuzz` runs the same properties
// with a random seed for minutes (tests/fuzz/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { properties, unfuzzed } from '../fuzz/properties.mjs';

const SEED = 20261202;
const RUNS = 60;

test('every export and every CprClient method has a fuzz entry', () => {
  assert.deepEqual(unfuzzed(), [], 'add an entry to EXPORTS or CLIENT_MEMBERS in tests/fuzz/properties.mjs');
});

for (const [name, property] of properties()) {
  test(`fuzz: ${name}`, async () => {
    await fc.assert(property, { seed: SEED, numRuns: RUNS, includeErrorInReport: true });
  });
}
