import { Stack } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';

/** What reading data a key protects takes. */
export const KEY_READ_ACTIONS = ['kms:Decrypt'];

/** What reading and writing data a key protects takes. */
export const KEY_READ_WRITE_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'];

/**
 * Let `grantee` use `key` only through `service` (kms:ViaService): it can read and write the
 * encrypted table, secret or topic, but cannot call KMS with the key directly.
 */
export function grantKeyVia(
  grantee: IGrantable,
  key: IKey,
  service: 'dynamodb' | 'secretsmanager' | 'sns',
  actions: readonly string[] = KEY_READ_WRITE_ACTIONS,
): Grant {
  return Grant.addToPrincipal({
    grantee,
    actions: [...actions],
    resourceArns: [key.keyArn],
    conditions: {
      StringEquals: { 'kms:ViaService': `${service}.${Stack.of(key).region}.amazonaws.com` },
    },
  });
}
