/**
 * What a leak report does to each candidate, against DynamoDB Local (reads counted on the wire
 * by a proxy) and moto's SNS (alerts read as a subscriber gets them). A live token is revoked
 * through the normal revoke path (its `token.revoked` audit event is what becomes TokenRevoked
 * and the stage flush); one in grace has its grace ended; ended and unknown ones are recorded
 * and nothing changes; malformed and garbage strings cost no database request at all.
 * Redelivery is idempotent, and nothing anywhere holds the plaintext.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { localDynamoClient } from '../../local/aws/clients';
import type { AlertPublisher } from '../../shared/alerts/publisher';
import { lifecycleEvent } from '../../shared/events/lifecycle';
import { handleLeakRequest, type IntakeDeps } from '../../shared/leaks/http';
import type { LeakPolicy } from '../../shared/leaks/candidates';
import { openLeakReports } from '../../shared/store';
import { auditEventSchema } from '../../shared/store/audit';
import { UNKNOWN_LEAK_TARGET } from '../../shared/store/leak-reports';
import { findTokens, generateToken, BASE62_ALPHABET } from '../../shared/token/format';
import { verifyToken } from '../../shared/token/verify';
import { useAlertTopic } from '../support/alert-topic';
import { useDynamo } from '../support/dynamo';
import { startDynamoProxy, type DynamoProxy } from '../support/dynamo-proxy';
import { countingKeyCache, githubEvent, signingKey } from '../support/leaks';
import { DAY_MS, newTestToken } from '../support/tokens';

const dynamo = useDynamo();
const topic = useAlertTopic();
const key = signingKey('github-key');
let proxy: DynamoProxy;
let proxied: ReturnType<typeof localDynamoClient>;

beforeAll(async () => {
  proxy = await startDynamoProxy(inject('dynamoEndpoint'));
  proxied = localDynamoClient(proxy.endpoint);
});
afterAll(async () => {
  proxied.destroy();
  await proxy.close();
});

const resultsSchema = z.object({
  results: z.array(
    z.object({
      index: z.number(),
      hint: z.string(),
      outcome: z.string(),
      tokenId: z.optional(z.string()),
      repeat: z.optional(z.boolean()),
    }),
  ),
});

const URL = 'https://github.com/octo/app/blob/0123abc/config.env';

function world(options: { policy?: LeakPolicy; alerts?: AlertPublisher } = {}) {
  const seed = dynamo.stores();
  const stores = dynamo.stores({ client: proxied });
  const deps: IntakeDeps = {
    githubKeys: countingKeyCache([key]).cache,
    webhookSecret: () => Promise.reject(new Error('not used')),
    candidates: {
      prefix: 'sk_',
      policy: options.policy ?? 'revoke',
      leaks: openLeakReports({ client: proxied, tables: dynamo.tables() }),
      revoke: (hash, context) => stores.tokens.revoke(hash, context),
      alerts: options.alerts ?? topic.publisher(),
      now: () => new Date(),
    },
  };
  const report = async (
    matches: { token: string; url?: string; type?: string; source?: string }[],
  ) => {
    const body = JSON.stringify(
      matches.map((m) => ({ type: 'service_token', url: URL, source: 'content', ...m })),
    );
    const out = await handleLeakRequest(githubEvent(key, body), deps);
    return {
      status: out.response.statusCode,
      raw: out.response.body,
      ...resultsSchema.parse(JSON.parse(out.response.body)),
    };
  };
  const issue = async () => {
    const token = newTestToken();
    await seed.tokens.create(token.input, { actor: 'test' });
    return { plaintext: token.plaintext, hash: token.input.tokenHash, id: token.input.tokenId };
  };
  const audit = async (targetId: string) =>
    z
      .array(auditEventSchema)
      .parse((await seed.audit.listByTarget(targetId)).items)
      .reverse();
  const status = async (hash: string) =>
    (await seed.tokens.getByHash(hash, { consistent: true }))?.status;
  const works = async (token: string) =>
    (
      await verifyToken(token, {
        lookup: (h) => seed.tokens.getByHash(h, { consistent: true }),
        now: () => new Date(),
      })
    ).allowed;
  return { seed, report, issue, audit, status, works };
}

/** A string shaped like a token whose checksum is wrong. */
function garbage(): string {
  const token = generateToken();
  const last = token.at(-1) ?? '0';
  const swap = BASE62_ALPHABET[(BASE62_ALPHABET.indexOf(last) + 1) % 62] ?? '0';
  return token.slice(0, -1) + swap;
}

describe('a leak report, candidate by candidate', () => {
  it('revokes a live token, audits token.leaked, alerts its owner, and it stops working', async () => {
    const w = world();
    const live = await w.issue();
    const reply = await w.report([{ token: live.plaintext }]);
    expect(reply.status).toBe(200);
    expect(reply.results).toEqual([
      { index: 0, hint: `…${live.plaintext.slice(-4)}`, outcome: 'revoked', tokenId: live.id },
    ]);
    expect(await w.status(live.hash)).toBe('revoked');
    expect(await w.works(live.plaintext)).toBe(false);
    const events = await w.audit(live.id);
    expect(events.map((e) => [e.action, e.outcome])).toEqual([
      ['token.created', 'success'],
      ['token.leaked', 'success'],
      ['token.revoked', 'success'],
    ]);
    const [, leaked, revoked] = events;
    expect(leaked?.details).toMatchObject({
      scanner: 'github',
      url: URL,
      source: 'content',
      action: 'revoke',
    });
    expect(leaked?.actor).toBe('leak:github');
    // What the relay publishes from these two audit items: TokenLeaked, then TokenRevoked (the
    // stage flusher's trigger).
    expect(events.slice(1).map((e) => lifecycleEvent(e, undefined)?.type)).toEqual([
      'TokenLeaked',
      'TokenRevoked',
    ]);
    expect(revoked?.reason).toBe('leak reported by github');
    const alerts = await topic.inbox().drain();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.attributes).toMatchObject({
      severity: 'critical',
      kind: 'token-leaked',
      owner: 'team-a',
    });
    expect(alerts[0]?.body).toMatchObject({
      action: 'revoke',
      token: { id: live.id },
      report: { url: URL },
    });
  });

  it('under the notify policy alerts and audits but leaves the token working', async () => {
    const w = world({ policy: 'notify' });
    const live = await w.issue();
    expect((await w.report([{ token: live.plaintext }])).results[0]?.outcome).toBe('notified');
    expect(await w.works(live.plaintext)).toBe(true);
    expect((await w.audit(live.id)).map((e) => e.action)).toEqual([
      'token.created',
      'token.leaked',
    ]);
    const alerts = await topic.inbox().drain();
    expect(alerts[0]?.body).toMatchObject({ action: 'notify' });
  });

  it('ends the grace of a rotated-out token; its successor keeps working', async () => {
    const w = world();
    const old = await w.issue();
    const next = await w.issue();
    await w.seed.rotations.markRotated(
      old.hash,
      { successorId: next.id, graceUntil: new Date(Date.now() + DAY_MS) },
      { actor: 'test' },
    );
    expect((await w.report([{ token: old.plaintext }])).results[0]?.outcome).toBe('grace-ended');
    expect(await w.works(old.plaintext)).toBe(false);
    expect(await w.works(next.plaintext)).toBe(true);
    const actions = (await w.audit(old.id)).map((e) => e.action);
    expect(actions.slice(-2)).toEqual(['token.leaked', 'token.grace-ended']);
    expect(await topic.inbox().drain()).toHaveLength(1);
  });

  it('records a revoked token and changes nothing: no second revocation, no alert', async () => {
    const w = world();
    const gone = await w.issue();
    await w.seed.tokens.revoke(gone.hash, { actor: 'test', reason: 'done' });
    expect((await w.report([{ token: gone.plaintext }])).results[0]?.outcome).toBe('already-ended');
    const events = await w.audit(gone.id);
    expect(events.map((e) => [e.action, e.outcome])).toEqual([
      ['token.created', 'success'],
      ['token.revoked', 'success'],
      ['token.leaked', 'noop'],
    ]);
    const noop = events[2];
    expect(noop !== undefined && lifecycleEvent(noop, undefined)).toBeUndefined();
    expect(await topic.inbox().drain()).toEqual([]);
  });

  it('records an unknown token under leak:unknown, once', async () => {
    const w = world();
    const stranger = generateToken();
    expect((await w.report([{ token: stranger }])).results[0]).toMatchObject({
      outcome: 'unknown',
    });
    expect((await w.report([{ token: stranger }])).results[0]).toMatchObject({
      outcome: 'unknown',
      repeat: true,
    });
    const events = await w.audit(UNKNOWN_LEAK_TARGET);
    expect(events.map((e) => [e.action, e.outcome])).toEqual([['token.leaked', 'noop']]);
    expect(await topic.inbox().drain()).toEqual([]);
  });

  for (const [name, make] of [
    ['malformed', () => 'sk_short'],
    ['garbage (a bad checksum)', garbage],
    ['of another prefix', () => generateToken('sk_test_')],
  ] as const) {
    it(`costs no database request for a ${name} string`, async () => {
      const w = world();
      proxy.reset();
      const reply = await w.report([{ token: make() }, { token: make() }]);
      expect(reply.results.map((r) => r.outcome)).toEqual(
        name.startsWith('garbage')
          ? ['invalid-checksum', 'invalid-checksum']
          : ['malformed', 'malformed'],
      );
      expect(Object.fromEntries(proxy.calls)).toEqual({});
      expect(await topic.inbox().drain()).toEqual([]);
    });
  }

  it('is idempotent on redelivery: one audit event, one revocation, one alert', async () => {
    const w = world();
    const live = await w.issue();
    const first = await w.report([{ token: live.plaintext }]);
    const again = await w.report([{ token: live.plaintext }]);
    expect(first.results[0]).toMatchObject({ outcome: 'revoked' });
    expect(again.results[0]).toMatchObject({ outcome: 'already-ended', repeat: true });
    expect((await w.audit(live.id)).map((e) => e.action)).toEqual([
      'token.created',
      'token.leaked',
      'token.revoked',
    ]);
    expect(await topic.inbox().drain()).toHaveLength(1);
  });

  it('sends the alert on the redelivery when the first delivery could not (503, then 200)', async () => {
    const failing: AlertPublisher = { publish: () => Promise.reject(new Error('SNS down')) };
    const live = await world().issue();
    const down = await world({ alerts: failing }).report([{ token: live.plaintext }]);
    expect(down.status).toBe(503);
    expect(down.results[0]?.outcome).toBe('failed');
    const w = world();
    expect(await w.works(live.plaintext)).toBe(false); // revoked before the alert was tried
    expect((await w.report([{ token: live.plaintext }])).status).toBe(200);
    expect(await topic.inbox().drain()).toHaveLength(1);
    expect((await w.audit(live.id)).filter((e) => e.action === 'token.leaked')).toHaveLength(1);
  });

  it('handles a mixed batch item by item, in order', async () => {
    const w = world();
    const live = await w.issue();
    const gone = await w.issue();
    await w.seed.tokens.revoke(gone.hash, { actor: 'test' });
    proxy.reset();
    const reply = await w.report([
      { token: live.plaintext },
      { token: 'not a token at all' },
      { token: generateToken() },
      { token: garbage() },
      { token: gone.plaintext },
    ]);
    expect(reply.results.map((r) => [r.index, r.outcome, r.tokenId])).toEqual([
      [0, 'revoked', live.id],
      [1, 'malformed', undefined],
      [2, 'unknown', undefined],
      [3, 'invalid-checksum', undefined],
      [4, 'already-ended', gone.id],
    ]);
    expect(await topic.inbox().drain()).toHaveLength(1);
  });
});

describe('the plaintext', () => {
  it('is in no response, audit event or alert, wherever the report repeats it (property)', async () => {
    const placements = fc.constantFrom(
      (t: string) => t,
      (t: string) => `${URL}?token=${t}`,
      (t: string) => `${URL}?token=${encodeURIComponent(encodeURIComponent(t))}`,
      (t: string) => `x${t}y`,
    );
    await fc.assert(
      fc.asyncProperty(placements, placements, placements, async (inUrl, inType, inSource) => {
        const w = world({ policy: 'notify' });
        const live = await w.issue();
        const reply = await w.report([
          {
            token: live.plaintext,
            url: inUrl(live.plaintext),
            type: inType(live.plaintext),
            source: inSource(live.plaintext),
          },
        ]);
        expect(reply.results[0]?.outcome).toBe('notified');
        const audit = JSON.stringify(await w.audit(live.id));
        const alerts = JSON.stringify(await topic.inbox().drain());
        for (const text of [reply.raw, audit, alerts]) {
          expect(findTokens(text)).toEqual([]);
          expect(text).not.toContain(live.plaintext.slice(3, 40));
        }
      }),
      { numRuns: 12 },
    );
  });
});
