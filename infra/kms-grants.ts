import { Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';

/**
 * Let `role` use `key` only through `service` (kms:ViaService): the role can read and write
 * the encrypted table or secret, but cannot call KMS with the key directly.
 */
export function grantKeyVia(
  role: Role,
  key: IKey,
  service: 'dynamodb' | 'secretsmanager' | 'sns',
  actions: string[] = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
): void {
  role.addToPolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions,
      resources: [key.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `${service}.${Stack.of(role).region}.amazonaws.com` },
      },
    }),
  );
}
