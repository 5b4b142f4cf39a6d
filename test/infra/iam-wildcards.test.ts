/**
 * Every IAM statement of the stack (role policies, key policies, resource policies) that names
 * `*` as its resource, listed: each is one where AWS requires it, with the reason.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ServiceTokensStack } from '../../infra/service-tokens-stack';

const template = Template.fromStack(
  new ServiceTokensStack(new App(), 'Wildcards', {
    serviceTokens: [{ id: 'Ci', name: 'ci', owner: 'team-a', scopes: ['orders:read'] }],
    alertSubscriptions: [{ email: 'oncall@example.com' }],
  }),
).toJSON();

const statementSchema = z.object({
  Effect: z.string(),
  Action: z.union([z.string(), z.array(z.string())]),
  Resource: z.unknown().optional(),
});
const documentSchema = z.object({ Statement: z.array(statementSchema) });

/** `Type Effect actions` of every statement whose resource is `*`, across all documents. */
function wildcardStatements(): string[] {
  const resources = z
    .record(
      z.string(),
      z.object({ Type: z.string(), Properties: z.record(z.string(), z.unknown()).optional() }),
    )
    .parse(template['Resources']);
  const found: string[] = [];
  for (const resource of Object.values(resources)) {
    const props = resource.Properties ?? {};
    const documents = [props['PolicyDocument'], props['KeyPolicy']].flatMap((d) =>
      d === undefined ? [] : [documentSchema.parse(d)],
    );
    for (const document of documents) {
      for (const statement of document.Statement) {
        const targets = Array.isArray(statement.Resource)
          ? statement.Resource
          : [statement.Resource];
        if (!targets.includes('*')) continue;
        const actions = [statement.Action].flat().sort().join(',');
        found.push(`${resource.Type} ${statement.Effect} ${actions}`);
      }
    }
  }
  return found.sort();
}

describe('IAM', () => {
  it('names * as a resource only where AWS requires it', () => {
    const statements = wildcardStatements();
    // Outside key policies: only actions without resource-level permissions.
    expect(statements.filter((s) => !s.startsWith('AWS::KMS::Key'))).toEqual([
      // The relay's event source: dynamodb:ListStreams cannot be scoped.
      'AWS::IAM::Policy Allow dynamodb:ListStreams',
      // X-Ray trace upload cannot be scoped; one per function (9, the registry provider too).
      ...Array.from(
        { length: 9 },
        () => 'AWS::IAM::Policy Allow xray:PutTelemetryRecords,xray:PutTraceSegments',
      ),
    ]);
    // In a key policy `*` means "this key"; the four keys: tables, alert topic, the rotated
    // secret, the leak intake's webhook secret.
    expect(statements.filter((s) => s.startsWith('AWS::KMS::Key'))).toEqual([
      'AWS::KMS::Key Allow kms:*',
      'AWS::KMS::Key Allow kms:*',
      'AWS::KMS::Key Allow kms:*',
      'AWS::KMS::Key Allow kms:*',
      // Secrets Manager's use of each secret's key (CDK's statements for a Secret on a key).
      'AWS::KMS::Key Allow kms:CreateGrant,kms:DescribeKey',
      'AWS::KMS::Key Allow kms:CreateGrant,kms:DescribeKey',
      'AWS::KMS::Key Allow kms:Decrypt,kms:Encrypt,kms:GenerateDataKey*,kms:ReEncrypt*',
      'AWS::KMS::Key Allow kms:Decrypt,kms:Encrypt,kms:GenerateDataKey*,kms:ReEncrypt*',
      'AWS::KMS::Key Allow kms:Decrypt,kms:GenerateDataKey*',
    ]);
  });
});
