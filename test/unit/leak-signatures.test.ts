/**
 * Who may report a leak. GitHub's requests carry an ECDSA P-256 signature of the raw body under
 * a key named by id in its published keys; the generic intake an HMAC of `<timestamp>.<body>`.
 * Every refusal is a 401 that reads and writes nothing: the store, the revoke path and the
 * alert topic are spies that record any call.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GithubKeyCache, KeysFetchError } from '../../shared/leaks/github-keys';
import { handleLeakRequest, type IntakeDeps } from '../../shared/leaks/http';
import { verifyGithubSignature, verifyWebhookSignature } from '../../shared/leaks/signatures';
import { generateToken } from '../../shared/token/format';
import {
  countingKeyCache,
  githubEvent,
  githubSignature,
  keysDocument,
  leakEvent,
  recordingSpies,
  reportBody,
  signingKey,
  webhookEvent,
  type SigningKey,
} from '../support/leaks';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const SECRET = 'a-webhook-secret-of-at-least-32-characters';
const current = signingKey('key-current');
const other = signingKey('key-other');

function rig(published: readonly SigningKey[] = [current, other]) {
  const calls: string[] = [];
  const keys = countingKeyCache(published);
  const deps: IntakeDeps = {
    githubKeys: keys.cache,
    webhookSecret: () => Promise.resolve(SECRET),
    candidates: {
      prefix: 'sk_',
      policy: 'revoke',
      ...recordingSpies(calls),
      revoke: () => {
        calls.push('revoke');
        return Promise.reject(new Error('unexpected revoke'));
      },
      now: () => new Date(NOW),
    },
  };
  return { deps, calls, keys };
}

/** A body whose only candidate is garbage: a verified request then touches nothing either. */
const garbage = reportBody(['not-a-token']);

describe('GitHub signature', () => {
  it('accepts the raw body signed by a published key', async () => {
    const { deps, calls } = rig();
    const out = await handleLeakRequest(githubEvent(current, garbage), deps);
    expect(out.response.statusCode).toBe(200);
    expect(out.results).toEqual([{ index: 0, hint: '…', outcome: 'malformed' }]);
    expect(calls).toEqual([]);
  });

  it('accepts a report signed by a key that is not current but still published', async () => {
    const { deps } = rig();
    expect((await handleLeakRequest(githubEvent(other, garbage), deps)).response.statusCode).toBe(
      200,
    );
  });

  const refusals: [string, (key: SigningKey) => ReturnType<typeof githubEvent>][] = [
    [
      'signed by a key GitHub does not publish, under a published id',
      () => githubEvent(signingKey('unpublished'), garbage, current.id),
    ],
    ['a tampered body', (key) => ({ ...githubEvent(key, garbage), body: reportBody(['x']) })],
    [
      'a valid signature under another published key id',
      () => githubEvent(other, garbage, current.id),
    ],
    [
      'no key id header',
      (key) =>
        leakEvent('/leaks/github', garbage, {
          'Github-Public-Key-Signature': githubSignature(key, garbage),
        }),
    ],
    [
      'no signature header',
      (key) => leakEvent('/leaks/github', garbage, { 'Github-Public-Key-Identifier': key.id }),
    ],
    [
      'a signature that is not base64',
      (key) =>
        leakEvent('/leaks/github', garbage, {
          'Github-Public-Key-Identifier': key.id,
          'Github-Public-Key-Signature': '%%%',
        }),
    ],
    [
      'a signature that is not DER',
      (key) =>
        leakEvent('/leaks/github', garbage, {
          'Github-Public-Key-Identifier': key.id,
          'Github-Public-Key-Signature': Buffer.from('nonsense').toString('base64'),
        }),
    ],
  ];
  for (const [name, build] of refusals) {
    it(`refuses ${name} with 401, touching nothing`, async () => {
      const { deps, calls } = rig();
      const out = await handleLeakRequest(build(current), deps);
      expect(out.response.statusCode).toBe(401);
      expect(JSON.parse(out.response.body)).toEqual({ message: 'Unauthorized' });
      expect(calls).toEqual([]);
    });
  }

  it('fetches no keys for a request without its headers', async () => {
    const { deps, keys } = rig();
    await handleLeakRequest(leakEvent('/leaks/github', garbage, {}), deps);
    expect(keys.state.fetches).toBe(0);
  });

  it('refetches once for an unknown key id, then answers 401; a second unknown id waits', async () => {
    const { deps, keys, calls } = rig();
    await handleLeakRequest(githubEvent(current, garbage), deps);
    expect(keys.state.fetches).toBe(1);
    const stranger = signingKey('key-unknown');
    const first = await handleLeakRequest(githubEvent(stranger, garbage), deps);
    expect(first.response.statusCode).toBe(401);
    expect(keys.state.fetches).toBe(2);
    const again = await handleLeakRequest(githubEvent(signingKey('key-unknown-2'), garbage), deps);
    expect(again.response.statusCode).toBe(401);
    expect(keys.state.fetches).toBe(2);
    expect(calls).toEqual([]);
  });

  it('picks up a key GitHub published after the cache was filled, with one refetch', async () => {
    const { deps, keys } = rig([current]);
    await handleLeakRequest(githubEvent(current, garbage), deps);
    const rotated = signingKey('key-new');
    keys.state.keys.push(rotated);
    const out = await handleLeakRequest(githubEvent(rotated, garbage), deps);
    expect(out.response.statusCode).toBe(200);
    expect(keys.state.fetches).toBe(2);
  });

  it('answers 503 when the keys cannot be fetched (GitHub retries), touching nothing', async () => {
    const { deps, calls } = rig();
    const failing: IntakeDeps = {
      ...deps,
      githubKeys: new GithubKeyCache({
        fetchDocument: () => Promise.reject(new KeysFetchError('network down')),
      }),
    };
    const out = await handleLeakRequest(githubEvent(current, garbage), failing);
    expect(out.response.statusCode).toBe(503);
    expect(calls).toEqual([]);
  });

  it('stops accepting a key GitHub withdrew once the cache is an hour old', async () => {
    const clock = { now: 0 };
    const state = { keys: [current, other] };
    const cache = new GithubKeyCache({
      fetchDocument: () => Promise.resolve(keysDocument(state.keys)),
      now: () => clock.now,
    });
    const body = garbage;
    expect(
      (await verifyGithubSignature(body, other.id, githubSignature(other, body), cache)).ok,
    ).toBe(true);
    state.keys = [current];
    clock.now = 59 * 60_000;
    expect(
      (await verifyGithubSignature(body, other.id, githubSignature(other, body), cache)).ok,
    ).toBe(true);
    clock.now = 61 * 60_000;
    expect(
      await verifyGithubSignature(body, other.id, githubSignature(other, body), cache),
    ).toEqual({
      ok: false,
      reason: 'unknown key identifier',
    });
  });

  it('fetches at most once a minute for forged key ids, even when the keys URL fails', async () => {
    let fetches = 0;
    const cache = new GithubKeyCache({
      fetchDocument: () => {
        fetches += 1;
        return Promise.reject(new KeysFetchError('rate limited'));
      },
      now: () => 0,
    });
    const { deps, calls } = rig();
    const failing: IntakeDeps = { ...deps, githubKeys: cache };
    const statuses = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const forged = { ...githubEvent(current, garbage) };
      forged.headers = { ...forged.headers, 'Github-Public-Key-Identifier': `forged-${String(i)}` };
      statuses.add((await handleLeakRequest(forged, failing)).response.statusCode);
    }
    expect({ fetches, statuses: [...statuses], calls }).toEqual({
      fetches: 1,
      statuses: [503],
      calls: [],
    });
  });

  it('never fetches more than twice a minute, whatever ids, clock and failures (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            id: fc.oneof(fc.constant(current.id), fc.string({ minLength: 1, maxLength: 8 })),
            advanceMs: fc.nat({ max: 30_000 }),
            fails: fc.boolean(),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        async (steps) => {
          const clock = { now: 0, fails: false };
          const fetchedAt: number[] = [];
          const cache = new GithubKeyCache({
            fetchDocument: () => {
              fetchedAt.push(clock.now);
              return clock.fails
                ? Promise.reject(new KeysFetchError('refused'))
                : Promise.resolve(keysDocument([current]));
            },
            now: () => clock.now,
          });
          for (const step of steps) {
            clock.now += step.advanceMs;
            clock.fails = step.fails;
            await cache.keyFor(step.id).catch(() => undefined);
          }
          // Any window of a minute holds at most two fetches (one per budget).
          for (const at of fetchedAt) {
            expect(fetchedAt.filter((t) => t >= at && t < at + 60_000).length).toBeLessThanOrEqual(
              2,
            );
          }
        },
      ),
    );
  });

  it('keeps verifying with the last keys while a refresh fails, for a day at most', async () => {
    const clock = { now: 0 };
    const state = { failing: false };
    const cache = new GithubKeyCache({
      fetchDocument: () =>
        state.failing
          ? Promise.reject(new KeysFetchError('GitHub answered 403'))
          : Promise.resolve(keysDocument([current])),
      now: () => clock.now,
    });
    const signed = () =>
      verifyGithubSignature(garbage, current.id, githubSignature(current, garbage), cache);
    expect((await signed()).ok).toBe(true);
    state.failing = true;
    clock.now = 2 * 3_600_000; // stale, and the refresh fails: the last keys still serve
    expect((await signed()).ok).toBe(true);
    clock.now = 25 * 3_600_000; // past the ceiling: no keys to trust, a 503
    await expect(signed()).rejects.toThrow(KeysFetchError);
  });

  it('fails verification after any change to the body (property)', async () => {
    const { cache } = countingKeyCache([current]);
    const body = reportBody([generateToken()]);
    const signature = githubSignature(current, body);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: body.length - 1 }),
        fc.string({ minLength: 1, maxLength: 3 }),
        fc.constantFrom('replace', 'insert', 'delete'),
        async (at, text, how) => {
          const mutated =
            how === 'delete'
              ? body.slice(0, at) + body.slice(at + 1)
              : body.slice(0, at) + text + body.slice(at + (how === 'replace' ? text.length : 0));
          fc.pre(mutated !== body);
          const verdict = await verifyGithubSignature(mutated, current.id, signature, cache);
          expect(verdict.ok).toBe(false);
        },
      ),
    );
  });
});

describe('webhook HMAC signature', () => {
  it('accepts a body signed with the shared secret at the current time', async () => {
    const { deps, calls } = rig();
    const out = await handleLeakRequest(webhookEvent(SECRET, garbage, NOW), deps);
    expect(out.response.statusCode).toBe(200);
    expect(calls).toEqual([]);
  });

  const refusals: [string, () => ReturnType<typeof webhookEvent>][] = [
    ['another secret', () => webhookEvent(`${SECRET}x`, garbage, NOW)],
    ['a tampered body', () => ({ ...webhookEvent(SECRET, garbage, NOW), body: reportBody(['y']) })],
    ['a timestamp past the window (a replay)', () => webhookEvent(SECRET, garbage, NOW - 301_000)],
    ['a timestamp ahead of the window', () => webhookEvent(SECRET, garbage, NOW + 301_000)],
    [
      'a fresh timestamp on an old signature',
      () => {
        const old = webhookEvent(SECRET, garbage, NOW - 600_000);
        return { ...old, headers: { ...old.headers, 'X-Leak-Timestamp': String(NOW / 1000) } };
      },
    ],
    ['no timestamp', () => leakEvent('/leaks', garbage, { 'X-Leak-Signature': 'sha256=00' })],
    [
      'no signature',
      () => leakEvent('/leaks', garbage, { 'X-Leak-Timestamp': String(NOW / 1000) }),
    ],
  ];
  for (const [name, build] of refusals) {
    it(`refuses ${name} with 401, touching nothing`, async () => {
      const { deps, calls } = rig();
      const out = await handleLeakRequest(build(), deps);
      expect(out.response.statusCode).toBe(401);
      expect(calls).toEqual([]);
    });
  }

  it('fails verification after any change to body, timestamp or signature (property)', () => {
    const ts = String(NOW / 1000);
    const good = webhookEvent(SECRET, garbage, NOW).headers['X-Leak-Signature'] ?? '';
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 12 }), (body, stamp) => {
        fc.pre(body !== garbage || stamp !== ts);
        const forged = verifyWebhookSignature(body, stamp, good, SECRET, NOW);
        expect(forged.ok).toBe(false);
      }),
    );
  });
});

describe('limits and shape, after the signature', () => {
  it('answers 413 for a body over the limit, before verifying anything', async () => {
    const { deps, keys, calls } = rig();
    const body = reportBody(['x'.repeat(100)]).padEnd(70_000, ' ');
    const out = await handleLeakRequest(githubEvent(current, body), deps);
    expect(out.response.statusCode).toBe(413);
    expect(keys.state.fetches).toBe(0);
    expect(calls).toEqual([]);
  });

  it('answers 413 for more than 100 matches', async () => {
    const { deps, calls } = rig();
    const body = reportBody(Array.from({ length: 101 }, () => 'x'));
    expect((await handleLeakRequest(githubEvent(current, body), deps)).response.statusCode).toBe(
      413,
    );
    expect(calls).toEqual([]);
  });

  for (const [name, body] of [
    ['not JSON', '[{"token":'],
    ['not an array', '{"token":"x"}'],
    ['an empty array', '[]'],
    ['a match without a token', '[{"type":"t"}]'],
    ['a match whose url is a number', '[{"token":"x","url":5}]'],
  ] as const) {
    it(`answers 400 for ${name}, naming no value`, async () => {
      const { deps, calls } = rig();
      const out = await handleLeakRequest(githubEvent(current, body), deps);
      expect(out.response.statusCode).toBe(400);
      expect(calls).toEqual([]);
    });
  }

  it('answers 404 on any other route', async () => {
    const { deps } = rig();
    const event = { ...githubEvent(current, garbage), resource: '/leaks/gitlab' };
    expect((await handleLeakRequest(event, deps)).response.statusCode).toBe(404);
  });
});
