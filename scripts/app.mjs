// The demo application: the Datafordeleren emulator, a relay holding the emulator's credentials,
// and the setup page, all on 127.0.0.1. Used by `npm start` (scripts/start.mjs) and by the
// page's browser tests.
import { existsSync } from 'node:fs';
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
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

/**
 * The page's "Local emulator" environment: a real environment name plus endpoint overrides.
 * Without the secret: the page asks for it (/config/local-secret.json) only when switched to
 * direct access, so the default demo, through the relay, never has a secret in the browser.
 */
function localEnvironment(emulator) {
  if (!emulator) return null;
  const client = emulator.credentials.privateSector;
  return {
    label: 'Local emulator',
    environment: emulator.environment ?? 'test04',
    clientId: client.clientId,
    endpoints: {
      graphqlBaseUrl: emulator.urls.graphqlBaseUrl,
      sharedSecretTokenUrl: emulator.urls.tokenUrl,
      certificateTokenUrl: emulator.urls.certificateTokenUrl,
    },
  };
}

const SESSION_COOKIE = 'cpr-demo-session';
const digest = (text) => createHash('sha256').update(text).digest();

/** The demo's caller check: the session cookie the page server set with the page. */
function cookieSession(session) {
  return (request) => {
    const cookies = (request.headers.get('cookie') ?? '').split(';').map((c) => c.trim());
    const presented = cookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`))?.slice(SESSION_COOKIE.length + 1) ?? '';
    return presented && timingSafeEqual(digest(presented), digest(session)) ? 'demo-user' : null;
  };
}

/**
 * The relay the page's default demo goes through: it holds the emulator's client secret, which
 * therefore stays in this process; the browser proves who it is with the session cookie.
 */
async function startLocalRelay({ emulator, origin, session, audit }) {
  const relayModule = join(root, 'pkg', 'relay.js');
  if (!emulator || !existsSync(relayModule)) return null;
  const { createRelay } = await import(pathToFileURL(relayModule).href);
  const local = localEnvironment(emulator);
  const { clientSecret } = emulator.credentials.privateSector;
  return createRelay({
    setup: {
      enabled: true,
      environment: local.environment,
      sectorType: 'private',
      authMethod: 'sharedSecret',
      clientId: local.clientId,
      clientSecret,
      endpoints: { graphqlBaseUrl: local.endpoints.graphqlBaseUrl, sharedSecretTokenUrl: local.endpoints.sharedSecretTokenUrl },
    },
    basePath: RELAY_PATH,
    authorize: cookieSession(session),
    allowedOrigins: [origin],
    limits: { lookupsPerMinute: 600, maxBatch: 50 },
    audit,
  });
}

const RELAY_PATH = '/cpr-relay';

/**
 * Start the emulator, the relay and the page server. `audit` receives the relay's audit events.
 * @returns {Promise<{ pageUrl: string, relayUrl: string | null, emulator: object | null, stop: () => Promise<void> }>}
 */
export async function startApp({ port = 0, maxLifetimeSeconds = 3600, audit = () => {} } = {}) {
  const emulator = await startLocalEmulator(maxLifetimeSeconds);
  const config = { localEnvironment: localEnvironment(emulator), relay: null };
  const routes = {
    '/config.json': (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(config));
    },
    // The emulator's test credential (not a real secret), for the page's direct-access mode.
    '/config/local-secret.json': (req, res) => {
      res.writeHead(emulator ? 200 : 404, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(emulator ? { clientSecret: emulator.credentials.privateSector.clientSecret } : {}));
    },
  };
  // Filled once the relay knows the page's origin (the port is the system's choice).
  const mounts = {};
  const session = randomBytes(24).toString('base64url');
  const headers = (file) => (file.endsWith('.html') ? { 'set-cookie': `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/` } : {});
  let server;
  try {
    server = await startStaticServer({ root, port, routes, mounts, headers });
  } catch (error) {
    await emulator?.stop();
    // A page on another port than the one asked for would be a surprise (bookmarks, firewall
    // rules, a second copy already running): say so and let the user choose.
    if (error.code === 'EADDRINUSE') {
      throw Object.assign(new Error(`Port ${port} on 127.0.0.1 is taken (is another npm start running?). Stop that program, or choose another port: npm start -- --port ${port + 1}`), { code: 'port_taken' });
    }
    throw error;
  }
  let relay = null;
  try {
    relay = await startLocalRelay({ emulator, origin: server.url, session, audit });
  } catch (error) {
    await server.close();
    await emulator?.stop();
    throw error;
  }
  if (relay) {
    mounts[RELAY_PATH] = relay.nodeHandler;
    config.relay = { label: 'Local relay (emulator behind it)', url: `${server.url}${RELAY_PATH}` };
  }
  let stopped = false;
  return {
    pageUrl: `${server.url}/`,
    relayUrl: config.relay?.url ?? null,
    emulator,
    async stop() {
      if (stopped) return;
      stopped = true;
      await relay?.close({ graceMs: 1000 });
      await server.close();
      await emulator?.stop();
    },
  };
}
