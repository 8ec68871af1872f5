// Types of the package: the declarations generated from the Rust types (the same for the
// Node and the browser build), plus the hand-written host helpers.
import type { CprHost, DebugCapture, HostRequest, HostResponse } from './node/datafordeler_cpr.js';

export * from './node/datafordeler_cpr.js';

export interface CertificateFetchOptions {
  /** The PFX (PKCS#12) file: its bytes or its path. */
  pfx: Uint8Array | ArrayBuffer | string;
  passphrase?: string;
  /** Extra CA certificate(s) to trust (PEM text, bytes or a path); verification is always on. */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  maxResponseBytes?: number;
}

/** Node only: a `fetch` option that presents the PFX's certificate to the token endpoint (mutual TLS). Throws in a browser. */
export declare function createCertificateFetch(options: CertificateFetchOptions): (request: HostRequest) => Promise<HostResponse>;

/** Node only: an `onDebug` option writing each capture as a JSON file into `directory`; returns the file path. Throws in a browser. */
export declare function writeDebugCaptures(directory: string): (capture: DebugCapture) => string;

/** Browser only: offers the capture as a JSON file download; returns the file name. Throws in Node. */
export declare function downloadDebugCapture(capture: DebugCapture, filename?: string): string;

export type { CprHost };
