/** How the sweep after finishSecret ends each kind of token it finds (`sweepPlan`). */
import { describe, expect, it } from 'vitest';
import { sweepPlan } from '../../shared/store/secret-sweep';
import { tokenRecord } from '../support/tokens';

const now = new Date('2026-06-01T12:00:00.000Z');
const plan = (overrides: Parameters<typeof tokenRecord>[0]) =>
  sweepPlan(tokenRecord(overrides), now, 'superseded by tok_new', 42);

describe('sweepPlan', () => {
  it.each([
    ['an active token never rotated (its grace was lost)', { status: 'active' as const }],
    ['a pending token of an abandoned rotation', { status: 'pending' as const }],
  ])('revokes %s, conditioned on the status it read', (_, overrides) => {
    const change = plan(overrides);
    expect(change?.audit).toEqual({ action: 'token.revoked', outcome: 'success' });
    expect(change?.update.ConditionExpression).toBe(
      '#status = :seen AND attribute_not_exists(graceUntil)',
    );
    expect(change?.update.ExpressionAttributeValues).toMatchObject({
      ':seen': overrides.status,
      ':reason': 'superseded by tok_new',
      ':at': now.toISOString(),
      ':ttl': 42,
    });
    expect(change?.update.UpdateExpression).toContain('REMOVE expiryPartition, endsAt');
  });

  it('ends the grace of a predecessor still in grace, conditioned on the deadline it read', () => {
    const graceUntil = '2026-06-05T00:00:00.000Z';
    const change = plan({ rotatedTo: 'tok_other', graceUntil });
    expect(change?.audit).toEqual({
      action: 'token.grace-ended',
      outcome: 'success',
      details: { endedAt: now.toISOString(), reason: 'superseded by tok_new' },
    });
    expect(change?.update.ConditionExpression).toBe('graceUntil = :seen AND #status = :active');
    expect(change?.update.ExpressionAttributeValues).toMatchObject({
      ':seen': graceUntil,
      ':at': now.toISOString(),
      ':expired': 'expired',
    });
  });

  it.each([
    ['revoked', { status: 'revoked' as const }],
    ['expired', { status: 'expired' as const }],
    ['used', { status: 'used' as const }],
    ['past its grace', { rotatedTo: 'tok_other', graceUntil: '2026-06-01T11:59:59.999Z' }],
    ['past its expiry', { expiresAt: now.toISOString() }],
  ])('leaves a token that is already %s alone', (_, overrides) => {
    expect(plan(overrides)).toBeUndefined();
  });
});
