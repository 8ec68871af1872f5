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

/**
 * CSV as the tests read it, written here rather than taken from csv-parse (which the CLI uses),
 * so what a test computes from the files does not rest on the code under test: a BOM, cells
 * separated by `delimiter`, quoted cells with the separator, `""` and newlines inside, records
 * ending in CRLF or LF. Strict: a quote inside an unquoted cell or text after a closing quote
 * throws. Returns `{ bom, records, texts }`, `texts` being each record's exact text (its record
 * delimiter included).
 */
export function readCsvText(text, delimiter) {
  const bom = text.startsWith('\uFEFF');
  const records = [];
  const texts = [];
  let i = bom ? 1 : 0;
  const atEnd = () => i >= text.length || text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n');
  while (i < text.length) {
    const start = i;
    const fields = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i += 1;
        for (;;) {
          if (i >= text.length) throw new Error(`unterminated quoted cell in the record at ${start}`);
          if (text[i] === '"' && text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else if (text[i] === '"') {
            i += 1;
            break;
          } else {
            field += text[i];
            i += 1;
          }
        }
        if (!atEnd() && text[i] !== delimiter) throw new Error(`text after a closing quote at ${i}`);
      } else {
        while (!atEnd() && text[i] !== delimiter) {
          if (text[i] === '"') throw new Error(`a quote inside an unquoted cell at ${i}`);
          field += text[i];
          i += 1;
        }
      }
      fields.push(field);
      if (text[i] === delimiter) {
        i += 1;
        continue;
      }
      i += text[i] === '\r' ? 2 : text[i] === '\n' ? 1 : 0;
      break;
    }
    records.push(fields);
    texts.push(text.slice(start, i));
  }
  return { bom, records, texts };
}

/** A CPR cell as the journal shows it: the first six digits and `-xxxx` (empty when not 10 digits). */
export function maskedCell(cell) {
  const digits = cell.replace(/\D/g, '');
  return digits.length === 10 ? `${digits.slice(0, 6)}-xxxx` : '';
}

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same numbers in [0, 1). */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
