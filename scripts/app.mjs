// The demo application: the Datafordeleren emulator and the setup page on 127.0.0.1.
// Used by `npm start` (scripts/start.mjs) and by the page's browser tests.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startStaticServer } from './serve.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

async function startLocalEmulator(maxLifetimeSeconds) {
  const emulatorModule = join(root, 'tests', 'emulator', 'server.mjs');
  if (!existsSync(emulatorModule)) return null;
  const { startEmulator } = await import(pathToFileURL(emulatorModule).href);
  return startEmulator({ port: 0, httpsPort: 0, maxLifetimeSeconds });
}

/** The page's "Local emulator" environment: a real environment name plus endpoint overrides. */
function localEnvironment(emulator) {
  if (!emulator) return null;
  const client = emulator.credentials.privateSector;
  return {
    label: 'Local emulator',
    environment: emulator.environment ?? 'test04',
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    endpoints: {
      graphqlBaseUrl: emulator.urls.graphqlBaseUrl,
      sharedSecretTokenUrl: emulator.urls.tokenUrl,
      certificateTokenUrl: emulator.urls.certificateTokenUrl,
    },
  };
}

/**
 * Start the emulator and the page server.
 * @returns {Promise<{ pageUrl: string, emulator: object | null, stop: () => Promise<void> }>}
 */
export async function startApp({ port = 0, maxLifetimeSeconds = 3600 } = {}) {
  const emulator = await startLocalEmulator(maxLifetimeSeconds);
  const config = { localEnvironment: localEnvironment(emulator) };
  const routes = {
    '/config.json': (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(config));
    },
  };
  let server;
  try {
    server = await startStaticServer({ root, port, routes });
  } catch (error) {
    await emulator?.stop();
    // A page on another port than the one asked for would be a surprise (bookmarks, firewall
    // rules, a second copy already running): say so and let the user choose.
    if (error.code === 'EADDRINUSE') {
      throw Object.assign(new Error(`Port ${port} on 127.0.0.1 is taken (is another npm start running?). Stop that program, or choose another port: npm start -- --port ${port + 1}`), { code: 'port_taken' });
    }
    throw error;
  }
  let stopped = false;
  return {
    pageUrl: `${server.url}/`,
    emulator,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close();
      await emulator?.stop();
    },
  };
}
