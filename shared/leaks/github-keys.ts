/**
 * GitHub's secret-scanning public keys: the document at the keys URL
 * (`{public_keys: [{key_identifier, key, is_current}]}`, PEM keys), fetched, cached, and
 * fetched again when a request names a key id the cache does not hold (GitHub rotates keys).
 *
 * Fetches are bounded: at most one attempt per `refetchInterval`, however many unknown ids
 * arrive, so forged key ids cannot turn the intake into a load generator against GitHub's API.
 * The cache is refreshed after `maxAge`, so a key GitHub withdraws stops being accepted within
 * that while GitHub answers; if it does not, the last keys serve up to `staleCeiling`.
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
  /** At most one fetch attempt per this many milliseconds, whatever asks. Default 60 000. */
  readonly refetchIntervalMs?: number;
  /** The keys are fetched again when older than this. Default 3 600 000 (an hour). */
  readonly maxAgeMs?: number;
  /**
   * Keys older than `maxAge` stay in use while a refresh fails or waits for its turn, up to
   * this age. Default 86 400 000 (a day).
   */
  readonly staleCeilingMs?: number;
  readonly now?: () => number;
}

/**
 * The cached keys. Every fetch is an attempt counted against one of two budgets of one per
 * `refetchInterval` (keys missing or stale; an unknown id): forged key ids, cold containers or
 * a failing keys URL can never make the intake fetch more than twice per interval. A refresh that fails keeps the keys it had (up to
 * `staleCeiling`), so GitHub being slow or refusing us does not turn into 503s for its own
 * validly signed reports.
 */
export class GithubKeyCache {
  private keys: Map<string, KeyObject> | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  /** Two budgets, each one attempt per interval: fetching keys we lack or that are stale… */
  private lastAttempt = Number.NEGATIVE_INFINITY;
  /** …and refetching fresh keys for an id they do not hold (GitHub published a new key). */
  private lastRefetch = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  private readonly interval: number;
  private readonly maxAge: number;
  private readonly ceiling: number;
  private readonly now: () => number;

  constructor(private readonly options: KeyCacheOptions) {
    this.interval = options.refetchIntervalMs ?? 60_000;
    this.maxAge = options.maxAgeMs ?? 3_600_000;
    this.ceiling = Math.max(this.maxAge, options.staleCeilingMs ?? 86_400_000);
    this.now = options.now ?? Date.now;
  }

  /**
   * The public key `keyId`, or undefined when GitHub does not publish it (after at most one
   * fetch attempt). Throws `KeysFetchError` when no usable keys can be had: a 503, which
   * GitHub retries.
   */
  async keyFor(keyId: string): Promise<KeyObject | undefined> {
    const fresh = this.keys !== undefined && this.now() - this.fetchedAt <= this.maxAge;
    const cached = this.keys?.get(keyId);
    if (fresh && cached !== undefined) return cached;
    const budget = fresh ? 'lastRefetch' : 'lastAttempt';
    if (this.now() - this[budget] >= this.interval) {
      this[budget] = this.now();
      await this.refresh().catch((error: unknown) => {
        if (this.usable() === undefined) throw error;
      });
    } else if (this.inFlight !== undefined) {
      await this.inFlight.catch(() => undefined);
    }
    const keys = this.usable();
    if (keys === undefined) {
      throw new KeysFetchError('The public keys are not available yet; retry shortly');
    }
    return keys.get(keyId);
  }

  /** The keys while they are within the stale ceiling. */
  private usable(): Map<string, KeyObject> | undefined {
    return this.now() - this.fetchedAt <= this.ceiling ? this.keys : undefined;
  }

  /** One fetch at a time: concurrent callers share it. */
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
