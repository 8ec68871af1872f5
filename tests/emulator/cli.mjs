#!/usr/bin/env node
// Starts the emulator as a process: prints ONE JSON line (urls, credentials) on stdout, then
// serves until SIGINT/SIGTERM, POST /__emulator/stop, or the max lifetime (so an unattended run
// always ends).
//
//   node tests/emulator/cli.mjs [--port 8787] [--https-port 8788] [--max-lifetime 3600]
//        [--token-lifetime 300] [--environment test04] [--versions v1,v2,v3] [--key-type ec|rsa]
//        [--certificate-sector PrivateSector|PublicSector] [--schemas v3=v3-next,v2=base]
import { parseArgs } from 'node:util';
import { DEFAULTS, startEmulator } from './server.mjs';

function number(value, name) {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a non-negative number`);
    process.exit(2);
  }
  return n;
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: 'string', default: '8787' },
      'https-port': { type: 'string', default: '8788' },
      'max-lifetime': { type: 'string', default: String(DEFAULTS.maxLifetimeSeconds) },
      'token-lifetime': { type: 'string', default: String(DEFAULTS.tokenLifetimeSeconds) },
      environment: { type: 'string', default: DEFAULTS.environment },
      versions: { type: 'string', default: DEFAULTS.versions.join(',') },
      'key-type': { type: 'string', default: DEFAULTS.keyType },
      'certificate-sector': { type: 'string', default: DEFAULTS.certificateSectorType },
      schemas: { type: 'string', default: '' },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (err) {
  console.error(err.message);
  process.exit(2);
}
if (args.help) {
  console.log('Usage: node tests/emulator/cli.mjs [--port N] [--https-port N] [--max-lifetime S] [--token-lifetime S] '
    + '[--environment NAME] [--versions v1,v2] [--key-type ec|rsa] [--certificate-sector PrivateSector|PublicSector] '
    + '[--schemas v3=v3-next,v2=base]');
  process.exit(0);
}

const maxLifetimeSeconds = number(args['max-lifetime'], 'max-lifetime');
// `version=variant` pairs; the variants are checked by startEmulator.
const schemas = Object.fromEntries(args.schemas.split(',').map((p) => p.trim()).filter(Boolean).map((p) => p.split('=').map((x) => x.trim())));
const emulator = await startEmulator({
  port: number(args.port, 'port'),
  httpsPort: number(args['https-port'], 'https-port'),
  tokenLifetimeSeconds: number(args['token-lifetime'], 'token-lifetime'),
  maxLifetimeSeconds,
  environment: args.environment,
  versions: args.versions.split(',').map((v) => v.trim()).filter(Boolean),
  keyType: args['key-type'],
  certificateSectorType: args['certificate-sector'],
  schemas,
});

// Buffers are dropped (pfxBase64 and pfxPath carry the same bytes); functions are not JSON.
process.stdout.write(`${JSON.stringify({ ...emulator.info(), maxLifetimeSeconds, pid: process.pid })}\n`);

let exiting = false;
async function shutdown(reason) {
  if (exiting) return;
  exiting = true;
  console.error(`emulator stopping (${reason})`);
  await emulator.stop();
  process.exit(0);
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
// Covers the max lifetime and POST /__emulator/stop, which stop the emulator from inside.
emulator.stopped.then(() => shutdown('stopped'));
