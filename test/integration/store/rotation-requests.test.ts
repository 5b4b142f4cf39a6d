/**
 * The rotation request repository against DynamoDB Local: each step of a request is written on
 * its token's item, and the sparse request index holds exactly the open requests.
 */
import { describe, expect, it } from 'vitest';
import type { Stores } from '../../../shared/store';
import { GRANT_HOURS, REQUEST_DAYS } from '../../../shared/token/rotation-request';
import { clockStart, DAY_MS, newTestToken } from '../../support/tokens';
import { storeError } from './fixture';
import { useDynamo } from '../../support/dynamo';

const dynamo = useDynamo();
const owner = { actor: 'tok_owner', requestId: 'req-1' };
const approver = { actor: 'tok_approver', requestId: 'req-2' };
const ask = { requestId: 'rrq_1', reason: 'quarterly' };

async function tokenWithRequest(stores: Stores, now: Date) {
  const { input } = newTestToken({}, now);
  await stores.tokens.create(input, owner);
  await stores.requests.requestRotation(input.tokenHash, ask, owner);
  return input;
}

const queued = async (stores: Stores, state: 'pending' | 'approved') =>
  (await stores.requests.listRotationRequests(state)).items.map((record) => record.tokenId);

describe('rotation requests on the token item', () => {
  it('queues a pending request by its deadline, REQUEST_DAYS after it was asked', async () => {
    const now = clockStart();
    const stores = dynamo.stores({ now: () => now });
    const input = await tokenWithRequest(stores, now);

    expect(await queued(stores, 'pending')).toEqual([input.tokenId]);
    const [item] = await dynamo.scanAll(dynamo.tables().tokens);
    expect(item).toMatchObject({
      requestState: 'pending',
      requestDeadline: new Date(now.getTime() + REQUEST_DAYS * DAY_MS).toISOString(),
    });
  });

  it('moves an approved request to the approved queue with its grant deadline; a rejected one leaves both', async () => {
    const now = clockStart();
    const stores = dynamo.stores({ now: () => now });
    const approved = await tokenWithRequest(stores, now);
    const rejected = await tokenWithRequest(stores, now);

    await stores.requests.decideRotation(
      approved.tokenHash,
      { requestId: ask.requestId, approve: true },
      approver,
    );
    const { record } = await stores.requests.decideRotation(
      rejected.tokenHash,
      { requestId: ask.requestId, approve: false, note: 'not now' },
      approver,
    );

    expect(await queued(stores, 'approved')).toEqual([approved.tokenId]);
    expect(await queued(stores, 'pending')).toEqual([]);
    expect(record.rotationRequest).toMatchObject({
      state: 'rejected',
      decisionNote: 'not now',
      closedAt: now.toISOString(),
    });
    const grant = (await stores.tokens.getByHash(approved.tokenHash))?.rotationRequest;
    expect(grant?.grantExpiresAt).toBe(
      new Date(now.getTime() + GRANT_HOURS * 3_600_000).toISOString(),
    );
  });

  it('uses a grant once: the rotation and the executed request in one write, a second use refused', async () => {
    const now = clockStart();
    const stores = dynamo.stores({ now: () => now });
    const input = await tokenWithRequest(stores, now);
    await stores.requests.decideRotation(
      input.tokenHash,
      { requestId: ask.requestId, approve: true },
      approver,
    );
    const plan = () => ({
      successor: newTestToken({}, now).input,
      graceUntil: new Date(now.getTime() + DAY_MS),
    });

    const { predecessor, successor } = await stores.requests.executeRotationGrant(
      input.tokenHash,
      ask.requestId,
      plan,
      owner,
    );
    const again = await storeError(
      stores.requests.executeRotationGrant(input.tokenHash, ask.requestId, plan, owner),
    );

    expect(predecessor.rotationRequest).toMatchObject({
      state: 'executed',
      successorId: successor.tokenId,
    });
    expect(await stores.tokens.getByHash(input.tokenHash, { consistent: true })).toEqual(
      predecessor,
    );
    expect(again.code).toBe('conflict');
    expect(await queued(stores, 'approved')).toEqual([]);
    const actions = (await stores.audit.listByTarget(input.tokenId)).items.map((e) => e.action);
    expect(
      actions.filter((a) => a === 'token.rotated' || a === 'rotation.executed').sort(),
    ).toEqual(['rotation.executed', 'token.rotated']);
  });

  it('closes a lapsed request as expired, once, and leaves an undecided one before its deadline', async () => {
    let now = clockStart();
    const stores = dynamo.stores({ now: () => now });
    const input = await tokenWithRequest(stores, now);
    const expire = () =>
      stores.requests.closeRotationRequest(
        input.tokenHash,
        { requestId: ask.requestId, state: 'expired' },
        owner,
      );

    expect((await expire()).changed).toBe(false);
    now = new Date(now.getTime() + REQUEST_DAYS * DAY_MS);
    const closed = await expire();
    const repeat = await expire();

    expect(closed).toMatchObject({
      changed: true,
      record: { rotationRequest: { state: 'expired' } },
    });
    expect(repeat.changed).toBe(false);
    expect(await queued(stores, 'pending')).toEqual([]);
    const [last] = (await stores.audit.listByTarget(input.tokenId)).items;
    expect(last).toMatchObject({
      action: 'rotation.request-expired',
      details: { requestId: 'rrq_1' },
    });
  });
});
