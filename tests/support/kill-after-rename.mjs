// Loaded with --import into a `refresh` process by tests/js/cli-refresh.test.mjs: the moment the
// output's `.partial` file has taken its name, the process kills itself (SIGKILL), as a crash
// between that rename and the checkpoint's removal would.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const renameSync = fs.renameSync;
fs.renameSync = function renameThenDie(from, to) {
  renameSync(from, to);
  if (String(from).endsWith('.csv.partial')) process.kill(process.pid, 'SIGKILL');
};
syncBuiltinESMExports();
