/**
 * Secrets Manager adapter for the rotation steps: the only module here that calls it.
 * A missing version or stage is `undefined`; other failures propagate as RotationError with
 * the SDK error as cause, so Secrets Manager retries the step.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { RotationError } from './errors';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';

export interface SecretState {
  readonly rotationEnabled: boolean;
  /** Version id → its staging labels. */
  readonly versions: ReadonlyMap<string, readonly string[]>;
}

function wrap(operation: string, error: unknown): RotationError {
  const name = error instanceof Error ? error.name : 'UnknownError';
  return new RotationError(`Secrets Manager ${operation} failed: ${name}`, { cause: error });
}

export class SecretsAdapter {
  constructor(private readonly client: SecretsManagerClient) {}

  async describe(secretId: string): Promise<SecretState> {
    try {
      const out = await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
      return {
        rotationEnabled: out.RotationEnabled === true,
        versions: new Map(Object.entries(out.VersionIdsToStages ?? {})),
      };
    } catch (error) {
      throw wrap('DescribeSecret', error);
    }
  }

  /** The secret string of a stage (and version, when given), or undefined if there is none. */
  async value(secretId: string, stage: string, versionId?: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        new GetSecretValueCommand({
          SecretId: secretId,
          VersionStage: stage,
          VersionId: versionId,
        }),
      );
      return out.SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw wrap('GetSecretValue', error);
    }
  }

  async putPending(
    secretId: string,
    versionId: string,
    secretString: string,
    rotationToken: string | undefined,
  ): Promise<void> {
    try {
      await this.client.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: versionId,
          SecretString: secretString,
          VersionStages: [AWSPENDING],
          ...(rotationToken === undefined ? {} : { RotationToken: rotationToken }),
        }),
      );
    } catch (error) {
      throw wrap('PutSecretValue', error);
    }
  }

  async moveCurrent(
    secretId: string,
    toVersion: string,
    fromVersion: string | undefined,
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: AWSCURRENT,
          MoveToVersionId: toVersion,
          ...(fromVersion === undefined ? {} : { RemoveFromVersionId: fromVersion }),
        }),
      );
    } catch (error) {
      throw wrap('UpdateSecretVersionStage', error);
    }
  }
}
