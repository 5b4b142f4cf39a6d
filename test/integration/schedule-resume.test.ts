/**
 * No starvation, on DynamoDB Local: whatever the work and however little of it one run's time
 * budget fits, successive runs of the expiry alerts and of the rotation-policy pass cover every
 * token exactly once (each read once, each alert or report sent once), and overlapping runs
 * still send each report once.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, inject, it } from 'vitest';
import { localDynamoClient } from '../../local/aws/clients';
import { createTables, deleteTables } from '../../local/emulators/tables';
import type { AlertPublisher } from '../../shared/alerts/publisher';
import { ExpiryAlerter } from '../../shared/schedules/expiry-alerter';
import type { RunReport } from '../../shared/schedules/paging';
import { RotationPolicyRun } from '../../shared/schedules/rotation-policy';
import { openStores, type Stores } from '../../shared/store';
import { DEFAULT_ROTATION_POLICY } from '../../shared/token/rotation-policy';
import { clockStart, DAY_MS, newTestToken } from '../support/tokens';

const client = localDynamoClient(inject('dynamoEndpoint'));
const T0 = clockStart();
const POLICIES = { default: DEFAULT_ROTATION_POLICY, owners: {} };
const run = { actor: 'system:expiry-alerts', requestId: 'run-1' };

/** A publisher that keeps every alert id it was given. */
function recording(): AlertPublisher & { ids: string[] } {
  const ids: string[] = [];
  return {
    ids,
    publish: (message) => {
      ids.push(message.body.alertId);
      return Promise.resolve(`m-${String(ids.length)}`);
    },
  };
}

/** Fresh tables for one property case. */
async function withStores<T>(work: (stores: Stores) => Promise<T>): Promise<T> {
  const suffix = randomUUID().slice(0, 8);
  const tables = { tokens: `tokens-${suffix}`, audit: `audit-${suffix}` };
  await createTables(client, tables);
  try {
    return await work(openStores({ client, tables, rotationPolicies: POLICIES, now: () => T0 }));
  } finally {
    await deleteTables(client, tables);
  }
}

/** A budget of `pages` page fetches per run. */
const budget = (pages: number) => {
  let left = pages;
  return () => left-- > 0;
};

/** Run until a run completes; every run gets the same small budget. */
async function untilComplete<R extends RunReport>(once: () => Promise<R>): Promise<R[]> {
  const reports: R[] = [];
  do reports.push(await once());
  while (reports.at(-1)?.complete !== true && reports.length < 100);
  return reports;
}

const cases = fc.record({
  tokens: fc.integer({ min: 1, max: 30 }),
  pageSize: fc.integer({ min: 1, max: 7 }),
  pagesPerRun: fc.integer({ min: 1, max: 3 }),
});

describe('runs stopped by their time budget', () => {
  it('expiry alerts: successive runs alert every token within 30 days exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(cases, ({ tokens, pageSize, pagesPerRun }) =>
        withStores(async (stores) => {
          await Promise.all(
            Array.from({ length: tokens }, (_, i) =>
              stores.tokens.create(
                newTestToken({ expiresAt: new Date(T0.getTime() + (20 + (i % 5)) * DAY_MS) }, T0)
                  .input,
                { actor: 'test' },
              ),
            ),
          );
          const publisher = recording();
          const alerter = new ExpiryAlerter({ stores, publisher, now: () => T0, pageSize });
          const reports = await untilComplete(() => alerter.run(run, budget(pagesPerRun)));

          const read = reports.reduce((sum, r) => sum + r.itemsRead, 0);
          expect(read).toBe(tokens); // each read once: resumed, never restarted
          expect(publisher.ids).toHaveLength(tokens);
          expect(new Set(publisher.ids).size).toBe(tokens);
          // The next walk starts from the beginning and finds nothing new to send.
          expect((await alerter.run(run)).itemsRead).toBe(tokens);
          expect(publisher.ids).toHaveLength(tokens);
        }),
      ),
      { numRuns: 6 },
    );
  });

  it('rotation policy: successive runs report every due token exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(cases, ({ tokens, pageSize, pagesPerRun }) =>
        withStores(async (stores) => {
          await Promise.all(
            Array.from({ length: tokens }, () =>
              stores.tokens.create(
                newTestToken({ expiresAt: new Date(T0.getTime() + 365 * DAY_MS) }, T0).input,
                { actor: 'test' },
              ),
            ),
          );
          const publisher = recording();
          const at = new Date(T0.getTime() + 91 * DAY_MS);
          const policy = new RotationPolicyRun({
            stores,
            publisher,
            policies: POLICIES,
            now: () => at,
            pageSize,
          });
          const reports = await untilComplete(() => policy.run(run, budget(pagesPerRun)));

          expect(reports.reduce((sum, r) => sum + r.itemsRead, 0)).toBe(tokens);
          expect(reports.reduce((sum, r) => sum + r.reported, 0)).toBe(tokens);
          expect(new Set(publisher.ids).size).toBe(tokens);
          expect(await policy.run(run)).toMatchObject({ itemsRead: 0, reported: 0 });
        }),
      ),
      { numRuns: 6 },
    );
  });

  it('rotation policy: overlapping runs still report each due token once', async () => {
    await withStores(async (stores) => {
      await Promise.all(
        Array.from({ length: 10 }, () =>
          stores.tokens.create(
            newTestToken({ expiresAt: new Date(T0.getTime() + 365 * DAY_MS) }, T0).input,
            {
              actor: 'test',
            },
          ),
        ),
      );
      const publisher = recording();
      const at = new Date(T0.getTime() + 91 * DAY_MS);
      const policy = () =>
        new RotationPolicyRun({
          stores,
          publisher,
          policies: POLICIES,
          now: () => at,
          pageSize: 3,
        });
      const reports = await Promise.all([policy().run(run), policy().run(run), policy().run(run)]);

      expect(reports.reduce((sum, r) => sum + r.reported, 0)).toBe(10);
      expect(new Set(publisher.ids).size).toBe(10);
      expect(publisher.ids).toHaveLength(10);
    });
  });
});
