/**
 * The rotation transaction and the successor's activation on a mocked SDK: the exact items,
 * in their order, and what a cancelled item means. The emulator proves they commit.
 */
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { TokenRecord } from '../../../shared/token/record';
import { rotationRequest } from '../../support/rotation-requests';
import { newTestToken, tokenRecord } from '../../support/tokens';
import { admin, cancelled, meta, mockedStores, rejection, useDocumentMock } from './sdk-mock';

const dynamo = useDocumentMock();
const now = new Date('2026-06-01T00:00:00.000Z');
const graceUntil = new Date('2026-06-08T00:00:00.000Z');
const { rotations, requests } = mockedStores({ now: () => now });
const predecessor = tokenRecord({ tokenHash: 'b'.repeat(64), tokenId: 'tok_old' });
const approved = tokenRecord({
  ...predecessor,
  rotationRequest: rotationRequest('approved', { grantExpiresAt: '2026-06-02T00:00:00.000Z' }),
});

function stored(...records: TokenRecord[]) {
  const reads = dynamo.on(GetCommand);
  for (const record of records) reads.resolvesOnce({ ...meta, Item: record });
  return reads;
}

/** Each item of the one transaction sent, as `<Put|Update>:<table>`. */
function transactionShape() {
  const items = dynamo.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
  return {
    items,
    shape: items.map((item) =>
      item.Put === undefined
        ? `Update:${item.Update?.TableName ?? ''}`
        : `Put:${item.Put.TableName ?? ''}`,
    ),
  };
}

describe('the rotation transaction', () => {
  it('writes the successor Put, its audit event, the predecessor update and its audit event, in that order', async () => {
    stored(predecessor);
    dynamo.on(TransactWriteCommand).resolves(meta);

    await rotations.replace(predecessor.tokenHash, newTestToken({}, now).input, graceUntil, admin);

    const { items, shape } = transactionShape();
    expect(shape).toEqual(['Put:tokens', 'Put:audit', 'Update:tokens', 'Put:audit']);
    expect(items[0]?.Put?.ConditionExpression).toBe('attribute_not_exists(tokenHash)');
    expect(items[2]?.Update).toMatchObject({
      Key: { tokenHash: predecessor.tokenHash },
      UpdateExpression:
        'SET rotatedTo = :successor, graceUntil = :grace, endsAt = :endsAt, #ttl = :ttl',
      ConditionExpression: '#status = :active AND attribute_not_exists(rotatedTo)',
    });
  });

  it('for a grant also closes the request in the predecessor update, and audits rotation.executed fifth', async () => {
    stored(approved);
    dynamo.on(TransactWriteCommand).resolves(meta);
    const { input } = newTestToken({}, now);

    const { predecessor: after } = await requests.executeRotationGrant(
      approved.tokenHash,
      'rrq_1',
      () => ({ successor: input, graceUntil }),
      admin,
    );

    const { items, shape } = transactionShape();
    expect(shape).toEqual(['Put:tokens', 'Put:audit', 'Update:tokens', 'Put:audit', 'Put:audit']);
    expect(items[2]?.Update).toMatchObject({
      UpdateExpression:
        'SET rotatedTo = :successor, graceUntil = :grace, endsAt = :endsAt, #ttl = :ttl, rotationRequest = :request REMOVE requestState, requestDeadline',
      ConditionExpression:
        '#status = :active AND attribute_not_exists(rotatedTo) AND requestState = :approvedState AND rotationRequest.requestId = :requestId AND requestDeadline > :now',
    });
    expect(items[4]?.Put?.Item).toMatchObject({
      action: 'rotation.executed',
      details: { requestId: 'rrq_1', successorId: input.tokenId },
    });
    expect(after.rotationRequest).toMatchObject({ state: 'executed', successorId: input.tokenId });
  });

  it('answers a successor hash already taken (item 0) as already-exists, without reading again', async () => {
    stored(predecessor);
    dynamo
      .on(TransactWriteCommand)
      .rejects(cancelled('ConditionalCheckFailed', 'None', 'None', 'None'));

    const error = await rejection(
      rotations.replace(predecessor.tokenHash, newTestToken({}, now).input, graceUntil, admin),
    );

    expect(error.code).toBe('already-exists');
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(1);
  });

  it('refuses a predecessor that changed meanwhile (item 2) as the rule refuses it as it is now', async () => {
    stored(predecessor, { ...predecessor, status: 'revoked' });
    dynamo
      .on(TransactWriteCommand)
      .rejects(cancelled('None', 'None', 'ConditionalCheckFailed', 'None'));

    const error = await rejection(
      rotations.replace(predecessor.tokenHash, newTestToken({}, now).input, graceUntil, admin),
    );

    expect(error).toMatchObject({
      code: 'conflict',
      message: 'Token tok_old cannot be rotated: it is revoked',
    });
  });

  it('calls a predecessor that changed in a way the rules allow a conflict, naming the race', async () => {
    stored(predecessor, predecessor);
    dynamo
      .on(TransactWriteCommand)
      .rejects(cancelled('None', 'None', 'ConditionalCheckFailed', 'None'));

    const error = await rejection(
      rotations.replace(predecessor.tokenHash, newTestToken({}, now).input, graceUntil, admin),
    );

    expect(error).toMatchObject({
      code: 'conflict',
      message: 'Token tok_old changed while rotating',
    });
  });
});

describe('activating a successor', () => {
  it('activates a pending successor and ends the older grace in one transaction, in that order', async () => {
    const successor = tokenRecord({
      tokenHash: 'c'.repeat(64),
      tokenId: 'tok_new',
      status: 'pending',
    });
    const older = tokenRecord({
      tokenHash: 'd'.repeat(64),
      tokenId: 'tok_older',
      rotatedTo: 'tok_old',
      graceUntil: '2026-06-03T00:00:00.000Z',
    });
    stored(successor, older, { ...successor, status: 'active' });
    dynamo.on(TransactWriteCommand).resolves(meta);

    const result = await rotations.activateSuccessor(
      successor.tokenHash,
      { endGraceOf: older.tokenHash },
      admin,
    );

    const { items, shape } = transactionShape();
    expect(shape).toEqual(['Update:tokens', 'Put:audit', 'Update:tokens', 'Put:audit']);
    expect(items[0]?.Update?.ConditionExpression).toBe('#status = :pending');
    expect(items[2]?.Update).toMatchObject({
      Key: { tokenHash: older.tokenHash },
      UpdateExpression:
        'SET graceUntil = :at, #status = :expired, #ttl = :ttl REMOVE expiryPartition, endsAt',
      ConditionExpression: 'graceUntil = :seen AND #status = :active',
    });
    expect(items[3]?.Put?.Item).toMatchObject({
      action: 'token.grace-ended',
      details: { endedAt: now.toISOString(), reason: 'superseded by tok_new' },
    });
    expect(result).toMatchObject({ changed: true, record: { status: 'active' } });
  });

  it('retries a lost race, then gives up as contention after four attempts', async () => {
    const successor = tokenRecord({
      tokenHash: 'c'.repeat(64),
      tokenId: 'tok_new',
      status: 'pending',
    });
    dynamo.on(GetCommand).resolves({ ...meta, Item: successor });
    dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));

    const error = await rejection(rotations.activateSuccessor(successor.tokenHash, {}, admin));

    expect(error).toMatchObject({
      code: 'contention',
      message: 'activateSuccessor kept losing races',
    });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(4);
  });
});
