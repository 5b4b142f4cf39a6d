/**
 * Start a secret's rotation now ("Rotate secret immediately"), for the rotation policy: the
 * alert run rotates a token held in a secret that is due earlier than its schedule (heavy use).
 */
import { RotateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { RotationError } from './errors';

export interface RotationStarter {
  /** `in-progress`: a rotation of this secret is already running; it will finish on its own. */
  start(secretArn: string): Promise<'started' | 'in-progress'>;
}

export class SecretsManagerRotationStarter implements RotationStarter {
  constructor(private readonly client: SecretsManagerClient) {}

  async start(secretArn: string): Promise<'started' | 'in-progress'> {
    try {
      await this.client.send(new RotateSecretCommand({ SecretId: secretArn }));
      return 'started';
    } catch (error) {
      const name = error instanceof Error ? error.name : 'UnknownError';
      // "A previous rotation isn't complete. That rotation will be reattempted."
      if (name === 'InvalidRequestException' && /previous rotation/i.test(String(error))) {
        return 'in-progress';
      }
      throw new RotationError(`Secrets Manager RotateSecret failed: ${name}`, { cause: error });
    }
  }
}
