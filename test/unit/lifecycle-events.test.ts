/**
 * The lifecycle events' pure core: which audit events become which events, what a detail
 * holds, how a stream batch is relayed, and how the publisher batches and retries PutEvents.
 */
import { PutEventsCommand, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LIFECYCLE_EVENTS,
  lifecycleDetailSchema,
  lifecycleEvent,
  type LifecycleEvent,
} from '../../shared/events/lifecycle';
import { LifecyclePublisher, type KeyedEvent } from '../../shared/events/publisher';
import { relayAuditRecords, StreamEventError } from '../../shared/events/stream';
import { AUDIT_OUTCOMES, type AuditEvent } from '../../shared/store/audit';
import { generateToken } from '../../shared/token/format';
import { tokenRecord } from '../support/tokens';

const audit = (overrides: Partial<AuditEvent> = {}): AuditEvent => ({
  targetId: 'tok_a000000000000001',
  eventKey: '2026-11-23T10:00:00.000Z#e-1',
  eventId: 'e-1',
  at: '2026-11-23T10:00:00.000Z',
  action: 'token.created',
  actor: 'tok_admin',
  outcome: 'success',
  owner: 'team-a',
  details: { status: 'active' },
  ...overrides,
});
const facts = tokenRecord({ name: 'orders-ci', scopes: ['orders:read'] });

describe('lifecycle events: mapping', () => {
  it('maps every lifecycle action to its event type', () => {
    const types = Object.entries(LIFECYCLE_EVENTS).map(
      ([action]) => lifecycleEvent(audit({ action }), facts)?.type,
    );
    expect(types).toEqual([
      'TokenCreated',
      'TokenRotated',
      'TokenRevoked',
      'TokenExpiring',
      'TokenExpired',
      'TokenLeaked',
      'TokenGraceEnded',
      'TokenActivated',
      'TokenActivationUndone',
    ]);
  });

  it('makes no event of a refusal, a no-op or another action', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(LIFECYCLE_EVENTS)),
        fc.constantFrom(...AUDIT_OUTCOMES.filter((o) => o !== 'success')),
        (action, outcome) => lifecycleEvent(audit({ action, outcome }), facts) === undefined,
      ),
    );
    expect(lifecycleEvent(audit({ action: 'token.create' }), facts)).toBeUndefined();
    expect(lifecycleEvent(audit({ action: 'token.usage' }), facts)).toBeUndefined();
  });

  it('builds a v1 detail: audit id, who, why, the token with its fixed attributes, the data', () => {
    const event = lifecycleEvent(
      audit({
        action: 'token.rotated',
        requestId: 'req-9',
        reason: 'scheduled',
        details: { successorId: 'tok_b', graceUntil: '2026-11-30T00:00:00.000Z' },
      }),
      facts,
    );
    expect(event?.detail).toEqual({
      version: '1',
      eventId: 'e-1',
      occurredAt: '2026-11-23T10:00:00.000Z',
      actor: 'tok_admin',
      requestId: 'req-9',
      reason: 'scheduled',
      token: {
        id: 'tok_a000000000000001',
        owner: 'team-a',
        name: 'orders-ci',
        scopes: ['orders:read'],
        createdAt: facts.createdAt,
        expiresAt: facts.expiresAt,
      },
      data: { successorId: 'tok_b', graceUntil: '2026-11-30T00:00:00.000Z' },
    });
    expect(lifecycleDetailSchema.safeParse(event?.detail).success).toBe(true);
  });

  it('marks emergency revocations, and carries only the id and owner when the record is gone', () => {
    const revoked = (reason: string) =>
      lifecycleEvent(audit({ action: 'token.revoked', reason, details: {} }), undefined)?.detail;
    expect(revoked('emergency: leaked')).toMatchObject({
      data: { emergency: 'true' },
      token: { id: 'tok_a000000000000001', owner: 'team-a' },
    });
    expect(revoked('rotation done')?.data).toEqual({ emergency: 'false' });
    expect(Object.keys(revoked('x')?.token ?? {})).toEqual(['id', 'owner']);
  });
});

/** A stream record as Lambda delivers it, for an audit item. */
const record = (sequence: string, item: Record<string, unknown>, eventName = 'INSERT') => ({
  eventName,
  dynamodb: { SequenceNumber: sequence, NewImage: marshall(item, { removeUndefinedValues: true }) },
});

describe('lifecycle events: relaying a stream batch', () => {
  const published: KeyedEvent[][] = [];
  const deps = (failKeys: string[] = []) => ({
    tokenFacts: () => Promise.resolve(facts),
    publish: (events: readonly KeyedEvent[]) => {
      published.push([...events]);
      return Promise.resolve({
        published: events.length - failKeys.length,
        retried: 0,
        failed: failKeys.map((key) => ({ key, error: 'InternalFailure' })),
      });
    },
  });

  it('publishes new lifecycle items in order and ignores the rest', async () => {
    published.length = 0;
    const report = await relayAuditRecords(
      {
        Records: [
          record('100', audit({ eventId: 'e-1' })),
          record('200', audit({ eventId: 'e-2', outcome: 'failure' })),
          record('300', audit({ eventId: 'e-3' }), 'MODIFY'),
          record('400', audit({ eventId: 'e-4', action: 'token.revoked' })),
        ],
      },
      deps(),
    );
    expect(published[0]?.map((e) => [e.key, e.event.detail.eventId])).toEqual([
      ['100', 'e-1'],
      ['400', 'e-4'],
    ]);
    expect(report).toMatchObject({ ignored: 2, batchItemFailures: [] });
    expect(report.stoppedAt).toBeUndefined();
  });

  it('stops at an item that is not an audit event: what came before is published, the rest goes back', async () => {
    published.length = 0;
    const report = await relayAuditRecords(
      {
        Records: [
          record('100', audit({ eventId: 'e-1' })),
          record('200', { targetId: 'x' }),
          record('300', audit({ eventId: 'e-3' })),
        ],
      },
      deps(),
    );
    expect(published[0]?.map((e) => e.key)).toEqual(['100']);
    expect(report.stoppedAt).toEqual({ key: '200', error: 'not an audit event' });
    expect(report.batchItemFailures).toEqual([{ itemIdentifier: '200' }]);
  });

  it('stops where reading the token fails, so Lambda retries from that record', async () => {
    published.length = 0;
    const report = await relayAuditRecords(
      {
        Records: [
          record('100', audit()),
          record('200', audit({ targetId: 'tok_b', eventId: 'e-2' })),
        ],
      },
      {
        ...deps(),
        tokenFacts: (id: string) =>
          id === 'tok_b' ? Promise.reject(new Error('throttled')) : Promise.resolve(facts),
      },
    );
    expect(published[0]?.map((e) => e.key)).toEqual(['100']);
    expect(report.batchItemFailures).toEqual([{ itemIdentifier: '200' }]);
  });

  it('looks a missing token up once more (the index lags), then publishes without its facts', async () => {
    published.length = 0;
    let lookups = 0;
    const report = await relayAuditRecords(
      { Records: [record('100', audit())] },
      {
        ...deps(),
        retryLookupAfterMs: 1,
        tokenFacts: () => {
          lookups++;
          return Promise.resolve(lookups === 1 ? undefined : facts);
        },
      },
    );
    expect(lookups).toBe(2);
    expect(published[0]?.[0]?.event.detail.token.name).toBe('orders-ci');
    expect(report.withoutFacts).toBe(0);
  });

  it('redacts anything token-shaped instead of publishing it', async () => {
    published.length = 0;
    const token = generateToken();
    const report = await relayAuditRecords(
      { Records: [record('100', audit({ reason: `oops ${token}`, action: 'token.revoked' }))] },
      deps(),
    );
    expect(report.redacted).toBe(1);
    expect(published[0]?.[0]?.event.detail.reason).toBe('oops [redacted]');
  });

  it('reports records whose events were not published as batch item failures', async () => {
    const report = await relayAuditRecords(
      { Records: [record('100', audit()), record('200', audit({ eventId: 'e-2' }))] },
      deps(['200']),
    );
    expect(report.batchItemFailures).toEqual([{ itemIdentifier: '200' }]);
  });

  it('refuses an event that is not a stream batch', async () => {
    await expect(relayAuditRecords({ Records: 'no' }, deps())).rejects.toThrow(StreamEventError);
  });
});

describe('lifecycle events: publisher', () => {
  const keyed = (n: number): KeyedEvent[] =>
    Array.from({ length: n }, (_, i) => {
      const event = lifecycleEvent(audit({ eventId: `e-${String(i)}` }), facts);
      if (event === undefined) throw new Error('no event');
      return { key: String(i), event: event satisfies LifecycleEvent };
    });
  const ok = (command: PutEventsCommand): PutEventsCommandOutput => ({
    $metadata: {},
    FailedEntryCount: 0,
    Entries: (command.input.Entries ?? []).map((_, i) => ({ EventId: `id-${String(i)}` })),
  });

  it('sends at most 10 entries per PutEvents call, on the bus, with the event source', async () => {
    const sizes: number[] = [];
    const sent: PutEventsCommand[] = [];
    const publisher = new LifecyclePublisher(
      {
        send: (command) => {
          sizes.push(command.input.Entries?.length ?? 0);
          sent.push(command);
          return Promise.resolve(ok(command));
        },
      },
      'tokens-bus',
    );
    expect(await publisher.publish(keyed(23))).toEqual({ published: 23, retried: 0, failed: [] });
    expect(sizes).toEqual([10, 10, 3]);
    expect(sent[0]?.input.Entries?.[0]).toMatchObject({
      EventBusName: 'tokens-bus',
      Source: 'service-tokens',
      DetailType: 'TokenCreated',
    });
  });

  it('retries rejected entries and failed calls, then reports what still failed', async () => {
    let call = 0;
    const publisher = new LifecyclePublisher(
      {
        send: (command) => {
          call++;
          if (call === 1) return Promise.reject(new Error('socket hang up'));
          const out = ok(command);
          // Entry "2" is always throttled.
          const entries = command.input.Entries ?? [];
          return Promise.resolve({
            ...out,
            Entries: entries.map((e, i) =>
              e.Detail?.includes('"e-2"') === true
                ? { ErrorCode: 'ThrottlingException' }
                : { EventId: `id-${String(i)}` },
            ),
          });
        },
      },
      'bus',
      { attempts: 3, backoffMs: 1 },
    );
    const report = await publisher.publish(keyed(4));
    expect(report.published).toBe(3);
    expect(report.failed).toEqual([{ key: '2', error: 'ThrottlingException' }]);
    expect(call).toBe(3);
    expect(report.retried).toBe(5); // 4 after the failed call, then the one rejected entry
  });
});
