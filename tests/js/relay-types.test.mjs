// The relay's declarations (pkg/relay.d.ts) compile against a usage file, and misuse does not
// (tests/types/relay-usage.mts holds @ts-expect-error lines, which fail the check when they compile).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('pkg/relay.d.ts type-checks its documented use and refuses misuse', () => {
  const result = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tests/types/relay.tsconfig.json'], { cwd: root, encoding: 'utf8', timeout: 120000 });
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
});
