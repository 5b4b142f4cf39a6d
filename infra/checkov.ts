/**
 * checkov findings this stack does not follow, each with its reason, written into the template
 * as checkov's own inline skips (`Metadata.checkov.skip`). The infra tests run checkov on the
 * synthesized template and fail on any finding not listed here.
 */
import { CfnResource, type IAspect } from 'aws-cdk-lib';
import { CfnMethod } from 'aws-cdk-lib/aws-apigateway';
import type { IConstruct } from 'constructs';

interface Skip {
  readonly id: string;
  readonly comment: string;
}

const LAMBDA: Skip[] = [
  {
    id: 'CKV_AWS_115',
    comment:
      'No reserved concurrency: it would cap the authorizer on the hot path; account concurrency and alarms bound the rest.',
  },
  {
    id: 'CKV_AWS_116',
    comment:
      'Failures are dead-lettered where the invocation is asynchronous: on-failure destinations (schedules), the event source mapping (lifecycle relay); API Gateway and Secrets Manager retry synchronous calls.',
  },
  {
    id: 'CKV_AWS_117',
    comment:
      'No VPC: the functions reach only AWS APIs (DynamoDB, Secrets Manager, SNS, EventBridge) with IAM; a VPC would add NAT cost and cold-start latency.',
  },
  {
    id: 'CKV_AWS_173',
    comment:
      'The environment holds table, topic and bus names only, never a secret (tests scan it); Lambda encrypts it at rest.',
  },
];

const SKIPS: Record<string, Skip[]> = {
  'AWS::Lambda::Function': LAMBDA,
  'AWS::Logs::LogGroup': [
    {
      id: 'CKV_AWS_158',
      comment:
        'Log lines never hold a token or hash (tested); CloudWatch Logs encrypts them at rest with a service key.',
    },
  ],
  'AWS::SQS::Queue': [
    {
      id: 'CKV_AWS_27',
      comment:
        'Encrypted with SQS-managed SSE (SqsManagedSseEnabled), which EventBridge and Lambda can write without key grants; checkov only recognises KMS.',
    },
  ],
  'AWS::ApiGateway::Stage': [
    {
      id: 'CKV_AWS_120',
      comment:
        'No response caching: responses depend on the caller; authorizer results are cached by the authorizer cache instead.',
    },
  ],
};

/** A method without the token authorizer: each authenticates its caller itself, or is /health. */
const PUBLIC_METHOD: Skip = {
  id: 'CKV_AWS_59',
  comment:
    'GET /health returns a constant; the bootstrap exchange checks its single-use token and the leak intake its signature over the raw body, throttled per method; every other method has the token authorizer.',
};

export class CheckovSkips implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof CfnResource)) return;
    const skips = [...(SKIPS[node.cfnResourceType] ?? [])];
    if (node instanceof CfnMethod && node.authorizationType === 'NONE') skips.push(PUBLIC_METHOD);
    if (skips.length > 0) node.addMetadata('checkov', { skip: skips });
  }
}
