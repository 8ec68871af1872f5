// Types of `datafordeler-cpr/browser`: the browser-only host helpers (hand-written;
// scripts/build.mjs makes browser.d.cts from this file).
import type { DebugCapture } from './index.js';

/** Offers the capture as a JSON file download (a `host.onDebug` in a page); returns the file name. */
export declare function downloadDebugCapture(capture: DebugCapture, filename?: string): string;
