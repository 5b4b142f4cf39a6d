import { Stack } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';

/** The services a key is used through. */
export type KeyService = 'dynamodb' | 'secretsmanager' | 'sns';

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
  service: KeyService,
  actions: readonly string[] = KEY_READ_WRITE_ACTIONS,
): Grant {
  return grantKeyArnVia(grantee, key.keyArn, service, Stack.of(key).region, actions);
}

/** The key's use through `service` in `region` only (the kms:ViaService condition's value). */
export function viaService(service: KeyService, region: string): string {
  return `${service}.${region}.amazonaws.com`;
}

/**
 * grantKeyVia for a key known by its ARN, e.g. another account's: `region` is the region of
 * the resource the key encrypts.
 */
export function grantKeyArnVia(
  grantee: IGrantable,
  keyArn: string,
  service: KeyService,
  region: string,
  actions: readonly string[] = KEY_READ_WRITE_ACTIONS,
): Grant {
  return Grant.addToPrincipal({
    grantee,
    actions: [...actions],
    resourceArns: [keyArn],
    conditions: { StringEquals: { 'kms:ViaService': viaService(service, region) } },
  });
}
