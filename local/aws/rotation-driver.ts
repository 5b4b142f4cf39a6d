/**
 * Plays Secrets Manager's part in a rotation against moto: a fresh ClientRequestToken, the
 * AWSPENDING stub, then createSecret, setSecret, testSecret and finishSecret in order, each
 * retried like Secrets Manager retries a failing step.
 *
 * moto's RotateSecret stages the stub and enables rotation, then fails to invoke the Lambda
 * (it cannot run Lambdas without Docker) with ResourceNotFoundException; that one failure is
 * expected, and the stub is checked instead.
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import {
  ROTATION_STEPS,
  type RotationEvent,
  type RotationStep,
} from '../../shared/rotation/rotator';
import {
  parseSecretValue,
  secretSpecSchema,
  type SecretSpec,
  type SecretValue,
} from '../../shared/rotation/secret-value';

export const ROTATION_LAMBDA_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:token-rotation';

export type InvokeStep = (event: RotationEvent) => Promise<unknown>;

export class RotationDriver {
  constructor(
    readonly client: SecretsManagerClient,
    private readonly invoke: InvokeStep,
    /** Secret ARN → spec: what CDK hands the rotation Lambda as TOKEN_SPECS. */
    readonly specs = new Map<string, SecretSpec>(),
  ) {}

  /**
   * A secret as the CDK construct creates it: value `{}`, its spec registered for the rotation
   * Lambda, and (unless told otherwise) rotated at once, as the rotation schedule does.
   */
  async createSecret(
    spec: Omit<SecretSpec, 'lifetimeDays'> & { lifetimeDays?: number },
    options: { rotateNow?: boolean; initialValue?: string; name?: string } = {},
  ): Promise<string> {
    const out = await this.client.send(
      new CreateSecretCommand({
        Name: options.name ?? `token-${randomUUID()}`,
        SecretString: options.initialValue ?? '{}',
      }),
    );
    if (out.ARN === undefined) throw new Error('CreateSecret returned no ARN');
    this.specs.set(out.ARN, secretSpecSchema.parse(spec));
    if (options.rotateNow !== false) await this.rotate(out.ARN);
    return out.ARN;
  }

  /** TOKEN_SPECS for a bundled rotation Lambda. */
  specsJson(): string {
    return JSON.stringify([...this.specs].map(([secretArn, spec]) => ({ secretArn, ...spec })));
  }

  /** What `rotate-secret` (the console's "Rotate secret immediately") does. */
  async startRotation(secretId: string): Promise<string> {
    const version = randomUUID();
    try {
      await this.client.send(
        new RotateSecretCommand({
          SecretId: secretId,
          ClientRequestToken: version,
          RotationLambdaARN: ROTATION_LAMBDA_ARN,
          RotationRules: { AutomaticallyAfterDays: 30 },
        }),
      );
    } catch (error) {
      if (!(error instanceof Error) || error.name !== 'ResourceNotFoundException') throw error;
    }
    const stages = (await this.stages(secretId)).get(version);
    if (!stages?.includes('AWSPENDING')) throw new Error('moto did not stage AWSPENDING');
    return version;
  }

  async step(secretId: string, version: string, step: RotationStep, attempts = 1): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.invoke({ Step: step, SecretId: secretId, ClientRequestToken: version });
        return;
      } catch (error) {
        if (attempt >= attempts) throw error;
      }
    }
  }

  /** A whole rotation; each step gets `attempts` tries, as Secrets Manager retries them. */
  async rotate(secretId: string, attempts = 1): Promise<string> {
    const version = await this.startRotation(secretId);
    for (const step of ROTATION_STEPS) await this.step(secretId, version, step, attempts);
    await this.endRotation(secretId, version);
    return version;
  }

  /** After a successful finishSecret, Secrets Manager takes AWSPENDING off the new version. */
  async endRotation(secretId: string, version: string): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: version,
      }),
    );
  }

  async stages(secretId: string): Promise<Map<string, string[]>> {
    const out = await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
    return new Map(Object.entries(out.VersionIdsToStages ?? {}));
  }

  async value(secretId: string, stage: string, versionId?: string): Promise<SecretValue> {
    const out = await this.client.send(
      new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage, VersionId: versionId }),
    );
    return parseSecretValue(out.SecretString ?? '', stage);
  }

  /** Every token ever written to the secret, with the stages its version holds now. */
  async tokens(secretId: string): Promise<{ token: string; stages: string[] }[]> {
    const out = await this.client.send(
      new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true }),
    );
    const found: { token: string; stages: string[] }[] = [];
    for (const version of out.Versions ?? []) {
      if (version.VersionId === undefined) continue;
      const value = await this.client
        .send(new GetSecretValueCommand({ SecretId: secretId, VersionId: version.VersionId }))
        .then((v) => parseSecretValue(v.SecretString ?? '', 'version'))
        .catch((error: unknown) => {
          // A staged stub that never got a value has nothing to read; anything else is a failure.
          if (error instanceof Error && error.name === 'ResourceNotFoundException')
            return undefined;
          throw error;
        });
      if (value?.token !== undefined)
        found.push({ token: value.token, stages: version.VersionStages ?? [] });
    }
    return found;
  }
}
