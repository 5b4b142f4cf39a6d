import { Stack, Token } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { AccountPrincipal, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { KEY_READ_WRITE_ACTIONS, viaService } from './kms-grants';
import { ITEM_READ_ACTIONS, USAGE_UPDATE_ACTIONS, USAGE_UPDATE_CONDITIONS } from './table-perms';

const ACCOUNT_ID = /^\d{12}$/;

/** `accounts` if each is a 12-digit account id (or a token), once; else an error naming it. */
export function checkedConsumerAccounts(path: string, accounts: readonly string[]): string[] {
  for (const account of accounts) {
    if (!Token.isUnresolved(account) && !ACCOUNT_ID.test(account)) {
      throw new Error(
        `${path}: consumerAccounts: "${account}" is not an AWS account id (12 digits, e.g. "222222222222")`,
      );
    }
  }
  const duplicate = accounts.find((account, i) => accounts.indexOf(account) !== i);
  if (duplicate !== undefined) {
    throw new Error(`${path}: consumerAccounts: "${duplicate}" is listed twice`);
  }
  return [...accounts];
}

/**
 * Let authorizers in `accounts` do on the token table what grantAuthorizerRead lets the
 * platform's own do: the table's resource policy allows GetItem and the usage UpdateItem with
 * the same conditions, and the key policy allows the key through DynamoDB from those accounts
 * only. Each account still has to grant its authorizer role the same (TokenTables.fromArns).
 *
 * The resource policy's Resource is `*`: CloudFormation cannot name a table's own generated ARN
 * in its ResourcePolicy, and a table's resource policy governs that table only.
 */
export function allowConsumerAccounts(table: Table, key: Key, accounts: readonly string[]): void {
  if (accounts.length === 0) return;
  const principals = accounts.map((account) => new AccountPrincipal(account));
  table.addToResourcePolicy(
    new PolicyStatement({
      sid: 'ConsumerAuthorizerRead',
      principals,
      actions: ITEM_READ_ACTIONS,
      resources: ['*'],
    }),
  );
  table.addToResourcePolicy(
    new PolicyStatement({
      sid: 'ConsumerAuthorizerUsage',
      principals,
      actions: USAGE_UPDATE_ACTIONS,
      resources: ['*'],
      conditions: USAGE_UPDATE_CONDITIONS,
    }),
  );
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'ConsumerAuthorizerKeyViaDynamoDB',
      principals,
      actions: KEY_READ_WRITE_ACTIONS,
      resources: ['*'],
      conditions: {
        StringEquals: {
          'kms:ViaService': viaService('dynamodb', Stack.of(table).region),
          'kms:CallerAccount': [...accounts],
        },
      },
    }),
  );
}
