/**
 * The rotation-policy due index on DynamoDB Local: a token's due date is set when it is
 * created, brought forward by the throttled usage write under heavy use (in the same write),
 * and re-derived once when the deployed policies change; the alert run's policy pass reads only
 * the tokens due now.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { localDynamoClient } from '../../local/aws/clients';
import type { AlertPublisher } from '../../shared/alerts/publisher';
import { PolicyBackfill } from '../../shared/schedules/policy-backfill';
import { RotationPolicyRun } from '../../shared/schedules/rotation-policy';
import type { Stores } from '../../shared/store';
import type { NewToken } from '../../shared/token/record';
import { DEFAULT_ROTATION_POLICY, type RotationPolicies } from '../../shared/token/rotation-policy';
import { useDynamo } from '../support/dynamo';
import { clockStart, DAY_MS, newTestToken } from '../support/tokens';
import { inject } from 'vitest';

const dynamo = useDynamo();
const T0 = clockStart();
const run = { actor: 'system:expiry-alerts', requestId: 'run-1' };
const POLICIES: RotationPolicies = { default: DEFAULT_ROTATION_POLICY, owners: {} };
const STRICT: RotationPolicies = {
  ...POLICIES,
  owners: { 'team-strict': { rotateAfterDays: 14 } },
};
const day = (n: number) => new Date(T0.getTime() + n * DAY_MS);

/** Counts the UpdateItem calls a client sends: the usage write must stay one per flush. */
function countUpdates(client: DynamoDBClient): { count: number } {
  const counter = { count: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'UpdateItemCommand') counter.count += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countUpdates' },
  );
  return counter;
}

const silent: AlertPublisher = { publish: () => Promise.resolve('message-1') };

function world(policies: RotationPolicies | 'unknown' = POLICIES) {
  let now = T0;
  const stores = dynamo.stores({
    now: () => now,
    ...(policies === 'unknown' ? {} : { rotationPolicies: policies }),
  });
  return {
    stores,
    at: (days: number) => {
      now = day(days);
    },
    policyRun: (deployed: RotationPolicies = POLICIES) =>
      new RotationPolicyRun({ stores, publisher: silent, policies: deployed, now: () => now }).run(
        run,
      ),
    backfill: (deployed: RotationPolicies, stores2: Stores = stores, hasTime?: () => boolean) =>
      new PolicyBackfill({ stores: stores2, policies: deployed, now: () => now, pageSize: 5 }).run(
        hasTime,
      ),
    issue: async (overrides: Partial<NewToken> = {}) => {
      const issued = newTestToken({ expiresAt: day(365), ...overrides }, T0);
      await stores.tokens.create(issued.input, { actor: 'test:setup' });
      return issued.input;
    },
    get: (input: NewToken) => stores.tokens.getByHash(input.tokenHash, { consistent: true }),
  };
}

describe('the policy due date', () => {
  it('is set at creation from the effective policy, and a token becomes due by age', async () => {
    const w = world();
    const token = await w.issue();
    expect(await w.get(token)).toMatchObject({
      policyDueAt: day(90).toISOString(),
      heavyUsePerDay: 10_000,
      heavyUseDueAt: day(30).toISOString(),
    });

    w.at(89);
    expect(await w.policyRun()).toMatchObject({ itemsRead: 0, reported: 0 });
    w.at(90);
    expect(await w.policyRun()).toMatchObject({ itemsRead: 1, reported: 1, due: { age: 1 } });
    // Reported once: out of the index, nothing to read on later runs.
    expect((await w.get(token))?.policyDueAt).toBeUndefined();
    w.at(91);
    expect(await w.policyRun()).toMatchObject({ itemsRead: 0, reported: 0 });
  });

  it('is brought forward by the usage write that crosses the heavy-use rate, in that one write', async () => {
    const client = localDynamoClient(inject('dynamoEndpoint'));
    const updates = countUpdates(client);
    const w = world();
    const tokens = dynamo.stores({ client, rotationPolicies: POLICIES }).tokens;
    const busy = await w.issue({ name: 'busy' });
    const quiet = await w.issue({ name: 'quiet' });
    const flush = async (input: NewToken, count: number, at: Date) => {
      const seen = await w.get(input);
      if (seen === undefined) throw new Error('token vanished');
      return tokens.recordUsage(input.tokenHash, count, at, seen);
    };

    await flush(quiet, 5 * 9_000, day(5)); // 9,000 a day: below the rate
    await flush(busy, 5 * 9_000, day(5));
    await flush(busy, 5 * 2_000, day(5)); // now 11,000 a day: heavy
    await flush(busy, 300_000, day(29)); // already brought forward: a plain write

    expect(updates.count).toBe(4); // one UpdateItem per flush, nothing more
    expect((await w.get(busy))?.policyDueAt).toBe(day(30).toISOString());
    expect((await w.get(quiet))?.policyDueAt).toBe(day(90).toISOString());
    w.at(30);
    expect(await w.policyRun()).toMatchObject({ itemsRead: 1, reported: 1, due: { usage: 1 } });
    client.destroy();
  });

  it('moves back a token that is no longer heavily used when it comes due, without a report', async () => {
    const w = world();
    const token = await w.issue();
    await w.stores.tokens.recordUsage(token.tokenHash, 20_000, day(0.5), await w.get(token));
    expect((await w.get(token))?.policyDueAt).toBe(day(30).toISOString());

    w.at(30); // 20,000 uses over 30 days: not heavy any more
    expect(await w.policyRun()).toMatchObject({ itemsRead: 1, reported: 0, rescheduled: 1 });
    expect((await w.get(token))?.policyDueAt).toBe(day(90).toISOString());
  });

  it('is provisional when the writer does not know the policies, and derived on first read', async () => {
    const w = world('unknown');
    const token = await w.issue();
    expect((await w.get(token))?.policyDueAt).toBe(day(1).toISOString());
    w.at(1);
    expect(await w.policyRun()).toMatchObject({ itemsRead: 1, reported: 0, rescheduled: 1 });
    expect((await w.get(token))?.policyDueAt).toBe(day(90).toISOString());
  });

  it('leaves the index when the token is revoked or expires', async () => {
    const w = world();
    const revoked = await w.issue();
    const ending = await w.issue({ expiresAt: day(10) });
    await w.stores.tokens.revoke(revoked.tokenHash, { actor: 'test' });
    w.at(11);
    await w.stores.tokens.expire(ending.tokenHash, { actor: 'test' });
    for (const token of [revoked, ending]) {
      expect((await w.get(token))?.policyDueAt).toBeUndefined();
    }
    w.at(100);
    expect(await w.policyRun()).toMatchObject({ itemsRead: 0 });
  });
});

describe('the policy backfill', () => {
  it('re-derives due dates once when the deployed policies change, and never again', async () => {
    const w = world();
    const strict = await Promise.all([1, 2, 3].map(() => w.issue({ owner: 'team-strict' })));
    await Promise.all([1, 2, 3, 4].map(() => w.issue()));

    const first = await w.backfill(POLICIES); // no hash recorded: everything read once
    expect(first).toMatchObject({ ran: true, itemsRead: 7, updated: 0, complete: true });
    expect(await w.backfill(POLICIES)).toMatchObject({ ran: false, itemsRead: 0 });

    const changed = await w.backfill(STRICT); // deploy: team-strict now rotates after 14 days
    expect(changed).toMatchObject({ ran: true, itemsRead: 7, updated: 3, complete: true });
    for (const token of strict) {
      expect((await w.get(token))?.policyDueAt).toBe(day(14).toISOString());
    }
    expect(await w.backfill(STRICT)).toMatchObject({ ran: false, itemsRead: 0 });
    w.at(14);
    expect(await w.policyRun(STRICT)).toMatchObject({ itemsRead: 3, reported: 3 });
  });

  it('stopped for time, resumes where it stopped, reading each token once', async () => {
    const w = world();
    await Promise.all(Array.from({ length: 12 }, () => w.issue({ owner: 'team-strict' })));
    let pages = 0;
    const partial = await w.backfill(STRICT, w.stores, () => pages++ < 1);
    const rest = await w.backfill(STRICT);

    expect(partial).toMatchObject({ ran: true, complete: false, itemsRead: 5 });
    expect(rest).toMatchObject({ ran: true, complete: true, itemsRead: 7 });
    expect(partial.updated + rest.updated).toBe(12);
    expect(await w.backfill(STRICT)).toMatchObject({ ran: false });
  });
});
