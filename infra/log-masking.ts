import type { IAspect } from 'aws-cdk-lib';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import { logMaskingPattern } from '../shared/leaks/masking';

/** The custom data identifier's name in the policy (CloudWatch's metrics and findings name it). */
export const TOKEN_DATA_IDENTIFIER = 'ServiceToken';

/**
 * A CloudWatch Logs data protection policy that masks this deployment's tokens: a log event
 * holding one is stored masked (only `logs:Unmask` shows it), and each finding is counted in the
 * log group's `LogEventsWithFindings` metric. The template shape CDK's `LogGroup` writes for a `DataProtectionPolicy`.
 */
export function tokenMaskingPolicy(prefix: string): Record<string, unknown> {
  return {
    Name: 'service-token-masking',
    Description: `Masks ${prefix} service tokens that reach a log`,
    Version: '2021-06-01',
    Configuration: {
      CustomDataIdentifier: [{ Name: TOKEN_DATA_IDENTIFIER, Regex: logMaskingPattern(prefix) }],
    },
    Statement: [
      {
        Sid: 'audit-statement-cdk',
        DataIdentifier: [TOKEN_DATA_IDENTIFIER],
        Operation: { Audit: { FindingsDestination: {} } },
      },
      {
        Sid: 'redact-statement-cdk',
        DataIdentifier: [TOKEN_DATA_IDENTIFIER],
        Operation: { Deidentify: { MaskConfig: {} } },
      },
    ],
  };
}

/**
 * Gives every log group in its scope that has none the token masking policy: the functions'
 * log groups (ServiceFunction), the API's access logs, and any log group added later. An aspect
 * rather than a prop, so that no log group can be forgotten.
 */
export class TokenLogMasking implements IAspect {
  private readonly policy: Record<string, unknown>;

  constructor(prefix: string) {
    this.policy = tokenMaskingPolicy(prefix);
  }

  visit(node: IConstruct): void {
    if (node instanceof CfnLogGroup && node.dataProtectionPolicy === undefined) {
      node.dataProtectionPolicy = this.policy;
    }
  }
}
