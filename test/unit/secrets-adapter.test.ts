/**
 * The Secrets Manager adapter's version listing with realistic creation dates (moto reports
 * every version as created "now", so this is checked with the SDK mocked).
 */
import {
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
  InternalServiceError,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RotationError } from '../../shared/rotation/errors';
import { SecretsAdapter } from '../../shared/rotation/secrets';

const sm = mockClient(SecretsManagerClient);
const adapter = new SecretsAdapter(new SecretsManagerClient({ region: 'us-east-1' }));
const day = (n: number) => new Date(Date.UTC(2026, 0, n));

beforeEach(() => sm.reset());

describe('unstagedSinceCurrent', () => {
  it('lists only label-less versions created after AWSCURRENT, across pages', async () => {
    sm.on(ListSecretVersionIdsCommand)
      .resolvesOnce({
        Versions: [
          { VersionId: 'former-current', VersionStages: [], CreatedDate: day(1) },
          { VersionId: 'previous', VersionStages: ['AWSPREVIOUS'], CreatedDate: day(2) },
          { VersionId: 'current', VersionStages: ['AWSCURRENT'], CreatedDate: day(3) },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        Versions: [
          { VersionId: 'abandoned', VersionStages: [], CreatedDate: day(4) },
          { VersionId: 'in-flight', VersionStages: ['AWSPENDING'], CreatedDate: day(5) },
        ],
      });

    expect(await adapter.unstagedSinceCurrent('arn:secret')).toEqual(['abandoned']);
    expect(sm.commandCalls(ListSecretVersionIdsCommand)).toHaveLength(2);
  });

  it('stops on a repeated page token instead of looping', async () => {
    sm.on(ListSecretVersionIdsCommand).resolves({ Versions: [], NextToken: 'same' });
    await expect(adapter.unstagedSinceCurrent('arn:secret')).resolves.toEqual([]);
    expect(sm.commandCalls(ListSecretVersionIdsCommand).length).toBeLessThanOrEqual(2);
  });

  it('reports a failure as a RotationError naming the call', async () => {
    sm.on(ListSecretVersionIdsCommand).rejects(
      new InternalServiceError({ message: 'try again', $metadata: {} }),
    );
    const failure = adapter.unstagedSinceCurrent('arn:secret');
    await expect(failure).rejects.toBeInstanceOf(RotationError);
    await expect(failure).rejects.toThrow(
      'Secrets Manager ListSecretVersionIds failed: InternalServiceError',
    );
  });
});
