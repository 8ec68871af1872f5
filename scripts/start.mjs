// `npm start`: the Datafordeleren emulator, a relay holding the emulator's credentials, and the
// setup page, all on 127.0.0.1, offline. The page's default demo goes through the relay (the
// secret stays in this process); its "Local emulator" environment points at the emulator
// directly; the real environments stay selectable. The relay's audit events are printed as
// JSON lines (they hold no secret, token, name or full CPR number). Stops on Ctrl-C, or by itself after --max-lifetime seconds (default 4 hours).
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
  app = await startApp({
    port: Number(args.port),
    maxLifetimeSeconds: maxLifetimeSeconds + 60,
    audit: (event) => console.log(`relay audit: ${JSON.stringify(event)}`),
  });
} catch (error) {
  if (error.code !== 'port_taken') throw error;
  console.error(error.message);
  process.exit(1);
}

if (args.smoke) {
  const page = await fetch(app.pageUrl);
  const pageOk = page.ok && (await page.text()).includes('Identity Integration Setup');
  // The relay answers the page's session (the cookie set with the page), as the browser would.
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
  const health = app.relayUrl ? await fetch(`${app.relayUrl}/health`, { headers: { cookie } }) : null;
  const relayOk = !app.relayUrl || health.status === 200;
  const ok = pageOk && relayOk;
  console.log(pageOk ? `smoke: page answers at ${app.pageUrl}` : 'smoke: page did not answer');
  if (app.relayUrl) console.log(relayOk ? `smoke: relay answers at ${app.relayUrl}` : `smoke: relay did not answer (${health.status})`);
  await app.stop();
  process.exit(ok ? 0 : 1);
}

console.log(`\nCPR setup page: ${app.pageUrl}`);
if (app.relayUrl) console.log(`A relay is running at ${app.relayUrl}, with the emulator's credentials: the page's default "Through a relay" mode uses it.`);
if (app.emulator) console.log('A local Datafordeleren emulator is running: choose "Local emulator" as CPR Environment to call it directly.');
console.log('Press Ctrl-C to stop.\n');
const lifetime = setTimeout(() => {
  console.log('max lifetime reached, stopping');
  app.stop().then(() => process.exit(0));
}, maxLifetimeSeconds * 1000);
lifetime.unref();
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => app.stop().then(() => process.exit(0)));
