// Headless Chromium for the browser tests: Debian's chromium driven by playwright-core.
// No browser is ever downloaded; the flags keep Chromium off the (closed) network.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCREENSHOT_DIR = join(root, 'artifacts', 'screenshots');

export async function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** Save a screenshot as a test artifact (git-ignored). */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * A static server for the repository, headless Chromium, and a blank page with the web build
 * loaded as `window.cpr` (as a browser application imports the package). `close()` ends all.
 */
export async function openPackagePage(root) {
  const { startStaticServer } = await import('../../scripts/serve.mjs');
  const server = await startStaticServer({ root });
  const browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(`${server.url}/tests/support/blank.html`);
  await page.evaluate(async () => { window.cpr = await import('/pkg/index.web.js'); });
  return { server, browser, page, close: async () => { await browser.close(); await server.close(); } };
}

/**
 * The setup page (served by startApp) switched to direct access: the form's credential fields,
 * with the local emulator's test secret filled in (the page starts through the relay, with none).
 */
export async function useDirectAccess(page) {
  await page.check('#mode-direct');
  await page.waitForFunction(() => document.querySelector('#field-environment')?.value !== 'local'
    || document.querySelector('#field-clientSecret')?.value !== '');
}
