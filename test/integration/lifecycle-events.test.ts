/**
 * Lifecycle events end to end on the emulators: token changes through the real repositories on
 * DynamoDB Local, the audit table's stream read the way Lambda's event source mapping reads it
 * (local/aws/stream-poller.ts: same filter, partial batch responses, retries), the relay, a custom
 * bus on moto, and a consumer's rule with an SQS target. Each change yields exactly one event,
 * a change that failed yields none, failed entries are retried, and no event holds a token.
 */
import { PutEventsCommand, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { loadHandler } from '../../local/aws/bundles';
import {
  LOCAL_AWS_ENV,
  localEventBridgeClient,
  localSqsClient,
  localStreamsClient,
} from '../../local/aws/clients';
import { createEventBus, EventInbox, type DeliveredEvent } from '../../local/aws/event-bus';
import { lambdaContext } from '../../local/aws/lambda-context';
import { isSuccessInsert, StreamPoller } from '../../local/aws/stream-poller';
import { EVENT_SOURCE, lifecycleDetailSchema } from '../../shared/events/lifecycle';
import { LifecyclePublisher, type PutEventsSender } from '../../shared/events/publisher';
import { relayAuditRecords } from '../../shared/events/stream';
import { TokenStoreError } from '../../shared/store/errors';
import { findTokens } from '../../shared/token/format';
import { useDynamo } from '../support/dynamo';
import { DAY_MS, newTestToken } from '../support/tokens';

const dynamo = useDynamo();
const events = localEventBridgeClient(inject('motoEndpoint'));
const sqs = localSqsClient(inject('motoEndpoint'));
const streams = localStreamsClient(inject('dynamoEndpoint'));
afterAll(() => {
  for (const client of [events, sqs, streams]) client.destroy();
});

let bus: string;
let inbox: EventInbox;
beforeEach(async () => {
  bus = `lifecycle-${randomUUID().slice(0, 8)}`;
  await createEventBus(events, bus);
  inbox = await EventInbox.subscribe({ events, sqs }, bus, `${bus}-consumer`, {
    source: [EVENT_SOURCE],
  });
});

/** The relay Lambda exactly as `cdk synth` bundles it, configured for this test's tables. */
function bundledRelay() {
  const bundle = inject('bundles')['Publishes token lifecycle events from the audit stream'];
  if (bundle === undefined) throw new Error('the synthesized stack has no lifecycle relay');
  const handler = loadHandler(bundle, {
    ...LOCAL_AWS_ENV,
    TOKENS_TABLE_NAME: dynamo.tables().tokens,
    EVENT_BUS_NAME: bus,
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    AWS_ENDPOINT_URL_EVENTBRIDGE: inject('motoEndpoint'),
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  return (event: unknown) => handler(event, lambdaContext('token-lifecycle-events'));
}

/** The relay from the shared core, publishing through `sender` (to inject entry failures). */
function coreRelay(sender: PutEventsSender, attempts = 3) {
  const stores = dynamo.stores();
  const publisher = new LifecyclePublisher(sender, bus, { attempts, backoffMs: 1 });
  return async (event: unknown) => {
    const report = await relayAuditRecords(event, {
      tokenFacts: (id) => stores.tokens.getById(id),
      publish: (keyed) => publisher.publish(keyed),
    });
    return { batchItemFailures: report.batchItemFailures };
  };
}

async function poller(handler: (event: unknown) => Promise<unknown>) {
  return StreamPoller.forTable(dynamo.client, streams, dynamo.tables().audit, handler, {
    filter: isSuccessInsert,
  });
}

/** Lifecycle audit events as the table holds them: the ids events must carry. */
async function auditIds(): Promise<string[]> {
  const items = await dynamo.scanAll(dynamo.tables().audit);
  return items
    .filter((item) => item['outcome'] === 'success')
    .map((item) => String(item['eventId']))
    .sort();
}

const summary = (delivered: DeliveredEvent[]) =>
  delivered
    .map((e) => {
      const detail = lifecycleDetailSchema.parse(e.detail);
      return `${e['detail-type']} ${detail.token.name ?? '?'}`;
    })
    .sort();

describe('lifecycle events', () => {
  it('turn each lifecycle change into exactly one event of its type, with the v1 schema', async () => {
    const stores = dynamo.stores();
    const actor = { actor: 'tok_admin', requestId: 'req-1' };
    const a = newTestToken({ name: 'orders-a', scopes: ['orders:read'] });
    await stores.tokens.create(a.input, actor);
    const b = newTestToken({ name: 'orders-b', scopes: ['orders:read'] });
    await stores.rotations.replace(
      a.input.tokenHash,
      b.input,
      new Date(Date.now() + 7 * DAY_MS),
      actor,
    );
    await stores.tokens.revoke(b.input.tokenHash, {
      ...actor,
      reason: 'emergency: leaked in a log',
    });
    const c = newTestToken({ name: 'nightly', expiresAt: new Date(Date.now() + DAY_MS / 2) });
    await stores.tokens.create(c.input, actor);
    const claim = await stores.alerts.claimExpiryAlert(c.input.tokenHash, 1, 60_000);
    if (claim === undefined) throw new Error('no alert claim');
    const record = await stores.tokens.getByHash(c.input.tokenHash);
    if (record === undefined) throw new Error('no record');
    await stores.alerts.confirmExpiryAlert(
      claim,
      record,
      { severity: 'critical', messageId: 'm-1' },
      {
        actor: 'system:expiry-alerts',
      },
    );
    const now = Date.now();
    const d = newTestToken(
      { name: 'old-job', expiresAt: new Date(now - DAY_MS) },
      new Date(now - 3 * DAY_MS),
    );
    await stores.tokens.create(d.input, actor);
    await stores.tokens.expire(d.input.tokenHash, { actor: 'system:cleanup' });
    const later = dynamo.stores({ now: () => new Date(now + 8 * DAY_MS) });
    await later.tokens.expire(a.input.tokenHash, { actor: 'system:cleanup' });
    const p = newTestToken({ name: 'rotated-secret' });
    await stores.tokens.create(
      p.input,
      { actor: 'system:rotation' },
      { pending: { rotationId: 'v-1' } },
    );
    await stores.rotations.activateSuccessor(p.input.tokenHash, {}, { actor: 'system:rotation' });
    await stores.rotations.deactivateSuccessor(p.input.tokenHash, { actor: 'system:rotation' });

    const relay = await poller(bundledRelay());
    await relay.drain();
    const delivered = await inbox.drain();

    expect(summary(delivered)).toEqual(
      [
        'TokenActivationUndone rotated-secret',
        'TokenActivated rotated-secret',
        'TokenCreated nightly',
        'TokenCreated old-job',
        'TokenCreated orders-a',
        'TokenCreated orders-b',
        'TokenCreated rotated-secret',
        'TokenExpired old-job',
        'TokenExpiring nightly',
        'TokenGraceEnded orders-a',
        'TokenRevoked orders-b',
        'TokenRotated orders-a',
      ].sort(),
    );
    // One event per successful audit event, carrying its id for de-duplication.
    const details = delivered.map((e) => lifecycleDetailSchema.parse(e.detail));
    expect(details.map((d) => d.eventId).sort()).toEqual(await auditIds());
    expect(delivered.every((e) => e.source === EVENT_SOURCE)).toBe(true);

    const byType = (type: string) => {
      const found = delivered.find((e) => e['detail-type'] === type);
      return lifecycleDetailSchema.parse(found?.detail);
    };
    expect(byType('TokenRotated')).toMatchObject({
      version: '1',
      actor: 'tok_admin',
      requestId: 'req-1',
      token: {
        id: a.input.tokenId,
        owner: 'team-a',
        name: 'orders-a',
        scopes: ['orders:read'],
        expiresAt: a.input.expiresAt.toISOString(),
      },
      data: { successorId: b.input.tokenId },
    });
    expect(byType('TokenRevoked')).toMatchObject({
      reason: 'emergency: leaked in a log',
      data: { emergency: 'true' },
    });
    expect(byType('TokenExpiring')).toMatchObject({
      actor: 'system:expiry-alerts',
      data: { days: '1', severity: 'critical', messageId: 'm-1' },
    });
  });

  it('yield nothing for a change that failed, a no-op or a refused request', async () => {
    const stores = dynamo.stores();
    const actor = { actor: 'tok_admin' };
    const a = newTestToken();
    await stores.tokens.create(a.input, actor);
    // The hash is taken: the transaction fails, nothing is written.
    await expect(
      stores.tokens.create({ ...a.input, tokenId: 'tok_other0000000001' }, actor),
    ).rejects.toThrow(TokenStoreError);
    await stores.tokens.revoke(a.input.tokenHash, actor);
    await stores.tokens.revoke(a.input.tokenHash, actor); // already revoked: a no-op, nothing written
    await stores.audit.append(
      { action: 'token.create', targetId: 'owner:team-b', outcome: 'failure', owner: 'team-b' },
      actor,
    );

    const relay = await poller(bundledRelay());
    await relay.drain();
    expect(summary(await inbox.drain())).toEqual([
      'TokenCreated ci-deploy',
      'TokenRevoked ci-deploy',
    ]);
  });

  it('publish one TokenGraceEnded when a rotation ends a grace early, cleanup included', async () => {
    const stores = dynamo.stores();
    const actor = { actor: 'system:rotation' };
    const a = newTestToken({ name: 'first' });
    await stores.tokens.create(a.input, actor);
    const b = newTestToken({ name: 'second' });
    await stores.rotations.replace(
      a.input.tokenHash,
      b.input,
      new Date(Date.now() + 7 * DAY_MS),
      actor,
    );
    const c = newTestToken({ name: 'third' });
    await stores.tokens.create(c.input, actor, { pending: { rotationId: 'v-2' } });
    await stores.rotations.activateSuccessor(
      c.input.tokenHash,
      { endGraceOf: a.input.tokenHash },
      actor,
    );
    // Cleanup a week later finds nothing left to retire for the first token.
    const later = dynamo.stores({ now: () => new Date(Date.now() + 8 * DAY_MS) });
    expect(
      (await later.tokens.expire(a.input.tokenHash, { actor: 'system:cleanup' })).changed,
    ).toBe(false);

    const relay = await poller(bundledRelay());
    await relay.drain();
    const ofFirst = summary(await inbox.drain()).filter((e) => e.endsWith(' first'));
    expect(ofFirst).toEqual(['TokenCreated first', 'TokenGraceEnded first', 'TokenRotated first']);
  });

  it('publish no TokenExpiring for a token revoked while its alert was on the way', async () => {
    const stores = dynamo.stores();
    const c = newTestToken({ name: 'nightly', expiresAt: new Date(Date.now() + DAY_MS / 2) });
    await stores.tokens.create(c.input, { actor: 'a' });
    const claim = await stores.alerts.claimExpiryAlert(c.input.tokenHash, 1, 60_000);
    if (claim === undefined) throw new Error('no alert claim');
    await stores.tokens.revoke(c.input.tokenHash, { actor: 'a', reason: 'done' });
    const record = await stores.tokens.getByHash(c.input.tokenHash);
    if (record === undefined) throw new Error('no record');
    expect(
      await stores.alerts.confirmExpiryAlert(
        claim,
        record,
        { severity: 'critical' },
        { actor: 'x' },
      ),
    ).toBe(false);

    const relay = await poller(bundledRelay());
    await relay.drain();
    expect(summary(await inbox.drain())).toEqual(['TokenCreated nightly', 'TokenRevoked nightly']);
  });

  it('retry an entry the bus rejected, and publish it once', async () => {
    const stores = dynamo.stores();
    for (let i = 0; i < 3; i++)
      await stores.tokens.create(newTestToken({ name: `svc-${String(i)}` }).input, { actor: 'a' });
    // The first PutEvents call: the second entry is throttled (not sent), the others go through.
    let calls = 0;
    const flaky: PutEventsSender = {
      send: async (command): Promise<PutEventsCommandOutput> => {
        calls++;
        const entries = command.input.Entries ?? [];
        if (calls > 1) return events.send(command);
        const kept = entries.filter((_, i) => i !== 1);
        const out = await events.send(new PutEventsCommand({ Entries: kept }));
        const results = [...(out.Entries ?? [])];
        results.splice(1, 0, { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' });
        return { ...out, FailedEntryCount: 1, Entries: results };
      },
    };
    const relay = await poller(coreRelay(flaky));
    await relay.drain();

    expect(calls).toBe(2);
    const delivered = await inbox.drain();
    expect(summary(delivered)).toEqual([
      'TokenCreated svc-0',
      'TokenCreated svc-1',
      'TokenCreated svc-2',
    ]);
    expect(relay.invocations).toHaveLength(1);
  });

  it('hand records back to the stream when retries run out; the redelivery publishes them', async () => {
    const stores = dynamo.stores();
    for (let i = 0; i < 4; i++)
      await stores.tokens.create(newTestToken({ name: `svc-${String(i)}` }).input, { actor: 'a' });
    // The whole first invocation cannot publish the third event (both of its attempts).
    let invocation = 0;
    const relayed = coreRelay(
      {
        send: async (command) => {
          const entries = command.input.Entries ?? [];
          const blocked =
            invocation === 1 ? entries.findIndex((e) => e.Detail?.includes('svc-2')) : -1;
          const kept = entries.filter((_, i) => i !== blocked);
          const out = await events.send(new PutEventsCommand({ Entries: kept }));
          const results = [...(out.Entries ?? [])];
          if (blocked >= 0) results.splice(blocked, 0, { ErrorCode: 'InternalFailure' });
          return { ...out, Entries: results };
        },
      },
      2,
    );
    const relay = await poller(async (event) => {
      invocation++;
      return relayed(event);
    });
    await relay.drain();

    // Lambda retried from the failed record: it and the records after it came again.
    expect(relay.invocations.map((batch) => batch.length)).toEqual([4, 2]);
    expect(relay.deadLetters).toHaveLength(0);
    const delivered = await inbox.drain();
    const ids = delivered.map((e) => lifecycleDetailSchema.parse(e.detail).eventId);
    // At least once: svc-3 came twice, and consumers de-duplicate on eventId.
    expect(summary(delivered)).toEqual([
      'TokenCreated svc-0',
      'TokenCreated svc-1',
      'TokenCreated svc-2',
      'TokenCreated svc-3',
      'TokenCreated svc-3',
    ]);
    expect([...new Set(ids)].sort()).toEqual(await auditIds());
  });

  it('never put a token or its hash into an event', async () => {
    const stores = dynamo.stores();
    const issued = [newTestToken(), newTestToken()];
    for (const token of issued) await stores.tokens.create(token.input, { actor: 'a' });
    const first = issued[0];
    if (first === undefined) throw new Error('no token');
    await stores.tokens.revoke(first.input.tokenHash, { actor: 'a', reason: 'rotation' });
    const relay = await poller(bundledRelay());
    await relay.drain();
    const raw = (await inbox.drain()).map((e) => e.raw).join('\n');
    expect(raw).toContain('TokenRevoked');
    expect(findTokens(raw)).toEqual([]);
    for (const token of issued) {
      expect(raw).not.toContain(token.plaintext);
      expect(raw).not.toContain(token.input.tokenHash);
    }
  });
});
