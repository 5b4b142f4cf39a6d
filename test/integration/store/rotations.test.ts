/** The rotation repository against DynamoDB Local: the bookkeeping of a rotated token. */
import { describe, expect, it } from 'vitest';
import { evaluateRecord } from '../../../shared/token/verify';
import { DAY_MS, newTestToken } from '../../support/tokens';
import { storeError } from './fixture';
import { useDynamo } from '../../support/dynamo';

const dynamo = useDynamo();
const admin = { actor: 'tok_admin', requestId: 'req-1' };

describe('rotation bookkeeping', () => {
  it('keeps the predecessor valid until its grace deadline, then denies it', async () => {
    const stores = dynamo.stores();
    const now = new Date();
    const { input } = newTestToken({}, now);
    await stores.tokens.create(input, admin);
    const graceUntil = new Date(now.getTime() + 7 * DAY_MS);

    const { record } = await stores.rotations.markRotated(
      input.tokenHash,
      { successorId: 'tok_next', graceUntil },
      admin,
    );

    expect(record).toMatchObject({ rotatedTo: 'tok_next', graceUntil: graceUntil.toISOString() });
    expect(evaluateRecord(record, new Date(graceUntil.getTime() - 1))).toMatchObject({
      allowed: true,
      inGrace: true,
    });
    expect(evaluateRecord(record, graceUntil)).toMatchObject({
      allowed: false,
      reason: 'past-grace',
    });
  });

  it('acts once per successor: a repeat is a no-op, a different successor a conflict', async () => {
    const stores = dynamo.stores();
    const { input } = newTestToken();
    await stores.tokens.create(input, admin);
    const graceUntil = new Date(Date.now() + DAY_MS);

    const first = await stores.rotations.markRotated(
      input.tokenHash,
      { successorId: 'tok_a', graceUntil },
      admin,
    );
    const repeat = await stores.rotations.markRotated(
      input.tokenHash,
      { successorId: 'tok_a', graceUntil: new Date(graceUntil.getTime() + DAY_MS) },
      admin,
    );
    const other = await storeError(
      stores.rotations.markRotated(input.tokenHash, { successorId: 'tok_b', graceUntil }, admin),
    );

    expect(first.changed).toBe(true);
    expect(repeat).toMatchObject({
      changed: false,
      record: { graceUntil: graceUntil.toISOString() },
    });
    expect(other.code).toBe('conflict');
    const rotations = (await stores.audit.listByTarget(input.tokenId)).items.filter(
      (e) => e.action === 'token.rotated',
    );
    expect(rotations).toHaveLength(1);
    expect(rotations[0]?.details).toEqual({
      successorId: 'tok_a',
      graceUntil: graceUntil.toISOString(),
    });
  });

  it('refuses to rotate a revoked token', async () => {
    const stores = dynamo.stores();
    const { input } = newTestToken();
    await stores.tokens.create(input, admin);
    await stores.tokens.revoke(input.tokenHash, admin);
    const error = await storeError(
      stores.rotations.markRotated(
        input.tokenHash,
        { successorId: 'tok_a', graceUntil: new Date() },
        admin,
      ),
    );
    expect(error.code).toBe('conflict');
  });

  it('never lets grace extend a token past its own expiry in the expiry index', async () => {
    const stores = dynamo.stores();
    const now = new Date();
    const { input } = newTestToken({ expiresAt: new Date(now.getTime() + 2 * DAY_MS) }, now);
    await stores.tokens.create(input, admin);
    await stores.rotations.markRotated(
      input.tokenHash,
      { successorId: 'tok_a', graceUntil: new Date(now.getTime() + 30 * DAY_MS) },
      admin,
    );
    const { items } = await stores.tokens.listEnding({
      until: new Date(now.getTime() + 3 * DAY_MS),
    });
    expect(items.map((r) => r.tokenId)).toEqual([input.tokenId]);
  });
});
