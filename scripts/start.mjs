// `npm start`: the Datafordeleren emulator and the setup page, both on 127.0.0.1, offline.
// The page's "Local emulator" environment points at the emulator; the real environments stay
// selectable. Stops on Ctrl-C, or by itself after --max-lifetime seconds (default 4 hours).
//
//   node scripts/start.mjs [--port 8080] [--max-lifetime 14400] [--smoke]
// --smoke starts everything, checks that the page and the emulator answer, and exits.
import { parseArgs } from 'node:util';
import { startApp } from './app.mjs';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '8080' },
    'max-lifetime': { type: 'string', default: '14400' },
    smoke: { type: 'boolean', default: false },
  },
});
const maxLifetimeSeconds = Number(args['max-lifetime']);
let app;
try {
  app = await startApp({ port: Number(args.port), maxLifetimeSeconds: maxLifetimeSeconds + 60 });
} catch (error) {
  if (error.code !== 'port_taken') throw error;
  console.error(error.message);
  process.exit(1);
}

if (args.smoke) {
  const page = await fetch(app.pageUrl);
  const ok = page.ok && (await page.text()).includes('Identity Integration Setup');
  console.log(ok ? `smoke: page answers at ${app.pageUrl}` : 'smoke: page did not answer');
  await app.stop();
  process.exit(ok ? 0 : 1);
}

console.log(`\nCPR setup page: ${app.pageUrl}`);
if (app.emulator) console.log('A local Datafordeleren emulator is running: choose "Local emulator" as CPR Environment.');
console.log('Press Ctrl-C to stop.\n');
const lifetime = setTimeout(() => {
  console.log('max lifetime reached, stopping');
  app.stop().then(() => process.exit(0));
}, maxLifetimeSeconds * 1000);
lifetime.unref();
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => app.stop().then(() => process.exit(0)));
