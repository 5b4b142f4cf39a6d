/**
 * The grant methods of TokenTables, each on a bare role: exactly the actions, tables and
 * indexes it names, and the key only through DynamoDB.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TokenTables } from '../../infra/token-tables';
import { TOKEN_INDEX } from '../../shared/store/schema';
import { permissionLines } from './template';

const statementSchema = z.object({
  Effect: z.literal('Allow'),
  Action: z.union([z.string(), z.array(z.string())]),
  Resource: z.unknown(),
  Condition: z.unknown().optional(),
});
const getAtt = z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.string()]) });
const policySchema = z.object({
  Properties: z.object({ PolicyDocument: z.object({ Statement: z.array(statementSchema) }) }),
});

/** Resource references by a short name: `tokens`, `audit`, `key`, `tokens/index/ByOwner`. */
function shortName(resource: unknown, ids: Record<string, string>): string {
  const text = JSON.stringify(resource);
  const name = Object.entries(ids).find(([, id]) => text.includes(`"${id}"`))?.[0] ?? text;
  const index = /\/index\/([A-Za-z]+)/.exec(text)?.[1];
  if (index !== undefined) return `${name}/index/${index}`;
  return text.includes('"StreamArn"') ? `${name}/stream` : name;
}

/** Every permission `grant` gives a fresh role, as `action resource [via dynamodb]` lines. */
function permissionsOf(grant: (tables: TokenTables, role: Role) => void): string[] {
  const stack = new Stack(new App(), 'Grants');
  const tables = new TokenTables(stack, 'Tables');
  const role = new Role(stack, 'Grantee', {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
  });
  grant(tables, role);
  const idOf = (arn: string) => getAtt.parse(stack.resolve(arn))['Fn::GetAtt'][0];
  const ids = {
    tokens: idOf(tables.tokens.tableArn),
    audit: idOf(tables.audit.tableArn),
    key: idOf(tables.key.keyArn),
  };
  const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
  return permissionLines(
    policies.flatMap((policy) => policySchema.parse(policy).Properties.PolicyDocument.Statement),
    (resource) => (resource === '*' ? '*' : shortName(resource, ids)),
  );
}

const KEY_READ = ['kms:Decrypt key via dynamodb'];
const KEY_READ_WRITE = [
  'kms:Decrypt key via dynamodb',
  'kms:Encrypt key via dynamodb',
  'kms:GenerateDataKey key via dynamodb',
];

describe('TokenTables grants', () => {
  it('grantAuthorizerRead: GetItem, and UpdateItem of the usage attributes only', () => {
    expect(permissionsOf((tables, role) => tables.grantAuthorizerRead(role))).toEqual(
      [
        'dynamodb:GetItem tokens',
        'dynamodb:UpdateItem tokens usage attributes only',
        ...KEY_READ_WRITE,
      ].sort(),
    );
  });

  it('grantTokenRead: GetItem and Query on the named indexes only; decrypt only', () => {
    expect(
      permissionsOf((tables, role) => tables.grantTokenRead(role, [TOKEN_INDEX.byTokenId])),
    ).toEqual(
      ['dynamodb:GetItem tokens', 'dynamodb:Query tokens/index/ByTokenId', ...KEY_READ].sort(),
    );
  });

  it('grantTokenUpdate: GetItem and UpdateItem, never PutItem', () => {
    expect(
      permissionsOf((tables, role) => tables.grantTokenUpdate(role, [TOKEN_INDEX.byExpiry])),
    ).toEqual(
      [
        'dynamodb:GetItem tokens',
        'dynamodb:UpdateItem tokens',
        'dynamodb:Query tokens/index/ByExpiry',
        ...KEY_READ_WRITE,
      ].sort(),
    );
  });

  it('grantTokenReadWrite: GetItem, PutItem and UpdateItem; no index unless named', () => {
    expect(permissionsOf((tables, role) => tables.grantTokenReadWrite(role))).toEqual(
      [
        'dynamodb:GetItem tokens',
        'dynamodb:PutItem tokens',
        'dynamodb:UpdateItem tokens',
        ...KEY_READ_WRITE,
      ].sort(),
    );
  });

  it('grantAuditAppend: PutItem on the audit table only', () => {
    expect(permissionsOf((tables, role) => tables.grantAuditAppend(role))).toEqual(
      ['dynamodb:PutItem audit', ...KEY_READ_WRITE].sort(),
    );
  });

  it('grantAuditRead: Query on the audit table and its ByDay index; decrypt only', () => {
    expect(permissionsOf((tables, role) => tables.grantAuditRead(role))).toEqual(
      ['dynamodb:Query audit', 'dynamodb:Query audit/index/ByDay', ...KEY_READ].sort(),
    );
  });

  it('grantAuditStreamRead: the stream reads an event source needs; decrypt only', () => {
    expect(permissionsOf((tables, role) => tables.grantAuditStreamRead(role))).toEqual(
      [
        'dynamodb:DescribeStream audit/stream',
        'dynamodb:GetRecords audit/stream',
        'dynamodb:GetShardIterator audit/stream',
        'dynamodb:ListStreams *',
        ...KEY_READ,
      ].sort(),
    );
  });
});
