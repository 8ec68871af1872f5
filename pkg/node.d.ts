// Types of `datafordeler-cpr/node`: the Node-only host helpers (hand-written; scripts/build.mjs
// makes node.d.cts from this file).
import type { DebugCapture, HostRequest, HostResponse } from './index.js';

export interface CertificateFetchOptions {
  /** The PFX (PKCS#12) file: its bytes or its path. */
  pfx: Uint8Array | ArrayBuffer | string;
  passphrase?: string;
  /** Extra CA certificate(s) to trust (PEM text, bytes or a path); verification is always on. */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  maxResponseBytes?: number;
}

/** A `fetch` option (for `new CprClient`) that presents the PFX's certificate to the token endpoint (mutual TLS). */
export declare function createCertificateFetch(options: CertificateFetchOptions): (request: HostRequest) => Promise<HostResponse>;

/** An `onDebug` option (for `new CprClient`) writing each capture as a JSON file into `directory`; returns the file path. */
export declare function writeDebugCaptures(directory: string): (capture: DebugCapture) => string;
