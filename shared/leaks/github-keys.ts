/**
 * GitHub's secret-scanning public keys: the document at the keys URL
 * (`{public_keys: [{key_identifier, key, is_current}]}`, PEM keys), fetched, cached, and
 * fetched again when a request names a key id the cache does not hold (GitHub rotates keys).
 *
 * The refetch is bounded: at most one per `refetchInterval`, however many unknown ids arrive,
 * so forged key ids cannot turn the intake into a load generator against GitHub's API. The
 * cache also expires (`maxAge`): a key GitHub withdraws stops being accepted within that.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import * as z from 'zod/mini';

export const DEFAULT_GITHUB_KEYS_URL = 'https://api.github.com/meta/public_keys/secret_scanning';

const keysDocumentSchema = z.object({
  public_keys: z.array(
    z.object({
      key_identifier: z.string().check(z.minLength(1), z.maxLength(256)),
      key: z.string().check(z.minLength(1), z.maxLength(4096)),
      is_current: z.optional(z.boolean()),
    }),
  ),
});

export class KeysFetchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeysFetchError';
  }
}

/** The keys document's text, from the keys URL (injected: tests and the local stack serve one). */
export type FetchKeysDocument = () => Promise<unknown>;

/** Fetch the keys document over HTTPS with a timeout; any failure is a `KeysFetchError`. */
export function httpKeysDocument(url: string, timeoutMs = 3000): FetchKeysDocument {
  return async () => {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new KeysFetchError('The public keys could not be fetched', { cause: error });
    }
    if (!response.ok) {
      throw new KeysFetchError(`The public keys URL answered ${String(response.status)}`);
    }
    return response.json();
  };
}

/** Parse a keys document into key id → public key; keys that do not parse are left out. */
export function parseKeysDocument(document: unknown): Map<string, KeyObject> {
  const parsed = keysDocumentSchema.safeParse(document);
  if (!parsed.success) throw new KeysFetchError('The public keys document has the wrong shape');
  const keys = new Map<string, KeyObject>();
  for (const entry of parsed.data.public_keys) {
    try {
      const key = createPublicKey(entry.key);
      if (key.asymmetricKeyType === 'ec') keys.set(entry.key_identifier, key);
    } catch {
      // One unreadable key must not take the others down; its id stays unknown.
    }
  }
  return keys;
}

export interface KeyCacheOptions {
  readonly fetchDocument: FetchKeysDocument;
  /** At most one refetch per this many milliseconds. Default 60 000. */
  readonly refetchIntervalMs?: number;
  /** The keys are fetched again when older than this. Default 3 600 000 (an hour). */
  readonly maxAgeMs?: number;
  readonly now?: () => number;
}

/** The cached keys; `keyFor` refetches once when the id is unknown, then gives up. */
export class GithubKeyCache {
  private keys: Map<string, KeyObject> | undefined;
  /** When an unknown id last caused a fetch: the bound counts refetches, not the first fetch. */
  private lastRefetch = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private readonly interval: number;
  private readonly maxAge: number;
  private readonly now: () => number;

  constructor(private readonly options: KeyCacheOptions) {
    this.interval = options.refetchIntervalMs ?? 60_000;
    this.maxAge = options.maxAgeMs ?? 3_600_000;
    this.now = options.now ?? Date.now;
  }

  /** The public key `keyId`, or undefined when GitHub does not publish it (after one refetch). */
  async keyFor(keyId: string): Promise<KeyObject | undefined> {
    // Expired keys are not used: a fetch that fails then is a 503, not a stale accept.
    if (this.now() - this.fetchedAt > this.maxAge) this.keys = undefined;
    const cached = this.keys?.get(keyId);
    if (cached !== undefined) return cached;
    if (this.keys !== undefined) {
      if (this.now() - this.lastRefetch < this.interval) return undefined;
      this.lastRefetch = this.now();
    }
    await this.refresh();
    return this.keys?.get(keyId);
  }

  /** One fetch at a time: concurrent unknown ids share it. */
  private refresh(): Promise<void> {
    this.inFlight ??= (async () => {
      try {
        this.keys = parseKeysDocument(await this.options.fetchDocument());
        this.fetchedAt = this.now();
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }
}
