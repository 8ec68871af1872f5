// What the command-line tests share: the CLI's path, a full CPR number's pattern (none may be
// printed), and one emulator with one temporary folder per test file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../emulator/server.mjs';

export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'pkg', 'cli.js');
export const FULL_CPR = /(?<!\d)\d{6}[- ]?\d{4}(?!\d)/;

/** An emulator on 127.0.0.1 and a fresh temporary folder named with `prefix`. */
export async function openEmulatorAndFolder(prefix) {
  return { emu: await startEmulator({ port: 0, httpsPort: 0 }), dir: mkdtempSync(join(tmpdir(), prefix)) };
}

/** Stop the emulator and remove the folder (either may be missing after a failed start). */
export async function closeEmulatorAndFolder({ emu, dir }) {
  await emu?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
