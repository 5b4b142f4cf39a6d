/**
 * Secrets Manager adapter for the rotation steps: the only module here that calls it.
 * A missing version or stage is `undefined`; other failures propagate as RotationError with
 * the SDK error as cause, so Secrets Manager retries the step.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
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

  /**
   * Versions without any staging label created after the AWSCURRENT version: rotations that
   * started while the current token was current and never finished. Older unlabeled versions
   * were looked at by earlier rotations.
   */
  async unstagedSinceCurrent(secretId: string): Promise<string[]> {
    try {
      const versions = [];
      let NextToken: string | undefined;
      // Secrets Manager keeps about 100 versions; 10 pages is plenty, and some emulators
      // answer an empty or repeated NextToken on the last page.
      for (let page = 0; page < 10; page++) {
        const out = await this.client.send(
          new ListSecretVersionIdsCommand({
            SecretId: secretId,
            IncludeDeprecated: true,
            NextToken,
          }),
        );
        versions.push(...(out.Versions ?? []));
        if (out.NextToken === undefined || out.NextToken === '' || out.NextToken === NextToken)
          break;
        NextToken = out.NextToken;
      }
      const current = versions.find((v) => v.VersionStages?.includes(AWSCURRENT));
      const since = current?.CreatedDate?.getTime() ?? 0;
      return versions
        .filter((v) => (v.VersionStages ?? []).length === 0)
        .filter((v) => (v.CreatedDate?.getTime() ?? 0) >= since)
        .flatMap((v) => (v.VersionId === undefined ? [] : [v.VersionId]))
        .filter((id, index, all) => all.indexOf(id) === index);
    } catch (error) {
      throw wrap('ListSecretVersionIds', error);
    }
  }

  /**
   * The secret string of a stage (and version, when given; an empty stage means whatever
   * stages that version has), or undefined if there is none.
   */
  async value(secretId: string, stage: string, versionId?: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        new GetSecretValueCommand({
          SecretId: secretId,
          ...(stage === '' ? {} : { VersionStage: stage }),
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
