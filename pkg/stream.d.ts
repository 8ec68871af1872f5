// datafordeler-cpr/stream: the streaming form of `CprClient.lookupMany` (hand-written; see
// pkg/stream.js for why it is a function and not a method).
import type { BatchInput, ItemResult, LookupOptions, LookupOutcome } from './index.js';

/** What lookupStream uses of a client: a `CprClient` fits. */
export interface LookupClient {
  lookup(cpr: string, options?: LookupOptions): Promise<LookupOutcome>;
}

export interface LookupStreamOptions {
  /** Lookups running at once (default 4, 1 to 64). */
  concurrency?: number;
  /** Items read from the source and not yet yielded (default 4 × concurrency; at least `concurrency`, at most 4096). */
  window?: number;
  /** Cancels: lookups in flight end and the iteration throws a CprError coded `cancelled`. */
  signal?: AbortSignal;
}

/**
 * Looks up each item with `client.lookup` and yields one result per item in input order, as
 * results complete, with bounded concurrency and read-ahead. One failure never stops the stream:
 * it is that item's `{ ok: false, error }`. Throws a CprError (`invalid_options`) at once for an
 * unusable argument.
 */
export declare function lookupStream(
  client: LookupClient,
  items: Iterable<BatchInput> | AsyncIterable<BatchInput>,
  options?: LookupStreamOptions,
): AsyncGenerator<ItemResult, void, undefined>;
