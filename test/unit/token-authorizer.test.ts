/**
 * The authorizer's decisions, row by row as the issue specifies them, counting table reads;
 * then properties over arbitrary input. The table here is an in-memory map; the same decisions
 * against DynamoDB Local through the bundled Lambda are in test/integration/authorizer.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { EXAMPLE_CATALOG } from '../support/catalog';
import { shapeResponse } from '../../shared/authz/events';
import { RecordCache } from '../../shared/authz/record-cache';
import { isGranted } from '../../shared/authz/routes';
import { TokenAuthorizer } from '../../shared/authz/token-authorizer';
import { generateToken, hashToken } from '../../shared/token/format';
import type { TokenRecord } from '../../shared/token/record';
import { UsageTracker } from '../../shared/usage';
import { tokenRecord } from '../support/tokens';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const STAGE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1';

function recordFor(token: string, overrides: Partial<TokenRecord> = {}): TokenRecord {
  return tokenRecord({ tokenHash: hashToken(token), ...overrides });
}

function setup(records: TokenRecord[] = [], options: { cacheMs?: number } = {}) {
  const byHash = new Map(records.map((r) => [r.tokenHash, r]));
  const lookup = vi.fn((hash: string) => Promise.resolve(byHash.get(hash)));
  const authorizer = new TokenAuthorizer({
    lookup,
    now: () => NOW,
    ...(options.cacheMs === undefined ? {} : { cache: new RecordCache(options.cacheMs) }),
  });
  return { authorizer, lookup };
}

const token = generateToken();
const bearer = `Bearer ${token}`;

describe('decisions (the issue’s table)', () => {
  it.each([
    ['no header', undefined, { outcome: 'unauthorized', reason: 'missing' }, 0],
    ['empty header', '', { outcome: 'unauthorized', reason: 'missing' }, 0],
    ['wrong scheme', `Basic ${token}`, { outcome: 'unauthorized', reason: 'missing' }, 0],
    ['bare token without scheme', token, { outcome: 'unauthorized', reason: 'missing' }, 0],
    ['malformed', 'Bearer sk_short', { outcome: 'unauthorized', reason: 'malformed' }, 0],
    [
      'bad checksum',
      `Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
      { outcome: 'unauthorized', reason: 'malformed' },
      0,
    ],
    ['unknown hash', `Bearer ${generateToken()}`, { outcome: 'deny', reason: 'unknown' }, 1],
  ])('%s → %o with %i reads', async (_, header, expected, reads) => {
    const { authorizer, lookup } = setup([recordFor(token)]);
    expect(await authorizer.decide(header)).toMatchObject(expected);
    expect(lookup).toHaveBeenCalledTimes(reads);
  });

  it.each([
    ['revoked', { status: 'revoked' as const }, { outcome: 'deny', reason: 'revoked' }],
    ['expired', { expiresAt: '2026-06-01T00:00:00.000Z' }, { outcome: 'deny', reason: 'expired' }],
    [
      'predecessor past its grace deadline',
      { rotatedTo: 'tok_new', graceUntil: '2026-06-01T11:00:00.000Z' },
      { outcome: 'deny', reason: 'past-grace' },
    ],
    [
      'scope outside the grammar (legacy or tampered item)',
      { scopes: ['orders:read admin'] },
      { outcome: 'deny', reason: 'invalid-scope' },
    ],
    ['active', {}, { outcome: 'allow', inGrace: false }],
    [
      'predecessor within grace',
      { rotatedTo: 'tok_new', graceUntil: '2026-06-02T00:00:00.000Z' },
      { outcome: 'allow', inGrace: true },
    ],
  ])('%s → %o with 1 read', async (_, overrides, expected) => {
    const { authorizer, lookup } = setup([recordFor(token, overrides)]);
    expect(await authorizer.decide(bearer)).toMatchObject(expected);
    expect(lookup).toHaveBeenCalledTimes(1);
  });

  it('accepts the scheme in any case and surrounding spaces', async () => {
    const { authorizer } = setup([recordFor(token)]);
    for (const header of [`bearer ${token}`, `BEARER  ${token} `]) {
      expect(await authorizer.decide(header)).toMatchObject({ outcome: 'allow' });
    }
  });

  it('fails closed: a store error propagates instead of becoming a decision', async () => {
    const authorizer = new TokenAuthorizer({
      lookup: () => Promise.reject(new Error('throttled')),
      now: () => NOW,
    });
    await expect(authorizer.decide(bearer)).rejects.toThrow('throttled');
  });
});

describe('properties', () => {
  const known = [recordFor(token, { scopes: ['orders:read', 'orders:write'] })];

  it('never allows a random header', async () => {
    const { authorizer } = setup(known);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `Bearer ${s}`),
          fc.string().map((s) => `Bearer sk_${s}`),
        ),
        async (header) => {
          expect((await authorizer.decide(header)).outcome).not.toBe('allow');
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('never allows a mutated valid token', async () => {
    const { authorizer } = setup(known);
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 32, max: 126 }), async (position, code) => {
        const index = position % token.length;
        const replacement = String.fromCharCode(code);
        fc.pre(replacement !== token[index]);
        const mutated = token.slice(0, index) + replacement + token.slice(index + 1);
        expect((await authorizer.decide(`Bearer ${mutated}`)).outcome).not.toBe('allow');
      }),
      { numRuns: 2_000 },
    );
  });

  it('allows a valid active token exactly on the routes of its scopes', async () => {
    const scopes = ['orders:read', 'orders:write', 'orders:admin', 'admin', 'other'];
    await fc.assert(
      fc.asyncProperty(fc.subarray(scopes), async (held) => {
        const { authorizer } = setup([recordFor(token, { scopes: held })]);
        const decision = await authorizer.decide(bearer);
        const response = shapeResponse(
          decision,
          { kind: 'rest', stageArn: STAGE },
          EXAMPLE_CATALOG,
        );
        if (response.kind !== 'policy') throw new Error('expected a policy');
        const [statement] = response.result.policyDocument.Statement;
        const granted = EXAMPLE_CATALOG.filter((r) => isGranted(r, held));
        expect(statement?.Effect).toBe(granted.length > 0 ? 'Allow' : 'Deny');
        if (granted.length > 0) {
          expect(statement?.Resource).toEqual(
            granted.map((r) => `${STAGE}/${r.method}${r.path.replace(/\{[^}]+\}/g, '*')}`),
          );
        }
        expect(response.result.context).toMatchObject({ tokenId: 'tok_test', owner: 'team-a' });
      }),
    );
  });
});

describe('usage tracking', () => {
  it('never delays a decision: a pending write does not hold it up', async () => {
    const write = vi.fn(() => new Promise<never>(() => undefined));
    const authorizer = new TokenAuthorizer({
      lookup: () => Promise.resolve(recordFor(token)),
      now: () => NOW,
      usage: { tracker: new UsageTracker(60_000), write, onError: vi.fn() },
    });
    await expect(authorizer.decide(bearer)).resolves.toMatchObject({ outcome: 'allow' });
    expect(write).toHaveBeenCalledOnce();
  });

  it('never changes a decision: a failed write is only reported', async () => {
    const failure = new Error('ProvisionedThroughputExceeded');
    const onError = vi.fn();
    const authorizer = new TokenAuthorizer({
      lookup: () => Promise.resolve(recordFor(token)),
      now: () => NOW,
      usage: { tracker: new UsageTracker(60_000), write: () => Promise.reject(failure), onError },
    });
    await expect(authorizer.decide(bearer)).resolves.toMatchObject({ outcome: 'allow' });
    await vi.waitFor(() => {
      expect(onError).toHaveBeenCalledWith(failure);
    });
  });

  it('writes once per interval, not once per request', async () => {
    const write = vi.fn(() => Promise.resolve());
    const authorizer = new TokenAuthorizer({
      lookup: () => Promise.resolve(recordFor(token)),
      now: () => NOW,
      usage: { tracker: new UsageTracker(60_000), write, onError: vi.fn() },
    });
    for (let i = 0; i < 50; i++) await authorizer.decide(bearer);
    expect(write).toHaveBeenCalledOnce();
  });

  it('records nothing for a denied token', async () => {
    const write = vi.fn(() => Promise.resolve());
    const authorizer = new TokenAuthorizer({
      lookup: () => Promise.resolve(recordFor(token, { status: 'revoked' })),
      now: () => NOW,
      usage: { tracker: new UsageTracker(60_000), write, onError: vi.fn() },
    });
    await authorizer.decide(bearer);
    expect(write).not.toHaveBeenCalled();
  });
});

describe('in-process record cache', () => {
  it('serves repeat decisions without reads while fresh, then reads again', async () => {
    let now = NOW.getTime();
    const lookup = vi.fn(() => Promise.resolve(recordFor(token)));
    const authorizer = new TokenAuthorizer({
      lookup,
      now: () => new Date(now),
      cache: new RecordCache(10_000),
    });
    await authorizer.decide(bearer);
    now += 9_999;
    await authorizer.decide(bearer);
    expect(lookup).toHaveBeenCalledTimes(1);
    now += 1;
    await authorizer.decide(bearer);
    expect(lookup).toHaveBeenCalledTimes(2);
  });

  it('re-evaluates the cached record against the clock, so expiry is exact', async () => {
    let now = new Date('2026-11-30T23:59:59.000Z').getTime();
    const authorizer = new TokenAuthorizer({
      lookup: () => Promise.resolve(recordFor(token)),
      now: () => new Date(now),
      cache: new RecordCache(60_000),
    });
    expect((await authorizer.decide(bearer)).outcome).toBe('allow');
    now += 1_000;
    expect(await authorizer.decide(bearer)).toMatchObject({ outcome: 'deny', reason: 'expired' });
  });

  it('is off with a TTL of 0', async () => {
    const { authorizer, lookup } = setup([recordFor(token)], { cacheMs: 0 });
    await authorizer.decide(bearer);
    await authorizer.decide(bearer);
    expect(lookup).toHaveBeenCalledTimes(2);
  });
});
