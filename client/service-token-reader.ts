/**
 * How a service reads its own token from the Secrets Manager secret the platform rotates:
 * AWSCURRENT through Powertools Parameters, cached for less than the rotation's grace period.
 *
 * Why that bound suffices: finishSecret moves AWSCURRENT to the new token at some instant T,
 * and the replaced token keeps working until T + grace, or until the next rotation's
 * finishSecret, whichever is first (its sweep keeps only AWSCURRENT and AWSPREVIOUS). A value
 * read before T is reused until at most T + maxAge, so while maxAge < grace, and rotations are
 * at least maxAge apart, every cached token still works when it is sent. The constructor
 * refuses a maxAge that is not below the grace. `refresh()` rereads at once: for a token that
 * ended early (revoked, or two rotate-nows within maxAge), on its 401 or 403.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod/mini';

export interface ServiceTokenReaderOptions {
  /** Name or ARN of the secret (RotatedServiceToken's `secret`). */
  readonly secretId: string;
  /** The platform's rotation grace period (`rotationGracePeriod`), in seconds. */
  readonly gracePeriodSeconds: number;
  /**
   * How long a read token is reused before Secrets Manager is asked again. Must be shorter
   * than the grace period.
   * @default - a tenth of the grace period, at most 300 seconds
   */
  readonly maxAgeSeconds?: number;
  /** @default - a SecretsProvider with the default client (region and credentials from the environment) */
  readonly provider?: SecretsProvider;
}

/** What a rotation writes into the secret; other fields are ignored. */
const secretValue = z.object({
  token: z.string().check(z.regex(/^[a-z][a-z0-9]*_[0-9A-Za-z]{49}$/)),
  tokenId: z.string(),
  expiresAt: z.string(),
});

export type ServiceTokenValue = z.infer<typeof secretValue>;

/** The cache age the reader uses: the one given, or a tenth of the grace, at most 5 minutes. */
export function readerMaxAge(gracePeriodSeconds: number, maxAgeSeconds?: number): number {
  if (!Number.isFinite(gracePeriodSeconds) || gracePeriodSeconds <= 0) {
    throw new RangeError(
      `gracePeriodSeconds is ${String(gracePeriodSeconds)}: with no grace period a rotated-out token stops at once, so no cached token is safe; give the platform a rotationGracePeriod`,
    );
  }
  const maxAge = maxAgeSeconds ?? Math.min(300, Math.floor(gracePeriodSeconds / 10));
  if (!Number.isInteger(maxAge) || maxAge < 0 || maxAge >= gracePeriodSeconds) {
    throw new RangeError(
      `maxAgeSeconds must be a whole number of seconds below the grace period (${String(gracePeriodSeconds)} s), got ${String(maxAge)}: a token cached longer could be sent after it stopped working`,
    );
  }
  return maxAge;
}

export class ServiceTokenReader {
  readonly maxAgeSeconds: number;
  private readonly provider: SecretsProvider;

  constructor(private readonly options: ServiceTokenReaderOptions) {
    this.maxAgeSeconds = readerMaxAge(options.gracePeriodSeconds, options.maxAgeSeconds);
    this.provider = options.provider ?? new SecretsProvider();
  }

  /** The current token (AWSCURRENT), from the cache while it is younger than maxAgeSeconds. */
  async token(): Promise<string> {
    return (await this.value()).token;
  }

  /** The current token with its id and expiry, cached as `token()` is. */
  async value(): Promise<ServiceTokenValue> {
    return this.read(false);
  }

  /** The current token and its id and expiry, read from Secrets Manager now. */
  async refresh(): Promise<ServiceTokenValue> {
    return this.read(true);
  }

  private async read(forceFetch: boolean): Promise<ServiceTokenValue> {
    const { secretId } = this.options;
    let value: unknown;
    try {
      value = await this.provider.get(secretId, {
        maxAge: this.maxAgeSeconds,
        forceFetch,
        transform: 'json',
        sdkOptions: { VersionStage: 'AWSCURRENT' },
      });
    } catch (error) {
      // Powertools' transform error quotes the start of the value: never pass it on.
      const name = error instanceof Error ? error.name : 'Error';
      if (name === 'TransformParameterError') value = undefined;
      else throw new Error(`Reading the secret ${secretId} failed (${name})`, { cause: error });
    }
    const parsed = secretValue.safeParse(value);
    // Never the value itself in the message: it holds the token.
    if (!parsed.success) {
      throw new Error(
        `The secret ${secretId} holds no service token yet (its first rotation has not run) or not one this platform wrote`,
      );
    }
    return parsed.data;
  }
}
