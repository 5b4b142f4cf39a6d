/** Builders for test tokens: a plaintext plus the NewToken the store registers for it. */
import { DAY_MS } from '../../shared/time';
import { mintToken } from '../../shared/token/mint';
import type { NewToken, TokenRecord } from '../../shared/token/record';

/** Re-exported for the tests that build clocks from these helpers. */
export { DAY_MS };

/**
 * A start for simulated clocks: midnight UTC a day from now. Not a fixed past date: DynamoDB
 * Local runs TTL deletion on the real clock, so items whose TTL (expiry + retention) lies in the
 * real past vanish in the middle of a test.
 */
export function clockStart(): Date {
  return new Date((Math.floor(Date.now() / DAY_MS) + 1) * DAY_MS);
}

/** A stored, active token record for pure tests; override what the test is about. */
export function tokenRecord(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    tokenHash: 'a'.repeat(64),
    tokenId: 'tok_test',
    name: 'ci',
    owner: 'team-a',
    scopes: ['orders:read'],
    hint: 'sk_…abcd',
    status: 'active',
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-12-01T00:00:00.000Z',
    ...overrides,
  };
}

export interface IssuedTestToken {
  readonly plaintext: string;
  readonly input: NewToken;
}

export function newTestToken(
  overrides: Partial<NewToken> = {},
  now: Date = new Date(),
): IssuedTestToken {
  const { token, input } = mintToken({
    name: 'ci-deploy',
    owner: 'team-a',
    scopes: ['tokens:read'],
    createdAt: now,
    expiresAt: new Date(now.getTime() + 90 * DAY_MS),
  });
  return { plaintext: token, input: { ...input, ...overrides } };
}

/**
 * A token registered directly in the store, to call the API with: what the authorizer would
 * pass on (id, owner, scopes), plus its plaintext and hash. Named `<owner>-caller`.
 */
export async function seedCaller(
  store: { create(input: NewToken, context: { actor: string }): Promise<unknown> },
  owner: string,
  scopes: string[],
  options: { now?: Date; expiresInDays?: number } = {},
) {
  const now = options.now ?? new Date();
  const { plaintext, input } = newTestToken(
    {
      owner,
      scopes,
      name: `${owner}-caller`,
      expiresAt: new Date(now.getTime() + (options.expiresInDays ?? 90) * DAY_MS),
    },
    now,
  );
  await store.create(input, { actor: 'test:setup' });
  return { tokenId: input.tokenId, owner, scopes, plaintext, tokenHash: input.tokenHash };
}
