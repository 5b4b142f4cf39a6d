/**
 * Expiry alerts end to end on the emulators: tokens on DynamoDB Local, the alert topic on moto,
 * and the alerts read from an SQS subscription, with a clock the test moves.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AlertPublisher } from '../../shared/alerts/publisher';
import { ALERT_LEASE_MS, ExpiryAlerter } from '../../shared/schedules/expiry-alerter';
import { findTokens } from '../../shared/token/format';
import { useAlertTopic } from '../support/alert-topic';
import { useDynamo } from '../support/dynamo';
import { clockStart, DAY_MS, newTestToken } from '../support/tokens';

const dynamo = useDynamo();
const topic = useAlertTopic();
const admin = { actor: 'tok_admin' };
const run = { actor: 'system:expiry-alerts', requestId: 'run-1' };
const T0 = clockStart();

const alertSchema = z.object({
  summary: z.string(),
  kind: z.literal('token-expiring'),
  severity: z.enum(['low', 'medium', 'high', 'critical']),
  owner: z.string(),
  alertId: z.string(),
  version: z.literal(1),
  token: z.object({
    id: z.string(),
    name: z.string(),
    owner: z.string(),
    hint: z.string(),
    expiresAt: z.string(),
    lastUsedAt: z.string().nullable(),
  }),
  threshold: z.object({ days: z.number() }),
  daysLeft: z.number(),
  howToRotate: z.string(),
});

/** A world with a movable clock shared by the store and the alert runs. */
function world(start = T0) {
  let now = start;
  const stores = dynamo.stores({ now: () => now });
  const alerter = (publisher: AlertPublisher = topic.publisher(), pageSize?: number) =>
    new ExpiryAlerter({ stores, publisher, now: () => now, ...(pageSize ? { pageSize } : {}) });
  return {
    stores,
    alerter,
    at: (days: number) => {
      now = new Date(start.getTime() + days * DAY_MS);
    },
    issue: async (expiresInDays: number, overrides: { owner?: string; name?: string } = {}) => {
      const issued = newTestToken(
        { expiresAt: new Date(now.getTime() + expiresInDays * DAY_MS), ...overrides },
        now,
      );
      await stores.tokens.create(issued.input, admin);
      return issued;
    },
  };
}

async function received() {
  return (await topic.inbox().drain()).map((m) => ({
    ...m,
    alert: alertSchema.parse(m.body),
  }));
}

describe('expiry alerts', () => {
  it('fire each threshold once, with rising severity, as a token nears its expiry', async () => {
    const w = world();
    const { input } = await w.issue(40, { name: 'payments-ci', owner: 'team-payments' });
    const sent: string[] = [];
    // Hourly-ish runs over the token's last 40 days, including repeats at the same time.
    for (const day of [0, 5, 9.9, 10, 10, 12, 25.9, 26, 26.5, 32.9, 33, 38.9, 39, 39.5, 40, 41]) {
      w.at(day);
      await w.alerter().run(run);
      for (const { alert } of await received()) sent.push(`${String(day)}:${alert.severity}`);
    }

    expect(sent).toEqual(['10:low', '26:medium', '33:high', '39:critical']);
    const audit = await w.stores.audit.listByTarget(input.tokenId, { limit: 20 });
    expect(
      audit.items.filter((e) => e.action === 'token.expiry-alerted').map((e) => e.details),
    ).toEqual([
      expect.objectContaining({ days: '1', severity: 'critical' }),
      expect.objectContaining({ days: '7', severity: 'high' }),
      expect.objectContaining({ days: '14', severity: 'medium' }),
      expect.objectContaining({ days: '30', severity: 'low' }),
    ]);
  });

  it('name the token, its owner, expiry and last use, and say how to rotate; never the token', async () => {
    const w = world();
    const { plaintext, input } = await w.issue(6.5, {
      name: 'payments-ci',
      owner: 'team-payments',
    });
    await w.stores.tokens.recordUsage(input.tokenHash, 3, new Date(T0.getTime() - DAY_MS));

    const report = await w.alerter().run(run);
    const [message, ...rest] = await received();

    expect(rest).toEqual([]);
    expect(report.sent).toEqual({ low: 0, medium: 0, high: 1, critical: 0 });
    expect(message?.subject).toBe('[high] Service token payments-ci expires in 6 days');
    expect(message?.attributes).toEqual({
      severity: 'high',
      owner: 'team-payments',
      kind: 'token-expiring',
    });
    expect(message?.alert).toMatchObject({
      severity: 'high',
      owner: 'team-payments',
      alertId: `${input.tokenId}:expiring:7d`,
      daysLeft: 6,
      token: {
        id: input.tokenId,
        name: 'payments-ci',
        owner: 'team-payments',
        expiresAt: input.expiresAt.toISOString(),
        lastUsedAt: new Date(T0.getTime() - DAY_MS).toISOString(),
      },
      threshold: { days: 7 },
    });
    expect(message?.alert.howToRotate).toContain(`/tokens/${input.tokenId}/rotate`);
    expect(message?.raw).not.toContain(plaintext);
    expect(message?.raw).not.toContain(input.tokenHash);
    expect(findTokens(message?.raw ?? '')).toEqual([]);
  });

  it('give a token created past several thresholds only the most urgent one', async () => {
    const w = world();
    const { input: fiveDays } = await w.issue(5);
    const { input: halfDay } = await w.issue(0.5);

    await w.alerter().run(run);
    w.at(0.1);
    await w.alerter().run(run);

    const byToken = Object.fromEntries(
      (await received()).map(({ alert }) => [alert.token.id, alert.severity]),
    );
    expect(byToken).toEqual({ [fiveDays.tokenId]: 'high', [halfDay.tokenId]: 'critical' });
  });

  it('send each alert once when runs overlap and repeat', async () => {
    const w = world();
    const tokens = await Promise.all(Array.from({ length: 20 }, () => w.issue(20)));

    const reports = await Promise.all(
      Array.from({ length: 5 }, () => w.alerter(undefined, 7).run(run)),
    );
    reports.push(await w.alerter().run(run));
    const messages = await received();

    expect(messages).toHaveLength(20);
    expect(new Set(messages.map((m) => m.alert.alertId)).size).toBe(20);
    expect(new Set(messages.map((m) => m.alert.token.id))).toEqual(
      new Set(tokens.map((t) => t.input.tokenId)),
    );
    expect(reports.reduce((sum, r) => sum + r.sent.low, 0)).toBe(20);
    expect(reports.at(-1)?.sent.low).toBe(0);
  });

  it('skip revoked, rotated-out and expired tokens, and read only tokens near their end', async () => {
    const w = world();
    const revoked = await w.issue(10);
    const rotated = await w.issue(10);
    await w.issue(-1); // already expired, not yet cleaned up
    const due = await w.issue(10);
    await Promise.all(Array.from({ length: 30 }, () => w.issue(200)));
    await w.stores.tokens.revoke(revoked.input.tokenHash, admin);
    await w.stores.rotations.markRotated(
      rotated.input.tokenHash,
      { successorId: 'tok_next', graceUntil: new Date(T0.getTime() + 5 * DAY_MS) },
      admin,
    );

    const report = await w.alerter().run(run);

    expect((await received()).map((m) => m.alert.token.id)).toEqual([due.input.tokenId]);
    // The due token and the predecessor in grace; never the 30 far-off or the ended ones.
    expect(report.itemsRead).toBe(2);
    expect(report.within).toEqual({ low: 0, medium: 1, high: 0, critical: 0 });
  });

  it('reach filtered subscribers by severity and owner', async () => {
    const w = world();
    const critical = await topic.subscribe({ severity: ['critical'] });
    const payments = await topic.subscribe({ owner: ['team-payments'] });
    await w.issue(0.5, { owner: 'team-payments' });
    await w.issue(20, { owner: 'team-payments' });
    await w.issue(0.5, { owner: 'team-search' });

    await w.alerter().run(run);

    const summary = (messages: { attributes: Record<string, string> }[]) =>
      messages
        .map((m) => `${m.attributes['owner'] ?? ''}/${m.attributes['severity'] ?? ''}`)
        .sort();
    expect(summary(await critical.drain())).toEqual([
      'team-payments/critical',
      'team-search/critical',
    ]);
    expect(summary(await payments.drain())).toEqual([
      'team-payments/critical',
      'team-payments/low',
    ]);
  });
});

describe('expiry alerts under failure', () => {
  it('release the lease when publishing fails, then send the alert on the next run', async () => {
    const w = world();
    const { input } = await w.issue(3);
    const failing: AlertPublisher = {
      publish: () => Promise.reject(new Error('SNS is down')),
    };

    const failed = await w.alerter(failing).run(run);

    expect(failed.failures).toEqual([{ tokenId: input.tokenId, error: 'Error' }]);
    expect(
      (await w.stores.tokens.getByHash(input.tokenHash, { consistent: true }))?.alertedDays,
    ).toBe(undefined);
    const retried = await w.alerter().run(run);
    expect(retried.sent.high).toBe(1);
    expect(await received()).toHaveLength(1);
  });

  it('report a real SNS error per token and keep going with the others', async () => {
    const w = world();
    const [first, second] = [await w.issue(3), await w.issue(3)];
    let calls = 0;
    const flaky: AlertPublisher = {
      publish: (alert) => {
        calls += 1;
        // The second publish goes to a topic that does not exist: a genuine SNS NotFound.
        return calls === 2
          ? topic.publisher(`${topic.topicArn()}-gone`).publish(alert)
          : topic.publisher().publish(alert);
      },
    };

    const report = await w.alerter(flaky, 1).run(run);

    expect(report.sent.high).toBe(1);
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]?.error).toBe('AlertPublishError');
    expect([first.input.tokenId, second.input.tokenId]).toContain(report.failures[0]?.tokenId);
    await w.alerter().run(run);
    const ids = (await received()).map((m) => m.alert.token.id).sort();
    expect(ids).toEqual([first.input.tokenId, second.input.tokenId].sort());
  });

  it('re-send an alert whose run died after claiming it, once the lease lapses', async () => {
    const w = world();
    const { input } = await w.issue(3);
    // A run that claimed the alert and died before publishing.
    await w.stores.alerts.claimExpiryAlert(input.tokenHash, 7, ALERT_LEASE_MS);

    const during = await w.alerter().run(run);
    w.at(ALERT_LEASE_MS / DAY_MS);
    const after = await w.alerter().run(run);

    expect(during).toMatchObject({ claimedElsewhere: 1, sent: { high: 0 } });
    expect(after.sent.high).toBe(1);
    expect(await received()).toHaveLength(1);
  });

  it('stop between pages when the invocation runs out of time, and finish on the next run', async () => {
    const w = world();
    await Promise.all(Array.from({ length: 12 }, () => w.issue(3)));
    let pages = 0;

    const partial = await w.alerter(undefined, 5).run(run, () => pages++ < 1);
    const rest = await w.alerter(undefined, 5).run(run);

    expect(partial).toMatchObject({ complete: false, sent: { high: 5 } });
    expect(rest).toMatchObject({ complete: true, sent: { high: 7 } });
    expect(await received()).toHaveLength(12);
  });
});
