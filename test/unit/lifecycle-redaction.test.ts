/**
 * The relay never publishes a token in any form the finder recognises: audit items should
 * never hold one (the API refuses them), but if one does, in any string of the event (keys
 * included), plain, glued or percent-encoded, the published event holds none.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lifecycleEvent } from '../../shared/events/lifecycle';
import type { KeyedEvent } from '../../shared/events/publisher';
import { relayAuditRecords } from '../../shared/events/stream';
import type { AuditEvent } from '../../shared/store/audit';
import { findTokens, generateToken, holdsToken } from '../../shared/token/format';
import { around, embedded, nearTokens, readable } from '../support/token-variants';
import { tokenRecord } from '../support/tokens';

const audit = (overrides: Partial<AuditEvent> = {}): AuditEvent => ({
  targetId: 'tok_a000000000000001',
  eventKey: '2026-11-23T10:00:00.000Z#e-1',
  eventId: 'e-1',
  at: '2026-11-23T10:00:00.000Z',
  action: 'token.revoked',
  actor: 'tok_admin',
  outcome: 'success',
  owner: 'team-a',
  ...overrides,
});

/** Relay one audit item; the events it published and its report. */
async function relay(item: AuditEvent, name = 'orders-ci') {
  const published: KeyedEvent[] = [];
  const report = await relayAuditRecords(
    {
      Records: [
        {
          eventName: 'INSERT',
          dynamodb: { SequenceNumber: '100', NewImage: marshall(item) },
        },
      ],
    },
    {
      tokenFacts: () => Promise.resolve(tokenRecord({ name })),
      publish: (events) => {
        published.push(...events);
        return Promise.resolve({ published: events.length, retried: 0, failed: [] });
      },
    },
  );
  return { report, published };
}

/** Every string in a value, object keys included. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
  }
  return [];
}

const leaks = (published: readonly KeyedEvent[]): string[] =>
  strings(published.map((p) => p.event)).filter(holdsToken);

describe('lifecycle events: redaction', () => {
  const token = generateToken();
  const body = token.slice('sk_'.length);

  it('replaces a plain token glued to words, and keeps the rest of the reason', async () => {
    const { report, published } = await relay(audit({ reason: `oops svc_${token}_old` }));
    expect(report.redacted).toBe(1);
    expect(published[0]?.event.detail.reason).toBe('oops svc_[redacted]_old');
  });

  it('replaces the whole string when the token is in it only percent-encoded', async () => {
    const { published } = await relay(audit({ reason: `oops sk%5F${body}` }));
    expect(published[0]?.event.detail.reason).toBe('[redacted]');
  });

  it('redacts tokens in data keys and values and in the token facts', async () => {
    const { report, published } = await relay(
      audit({ details: { [`k_${token}`]: `%2573k_${body}` } }),
      `ci-${token}`,
    );
    expect(report.redacted).toBe(1);
    expect(leaks(published)).toEqual([]);
    expect(published[0]?.event.detail.data).toEqual({
      'k_[redacted]': '[redacted]',
      emergency: 'false',
    });
  });

  it('publishes no findable token whatever form it takes in the audit item', async () => {
    await fc.assert(
      fc.asyncProperty(
        embedded({ rounds: 5, context: around(20) }),
        embedded({ rounds: 2, context: around(8) }),
        fc.constantFrom('reason', 'detail key', 'detail value', 'actor', 'name'),
        async (e, key, where) => {
          fc.pre(readable(e, 5) && readable(key, 2));
          const item = audit({
            ...(where === 'reason' ? { reason: e.text } : {}),
            ...(where === 'actor' ? { actor: e.text } : {}),
            details:
              where === 'detail key'
                ? { [key.text]: 'x' }
                : { note: where === 'detail value' ? e.text : 'x' },
          });
          const { report, published } = await relay(item, where === 'name' ? e.text : 'ci');
          expect(published).toHaveLength(1);
          expect(report.redacted).toBe(1);
          expect(leaks(published)).toEqual([]);
          expect(findTokens(JSON.stringify(published))).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('publishes text without a checksum-valid token unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(around(40), nearTokens, around(40), async (a, fake, b) => {
        const item = audit({ reason: a + fake + b, details: { [fake]: b + fake } });
        const { report, published } = await relay(item, a + fake);
        expect(report.redacted).toBe(0);
        expect(published[0]?.event).toEqual(lifecycleEvent(item, tokenRecord({ name: a + fake })));
      }),
      { numRuns: 150 },
    );
  });
});
