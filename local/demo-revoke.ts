/**
 * The demo's timed revocation: revoke a token through the management API, then poll each API
 * until it refuses the token, and report how long each took, or that it did not stop in time.
 */
import { InvalidArgumentError } from 'commander';
import { untilRefused, type Reply } from './stack/api-client';

/** One of the local stack's APIs, as the demo calls it. */
export interface DemoApi {
  readonly name: string;
  readonly call: (token: string | undefined, method: string, path: string) => Promise<Reply>;
}

/** A route of an API that the token worked on before the revoke. */
export interface RevokedOn extends DemoApi {
  /** `GET /orders` */
  readonly route: string;
  readonly token: string;
}

export interface RevokeEverywhere {
  /** The revoke itself: a normal DELETE /tokens/{id}, not an emergency. */
  readonly revoke: () => Promise<Reply>;
  readonly on: readonly RevokedOn[];
  /** How long the token may keep working on an API before that counts as a failure. */
  readonly timeoutMs: number;
  /** @default 100 */
  readonly everyMs?: number;
  /**
   * What the first line calls the revoke.
   * @default 'revoked (normal, not an emergency)'
   */
  readonly what?: string;
}

/** What the demo prints, and what failed (empty when the token stopped everywhere in time). */
export interface RevokeReport {
  readonly lines: string[];
  readonly failures: string[];
}

/** A commander parser for whole seconds in [min, max]. */
export const seconds = (min: number, max: number) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new InvalidArgumentError(`must be whole seconds from ${String(min)} to ${String(max)}`);
  }
  return parsed;
};

const format = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Revoke, then poll every API at once until its first refusal; time each from the revoke. */
export async function revokeEverywhere(options: RevokeEverywhere): Promise<RevokeReport> {
  const since = performance.now();
  const revoked = await options.revoke();
  if (revoked.status !== 200) {
    return {
      lines: [],
      failures: [`the revoke answered ${String(revoked.status)}: ${JSON.stringify(revoked.body)}`],
    };
  }
  const what = options.what ?? 'revoked (normal, not an emergency)';
  const lines = [`${what} in ${format(performance.now() - since)}`];
  const failures: string[] = [];
  const polled = await Promise.all(
    options.on.map(async (api) => {
      const [method = 'GET', path = '/'] = api.route.split(' ');
      const refused = await untilRefused(() => api.call(api.token, method, path), {
        since,
        timeoutMs: options.timeoutMs,
        everyMs: options.everyMs ?? 100,
      });
      return { api, refused };
    }),
  );
  for (const { api, refused } of polled) {
    const where = `${api.name.padEnd(8)} ${api.route.padEnd(25)}`;
    if (refused === undefined) {
      lines.push(`${where} → still allowed after ${format(options.timeoutMs)}`);
      failures.push(
        `the revoked token still works on the ${api.name} API after ${format(options.timeoutMs)}: nothing flushed that stage's authorizer cache, so its cached Allow lasts the cache TTL (try --authorizer-cache-ttl, or the per-stage flusher on TokenRevoked)`,
      );
    } else {
      lines.push(
        `${where} → first ${String(refused.status)} ${format(refused.afterMs)} after the revoke`,
      );
    }
  }
  return { lines, failures };
}
