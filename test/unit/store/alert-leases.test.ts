/** The alert lease's condition: which kinds of token get alerts, as DynamoDB is asked it. */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { alertedKindCondition } from '../../../shared/store/alert-leases';
import { meta, mockedStores, useDocumentMock } from './sdk-mock';

const dynamo = useDocumentMock();
const now = new Date('2026-06-01T00:00:00.000Z');
const { alerts } = mockedStores({ now: () => now });

describe('the kinds that get alerts, as a condition', () => {
  it('adds nothing when no kind is silent', () => {
    expect(alertedKindCondition([])).toEqual({ expression: '', names: {}, values: {} });
  });

  it('admits a token with no stored kind or one not silent, one value per silent kind', () => {
    expect(alertedKindCondition(['bootstrap', 'relay'])).toEqual({
      expression: ' AND (attribute_not_exists(#kind) OR NOT #kind IN (:silent0, :silent1))',
      names: { '#kind': 'kind' },
      values: { ':silent0': 'bootstrap', ':silent1': 'relay' },
    });
  });

  it('asks DynamoDB for an active, not rotated-out token of a kind that gets alerts (bootstrap tokens get none)', async () => {
    dynamo.on(UpdateCommand).resolves(meta);

    await alerts.claimExpiryAlert('a'.repeat(64), 7, 60_000);

    const [call] = dynamo.commandCalls(UpdateCommand);
    expect(call?.args[0].input).toMatchObject({
      ConditionExpression:
        '#status = :active AND attribute_not_exists(rotatedTo) AND (attribute_not_exists(#kind) OR NOT #kind IN (:silent0)) AND (attribute_not_exists(alertedDays) OR alertedDays > :days) AND (attribute_not_exists(alertLeaseUntil) OR alertLeaseUntil <= :now)',
      ExpressionAttributeNames: { '#status': 'status', '#kind': 'kind' },
      ExpressionAttributeValues: {
        ':silent0': 'bootstrap',
        ':days': 7,
        ':now': now.toISOString(),
        ':until': new Date(now.getTime() + 60_000).toISOString(),
      },
    });
  });
});
